/**
 * `tracewire ui PATH...` — serves the web UI over bundles, CTF traces and captures on
 * 127.0.0.1 (a free port unless --port), prints the URL, shows the analyses' progress on
 * stderr and runs until Ctrl-C.
 */
import { parseCommandArgs, portOption } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { startUiServer, type ProgressSnapshot } from '../server/index.js';

export const help = `Usage: tracewire ui PATH... [--port N] [--host ADDR] [--quiet]

Opens the web UI on one or more inputs: a recorder bundle (kernel trace + packets,
linked), a CTF trace (LTTng kernel/UST, CTF 1.8 or 2) or a pcap/pcapng capture.
Prints the URL (http://127.0.0.1:PORT/) at once, then analyses the inputs while the
page shows the progress. Stop with Ctrl-C.

Views: Threads (like Trace Compass's Control Flow), Resources (CPUs, IRQs, softirqs),
Events, Packets (list + detail tree), Flow graph, Story and Sockets — one time cursor
and selection across all of them, kept in the URL.

Options:
  --port N       port to listen on (default: a free port)
  --host ADDR    address to bind (default 127.0.0.1; anything else exposes your traces
                 to the network)
  -q, --quiet    no progress on stderr
  -h, --help     this help

Keys in the page: W/S zoom in/out, A/D pan, wheel over the time ruler (or Ctrl+wheel)
zooms, drag pans, Shift+drag selects a range, Z zooms to the selection, 0 shows all,
/ searches, ? lists every key.
`;

function progressLine(s: ProgressSnapshot): string {
  return s.tasks
    .filter((t) => t.state === 'running' || t.state === 'done')
    .map((t) => (t.state === 'running' && t.total > 0 ? `${t.label} ${Math.floor((100 * t.done) / t.total)}%` : t.label))
    .join(' · ');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('ui', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (positionals.length === 0) throw new UsageError('ui: expected at least one PATH (a bundle, a CTF trace or a capture); see `tracewire ui --help`');
  const port = portOption('ui', 'port', values.port);
  const quiet = values.quiet === true;
  const tty = process.stderr.isTTY === true;
  let lastLine = '';
  const ui = await startUiServer(positionals, {
    port,
    host: values.host,
    onProgress: quiet
      ? undefined
      : (s) => {
          const line = progressLine(s);
          if (!line || line === lastLine) return;
          lastLine = line;
          // On a terminal, one line rewritten in place; in a log, only finished steps.
          if (tty) process.stderr.write(`\r\x1b[K${line}${s.ready ? '\n' : ''}`);
          else if (s.ready || s.tasks.some((t) => t.state === 'done')) process.stderr.write(`${line}\n`);
        },
  });
  process.stdout.write(`tracewire ui: ${ui.url}\n`);
  void ui.loaded.then(() => {
    const err = ui.progress.snapshot().error;
    if (err) process.stderr.write(`tracewire ui: analysis failed: ${err}\n`);
    else if (!quiet) process.stderr.write(`tracewire ui: ready — ${ui.url}\n`);
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await ui.close();
  return 0;
}
