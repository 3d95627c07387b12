/**
 * A linear clock transform t′ = slope·t + offset (nanoseconds), with an exact rational
 * slope and offset. Applying it to a bigint timestamp is exact: ⌊slope·t + offset⌋ is
 * computed in bigint arithmetic, so a slope that differs from 1 by 6·10⁻⁵ applied to
 * t ≈ 1.4·10¹⁸ ns gives the same nanosecond every time, on every machine.
 */
import { add, floor, isOne, mul, neg, ONE, parseRational, rational, toDecimal, toNumber, div, ZERO, type Rational } from './rational.js';

export interface ClockTransform {
  readonly slope: Rational;
  readonly offset: Rational;
}

export const IDENTITY: ClockTransform = { slope: ONE, offset: ZERO };

export function isIdentity(t: ClockTransform): boolean {
  return isOne(t.slope) && t.offset.n === 0n;
}

/** ⌊slope·ts + offset⌋: `ts` moved onto the reference clock, exactly. */
export function applyTransform(ts: bigint, t: ClockTransform): bigint {
  if (isIdentity(t)) return ts;
  return floor(add(mul(t.slope, rational(ts)), t.offset));
}

/**
 * A fast, still exact applier for many timestamps: t′ = ⌊(A·t + B) / D⌋ with the
 * fractions pre-multiplied out, one bigint multiply-add-divide per call.
 */
export function transformApplier(t: ClockTransform): (ts: bigint) => bigint {
  if (isIdentity(t)) return (ts) => ts;
  const a = t.slope.n * t.offset.d;
  const b = t.offset.n * t.slope.d;
  const d = t.slope.d * t.offset.d;
  return (ts) => {
    const num = a * ts + b;
    const q = num / d;
    return num < 0n && q * d !== num ? q - 1n : q;
  };
}

/** outer ∘ inner: first `inner`, then `outer`. */
export function compose(outer: ClockTransform, inner: ClockTransform): ClockTransform {
  return { slope: mul(outer.slope, inner.slope), offset: add(mul(outer.slope, inner.offset), outer.offset) };
}

/** The transform going the other way (slope must not be 0). */
export function inverse(t: ClockTransform): ClockTransform {
  const slope = div(ONE, t.slope);
  return { slope, offset: neg(mul(t.offset, slope)) };
}

/** Fractional digits printed for exact slopes and offsets (slope error < 1e-36 → < 1e-17 ns at 2^63 ns). */
export const SLOPE_DIGITS = 36;
export const OFFSET_DIGITS = 12;

/** JSON form: doubles for convenience and decimal strings precise enough to apply exactly. */
export interface ClockTransformJson {
  readonly slope: number;
  readonly offset: number;
  readonly slope_decimal: string;
  readonly offset_decimal: string;
}

export function transformToJson(t: ClockTransform): ClockTransformJson {
  return { slope: toNumber(t.slope), offset: toNumber(t.offset), slope_decimal: toDecimal(t.slope, SLOPE_DIGITS), offset_decimal: toDecimal(t.offset, OFFSET_DIGITS) };
}

/**
 * Reads a transform from its JSON form (prefers the decimal strings, falls back to the
 * numbers). Returns null when neither is usable.
 */
export function transformFromJson(j: Partial<Record<keyof ClockTransformJson, unknown>>): ClockTransform | null {
  const pick = (text: unknown, num: unknown): Rational | null => {
    if (typeof text === 'string') return parseRational(text);
    if (typeof num === 'number' && Number.isFinite(num)) return parseRational(String(num));
    return null;
  };
  const slope = pick(j.slope_decimal, j.slope);
  const offset = pick(j.offset_decimal, j.offset);
  if (!slope || !offset || slope.n <= 0n) return null;
  return { slope, offset };
}
