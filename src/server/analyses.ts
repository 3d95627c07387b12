/**
 * Adapter between the UI and the analyses it shows: the kernel state model (Threads,
 * Resources) built on the server's thread with progress, and the packet ↔ kernel
 * correlation and story, which run in a worker thread (they are long synchronous passes)
 * so the page opens as soon as the timelines are ready and fills in the linked views
 * when the correlation is done. The UI never computes these analyses itself.
 */
import { describeError } from '../base/errors.js';
import { analyzeKernelAsync } from '../analysis/kernel/index.js';
import { CorrelationClient } from './correlation-client.js';
import { KernelView, KernelViews } from './kernel-adapter.js';
import type { ProgressTracker } from './progress.js';
import type { UiDataset } from './dataset.js';

export type CorrelationState = 'none' | 'running' | 'done' | 'failed';

export interface Analyses {
  /** The kernel state models' adapter, or null when the inputs have no kernel trace. */
  kernel: KernelViews | null;
  /** The correlation/story worker, or null when the inputs have neither trace nor capture. */
  correlation: CorrelationClient | null;
  correlationState: CorrelationState;
  /** Why a view is empty (e.g. "no kernel trace among the inputs"). */
  notes: string[];
}

export function emptyAnalyses(): Analyses {
  return { kernel: null, correlation: null, correlationState: 'none', notes: [] };
}

/** Declares the analyses' progress tasks up front, so the page lists them all. */
export function declareAnalyses(d: UiDataset, progress: ProgressTracker): void {
  if (d.traces) progress.add('kernel', 'Building the kernel state model', 'bytes');
  if (d.traces || d.inputs.captures.length) progress.add('correlation', 'Correlating packets with kernel events (in the background)');
}

/**
 * Starts the correlation worker at once (it reads the inputs itself, in parallel with the
 * event index), so it finishes as early as the machine allows.
 */
export function startCorrelation(d: UiDataset, progress: ProgressTracker): void {
  if (!d.traces && !d.inputs.captures.length) return;
  const a = d.analyses;
  const client = new CorrelationClient(d.inputs.paths, d.base, () => d.events, () => d.packets);
  a.correlation = client;
  a.correlationState = 'running';
  progress.update('correlation', { state: 'running', background: true });
  client.ready.then(
    (info) => {
      a.correlationState = 'done';
      a.notes.push(...info.notes);
      progress.update('correlation', { state: 'done', done: 1, total: 1, label: `Correlated ${info.stats.framesMatched} of ${info.stats.frames} packets with kernel events` });
    },
    (err: unknown) => {
      a.correlationState = 'failed';
      a.notes.push(`correlation failed: ${describeError(err)}`);
      progress.update('correlation', { state: 'failed', note: describeError(err), label: 'Correlation failed' });
    },
  );
}

/** Builds the kernel model (on this thread, yielding, with progress). */
export async function loadKernel(d: UiDataset, progress: ProgressTracker): Promise<void> {
  const a = d.analyses;
  if (!d.traces) {
    a.notes.push('no kernel trace among the inputs: Threads, Resources and Sockets need one');
    return;
  }
  progress.update('kernel', { state: 'running', unit: 'bytes' });
  // One model per kernel trace (several hosts: each on its own clock, rows named by host).
  const traces = d.traces.traces.filter((t) => t.domain === 'kernel');
  const targets = traces.length ? traces : d.traces.traces.filter((t) => t.domain === '');
  try {
    const views: KernelView[] = [];
    let threads = 0;
    let intervals = 0;
    for (const [k, trace] of targets.entries()) {
      const model = await analyzeKernelAsync(d.traces, {
        trace,
        progressInterval: 65536,
        onProgress: (p) => progress.update('kernel', { done: p.bytesDone, total: p.bytesTotal, label: `Building the kernel state model${targets.length > 1 ? ` of ${trace.hostname} (${k + 1}/${targets.length})` : ''} (${p.events.toLocaleString('en-US')} events)` }),
      });
      views.push(targets.length > 1 ? new KernelView(model, d.base, `h${k}/`, ` @${trace.hostname}`) : new KernelView(model, d.base));
      const s = model.summary();
      threads += s.threads;
      intervals += s.intervals;
    }
    if (views.length) a.kernel = new KernelViews(views);
    progress.update('kernel', { state: 'done', label: `Kernel model: ${threads} threads on ${views.length} trace${views.length === 1 ? '' : 's'}, ${intervals.toLocaleString('en-US')} intervals` });
  } catch (err) {
    a.notes.push(`kernel analysis failed: ${describeError(err)}`);
    progress.update('kernel', { state: 'failed', note: describeError(err), label: 'Kernel analysis failed' });
  }
}
