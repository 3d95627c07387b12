/**
 * The message objects the CTF reader yields: `CtfEvent` (a TraceEvent) and
 * `CtfDiscarded` (a DiscardedRecord). Timestamps are kept as two 32-bit halves so
 * that 64-bit clocks stay exact without creating a bigint per event; `ts`/`cycles`
 * build the bigint on first use.
 */
import type { DiscardedRecord, FieldMap, TraceEvent, TraceInfo } from '../../model/trace-event.js';
import type { ClockClass, EventClass, StreamClass } from '../metadata/model.js';

const TWO32 = 4294967296;

/** Converts a stream clock's cycle counts to nanoseconds from its origin, like babeltrace2. */
export class ClockConverter {
  /** True for 1 GHz clocks: ns = offset + cycles, exactly. */
  readonly unit: boolean;
  /** Offset from origin in ns (offset_s·1e9 + offset cycles in ns), split in halves. */
  readonly offHi: number;
  readonly offLo: number;
  readonly offsetNs: bigint;
  readonly freq: number;
  /**
   * A clock synchronisation's transform onto another host's clock (`--sync`), applied
   * after the offset to every time this converter gives; null on the trace's own clock.
   */
  transform: ((ns: bigint) => bigint) | null;

  constructor(readonly clock: ClockClass) {
    this.freq = clock.freq;
    this.unit = clock.freq === 1e9;
    this.offsetNs = clock.offsetSeconds * 1_000_000_000n + BigInt(nsFromCycles(Number(clock.offsetCycles), clock.freq));
    this.offHi = Number(this.offsetNs >> 32n);
    this.offLo = Number(BigInt.asUintN(32, this.offsetNs));
    this.transform = null;
  }

  /** ns from origin of a raw clock value, as a bigint. */
  toNs(raw: number | bigint): bigint {
    const ns = this.unit ? this.offsetNs + BigInt(raw) : this.offsetNs + BigInt(nsFromCycles(Number(raw), this.freq));
    return this.transform === null ? ns : this.transform(ns);
  }
}

/** babeltrace2's bt_util_ns_from_value: exact at 1 GHz, else double arithmetic truncated. */
function nsFromCycles(cycles: number, freq: number): number {
  if (freq === 1e9) return cycles;
  const ns = (1e9 * cycles) / freq;
  return ns >= 2 ** 64 ? 2 ** 64 : Math.floor(ns);
}

/** One data stream (all the files of one stream instance of one trace). */
export class StreamInfo {
  constructor(
    readonly trace: TraceInfo,
    readonly streamClassId: number,
    readonly streamId: number,
    /** Path of the stream's first file (babeltrace2's stream name). */
    readonly name: string,
    readonly clock: ClockConverter | null,
    /** Position in the collection, for deterministic tie-breaking. */
    readonly order: number,
    /** babeltrace2's trace name: host name, then the trace directory relative to the input path. */
    readonly traceName: string = '',
    readonly traceUuid: string | null = null,
  ) {}
}

/** What every event of one packet shares. */
export class PacketInfo {
  constructor(
    readonly stream: StreamInfo,
    /** `cpu_id` of the packet context, or null. */
    readonly cpu: number | null,
    /** The packet context fields shown to users (without reader-only fields). */
    readonly context: FieldMap | null,
    /** File and byte offset of the packet. */
    readonly file: string,
    readonly offset: number,
  ) {}
}

/** Static facts about an event class, shared by all its events. */
export class EventClassInfo {
  constructor(
    readonly name: string,
    readonly id: number,
    readonly streamClassId: number,
    readonly eventClass: EventClass,
    readonly streamClass: StreamClass,
  ) {}
}

/** The class of the stand-ins CtfEvent.at makes (a real EventClassInfo, so CtfEvent keeps one shape). */
const TIME_ONLY = new EventClassInfo('', -1, -1, null as unknown as EventClass, null as unknown as StreamClass);
const NO_FIELDS: FieldMap = Object.freeze({}) as FieldMap;

function toBig(hi: number, lo: number): bigint {
  if (hi < 0x200000 && hi > -0x200000) return BigInt(hi * TWO32 + lo);
  return (BigInt(hi) << 32n) + BigInt(lo);
}

/**
 * A message's merge time as a bigint (ns from origin): an event's `ts`, a loss's `begin`
 * (or, when unknown, the time of its stream's last event).
 */
export function messageNs(m: { readonly nsHi: number; readonly nsLo: number }): bigint {
  return toBig(m.nsHi, m.nsLo);
}

/**
 * A decoded event. Implements the shared TraceEvent record; `nsHi`/`nsLo` (ns from
 * origin = nsHi·2^32 + nsLo) and `cycHi`/`cycLo` are the cheap forms of `ts`/`cycles`.
 */
export class CtfEvent implements TraceEvent {
  declare readonly kind: 'event';
  readonly nsHi: number;
  readonly nsLo: number;
  private tsCache: bigint | undefined;

  constructor(
    readonly eventClass: EventClassInfo,
    readonly packet: PacketInfo,
    readonly cycHi: number,
    readonly cycLo: number,
    readonly context: FieldMap,
    readonly payload: FieldMap,
  ) {
    const clk = packet.stream.clock;
    if (clk === null) {
      this.nsHi = 0;
      this.nsLo = 0;
    } else if (clk.transform !== null) {
      // synchronised onto another clock: the slow exact path, only under --sync
      const ns = clk.toNs(toBig(cycHi, cycLo));
      this.nsHi = Number(ns >> 32n);
      this.nsLo = Number(BigInt.asUintN(32, ns));
    } else if (clk.unit) {
      let lo = cycLo + clk.offLo;
      let hi = cycHi + clk.offHi;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi += 1;
      }
      this.nsHi = hi;
      this.nsLo = lo;
    } else {
      const ns = nsFromCycles(cycHi * TWO32 + cycLo, clk.freq);
      let hi = Math.floor(ns / TWO32) + clk.offHi;
      let lo = ns - Math.floor(ns / TWO32) * TWO32 + clk.offLo;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi += 1;
      }
      this.nsHi = hi;
      this.nsLo = lo;
    }
    this.tsCache = undefined;
  }

  /**
   * A stand-in for an event of `packet` at clock value cycHi·2^32 + cycLo, for its time
   * alone (counting decodes events without building them): the same conversion to ns.
   */
  static at(packet: PacketInfo, cycHi: number, cycLo: number): CtfEvent {
    return new CtfEvent(TIME_ONLY, packet, cycHi, cycLo, NO_FIELDS, NO_FIELDS);
  }

  get name(): string {
    return this.eventClass.name;
  }
  get cpu(): number | null {
    return this.packet.cpu;
  }
  get streamClassId(): number {
    return this.packet.stream.streamClassId;
  }
  get streamId(): number {
    return this.packet.stream.streamId;
  }
  get trace(): TraceInfo {
    return this.packet.stream.trace;
  }
  /** False when the stream has no clock (then `ts` and `cycles` are 0n). */
  get hasTimestamp(): boolean {
    return this.packet.stream.clock !== null;
  }
  get ts(): bigint {
    if (this.tsCache === undefined) this.tsCache = toBig(this.nsHi, this.nsLo);
    return this.tsCache;
  }
  get cycles(): bigint {
    return toBig(this.cycHi, this.cycLo);
  }
}
Object.defineProperty(CtfEvent.prototype, 'kind', { value: 'event', enumerable: true });

/** Events or packets the tracer lost, between two packets of a stream. */
export class CtfDiscarded implements DiscardedRecord {
  readonly trace: TraceInfo;
  readonly streamId: number;
  /** Merge key: `begin` in ns (or the stream's last time when unknown). */
  readonly nsHi: number;
  readonly nsLo: number;

  constructor(
    readonly kind: 'discarded_events' | 'discarded_packets',
    readonly count: number | null,
    readonly stream: StreamInfo,
    readonly begin: bigint | null,
    readonly end: bigint | null,
    /** CPU of the packet after the loss (ctf-oracle prints null here). */
    readonly cpu: number | null,
    keyHi: number,
    keyLo: number,
  ) {
    this.trace = stream.trace;
    this.streamId = stream.streamId;
    if (begin !== null) {
      this.nsHi = Number(begin >> 32n);
      this.nsLo = Number(BigInt.asUintN(32, begin));
    } else {
      this.nsHi = keyHi;
      this.nsLo = keyLo;
    }
  }
}

export type CtfMessage = CtfEvent | CtfDiscarded;
