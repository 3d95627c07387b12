/**
 * A binary min-heap ordered by a caller-given comparison. Used to merge sorted streams
 * (CTF streams, capture interfaces) in time order. `less(a, b)` must be a strict order;
 * ties are broken by the caller (e.g. by stream index) so merges are deterministic.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Call after the top item's key grew (cheaper than pop + push). */
  updateTop(): void {
    if (this.items.length > 0) this.siftDown(0);
  }

  private siftDown(i: number): void {
    const a = this.items;
    const n = a.length;
    while (true) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(a[r]!, a[l]!) ? r : l;
      if (!this.less(a[c]!, a[i]!)) break;
      [a[i], a[c]] = [a[c]!, a[i]!];
      i = c;
    }
  }
}
