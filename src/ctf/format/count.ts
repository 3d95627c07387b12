/**
 * `tracewire events --count`: decode every field of every event and report totals
 * instead of the events. Whole packets are counted by the WebAssembly tier
 * (../decode/wasm-count/), which reads every field as the JavaScript decoder does without
 * building values; a packet it gives back (damage, a layout it does not handle) is
 * decoded event by event as for printing, so totals and errors are the same either way.
 *
 * Totals do not depend on the order of the events, so without `--limit`, `--begin` or
 * `--end` the streams are read one after the other instead of merged by time (no merge
 * heap), and a caller may count disjoint sets of streams in parallel (worker threads, see
 * src/cli/parallel-count.ts) and add the parts up with `addCounts`.
 */
import type { MessageOptions, TraceCollection } from '../index.js';
import { createStreamReaders } from '../collection.js';
import { messageNs, type CtfEvent, type CtfMessage } from '../stream/messages.js';
import type { MessageCounter } from '../stream/stream-reader.js';
import { wasmCounter } from '../decode/wasm-count/counter.js';

export interface EventCounts {
  events: number;
  lost_events: number;
  lost_packets: number;
  /** Discarded-event/packet records (a loss with an unknown count counts here only). */
  discarded_records: number;
  traces: number;
  streams: number;
  /** Earliest and latest event time, ns from origin (null without events or clocks). */
  first_ts: string | null;
  last_ts: string | null;
}

/** A stream of the collection: index of its trace, index of the stream in that trace. */
export type StreamRef = readonly [trace: number, stream: number];

/** The counts of some streams: what `countStreams` returns and `addCounts` adds up. */
export interface PartialCounts {
  events: number;
  lost_events: number;
  lost_packets: number;
  discarded_records: number;
  /** Earliest/latest event time as [hi, lo] words of ns from origin, or null. */
  first: [number, number] | null;
  last: [number, number] | null;
}

/** Counts messages one by one; the earliest/latest times are kept as number words (no bigint per event). */
class Tally implements MessageCounter {
  private events = 0;
  private lost_events = 0;
  private lost_packets = 0;
  private discarded_records = 0;
  private firstHi = Infinity;
  private firstLo = 0;
  private lastHi = -Infinity;
  private lastLo = 0;

  add(m: CtfMessage): void {
    if (m.kind === 'event') {
      this.addEvents(1, m, m);
      return;
    }
    this.discarded_records++;
    if (m.count !== null) {
      if (m.kind === 'discarded_events') this.lost_events += m.count;
      else this.lost_packets += m.count;
    }
  }

  addEvents(count: number, first: CtfEvent, last: CtfEvent): void {
    this.events += count;
    if (!first.hasTimestamp) return;
    if (first.nsHi < this.firstHi || (first.nsHi === this.firstHi && first.nsLo < this.firstLo)) {
      this.firstHi = first.nsHi;
      this.firstLo = first.nsLo;
    }
    if (last.nsHi > this.lastHi || (last.nsHi === this.lastHi && last.nsLo > this.lastLo)) {
      this.lastHi = last.nsHi;
      this.lastLo = last.nsLo;
    }
  }

  done(): PartialCounts {
    const timed = this.firstHi !== Infinity;
    return {
      events: this.events,
      lost_events: this.lost_events,
      lost_packets: this.lost_packets,
      discarded_records: this.discarded_records,
      first: timed ? [this.firstHi, this.firstLo] : null,
      last: timed ? [this.lastHi, this.lastLo] : null,
    };
  }
}

/** Every stream of `tc`, as references for `countStreams`. */
export function allStreams(tc: TraceCollection): StreamRef[] {
  const refs: StreamRef[] = [];
  tc.ctfTraces.forEach((t, i) => t.streams.forEach((_s, j) => refs.push([i, j])));
  return refs;
}

/** Counts the messages of the given streams of `tc`, each stream read to its end. */
export function countStreams(tc: TraceCollection, refs: readonly StreamRef[]): PartialCounts {
  const tally = new Tally();
  const readers = createStreamReaders(refs.map(([i, j]) => ({ t: tc.ctfTraces[i]!, s: tc.ctfTraces[i]!.streams[j]! })));
  for (const r of readers) {
    try {
      r.countRest(tally);
    } finally {
      r.close();
    }
  }
  wasmCounter()?.savePrograms();
  return tally.done();
}

/** Adds partial counts up into the totals `tracewire events --count` prints. */
export function addCounts(tc: TraceCollection, parts: readonly PartialCounts[]): EventCounts {
  const counts: EventCounts = { events: 0, lost_events: 0, lost_packets: 0, discarded_records: 0, traces: tc.traces.length, streams: 0, first_ts: null, last_ts: null };
  for (const t of tc.ctfTraces) counts.streams += t.streams.length;
  let first: bigint | null = null;
  let last: bigint | null = null;
  for (const p of parts) {
    counts.events += p.events;
    counts.lost_events += p.lost_events;
    counts.lost_packets += p.lost_packets;
    counts.discarded_records += p.discarded_records;
    if (p.first) {
      const f = messageNs({ nsHi: p.first[0], nsLo: p.first[1] });
      if (first === null || f < first) first = f;
    }
    if (p.last) {
      const l = messageNs({ nsHi: p.last[0], nsLo: p.last[1] });
      if (last === null || l > last) last = l;
    }
  }
  counts.first_ts = first === null ? null : first.toString();
  counts.last_ts = last === null ? null : last.toString();
  return counts;
}

/**
 * Counts the messages of `tc` (all of them, or the first `limit` in time order), between
 * `opts.begin` and `opts.end` when given.
 */
export function countMessages(tc: TraceCollection, opts: MessageOptions = {}, limit?: number): EventCounts {
  if (limit === undefined && opts.begin === undefined && opts.end === undefined) return addCounts(tc, [countStreams(tc, allStreams(tc))]);
  const tally = new Tally();
  const it = tc.messages(opts);
  try {
    for (let n = 0; limit === undefined || n < limit; n++) {
      const m = it.nextMessage();
      if (m === null) break;
      tally.add(m);
    }
  } finally {
    it.return();
  }
  return addCounts(tc, [tally.done()]);
}
