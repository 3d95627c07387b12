/**
 * The offset between CLOCK_REALTIME (packet timestamps, Unix time) and CLOCK_MONOTONIC
 * (the trace clock), measured to well under a microsecond.
 *
 * Node reads CLOCK_MONOTONIC in nanoseconds (`process.hrtime.bigint()`) but real time only
 * in milliseconds (`Date.now()`). The moment `Date.now()` ticks to a new millisecond is,
 * however, an exact realtime instant (n × 10^6 ns): spinning on it while reading the
 * monotonic clock around each call brackets that instant within two loop iterations.
 */

export interface ClockOffset {
  /** CLOCK_REALTIME − CLOCK_MONOTONIC, in ns. */
  readonly offsetNs: bigint;
  /** Half the width of the bracket the tick was found in. */
  readonly uncertaintyNs: number;
  /** The monotonic time of the measurement. */
  readonly atMonotonicNs: bigint;
}

function oneTick(): ClockOffset | undefined {
  const hr = process.hrtime.bigint;
  let prevMs = Date.now();
  let prevM0 = hr();
  let prevM1 = prevM0;
  const deadline = prevM0 + 5_000_000n;
  while (true) {
    const m0 = hr();
    const ms = Date.now();
    const m1 = hr();
    if (ms !== prevMs) {
      if (ms !== prevMs + 1) return undefined; // the clock jumped; try again
      // The tick lies after the previous call began and before this call ended; the best
      // estimate is the middle of the gap between the two calls.
      const lo = prevM1;
      const hi = m0;
      const tick = (lo + hi) / 2n;
      const width = Number(m1 - prevM0);
      return { offsetNs: BigInt(ms) * 1_000_000n - tick, uncertaintyNs: Math.ceil(width / 2), atMonotonicNs: tick };
    }
    prevMs = ms;
    prevM0 = m0;
    prevM1 = m1;
    if (m1 > deadline) return undefined;
  }
}

/**
 * Measures CLOCK_REALTIME − CLOCK_MONOTONIC; takes a few milliseconds of busy waiting.
 * Keeps the tightest of `tries` measurements.
 */
export function measureRealtimeOffset(tries = 3): ClockOffset {
  let best: ClockOffset | undefined;
  for (let i = 0; i < tries * 3 && (best === undefined || i < tries); i++) {
    const m = oneTick();
    if (m && (!best || m.uncertaintyNs < best.uncertaintyNs)) best = m;
  }
  if (best) return best;
  // Pathological scheduling: fall back to a millisecond-precision estimate.
  const mono = process.hrtime.bigint();
  return { offsetNs: BigInt(Date.now()) * 1_000_000n - mono, uncertaintyNs: 1_000_000, atMonotonicNs: mono };
}

/** The current CLOCK_MONOTONIC value in ns (the trace clock). */
export function monotonicNow(): bigint {
  return process.hrtime.bigint();
}
