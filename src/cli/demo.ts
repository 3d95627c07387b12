/**
 * `tracewire demo` — the seed experiment in one command: two hosts in network namespaces,
 * ncat server and client, recording on both, the story of the server, the UI. With
 * `--fallback-sample` (what `npm start` runs) a machine that cannot record shows the
 * committed sample bundle instead, after one line saying why.
 */
import { relative } from 'node:path';
import { parseCommandArgs, portOption } from '../base/args.js';
import { PrivilegeError, UsageError } from '../base/errors.js';
import { LineWriter } from '../base/output.js';
import { cannotRecordReason, readDemoJson, runDemo, sampleBundleDir, storyOfBundle, storyText } from '../demo/index.js';
import type { Story } from '../analysis/story/index.js';
import { startUiServer } from '../server/index.js';

export const help = `Usage: tracewire demo [-o DIR] [--no-ui] [--real-ncat] [--keep]
                      [--fallback-sample] [--sample] [--port N]

Runs the seed's experiment end to end and tells what the kernel did:

  1. creates two hosts — network namespaces tw-demo-PID-TAG-srv and -cli, joined by a
     veth pair: eth0 10.77.0.1/24 (server) and eth0 10.77.0.2/24 (client);
  2. records kernel events (ftrace, no modules) and packets on both hosts;
  3. server host: ncat --listen 10.77.0.1 5000; client host: ncat 10.77.0.1 5000;
  4. the server types "Hello" (6 bytes), the client answers with a line;
  5. the client host aborts the connection (RST,ACK, as in the seed), the server exits;
  6. stops recording, analyses, prints the story of the server process (stdout);
  7. serves the web UI on the bundle at http://127.0.0.1:PORT/ until Ctrl-C.

Progress goes to stderr. Namespaces, veth, processes and the tracefs instance are
removed on every path, Ctrl-C included.

Options:
  -o, --output DIR     bundle directory (default ./tracewire-demo-YYYYMMDD-HHMMSS)
      --no-ui          print the story and exit, without the web UI
      --real-ncat      run nmap's ncat (Debian's ncat package) instead of tracewire's
      --keep           keep the namespaces afterwards, for inspection
      --fallback-sample  where this machine cannot record (not root, no tracefs, no
                       network namespaces), say why in one line and show the sample
                       bundle shipped in samples/ instead (npm start does this)
      --sample         show the sample bundle without recording
      --port N         port for the web UI (default: a free port)
  -h, --help           this help

Needs root and tracefs to record. Exit status: 0 done, 1 a step of the experiment or
the analysis failed (the bundle keeps what was recorded), 2 cannot record here or bad
usage, 130 interrupted.
`;

function defaultDir(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `tracewire-demo-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

const log = (line: string): void => {
  process.stderr.write(`tracewire demo: ${line}\n`);
};

function printStory(story: Story): void {
  const out = new LineWriter();
  out.write(storyText(story));
  out.flush();
}

/** Serves the UI on `bundleDir` until SIGINT/SIGTERM/SIGHUP. */
async function serveUi(bundleDir: string, port: number | undefined): Promise<void> {
  const ui = await startUiServer([bundleDir], { port });
  process.stdout.write(`\nThe web UI on this bundle: ${ui.url}   (Ctrl-C stops it)\n`);
  void ui.loaded.then(() => {
    const err = ui.progress.snapshot().error;
    log(err ? `UI analysis failed: ${err}` : `UI ready at ${ui.url}`);
  });
  await new Promise<void>((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const stop = () => {
      for (const s of signals) process.off(s, stop);
      resolve();
    };
    for (const s of signals) process.on(s, stop);
  });
  await ui.close();
}

/**
 * Prints the story of the sample bundle and serves it. `why` (a machine that cannot
 * record) becomes the one line saying what is shown instead.
 */
async function showSample(ui: boolean, port: number | undefined, why?: string): Promise<number> {
  const dir = sampleBundleDir();
  const demo = readDemoJson(dir);
  const what = `the sample bundle ${relative(process.cwd(), dir) || dir}, recorded with \`tracewire demo${demo?.ncat === 'nmap' ? ' --real-ncat' : ''}\``;
  log(why ? `cannot record here — ${why.replace(/^demo: /, '')}; showing ${what} instead` : `showing ${what}`);
  printStory(storyOfBundle(dir, demo?.server.pid ?? null));
  if (ui) await serveUi(dir, port);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('demo', argv, {
    output: { type: 'string', short: 'o' },
    'no-ui': { type: 'boolean' },
    'real-ncat': { type: 'boolean' },
    keep: { type: 'boolean' },
    'fallback-sample': { type: 'boolean' },
    sample: { type: 'boolean' },
    port: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`demo: unexpected argument '${positionals[0]}' (see \`tracewire demo --help\`)`);
  const port = portOption('demo', 'port', values.port);
  const ui = values['no-ui'] !== true;
  if (values.sample) return showSample(ui, port);

  const fallback = (why: string): Promise<number> => showSample(ui, port, why);
  const reason = cannotRecordReason();
  if (reason) {
    if (values['fallback-sample']) return fallback(reason);
    throw new PrivilegeError(`demo: ${reason}`);
  }

  // The demo types on the server's stdin: in the trace that wakeup then reads
  // "tracewire", not "node".
  process.title = 'tracewire';
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping, cleaning up…`);
    controller.abort(sig);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  let result;
  try {
    result = await runDemo({
      outDir: values.output ?? defaultDir(),
      realNcat: values['real-ncat'] === true,
      keep: values.keep === true,
      signal: controller.signal,
      onProgress: log,
    });
  } catch (err) {
    // Namespaces refused (a container without CAP_SYS_ADMIN…): nothing was recorded.
    if (err instanceof PrivilegeError && values['fallback-sample'] && !controller.signal.aborted) return fallback(err.message);
    throw err;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  // A signal during the analysis (synchronous) is seen only now.
  if (result.interrupted || controller.signal.aborted) {
    log(`interrupted; what was recorded is in ${result.bundleDir}`);
    return 130;
  }
  if (result.sessionError) {
    log(`${result.sessionError.replace(/^demo: /, '')}; what was recorded is in ${result.bundleDir}`);
    return 1;
  }
  if (!result.story) {
    log(`the story could not be told: ${result.storyError ?? 'no story'}; the bundle is ${result.bundleDir}`);
    if (!ui) return 1;
  } else {
    printStory(result.story);
  }
  log(`bundle: ${result.bundleDir} (tracewire story ${result.bundleDir}, tracewire ui ${result.bundleDir})`);
  if (ui) await serveUi(result.bundleDir, port);
  return result.story ? 0 : 1;
}
