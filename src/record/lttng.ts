/**
 * `--tracer lttng`: recording with LTTng's own kernel tracer when this machine has it
 * (lttng-modules built for the running kernel, used through a root session daemon). The
 * bundle has the same layout: LTTng writes `kernel/` itself (its statedump included),
 * tcpdump captures packets as with ftrace, and bundle.json records the same facts (the
 * lost-event count comes from LTTng's packet index).
 *
 * Most machines — these included — cannot: lttng-modules must be built for the exact
 * running kernel. `lttngAvailability()` says why in one line, and `record` refuses with it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { PrivilegeError, UsageError } from '../base/errors.js';
import { bundleCapture, bundleClocksAndTime, bundleHost, writeBundle, type BundleJson, type StopReason } from './bundle.js';
import { CaptureSet, captureTargetsFor, type CaptureResult } from './capture.js';
import { measureRealtimeOffset, monotonicNow } from './clock.js';
import { hostInfo } from './host.js';
import { TOOL_VERSION } from './finish.js';
import type { RecordOptions, RecordResult } from './index.js';

export interface LttngAvailability {
  readonly ok: boolean;
  /** Why LTTng's kernel tracer cannot be used (one line), when !ok. */
  readonly reason?: string;
}

function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? (r.error ? 127 : 1), out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * Whether LTTng kernel tracing works here (`lttng list -k`), and if not, why. Starts a
 * root session daemon only when the kernel modules exist (LTTng needs one to use them).
 */
export function lttngAvailability(): LttngAvailability {
  const release = os.release();
  if (run('lttng', ['--version']).code === 127) return { ok: false, reason: 'LTTng is not installed (lttng-tools); use the default --tracer ftrace' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'LTTng kernel tracing needs root' };
  if (!existsSync(`/lib/modules/${release}`)) {
    return { ok: false, reason: `LTTng's kernel tracer needs the lttng-modules kernel modules, and this kernel (${release}) has no modules at all (/lib/modules/${release} is missing); use the default --tracer ftrace` };
  }
  if (run('modinfo', ['-n', 'lttng-tracer']).code !== 0) {
    return { ok: false, reason: `LTTng's kernel tracer is unavailable: lttng-modules is not built for kernel ${release} (modinfo lttng-tracer fails); use the default --tracer ftrace` };
  }
  let list = run('lttng', ['list', '-k']);
  if (list.code !== 0 && /no session daemon/i.test(list.out)) {
    run('lttng-sessiond', ['--daemonize']);
    list = run('lttng', ['list', '-k']);
  }
  if (list.code === 0) return { ok: true };
  const detail = list.out.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${list.code}`;
  return { ok: false, reason: `\`lttng list -k\` fails: ${detail}; use the default --tracer ftrace` };
}

/** The events LTTng records (its names; the same set as the ftrace default). */
const LTTNG_EVENTS = [
  'sched_switch', 'sched_waking', 'sched_wakeup', 'sched_wakeup_new', 'sched_migrate_task', 'sched_process_fork',
  'sched_process_exec', 'sched_process_exit', 'sched_process_free', 'irq_handler_entry', 'irq_handler_exit',
  'irq_softirq_raise', 'irq_softirq_entry', 'irq_softirq_exit', 'net_dev_queue', 'net_dev_xmit', 'net_if_receive_skb',
  'net_if_rx', 'net_napi_gro_receive_entry', 'napi_poll', 'skb_consume', 'skb_kfree', 'skb_copy_datagram_iovec',
  'sock_rcvqueue_full', 'sock_exceed_buf_limit', 'lttng_statedump_*',
];

/** Sum over streams of the last `events_discarded` in LTTng's packet index files. */
function lostFromIndex(kernelDir: string): number {
  const dir = join(kernelDir, 'index');
  if (!existsSync(dir)) return 0;
  let lost = 0;
  for (const f of readdirSync(dir)) {
    const b = readFileSync(join(dir, f));
    if (b.length < 16 || b.readUInt32BE(0) !== 0xc1f1dcc1) continue;
    const entry = b.readUInt32BE(12);
    const n = Math.floor((b.length - 16) / entry);
    if (n > 0) lost += Number(b.readBigUInt64BE(16 + (n - 1) * entry + 40));
  }
  return lost;
}

/**
 * Records with LTTng into `bundleDir`. Throws PrivilegeError with the reason when LTTng's
 * kernel tracer is unusable, before creating anything.
 */
export async function recordWithLttng(options: RecordOptions, bundleDir: string, netns: readonly string[], summarize: (b: BundleJson) => string): Promise<RecordResult> {
  const avail = lttngAvailability();
  if (!avail.ok) throw new PrivilegeError(`--tracer lttng: ${avail.reason}`);
  if (options.events) throw new UsageError('record: --events applies to --tracer ftrace only');
  if (existsSync(bundleDir) && readdirSync(bundleDir).length) throw new UsageError(`record: output directory ${bundleDir} is not empty`);
  const session = `tracewire-${process.pid}`;
  const out = join(bundleDir, '.lttng');
  const lttng = (...args: string[]) => execFileSync('lttng', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = hostInfo();
  const clockStart = measureRealtimeOffset();
  const startMono = monotonicNow();
  lttng('create', session, `--output=${out}`);
  let capture: CaptureSet | undefined;
  let captureError: string | undefined;
  let stopReason: StopReason = 'command-exited';
  let error: string | undefined;
  let child: ChildProcess | undefined;
  let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
  try {
    lttng('enable-channel', '-k', '-s', session, '--subbuf-size=4M', '--num-subbuf=8', 'chan');
    lttng('enable-event', '-k', '-s', session, '-c', 'chan', '--syscall', '-a');
    lttng('enable-event', '-k', '-s', session, '-c', 'chan', LTTNG_EVENTS.join(','));
    lttng('add-context', '-k', '-s', session, '-c', 'chan', '-t', 'pid', '-t', 'tid', '-t', 'procname');
    lttng('start', session);
    const targets = captureTargetsFor(options, netns);
    if (targets.length) {
      try {
        capture = await CaptureSet.start(targets, bundleDir);
      } catch (err) {
        captureError = (err as Error).message;
      }
    }
    await options.onReady?.();
    await new Promise<void>((resolve) => {
      const done = (reason: StopReason) => {
        stopReason = reason;
        resolve();
      };
      if (options.durationMs !== undefined) setTimeout(() => done('duration'), options.durationMs).unref();
      options.signal?.addEventListener('abort', () => done('signal'), { once: true });
      if (options.command) {
        const [cmd, ...args] = options.command;
        child = spawn(cmd!, args, { stdio: options.commandStdio ?? 'inherit' });
        child.on('exit', (code, signal) => {
          exit = { code, signal };
          done('command-exited');
        });
        child.on('error', (err) => {
          error = err.message;
          done('command-exited');
        });
      } else if (options.workload) {
        options.workload().then(() => done('command-exited'), (err: unknown) => {
          error = `workload failed: ${(err as Error)?.message ?? String(err)}`;
          done('error');
        });
      }
    });
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
  } finally {
    if (capture) await capture.stopProcesses();
    try {
      lttng('stop', session);
    } finally {
      lttng('destroy', session);
    }
  }
  const endMono = monotonicNow();
  const clockEnd = measureRealtimeOffset();
  renameSync(join(out, 'kernel'), join(bundleDir, 'kernel'));
  rmSync(out, { recursive: true, force: true });
  const captured: CaptureResult = capture ? capture.merge() : { file: null, interfaces: [], packets: 0, dropped: 0, error: captureError ?? 'capture disabled' };
  const bundle: BundleJson = {
    format: 'tracewire-bundle',
    version: 1,
    tool: { name: 'tracewire', version: TOOL_VERSION },
    complete: true,
    stop_reason: stopReason,
    ...(error ? { error } : {}),
    host: bundleHost(host, os.cpus().length),
    tracer: { name: 'lttng', ctf_layout: 'lttng-modules 2.13' },
    ...bundleClocksAndTime(startMono, endMono, clockStart, clockEnd),
    events: { enabled: ['syscalls:*', ...LTTNG_EVENTS], unavailable: [], written: 0, statedump: 0, per_cpu: {} },
    lost_events: lostFromIndex(join(bundleDir, 'kernel')),
    command: options.command ? { argv: [...options.command], pid: child?.pid ?? null, exit_code: exit.code, signal: exit.signal } : null,
    netns: [],
    capture: bundleCapture(captured),
    kernel: { path: 'kernel', streams: readdirSync(join(bundleDir, 'kernel')).filter((f) => f.startsWith('chan')).length, clamped_timestamps: 0 },
  };
  writeBundle(bundleDir, bundle);
  return { bundleDir, kernelDir: join(bundleDir, 'kernel'), capturePath: captured.file ? join(bundleDir, captured.file) : null, bundle, summary: summarize(bundle) };
}
