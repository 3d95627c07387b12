/**
 * Items grouped by execution context instance (ExecContext.key: one softirq run, one IRQ
 * handler run, one syscall of one thread), each group in time order, for the questions a
 * frame's correlation asks: "what else happened in this softirq run after this packet and
 * before the next one?". Lookups are binary searches, so a context holding thousands of
 * packets (a bulk send inside one sendmsg, a NET_RX run draining a busy queue) costs
 * O(log n) per frame, not O(n).
 */

/** Sorted-by-time lists per context key. */
export class ByContext<T extends { readonly ts: bigint }> {
  private readonly m = new Map<string, T[]>();
  private sorted = true;

  add(key: string, v: T): void {
    const l = this.m.get(key);
    if (!l) this.m.set(key, [v]);
    else {
      if (l[l.length - 1]!.ts > v.ts) this.sorted = false;
      l.push(v);
    }
  }

  /** Sorts the groups that were not filled in time order (stable: equal times keep their order). */
  sort(): void {
    if (this.sorted) return;
    for (const l of this.m.values()) l.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    this.sorted = true;
  }

  /** Items of `key` with from < ts ≤ to (from/to null = unbounded), in time order. */
  range(key: string, from: bigint | null, to: bigint | null): T[] {
    const l = this.m.get(key);
    if (!l) return [];
    const a = from === null ? 0 : firstAfter(l, from);
    const b = to === null ? l.length : firstAfter(l, to);
    return a < b ? l.slice(a, b) : [];
  }

  /** Every item of `key`, in time order. */
  list(key: string): readonly T[] {
    return this.m.get(key) ?? [];
  }

  /** The items of `key` just before and just after `item` (null at either end, or when absent). */
  neighbours(key: string, item: T): { prev: T | null; next: T | null; found: boolean } {
    const l = this.m.get(key);
    if (!l) return { prev: null, next: null, found: false };
    // Equal times are rare but possible: look for the item itself among them.
    let i = firstAtOrAfter(l, item.ts);
    while (i < l.length && l[i] !== item && l[i]!.ts === item.ts) i++;
    if (i >= l.length || l[i] !== item) return { prev: null, next: null, found: false };
    return { prev: i > 0 ? l[i - 1]! : null, next: i + 1 < l.length ? l[i + 1]! : null, found: true };
  }
}

/** Index of the first item with ts > t. */
function firstAfter<T extends { readonly ts: bigint }>(l: readonly T[], t: bigint): number {
  let lo = 0;
  let hi = l.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (l[mid]!.ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first item with ts ≥ t. */
function firstAtOrAfter<T extends { readonly ts: bigint }>(l: readonly T[], t: bigint): number {
  let lo = 0;
  let hi = l.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (l[mid]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
