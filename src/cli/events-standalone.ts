/**
 * `tracewire events` without the dispatcher: the entry of dist/cli/events.bundle.cjs,
 * which bin/tracewire.js starts through fast-start.cts (CommonJS and a V8 code cache, no
 * ES module loader). `tracewire events` is the command run on small traces, where
 * start-up is most of the time.
 */
import * as events from './events.js';
import { endQuietlyOnEpipe, runCommandModule } from './run-command.js';

export function main(argv: string[]): Promise<number> {
  endQuietlyOnEpipe();
  return runCommandModule(events, argv);
}
