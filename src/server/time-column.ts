/**
 * Queries over a time column (relative ns, one double per row), shared by the event
 * index and the packet table.
 */

/** Index of the first of the first `count` times at or after `t` (`count` when none); the times must be sorted. */
export function lowerBound(times: ArrayLike<number>, count: number, t: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts of the first `count` times in `buckets` equal slices of [t0, t1): two binary
 * searches a bucket when the times are sorted, else one scan of them all.
 */
export function timeHistogram(times: ArrayLike<number>, count: number, sorted: boolean, t0: number, t1: number, buckets: number): number[] {
  const out = new Array<number>(buckets).fill(0);
  if (t1 <= t0 || buckets <= 0) return out;
  const w = (t1 - t0) / buckets;
  if (sorted) {
    let prev = lowerBound(times, count, t0);
    for (let b = 0; b < buckets; b++) {
      // The last edge is t1 itself: t0 + buckets·w may round below it and lose rows.
      const next = lowerBound(times, count, b + 1 === buckets ? t1 : t0 + (b + 1) * w);
      out[b] = next - prev;
      prev = next;
    }
  } else {
    for (let i = 0; i < count; i++) {
      const t = times[i]!;
      if (t >= t0 && t < t1) out[Math.min(buckets - 1, Math.floor((t - t0) / w))]!++;
    }
  }
  return out;
}
