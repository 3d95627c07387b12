/**
 * CTF reader speed against babeltrace2, in the same run:
 *
 *   tracewire events --count TRACE     vs   babeltrace2 TRACE -c sink.utils.dummy
 *
 * Both decode every field of every event and print nothing. The large trace is made
 * here with LTTng user-space tracing: bench/ctf-bench-app (three tracepoints: integers,
 * strings, a double, a text array, a sequence; vpid/vtid contexts) is built with
 * lttng-gen-tp and gcc, and traced in blocking mode (no event lost) into
 * bench/output/ctf-ust-<N>/ until it holds N events (default 6,000,000, at least
 * 5,000,000). Small traces (the shared LTTng kernel trace and a 30,000-event UST trace)
 * show where start-up time dominates.
 *
 *   node --import tsx bench/ctf-events.ts [--events N] [--runs R] [--keep]
 *
 * Needs root (LTTng's root session daemon), lttng-tools, liblttng-ust-dev, gcc and
 * babeltrace2. A session daemon is started only if none runs, and stopped afterwards;
 * the tracing session has a private name and is destroyed, also on failure or Ctrl-C.
 * `--keep` reuses traces already in bench/output.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'output');
const appSrc = join(root, 'bench', 'ctf-bench-app');
const appDir = join(outDir, 'ctf-bench-app');
const tracewire = join(root, 'bin', 'tracewire.js');
const sharedTraces = join(process.env.TRACEWIRE_SHARED ?? join(root, '..', 'shared'), 'traces');

const { values } = parseArgs({ options: { events: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean' } } });
const wantEvents = Math.max(5_000_000, Number(values.events ?? 6_000_000));
const runs = Math.max(1, Number(values.runs ?? 3));
const session = `tw-bench-ctf-${process.pid}`;

let sessiondChild: ChildProcess | null = null;
let sessionCreated = false;

function fail(msg: string): never {
  cleanup();
  process.stderr.write(`bench/ctf-events: ${msg}\n`);
  process.exit(2);
}

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000 });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

function cleanup(): void {
  if (sessionCreated) {
    spawnSync('lttng', ['destroy', session], { timeout: 30_000 });
    sessionCreated = false;
  }
  if (sessiondChild && sessiondChild.exitCode === null) {
    sessiondChild.kill('SIGTERM');
    sessiondChild = null;
  }
}
process.on('SIGINT', () => fail('interrupted'));
process.on('SIGTERM', () => fail('terminated'));

function checkTools(): void {
  if (process.getuid?.() !== 0) fail('needs root (the LTTng root session daemon)');
  for (const [cmd, pkg] of [
    ['lttng', 'lttng-tools'],
    ['lttng-sessiond', 'lttng-tools'],
    ['lttng-gen-tp', 'liblttng-ust-dev'],
    ['gcc', 'gcc'],
    ['babeltrace2', 'babeltrace2'],
  ] as const) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) fail(`${cmd} is missing (apt-get install ${pkg})`);
  }
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) fail('tracewire is not built: run `node scripts/build.mjs`');
}

/** Builds the traced application with lttng-gen-tp and gcc into bench/output. */
function buildApp(): string {
  mkdirSync(appDir, { recursive: true });
  for (const f of ['tw_bench_tp.tp', 'bench-app.c']) copyFileSync(join(appSrc, f), join(appDir, f));
  sh('lttng-gen-tp', ['tw_bench_tp.tp', '-o', 'tw_bench_tp.h'], { cwd: appDir });
  sh('gcc', ['-O2', '-I.', '-o', 'bench-app', 'bench-app.c', '-llttng-ust', '-ldl', '-lpthread'], { cwd: appDir });
  return join(appDir, 'bench-app');
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Uses the running root session daemon, or starts one (as our child) for the bench. */
async function ensureSessiond(): Promise<void> {
  const alive = () => spawnSync('lttng', ['list'], { encoding: 'utf8', timeout: 10_000 }).status === 0;
  if (alive()) return;
  sessiondChild = spawn('lttng-sessiond', ['--no-kernel'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    if (alive()) return;
    if (sessiondChild.exitCode !== null) fail(`lttng-sessiond exited ${sessiondChild.exitCode}`);
  }
  fail('lttng-sessiond did not start within 10 s');
}

/** Traces `events` events of the bench app into `dir` (blocking channel: no loss). */
function makeTrace(app: string, dir: string, events: number): void {
  rmSync(dir, { recursive: true, force: true });
  const threads = 2;
  const perThread = Math.ceil(events / threads / 3) * 3;
  sh('lttng', ['create', session, '--output', dir]);
  sessionCreated = true;
  sh('lttng', ['enable-channel', '-u', 'ch', '-s', session, '--subbuf-size=4M', '--num-subbuf=8', '--blocking-timeout=inf']);
  sh('lttng', ['enable-event', '-u', 'tw_bench:*', '-c', 'ch', '-s', session]);
  sh('lttng', ['add-context', '-u', '-t', 'vpid', '-t', 'vtid', '-c', 'ch', '-s', session]);
  sh('lttng', ['start', session]);
  sh(app, [String(perThread), String(threads)], { env: { ...process.env, LTTNG_UST_ALLOW_BLOCKING: '1', LTTNG_UST_REGISTER_TIMEOUT: '10000' }, timeoutMs: 600_000 });
  sh('lttng', ['stop', session], { timeoutMs: 120_000 });
  sh('lttng', ['destroy', session], { timeoutMs: 120_000 });
  sessionCreated = false;
}

interface Counts {
  events: number;
  lost_events: number;
  lost_packets: number;
}

function tracewireCount(dir: string): Counts {
  return JSON.parse(sh('node', [tracewire, 'events', '--count', dir], { timeoutMs: 600_000 })) as Counts;
}

function traceBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name !== 'metadata' && !e.name.endsWith('.idx')) n += statSync(join(e.parentPath ?? e.path, e.name)).size;
  }
  return n;
}

/** Best wall time of `runs` runs of a command (seconds); the tools alternate to share noise. */
function time(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000 });
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).trim().split('\n').slice(-2).join(' | ')}`);
  return dt;
}

function compare(label: string, dir: string, events: number): { ratio: number } {
  let tw = Infinity;
  let bt = Infinity;
  for (let i = 0; i < runs; i++) {
    bt = Math.min(bt, time('babeltrace2', [dir, '-c', 'sink.utils.dummy']));
    tw = Math.min(tw, time('node', [tracewire, 'events', '--count', dir]));
  }
  const mb = traceBytes(dir) / 1e6;
  const fmt = (s: number) => `${s.toFixed(3)} s  ${(events / s / 1e6).toFixed(2)} M events/s  ${(mb / s).toFixed(0)} MB/s`;
  const ratio = bt / tw;
  process.stdout.write(`\n${label}: ${events.toLocaleString('en-US')} events, ${mb.toFixed(1)} MB (best of ${runs})\n`);
  process.stdout.write(`  tracewire events --count          ${fmt(tw)}\n`);
  process.stdout.write(`  babeltrace2 -c sink.utils.dummy   ${fmt(bt)}\n`);
  process.stdout.write(`  ratio: tracewire is ${ratio.toFixed(2)}× babeltrace2's speed\n`);
  return { ratio };
}

async function main(): Promise<void> {
  checkTools();
  mkdirSync(outDir, { recursive: true });
  const big = join(outDir, `ctf-ust-${wantEvents}`);
  const small = join(outDir, 'ctf-ust-30000');
  const need = (dir: string, n: number) => !values.keep || !existsSync(dir) || tracewireCount(dir).events !== n;
  const perThreadRounded = (n: number) => Math.ceil(n / 2 / 3) * 3 * 2;
  if (need(big, perThreadRounded(wantEvents)) || need(small, perThreadRounded(30_000))) {
    const app = buildApp();
    await ensureSessiond();
    process.stdout.write(`tracing ${wantEvents.toLocaleString('en-US')} events with LTTng-UST into ${big} …\n`);
    makeTrace(app, big, wantEvents);
    makeTrace(app, small, 30_000);
  }
  for (const [dir, n] of [
    [big, perThreadRounded(wantEvents)],
    [small, perThreadRounded(30_000)],
  ] as const) {
    const c = tracewireCount(dir);
    if (c.events !== n || c.lost_events !== 0 || c.lost_packets !== 0) fail(`${dir}: expected ${n} events and no loss, tracewire counts ${JSON.stringify(c)}`);
  }
  cleanup();

  const results: Array<[string, number]> = [];
  results.push(['large UST trace', compare('large UST trace', big, perThreadRounded(wantEvents)).ratio]);
  results.push(['small UST trace', compare('small UST trace', small, perThreadRounded(30_000)).ratio]);
  const kernel = join(sharedTraces, 'lttng', 'many-threads');
  if (existsSync(kernel)) results.push(['LTTng kernel trace (many-threads)', compare('LTTng kernel trace (many-threads)', kernel, tracewireCount(kernel).events).ratio]);
  let nodeStart = Infinity;
  for (let i = 0; i < runs; i++) nodeStart = Math.min(nodeStart, time('node', ['-e', '0']));
  process.stdout.write(`\nNode.js start-up alone (node -e 0): ${nodeStart.toFixed(3)} s — the floor of any tracewire run\n`);
  process.stdout.write('\nsummary (tracewire speed / babeltrace2 speed):\n');
  for (const [label, r] of results) process.stdout.write(`  ${label.padEnd(36)} ${r.toFixed(2)}×\n`);
  const target = results[0]![1] >= 3 ? 'met' : 'NOT met';
  process.stdout.write(`target ≥ 3× on ≥ 5 M events: ${target}\n`);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
