/**
 * `tracewire events --count`: decode every field of every event (the same decoding as
 * printing them) and report totals instead of the events.
 */
import type { CtfEvent, MessageOptions, TraceCollection } from '../index.js';

export interface EventCounts {
  events: number;
  lost_events: number;
  lost_packets: number;
  /** Discarded-event/packet records (a loss with an unknown count counts here only). */
  discarded_records: number;
  traces: number;
  streams: number;
  /** First and last event time, ns from origin (null without events or clocks). */
  first_ts: string | null;
  last_ts: string | null;
}

/** Counts the messages of `tc` (all of them, or the first `limit`). */
export function countMessages(tc: TraceCollection, opts: MessageOptions = {}, limit?: number): EventCounts {
  const counts: EventCounts = { events: 0, lost_events: 0, lost_packets: 0, discarded_records: 0, traces: tc.traces.length, streams: 0, first_ts: null, last_ts: null };
  for (const t of tc.ctfTraces) counts.streams += t.streams.length;
  const it = tc.messages(opts);
  let first: CtfEvent | null = null;
  let last: CtfEvent | null = null;
  let n = 0;
  for (;;) {
    if (limit !== undefined && n >= limit) break;
    const m = it.nextMessage();
    if (m === null) break;
    n++;
    if (m.kind === 'event') {
      counts.events++;
      if (m.hasTimestamp) {
        first ??= m;
        last = m;
      }
    } else {
      counts.discarded_records++;
      if (m.count !== null) {
        if (m.kind === 'discarded_events') counts.lost_events += m.count;
        else counts.lost_packets += m.count;
      }
    }
  }
  it.return();
  if (first !== null && last !== null) {
    counts.first_ts = first.ts.toString();
    counts.last_ts = last.ts.toString();
  }
  return counts;
}
