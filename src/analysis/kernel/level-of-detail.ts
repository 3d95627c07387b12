/**
 * Level-of-detail queries for timeline rows: the intervals of a row overlapping a time
 * window, with runs of intervals shorter than one pixel merged into one interval that
 * shows the state that dominated the run. A UI asking for 2,000 pixels of a row holding
 * millions of intervals gets about 2,000 intervals back, each as wide as at least one
 * pixel (or exact, when the interval was already that wide).
 *
 * Cost: rows longer than PYRAMID_THRESHOLD keep lazily built coarser copies at
 * resolutions 1 µs·16^k, so a zoomed-out query reads O(pixels) stored intervals instead
 * of the whole row.
 */
import { IntervalColumn } from './interval-column.js';
import { grownColumn } from './typed-columns.js';

/** The intervals returned by a window query, columnar; times relative to `baseNs`. */
export interface IntervalSlice {
  /** Absolute time (ns from the clock origin) that the relative times count from. */
  readonly baseNs: bigint;
  readonly length: number;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly state: Uint8Array;
  readonly value: Int32Array;
  readonly aux: Int32Array;
  /** How many recorded intervals each returned interval stands for (1 = exact, not merged). */
  readonly merged: Uint32Array;
}

/** A column plus how many recorded intervals each of its intervals merges. */
export class CountedColumn extends IntervalColumn {
  count: Uint32Array;

  constructor(capacity = 8) {
    super(capacity);
    this.count = new Uint32Array(capacity);
  }

  pushCounted(start: number, end: number, state: number, value: number, aux: number, count: number): void {
    const i = this.length;
    if (i === this.count.length) this.count = grownColumn(this.count, Math.max(8, i * 2));
    this.count[i] = count;
    this.push(start, end, state, value, aux);
  }

  override trim(): void {
    super.trim();
    if (this.count.length !== this.length) this.count = this.count.slice(0, this.length);
  }
}

const STATE_SLOTS = 16;

/**
 * Accumulates a run of short intervals and emits them as one: the dominant state is the
 * one covering the most time in the run, shown with the value/aux of its longest member.
 */
class RunMerger {
  private readonly durations = new Float64Array(STATE_SLOTS);
  private readonly longest = new Float64Array(STATE_SLOTS);
  private readonly longestValue = new Int32Array(STATE_SLOTS);
  private readonly longestAux = new Int32Array(STATE_SLOTS);
  private start = NaN;
  private end = NaN;
  private count = 0;

  constructor(private readonly out: CountedColumn) {}

  get pending(): boolean {
    return this.count > 0;
  }
  get runStart(): number {
    return this.start;
  }
  get runEnd(): number {
    return this.end;
  }

  add(start: number, end: number, state: number, value: number, aux: number, count: number): void {
    if (this.count === 0) {
      this.start = start;
      this.durations.fill(0);
      this.longest.fill(-1);
    }
    this.end = end;
    this.count += count;
    const d = end - start;
    const s = state & (STATE_SLOTS - 1);
    this.durations[s]! += d;
    if (d > this.longest[s]!) {
      this.longest[s] = d;
      this.longestValue[s] = value;
      this.longestAux[s] = aux;
    }
  }

  flush(): void {
    if (this.count === 0) return;
    let best = 0;
    for (let s = 1; s < STATE_SLOTS; s++) if (this.durations[s]! > this.durations[best]!) best = s;
    this.out.pushCounted(this.start, this.end, best, this.longestValue[best]!, this.longestAux[best]!, this.count);
    this.count = 0;
  }
}

/**
 * Appends to `out` the intervals of `src[from, to)` merged for `resolution` ns per pixel:
 * an interval at least `resolution` long is copied as is; shorter neighbours are merged
 * until the run covers `resolution`, and a gap longer than `resolution` ends a run.
 */
export function mergeRange(src: IntervalColumn, counts: Uint32Array | null, from: number, to: number, resolution: number, out: CountedColumn): void {
  const merger = new RunMerger(out);
  const { start, end, state, value, aux } = src;
  for (let i = from; i < to; i++) {
    const s = start[i]!;
    const e = end[i]!;
    const c = counts ? counts[i]! : 1;
    if (merger.pending && s - merger.runEnd > resolution) merger.flush();
    if (e - s >= resolution) {
      merger.flush();
      out.pushCounted(s, e, state[i]!, value[i]!, aux[i]!, c);
      continue;
    }
    merger.add(s, e, state[i]!, value[i]!, aux[i]!, c);
    if (merger.runEnd - merger.runStart >= resolution) merger.flush();
  }
  merger.flush();
}

/** Rows at least this long get coarser precomputed levels. */
export const PYRAMID_THRESHOLD = 4096;
const BASE_RESOLUTION = 1000;
const LEVEL_FACTOR = 16;
const MAX_LEVELS = 10;

/** Lazily built coarser copies of one row, for fast zoomed-out queries. */
export class RowPyramid {
  private readonly levels: CountedColumn[] = [];

  constructor(private readonly base: IntervalColumn) {}

  /** The resolution (ns per pixel) of level k. */
  static resolutionOf(k: number): number {
    return BASE_RESOLUTION * LEVEL_FACTOR ** k;
  }

  /** The coarsest stored copy usable at `resolution`: the base column or a merged level. */
  sourceFor(resolution: number): { column: IntervalColumn; counts: Uint32Array | null } {
    if (this.base.length < PYRAMID_THRESHOLD || resolution < BASE_RESOLUTION) return { column: this.base, counts: null };
    let k = 0;
    while (k + 1 < MAX_LEVELS && RowPyramid.resolutionOf(k + 1) <= resolution) k++;
    const level = this.level(k);
    return { column: level, counts: level.count };
  }

  private level(k: number): CountedColumn {
    while (this.levels.length <= k) {
      const j = this.levels.length;
      const src = j === 0 ? this.base : this.levels[j - 1]!;
      const counts = j === 0 ? null : this.levels[j - 1]!.count;
      const out = new CountedColumn(Math.max(8, src.length >>> 2));
      mergeRange(src, counts, 0, src.length, RowPyramid.resolutionOf(j), out);
      out.trim();
      this.levels.push(out);
      // a level that no longer shrinks the row is as coarse as it gets
      if (out.length === src.length) {
        while (this.levels.length <= k) this.levels.push(out);
      }
    }
    return this.levels[k]!;
  }
}
