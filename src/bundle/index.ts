/**
 * Datasets: a bundle, a kernel trace, a capture, or a trace and a capture, opened as one
 * thing with one clock (see types.ts).
 *
 * ```ts
 * const ds = buildDataset(['tracewire-20240101-120000']);
 * ds.kernel?.messages();          // kernel events
 * ds.frames[0]?.ts;               // frame 1 on the trace clock
 * ```
 */
import { openDataset, type OpenDatasetOptions } from './dataset.js';
import type { Dataset } from './types.js';

export type { Dataset, DatasetCaptureInterface, DatasetFrame, DatasetTcp } from './types.js';
export { openDataset, type OpenDatasetOptions } from './dataset.js';
export { linkFacts } from './frames.js';
export { runSeedConversation, type SeedConversationOptions, type SeedConversationResult } from './seed-conversation.js';

/** Opens `paths` as one dataset (the name the UI and story use; see openDataset). */
export function buildDataset(paths: readonly string[], options: OpenDatasetOptions = {}): Dataset {
  return openDataset(paths, options);
}
