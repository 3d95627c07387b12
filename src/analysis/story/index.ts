/**
 * The story of a connection (`tracewire story`): the seed's numbered list, automatic and
 * with numbers.
 *
 * ```ts
 * const ds = buildDataset(['bundle-dir']);
 * const story = buildStory(ds, { port: 5000 });
 * process.stdout.write(renderStory(story, 'text'));
 * ```
 */
import type { Dataset } from '../../bundle/types.js';
import { analyzeDataset, type DatasetAnalysis } from '../correlate/index.js';
import { buildStoryFromAnalysis } from './builder.js';
import { renderJson, renderMarkdown, renderText } from './render.js';
import type { Story, StoryFilter } from './types.js';

export type * from './types.js';
export { buildStoryFromAnalysis } from './builder.js';
export { listConnections, pickConnection, parseConnArg, type ConnectionInfo } from './connections.js';
export { renderText, renderMarkdown, renderJson, storyJson } from './render.js';
export { buildDataset } from '../../bundle/index.js';

/**
 * Analyses `dataset` (one pass over the kernel trace, frame matching, wakeups; a second
 * pass for the subject's syscalls) and builds the story `filter` selects. Throws
 * UsageError when the filter matches nothing.
 */
export function buildStory(dataset: Dataset, filter: StoryFilter = {}): Story {
  return buildStoryFromAnalysis(analyze(dataset), filter);
}

/** The analysis a story is built from (exposed so a caller can build several stories from one). */
export function analyze(dataset: Dataset): DatasetAnalysis {
  return analyzeDataset(dataset);
}

/** Renders a story in one of the output formats. */
export function renderStory(story: Story, format: 'text' | 'markdown' | 'json'): string {
  if (format === 'markdown') return renderMarkdown(story);
  if (format === 'json') return renderJson(story);
  return renderText(story);
}
