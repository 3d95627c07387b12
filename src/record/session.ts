/**
 * One ftrace recording session: our own tracefs instance, configured (clock, buffer size,
 * overwrite mode, tgid recording, events, the recorder's own threads excluded), read into
 * the spool while it runs, and always dismantled at the end — tracing off, events
 * disabled, instance removed — also when stopping early.
 *
 * Every live session leaves a small state file in /run/tracewire naming its instance,
 * owner and bundle, so that a later run can recognise a session whose recorder was killed
 * (`stale.ts`) and finish it.
 */
import { mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TracewireError } from '../base/errors.js';
import { readPageLayout, TracefsInstance } from '../ftrace/tracefs.js';
import type { EventId } from '../ftrace/event-set.js';
import type { PageLayout } from '../ftrace/ring-buffer.js';
import { CpuReader, SpoolWriter, type CpuCounters } from './spool.js';

/** Where live sessions register themselves. */
export const STATE_DIR = '/run/tracewire';
export const INSTANCE_PREFIX = 'tracewire-';

/** The state file of a live session (see stale.ts). */
export interface SessionStateFile {
  readonly instance: string;
  readonly pid: number;
  /** Start time of the recorder process (field 22 of /proc/PID/stat), to detect pid reuse. */
  readonly pidStartTime: string;
  readonly bundleDir: string;
  readonly spoolDir: string;
  readonly tracefsRoot: string;
  /** Helper processes to stop if the recorder dies (tcpdump, …). */
  helperPids: number[];
}

export interface SessionOptions {
  readonly tracefsRoot: string;
  readonly bundleDir: string;
  readonly spoolDir: string;
  readonly events: readonly EventId[];
  /** Ring buffer size per CPU, KiB. */
  readonly bufferSizeKb: number;
  /** Thread ids whose events are not recorded (the recorder's own). */
  readonly excludeTids: readonly number[];
}

export interface StopInfo {
  /**
   * Lost events per CPU: the kernel's counters (overrun + dropped + commit overrun), plus
   * events left unread when stopping without draining, plus events read but not stored.
   */
  readonly kernelLost: Map<number, number>;
  readonly stats: Record<string, Record<string, number>>;
  readonly savedTgids: Map<number, number>;
  readonly counters: Record<string, CpuCounters>;
  /** Problems met while dismantling (instance not removed, …). */
  readonly warnings: string[];
}

/** `(pid, start time)` of a process, or undefined if it does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function stateFilePath(instance: string): string {
  return join(STATE_DIR, `${instance}.json`);
}

/** Reads the kernel's saved tid → tgid map (tracefs `saved_tgids`). */
export function readSavedTgids(root: string): Map<number, number> {
  const out = new Map<number, number>();
  let text: string;
  try {
    text = readFileSync(join(root, 'saved_tgids'), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(\d+)/.exec(line);
    if (m && m[2] !== '0') out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

export class FtraceSession {
  readonly instance: TracefsInstance;
  readonly layout: PageLayout;
  readonly headerPage: string;
  readonly headerEvent: string;
  /** Format texts of the enabled events, `system:event` → text. */
  readonly formats: Record<string, string> = {};
  readonly cpus: number[];
  private readonly readers: CpuReader[] = [];
  private readonly closedReaders: CpuReader[] = [];
  private readonly spools: SpoolWriter[] = [];
  private readonly state: SessionStateFile;
  private stopped = false;

  private constructor(private readonly opts: SessionOptions, instance: TracefsInstance) {
    this.instance = instance;
    const { layout, headerPage, headerEvent } = readPageLayout(opts.tracefsRoot);
    this.layout = layout;
    this.headerPage = headerPage;
    this.headerEvent = headerEvent;
    this.cpus = instance.cpus();
    this.state = {
      instance: instance.name,
      pid: process.pid,
      pidStartTime: processStartTime(process.pid) ?? '',
      bundleDir: opts.bundleDir,
      spoolDir: opts.spoolDir,
      tracefsRoot: opts.tracefsRoot,
      helperPids: [],
    };
  }

  /**
   * Creates and configures the instance and opens the per-CPU readers, without turning
   * tracing on yet. On any failure the instance is removed before the error propagates.
   */
  static create(opts: SessionOptions): FtraceSession {
    const name = `${INSTANCE_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
    mkdirSync(STATE_DIR, { recursive: true });
    const instance = TracefsInstance.create(opts.tracefsRoot, name);
    let session: FtraceSession | undefined;
    try {
      session = new FtraceSession(opts, instance);
      session.saveState();
      session.configure();
      return session;
    } catch (err) {
      if (session) session.dismantle([]);
      else instance.remove();
      try {
        unlinkSync(stateFilePath(name));
      } catch {
        // not written yet
      }
      throw err;
    }
  }

  /** Remembers a helper process (capture) so a later run can stop it if we die. */
  addHelperPid(pid: number): void {
    this.state.helperPids.push(pid);
    this.saveState();
  }

  private saveState(): void {
    writeFileSync(stateFilePath(this.instance.name), JSON.stringify(this.state));
  }

  private configure(): void {
    const inst = this.instance;
    inst.setTracing(false);
    inst.write('trace_clock', 'mono');
    inst.write('buffer_size_kb', String(this.opts.bufferSizeKb));
    // Overwrite mode: when the reader falls behind, the kernel reports exactly how many
    // events were lost at the page where it happened (in non-overwrite mode it only counts).
    inst.write('options/overwrite', '1');
    inst.tryWrite('options/record-tgid', '1');
    inst.tryWrite('options/event-fork', '0');
    if (this.opts.excludeTids.length) inst.tryWrite('set_event_notrace_pid', this.opts.excludeTids.join(' '));
    for (const e of this.opts.events) {
      this.formats[`${e.system}:${e.name}`] = readFileSync(join(inst.path, 'events', e.system, e.name, 'format'), 'utf8');
    }
    // Whole systems in one write when every event of the system is wanted (syscalls).
    const bySystem = new Map<string, string[]>();
    for (const e of this.opts.events) {
      let l = bySystem.get(e.system);
      if (!l) bySystem.set(e.system, (l = []));
      l.push(e.name);
    }
    for (const [system, names] of bySystem) {
      let all: string[];
      try {
        all = readdirSync(join(inst.path, 'events', system)).filter((n) => n !== 'enable' && n !== 'filter');
      } catch {
        all = [];
      }
      if (names.length > 1 && names.length === all.length) inst.setEvent(system, undefined, true);
      else for (const n of names) inst.setEvent(system, n, true);
    }
    mkdirSync(this.opts.spoolDir, { recursive: true });
    for (const cpu of this.cpus) {
      const spool = new SpoolWriter(this.opts.spoolDir, cpu);
      this.spools.push(spool);
      this.readers.push(new CpuReader(join(inst.path, 'per_cpu', `cpu${cpu}`, 'trace_pipe_raw'), cpu, this.layout, spool));
    }
  }

  /** Turns recording on. */
  start(): void {
    this.instance.setTracing(true);
  }

  /** Reads what the CPUs have buffered; returns the pages read. Throws DiskFullError. */
  poll(maxPagesPerCpu = 2048): number {
    let n = 0;
    for (const r of this.readers) n += r.drain(maxPagesPerCpu);
    return n;
  }

  /** Totals over CPUs of what was read so far. */
  totals(): CpuCounters {
    const t: CpuCounters = { pages: 0, bytes: 0, records: 0, lost: 0, lossesWithoutCount: 0, dropped: 0 };
    for (const r of this.readers) {
      t.pages += r.counters.pages;
      t.bytes += r.counters.bytes;
      t.records += r.counters.records;
      t.lost += r.counters.lost;
      t.lossesWithoutCount += r.counters.lossesWithoutCount;
      t.dropped += r.counters.dropped;
    }
    return t;
  }

  /**
   * Stops recording and reads everything left, then dismantles the instance. With
   * `drain` false (the disk is full), buffered events are discarded. Safe to call twice.
   */
  stop(drain = true): StopInfo {
    const warnings: string[] = [];
    if (this.stopped) throw new TracewireError('session already stopped');
    this.stopped = true;
    this.instance.tryWrite('tracing_on', '0');
    if (drain) {
      try {
        for (let idle = 0; idle < 2; ) idle = this.poll(1 << 20) === 0 ? idle + 1 : 0;
      } catch (err) {
        warnings.push(`final read stopped: ${(err as Error).message}`);
      }
    }
    const stats: Record<string, Record<string, number>> = {};
    const kernelLost = new Map<number, number>();
    for (const cpu of this.cpus) {
      const s = this.instance.cpuStats(cpu);
      stats[cpu] = s;
      // Events still in the buffer were not read when stopping without draining (full disk):
      // they are lost too, and counted as such.
      const unread = drain ? 0 : (s['entries'] ?? 0);
      kernelLost.set(cpu, (s['overrun'] ?? 0) + (s['commit overrun'] ?? 0) + (s['dropped events'] ?? 0) + unread);
    }
    const savedTgids = readSavedTgids(this.opts.tracefsRoot);
    this.dismantle(warnings);
    // Events the recorder read but could not store (full disk) are lost too.
    const counters: Record<string, CpuCounters> = {};
    for (const r of this.closedReaders) {
      counters[r.cpu] = { ...r.counters };
      kernelLost.set(r.cpu, (kernelLost.get(r.cpu) ?? 0) + r.counters.dropped);
    }
    return { kernelLost, stats, savedTgids, counters, warnings };
  }

  /** Closes readers and spools, removes the instance and the state file. Never throws. */
  dismantle(warnings: string[]): void {
    this.stopped = true;
    // Spools first: their last flush may drop pages on a full disk, which the readers count.
    for (const s of this.spools) {
      try {
        s.close();
      } catch (err) {
        warnings.push(`spool cpu${s.cpu}: ${(err as Error).message}`);
      }
    }
    for (const r of this.readers) {
      try {
        r.close();
      } catch {
        // already closed
      }
    }
    this.closedReaders.push(...this.readers);
    this.readers.length = 0;
    this.spools.length = 0;
    this.instance.tryWrite('options/record-tgid', '0');
    if (!this.instance.remove()) warnings.push(`could not remove tracefs instance ${this.instance.path}`);
    try {
      unlinkSync(stateFilePath(this.instance.name));
    } catch {
      // gone
    }
  }
}
