/**
 * `tracewire ncat [options] [hostname] [port]` — a netcat compatible with nmap's ncat 7.93
 * (see src/ncat). Its output, messages and exit statuses are ncat's, not the other
 * commands' `tracewire: ...` convention, so scripts written for ncat keep working.
 */
import { NCAT_HELP } from '../ncat/help.js';
import { runNcat } from '../ncat/run-ncat.js';

export const help = NCAT_HELP;

export async function run(argv: string[]): Promise<number> {
  const status = await runNcat(argv);
  // The run has released its sockets and stdin, but a program attached with -e (which
  // ncat does not wait for) or a stdin read still in flight must not keep this process
  // alive after ncat would have exited: leave at the next turn of the event loop.
  setImmediate(() => process.exit(status));
  return status;
}
