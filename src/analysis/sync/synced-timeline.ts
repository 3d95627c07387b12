/**
 * What other commands (events, stats, story, ui) need for `--sync`: a transform per
 * trace, and the messages of a collection merged on the synchronised time line.
 *
 * ```ts
 * const tc = openTraceCollection(paths);
 * const sync = values.sync ? timelineSync(paths, values['sync-file']) : null;
 * for (const { message, ts } of syncedMessages(tc, sync)) print(ts, message);
 * ```
 */
import { resolve } from 'node:path';
import { MinHeap } from '../../base/heap.js';
import type { TraceCollection } from '../../ctf/index.js';
import type { TraceInfo, TraceMessage } from '../../model/trace-event.js';
import { IDENTITY, transformApplier, type ClockTransform } from './clock-transform.js';
import { computeSync, type SyncOptions, type SyncResult } from './compute-sync.js';
import { openSyncHosts } from './sync-hosts.js';
import { readSyncFile } from './sync-report.js';

/** Per-trace transforms, ready to apply. */
export interface TimelineSync {
  /** The computed synchronisation, or null when read from a file. */
  readonly result: SyncResult | null;
  /** The transform of a trace (identity for a trace the synchronisation does not know). */
  transformOf(trace: TraceInfo | string): ClockTransform;
  /** A fast exact function moving that trace's timestamps onto the reference clock. */
  applierFor(trace: TraceInfo | string): (ts: bigint) => bigint;
}

/**
 * Computes the synchronisation of the hosts in `paths` (as `tracewire sync` does), or,
 * with `syncFile`, reads a saved `tracewire sync --format json` output instead.
 * Throws FormatError/UsageError like computeSync and readSyncFile.
 */
export function timelineSync(paths: readonly string[], syncFile?: string, options: SyncOptions = {}): TimelineSync {
  let result: SyncResult | null = null;
  let lookup: (path: string) => ClockTransform | undefined;
  if (syncFile !== undefined) {
    const saved = readSyncFile(syncFile);
    lookup = (p) => saved.get(p);
  } else {
    result = computeSync(openSyncHosts(paths), options);
    const r = result;
    lookup = (p) => r.transformFor(p);
  }
  const appliers = new Map<string, (ts: bigint) => bigint>();
  const transformOf = (trace: TraceInfo | string) => lookup(resolve(typeof trace === 'string' ? trace : trace.path)) ?? IDENTITY;
  return {
    result,
    transformOf,
    applierFor(trace) {
      const key = resolve(typeof trace === 'string' ? trace : trace.path);
      let f = appliers.get(key);
      if (!f) appliers.set(key, (f = transformApplier(transformOf(key))));
      return f;
    },
  };
}

/** A message with its time on the synchronised time line. */
export interface SyncedMessage {
  readonly message: TraceMessage;
  /** Event time (discarded records: `begin`, or the previous message's time) on the reference clock. */
  readonly ts: bigint;
}

interface Head {
  item: SyncedMessage;
  readonly iter: Iterator<TraceMessage>;
  readonly apply: (ts: bigint) => bigint;
  readonly order: number;
}

/**
 * All messages of `tc` in synchronised-time order: each trace is read on its own and its
 * timestamps moved onto the reference clock, then the traces are merged (ties by trace
 * order). With `sync` null this is the plain time order. Memory: one pending message per
 * trace plus the readers' windows.
 */
export function* syncedMessages(tc: TraceCollection, sync: TimelineSync | null): Generator<SyncedMessage> {
  const heap = new MinHeap<Head>((a, b) => (a.item.ts !== b.item.ts ? a.item.ts < b.item.ts : a.order < b.order));
  const pull = (h: Omit<Head, 'item'>, last: bigint): SyncedMessage | null => {
    const r = h.iter.next();
    if (r.done) return null;
    const m = r.value;
    const raw = m.kind === 'event' ? m.ts : (m.begin ?? null);
    return { message: m, ts: raw === null ? last : h.apply(raw) };
  };
  tc.traces.forEach((trace, order) => {
    const iter = tc.traceMessages(trace)[Symbol.iterator]();
    const apply = sync ? sync.applierFor(trace) : (ts: bigint) => ts;
    const head = { iter, apply, order };
    const first = pull(head, 0n);
    if (first) heap.push({ ...head, item: first });
  });
  while (heap.size > 0) {
    const top = heap.pop()!;
    yield top.item;
    const next = pull(top, top.item.ts);
    if (next) {
      top.item = next;
      heap.push(top);
    }
  }
}
