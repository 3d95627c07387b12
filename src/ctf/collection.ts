/**
 * A set of traces read as one timeline: every stream of every trace is read by its own
 * StreamReader and the readers are merged by timestamp with a binary heap. Ties are
 * broken by stream order (trace, then stream), so the output is deterministic. Streams
 * whose timestamps go backwards (some old LTTng traces) are still read completely: the
 * merge always takes the earliest current head, it never rejects a message.
 */
import type { TraceInfo, TraceMessage } from '../model/trace-event.js';
import { CtfDiscarded, type CtfMessage } from './stream/messages.js';
import { StreamReader } from './stream/stream-reader.js';
import type { CtfTrace, StreamDescriptor } from './trace-discovery.js';

export interface MessageOptions {
  /** Only messages at or after this time (ns from origin). */
  readonly begin?: bigint;
  /** Only messages at or before this time (ns from origin). */
  readonly end?: bigint;
}

/** Never a real message: only gives Head.msg its general field type (below). */
const LOSS_PLACEHOLDER = Object.create(CtfDiscarded.prototype) as CtfDiscarded;

/** A stream's pending message in the merge heap. */
class Head {
  msg: CtfMessage;

  constructor(
    msg: CtfMessage,
    readonly reader: StreamReader,
    readonly order: number,
  ) {
    // events and discarded-event records alternate in `msg`: its field type is made
    // general at once, so that a first loss mid-trace does not discard optimised code
    // (see generalizeFields in decode-state.ts)
    this.msg = LOSS_PLACEHOLDER;
    this.msg = msg;
  }
}

function less(a: Head, b: Head): boolean {
  const am = a.msg;
  const bm = b.msg;
  if (am.nsHi !== bm.nsHi) return am.nsHi < bm.nsHi;
  if (am.nsLo !== bm.nsLo) return am.nsLo < bm.nsLo;
  return a.order < b.order;
}

/**
 * Iterates the messages of `streams` in timestamp order. Memory: one read window and
 * one pending message per stream, whatever the trace size.
 */
export class MergedMessages implements IterableIterator<CtfMessage> {
  private readonly heap: Head[] = [];
  private started = false;
  private readonly beginHi: number;
  private readonly beginLo: number;
  private readonly endHi: number;
  private readonly endLo: number;
  private readonly filtered: boolean;
  private finished = false;

  constructor(
    private readonly readers: StreamReader[],
    opts: MessageOptions = {},
  ) {
    this.filtered = opts.begin !== undefined || opts.end !== undefined;
    const split = (v: bigint | undefined, dflt: number): [number, number] => (v === undefined ? [dflt, 0] : [Number(v >> 32n), Number(BigInt.asUintN(32, v))]);
    [this.beginHi, this.beginLo] = split(opts.begin, -Infinity);
    [this.endHi, this.endLo] = split(opts.end, Infinity);
  }

  [Symbol.iterator](): IterableIterator<CtfMessage> {
    return this;
  }

  private start(): void {
    this.started = true;
    this.readers.forEach((reader, order) => {
      const msg = reader.next();
      if (msg) this.push(new Head(msg, reader, order));
    });
  }

  /** The next message in time order, or null at the end. */
  nextMessage(): CtfMessage | null {
    if (!this.started) this.start();
    for (;;) {
      const heap = this.heap;
      if (heap.length === 0 || this.finished) return null;
      const top = heap[0]!;
      const msg = top.msg;
      const next = top.reader.next();
      if (next) {
        top.msg = next;
        this.siftDown(0);
      } else {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          this.siftDown(0);
        }
      }
      if (this.filtered && this.isTimed(msg)) {
        if (msg.nsHi < this.beginHi || (msg.nsHi === this.beginHi && msg.nsLo < this.beginLo)) continue;
        if (msg.nsHi > this.endHi || (msg.nsHi === this.endHi && msg.nsLo > this.endLo)) {
          this.finish();
          return null;
        }
      }
      return msg;
    }
  }

  private isTimed(msg: CtfMessage): boolean {
    return msg.kind === 'event' ? msg.packet.stream.clock !== null : msg.begin !== null;
  }

  next(): IteratorResult<CtfMessage> {
    const m = this.nextMessage();
    if (m === null) return { done: true, value: undefined };
    return { done: false, value: m };
  }

  return(): IteratorResult<CtfMessage> {
    this.finish();
    return { done: true, value: undefined };
  }

  private finish(): void {
    this.finished = true;
    for (const r of this.readers) r.close();
    this.heap.length = 0;
  }

  private push(h: Head): void {
    const a = this.heap;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(a[i]!, a[parent]!)) break;
      const t = a[i]!;
      a[i] = a[parent]!;
      a[parent] = t;
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const a = this.heap;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && less(a[r]!, a[l]!) ? r : l;
      if (!less(a[c]!, a[i]!)) return;
      const t = a[i]!;
      a[i] = a[c]!;
      a[c] = t;
      i = c;
    }
  }
}

/**
 * Read window per stream: bounded total memory for traces with many streams. A window
 * grows to hold a whole packet when packets are larger. Reads of a few hundred KiB
 * already run at page-cache speed; a larger window only costs page faults (a fresh
 * buffer is faulted in page by page: ~2 ms per 8 MiB here) and cache misses.
 */
function windowBytes(streamCount: number): number {
  const budget = 16 * 1024 * 1024;
  return Math.max(64 * 1024, Math.min(256 * 1024, Math.floor(budget / Math.max(1, streamCount))));
}

/** Creates a reader per stream of `traces` (fresh readers: each call starts from the beginning). */
export function createReaders(traces: readonly CtfTrace[], opts: MessageOptions = {}): StreamReader[] {
  const all: Array<{ t: CtfTrace; s: StreamDescriptor }> = [];
  for (const t of traces) for (const s of t.streams) all.push({ t, s });
  return createStreamReaders(all, opts);
}

/** Creates a reader for each of `streams` (a stream with the trace it belongs to). */
export function createStreamReaders(streams: ReadonlyArray<{ t: CtfTrace; s: StreamDescriptor }>, opts: MessageOptions = {}): StreamReader[] {
  const win = windowBytes(streams.length);
  return streams.map(({ t, s }) => new StreamReader(s.info, s.files, s.streamClass, t.decoders, t.uuidBytes, { windowBytes: win, quirks: t.quirks, skipBeforeNs: opts.begin }));
}

export type { TraceInfo, TraceMessage };
