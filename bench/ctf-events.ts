/**
 * CTF reader speed against babeltrace2, in the same run:
 *
 *   tracewire events --count TRACE     vs   babeltrace2 TRACE -c sink.utils.dummy
 *
 * Both decode every field of every event and print nothing. tracewire shares the
 * streams of a trace of 64 MB or more among worker threads (`--threads`, default: the
 * cores); babeltrace2 runs on one thread, so every case is also timed with
 * `--threads 1`, and both ratios are printed. The cases go from a
 * multi-million-event trace, where decoding speed is all that counts (target: ≥ 3× the
 * events/s of babeltrace2 on ≥ 5 M events), down to traces of a few thousand events,
 * where start-up decides (target: never slower, where Node.js's own start-up leaves room):
 *
 *  - large UST trace: made here with LTTng user-space tracing: bench/ctf-bench-app (three
 *    tracepoints: integers, strings, a double, a text array, a sequence; vpid/vtid
 *    contexts) is built with lttng-gen-tp and gcc, and traced in blocking mode (no event
 *    lost) into bench/output/ctf-ust-<N>/ until it holds N events (default 6,000,000,
 *    at least 5,000,000);
 *  - UST traces of 30,000, 50,000, 70,000, 100,000, 300,000 and 1,000,000 events of the
 *    same application (where start-up and JIT warm-up weigh; the summary names the
 *    smallest of them from which tracewire is faster);
 *  - LTTng kernel trace `many-threads` (240,644 events, 300 KB of TSDL declaring 1,181
 *    event classes) and babeltrace's `multi-domains` and `succeed1` test traces, from the
 *    shared data;
 *  - the kernel trace of a `tracewire demo` bundle recorded here (the seed experiment:
 *    ~19,000 events of ~240 classes on a quiet machine — it records the whole machine),
 *    the kind of trace tracewire's users read most.
 *
 * Each tool runs R times per case (default 5, 3 on the large trace), alternating, and the
 * best time counts (the machine is shared: the load average is printed). tracewire runs
 * as users run it, the `tracewire` command (bin/tracewire.js through /bin/sh: node starts
 * without NODE_EXTRA_CA_CERTS, see README), with its caches warm (decoded metadata and
 * compiled code); the first run on an empty cache is shown separately, and for the
 * kernel trace also the first read of a new recording whose metadata declarations are
 * cached (the same trace with another hostname). Node.js's start-up (`node -e 0` in the
 * environment the command gives node) is the floor of any tracewire run: where
 * babeltrace2 finishes below it, the line says how far above the floor tracewire is.
 *
 *   node --import tsx bench/ctf-events.ts [--events N] [--runs R] [--keep] [--quick]
 *
 * `--quick`: a 1,000,000-event large trace and 3 runs (the ≥ 5 M target is then not
 * checked; the sweep stops at 300,000 events). Needs root (LTTng's root session daemon), lttng-tools, liblttng-ust-dev, gcc
 * and babeltrace2. A session daemon is started only if none runs, and stopped afterwards;
 * the tracing session has a private name and is destroyed, also on failure or Ctrl-C.
 * `--keep` reuses traces already in bench/output.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAverage, timeCommand } from './support/run.js';
import { depacketize } from '../src/ctf/metadata/metadata-file.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'output');
const appSrc = join(root, 'bench', 'ctf-bench-app');
const appDir = join(outDir, 'ctf-bench-app');
const tracewire = join(root, 'bin', 'tracewire.js');
const sharedTraces = join(process.env.TRACEWIRE_SHARED ?? join(root, '..', 'shared'), 'traces');

const { values } = parseArgs({ options: { events: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean' }, quick: { type: 'boolean' } } });
const quick = values.quick === true;
const wantEvents = quick ? Number(values.events ?? 1_000_000) : Math.max(5_000_000, Number(values.events ?? 6_000_000));
const runs = Math.max(1, Number(values.runs ?? (quick ? 3 : 5)));
const largeRuns = Math.max(1, Number(values.runs ?? 3));
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
  return JSON.parse(sh(tracewire, ['events', '--count', dir], { timeoutMs: 600_000 })) as Counts;
}

function traceBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name !== 'metadata' && !e.name.endsWith('.idx')) n += statSync(join(e.parentPath ?? e.path, e.name)).size;
  }
  return n;
}

/** Wall time of one run of a command (seconds). */
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  return timeCommand(cmd, args, fail, { env, timeoutMs: 900_000 }).seconds;
}

let coldCacheRun = 0;

/** tracewire's first run on this trace with empty caches (metadata decoded, code compiled). */
function coldRun(dir: string): number {
  const cache = join(outDir, `ctf-cold-cache-${process.pid}-${coldCacheRun++}`);
  rmSync(cache, { recursive: true, force: true });
  try {
    return time(tracewire, ['events', '--count', dir], { ...process.env, TRACEWIRE_CACHE_DIR: cache });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/**
 * The first read of a new recording by a tracer whose declarations tracewire has seen (the
 * usual case: the same kernel and tracer as the last trace): `dir` copied with another
 * hostname in its env, read with a cache that holds only the original's model. Best of
 * `n`, each a first read (the copy's own cache entries are removed between runs).
 */
function newRecordingRun(dir: string, n: number): number {
  const copy = join(outDir, `ctf-new-recording-${process.pid}`);
  const cache = join(outDir, `ctf-new-recording-cache-${process.pid}`);
  rmSync(copy, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
  try {
    cpSync(dir, copy, { recursive: true });
    chmodSync(copy, 0o755);
    const metadata = join(copy, 'metadata');
    chmodSync(metadata, 0o644);
    const text = depacketize(metadata, readFileSync(metadata)).bytes.toString('utf8');
    const renamed = text.replace(/hostname = "([^"]*)"/, 'hostname = "$1-other"');
    if (renamed === text) fail(`${dir}: no hostname in the metadata's env`);
    writeFileSync(metadata, renamed);
    const env = { ...process.env, TRACEWIRE_CACHE_DIR: cache };
    time(tracewire, ['events', '--count', dir], env); // the earlier recording's model
    let best = Infinity;
    for (let i = 0; i < n; i++) {
      for (const f of readdirSync(join(cache, 'ctf-metadata'))) if (f.startsWith('inst-')) rmSync(join(cache, 'ctf-metadata', f));
      best = Math.min(best, time(tracewire, ['events', '--count', copy], env));
    }
    return best;
  } finally {
    rmSync(copy, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
}

interface Result {
  label: string;
  events: number;
  tw: number;
  /** tracewire on one thread (`--threads 1`; the same as `tw` below 64 MB of streams). */
  tw1: number;
  bt: number;
  cold: number;
}

function compare(label: string, dir: string, events: number, n: number, floor: number): Result {
  const cold = coldRun(dir);
  time(tracewire, ['events', '--count', dir]); // fills the user's caches
  let tw = Infinity;
  let tw1 = Infinity;
  let bt = Infinity;
  for (let i = 0; i < n; i++) {
    bt = Math.min(bt, time('babeltrace2', [dir, '-c', 'sink.utils.dummy']));
    tw = Math.min(tw, time(tracewire, ['events', '--count', dir]));
    tw1 = Math.min(tw1, time(tracewire, ['events', '--count', '--threads', '1', dir]));
  }
  const mb = traceBytes(dir) / 1e6;
  const fmt = (s: number) => `${(s * 1000).toFixed(1).padStart(8)} ms  ${(events / s / 1e6).toFixed(2).padStart(6)} M events/s  ${(mb / s).toFixed(0).padStart(4)} MB/s`;
  process.stdout.write(`\n${label}: ${events.toLocaleString('en-US')} events, ${mb.toFixed(1)} MB (best of ${n}, load ${loadAverage()})\n`);
  process.stdout.write(`  tracewire events --count          ${fmt(tw)}\n`);
  process.stdout.write(`  tracewire ... --threads 1         ${fmt(tw1)}  (${(bt / tw1).toFixed(2)}× babeltrace2 on one thread, as babeltrace2 runs)\n`);
  process.stdout.write(`  babeltrace2 -c sink.utils.dummy   ${fmt(bt)}\n`);
  process.stdout.write(`  tracewire, first run, empty cache ${fmt(cold)}  (${(bt / cold).toFixed(2)}× babeltrace2)\n`);
  process.stdout.write(`  ratio: tracewire is ${(bt / tw).toFixed(2)}× babeltrace2's speed\n`);
  if (bt < floor) process.stdout.write(`  babeltrace2 finishes below Node.js's start-up (${(floor * 1000).toFixed(1)} ms): tracewire is ${((tw - floor) * 1000).toFixed(1)} ms above that floor\n`);
  return { label, events, tw, tw1, bt, cold };
}

/** The environment node gets from the `tracewire` command (see bin/tracewire.js). */
function launcherEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

async function main(): Promise<void> {
  checkTools();
  mkdirSync(outDir, { recursive: true });
  const perThreadRounded = (n: number) => Math.ceil(n / 2 / 3) * 3 * 2;
  const large = { dir: join(outDir, `ctf-ust-${wantEvents}`), asked: wantEvents, events: perThreadRounded(wantEvents) };
  const sweep = [30_000, 50_000, 70_000, 100_000, 300_000, 1_000_000]
    .filter((n) => n < wantEvents && (!quick || n < 1_000_000))
    .map((n) => ({ dir: join(outDir, `ctf-ust-${n}`), asked: n, events: perThreadRounded(n) }));
  const need = (t: { dir: string; events: number }) => !values.keep || !existsSync(t.dir) || tracewireCount(t.dir).events !== t.events;
  const missing = [large, ...sweep].filter(need);
  if (missing.length > 0) {
    const app = buildApp();
    await ensureSessiond();
    for (const t of missing) {
      process.stdout.write(`tracing ${t.asked.toLocaleString('en-US')} events with LTTng-UST into ${t.dir} …\n`);
      makeTrace(app, t.dir, t.asked);
    }
  }
  for (const t of [large, ...sweep]) {
    const c = tracewireCount(t.dir);
    if (c.events !== t.events || c.lost_events !== 0 || c.lost_packets !== 0) fail(`${t.dir}: expected ${t.events} events and no loss, tracewire counts ${JSON.stringify(c)}`);
  }
  cleanup();

  let floor = Infinity;
  let plainNode = Infinity;
  for (let i = 0; i < runs; i++) {
    floor = Math.min(floor, time('node', ['-e', '0'], launcherEnv()));
    if (process.env.NODE_EXTRA_CA_CERTS !== undefined) plainNode = Math.min(plainNode, time('node', ['-e', '0']));
  }
  process.stdout.write(`Node.js start-up alone (node -e 0): ${(floor * 1000).toFixed(1)} ms — the floor of any tracewire run (load ${loadAverage()})\n`);
  if (plainNode < Infinity) process.stdout.write(`  (${(plainNode * 1000).toFixed(1)} ms with this shell's NODE_EXTRA_CA_CERTS, which the tracewire command keeps from node's start)\n`);

  const results: Result[] = [];
  results.push(compare('large UST trace', large.dir, large.events, largeRuns, floor));
  const sweepResults = sweep.reverse().map((t) => compare(`UST trace, ${t.asked.toLocaleString('en-US')} events`, t.dir, t.events, runs, floor));
  results.push(...sweepResults);
  for (const [label, rel] of [
    ['LTTng kernel trace (many-threads)', 'lttng/many-threads'],
    ['babeltrace multi-domains', 'babeltrace/succeed/multi-domains'],
    ['babeltrace succeed1', 'babeltrace/succeed/succeed1'],
  ] as const) {
    const dir = join(sharedTraces, rel);
    if (!existsSync(dir)) continue;
    const r = compare(label, dir, tracewireCount(dir).events, runs, floor);
    results.push(r);
    if (rel === 'lttng/many-threads') {
      const fresh = newRecordingRun(dir, runs);
      process.stdout.write(`  a new recording of the same tracer, first read: ${(fresh * 1000).toFixed(1)} ms (${(r.bt / fresh).toFixed(2)}× babeltrace2; its metadata's declarations are cached)\n`);
    }
  }
  const seed = seedRecordingKernel();
  if (seed !== null) results.push(compare("tracewire's seed recording (demo)", seed, tracewireCount(seed).events, runs, floor));
  process.stdout.write(`\nsummary (tracewire speed / babeltrace2 speed; best of N, caches warm; first run with empty caches in brackets; load ${loadAverage()}):\n`);
  for (const r of results) {
    const note = r.bt < floor ? `  (babeltrace2 ${(r.bt * 1000).toFixed(1)} ms < Node.js start-up ${(floor * 1000).toFixed(1)} ms; tracewire ${(r.tw * 1000).toFixed(1)} ms)` : '';
    process.stdout.write(`  ratio ${r.label.padEnd(34)} ${(r.bt / r.tw).toFixed(2).padStart(6)}×  one thread ${(r.bt / r.tw1).toFixed(2).padStart(5)}×  [${(r.bt / r.cold).toFixed(2)}×]${note}\n`);
  }
  const big = results[0]!;
  if (quick) process.stdout.write(`target ≥ 3× on ≥ 5 M events: not checked (--quick: ${big.events.toLocaleString('en-US')} events)\n`);
  else process.stdout.write(`target ≥ 3× on ≥ 5 M events: ${big.bt / big.tw >= 3 ? 'met' : 'NOT met'} (${(big.bt / big.tw).toFixed(2)}×; on one thread ${big.bt / big.tw1 >= 3 ? 'met' : 'NOT met'}, ${(big.bt / big.tw1).toFixed(2)}×)\n`);
  // the sweep, smallest first: from which size on is tracewire faster?
  const bySize = [...sweepResults].reverse();
  const firstFaster = bySize.findIndex((r, i) => bySize.slice(i).every((q) => q.tw <= q.bt));
  if (firstFaster >= 0) process.stdout.write(`UST sweep: tracewire is faster from ${bySize[firstFaster]!.events.toLocaleString('en-US')} events up${firstFaster > 0 ? `; below, at most ${Math.max(...bySize.slice(0, firstFaster).map((r) => (r.tw - r.bt) * 1000)).toFixed(1)} ms slower` : ''}\n`);
  else process.stdout.write(`UST sweep: tracewire is slower up to ${bySize.at(-1)?.events.toLocaleString('en-US')} events\n`);
  // tracewire cannot finish before its own shortest run (Node.js's start-up, loading the
  // command, reading the metadata, exiting): a trace babeltrace2 reads faster than that is
  // faster with babeltrace2, whatever the decoder
  const slower = results.slice(1).filter((r) => r.tw > r.bt);
  const ms = (x: number) => `${(x * 1000).toFixed(1)} ms`;
  if (slower.length === 0) process.stdout.write('never slower on small traces: met on every case\n');
  else {
    const shortest = Math.min(...results.map((r) => r.tw));
    const upTo = Math.max(...slower.map((r) => r.bt));
    process.stdout.write(
      `never slower on small traces: NOT met where babeltrace2 takes up to ${ms(upTo)} (${slower.map((r) => `${r.label}: ${ms(r.tw)} vs ${ms(r.bt)}`).join('; ')}); ` +
        `tracewire's shortest run is ${ms(shortest)} (Node.js start-up alone ${ms(floor)}); faster on every case where babeltrace2 takes longer\n`,
    );
  }
}

/**
 * The kernel trace of a `tracewire demo` bundle — the seed experiment recorded on this
 * machine (ftrace, two network namespaces, ncat), ~19,000 events of ~240 classes: the
 * kind of trace tracewire's users read most. Recorded here (root and tracefs), or reused
 * with `--keep`; null, with the reason, when it cannot be recorded.
 */
function seedRecordingKernel(): string | null {
  const dir = join(outDir, 'ctf-seed-recording');
  const kernel = join(dir, 'kernel');
  if (values.keep && existsSync(join(kernel, 'metadata'))) return kernel;
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`recording the seed experiment (tracewire demo) into ${dir} …\n`);
  const r = spawnSync(tracewire, ['demo', '--no-ui', '-o', dir], { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) {
    process.stdout.write(`  (no seed recording: ${r.stderr.trim().split('\n').at(-1) ?? `exit status ${r.status}`})\n`);
    return null;
  }
  return kernel;
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
