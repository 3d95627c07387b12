/**
 * Count, min, max, mean and variance of a stream of durations in O(1) memory (Welford's
 * online algorithm), mergeable (Chan et al.'s pairwise update) for per-process totals.
 * The standard deviation is the *sample* one (n − 1), like Python's `statistics.stdev`
 * that lttng-analyses uses.
 */
export class RunningStats {
  count = 0;
  min = Infinity;
  max = -Infinity;
  /** Exact while the durations are integers and the sum stays below 2^53 ns. */
  total = 0;
  private mean = 0;
  private m2 = 0;

  add(x: number): void {
    const n = ++this.count;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.total += x;
    const d = x - this.mean;
    this.mean += d / n;
    this.m2 += d * (x - this.mean);
  }

  /** Adds every sample of `other` (as if they had been added here). */
  merge(other: RunningStats): void {
    if (other.count === 0) return;
    if (this.count === 0) {
      this.count = other.count;
      this.min = other.min;
      this.max = other.max;
      this.total = other.total;
      this.mean = other.mean;
      this.m2 = other.m2;
      return;
    }
    const n = this.count + other.count;
    const d = other.mean - this.mean;
    this.m2 += other.m2 + (d * d * this.count * other.count) / n;
    this.mean += (d * other.count) / n;
    this.count = n;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.total += other.total;
  }

  /** total / count (0 when empty). */
  get average(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  /** Sample standard deviation, or null with fewer than `minCount` samples. */
  stdev(minCount = 2): number | null {
    if (this.count < Math.max(2, minCount)) return null;
    return Math.sqrt(this.m2 / (this.count - 1));
  }
}

/** The JSON form of a RunningStats (durations in ns). */
export interface DurationSummary {
  readonly count: number;
  readonly min_ns: number;
  readonly avg_ns: number;
  readonly max_ns: number;
  /** Sample standard deviation; null when there are too few samples. */
  readonly stdev_ns: number | null;
}

/** Summarises `s`; `stdevMinCount` follows the oracle (syscallstats needs 3, irqstats 2). */
export function summarize(s: RunningStats, stdevMinCount = 2): DurationSummary {
  return { count: s.count, min_ns: s.count ? s.min : 0, avg_ns: s.average, max_ns: s.count ? s.max : 0, stdev_ns: s.stdev(stdevMinCount) };
}
