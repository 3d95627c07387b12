/**
 * The decoders of one trace class: packet header, and per stream class the packet
 * context, the event "head" (header + common context) and one decoder per event class.
 *
 * Two tiers for event classes, like a JIT: every event class starts on the interpreter
 * (`interpreter.ts`: one function for every class, optimised by V8 after a few hundred
 * events) and is replaced by its generated decoder (`codegen.ts`: fastest once optimised,
 * but each one needs a thousand or more calls of its own before V8 optimises it) after it
 * has decoded `compileAfter()` events. A kernel trace declares over a thousand event
 * classes and uses a hundred or more, most of them a few thousand times: those never
 * need a generated decoder. The few classes of a multi-million-event trace switch early
 * and run at full speed. A trace made of a few busy classes (a user-space application's
 * tracepoints) gains from generated code long before that: the first EARLY_CLASSES classes
 * of a stream class to reach EARLY_AFTER events switch then. The per-stream-class decoders
 * (packet header and context, event header) serve every event and are generated at once.
 * Both tiers decode exactly alike (a test compares them on every shared trace).
 */
import type { FieldMap } from '../../model/trace-event.js';
import type { EventClass, StreamClass, StructClass, TraceClass } from '../metadata/model.js';
import { CtfEvent, EventClassInfo, type PacketInfo } from '../stream/messages.js';
import { compile, compileScope, type ScopeDecoder } from './codegen.js';
import type { DecodeState } from './decode-state.js';
import { helpers } from './helpers.js';
import { decode, prepareNode, type DecodeNode } from './interpreter.js';

/** Shared by every event without context fields (never mutate). */
export const EMPTY_FIELDS: FieldMap = Object.freeze({}) as FieldMap;

export type EventDecoder = (st: DecodeState, pkt: PacketInfo) => CtfEvent;
export type HeadDecoder = (st: DecodeState) => void;

/**
 * Default number of events of one class decoded by the interpreter before its generated
 * code replaces it. Measured here: generating, compiling and warming up the decoder of
 * one class costs ~2–3 ms, and it then saves ~0.1 µs per event over the interpreter, so
 * it pays after ~25,000 more events; a class seen this often will usually be seen at
 * least as often again. Kernel traces of a few hundred thousand events (most classes
 * seen a few thousand times) stay on the interpreter, multi-million-event traces switch
 * in their first percent.
 */
const DEFAULT_COMPILE_AFTER = 25_000;

/**
 * The early switch: the first EARLY_CLASSES event classes of a stream class to decode
 * EARLY_AFTER events get their generated decoder then. Where a few classes make the trace
 * (the bench's LTTng-UST traces: three), they are the classes that will decode most of it,
 * and the compilation pays within the first ten thousand events; in a kernel trace they are
 * its busiest classes (sched_switch, the common syscalls), and the other hundred or so stay
 * on the interpreter as before. Measured (bench/ctf-events.ts): UST traces of 100,000 and
 * 1,000,000 events 17 and 20 ms faster, the many-threads kernel trace unchanged.
 */
const EARLY_CLASSES = 4;
const EARLY_AFTER = 100;

let compileAfterValue: number | undefined;

/**
 * Events per class decoded by the interpreter before switching to generated code:
 * `TRACEWIRE_CTF_COMPILE_AFTER` (a count; 0 = generated code from the first event;
 * `never` = interpreter only, without the early switch), else the default. Read once
 * per process.
 */
export function compileAfter(): number {
  if (compileAfterValue === undefined) {
    const raw = process.env.TRACEWIRE_CTF_COMPILE_AFTER;
    if (raw === 'never') compileAfterValue = Infinity;
    else if (raw !== undefined && /^\d+$/.test(raw)) compileAfterValue = Number(raw);
    else compileAfterValue = DEFAULT_COMPILE_AFTER;
  }
  return compileAfterValue;
}

/** Overrides compileAfter() for this process (tests compare the two tiers). */
export function setCompileAfter(n: number | undefined): void {
  compileAfterValue = n;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60);
}

/**
 * The per-stream-class decoders (packet header/context, event header and common context)
 * serve every packet or event of their stream, so there are few of them and they are hot
 * at once: measured, they are best generated from the start. Only with `never` (tests of
 * the interpreter) are they interpreted too.
 */
function interpretScopes(): boolean {
  return compileAfter() === Infinity;
}

/** A scope decoder (packet header/context): generated, or interpreted under `never`. */
function scopeDecoder(name: string, fc: StructClass, what: string): ScopeDecoder {
  if (!interpretScopes()) return compileScope(name, fc, what, helpers);
  const node = prepareNode(fc, what);
  return (st) => decode(st, node) as Record<string, unknown> | null;
}

export class StreamClassDecoders {
  /** Packet context decoder, or null when the stream class has no packet context. */
  readonly packetContext: ScopeDecoder | null;
  /** Header + common context, or null when the stream class has neither. */
  readonly head: HeadDecoder | null;
  /** Event class id to use when the header carries none (single event class), else -1. */
  readonly defaultEventId: number;
  /** Dense table of event decoders by id (filled lazily by event()), or null for huge ids. */
  readonly table: Array<EventDecoder | undefined> | null;
  private readonly map: Map<number, EventDecoder> | null;
  /** Event classes that may still switch early (see EARLY_CLASSES). */
  private earlySwitches = EARLY_CLASSES;

  constructor(readonly sc: StreamClass) {
    this.packetContext = sc.packetContext ? scopeDecoder(`packet_context_${sc.id}`, sc.packetContext, 'packet context') : null;
    this.head = sc.eventHeader || sc.eventCommonContext ? headDecoder(sc) : null;
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
    const fn = this.tieredEvent(ec);
    this.install(id, fn);
    return fn;
  }

  private takeEarlySwitch(): boolean {
    if (this.earlySwitches === 0) return false;
    this.earlySwitches--;
    return true;
  }

  private install(id: number, fn: EventDecoder): void {
    if (this.table) this.table[id] = fn;
    else this.map!.set(id, fn);
  }

  private tieredEvent(ec: EventClass): EventDecoder {
    const sc = this.sc;
    const info = new EventClassInfo(ec.name, ec.id, sc.id, ec, sc);
    const limit = compileAfter();
    if (limit === 0) return compileEvent(sc, ec, info);
    const spec = ec.specificContext ? prepareNode(ec.specificContext, `event '${ec.name}' context`) : null;
    const payload = ec.payload ? prepareNode(ec.payload, `event '${ec.name}' field`) : null;
    const hasCommon = sc.eventCommonContext !== null && sc.eventCommonContext.inIr;
    const early = limit > EARLY_AFTER && limit !== Infinity;
    let calls = 0;
    return (st, pkt) => {
      if (++calls > limit || (early && calls === EARLY_AFTER && this.takeEarlySwitch())) {
        const hot = compileEvent(sc, ec, info);
        this.install(ec.id, hot);
        return hot(st, pkt);
      }
      return interpretEvent(st, pkt, info, spec, payload, hasCommon);
    };
  }
}

/** The event head decoder (header + common context): generated, or interpreted under `never`. */
function headDecoder(sc: StreamClass): HeadDecoder {
  if (!interpretScopes()) return compileHead(sc);
  const header = sc.eventHeader ? prepareNode(sc.eventHeader, 'event header') : null;
  const common = sc.eventCommonContext ? prepareNode(sc.eventCommonContext, 'event context') : null;
  return (st) => {
    if (header !== null) decode(st, header);
    st.evCycHi = st.cycHi;
    st.evCycLo = st.cycLo;
    st.ctx = common !== null ? ((decode(st, common) as FieldMap | null) ?? EMPTY_FIELDS) : EMPTY_FIELDS;
  };
}

/** The interpreted event decoder (the same steps as compileEvent's generated code). */
function interpretEvent(st: DecodeState, pkt: PacketInfo, info: EventClassInfo, spec: DecodeNode | null, payload: DecodeNode | null, hasCommon: boolean): CtfEvent {
  const s = spec !== null ? (decode(st, spec) as FieldMap | null) : null;
  const p = payload !== null ? (decode(st, payload) as FieldMap | null) : null;
  const ctx = s === null ? st.ctx! : hasCommon ? (helpers.merge(st.ctx, s) as FieldMap) : s;
  return new CtfEvent(info, pkt, st.evCycHi, st.evCycLo, ctx, p ?? EMPTY_FIELDS);
}

function compileHead(sc: StreamClass): HeadDecoder {
  const header = sc.eventHeader;
  const common = sc.eventCommonContext;
  return compile<void>(`event_head_${sc.id}`, helpers, (g) => {
    if (header) g.field(header, 'event header');
    g.emit('st.evCycHi = st.cycHi; st.evCycLo = st.cycLo;');
    if (common) {
      const v = g.field(common, 'event context');
      g.emit(`st.ctx = ${v ?? g.konst(EMPTY_FIELDS)};`);
    } else g.emit(`st.ctx = ${g.konst(EMPTY_FIELDS)};`);
    return 'undefined';
  });
}

function compileEvent(sc: StreamClass, ec: EventClass, info: EventClassInfo): EventDecoder {
  const hasCommon = sc.eventCommonContext !== null && sc.eventCommonContext.inIr;
  const fn = compile<CtfEvent>(
    `event_${safeName(ec.name)}_${ec.id}`,
    helpers,
    (g) => {
      const spec = ec.specificContext ? g.field(ec.specificContext, `event '${ec.name}' context`) : null;
      const payload = ec.payload ? g.field(ec.payload, `event '${ec.name}' field`) : null;
      const ctx = spec === null ? 'st.ctx' : hasCommon ? `H.merge(st.ctx, ${spec})` : spec;
      return `new ${g.konst(CtfEvent)}(${g.konst(info)}, pkt, st.evCycHi, st.evCycLo, ${ctx}, ${payload ?? g.konst(EMPTY_FIELDS)})`;
    },
    ['pkt'],
  );
  return fn as unknown as EventDecoder;
}

export class TraceDecoders {
  /** Packet header decoder, or null when the trace class has no packet header. */
  readonly packetHeader: ScopeDecoder | null;
  private readonly streams = new Map<number, StreamClassDecoders>();

  constructor(readonly tc: TraceClass) {
    this.packetHeader = tc.packetHeader ? scopeDecoder('packet_header', tc.packetHeader, 'packet header') : null;
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
