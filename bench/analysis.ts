/**
 * Kernel analysis speed against lttng-analyses, in the same run:
 *
 *   tracewire stats syscalls TRACE --format json   (the whole kernel model in one pass:
 *                                                   states, wakeups, syscall/irq/sched
 *                                                   statistics, fd tables and sockets)
 *   vs  lttng-syscallstats-mi TRACE                (syscall statistics only)
 *
 * The large trace is recorded here with `tracewire record` (needs root and tracefs): a
 * bounded busy workload — `dd bs=1` (4 syscall events per byte), a fork/exec loop and
 * loopback TCP connections — into bench/output/analysis-trace/ until it holds at least
 * N events (default 6,000,000; at least 5,000,000). The shared LTTng trace many-threads
 * (240,644 events) shows where start-up time dominates. The CTF reader alone
 * (`tracewire events --count`) is timed too, to show how much of the pass is reading.
 *
 *   node --import tsx bench/analysis.ts [--events N] [--runs R] [--keep]
 *
 * Wall-clock and CPU (user + system) seconds are printed for every run; ratios use the
 * best wall-clock time of each tool. `--keep` reuses a trace already in bench/output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAverage } from './support/run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'output');
const tracewire = join(root, 'bin', 'tracewire.js');
const workload = join(root, 'test', 'analysis', 'support', 'socket-workload.py');
const sharedTraces = join(process.env.TRACEWIRE_SHARED ?? join(root, '..', 'shared'), 'traces');

const { values } = parseArgs({ options: { events: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean' } } });
const wantEvents = Math.max(5_000_000, Number(values.events ?? 6_000_000));
const runs = Math.max(1, Number(values.runs ?? 3));

function fail(msg: string): never {
  process.stderr.write(`bench/analysis: ${msg}\n`);
  process.exit(2);
}

interface Timed {
  wall: number;
  cpu: number;
  stdout: string;
}

/** Runs a command under bash's `time`: wall-clock and CPU seconds of the command itself. */
function timed(cmd: string[], timeoutMs = 1_800_000): Timed {
  const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time ${quoted} 2>/dev/null`], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 30 });
  if (r.error) fail(`${cmd[0]}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  const [wall, user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wall: wall!, cpu: user! + sys!, stdout: r.stdout };
}

function countEvents(trace: string): { events: number; lost: number } {
  const r = spawnSync(tracewire, ['events', '--count', trace], { encoding: 'utf8' });
  if (r.status !== 0) fail(`tracewire events --count: ${r.stderr.trim()}`);
  const c = JSON.parse(r.stdout) as { events: number; lost_events: number };
  return { events: c.events, lost: c.lost_events };
}

function recordTrace(dir: string): void {
  if (process.getuid?.() !== 0) fail('recording the large trace needs root (tracefs)');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  const bytes = Math.ceil(wantEvents / 4) + 20_000;
  const info = join(outDir, 'analysis-workload.json');
  const script = [
    `dd if=/dev/zero of=/dev/null bs=1 count=${bytes} 2>/dev/null &`,
    'for i in $(seq 300); do /bin/true; done',
    `for i in $(seq 10); do python3 '${workload}' run '${info}'; done`,
    'wait',
  ].join('\n');
  process.stderr.write(`recording a kernel trace of ≥ ${(wantEvents / 1e6).toFixed(1)} M events into ${dir} …\n`);
  const r = spawnSync(tracewire, ['record', '-o', dir, '-q', '--no-capture', '--duration', '120', '--buffer-size', '128', '--', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  if (r.status !== 0) fail(`tracewire record exited ${r.status}`);
}

function main(): void {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) fail('tracewire is not built: run `node scripts/build.mjs`');
  for (const cmd of ['lttng-syscallstats-mi', 'bash']) if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) fail(`${cmd} is missing (apt-get install python3-lttnganalyses)`);
  const big = join(outDir, 'analysis-trace');
  if (!values.keep || !existsSync(join(big, 'kernel', 'metadata'))) recordTrace(big);
  let count = countEvents(big);
  if (count.events < 5_000_000) fail(`the recording holds ${count.events} events, fewer than 5,000,000`);
  // lttng-analyses finds the tracer version through a directory named …kernel
  const link = join(outDir, 'analysis-la', 'kernel');
  rmSync(dirname(link), { recursive: true, force: true });
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(join(big, 'kernel'), link);
  const mtLink = join(outDir, 'analysis-la-mt', 'kernel');
  rmSync(dirname(mtLink), { recursive: true, force: true });
  mkdirSync(dirname(mtLink), { recursive: true });
  symlinkSync(join(sharedTraces, 'lttng', 'many-threads'), mtLink);

  const load = loadAverage();
  process.stdout.write(`kernel analysis bench — ${new Date().toISOString()}, load average ${load}, ${runs} run(s) of tracewire per trace\n\n`);
  for (const [label, trace, laTrace] of [
    ['recorded (tracewire record)', big, link],
    ['lttng/many-threads', join(sharedTraces, 'lttng', 'many-threads'), mtLink],
  ] as const) {
    count = countEvents(trace);
    const ev = count.events;
    process.stdout.write(`${label}: ${ev.toLocaleString('en')} events${count.lost ? ` (${count.lost} lost)` : ''}\n`);
    const best = (cmd: string[]): Timed => {
      let b: Timed | null = null;
      for (let i = 0; i < runs; i++) {
        const t = timed(cmd);
        if (!b || t.wall < b.wall) b = t;
      }
      return b!;
    };
    const reader = best([process.execPath, tracewire, 'events', '--count', trace]);
    const ours = best([process.execPath, tracewire, 'stats', 'syscalls', trace, '--format', 'json']);
    const theirs = timed(['lttng-syscallstats-mi', '--skip-validation', '--no-intersection', laTrace]);
    const rate = (t: Timed): string => `${(ev / t.wall / 1e6).toFixed(2)} M events/s`;
    const line = (name: string, t: Timed): string => `  ${name.padEnd(44)} ${t.wall.toFixed(2).padStart(8)} s wall ${t.cpu.toFixed(2).padStart(8)} s CPU   ${rate(t)}\n`;
    process.stdout.write(line('tracewire events --count (CTF reader only)', reader));
    process.stdout.write(line('tracewire stats syscalls (full model)', ours));
    process.stdout.write(line('lttng-syscallstats-mi', theirs));
    process.stdout.write(`  ratio lttng-analyses / tracewire: ${(theirs.wall / ours.wall).toFixed(1)}× wall, ${(theirs.cpu / ours.cpu).toFixed(1)}× CPU; reading is ${((100 * reader.wall) / ours.wall).toFixed(0)}% of tracewire's time\n\n`);
  }
}

main();
