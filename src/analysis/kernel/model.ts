/**
 * KernelModel: the finished state model of one kernel trace, and the queries a timeline
 * UI and the story build on.
 *
 * Rows (`rows()`): one per thread lifetime, per CPU, per (IRQ line, CPU) and per
 * (softirq vector, CPU), each a sorted, non-overlapping list of intervals stored
 * columnar (state code + `value` + `aux`, see states.ts for what they mean per row kind).
 * Queries:
 * - `intervals(row, t0, t1, resolutionNs)`: the intervals overlapping [t0, t1], merged to
 *   the resolution (ns per pixel) — columnar, relative times, for drawing;
 * - `intervalList(...)`: the same as objects with bigint times, for code and tests;
 * - `stateAt(row, t)`: the interval covering t, or null in a gap;
 * - `threads()`, `wakeups()`, `netEvents`, `lostEvents()`, `describe()`.
 * Analyses run on the same pass (statistics, file descriptors) hang off the model as
 * `model.syscalls`, `model.irqs`, `model.sched`, `model.fds` (see analyze.ts).
 *
 * Time: every public time is a bigint in nanoseconds from the trace clock's origin (like
 * babeltrace2's ns_from_origin). Internally times are float64 offsets from `baseNs`.
 */
import type { TraceInfo } from '../../model/trace-event.js';
import type { FdModel } from '../fds/fd-model.js';
import type { IrqStatistics } from '../stats/irq-stats.js';
import type { SchedStatistics } from '../stats/sched-stats.js';
import type { SyscallStatistics } from '../stats/syscall-stats.js';
import type { RowWriter } from './interval-column.js';
import { CountedColumn, mergeRange, RowPyramid, type IntervalSlice } from './level-of-detail.js';
import type { NetEventLog } from './net-event-log.js';
import { RowState, rowStateName, softirqName, taskStateLetters } from './states.js';
import type { ThreadRecord } from './thread-record.js';
import { WAKER_CONTEXT_NAMES, WAKEUP_KIND_NAMES, type WakeupLog } from './wakeup-log.js';

export type { IntervalSlice } from './level-of-detail.js';

/** A running thread's state as its CPU row shows it (user, syscall, kernel). */
function cpuStateOf(threadState: number, value: number): [number, number] {
  if (threadState === RowState.RUN_SYSCALL) return [RowState.RUN_SYSCALL, value];
  if (threadState === RowState.RUN_USER || threadState === RowState.RUN_KERNEL) return [threadState, -1];
  return [RowState.RUNNING, -1];
}

export type RowKind = 'thread' | 'cpu' | 'irq' | 'softirq';

/** How the builder registers a row (internal). */
export interface RowDescriptor {
  readonly index: number;
  readonly kind: RowKind;
  readonly cpu?: number;
  readonly irq?: number;
  readonly vec?: number;
  readonly thread?: ThreadRecord;
  readonly writer: RowWriter;
}

/** One row of the timeline, as a UI lists it. */
export interface TimelineRow {
  /** The row's id for the queries (`intervals(row.index, …)`). */
  readonly index: number;
  readonly kind: RowKind;
  /** `ncat 4242`, `CPU 1`, `IRQ 26 eth0 (CPU 1)`, `NET_RX (CPU 0)`. */
  readonly label: string;
  /** Thread rows: tid, pid (null while unknown), current name and the ThreadInfo uid. */
  readonly tid?: number;
  readonly pid?: number | null;
  readonly name?: string;
  readonly threadUid?: number;
  /** CPU rows, and the CPU of IRQ and softirq rows. */
  readonly cpu?: number;
  readonly irq?: number;
  readonly vec?: number;
  readonly intervalCount: number;
  /** Start of the first interval and end of the last (null for an empty row). */
  readonly first: bigint | null;
  readonly last: bigint | null;
}

/** One interval with bigint times (see states.ts for `value` and `aux`). */
export interface StateInterval {
  readonly start: bigint;
  readonly end: bigint;
  /** `user`, `syscall`, `kernel`, `irq`, `softirq`, `wait_cpu`, `blocked`, `idle`, `softirq_raised`, `unknown`. */
  readonly state: string;
  readonly code: number;
  readonly value: number;
  readonly aux: number;
  /** How many recorded intervals it stands for (1 unless merged for a resolution). */
  readonly merged: number;
  /** Human description: `syscall openat`, `irq 26 (eth0)`, `blocked (S) in epoll_wait`. */
  readonly label: string;
}

/** A thread lifetime. */
export interface ThreadInfo {
  readonly uid: number;
  readonly tid: number;
  /** 0 for the first thread with this tid in the trace, 1 for the next (tid reuse), … */
  readonly serial: number;
  readonly pid: number | null;
  readonly ppid: number | null;
  /** tid of the thread that forked it, when the fork is in the trace. */
  readonly parentTid: number | null;
  /** Current (last known) name. */
  readonly name: string;
  /** Names over time, oldest first; `ts` is when the name was first seen or set. */
  readonly names: ReadonlyArray<{ readonly ts: bigint; readonly name: string }>;
  readonly kernelThread: boolean;
  readonly forkTs: bigint | null;
  readonly exitTs: bigint | null;
  readonly freeTs: bigint | null;
  readonly execs: ReadonlyArray<{ readonly ts: bigint; readonly filename: string }>;
  /** Network namespace inode (state dump), or null. */
  readonly netNs: number | null;
  readonly rowIndex: number;
}

/** One wakeup, resolved (see wakeup-log.ts). */
export interface WakeupInfo {
  readonly index: number;
  readonly ts: bigint;
  readonly kind: string;
  readonly targetUid: number;
  readonly targetTid: number;
  readonly targetCpu: number;
  readonly wakerUid: number | null;
  readonly wakerTid: number | null;
  readonly wakerCpu: number;
  /** `thread`, `irq`, `softirq`, `idle` or `unknown`. */
  readonly context: string;
  /** IRQ line or softirq vector of the context, or null. */
  readonly contextValue: number | null;
  /** When the target next ran, or null. */
  readonly scheduledTs: bigint | null;
  /** True when the target was already running or runnable. */
  readonly spurious: boolean;
}

/** Events the tracer lost (relative times internally; see lostEvents()). */
export interface LostEventsRecord {
  readonly kind: 'discarded_events' | 'discarded_packets';
  readonly cpu: number | null;
  readonly count: number | null;
  readonly begin: number;
  readonly end: number;
}

export interface KernelModelParts {
  readonly trace: TraceInfo | null;
  readonly baseNs: bigint;
  readonly endTime: number;
  readonly events: number;
  readonly names: readonly string[];
  readonly threads: readonly ThreadRecord[];
  readonly rows: readonly RowDescriptor[];
  readonly wakeups: WakeupLog;
  readonly net: NetEventLog;
  readonly irqNames: ReadonlyMap<number, string>;
  readonly netNsNames: ReadonlyMap<number, string>;
  readonly lost: readonly LostEventsRecord[];
  readonly unattributedSyscalls: number;
  readonly statedump: { readonly begin: number; readonly end: number } | null;
}

export class KernelModel {
  /** The trace the model was built from (null when fed by hand). */
  readonly trace: TraceInfo | null;
  /** Time 0 of the relative columns: the first event's timestamp (ns from origin). */
  readonly baseNs: bigint;
  /** First and last event times (ns from origin). */
  readonly beginNs: bigint;
  readonly endNs: bigint;
  /** Events read. */
  readonly eventCount: number;
  /** System calls whose CPU's thread was unknown (before its first sched_switch). */
  readonly unattributedSyscalls: number;
  /** The name table: `value` of RUN_SYSCALL intervals indexes it. */
  readonly names: readonly string[];
  /** Wakeups, columnar (see WakeupLog); `wakeups()` resolves them. */
  readonly wakeupLog: WakeupLog;
  /** Network device events, columnar. */
  readonly netEvents: NetEventLog;
  /** IRQ line → handler name (irq_handler_entry, state dump). */
  readonly irqNames: ReadonlyMap<number, string>;
  /** Network namespace inode → name (tracewire state dump). */
  readonly netNsNames: ReadonlyMap<number, string>;
  /** Statistics and fd analyses of the same pass (set by analyzeKernel). */
  syscalls: SyscallStatistics | null = null;
  irqs: IrqStatistics | null = null;
  sched: SchedStatistics | null = null;
  fds: FdModel | null = null;

  private readonly parts: KernelModelParts;
  private readonly pyramids = new Map<number, RowPyramid>();

  constructor(parts: KernelModelParts) {
    this.parts = parts;
    this.trace = parts.trace;
    this.baseNs = parts.baseNs;
    this.beginNs = parts.baseNs;
    this.endNs = parts.baseNs + BigInt(parts.endTime);
    this.eventCount = parts.events;
    this.unattributedSyscalls = parts.unattributedSyscalls;
    this.names = parts.names;
    this.wakeupLog = parts.wakeups;
    this.netEvents = parts.net;
    this.irqNames = parts.irqNames;
    this.netNsNames = parts.netNsNames;
  }

  /** Absolute ns of a relative model time. */
  toNs(rel: number): bigint {
    return this.baseNs + BigInt(Math.round(rel));
  }

  /** Relative model time of an absolute ns time. */
  toRel(ns: bigint): number {
    return Number(ns - this.baseNs);
  }

  /** The state dump window (ns), or null when the trace has none. */
  get statedump(): { begin: bigint; end: bigint | null } | null {
    const s = this.parts.statedump;
    if (!s) return null;
    return { begin: this.toNs(s.begin), end: s.end === s.end ? this.toNs(s.end) : null };
  }

  /** The timeline rows: threads (by tid), then CPUs, IRQ lines and softirq vectors. */
  rows(kind?: RowKind): TimelineRow[] {
    const out: TimelineRow[] = [];
    for (const d of this.parts.rows) if (kind === undefined || d.kind === kind) out.push(this.rowInfo(d));
    const order: Record<RowKind, number> = { thread: 0, cpu: 1, irq: 2, softirq: 3 };
    return out.sort((a, b) => order[a.kind] - order[b.kind] || (a.tid ?? 0) - (b.tid ?? 0) || (a.cpu ?? 0) - (b.cpu ?? 0) || (a.irq ?? a.vec ?? 0) - (b.irq ?? b.vec ?? 0) || a.index - b.index);
  }

  /** One row's description. */
  row(index: number): TimelineRow {
    return this.rowInfo(this.descriptor(index));
  }

  private descriptor(index: number): RowDescriptor {
    const d = this.parts.rows[index];
    if (!d) throw new RangeError(`no row ${index}`);
    return d;
  }

  private rowInfo(d: RowDescriptor): TimelineRow {
    const w = d.writer;
    const n = w.count;
    const common = { index: d.index, kind: d.kind, intervalCount: n, first: n ? this.toNs(w.firstTime) : null, last: n ? this.toNs(w.lastEnd) : null };
    switch (d.kind) {
      case 'thread': {
        const th = d.thread!;
        return { ...common, label: `${th.name || '?'} ${th.tid}`, tid: th.tid, pid: th.pid >= 0 ? th.pid : null, name: th.name, threadUid: th.uid };
      }
      case 'cpu':
        return { ...common, label: `CPU ${d.cpu}`, cpu: d.cpu };
      case 'irq': {
        const name = this.irqNames.get(d.irq!);
        return { ...common, label: `IRQ ${d.irq}${name ? ` ${name}` : ''} (CPU ${d.cpu})`, cpu: d.cpu, irq: d.irq };
      }
      case 'softirq':
        return { ...common, label: `${softirqName(d.vec!)} (CPU ${d.cpu})`, cpu: d.cpu, vec: d.vec };
    }
  }

  /** The CPUs of the trace, ascending. */
  cpus(): number[] {
    return this.parts.rows.filter((d) => d.kind === 'cpu').map((d) => d.cpu!);
  }

  /** Every thread lifetime, in order of first appearance (index = uid). */
  threads(): ThreadInfo[] {
    return this.parts.threads.map((th) => this.threadInfo(th));
  }

  /** The thread lifetime `uid`. */
  thread(uid: number): ThreadInfo {
    const th = this.parts.threads[uid];
    if (!th) throw new RangeError(`no thread ${uid}`);
    return this.threadInfo(th);
  }

  private byTid: Map<number, ThreadRecord[]> | null = null;

  /** The live-pass records of the thread lifetimes that had `tid`, oldest first. */
  threadRecordsOfTid(tid: number): readonly ThreadRecord[] {
    if (!this.byTid) {
      this.byTid = new Map();
      for (const th of this.parts.threads) {
        const l = this.byTid.get(th.tid);
        if (l) l.push(th);
        else this.byTid.set(th.tid, [th]);
      }
    }
    return this.byTid.get(tid) ?? [];
  }

  /** The thread lifetimes that had `tid` (several when the tid was reused). */
  threadsByTid(tid: number): ThreadInfo[] {
    return this.threadRecordsOfTid(tid).map((th) => this.threadInfo(th));
  }

  /** The threads of process `pid` (the thread group), in order of appearance. */
  threadsOfProcess(pid: number): ThreadInfo[] {
    return this.parts.threads.filter((th) => th.pid === pid).map((th) => this.threadInfo(th));
  }

  /** The live-pass record of a thread (for analyses in this package). */
  threadRecord(uid: number): ThreadRecord | undefined {
    return this.parts.threads[uid];
  }

  /** The name of thread `uid` at time `ns` (names change with exec and prctl). */
  threadNameAt(uid: number, ns: bigint): string {
    const th = this.parts.threads[uid];
    return th ? th.nameAt(this.toRel(ns)) : '';
  }

  private threadInfo(th: ThreadRecord): ThreadInfo {
    const opt = (rel: number): bigint | null => (rel === rel ? this.toNs(rel) : null);
    return {
      uid: th.uid,
      tid: th.tid,
      serial: th.serial,
      pid: th.pid >= 0 ? th.pid : null,
      ppid: th.ppid >= 0 ? th.ppid : null,
      parentTid: th.parentTid >= 0 ? th.parentTid : null,
      name: th.name,
      names: th.names.map((name, i) => ({ ts: this.toNs(th.nameTimes[i]!), name })),
      kernelThread: th.kernelThread,
      forkTs: opt(th.forkTime),
      exitTs: opt(th.exitTime),
      freeTs: opt(th.freeTime),
      execs: th.execs.map((e) => ({ ts: this.toNs(e.time), filename: e.filename })),
      netNs: th.netNs || null,
      rowIndex: th.row.index,
    };
  }

  /**
   * The intervals of `row` overlapping [t0, t1] (ns from origin), columnar with times
   * relative to `baseNs`. With `resolutionNs` > 0 (the width of a pixel), runs of shorter
   * intervals are merged (see level-of-detail.ts); 0 returns the recorded intervals.
   */
  intervals(row: number, t0: bigint, t1: bigint, resolutionNs: number | bigint = 0): IntervalSlice {
    const d = this.descriptor(row);
    const res = Number(resolutionNs);
    const out = d.kind === 'cpu' ? this.cpuRange(d, this.toRel(t0), this.toRel(t1), res) : this.range(d, this.toRel(t0), this.toRel(t1), res);
    out.trim();
    return { baseNs: this.baseNs, length: out.length, start: out.start, end: out.end, state: out.state, value: out.value, aux: out.aux, merged: out.count };
  }

  /** The stored intervals of a row overlapping [r0, r1] (relative), merged for `res`. */
  private range(d: RowDescriptor, r0: number, r1: number, res: number): CountedColumn {
    let src = d.writer.column();
    let counts: Uint32Array | null = null;
    if (res > 0) {
      let pyramid = this.pyramids.get(d.index);
      if (!pyramid) {
        pyramid = new RowPyramid(src);
        this.pyramids.set(d.index, pyramid);
      }
      const s = pyramid.sourceFor(res);
      src = s.column;
      counts = s.counts;
    }
    const from = src.firstEndingAfter(r0);
    let to = from;
    while (to < src.length && src.start[to]! <= r1) to++;
    const out = new CountedColumn(Math.max(8, to - from));
    if (res > 0) mergeRange(src, counts, from, to, res, out);
    else for (let i = from; i < to; i++) out.pushCounted(src.start[i]!, src.end[i]!, src.state[i]!, src.value[i]!, src.aux[i]!, counts ? counts[i]! : 1);
    return out;
  }

  /**
   * A CPU row's intervals: the stored coarse ones with each RUNNING(thread) interval
   * replaced by the thread's own user/syscall/kernel pieces, then merged for `res`.
   */
  private cpuRange(d: RowDescriptor, r0: number, r1: number, res: number): CountedColumn {
    const coarse = this.range(d, r0, r1, 0);
    const pieces = new CountedColumn(Math.max(8, coarse.length * 2));
    for (let i = 0; i < coarse.length; i++) {
      const a = coarse.start[i]!;
      const b = coarse.end[i]!;
      const tid = coarse.aux[i]!;
      if (coarse.state[i] !== RowState.RUNNING) {
        pieces.pushCounted(a, b, coarse.state[i]!, coarse.value[i]!, tid, 1);
        continue;
      }
      const th = this.parts.threads[coarse.value[i]!];
      if (!th) {
        pieces.pushCounted(a, b, RowState.RUNNING, -1, tid, 1);
        continue;
      }
      if (res > 0 && b - a < res) {
        // narrower than a pixel: the thread's state in its middle stands for it
        const col = th.row.column();
        const j = col.lastStartingAtOrBefore((a + b) / 2);
        const [state, value] = j >= 0 && col.end[j]! > (a + b) / 2 ? cpuStateOf(col.state[j]!, col.value[j]!) : [RowState.RUNNING, -1];
        pieces.pushCounted(a, b, state, value, tid, 1);
        continue;
      }
      const sub = this.range(this.parts.rows[th.row.index]!, a, b, res);
      let at = a;
      for (let k = 0; k < sub.length; k++) {
        const s0 = Math.max(a, sub.start[k]!);
        const s1 = Math.min(b, sub.end[k]!);
        if (s1 <= s0) continue;
        if (s0 > at) pieces.pushCounted(at, s0, RowState.RUNNING, -1, tid, 1);
        const [state, value] = cpuStateOf(sub.state[k]!, sub.value[k]!);
        pieces.pushCounted(s0, s1, state, value, tid, sub.count[k]!);
        at = s1;
      }
      if (at < b) pieces.pushCounted(at, b, RowState.RUNNING, -1, tid, 1);
    }
    if (res <= 0) return pieces;
    const out = new CountedColumn(Math.max(8, pieces.length));
    mergeRange(pieces, pieces.count, 0, pieces.length, res, out);
    return out;
  }

  /** Like `intervals()`, as objects with bigint times and labels. */
  intervalList(row: number, t0: bigint = this.beginNs, t1: bigint = this.endNs, resolutionNs: number | bigint = 0): StateInterval[] {
    const kind = this.descriptor(row).kind;
    const s = this.intervals(row, t0, t1, resolutionNs);
    const out: StateInterval[] = [];
    for (let i = 0; i < s.length; i++) out.push(this.interval(kind, s.start[i]!, s.end[i]!, s.state[i]!, s.value[i]!, s.aux[i]!, s.merged[i]!));
    return out;
  }

  /** The interval of `row` covering time `t`, or null (before/after the row, or a gap). */
  stateAt(row: number, t: bigint): StateInterval | null {
    const d = this.descriptor(row);
    const col = d.writer.column();
    const rel = this.toRel(t);
    const i = col.lastStartingAtOrBefore(rel);
    if (i < 0 || col.end[i]! <= rel) return null;
    if (d.kind === 'cpu' && col.state[i] === RowState.RUNNING) {
      // the thread's piece around t, clipped to the time it ran on this CPU
      const th = this.parts.threads[col.value[i]!];
      const tc = th?.row.column();
      const j = tc ? tc.lastStartingAtOrBefore(rel) : -1;
      if (tc && j >= 0 && tc.end[j]! > rel) {
        const [state, value] = cpuStateOf(tc.state[j]!, tc.value[j]!);
        return this.interval('cpu', Math.max(col.start[i]!, tc.start[j]!), Math.min(col.end[i]!, tc.end[j]!), state, value, col.aux[i]!, 1);
      }
    }
    return this.interval(d.kind, col.start[i]!, col.end[i]!, col.state[i]!, col.value[i]!, col.aux[i]!, 1);
  }

  private interval(kind: RowKind, start: number, end: number, code: number, value: number, aux: number, merged: number): StateInterval {
    return { start: this.toNs(start), end: this.toNs(end), state: rowStateName(code), code, value, aux, merged, label: this.describe(code, value, aux, kind) };
  }

  /** A human description of a state: `syscall openat`, `irq 26 (eth0)`, `blocked (D) in read`. */
  describe(code: number, value: number, aux = -1, kind: RowKind = 'thread'): string {
    switch (code) {
      case RowState.RUN_SYSCALL:
        return `syscall ${this.names[value] ?? '?'}`;
      case RowState.IRQ: {
        const name = this.irqNames.get(value);
        return `irq ${value}${name ? ` (${name})` : ''}`;
      }
      case RowState.SOFTIRQ:
        return `softirq ${softirqName(value)}`;
      case RowState.SOFTIRQ_RAISED:
        return `softirq ${softirqName(value)} raised`;
      case RowState.BLOCKED:
        return `blocked${value >= 0 ? ` (${taskStateLetters(value)})` : ''}${kind === 'thread' && aux >= 0 ? ` in ${this.names[aux] ?? '?'}` : ''}`;
      case RowState.WAIT_CPU:
        return aux >= 0 ? `waiting for CPU ${aux}` : 'waiting for a CPU';
      default:
        return rowStateName(code);
    }
  }

  /** The name of a name-table id (system call names). */
  name(id: number): string {
    return this.names[id] ?? '';
  }

  /**
   * Wakeups, oldest first, optionally only those of thread `targetUid` and/or in
   * [from, to] (ns).
   */
  wakeups(filter: { targetUid?: number; from?: bigint; to?: bigint } = {}): WakeupInfo[] {
    const w = this.wakeupLog;
    const from = filter.from === undefined ? -Infinity : this.toRel(filter.from);
    const to = filter.to === undefined ? Infinity : this.toRel(filter.to);
    const threads = this.parts.threads;
    const out: WakeupInfo[] = [];
    for (let i = 0; i < w.length; i++) {
      const t = w.time[i]!;
      if (t < from || t > to) continue;
      if (filter.targetUid !== undefined && w.targetUid[i] !== filter.targetUid) continue;
      const wakerUid = w.wakerUid[i]!;
      const sched = w.scheduledTime[i]!;
      const ctx = w.wakerContext[i]!;
      out.push({
        index: i,
        ts: this.toNs(t),
        kind: WAKEUP_KIND_NAMES[w.kind[i]!]!,
        targetUid: w.targetUid[i]!,
        targetTid: threads[w.targetUid[i]!]!.tid,
        targetCpu: w.targetCpu[i]!,
        wakerUid: wakerUid >= 0 ? wakerUid : null,
        wakerTid: wakerUid >= 0 ? threads[wakerUid]!.tid : null,
        wakerCpu: w.wakerCpu[i]!,
        context: WAKER_CONTEXT_NAMES[ctx]!,
        contextValue: w.wakerContextValue[i]! >= 0 ? w.wakerContextValue[i]! : null,
        scheduledTs: sched === sched ? this.toNs(sched) : null,
        spurious: w.spurious[i] === 1,
      });
    }
    return out;
  }

  /** The tracer's lost events and packets, with absolute times. */
  lostEvents(): Array<{ kind: string; cpu: number | null; count: number | null; begin: bigint; end: bigint }> {
    return this.parts.lost.map((l) => ({ kind: l.kind, cpu: l.cpu, count: l.count, begin: this.toNs(l.begin), end: this.toNs(l.end) }));
  }

  /** Sizes, for summaries and memory accounting. */
  summary(): { events: number; threads: number; cpus: number; rows: number; intervals: number; wakeups: number; netEvents: number; lostRecords: number } {
    let intervals = 0;
    for (const d of this.parts.rows) intervals += d.writer.count;
    return { events: this.eventCount, threads: this.parts.threads.length, cpus: this.cpus().length, rows: this.parts.rows.length, intervals, wakeups: this.wakeupLog.length, netEvents: this.netEvents.length, lostRecords: this.parts.lost.length };
  }
}
