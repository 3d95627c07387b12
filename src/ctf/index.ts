/**
 * tracewire's CTF reader: LTTng and other CTF 1.8 traces, and CTF 2 traces.
 *
 * ```ts
 * const tc = openTraceCollection(['/path/to/lttng/session']);
 * for (const m of tc.messages()) {
 *   if (m.kind === 'event') console.log(m.ts, m.name, m.payload);
 *   else console.log(m.kind, m.count);
 * }
 * ```
 *
 * Pipeline: `metadata/` (TSDL lexer → parser → resolver, or CTF 2 JSON) builds a trace
 * class model; `decode/` generates a decoder per event class; `stream/` reads packets
 * and yields messages; `collection.ts` merges streams by time.
 */
import type { TraceInfo, TraceMessage } from '../model/trace-event.js';
import { createReaders, MergedMessages, type MessageOptions } from './collection.js';
import type { EventClass, StreamClass, TraceClass } from './metadata/model.js';
import { loadTraces, type CtfTrace } from './trace-discovery.js';
import type { StreamInfo } from './stream/messages.js';
import { packetIndex, type PacketIndex } from './stream/packet-index.js';

export { MergedMessages, type MessageOptions } from './collection.js';
export type { CtfTrace, StreamDescriptor } from './trace-discovery.js';
export { CtfEvent, CtfDiscarded, type CtfMessage, EventClassInfo, PacketInfo, StreamInfo, ClockConverter } from './stream/messages.js';
export type * from './metadata/model.js';
export { readMetadata, decodeMetadata } from './metadata/metadata-file.js';
export { packetIndex, readLttngIndex, scanPacketIndex, type PacketIndex, type PacketIndexEntry } from './stream/packet-index.js';

/** Options of openTraceCollection (none are required). */
export interface OpenOptions {
  /**
   * Called for each trace directory found, before its streams are read; return false to
   * leave it out (e.g. keep only the kernel trace of a session).
   */
  readonly filter?: (dir: string, metadata: TraceClass) => boolean;
  /**
   * Clock synchronisation (`--sync`): per trace, a function moving its timestamps (ns
   * from origin) onto the reference clock, or null to keep the trace's own clock. Every
   * time the collection gives (events, losses, begin/end filters, the merge order) is
   * then on the synchronised time line.
   */
  readonly clockTransform?: (trace: TraceInfo) => ((ns: bigint) => bigint) | null;
}

/** A set of traces read as one timeline. */
export interface TraceCollection {
  /** The traces, in a stable order (sorted trace directory paths). */
  readonly traces: readonly TraceInfo[];
  /** Per trace: metadata (event classes, fields, clocks, env), directories and streams. */
  readonly ctfTraces: readonly CtfTrace[];
  /**
   * All events and discarded-event/packet records of all traces in timestamp order (ties
   * broken by trace then stream order). Each call starts a new pass; iteration streams
   * the files with bounded memory. Throws FormatError (file, byte offset, reason) when it
   * reaches damaged data, after having yielded every message before the damage.
   */
  messages(opts?: MessageOptions): MergedMessages;
  /** Like messages(), for one trace only (e.g. per-host processing before clock sync). */
  traceMessages(trace: number | TraceInfo, opts?: MessageOptions): MergedMessages;
  /** The event class of an event name in a trace (first match), with its field classes. */
  eventClass(trace: number | TraceInfo, name: string): EventClass | undefined;
  /** The stream classes of a trace, by id. */
  streamClasses(trace: number | TraceInfo): ReadonlyMap<number, StreamClass>;
  /**
   * The packets of each stream of a trace, file by file: from LTTng's `index/*.idx` when
   * present and consistent with the data, else read from the packet headers (a few bytes
   * per packet). Times are raw clock values; `stream.clock?.toNs()` converts them.
   * Throws FormatError on a damaged packet header.
   */
  packetIndex(trace: number | TraceInfo): Array<{ readonly stream: StreamInfo; readonly files: PacketIndex[] }>;
}

/**
 * Opens the CTF traces found under `paths`. A path may be a trace directory (holding a
 * `metadata` file), a directory containing several traces at any depth (an LTTng session
 * with `kernel/` and `ust/...`, a tracewire bundle, rotation chunks — same-UUID traces
 * are merged like babeltrace2 does), or a `metadata` file.
 *
 * Reads every metadata file and the first packet header of every data file now, so
 * damaged metadata or unreadable streams fail here with a FormatError naming the file and
 * byte offset; a path without any trace throws a FormatError too. Events are decoded
 * lazily by `messages()`.
 */
export function openTraceCollection(paths: string[], options: OpenOptions = {}): TraceCollection {
  let traces = loadTraces(paths);
  if (options.filter) {
    traces = traces.filter((t) => t.dirs.some((d) => options.filter!(d, t.metadata)));
    traces.forEach((t, i) => ((t.info as { index: number }).index = i));
  }
  if (options.clockTransform) {
    for (const t of traces) {
      const f = options.clockTransform(t.info);
      if (f) for (const s of t.streams) if (s.info.clock) s.info.clock.transform = f;
    }
  }
  const pick = (trace: number | TraceInfo): CtfTrace => {
    const i = typeof trace === 'number' ? trace : trace.index;
    const t = traces[i];
    if (!t) throw new RangeError(`no trace ${i} in this collection`);
    return t;
  };
  return {
    traces: traces.map((t) => t.info),
    ctfTraces: traces,
    messages: (opts = {}) => new MergedMessages(createReaders(traces, opts), opts),
    traceMessages: (trace, opts = {}) => new MergedMessages(createReaders([pick(trace)], opts), opts),
    eventClass(trace, name) {
      for (const sc of pick(trace).metadata.streamClasses.values()) for (const ec of sc.eventClasses.values()) if (ec.name === name) return ec;
      return undefined;
    },
    streamClasses: (trace) => pick(trace).metadata.streamClasses,
    packetIndex(trace) {
      const t = pick(trace);
      return t.streams.map((s) => ({ stream: s.info, files: s.files.map((f) => packetIndex(f, t.decoders, t.uuidBytes, s.streamClass.id)) }));
    },
  };
}

export type { TraceMessage };
