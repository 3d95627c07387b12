/**
 * The generated decoders of one trace class: packet header, and per stream class the
 * packet context, the event "head" (header + common context) and one function per event
 * class. Event class decoders are compiled on first use: a kernel trace declares over a
 * thousand event classes and typically uses a few dozen.
 */
import type { FieldMap } from '../../model/trace-event.js';
import type { EventClass, StreamClass, TraceClass } from '../metadata/model.js';
import { CtfEvent, EventClassInfo, type PacketInfo } from '../stream/messages.js';
import { compile, compileScope, type ScopeDecoder } from './codegen.js';
import type { DecodeState } from './decode-state.js';
import { helpers } from './helpers.js';

/** Shared by every event without context fields (never mutate). */
export const EMPTY_FIELDS: FieldMap = Object.freeze({}) as FieldMap;

export type EventDecoder = (st: DecodeState, pkt: PacketInfo) => CtfEvent;
export type HeadDecoder = (st: DecodeState) => void;

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60);
}

export class StreamClassDecoders {
  readonly packetContext: ScopeDecoder | null;
  /** Header + common context, or null when the stream class has neither. */
  readonly head: HeadDecoder | null;
  /** Event class id to use when the header carries none (single event class), else -1. */
  readonly defaultEventId: number;
  /** Dense table of event decoders by id (filled lazily by event()), or null for huge ids. */
  readonly table: Array<EventDecoder | undefined> | null;
  private readonly map: Map<number, EventDecoder> | null;

  constructor(readonly sc: StreamClass) {
    this.packetContext = sc.packetContext ? compileScope(`packet_context_${sc.id}`, sc.packetContext, 'packet context', helpers) : null;
    const header = sc.eventHeader;
    const common = sc.eventCommonContext;
    this.head =
      header || common
        ? compile<void>(`event_head_${sc.id}`, helpers, (g) => {
            if (header) g.field(header, 'event header');
            g.emit('st.evCycHi = st.cycHi; st.evCycLo = st.cycLo;');
            if (common) {
              const v = g.field(common, 'event context');
              g.emit(`st.ctx = ${v ?? g.konst(EMPTY_FIELDS)};`);
            } else g.emit(`st.ctx = ${g.konst(EMPTY_FIELDS)};`);
            return 'undefined';
          })
        : null;
    const ids = [...sc.eventClasses.keys()];
    this.defaultEventId = ids.length === 1 ? ids[0]! : -1;
    const maxId = ids.length ? Math.max(...ids) : 0;
    if (maxId < 1 << 20) {
      this.table = new Array<EventDecoder | undefined>(maxId + 1);
      this.map = null;
    } else {
      this.table = null;
      this.map = new Map();
    }
  }

  /** The decoder of event class `id`, or undefined when the metadata has no such class. */
  event(id: number): EventDecoder | undefined {
    const cached = this.table ? this.table[id] : this.map!.get(id);
    if (cached) return cached;
    const ec = this.sc.eventClasses.get(id);
    if (!ec) return undefined;
    const fn = compileEvent(this.sc, ec);
    if (this.table) this.table[id] = fn;
    else this.map!.set(id, fn);
    return fn;
  }
}

function compileEvent(sc: StreamClass, ec: EventClass): EventDecoder {
  const info = new EventClassInfo(ec.name, ec.id, sc.id, ec, sc);
  const hasCommon = sc.eventCommonContext !== null && sc.eventCommonContext.inIr;
  const fn = compile<CtfEvent>(`event_${safeName(ec.name)}_${ec.id}`, helpers, (g) => {
    const spec = ec.specificContext ? g.field(ec.specificContext, `event '${ec.name}' context`) : null;
    const payload = ec.payload ? g.field(ec.payload, `event '${ec.name}' field`) : null;
    const ctx = spec === null ? 'st.ctx' : hasCommon ? `H.merge(st.ctx, ${spec})` : spec;
    return `new ${g.konst(CtfEvent)}(${g.konst(info)}, pkt, st.evCycHi, st.evCycLo, ${ctx}, ${payload ?? g.konst(EMPTY_FIELDS)})`;
  }, ['pkt']);
  return fn as unknown as EventDecoder;
}

export class TraceDecoders {
  readonly packetHeader: ScopeDecoder | null;
  private readonly streams = new Map<number, StreamClassDecoders>();

  constructor(readonly tc: TraceClass) {
    this.packetHeader = tc.packetHeader ? compileScope('packet_header', tc.packetHeader, 'packet header', helpers) : null;
  }

  streamClass(id: number): StreamClassDecoders | undefined {
    let d = this.streams.get(id);
    if (d) return d;
    const sc = this.tc.streamClasses.get(id);
    if (!sc) return undefined;
    d = new StreamClassDecoders(sc);
    this.streams.set(id, d);
    return d;
  }
}
