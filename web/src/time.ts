/**
 * Time text. The page works in ns relative to the dataset base (numbers); absolute
 * times are rebuilt exactly with BigInt from the base string only for display.
 */

let baseNs = 0n;

export function setBase(base: string): void {
  baseNs = BigInt(base);
}

/** Relative seconds with 9 decimals: `1.039340512`. */
export function formatRel(t: number): string {
  const neg = t < 0;
  const a = Math.round(Math.abs(t));
  const s = Math.floor(a / 1e9);
  const ns = a - s * 1e9;
  return `${neg ? '-' : ''}${s}.${String(ns).padStart(9, '0')}`;
}

/** A duration with a unit that suits it: 850 ns, 12.4 µs, 3.21 ms, 1.500 s. */
export function formatDuration(d: number): string {
  const a = Math.abs(d);
  if (a < 1e3) return `${Math.round(d)} ns`;
  if (a < 1e6) return `${(d / 1e3).toFixed(a < 1e4 ? 2 : 1)} µs`;
  if (a < 1e9) return `${(d / 1e6).toFixed(a < 1e7 ? 2 : 1)} ms`;
  return `${(d / 1e9).toFixed(3)} s`;
}

/** Time of day (UTC) of a relative time: `12:38:54.877510922`. */
export function formatClock(t: number): string {
  const abs = baseNs + BigInt(Math.round(t));
  const sec = abs / 1_000_000_000n;
  const ns = abs % 1_000_000_000n;
  const d = new Date(Number(sec) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${ns.toString().padStart(9, '0')}`;
}

/** Parses `1.25`, `1.25s`, `300ms`, `12us`, `5000ns` or `12:38:54.8775` into relative ns. */
export function parseTimeInput(text: string, reference: number): number | null {
  const s = text.trim();
  const m = /^(-?\d+(?:\.\d+)?)\s*(s|ms|us|µs|ns)?$/.exec(s);
  if (m) {
    const v = Number(m[1]);
    const unit = m[2] ?? 's';
    return v * (unit === 's' ? 1e9 : unit === 'ms' ? 1e6 : unit === 'ns' ? 1 : 1e3);
  }
  const c = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(s);
  if (c) {
    const refAbs = baseNs + BigInt(Math.round(reference));
    const daySec = (refAbs / 1_000_000_000n / 86400n) * 86400n;
    const frac = BigInt((c[4] ?? '').padEnd(9, '0') || '0');
    const abs = (daySec + BigInt(Number(c[1]) * 3600 + Number(c[2]) * 60 + Number(c[3]))) * 1_000_000_000n + frac;
    return Number(abs - baseNs);
  }
  return null;
}

/** Tick spacing (ns) for about `px` pixels between ticks at `nsPerPx`: 1, 2, 5 × 10^k. */
export function tickStep(nsPerPx: number, px = 90): number {
  const raw = nsPerPx * px;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-3)));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** Label of a tick at `t` when ticks are `step` apart: enough decimals to tell them apart. */
export function tickLabel(t: number, step: number): string {
  const decimals = Math.min(9, Math.max(0, Math.ceil(-Math.log10(step / 1e9) - 1e-9)));
  return `${(t / 1e9).toFixed(decimals)}s`;
}
