/**
 * Columnar interval storage: while the pass runs, rows write into a shared IntervalArena
 * (pages of typed arrays handed out in blocks: a million intervals are a few dozen
 * allocations, not a million objects); a queried row is joined into one IntervalColumn.
 *
 * Times are float64 nanoseconds relative to the model's `baseNs` (the first event of the
 * trace): exact integers for any trace shorter than 2^53 ns (104 days), and arithmetic on
 * them needs no bigint. Intervals of a row are sorted and never overlap
 * (`start[i] < end[i] <= start[i+1]`); the writer below guarantees it even when the
 * trace's timestamps go backwards (some old LTTng traces), by clamping.
 */
import { grownColumn } from './typed-columns.js';

export class IntervalColumn {
  /** A column over existing arrays (a row segment). */
  static view(start: Float64Array, end: Float64Array, state: Uint8Array, value: Int32Array, aux: Int32Array): IntervalColumn {
    const c = new IntervalColumn(0);
    c.start = start;
    c.end = end;
    c.state = state;
    c.value = value;
    c.aux = aux;
    c.length = start.length;
    return c;
  }

  start: Float64Array;
  end: Float64Array;
  state: Uint8Array;
  value: Int32Array;
  aux: Int32Array;
  length = 0;

  constructor(capacity = 8) {
    this.start = new Float64Array(capacity);
    this.end = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.value = new Int32Array(capacity);
    this.aux = new Int32Array(capacity);
  }

  push(start: number, end: number, state: number, value: number, aux: number): void {
    const i = this.length;
    if (i === this.start.length) this.grow(i * 2);
    this.start[i] = start;
    this.end[i] = end;
    this.state[i] = state;
    this.value[i] = value;
    this.aux[i] = aux;
    this.length = i + 1;
  }

  private grow(capacity: number): void {
    this.start = grownColumn(this.start, capacity);
    this.end = grownColumn(this.end, capacity);
    this.state = grownColumn(this.state, capacity);
    this.value = grownColumn(this.value, capacity);
    this.aux = grownColumn(this.aux, capacity);
  }

  /** Drops the spare capacity (called once the pass is over). */
  trim(): void {
    if (this.start.length === this.length) return;
    this.start = this.start.slice(0, this.length);
    this.end = this.end.slice(0, this.length);
    this.state = this.state.slice(0, this.length);
    this.value = this.value.slice(0, this.length);
    this.aux = this.aux.slice(0, this.length);
  }

  /** Index of the first interval whose end is after `t`, or `length` when none. */
  firstEndingAfter(t: number): number {
    let lo = 0;
    let hi = this.length;
    const end = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (end[mid]! > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index of the last interval starting at or before `t`, or -1. */
  lastStartingAtOrBefore(t: number): number {
    let lo = 0;
    let hi = this.length;
    const start = this.start;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (start[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

const BLOCK_BITS = 5;
/** Intervals per block: a row owns whole blocks, so a 3-interval thread wastes little. */
const BLOCK = 1 << BLOCK_BITS;
const PAGE_BLOCK_BITS = 11;
const PAGE_BLOCK_MASK = (1 << PAGE_BLOCK_BITS) - 1;
/** Intervals per page (65,536: 1.6 MB of columns). */
const PAGE = BLOCK << PAGE_BLOCK_BITS;

/** One page of the arena: columns for 2,048 blocks. */
class Page {
  readonly start = new Float64Array(PAGE);
  readonly end = new Float64Array(PAGE);
  readonly state = new Uint8Array(PAGE);
  readonly value = new Int32Array(PAGE);
  readonly aux = new Int32Array(PAGE);
}

/**
 * Storage for all rows' intervals while the pass runs: fixed-size pages of columns, handed
 * out to rows in blocks of 32 intervals. Nothing is ever copied while the pass runs (no
 * doubling), and a row costs one small block, not five typed arrays — traces have
 * thousands of short-lived threads. A row's blocks are joined into one contiguous column
 * only when the row is first queried (`RowWriter.column()`).
 */
export class IntervalArena {
  readonly pages: Page[] = [];
  private blocks = 0;

  /** A fresh block id. */
  allocate(): number {
    const b = this.blocks++;
    if (b >> PAGE_BLOCK_BITS >= this.pages.length) this.pages.push(new Page());
    return b;
  }

  /** Intervals stored. */
  get capacity(): number {
    return this.blocks * BLOCK;
  }
}

/**
 * Writes one row while the pass runs: keeps the currently open interval (state since a
 * time) and appends it to the row's blocks when the state changes. Zero-length intervals
 * are dropped (the last state set at a given time wins), and a time before the open
 * interval's start is clamped to it, so the row stays well-formed.
 */
export class RowWriter {
  /** Start of the open interval, or NaN when the row has no open interval (a gap). */
  since = NaN;
  state = 0;
  value = -1;
  aux = -1;
  /** First time the row was set (NaN before). */
  firstTime = NaN;
  /** End of the last closed interval (NaN before). */
  lastEnd = NaN;
  /** Closed intervals stored. */
  count = 0;
  private readonly blocks: number[] = [];
  private fill = BLOCK;
  private page: Page | null = null;
  private base = 0;
  private materialized: IntervalColumn | null = null;

  constructor(
    private readonly arena: IntervalArena,
    /** The row's index in the model. */
    readonly index: number,
  ) {}

  private append(start: number, end: number, state: number, value: number, aux: number): void {
    if (this.fill === BLOCK) {
      const b = this.arena.allocate();
      this.blocks.push(b);
      this.page = this.arena.pages[b >> PAGE_BLOCK_BITS]!;
      this.base = (b & PAGE_BLOCK_MASK) << BLOCK_BITS;
      this.fill = 0;
    }
    const i = this.base + this.fill++;
    const pg = this.page!;
    pg.start[i] = start;
    pg.end[i] = end;
    pg.state[i] = state;
    pg.value[i] = value;
    pg.aux[i] = aux;
    this.count++;
    this.lastEnd = end;
    this.materialized = null;
  }

  /** Sets the row's state from time `t` on. */
  set(t: number, state: number, value: number, aux: number): void {
    const since = this.since;
    if (since === since) {
      // open interval
      if (state === this.state && value === this.value && aux === this.aux) return;
      if (t > since) this.append(since, t, this.state, this.value, this.aux);
      else t = since;
    } else if (this.firstTime !== this.firstTime) {
      this.firstTime = t;
    } else if (t < this.lastEnd) {
      // reopening after a gap: never before the end of the last interval
      t = this.lastEnd;
    }
    this.since = t;
    this.state = state;
    this.value = value;
    this.aux = aux;
  }

  /** Ends the open interval at `t` (the row has a gap, or ends, from `t`). */
  close(t: number): void {
    const since = this.since;
    if (since !== since) return;
    if (t > since) this.append(since, t, this.state, this.value, this.aux);
    this.since = NaN;
  }

  /** True while an interval is open. */
  get isOpen(): boolean {
    return this.since === this.since;
  }

  /** Rewrites state `from` as `to` in every interval of the row (a fact learnt late). */
  relabel(from: number, to: number): void {
    if (this.state === from) this.state = to;
    let left = this.count;
    for (const b of this.blocks) {
      const pg = this.arena.pages[b >> PAGE_BLOCK_BITS]!;
      const base = (b & PAGE_BLOCK_MASK) << BLOCK_BITS;
      const k = Math.min(BLOCK, left);
      for (let i = base; i < base + k; i++) if (pg.state[i] === from) pg.state[i] = to;
      left -= k;
    }
    this.materialized = null;
  }

  /** The row's closed intervals as one contiguous column (built once, then cached). */
  column(): IntervalColumn {
    if (this.materialized) return this.materialized;
    const n = this.count;
    const c = new IntervalColumn(n);
    let at = 0;
    for (const b of this.blocks) {
      const pg = this.arena.pages[b >> PAGE_BLOCK_BITS]!;
      const from = (b & PAGE_BLOCK_MASK) << BLOCK_BITS;
      const k = Math.min(BLOCK, n - at);
      c.start.set(pg.start.subarray(from, from + k), at);
      c.end.set(pg.end.subarray(from, from + k), at);
      c.state.set(pg.state.subarray(from, from + k), at);
      c.value.set(pg.value.subarray(from, from + k), at);
      c.aux.set(pg.aux.subarray(from, from + k), at);
      at += k;
    }
    c.length = n;
    this.materialized = c;
    return c;
  }
}
