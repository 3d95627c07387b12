/**
 * `tracewire events --count` on several cores: the streams are shared out between this
 * thread and worker threads (src/cli/count-worker.ts), each decodes every event of its
 * streams, and the parts are added up. Counting does not need the events in time order,
 * so the streams are independent; the totals are the same as on one thread (a test
 * compares them on every shared trace).
 *
 * A worker costs ~20–30 ms before it decodes anything (a V8 isolate, the reader's modules,
 * opening the traces again — the metadata comes from the cache) and then warms up its own
 * JIT, so it is only worth starting for tens of megabytes of streams (BYTES_PER_THREAD),
 * and this thread, which starts at once, takes a head start's worth more. If anything fails anywhere, the caller counts again on one thread, so
 * a damaged trace reports exactly the error and position it does without workers.
 */
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TraceCollection } from '../ctf/index.js';
import { addCounts, allStreams, countStreams, type EventCounts, type PartialCounts, type StreamRef } from '../ctf/format/count.js';

/**
 * Streams of at least this many bytes per thread make a worker pay for its start:
 * measured on 2 cores, a worker slows down an 8 MB kernel trace (the decoder's JIT
 * warm-up is most of its time, and V8's compiler and GC threads already use the second
 * core) and halves the decoding time of a 230 MB one.
 */
const BYTES_PER_THREAD = 32 * 1024 * 1024;
/** BYTES_PER_THREAD, or TRACEWIRE_COUNT_THREAD_BYTES (tests make workers count small traces). */
function bytesPerThread(): number {
  const v = process.env.TRACEWIRE_COUNT_THREAD_BYTES;
  return v !== undefined && /^\d+$/.test(v) ? Math.max(1, Number(v)) : BYTES_PER_THREAD;
}

/** What this thread decodes while a worker starts (bytes), so it takes that much more. */
const WORKER_START_BYTES = 1536 * 1024;

export interface WorkerJob {
  readonly paths: readonly string[];
  readonly streams: readonly StreamRef[];
}

export type WorkerReply = { readonly counts: PartialCounts } | { readonly error: string };

/** Threads to use when the user did not say: the cores, at most 8. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/**
 * Shares `sized` streams out to `threads` groups by size, largest first into the least
 * loaded group (the classic LPT rule); group 0 is this thread's and starts with the
 * head start a worker needs.
 */
function shareStreams(sized: ReadonlyArray<{ ref: StreamRef; bytes: number }>, threads: number): StreamRef[][] {
  const groups = Array.from({ length: threads }, () => ({ load: 0, refs: [] as StreamRef[] }));
  groups[0]!.load = -WORKER_START_BYTES;
  for (const s of [...sized].sort((a, b) => b.bytes - a.bytes)) {
    let g = groups[0]!;
    for (const c of groups) if (c.load < g.load) g = c;
    g.refs.push(s.ref);
    g.load += s.bytes;
  }
  // streams keep their collection order inside a group (deterministic reading order)
  return groups.map((g) => g.refs.sort((a, b) => a[0] - b[0] || a[1] - b[1])).filter((refs, i) => i === 0 || refs.length > 0);
}

/**
 * Counts `tc` (opened from `paths`, without a clock transform) on up to `threads`
 * threads. Returns null when one thread is best (small traces, one stream, threads ≤ 1)
 * or when anything failed: the caller then counts on one thread.
 */
export async function countInParallel(tc: TraceCollection, paths: readonly string[], threads: number): Promise<EventCounts | null> {
  const refs = allStreams(tc);
  if (threads <= 1 || refs.length < 2) return null;
  const sized = refs.map((ref) => ({ ref, bytes: tc.ctfTraces[ref[0]]!.streams[ref[1]]!.files.reduce((n, f) => n + statSync(f).size, 0) }));
  const total = sized.reduce((n, s) => n + s.bytes, 0);
  const n = Math.min(threads, refs.length, Math.floor(total / bytesPerThread()));
  if (n <= 1) return null;
  const [mine, ...theirs] = shareStreams(sized, n);
  // loaded only here, so small traces never pay for it; required, not import()ed: the
  // bundled command runs in a vm.Script, which has no dynamic import
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const workers = theirs.map((streams) => new Worker(new URL('./count-worker.js', import.meta.url), { workerData: { paths, streams } satisfies WorkerJob }));
  const replies = workers.map(
    (w) =>
      new Promise<PartialCounts | null>((resolve) => {
        w.once('message', (r: WorkerReply) => resolve('counts' in r ? r.counts : null));
        w.once('error', () => resolve(null));
        w.once('exit', () => resolve(null));
      }),
  );
  let own: PartialCounts | null;
  try {
    own = countStreams(tc, mine!);
  } catch {
    own = null; // counted again on one thread, which reports the error
  }
  const parts = own === null ? null : await Promise.all(replies);
  await Promise.all(workers.map((w) => w.terminate()));
  if (own === null || parts === null || parts.some((p) => p === null)) return null;
  return addCounts(tc, [own, ...(parts as PartialCounts[])]);
}
