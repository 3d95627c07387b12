/**
 * The columnar logs of the analysis (intervals, wakeups, device events, latency samples,
 * system calls) keep one typed array per column and double them all when full: this is
 * that doubling, once.
 */

/** A typed array a columnar log keeps a column in. */
export type Column = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | BigUint64Array;

/** A new column of `a`'s type and `capacity` (≥ a.length) holding `a`'s values. */
export function grownColumn<T extends Column>(a: T, capacity: number): T {
  const b = new (a.constructor as new (length: number) => T)(capacity);
  b.set(a as never);
  return b;
}
