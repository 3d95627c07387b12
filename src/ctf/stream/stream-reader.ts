/**
 * Reads one data stream (one stream instance, possibly split over several files by
 * session rotation) packet by packet and yields its messages in stream order: discarded
 * events/packets where the packet counters say so, then the packet's events.
 *
 * Follows babeltrace2's message iterator for the details that change results: the
 * clock is set by `timestamp_begin`, moved by each event header, and set to
 * `timestamp_end` at the end of the packet (except for the LTTng crash and
 * event-after-packet quirks); discarded-event counts are differences between
 * consecutive packets' `events_discarded`; lost packets are gaps in `packet_seq_num`.
 */
import { FormatError } from '../../base/errors.js';
import type { FieldMap } from '../../model/trace-event.js';
import { DecodeState, generalizeFields } from '../decode/decode-state.js';
import { EMPTY_FIELDS, type StreamClassDecoders, type TraceDecoders } from '../decode/trace-decoders.js';
import { wasmCounter, type PacketCount, type WasmCounter } from '../decode/wasm-count/counter.js';
import type { StreamClass } from '../metadata/model.js';
import { FileWindow, type WindowAllocator } from './file-window.js';
import { CtfDiscarded, CtfEvent, PacketInfo, type CtfMessage, type StreamInfo } from './messages.js';
import { packetIndex } from './packet-index.js';
import { readPacketPrelude } from './packet-prelude.js';

/** Tracer bugs whose effects babeltrace2 corrects, derived from the trace environment. */
export interface TracerQuirks {
  /** LTTng crash buffers: `timestamp_end` = 0 in packets that were never closed. */
  readonly lttngCrash: boolean;
  /** Old LTTng: events after their packet's `timestamp_end`. */
  readonly eventAfterPacket: boolean;
}

export interface StreamReaderOptions {
  /** Read window per file, in bytes. */
  readonly windowBytes: number;
  readonly quirks: TracerQuirks;
  /** Skip whole packets that end before this time (ns from origin), when safe. */
  readonly skipBeforeNs?: bigint;
}

const TWO32 = 4294967296;

/** Where StreamReader.countRest puts what it reads. */
export interface MessageCounter {
  add(m: CtfMessage): void;
  /** `count` events, the earliest at the time of `first`, the latest at that of `last`. */
  addEvents(count: number, first: CtfEvent, last: CtfEvent): void;
}

export class StreamReader {
  private readonly st: DecodeState;
  private fileIndex = -1;
  private win: FileWindow | null = null;
  private fileOff = 0;
  private inPacket = false;
  private decoders: StreamClassDecoders | null = null;
  private packet: PacketInfo | null = null;
  private readonly pending: CtfMessage[] = [];
  private prevDiscarded: number | bigint = -1;
  private prevSeq: number | bigint = -1;
  private prevEndTs: number | bigint = -1;
  /** The current packet is cut short by the end of its file: [bytes present, bytes declared]. */
  private truncated: [number, number] | null = null;
  private lastKeyHi = 0;
  private lastKeyLo = 0;
  private done = false;
  /** The rest of the current packet is decoded event by event (countRest). */
  private eventByEvent = false;
  /** Where new read windows get their buffer (countRest: in WebAssembly memory). */
  private windowAllocator: WindowAllocator | undefined = undefined;
  /** Packets and events read, for statistics. */
  packets = 0;

  constructor(
    readonly stream: StreamInfo,
    readonly files: readonly string[],
    private readonly streamClass: StreamClass,
    private readonly trace: TraceDecoders,
    uuidBytes: Uint8Array | null,
    private readonly opts: StreamReaderOptions,
  ) {
    this.st = new DecodeState(trace.tc.storedValueCount);
    this.st.uuidBytes = uuidBytes;
    generalizeFields(this, ['lastKeyHi', 'lastKeyLo', 'fileOff'], ['prevDiscarded', 'prevSeq', 'prevEndTs']);
  }

  /** The next message of this stream, or null at its end. Throws FormatError on damage. */
  next(): CtfMessage | null {
    const st = this.st;
    // fast path: the next event of the current packet
    if (this.inPacket && st.p < st.end && this.pending.length === 0) return this.decodeEvent(st);
    if (!this.advance()) return null;
    return this.pending.length > 0 ? this.pending.shift()! : this.decodeEvent(st);
  }

  /**
   * Moves past packet ends and starts to what comes next: a pending message, or an event
   * of the current packet (true); false at the end of the stream (then closed).
   */
  private advance(): boolean {
    for (;;) {
      if (this.pending.length > 0) return true;
      if (this.inPacket) {
        if (this.st.p < this.st.end) return true;
        this.endPacket();
        continue;
      }
      if (this.done || !this.startPacket()) {
        this.done = true;
        this.close();
        return false;
      }
    }
  }

  /**
   * Reads the rest of the stream into `counter` (the same messages as next() would give):
   * a packet's events are counted all at once by the WebAssembly tier when it can
   * (wasm-count/), else decoded one by one. A packet the tier gives back (damage, a case
   * it does not handle) is decoded by next()'s decoder from its first event, so errors
   * and the events before them are exactly those of next(). While it runs, the stream's
   * files are read straight into the tier's memory (no copy of each packet).
   */
  countRest(counter: MessageCounter): void {
    const wasm = wasmCounter();
    const lease = wasm?.leaseWindow() ?? null;
    this.windowAllocator = lease?.allocate;
    try {
      this.countAll(counter, wasm);
    } finally {
      lease?.release();
      this.windowAllocator = undefined;
    }
  }

  private countAll(counter: MessageCounter, wasm: WasmCounter | null): void {
    const st = this.st;
    while (this.advance()) {
      if (this.pending.length > 0) counter.add(this.pending.shift()!);
      else if (wasm !== null && !this.eventByEvent && this.truncated === null && wasm.countPacket(this.trace.tc, this.streamClass, st)) this.takeCounted(wasm.result, counter);
      else {
        this.eventByEvent = true;
        counter.add(this.decodeEvent(st));
      }
    }
  }

  /** Moves past a packet the WebAssembly tier counted. */
  private takeCounted(r: PacketCount, counter: MessageCounter): void {
    const st = this.st;
    st.p = r.p;
    st.cycHi = r.cycHi;
    st.cycLo = r.cycLo;
    const pkt = this.packet!;
    counter.addEvents(r.count, CtfEvent.at(pkt, r.minHi, r.minLo), CtfEvent.at(pkt, r.maxHi, r.maxLo));
    const last = CtfEvent.at(pkt, r.lastHi, r.lastLo);
    this.lastKeyHi = last.nsHi;
    this.lastKeyLo = last.nsLo;
  }

  close(): void {
    this.win?.close();
    this.win = null;
  }

  private decodeEvent(st: DecodeState): CtfEvent {
    const start = st.p;
    const d = this.decoders!;
    let ev: CtfEvent;
    try {
      st.id = d.defaultEventId;
      const head = d.head;
      if (head !== null) head(st);
      else {
        st.evCycHi = st.cycHi;
        st.evCycLo = st.cycLo;
        st.ctx = EMPTY_FIELDS;
      }
      const table = d.table;
      let fn = table !== null ? table[st.id] : undefined;
      if (fn === undefined) {
        fn = d.event(st.id);
        if (fn === undefined) throw new FormatError(st.file, st.packetOffset + Math.floor(start / 8), `event class id ${st.id} is not declared in the metadata (stream class ${this.streamClass.id})`);
      }
      ev = fn(st, this.packet!);
    } catch (err) {
      if (this.truncated) this.throwTruncated();
      if (err instanceof RangeError) throw new FormatError(st.file, st.packetOffset + Math.floor(start / 8), 'event runs past the end of the packet');
      throw err;
    }
    if (st.p > st.end && this.truncated) this.throwTruncated();
    // an event that takes no room would repeat forever (possible only with damaged metadata/data)
    if (st.p === start) throw new FormatError(st.file, st.packetOffset + Math.floor(start / 8), 'event of zero bits: the decoder cannot make progress');
    if (st.p > st.end) throw new FormatError(st.file, st.packetOffset + Math.floor(start / 8), `event runs past the end of the packet content (it starts ${Math.floor(start / 8)} bytes into the packet, whose content ends at byte ${st.end / 8})`);
    this.lastKeyHi = ev.nsHi;
    this.lastKeyLo = ev.nsLo;
    return ev;
  }

  private throwTruncated(): never {
    const [have, want] = this.truncated!;
    throw new FormatError(this.st.file, this.st.packetOffset + have, `file ends inside a packet: ${have} of its ${want} bytes are present (truncated trace)`);
  }

  /** Opens the next packet; false at the end of the stream. */
  private startPacket(): boolean {
    for (;;) {
      if (this.win === null || this.fileOff >= this.win.size) {
        this.win?.close();
        this.win = null;
        this.fileIndex++;
        if (this.fileIndex >= this.files.length) return false;
        this.win = new FileWindow(this.files[this.fileIndex]!, this.opts.windowBytes, this.windowAllocator);
        this.fileOff = 0;
        if (this.win.size === 0) continue;
        if (this.seekable()) this.fileOff = this.seek(this.win.path);
        if (this.fileOff >= this.win.size) continue;
      }
      const st = this.st;
      const off = this.fileOff;
      const prelude = readPacketPrelude(this.win, off, st, this.trace, this.streamClass.id);
      if (prelude.streamClassId !== this.streamClass.id) {
        throw new FormatError(this.win.path, off, `packet of stream class ${prelude.streamClassId} in a stream of class ${this.streamClass.id}`);
      }
      this.decoders = prelude.decoders;
      this.fileOff = off + prelude.packetBytes;
      this.truncated = prelude.truncatedTo === null ? null : [prelude.truncatedTo, prelude.packetBytes];
      this.packets++;
      const ctx = prelude.context;
      const cpuValue = ctx ? (ctx as FieldMap)['cpu_id'] : undefined;
      const cpu = typeof cpuValue === 'number' ? cpuValue : null;
      this.packet = new PacketInfo(this.stream, cpu, ctx, this.win.path, off);
      this.checkDiscarded(cpu);
      if (this.canSkip()) {
        this.endPacket();
        continue;
      }
      this.inPacket = true;
      this.eventByEvent = false;
      return true;
    }
  }

  /** Whether packets may be skipped by their end time (packets have times, no tracer quirk). */
  private seekable(): boolean {
    const sc = this.streamClass;
    return this.opts.skipBeforeNs !== undefined && this.stream.clock !== null && sc.packetsHaveBeginTime && sc.packetsHaveEndTime && !this.opts.quirks.eventAfterPacket;
  }

  /** A packet entirely before the requested begin time need not be decoded. */
  private canSkip(): boolean {
    if (!this.seekable()) return false;
    const end = this.st.endTs;
    if (end === -1 || end === 0) return false;
    return this.stream.clock!.toNs(end) < this.opts.skipBeforeNs!;
  }

  /**
   * Uses the packet index of `file` (LTTng's index/*.idx, or one built from the packet
   * headers) to start at the first packet that ends at or after the requested begin
   * time, without reading the packets before it. The state those packets would have left
   * (clock, loss counters) is taken from the index entry of the last skipped packet.
   * Returns the byte offset to read from.
   */
  private seek(file: string): number {
    const index = packetIndex(file, this.trace, this.st.uuidBytes, this.streamClass.id);
    const clock = this.stream.clock!;
    const begin = this.opts.skipBeforeNs!;
    let k = 0;
    const entries = index.entries;
    while (k < entries.length) {
      const e = entries[k]!;
      if (e.endCycles === null || e.endCycles === 0n || e.streamClassId !== this.streamClass.id || clock.toNs(e.endCycles) >= begin) break;
      k++;
    }
    if (k === 0) return 0;
    const last = entries[k - 1]!;
    const raw = (v: bigint | null): number | bigint => (v === null ? -1 : v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    if (this.streamClass.hasDiscardedEvents) this.prevDiscarded = raw(last.eventsDiscarded);
    if (this.streamClass.hasPacketSeqNum) this.prevSeq = raw(last.seqNum);
    this.prevEndTs = raw(last.endCycles);
    if (this.prevEndTs !== -1) this.st.setClock(this.prevEndTs);
    this.packets += k;
    return k < entries.length ? entries[k]!.offset : this.win!.size;
  }

  private endPacket(): void {
    const st = this.st;
    this.inPacket = false;
    if (this.truncated) this.throwTruncated();
    if (st.endTs !== -1) {
      let update = true;
      if (this.opts.quirks.lttngCrash && st.beginTs !== 0 && st.beginTs !== -1 && st.endTs === 0) update = false;
      if (update && this.opts.quirks.eventAfterPacket) {
        const cur = st.cycHi * TWO32 + st.cycLo;
        if (Number(st.endTs) < cur) update = false;
      }
      if (update) st.setClock(st.endTs);
    }
    this.prevEndTs = st.endTs;
  }

  private checkDiscarded(cpu: number | null): void {
    const st = this.st;
    const sc = this.streamClass;
    const clock = this.stream.clock;
    const timed = clock !== null && sc.packetsHaveBeginTime && sc.packetsHaveEndTime;
    const ns = (raw: number | bigint) => (timed && raw !== -1 ? clock!.toNs(raw) : null);
    if (sc.hasDiscardedEvents) {
      const cur = st.discarded;
      if (this.prevDiscarded === -1) {
        if (cur !== 0 && cur !== -1) {
          this.pending.push(new CtfDiscarded('discarded_events', null, this.stream, ns(st.beginTs), ns(st.endTs), cpu, this.lastKeyHi, this.lastKeyLo));
        }
      } else if (cur !== -1 && BigInt(cur) !== BigInt(this.prevDiscarded)) {
        const count = BigInt.asUintN(64, BigInt(cur) - BigInt(this.prevDiscarded));
        this.pending.push(new CtfDiscarded('discarded_events', Number(count), this.stream, ns(this.prevEndTs), ns(st.endTs), cpu, this.lastKeyHi, this.lastKeyLo));
      }
      this.prevDiscarded = cur;
    }
    if (sc.hasPacketSeqNum) {
      const cur = st.seqNum;
      if (this.prevSeq !== -1 && cur !== -1) {
        const gap = BigInt.asUintN(64, BigInt(cur) - BigInt(this.prevSeq));
        if (gap > 1n) {
          this.pending.push(new CtfDiscarded('discarded_packets', Number(gap - 1n), this.stream, ns(this.prevEndTs), ns(st.beginTs), cpu, this.lastKeyHi, this.lastKeyLo));
        }
      }
      this.prevSeq = cur;
    }
  }
}
