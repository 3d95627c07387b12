/**
 * `--tracer lttng`: recording with LTTng's own kernel tracer when this machine has it
 * (the lttng-modules kernel modules loaded through a root session daemon). The bundle has
 * the same layout; LTTng writes `kernel/` itself and its statedump replaces ours.
 *
 * Most machines (these included) cannot: lttng-modules must be built for the exact
 * running kernel. `lttngAvailability()` says why in one line, and `record` refuses with
 * that line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { PrivilegeError } from '../base/errors.js';
import type { RecordOptions, RecordResult } from './index.js';
import type { BundleJson } from './bundle.js';

export interface LttngAvailability {
  readonly ok: boolean;
  /** Why LTTng's kernel tracer cannot be used (one line), when !ok. */
  readonly reason?: string;
}

function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? (r.error ? 127 : 1), out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function hasLttngModules(release: string): boolean {
  const dir = `/lib/modules/${release}`;
  if (!existsSync(dir)) return false;
  const r = run('modinfo', ['-n', 'lttng-tracer']);
  return r.code === 0;
}

/** Whether `lttng list -k` works here, and if not, why. */
export function lttngAvailability(): LttngAvailability {
  const release = os.release();
  if (run('lttng', ['--version']).code === 127) return { ok: false, reason: 'LTTng is not installed (lttng-tools); use the default --tracer ftrace' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'LTTng kernel tracing needs root' };
  let list = run('lttng', ['list', '-k']);
  if (list.code !== 0 && /no session daemon/i.test(list.out)) {
    run('lttng-sessiond', ['--daemonize']);
    list = run('lttng', ['list', '-k']);
  }
  if (list.code === 0 && !/error/i.test(list.out)) return { ok: true };
  if (!existsSync(`/lib/modules/${release}`)) {
    return { ok: false, reason: `LTTng's kernel tracer needs the lttng-modules kernel modules, and this kernel (${release}) has no modules at all (/lib/modules/${release} is missing); use the default --tracer ftrace` };
  }
  if (!hasLttngModules(release)) {
    return { ok: false, reason: `LTTng's kernel tracer is unavailable: lttng-modules is not built for kernel ${release} (modinfo lttng-tracer fails); use the default --tracer ftrace` };
  }
  const detail = list.out.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${list.code}`;
  return { ok: false, reason: `\`lttng list -k\` fails: ${detail}; use the default --tracer ftrace` };
}

const LTTNG_EVENTS = [
  'sched_switch', 'sched_waking', 'sched_wakeup', 'sched_wakeup_new', 'sched_migrate_task', 'sched_process_fork',
  'sched_process_exec', 'sched_process_exit', 'sched_process_free', 'irq_handler_entry', 'irq_handler_exit',
  'irq_softirq_raise', 'irq_softirq_entry', 'irq_softirq_exit', 'net_dev_queue', 'net_dev_xmit', 'net_if_receive_skb',
  'net_if_rx', 'net_napi_gro_receive_entry', 'napi_poll', 'skb_consume', 'skb_kfree', 'skb_copy_datagram_iovec',
  'sock_rcvqueue_full', 'sock_exceed_buf_limit', 'lttng_statedump_*',
];

/**
 * Records with LTTng into `bundleDir` (kernel/ + bundle.json; packets are not captured in
 * this mode). Throws PrivilegeError with the reason when LTTng's kernel tracer is unusable.
 */
export async function recordWithLttng(options: RecordOptions, bundleDir: string, summarize: (b: BundleJson) => string): Promise<RecordResult> {
  const avail = lttngAvailability();
  if (!avail.ok) throw new PrivilegeError(`--tracer lttng: ${avail.reason}`);
  if (existsSync(bundleDir) && readdirSync(bundleDir).length) throw new PrivilegeError(`record: output directory ${bundleDir} is not empty`);
  const name = `tracewire-${process.pid}`;
  const out = join(bundleDir, '.lttng');
  const lttng = (...args: string[]) => execFileSync('lttng', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const start = Date.now();
  lttng('create', name, `--output=${out}`);
  let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
  try {
    lttng('enable-channel', '-k', '-s', name, '--subbuf-size=4M', '--num-subbuf=8', 'chan');
    lttng('enable-event', '-k', '-s', name, '-c', 'chan', '--syscall', '-a');
    lttng('enable-event', '-k', '-s', name, '-c', 'chan', LTTNG_EVENTS.join(','));
    lttng('add-context', '-k', '-s', name, '-c', 'chan', '-t', 'pid', '-t', 'tid', '-t', 'procname');
    lttng('start', name);
    if (options.command) {
      const [cmd, ...args] = options.command;
      const r = spawnSync(cmd!, args, { stdio: options.commandStdio ?? 'inherit', timeout: options.durationMs });
      exit = { code: r.status, signal: r.signal };
    } else if (options.workload) {
      await options.workload();
    } else if (options.durationMs) {
      await new Promise((r) => setTimeout(r, options.durationMs));
    }
  } finally {
    try {
      lttng('stop', name);
    } finally {
      lttng('destroy', name);
    }
  }
  renameSync(join(out, 'kernel'), join(bundleDir, 'kernel'));
  rmSync(out, { recursive: true, force: true });
  const end = Date.now();
  const bundle = {
    format: 'tracewire-bundle',
    version: 1,
    tool: { name: 'tracewire', version: '0.1.0' },
    complete: true,
    stop_reason: 'command-exited',
    tracer: { name: 'lttng', ctf_layout: 'lttng-modules 2.13' },
    time: { duration_s: (end - start) / 1000 },
    command: options.command ? { argv: [...options.command], pid: null, exit_code: exit.code, signal: exit.signal } : null,
    capture: { file: null, tool: null, interfaces: [], packets: 0, dropped: 0, error: 'not captured with --tracer lttng' },
    events: { enabled: LTTNG_EVENTS, unavailable: [], written: 0, statedump: 0, per_cpu: {} },
    lost_events: 0,
  } as unknown as BundleJson;
  (await import('./bundle.js')).writeBundle(bundleDir, bundle);
  return { bundleDir, kernelDir: join(bundleDir, 'kernel'), capturePath: null, bundle, summary: summarize(bundle) };
}
