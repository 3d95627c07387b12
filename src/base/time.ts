/**
 * Trace time. Every timestamp in the model is a bigint count of nanoseconds (from the
 * clock's origin, usually the Unix epoch once the clock offset is applied); plain numbers
 * are never mixed with it. Durations are bigint nanoseconds too, except in statistics
 * where a double is precise enough and far cheaper.
 */

export type Nanos = bigint;

const NS_PER_S = 1_000_000_000n;

/** `1234567890123456789` → `"1234567890.123456789"` (seconds with 9 decimals). */
export function formatSeconds(ns: Nanos): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  return `${neg ? '-' : ''}${a / NS_PER_S}.${(a % NS_PER_S).toString().padStart(9, '0')}`;
}

/** Wall-clock time of day in UTC, `HH:MM:SS.nnnnnnnnn`, like babeltrace2's default output. */
export function formatTimeOfDay(ns: Nanos): string {
  const day = 86_400n * NS_PER_S;
  let t = ns % day;
  if (t < 0n) t += day;
  const s = t / NS_PER_S;
  const h = s / 3600n, m = (s / 60n) % 60n, sec = s % 60n;
  const p2 = (v: bigint) => v.toString().padStart(2, '0');
  return `${p2(h)}:${p2(m)}:${p2(sec)}.${(t % NS_PER_S).toString().padStart(9, '0')}`;
}

/** A duration in the unit that reads best: `850 ns`, `12.345 µs`, `3.210 ms`, `1.500 s`. */
export function formatDuration(ns: Nanos | number): string {
  const v = typeof ns === 'bigint' ? Number(ns) : ns;
  const a = Math.abs(v);
  if (a < 1_000) return `${v} ns`;
  if (a < 1_000_000) return `${(v / 1_000).toFixed(3)} µs`;
  if (a < 1_000_000_000) return `${(v / 1_000_000).toFixed(3)} ms`;
  return `${(v / 1_000_000_000).toFixed(3)} s`;
}

/**
 * Parses a user-given time: integer nanoseconds (`1700000000123456789`), seconds with a
 * fraction (`1700000000.123456789`), or a time of day (`12:34:56.789`, UTC) which is
 * placed on the day of `referenceNs`. Returns undefined when the text is none of these.
 */
export function parseTime(text: string, referenceNs?: Nanos): Nanos | undefined {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return BigInt(t);
  const sec = /^(-?)(\d+)\.(\d{1,9})$/.exec(t);
  if (sec) {
    const v = BigInt(sec[2]!) * NS_PER_S + BigInt(sec[3]!.padEnd(9, '0'));
    return sec[1] ? -v : v;
  }
  const tod = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(t);
  if (tod) {
    const inDay = ((BigInt(tod[1]!) * 60n + BigInt(tod[2]!)) * 60n + BigInt(tod[3]!)) * NS_PER_S + BigInt((tod[4] ?? '').padEnd(9, '0'));
    const day = 86_400n * NS_PER_S;
    const base = referenceNs === undefined ? 0n : referenceNs - (referenceNs % day);
    return base + inDay;
  }
  return undefined;
}
