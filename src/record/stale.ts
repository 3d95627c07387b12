/**
 * Cleaning up after a recorder that was killed (kill -9, a crash, a lost machine
 * session): its tracefs instance is still there, possibly still tracing, its tcpdump may
 * still run, and its bundle has a spool but no CTF trace.
 *
 * An instance is stale when it is named `tracewire-<pid>-…` and that recorder process no
 * longer exists (or the pid now belongs to a different process: its start time differs
 * from the one in the state file). For each stale instance: tracing off, capture helpers
 * stopped, the pages still in the ring buffers read into the bundle's spool, the instance
 * removed — and, with `recover`, the bundle finished from the spool, marked
 * `complete: false, stop_reason: "recovered"`.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { listInstances, TracefsInstance, readPageLayout } from '../ftrace/tracefs.js';
import type { CaptureTarget } from './capture.js';
import { CaptureSet } from './capture.js';
import { measureRealtimeOffset, monotonicNow } from './clock.js';
import { finishBundle, readSpoolSession, readSpoolStateDump, SPOOL_DIR } from './finish.js';
import { INSTANCE_PREFIX, InstanceBuffers, processStartTime, readSavedTgids, STATE_DIR, stateFilePath, type SessionStateFile } from './session.js';
import { OWN_INSTANCE_SUFFIX, OWN_SPOOL_DIR } from './own-context.js';

export interface StaleCleanup {
  readonly instance: string;
  readonly removed: boolean;
  /** The bundle directory finished from the spool, if any. */
  readonly recoveredBundle?: string;
  readonly stoppedHelpers: number[];
  readonly problems: string[];
}

function readState(instance: string): SessionStateFile | undefined {
  try {
    return JSON.parse(readFileSync(stateFilePath(instance), 'utf8')) as SessionStateFile;
  } catch {
    return undefined;
  }
}

/** Whether the recorder that owns `instance` is gone. */
export function isStale(instance: string): boolean {
  const m = new RegExp(`^${INSTANCE_PREFIX}(\\d+)-`).exec(instance);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  const started = processStartTime(pid);
  if (started === undefined) return true;
  const state = readState(instance);
  return state !== undefined && state.pidStartTime !== '' && state.pidStartTime !== started;
}

async function stopHelper(pid: number): Promise<boolean> {
  let comm: string;
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return false;
  }
  if (comm !== 'tcpdump') return false; // the pid was reused by something else
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 30));
  if (existsSync(`/proc/${pid}`)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return true;
}

/** Reads what is left in a stale instance's buffers into its bundle's spool. */
function drainInto(inst: TracefsInstance, root: string, spoolDir: string): void {
  const buffers = new InstanceBuffers(inst, inst.cpus(), readPageLayout(root).layout, spoolDir);
  const problems: string[] = [];
  try {
    while (buffers.poll(1 << 20) > 0);
  } finally {
    buffers.close(problems);
  }
  if (problems.length) throw new Error(problems.join('; '));
}

/**
 * Takes the cleanup lock of `instance` so two runs never finish the same bundle at once.
 * A lock whose owner died is taken over. Returns a release function, or undefined when
 * another live run holds it.
 */
function lockCleanup(instance: string): (() => void) | undefined {
  const path = join(STATE_DIR, `${instance}.cleanup`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      let owner: number;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        owner = 0;
      }
      if (owner && existsSync(`/proc/${owner}`)) return undefined;
      try {
        unlinkSync(path);
      } catch {
        // raced with another run
      }
    }
  }
  return undefined;
}

/**
 * Finds and cleans up stale tracewire instances under the tracefs mount `root`. With
 * `recover`, also finishes their bundles. Never throws; problems are reported.
 */
export async function cleanupStaleSessions(root: string, opts: { recover: boolean }): Promise<StaleCleanup[]> {
  const out: StaleCleanup[] = [];
  const names = listInstances(root);
  for (const name of names) {
    if (!name.startsWith(INSTANCE_PREFIX) || !isStale(name)) continue;
    // An own-context instance is finished with its main instance (its events belong in
    // the same bundle); alone, it is only removed.
    if (name.endsWith(OWN_INSTANCE_SUFFIX) && names.includes(name.slice(0, -OWN_INSTANCE_SUFFIX.length))) continue;
    const release = lockCleanup(name);
    if (!release) continue;
    try {
      out.push(await cleanupOne(root, name, opts.recover));
    } finally {
      release();
    }
  }
  return out;
}

async function cleanupOne(root: string, name: string, recover: boolean): Promise<StaleCleanup> {
  const problems: string[] = [];
  const stoppedHelpers: number[] = [];
  const inst = TracefsInstance.open(root, name);
  const state = readState(name);
  inst.tryWrite('tracing_on', '0');
  for (const pid of state?.helperPids ?? []) if (await stopHelper(pid)) stoppedHelpers.push(pid);
  const spoolDir = state ? join(state.bundleDir, SPOOL_DIR) : undefined;
  let kernelLost = new Map<number, number>();
  if (spoolDir && existsSync(spoolDir)) {
    try {
      drainInto(inst, root, spoolDir);
    } catch (err) {
      problems.push(`reading the remaining events failed: ${(err as Error).message}`);
    }
  }
  const addLosses = (from: TracefsInstance) => {
    for (const cpu of from.cpus()) kernelLost.set(cpu, (kernelLost.get(cpu) ?? 0) + from.cpuLost(cpu));
  };
  addLosses(inst);
  // The own-context instance (own-context.ts): its pages join the same bundle.
  const ownName = state?.ownInstance ?? `${name}${OWN_INSTANCE_SUFFIX}`;
  const own = name.endsWith(OWN_INSTANCE_SUFFIX) ? undefined : TracefsInstance.open(root, ownName);
  let removed = true;
  if (own?.exists()) {
    own.tryWrite('tracing_on', '0');
    if (spoolDir && existsSync(spoolDir)) {
      try {
        drainInto(own, root, join(spoolDir, OWN_SPOOL_DIR));
      } catch (err) {
        problems.push(`reading the remaining events of ${ownName} failed: ${(err as Error).message}`);
      }
    }
    addLosses(own);
    if (!own.remove()) {
      removed = false;
      problems.push(`could not remove ${own.path}`);
    }
  }
  const savedTgids = readSavedTgids(root);
  inst.tryWrite('options/record-tgid', '0');
  if (!inst.remove()) {
    removed = false;
    problems.push(`could not remove ${inst.path}`);
  }
  try {
    unlinkSync(stateFilePath(name));
  } catch {
    // no state file
  }
  let recoveredBundle: string | undefined;
  if (recover && state && spoolDir && existsSync(join(spoolDir, 'session.json'))) {
    try {
      const session = readSpoolSession(spoolDir);
      const targets: CaptureTarget[] = session.captureTargets ?? [];
      const capture = CaptureSet.adopt(targets, state.bundleDir).merge();
      const end = monotonicNow();
      const clockEnd = measureRealtimeOffset();
      if (kernelLost.size === 0) kernelLost = new Map(session.cpus.map((c) => [c, 0]));
      finishBundle({
        session,
        statedump: readSpoolStateDump(spoolDir),
        kernelLost,
        savedTgids,
        capture,
        clockEnd,
        endMonotonicNs: end,
        stopReason: 'recovered',
        complete: false,
        error: `the recorder (pid ${state.pid}) died; finished by a later run (pid ${process.pid})`,
        command: session.command ? { argv: session.command.argv, pid: session.command.pid, exit_code: null, signal: null } : null,
        keepSpool: false,
      });
      recoveredBundle = state.bundleDir;
    } catch (err) {
      problems.push(`finishing bundle ${state.bundleDir} failed: ${(err as Error).message}`);
    }
  }
  return { instance: name, removed, stoppedHelpers, problems, ...(recoveredBundle ? { recoveredBundle } : {}) };
}
