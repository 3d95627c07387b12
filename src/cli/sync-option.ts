/**
 * `--sync` and `--sync-file FILE`: `events` merges several hosts on one clock; `stats`,
 * `sockets` and `story` read one host and take `--sync-file` to report its times on the
 * reference host's clock. Every trace's timestamps are moved
 * onto the reference host's clock before anything is read, so merging, time filters and
 * the analyses all work on one synchronised time line.
 */
import { UsageError } from '../base/errors.js';
import { isIdentity, timelineSync } from '../analysis/sync/index.js';
import type { OpenOptions } from '../ctf/index.js';

/** The option declarations to spread into a command's parseCommandArgs spec. */
export const SYNC_OPTIONS = {
  sync: { type: 'boolean' },
  'sync-file': { type: 'string' },
} as const;

/** For commands that read one host (stats, sockets, story): only a saved synchronisation. */
export const SYNC_FILE_OPTION = {
  'sync-file': { type: 'string' },
} as const;

export const SYNC_FILE_HELP = `  --sync-file F       times on the reference host's clock, from a saved
                      \`tracewire sync --format json\` output over this and other hosts`;

/** The lines to put in a command's --help. */
export const SYNC_HELP = `  --sync          put every host's traces on the first host's clock, synchronised from
                  the TCP segments both sides saw (as \`tracewire sync\` computes it)
  --sync-file F   the same with a saved \`tracewire sync --format json\` output`;

/**
 * The clock transforms the flags ask for (undefined without them), ready for
 * openTraceCollection's `clockTransform`. Computing them reads the traces once more.
 */
export function syncClockTransform(command: string, values: { sync?: boolean; 'sync-file'?: string }, paths: readonly string[]): OpenOptions['clockTransform'] {
  if (!values.sync && values['sync-file'] === undefined) return undefined;
  if (values.sync && values['sync-file'] !== undefined) throw new UsageError(`${command}: give --sync or --sync-file, not both`);
  const sync = timelineSync(paths, values['sync-file']);
  if (sync.result && sync.result.hosts.length < 2) throw new UsageError(`${command}: --sync needs the traces of at least two hosts; ${paths.join(', ')} hold one`);
  return (trace) => (isIdentity(sync.transformOf(trace)) ? null : sync.applierFor(trace));
}
