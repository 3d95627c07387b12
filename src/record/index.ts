/**
 * `record(options)`: the programmatic recorder. It records kernel events through our own
 * tracefs instance (no kernel modules), packets with tcpdump and a /proc state dump, all
 * on one clock, while a command or an async workload runs, and leaves a bundle:
 *
 *   DIR/kernel/          CTF 1.8 trace in lttng-modules 2.13 layout and vocabulary
 *   DIR/capture.pcapng   packets of the same window (nanosecond timestamps)
 *   DIR/bundle.json      see `bundle.ts` (BundleJson) for the schema
 *
 * Whatever happens — the workload ends, the duration elapses, a signal or the caller's
 * AbortSignal asks to stop, an exception, a full disk — tracing is switched off, the
 * instance removed, capture stopped and everything recorded so far written out as a
 * readable bundle. Only a failure before recording starts (not root, no tracefs, a bad
 * option) throws; it is a TracewireError with a one-line message.
 *
 * Example (what `tracewire demo` does):
 *
 * ```ts
 * const { bundleDir, bundle } = await record({
 *   outDir: 'out/seed',
 *   netns: ['tw-server', 'tw-client'],
 *   workload: async () => { ...start ncat server and client, wait for them... },
 * });
 * console.log(bundle.lost_events, bundle.capture.packets);
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PrivilegeError, TracewireError, UsageError } from '../base/errors.js';
import { availableEvents, requireTracefs } from '../ftrace/tracefs.js';
import { selectEvents } from '../ftrace/event-set.js';
import { DiskFullError } from '../ctf/writer/stream-writer.js';
import { CAPTURE_FILE, KERNEL_DIR, type BundleJson, type StopReason } from './bundle.js';
import { CaptureSet, captureTargetsFor, type CaptureResult } from './capture.js';
import { measureRealtimeOffset, monotonicNow } from './clock.js';
import { finishBundle, RESERVE_FILE, SPOOL_DIR, TOOL_VERSION, writeSpoolSession, writeSpoolStateDump, type SpoolSessionJson } from './finish.js';
import { defaultBufferSizeKb, hostInfo, selfComm } from './host.js';
import { FtraceSession, type StopInfo } from './session.js';
import { cleanupStaleSessions } from './stale.js';
import { collectStateDump, type StateDump } from './statedump.js';
import { recordWithLttng } from './lttng.js';

export type { BundleJson } from './bundle.js';
export { readBundle, pcapToTraceOffset } from './bundle.js';

/** Live progress, reported about once a second. */
export interface RecordProgress {
  readonly elapsedS: number;
  readonly events: number;
  readonly eventsPerS: number;
  /** Bytes of ring-buffer pages spooled so far. */
  readonly bytes: number;
  /** Events the kernel reported lost so far. */
  readonly lost: number;
}

export interface RecordOptions {
  /** Bundle directory; created, and must be empty if it exists. */
  readonly outDir: string;
  /** Command to run while recording (argv). Its exit ends the recording. */
  readonly command?: readonly string[];
  /** stdio of the command (default 'inherit': the command's streams pass through untouched). */
  readonly commandStdio?: 'inherit' | 'ignore' | 'pipe';
  /**
   * Async workload to run while recording (instead of a command). Its settling ends the
   * recording. The processes it starts are in the trace from their fork on (own-context.ts).
   */
  readonly workload?: () => Promise<unknown>;
  /** Network namespaces (names under /run/netns) to capture packets in and dump. */
  readonly netns?: readonly string[];
  /** Capture packets of the recorder's own namespace too (default true). */
  readonly captureHost?: boolean;
  /** Devices to capture in the recorder's namespace (default `any`). */
  readonly interfaces?: readonly string[];
  /** Capture packets at all (default true). */
  readonly capture?: boolean;
  /** Stop after this many milliseconds. */
  readonly durationMs?: number;
  /** `--events` list (see event-set.ts). */
  readonly events?: string;
  /** Ring buffer size per CPU in KiB (default: see defaultBufferSizeKb). */
  readonly bufferSizeKb?: number;
  /** Asks the recording to stop (like Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Called once tracing, capture and the state dump are in place, before the workload. */
  readonly onReady?: () => void | Promise<void>;
  readonly onProgress?: (p: RecordProgress) => void;
  /** `ftrace` (default) or `lttng` (needs LTTng's kernel modules). */
  readonly tracer?: 'ftrace' | 'lttng';
  /** Keep the raw ring-buffer spool (`DIR/.ftrace`) after conversion, for debugging. */
  readonly keepSpool?: boolean;
  /** Trace name in the CTF env (default: the bundle directory's name). */
  readonly traceName?: string;
}

export interface RecordResult {
  readonly bundleDir: string;
  readonly kernelDir: string;
  /** `DIR/capture.pcapng`, or null when nothing was captured. */
  readonly capturePath: string | null;
  readonly bundle: BundleJson;
  /** One line: duration, events, lost, packets. */
  readonly summary: string;
}

/**
 * How often the ring buffers are read. TRACEWIRE_RECORD_POLL_MS overrides it — only the
 * tests use that, to make the kernel overrun a small buffer on purpose.
 */
const POLL_MS = Number(process.env.TRACEWIRE_RECORD_POLL_MS) || 20;
const PROGRESS_MS = 1000;
const RESERVE_BYTES = 8 << 20;
const COMMAND_GRACE_MS = 1000;
const COMMAND_TERM_MS = 3000;

/** Creates DIR (or checks it is empty). */
function prepareBundleDir(dir: string): void {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length) throw new UsageError(`record: output directory ${dir} is not empty`);
  } else {
    mkdirSync(dir, { recursive: true });
  }
}

function checkNetns(names: readonly string[]): void {
  for (const n of names) {
    if (!/^[A-Za-z0-9_.-]+$/.test(n)) throw new UsageError(`record: --netns: invalid namespace name '${n}'`);
    if (!existsSync(join('/run/netns', n))) throw new UsageError(`record: --netns: no network namespace '${n}' (see \`ip netns list\`)`);
  }
}

/** Reserves disk space so a bundle can be finished even when the disk fills up. */
function writeReserve(dir: string): void {
  try {
    writeFileSync(join(dir, RESERVE_FILE), Buffer.alloc(RESERVE_BYTES));
  } catch {
    rmSync(join(dir, RESERVE_FILE), { force: true });
  }
}

function summarize(b: BundleJson): string {
  const lost = b.lost_events ? `${b.lost_events} LOST` : '0 lost';
  const pk = b.capture.file ? `, ${b.capture.packets} packets` : '';
  return `${b.time.duration_s.toFixed(3)} s, ${b.events.written} events (${b.events.statedump} state dump), ${lost}${pk}`;
}

/**
 * Records kernel events, packets and a state dump while `command` or `workload` runs (or
 * until `durationMs` or `signal`), and writes the bundle to `outDir`. See the module
 * comment for the guarantees. Throws PrivilegeError (not root, no tracefs) or UsageError
 * (bad option) before anything is recorded.
 */
export async function record(options: RecordOptions): Promise<RecordResult> {
  if (options.command && options.workload) throw new UsageError('record: give a command or a workload, not both');
  const bundleDir = resolve(options.outDir);
  const netns = [...new Set(options.netns ?? [])];
  if (options.tracer === 'lttng') return recordWithLttng(options, bundleDir, netns, summarize);
  const root = requireTracefs();
  checkNetns(netns);
  const selection = selectEvents(availableEvents(root), options.events);
  if (selection.events.length === 0) throw new UsageError('record: --events leaves no event to record');
  prepareBundleDir(bundleDir);
  try {
    await cleanupStaleSessions(root, { recover: true });
  } catch {
    // Cleaning up after others must never keep this recording from starting.
  }
  writeReserve(bundleDir);

  const host = hostInfo();
  const spoolDir = join(bundleDir, SPOOL_DIR);
  // The recorder's threads are not traced (reading the buffers would trace itself); what
  // they do to other tasks — starting the command, the workload's processes, tcpdump —
  // is kept by the session's own-context instance (own-context.ts), so every process the
  // recorder starts has its fork, parent and inherited fd table in the trace.
  const tids = readdirSync('/proc/self/task').map(Number);
  const cpuCount = readdirSync(join(root, 'per_cpu')).filter((d) => /^cpu\d+$/.test(d)).length;
  const bufferSizeKb = options.bufferSizeKb ?? defaultBufferSizeKb(cpuCount);
  let session: FtraceSession;
  try {
    session = FtraceSession.create({ tracefsRoot: root, bundleDir, spoolDir, events: selection.events, bufferSizeKb, excludeTids: tids });
  } catch (err) {
    rmSync(bundleDir, { recursive: true, force: true });
    if (err instanceof TracewireError) throw err;
    throw new PrivilegeError(`cannot set up kernel tracing: ${(err as Error).message}`);
  }

  const captureTargets = captureTargetsFor(options, netns);

  const clockStart = measureRealtimeOffset();
  const startMono = monotonicNow();
  const spoolSession: SpoolSessionJson = {
    version: 1,
    instance: session.instance.name,
    tracefsRoot: root,
    bundleDir,
    cpus: session.cpus,
    headerPage: session.headerPage,
    headerEvent: session.headerEvent,
    formats: session.formats,
    enabled: selection.events.map((e) => `${e.system}:${e.name}`),
    unavailable: selection.unavailable,
    bufferSizeKb,
    host,
    recorder: { pid: process.pid, comm: selfComm(), excludedTids: tids, ownContextEvents: session.ownContextEvents },
    clockStart: { offsetNs: clockStart.offsetNs.toString(), uncertaintyNs: clockStart.uncertaintyNs },
    startMonotonicNs: startMono.toString(),
    createdMs: Date.now(),
    traceName: options.traceName ?? bundleDir.split('/').filter(Boolean).at(-1) ?? 'tracewire',
    command: options.command ? { argv: [...options.command], pid: null } : null,
    netns,
    captureTargets,
  };

  // --- the recording -------------------------------------------------------------------
  let stopReason: StopReason | undefined;
  let error: string | undefined;
  let wake: () => void = () => {};
  const stopped = new Promise<void>((r) => (wake = r));
  const requestStop = (reason: StopReason, message?: string): void => {
    if (stopReason) return;
    stopReason = reason;
    if (message) error = message;
    wake();
  };
  let diskFull = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  let capture: CaptureSet | undefined;
  let captureError: string | undefined;
  let statedump: StateDump | null = null;
  let child: ChildProcess | undefined;
  let childExit: { code: number | null; signal: string | null; error?: string } | undefined;
  const onAbort = () => requestStop('signal');

  const poll = (): void => {
    try {
      // Keep reading while pages keep coming, so a burst never waits a whole interval.
      for (let i = 0; i < 8 && session.poll() > 0; i++);
    } catch (err) {
      if (err instanceof DiskFullError) {
        diskFull = true;
        requestStop('disk-full', 'the disk filled up; recording stopped');
      } else {
        requestStop('error', `reading the ring buffers failed: ${(err as Error).message}`);
      }
      return;
    }
    pollTimer = setTimeout(poll, POLL_MS);
  };

  try {
    writeSpoolSession(spoolDir, spoolSession);
    session.start();
    poll();
    if (captureTargets.length) {
      try {
        capture = await CaptureSet.start(captureTargets, bundleDir);
        for (const pid of capture.pids()) session.addHelperPid(pid);
      } catch (err) {
        captureError = (err as Error).message;
      }
    }
    statedump = await collectStateDump({ netns, recorderPid: process.pid });
    writeSpoolStateDump(spoolDir, statedump);
    let lastEvents = 0;
    let lastAt = monotonicNow();
    progressTimer = setInterval(() => {
      const t = session.totals();
      const now = monotonicNow();
      const dt = Number(now - lastAt) / 1e9;
      options.onProgress?.({ elapsedS: Number(now - startMono) / 1e9, events: t.records, eventsPerS: dt > 0 ? (t.records - lastEvents) / dt : 0, bytes: t.bytes, lost: t.lost });
      lastEvents = t.records;
      lastAt = now;
    }, PROGRESS_MS);
    if (options.signal) {
      if (options.signal.aborted) requestStop('signal');
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (options.durationMs !== undefined) durationTimer = setTimeout(() => requestStop('duration'), options.durationMs);
    await options.onReady?.();
    if (options.command) {
      const [cmd, ...args] = options.command;
      child = spawn(cmd!, args, { stdio: options.commandStdio ?? 'inherit' });
      spoolSession.command = { argv: [...options.command], pid: child.pid ?? null };
      writeSpoolSession(spoolDir, spoolSession);
      child.on('error', (err) => {
        childExit = { code: null, signal: null, error: err.message };
        requestStop('command-exited');
      });
      child.on('exit', (code, signal) => {
        childExit ??= { code, signal };
        requestStop('command-exited');
      });
    } else if (options.workload) {
      options.workload().then(
        () => requestStop('command-exited'),
        (err: unknown) => requestStop('error', `workload failed: ${(err as Error)?.message ?? String(err)}`),
      );
    }
    await stopped;
    if (child && !childExit) await stopCommand(child, () => childExit !== undefined, stopReason === 'signal' ? signalName(options.signal?.reason) : undefined);
  } catch (err) {
    requestStop('error', (err as Error).message);
  } finally {
    clearTimeout(pollTimer);
    clearInterval(progressTimer);
    clearTimeout(durationTimer);
    options.signal?.removeEventListener('abort', onAbort);
  }

  // --- stopping: packets first (so every captured frame has its events), then tracing ---
  const noCapture: CaptureResult = { file: null, interfaces: [], packets: 0, dropped: 0, ...(captureError ? { error: captureError } : captureTargets.length ? {} : { error: 'capture disabled' }) };
  let stop: StopInfo;
  try {
    if (capture) await capture.stopProcesses();
  } finally {
    // Whatever happened above, tracing is switched off and the instance removed.
    stop = session.stop(!diskFull);
  }
  const mergeCapture = (): CaptureResult => (capture ? capture.merge() : noCapture);
  const endMono = monotonicNow();
  const clockEnd = measureRealtimeOffset();
  if (stop.warnings.length) error = [error, ...stop.warnings].filter(Boolean).join('; ');

  const command: BundleJson['command'] = options.command
    ? { argv: [...options.command], pid: child?.pid ?? null, exit_code: childExit?.code ?? null, signal: childExit?.signal ?? null, ...(childExit?.error ? { error: childExit.error } : {}) }
    : null;
  let finished: ReturnType<typeof finishBundle>;
  try {
    finished = finishBundle({
      session: spoolSession,
      statedump,
      kernelLost: stop.kernelLost,
      savedTgids: stop.savedTgids,
      capture: mergeCapture,
      clockEnd,
      endMonotonicNs: endMono,
      stopReason: stopReason ?? 'error',
      complete: true,
      error,
      command,
      keepSpool: options.keepSpool ?? false,
    });
  } catch (err) {
    if (err instanceof TracewireError) throw err;
    throw new TracewireError(`converting the recording failed: ${(err as Error).message}; the raw ring-buffer pages are kept in ${spoolDir}`, 1);
  }
  const { bundle } = finished;
  return {
    bundleDir,
    kernelDir: join(bundleDir, KERNEL_DIR),
    capturePath: bundle.capture.file ? join(bundleDir, CAPTURE_FILE) : null,
    bundle,
    summary: summarize(bundle),
  };
}

/** The signal name an AbortSignal was aborted with (`controller.abort('SIGTERM')`), if any. */
function signalName(reason: unknown): NodeJS.Signals | 'signal' {
  return typeof reason === 'string' && /^SIG[A-Z]+$/.test(reason) ? (reason as NodeJS.Signals) : 'signal';
}

/**
 * Ends the recorded command when the recording stops first (duration, signal, full
 * disk). A SIGTERM or SIGHUP to the recorder is passed on at once; after a SIGINT (which
 * a Ctrl-C on the terminal delivered to the command too) the command gets a moment to
 * exit on its own. Then SIGINT, SIGTERM, SIGKILL, each after a grace period.
 */
async function stopCommand(child: ChildProcess, exited: () => boolean, signal: NodeJS.Signals | 'signal' | undefined): Promise<void> {
  const wait = (ms: number) =>
    new Promise<void>((r) => {
      if (exited()) return r();
      const t = setTimeout(r, ms);
      child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  const send = (sig: NodeJS.Signals): boolean => {
    if (exited()) return false;
    try {
      child.kill(sig);
      return true;
    } catch {
      return false;
    }
  };
  if (signal === 'SIGTERM' || signal === 'SIGHUP') {
    send(signal);
    await wait(COMMAND_TERM_MS);
  } else if (signal !== undefined) {
    await wait(COMMAND_GRACE_MS);
  }
  for (const [sig, ms] of [['SIGINT', COMMAND_GRACE_MS], ['SIGTERM', COMMAND_TERM_MS], ['SIGKILL', COMMAND_TERM_MS]] as const) {
    if (!send(sig)) return;
    await wait(ms);
  }
}

export { TOOL_VERSION };
