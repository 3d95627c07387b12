/**
 * Packet capture for a recording: one tcpdump per network namespace (`ip netns exec NAME
 * tcpdump` inside named namespaces), on all interfaces (`-i any`, Linux cooked v2 link
 * type, which keeps each packet's interface index) unless devices are given, with
 * nanosecond timestamps. Each tcpdump runs in its own process group so a Ctrl-C meant for
 * the recorded command does not stop it before the recorder does; it is stopped with
 * SIGTERM, which makes it flush its file and print its statistics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURE_FILE, type BundleCaptureInterface } from './bundle.js';
import { mergePcapsToPcapng } from './capture-files.js';

export interface CaptureTarget {
  /** `host` or a name under /run/netns. */
  readonly netns: string;
  /** Capture device; `any` for every interface of the namespace. */
  readonly device: string;
}

/**
 * What a recording captures: the devices of the recorder's namespace (default `any`)
 * unless `captureHost` is false, and `any` in each of `netns`; nothing when `capture` is false.
 */
export function captureTargetsFor(opts: { readonly capture?: boolean; readonly captureHost?: boolean; readonly interfaces?: readonly string[] }, netns: readonly string[]): CaptureTarget[] {
  if (opts.capture === false) return [];
  const host = opts.captureHost === false ? [] : (opts.interfaces?.length ? opts.interfaces : ['any']).map((device) => ({ netns: 'host', device }));
  return [...host, ...netns.map((n) => ({ netns: n, device: 'any' }))];
}

interface RunningCapture {
  readonly target: CaptureTarget;
  readonly file: string;
  /** Absent for captures adopted from a dead recorder. */
  readonly child?: ChildProcess;
  stderr: string;
  exited: Promise<number | null>;
}

export interface CaptureResult {
  readonly file: string | null;
  readonly interfaces: BundleCaptureInterface[];
  readonly packets: number;
  readonly dropped: number;
  readonly error?: string;
}

const READY_TIMEOUT_MS = 10_000;
/** tcpdump's libpcap read timeout (1000 ms) is also the capture ring's block retire timeout. */
const FLUSH_WAIT_MS = 1150;
const STOP_TIMEOUT_MS = 5_000;

function tcpdumpArgs(t: CaptureTarget, file: string): string[] {
  return [
    '-i', t.device,
    ...(t.device === 'any' ? ['-y', 'LINUX_SLL2'] : []),
    '-n',
    // No --immediate-mode: waking tcpdump per packet costs a busy workload a third of its
    // speed and makes the kernel drop packets. Packets then reach tcpdump a ring block at
    // a time (at the latest after libpcap's 1 s block timeout), so stopping waits for the
    // last block first (see FLUSH_WAIT_MS).
    '--time-stamp-precision=nano',
    '-s', '262144',
    // A 64 MiB capture ring: on a loaded machine tcpdump can fall behind for a while.
    '-B', '65536',
    '-Z', 'root',
    '-w', file,
  ];
}

/** The set of tcpdump processes of one recording. */
export class CaptureSet {
  private readonly running: RunningCapture[] = [];

  private constructor(private readonly bundleDir: string, private readonly workDir: string) {}

  /** PIDs of the tcpdump processes (for the stale-session state file). */
  pids(): number[] {
    return this.running.map((r) => r.child?.pid).filter((p): p is number => typeof p === 'number');
  }

  /**
   * The capture files a recorder left behind (its tcpdumps already stopped), to merge
   * them into the bundle as `stop()` does.
   */
  static adopt(targets: readonly CaptureTarget[], bundleDir: string): CaptureSet {
    const workDir = join(bundleDir, '.capture');
    const set = new CaptureSet(bundleDir, workDir);
    targets.forEach((t, i) => set.running.push({ target: t, file: join(workDir, captureFileName(i, t)), stderr: '', exited: Promise.resolve(null) }));
    return set;
  }

  /**
   * Starts one tcpdump per target and waits until each reports it is listening. Rejects
   * (after stopping those already started) when one cannot start.
   */
  static async start(targets: readonly CaptureTarget[], bundleDir: string): Promise<CaptureSet> {
    const workDir = join(bundleDir, '.capture');
    mkdirSync(workDir, { recursive: true });
    const set = new CaptureSet(bundleDir, workDir);
    try {
      await Promise.all(targets.map((t, i) => set.startOne(t, join(workDir, captureFileName(i, t)))));
    } catch (err) {
      await set.stopAll();
      throw err;
    }
    return set;
  }

  private startOne(target: CaptureTarget, file: string): Promise<void> {
    const args = tcpdumpArgs(target, file);
    const [cmd, argv] = target.netns === 'host' ? ['tcpdump', args] : ['ip', ['netns', 'exec', target.netns, 'tcpdump', ...args]];
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    const run: RunningCapture = {
      target,
      file,
      child,
      stderr: '',
      exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
    };
    this.running.push(run);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`tcpdump on ${target.device}@${target.netns} did not start within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
      const fail = (msg: string) => {
        clearTimeout(timer);
        reject(new Error(msg));
      };
      child.on('error', (err) => fail(`cannot run ${cmd}: ${err.message}`));
      child.stderr!.on('data', (d: Buffer) => {
        run.stderr += d.toString('utf8');
        if (/listening on/.test(run.stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('close', (code) => fail(`tcpdump on ${target.device}@${target.netns} exited (${code}): ${lastLine(run.stderr)}`));
    });
  }

  private async stopAll(): Promise<void> {
    for (const r of this.running) {
      if (r.child && r.child.exitCode === null && r.child.signalCode === null) {
        try {
          r.child.kill('SIGTERM');
        } catch {
          // gone
        }
      }
    }
    await Promise.all(this.running.map(async (r) => {
      const t = setTimeout(() => r.child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await r.exited;
      clearTimeout(t);
    }));
  }

  /** Stops every tcpdump (flushing their files) and merges the captures (see merge()). */
  async stop(): Promise<CaptureResult> {
    await this.stopProcesses();
    return this.merge();
  }

  /**
   * Stops every tcpdump; their files are complete once this resolves. First waits for the
   * kernel to hand tcpdump the packets still in a partly filled ring block.
   */
  async stopProcesses(): Promise<void> {
    if (this.running.some((r) => r.child && r.child.exitCode === null)) await new Promise((r) => setTimeout(r, FLUSH_WAIT_MS));
    await this.stopAll();
  }

  /**
   * Merges the stopped captures into `DIR/capture.pcapng`. Never throws: problems are
   * reported in `error` (tcpdump's files are then kept in `.capture/`).
   */
  merge(): CaptureResult {
    let dropped = 0;
    const problems: string[] = [];
    for (const r of this.running) {
      const m = /(\d+) packets? dropped by kernel/.exec(r.stderr);
      if (m) dropped += Number(m[1]);
      if (/No space left on device/i.test(r.stderr)) problems.push(`tcpdump ${r.target.device}@${r.target.netns}: no space left on device`);
    }
    const inputs = this.running.filter((r) => existsSync(r.file) && statSync(r.file).size >= 24);
    for (const r of this.running) if (!inputs.includes(r)) problems.push(`tcpdump ${r.target.device}@${r.target.netns} wrote no capture: ${lastLine(r.stderr)}`);
    if (inputs.length === 0) return { file: null, interfaces: [], packets: 0, dropped, error: problems.join('; ') || 'no capture' };
    const out = join(this.bundleDir, CAPTURE_FILE);
    try {
      const merged = mergePcapsToPcapng(
        inputs.map((r) => ({ path: r.file, name: `${r.target.device}@${r.target.netns}`, description: `tcpdump -i ${r.target.device} in network namespace ${r.target.netns}` })),
        out,
        'tracewire record (tcpdump)',
      );
      problems.push(...merged.problems);
      const interfaces: BundleCaptureInterface[] = [];
      inputs.forEach((r, i) => {
        const id = merged.interfaceIds[i];
        if (id !== undefined) interfaces.push({ id, netns: r.target.netns, device: r.target.device, pcapngName: `${r.target.device}@${r.target.netns}` });
      });
      rmSync(this.workDir, { recursive: true, force: true });
      return { file: CAPTURE_FILE, interfaces, packets: merged.packets, dropped, ...(problems.length ? { error: problems.join('; ') } : {}) };
    } catch (err) {
      // Keep tcpdump's own files when the merge fails (e.g. the disk is full).
      rmSync(out, { force: true });
      problems.push(`merging captures failed: ${(err as Error).message}`);
      return { file: null, interfaces: [], packets: 0, dropped, error: `${problems.join('; ')} (tcpdump files kept in .capture/)` };
    }
  }
}

function captureFileName(index: number, t: CaptureTarget): string {
  return `${index}-${t.netns}-${t.device}.pcap`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.at(-1) ?? '';
}
