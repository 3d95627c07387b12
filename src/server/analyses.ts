/**
 * Adapter between the UI and the analyses it shows: the packet ↔ kernel correlation
 * (links, process column, sockets, flow-graph steps) and — when their modules are
 * present — the kernel state model and the story. The UI never computes these itself.
 */
import { analyzeDataset } from '../analysis/correlate/index.js';
import { buildDataset } from '../bundle/index.js';
import { describeError } from '../base/errors.js';
import { CorrelationView } from './correlation-adapter.js';
import { yieldToEventLoop, type ProgressTracker } from './progress.js';
import type { UiDataset } from './dataset.js';

export interface Analyses {
  /** The kernel state model adapter, or null when the inputs have no kernel trace. */
  kernel: null;
  story: null;
  correlation: CorrelationView | null;
  /** Why a view is empty (e.g. "no kernel trace among the inputs"). */
  notes: string[];
}

/** Runs the kernel model, correlation and story over the dataset. */
export async function loadAnalyses(d: UiDataset, progress: ProgressTracker): Promise<Analyses> {
  const notes: string[] = [];
  const out: Analyses = { kernel: null, story: null, correlation: null, notes };
  if (!d.traces) notes.push('no kernel trace among the inputs: Threads, Resources and Sockets need one');
  // Correlation needs one kernel trace and/or one capture opened as a dataset.
  if (d.traces || d.inputs.captures.length) {
    progress.update('correlation', { state: 'running', label: 'Correlating packets with kernel events' });
    await yieldToEventLoop();
    try {
      const ds = buildDataset(d.inputs.paths);
      const analysis = analyzeDataset(ds);
      out.correlation = new CorrelationView(analysis, d.base, d.events, d.packets);
      notes.push(...analysis.correlation.notes);
      const st = analysis.correlation.stats;
      progress.update('correlation', { state: 'done', done: 1, total: 1, label: `Correlated ${st.framesMatched} of ${st.frames} packets with kernel events` });
    } catch (err) {
      notes.push(`correlation failed: ${describeError(err)}`);
      progress.update('correlation', { state: 'failed', note: describeError(err), label: 'Correlation failed' });
    }
  }
  return out;
}

/** Declares the analyses' progress tasks up front, so the page lists them all. */
export function declareAnalyses(d: UiDataset, progress: ProgressTracker): void {
  if (d.traces || d.inputs.captures.length) progress.add('correlation', 'Correlating packets with kernel events');
}
