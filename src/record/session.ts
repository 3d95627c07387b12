/**
 * One ftrace recording session: our own tracefs instance, configured (clock, buffer size,
 * overwrite mode, tgid recording, events, the recorder's own threads excluded), plus the
 * small own-context instance that keeps what the exclusion would wrongly drop (forks of
 * the recorder's children, interrupts landing on its threads; see own-context.ts), both
 * read into the spool while they run, and always dismantled at the end — tracing off,
 * events disabled, instances removed — also when stopping early.
 *
 * Every live session leaves a small state file in /run/tracewire naming its instance,
 * owner and bundle, so that a later run can recognise a session whose recorder was killed
 * (`stale.ts`) and finish it.
 */
import { mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TracewireError } from '../base/errors.js';
import { lostEvents, readPageLayout, TracefsInstance } from '../ftrace/tracefs.js';
import type { EventId } from '../ftrace/event-set.js';
import type { PageLayout } from '../ftrace/ring-buffer.js';
import { CpuReader, SPOOL_MAX_AGE_MS, SpoolWriter, type CpuCounters } from './spool.js';
import { OWN_BUFFER_KB, OWN_INSTANCE_SUFFIX, OWN_SPOOL_DIR, ownContextEvents, type OwnContextEvent } from './own-context.js';

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
  /** The own-context instance (see own-context.ts), if there is one. */
  ownInstance?: string;
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
  /** Problems met while setting up the own-context instance or dismantling (instance not removed, …). */
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

/** The per-CPU readers of one instance and the spool segments they fill. */
export class InstanceBuffers {
  readonly readers: CpuReader[] = [];
  readonly spools: SpoolWriter[] = [];

  constructor(readonly instance: TracefsInstance, cpus: readonly number[], layout: PageLayout, spoolDir: string) {
    mkdirSync(spoolDir, { recursive: true });
    try {
      for (const cpu of cpus) {
        const spool = new SpoolWriter(spoolDir, cpu);
        this.spools.push(spool);
        this.readers.push(new CpuReader(join(instance.path, 'per_cpu', `cpu${cpu}`, 'trace_pipe_raw'), cpu, layout, spool));
      }
    } catch (err) {
      this.close([]);
      throw err;
    }
  }

  /** Reads what the CPUs have buffered; returns the pages read. Throws DiskFullError. */
  poll(maxPagesPerCpu: number): number {
    let n = 0;
    for (const r of this.readers) n += r.drain(maxPagesPerCpu);
    const now = performance.now();
    for (const s of this.spools) s.flushIfOlder(SPOOL_MAX_AGE_MS, now);
    return n;
  }

  /**
   * Adds the kernel's loss counters of every CPU (overrun + commit overrun + dropped, and
   * the events still buffered when not drained) to `lost`; returns the raw stats.
   */
  addKernelLosses(lost: Map<number, number>, drained: boolean): Record<string, Record<string, number>> {
    const stats: Record<string, Record<string, number>> = {};
    for (const r of this.readers) {
      const s = this.instance.cpuStats(r.cpu);
      stats[r.cpu] = s;
      // Events still in the buffer were not read when stopping without draining (full disk):
      // they are lost too, and counted as such.
      const unread = drained ? 0 : (s['entries'] ?? 0);
      lost.set(r.cpu, (lost.get(r.cpu) ?? 0) + lostEvents(s) + unread);
    }
    return stats;
  }

  /** Closes spools (first: their last flush may drop pages on a full disk) and readers. Never throws. */
  close(warnings: string[]): void {
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
  }
}

export class FtraceSession {
  readonly instance: TracefsInstance;
  readonly layout: PageLayout;
  readonly headerPage: string;
  readonly headerEvent: string;
  /** Format texts of the enabled events, `system:event` → text. */
  readonly formats: Record<string, string> = {};
  readonly cpus: number[];
  /** Events the own-context instance keeps for the recorder's threads (`system:event`). */
  readonly ownContextEvents: string[] = [];
  private main: InstanceBuffers | undefined;
  private own: InstanceBuffers | undefined;
  private readonly state: SessionStateFile;
  private readonly setupWarnings: string[] = [];
  private stopped = false;
  private dismantled = false;

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
   * Creates and configures the instances and opens the per-CPU readers, without turning
   * tracing on yet. On any failure the instances are removed before the error propagates.
   * The own-context instance is a refinement: if it cannot be set up, recording goes on
   * without it and `stop()` reports why.
   */
  static create(opts: SessionOptions): FtraceSession {
    const name = `${INSTANCE_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
    mkdirSync(STATE_DIR, { recursive: true });
    const instance = TracefsInstance.create(opts.tracefsRoot, name);
    let session: FtraceSession | undefined;
    try {
      session = new FtraceSession(opts, instance);
      session.saveState();
      const excluded = session.configure();
      if (excluded) session.configureOwnContext();
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

  /** Configures the main instance; returns whether the recorder's threads are excluded. */
  private configure(): boolean {
    const inst = this.instance;
    inst.setTracing(false);
    inst.write('trace_clock', 'mono');
    inst.write('buffer_size_kb', String(this.opts.bufferSizeKb));
    // Overwrite mode: when the reader falls behind, the kernel reports exactly how many
    // events were lost at the page where it happened (in non-overwrite mode it only counts).
    inst.write('options/overwrite', '1');
    inst.tryWrite('options/record-tgid', '1');
    // Children of excluded threads (the recorded command) must be traced: never inherit.
    inst.tryWrite('options/event-fork', '0');
    const excluded = this.opts.excludeTids.length > 0 && inst.tryWrite('set_event_notrace_pid', this.opts.excludeTids.join(' '));
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
    this.main = new InstanceBuffers(inst, this.cpus, this.layout, this.opts.spoolDir);
    return excluded;
  }

  /**
   * The own-context instance: traces only the excluded threads (`set_event_pid`, the same
   * tids), with the events of own-context.ts. Its events are the exact complement of what
   * the main instance's exclusion drops, so nothing is recorded twice.
   */
  private configureOwnContext(): void {
    const events = ownContextEvents(this.opts.events);
    if (events.length === 0) return;
    let own: TracefsInstance | undefined;
    try {
      own = TracefsInstance.create(this.opts.tracefsRoot, `${this.instance.name}${OWN_INSTANCE_SUFFIX}`);
      // Registered before anything can fail half-way, so a later run finds and removes it.
      this.state.ownInstance = own.name;
      this.saveState();
      own.setTracing(false);
      own.write('trace_clock', 'mono');
      own.write('buffer_size_kb', String(OWN_BUFFER_KB));
      own.write('options/overwrite', '1');
      // A child of the recorder must NOT join this instance's pid list: the main instance
      // traces it, and it would then be recorded twice.
      own.write('options/event-fork', '0');
      own.write('set_event_pid', this.opts.excludeTids.join(' '));
      for (const e of events) {
        if (e.filter) own.write(join('events', e.system, e.name, 'filter'), e.filter);
        own.setEvent(e.system, e.name, true);
      }
      this.own = new InstanceBuffers(own, this.cpus, this.layout, join(this.opts.spoolDir, OWN_SPOOL_DIR));
      this.ownContextEvents.push(...events.map((e: OwnContextEvent) => `${e.system}:${e.name}`));
    } catch (err) {
      this.setupWarnings.push(`the recorder's own context is not traced (its children's forks are missing): ${(err as Error).message}`);
      if (own && !own.remove()) this.setupWarnings.push(`could not remove tracefs instance ${own.path}`);
      this.state.ownInstance = undefined;
      this.saveState();
    }
  }

  /** Turns recording on (the own-context instance first, so it brackets the main one). */
  start(): void {
    this.own?.instance.setTracing(true);
    this.instance.setTracing(true);
  }

  /** Reads what the CPUs have buffered; returns the pages read. Throws DiskFullError. */
  poll(maxPagesPerCpu = 2048): number {
    return (this.main?.poll(maxPagesPerCpu) ?? 0) + (this.own?.poll(maxPagesPerCpu) ?? 0);
  }

  /** Totals over CPUs (and both instances) of what was read so far. */
  totals(): CpuCounters {
    const t: CpuCounters = { pages: 0, bytes: 0, records: 0, lost: 0, lossesWithoutCount: 0, dropped: 0 };
    for (const r of [...(this.main?.readers ?? []), ...(this.own?.readers ?? [])]) {
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
   * Stops recording and reads everything left, then dismantles the instances. With
   * `drain` false (the disk is full), buffered events are discarded.
   */
  stop(drain = true): StopInfo {
    const warnings: string[] = [...this.setupWarnings];
    if (this.stopped) throw new TracewireError('session already stopped');
    this.stopped = true;
    this.instance.tryWrite('tracing_on', '0');
    this.own?.instance.tryWrite('tracing_on', '0');
    if (drain) {
      try {
        for (let idle = 0; idle < 2; ) idle = this.poll(1 << 20) === 0 ? idle + 1 : 0;
      } catch (err) {
        warnings.push(`final read stopped: ${(err as Error).message}`);
      }
    }
    const kernelLost = new Map<number, number>(this.cpus.map((c) => [c, 0]));
    const stats = this.main?.addKernelLosses(kernelLost, drain) ?? {};
    const ownStats = this.own?.addKernelLosses(kernelLost, drain) ?? {};
    for (const [cpu, s] of Object.entries(ownStats)) stats[`own${cpu}`] = s;
    const savedTgids = readSavedTgids(this.opts.tracefsRoot);
    this.dismantle(warnings);
    // Events the recorder read but could not store (full disk) are lost too.
    const counters: Record<string, CpuCounters> = {};
    for (const [prefix, buffers] of [['', this.main], ['own', this.own]] as const) {
      for (const r of buffers?.readers ?? []) {
        counters[`${prefix}${r.cpu}`] = { ...r.counters };
        kernelLost.set(r.cpu, (kernelLost.get(r.cpu) ?? 0) + r.counters.dropped);
      }
    }
    return { kernelLost, stats, savedTgids, counters, warnings };
  }

  /** Closes readers and spools, removes the instances and the state file. Never throws. */
  dismantle(warnings: string[]): void {
    this.stopped = true;
    if (this.dismantled) return;
    this.dismantled = true;
    this.main?.close(warnings);
    this.own?.close(warnings);
    this.instance.tryWrite('options/record-tgid', '0');
    if (!this.instance.remove()) warnings.push(`could not remove tracefs instance ${this.instance.path}`);
    if (this.own && !this.own.instance.remove()) warnings.push(`could not remove tracefs instance ${this.own.instance.path}`);
    try {
      unlinkSync(stateFilePath(this.instance.name));
    } catch {
      // gone
    }
  }
}
