/**
 * Exact rational numbers over bigint, for clock transforms. A slope such as
 * 0.99994137837… applied to a timestamp of 1.36·10^18 ns must not lose the ~100 ns a
 * double would (53 bits ≈ 16 digits), so hull slopes, offsets, compositions and
 * inverses are all kept as exact fractions and rounded only when a timestamp is produced
 * or a number is printed.
 */

/** n/d with d > 0 and gcd(|n|, d) = 1. */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Builds n/d in lowest terms. Throws RangeError when d is 0. */
export function rational(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new RangeError('rational with a zero denominator');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

export const ZERO: Rational = { n: 0n, d: 1n };
export const ONE: Rational = { n: 1n, d: 1n };

export function add(a: Rational, b: Rational): Rational {
  return rational(a.n * b.d + b.n * a.d, a.d * b.d);
}
export function sub(a: Rational, b: Rational): Rational {
  return rational(a.n * b.d - b.n * a.d, a.d * b.d);
}
export function mul(a: Rational, b: Rational): Rational {
  return rational(a.n * b.n, a.d * b.d);
}
export function div(a: Rational, b: Rational): Rational {
  if (b.n === 0n) throw new RangeError('division of a rational by zero');
  return rational(a.n * b.d, a.d * b.n);
}
export function neg(a: Rational): Rational {
  return { n: -a.n, d: a.d };
}
/** -1, 0 or 1 as a is below, equal to or above b. */
export function compare(a: Rational, b: Rational): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}
export function isOne(a: Rational): boolean {
  return a.n === a.d;
}

/** ⌊a⌋ (towards −∞). */
export function floor(a: Rational): bigint {
  const q = a.n / a.d;
  return a.n < 0n && q * a.d !== a.n ? q - 1n : q;
}

/** The nearest integer, halves rounded up (towards +∞). */
export function roundHalfUp(a: Rational): bigint {
  return floor(add(a, { n: 1n, d: 2n }));
}

/** Nearest double (exact to the double's precision for the magnitudes of clock values). */
export function toNumber(a: Rational): number {
  // Scale so the integer division keeps ~20 significant digits, then let the FPU round once.
  const ip = a.n / a.d;
  const rem = a.n - ip * a.d;
  return Number(ip) + Number((rem * 10n ** 20n) / a.d) / 1e20;
}

/**
 * Decimal text with exactly `digits` fractional digits (rounded half away from zero),
 * trailing zeros removed: `toDecimal(1/3, 5)` → `0.33333`, `toDecimal(5/2, 5)` → `2.5`.
 */
export function toDecimal(a: Rational, digits: number): string {
  const negative = a.n < 0n;
  const absN = negative ? -a.n : a.n;
  const scale = 10n ** BigInt(digits);
  const scaled = (absN * scale * 2n + a.d) / (2n * a.d);
  const ip = scaled / scale;
  const frac = digits > 0 ? (scaled % scale).toString().padStart(digits, '0').replace(/0+$/, '') : '';
  const text = frac ? `${ip}.${frac}` : `${ip}`;
  return negative && scaled !== 0n ? `-${text}` : text;
}

/**
 * Parses a decimal (`-12.5`, `1e-3`, `0.999941378`) or fraction (`7/9`) into an exact
 * rational. Returns null when the text is neither.
 */
export function parseRational(text: string): Rational | null {
  const t = text.trim();
  const frac = /^([-+]?\d+)\/(\d+)$/.exec(t);
  if (frac) return /^0+$/.test(frac[2]!) ? null : rational(BigInt(frac[1]!), BigInt(frac[2]!));
  const m = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const digits = `${m[2]}${m[3] ?? ''}` || '0';
  const exp = -(m[3] ?? '').length + Number(m[4] ?? 0);
  let n = BigInt(digits);
  let d = 1n;
  if (exp >= 0) n *= 10n ** BigInt(exp);
  else d = 10n ** BigInt(-exp);
  if (m[1] === '-') n = -n;
  return rational(n, d);
}
