/**
 * Where each kernel event ran — on which CPU, in whose time (the task current on that
 * CPU), inside which system call of that task, and inside which hard IRQ or softirq run —
 * as the kernel analysis's state model (src/analysis/kernel) sees it: the model owns the
 * automaton (sched_switch, interrupt nesting, lost events, context tids, fork/exec
 * identities), and this view only names its runs and snapshots them for citing.
 *
 * What the view adds: one object per IRQ handler run and per softirq run (their entry and
 * exit events, the task they ran over, and who raised the softirq — the IRQ handler, or
 * the task that raised it, e.g. the sender on a veth pair or loopback where there is no
 * hard IRQ at all), and ExecContext snapshots shared while nothing changes. It dispatches
 * every classified event to the correlation's collectors.
 */
import { fieldNumber, type FieldMap, type TraceEvent } from '../../model/trace-event.js';
import type { FdTracker } from '../fds/fd-tracker.js';
import type { CpuView, EventTap, KernelListener, ModelView } from '../kernel/listener.js';
import type { KernelModel } from '../kernel/model.js';
import { RowState } from '../kernel/states.js';
import type { ThreadRecord } from '../kernel/thread-record.js';
import { classifyEvent, EventKind } from '../kernel/vocabulary.js';
import { LazyEventRef, type EventRef } from './types.js';

/** A hard interrupt handler run. */
export interface IrqInstance {
  readonly id: number;
  readonly cpu: number;
  readonly irq: number;
  /** Handler name (`virtio0-input.0`, `eth0`…). */
  readonly name: string;
  readonly entryTs: bigint;
  readonly exitTs: bigint | null;
  readonly entryEvent: EventRef;
  readonly exitEvent: EventRef | null;
  /** The task it interrupted. */
  readonly tid: number | null;
  readonly comm: string | null;
}

/** Who raised a softirq. */
export type SoftirqRaiser =
  | { readonly kind: 'irq'; readonly ts: bigint; readonly event: EventRef; readonly irq: IrqInstance }
  | { readonly kind: 'softirq'; readonly ts: bigint; readonly event: EventRef; readonly softirq: SoftirqInstance }
  | { readonly kind: 'task'; readonly ts: bigint; readonly event: EventRef; readonly tid: number | null; readonly comm: string | null; readonly syscall: string | null };

/** A softirq handler run (one vector, one CPU). */
export interface SoftirqInstance {
  readonly id: number;
  readonly cpu: number;
  readonly vec: number;
  readonly entryTs: bigint;
  readonly exitTs: bigint | null;
  readonly entryEvent: EventRef;
  readonly exitEvent: EventRef | null;
  /** The task whose time the softirq ran on (also ksoftirqd). */
  readonly tid: number | null;
  readonly comm: string | null;
  /** The syscall that task was in, when it was in one. */
  readonly syscall: string | null;
  readonly raisedBy: SoftirqRaiser | null;
}

/** A system call in progress. */
export interface SyscallInProgress {
  readonly id: number;
  readonly name: string;
  readonly tid: number;
  readonly entryTs: bigint;
  /** The CPU it was first seen on by the correlation. */
  readonly cpu: number | null;
  readonly args: FieldMap;
}

/** Snapshot of where one event ran. */
export interface ExecContext {
  /** Innermost context: a hard IRQ, a softirq, or task (user or syscall) context. */
  readonly kind: 'irq' | 'softirq' | 'task';
  readonly cpu: number | null;
  /** The task current on the CPU (interrupted, for irq/softirq). */
  readonly tid: number | null;
  readonly pid: number | null;
  readonly comm: string | null;
  /** The task's syscall in progress (also when an interrupt came in during it). */
  readonly syscall: SyscallInProgress | null;
  readonly irq: IrqInstance | null;
  readonly softirq: SoftirqInstance | null;
  /**
   * Names this context instance: a softirq run (`s<id>`), an IRQ handler run (`i<id>`), or
   * a thread inside one syscall (`t<tid>:<syscall id>`, 0 outside syscalls). Events of one
   * instance share it.
   */
  readonly key: string;
}

export interface ThreadInfo {
  readonly tid: number;
  pid: number | null;
  comm: string | null;
  syscall: SyscallInProgress | null;
}

/** A consumer of the pass, fed by the view with every classified event. */
export interface KernelCollector {
  /**
   * Called for every event the model classifies. For events that open a context (syscall,
   * IRQ or softirq entry) `view` already includes it; for every other event it still
   * shows the context before the event.
   */
  onEvent(ev: TraceEvent, kind: EventKind, view: ContextView): void;
  /** Called once before the pass when it tracks fd tables (see KernelListener.attachFds). */
  attachFds?(fds: FdTracker): void;
  /** Called once after the last event (`view.model` is then the finished model). */
  finish?(view: ContextView): void;
}

/**
 * An interrupt run: its entry event is the run itself (a LazyEventRef), its exit is set
 * when the run ends (see IrqInstance, SoftirqInstance).
 */
abstract class Run extends LazyEventRef {
  private exitRef: LazyEventRef | null = null;
  get entryTs(): bigint {
    return this.ts;
  }
  get entryEvent(): EventRef {
    return this.event;
  }
  get exitTs(): bigint | null {
    return this.exitRef?.ts ?? null;
  }
  get exitEvent(): EventRef | null {
    return this.exitRef?.event ?? null;
  }
  /** The run ended with this event. */
  ended(ref: LazyEventRef): void {
    this.exitRef = ref;
  }
}

class IrqRun extends Run implements IrqInstance {
  constructor(
    ev: TraceEvent,
    readonly id: number,
    readonly cpu: number,
    readonly irq: number,
    readonly name: string,
    readonly tid: number | null,
    readonly comm: string | null,
  ) {
    super(ev.ts, ev.name, ev.cpu, tid);
  }
}

class SoftirqRun extends Run implements SoftirqInstance {
  constructor(
    ev: TraceEvent,
    readonly id: number,
    readonly cpu: number,
    readonly vec: number,
    readonly tid: number | null,
    readonly comm: string | null,
    readonly syscall: string | null,
    readonly raisedBy: SoftirqRaiser | null,
  ) {
    super(ev.ts, ev.name, ev.cpu, tid);
  }
}

type Frame = IrqRun | SoftirqRun;

/** A softirq_raise, its EventRef made on first use (see SoftirqRaiser). */
class Raise extends LazyEventRef {
  constructor(ev: TraceEvent, tid: number | null) {
    super(ev.ts, ev.name, ev.cpu, tid);
  }
}

class IrqRaise extends Raise {
  readonly kind = 'irq' as const;
  constructor(
    ev: TraceEvent,
    tid: number | null,
    readonly irq: IrqInstance,
  ) {
    super(ev, tid);
  }
}

class SoftirqRaise extends Raise {
  readonly kind = 'softirq' as const;
  constructor(
    ev: TraceEvent,
    tid: number | null,
    readonly softirq: SoftirqInstance,
  ) {
    super(ev, tid);
  }
}

class TaskRaise extends Raise {
  readonly kind = 'task' as const;
  constructor(
    ev: TraceEvent,
    readonly tid: number | null,
    readonly comm: string | null,
    readonly syscall: string | null,
  ) {
    super(ev, tid);
  }
}

/** The event kinds the collectors read, as a lookup table. */
const RELEVANT = new Uint8Array(64);
for (const k of [
  EventKind.SCHED_SWITCH, EventKind.SCHED_WAKEUP, EventKind.SCHED_WAKING, EventKind.SCHED_WAKEUP_NEW, EventKind.SCHED_PROCESS_FORK, EventKind.SCHED_PROCESS_EXEC,
  EventKind.SCHED_PROCESS_EXIT, EventKind.TASK_RENAME, EventKind.SYSCALL_ENTRY, EventKind.SYSCALL_EXIT, EventKind.IRQ_ENTRY, EventKind.IRQ_EXIT, EventKind.SOFTIRQ_RAISE,
  EventKind.SOFTIRQ_ENTRY, EventKind.SOFTIRQ_EXIT, EventKind.STATEDUMP_PROCESS_STATE, EventKind.STATEDUMP_FILE_DESCRIPTOR, EventKind.STATEDUMP_INET_SOCK,
  EventKind.INET_SOCK_SET_STATE, EventKind.SOCK_SEND_LENGTH, EventKind.SOCK_RECV_LENGTH, EventKind.TCP_PROBE, EventKind.TCP_RETRANSMIT, EventKind.TCP_SEND_RESET,
  EventKind.TCP_RECEIVE_RESET, EventKind.TCP_DESTROY_SOCK, EventKind.NET_RECEIVE, EventKind.NET_RX, EventKind.NET_DEV_QUEUE, EventKind.NET_DEV_XMIT,
  EventKind.NET_GRO_RECEIVE, EventKind.SKB_CONSUME, EventKind.SKB_FREE, EventKind.SKB_COPY_DATAGRAM, EventKind.TCP_RETRANSMIT_SYNACK,
]) RELEVANT[k] = 1;

/** Per CPU: the runs open on it (aligned with the model's interrupt frames), and pending raises. */
interface CpuRuns {
  readonly frames: Frame[];
  readonly codes: number[];
  readonly entries: number[];
  /** Raisers of pending softirqs, by vector. */
  readonly pending: Map<number, SoftirqRaiser>;
  snapshot: { generation: number; thread: ThreadRecord | null; tid: number; sysName: number; sysEntry: number; pid: number; name: string; ctx: ExecContext } | null;
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function contextPid(ev: TraceEvent): number | null {
  const v = ev.context.pid;
  if (v === undefined || v === null) return null;
  const n = fieldNumber(v);
  return Number.isNaN(n) ? null : n;
}

/**
 * The correlation's view of the kernel model during the pass (a KernelListener): names
 * every IRQ and softirq run, snapshots contexts, and hands each event to `collectors`.
 * `irqs`, `softirqs` and `threads` hold what the pass saw.
 */
export class ContextView implements KernelListener {
  readonly irqs: IrqInstance[] = [];
  readonly softirqs: SoftirqInstance[] = [];
  private live!: ModelView;
  /** The finished model, once the pass is over. */
  model: KernelModel | null = null;
  private readonly runs: CpuRuns[] = [];
  private readonly syscalls = new Map<ThreadRecord, { entry: number; nameId: number; sc: SyscallInProgress }>();
  private readonly syscallNames = new Map<string, string>();
  private nextSyscallId = 1;
  private ev: TraceEvent | null = null;
  private tap: EventTap | null = null;
  /** Relevant events seen, and the (relative) times of the first and last of them. */
  events = 0;
  private firstRel = NaN;
  private lastRel = NaN;

  /** Time of the first event the collectors read, or null. */
  get firstTs(): bigint | null {
    return this.firstRel === this.firstRel ? this.live.toNs(this.firstRel) : null;
  }

  /** Time of the last event the collectors read, or null. */
  get lastTs(): bigint | null {
    return this.lastRel === this.lastRel ? this.live.toNs(this.lastRel) : null;
  }

  constructor(private readonly collectors: readonly KernelCollector[]) {}

  attach(model: ModelView): void {
    this.live = model;
  }

  attachFds(fds: FdTracker): void {
    for (const c of this.collectors) c.attachFds?.(fds);
  }

  private runsOf(cpu: number): CpuRuns {
    let r = this.runs[cpu];
    if (!r) {
      for (let i = this.runs.length; i <= cpu; i++) this.runs[i] ??= { frames: [], codes: [], entries: [], pending: new Map(), snapshot: null };
      r = this.runs[cpu]!;
    }
    return r;
  }

  /** Drops the runs the model no longer has open on `c` (exits, a switch, lost events). */
  private sync(c: CpuView, r: CpuRuns): void {
    const depth = c.stackKind.length;
    let keep = Math.min(depth, r.frames.length);
    for (let i = 0; i < keep; i++) {
      if (r.codes[i] !== c.stackKind[i] || r.entries[i] !== c.stackEntry[i]) {
        keep = i;
        break;
      }
    }
    if (r.frames.length > keep) {
      r.frames.length = keep;
      r.codes.length = keep;
      r.entries.length = keep;
    }
  }

  onEvent(ev: TraceEvent, kind: EventKind, tap: EventTap): void {
    this.ev = ev;
    this.tap = tap;
    const c = tap.cpu;
    const r = this.runsOf(c.cpu);
    this.sync(c, r);
    switch (kind) {
      case EventKind.IRQ_ENTRY:
        this.push(r, c, RowState.IRQ, this.irqRun(ev, tap));
        break;
      case EventKind.SOFTIRQ_ENTRY:
        this.push(r, c, RowState.SOFTIRQ, this.softirqRun(ev, tap, r));
        break;
      case EventKind.IRQ_EXIT:
      case EventKind.SOFTIRQ_EXIT: {
        // The innermost run of that kind ends here (the model pops it next).
        const code = kind === EventKind.IRQ_EXIT ? RowState.IRQ : RowState.SOFTIRQ;
        for (let i = r.frames.length - 1; i >= 0; i--) {
          if (r.codes[i] !== code) continue;
          r.frames[i]!.ended(new LazyEventRef(ev.ts, ev.name, ev.cpu, this.tid));
          break;
        }
        break;
      }
      case EventKind.SOFTIRQ_RAISE: {
        const vec = fieldNumber(ev.payload.vec);
        if (!r.pending.has(vec)) r.pending.set(vec, this.raiser(ev, r));
        break;
      }
      default:
        break;
    }
    if (!this.relevant(kind)) return;
    this.events++;
    if (this.firstRel !== this.firstRel) this.firstRel = tap.time;
    this.lastRel = tap.time;
    const collectors = this.collectors;
    for (let i = 0; i < collectors.length; i++) collectors[i]!.onEvent(ev, kind, this);
  }

  /** The kinds the correlation reads (the others only move the model). */
  private relevant(kind: EventKind): boolean {
    return RELEVANT[kind] === 1;
  }

  /** Called by the pass after the last event, with the finished model. */
  finish(model: KernelModel): void {
    this.model = model;
    for (const c of this.collectors) c.finish?.(this);
  }

  private push(r: CpuRuns, c: CpuView, code: number, f: Frame): void {
    // The model pushed the frame just now: it is its innermost one.
    const depth = c.stackKind.length;
    r.frames.length = r.codes.length = r.entries.length = Math.min(r.frames.length, depth - 1);
    r.frames.push(f);
    r.codes.push(code);
    r.entries.push(c.stackEntry[depth - 1]!);
  }

  private irqRun(ev: TraceEvent, tap: EventTap): IrqRun {
    const tid = this.tid;
    const inst = new IrqRun(ev, this.irqs.length, tap.cpu.cpu, fieldNumber(ev.payload.irq), text(ev.payload.name) ?? '', tid, this.comm);
    this.irqs.push(inst);
    return inst;
  }

  private softirqRun(ev: TraceEvent, tap: EventTap, r: CpuRuns): SoftirqRun {
    const vec = fieldNumber(ev.payload.vec);
    const raisedBy = r.pending.get(vec) ?? null;
    r.pending.delete(vec);
    const tid = this.tid;
    const inst = new SoftirqRun(ev, this.softirqs.length, tap.cpu.cpu, vec, tid, this.comm, this.syscall?.name ?? null, raisedBy);
    this.softirqs.push(inst);
    return inst;
  }

  private raiser(ev: TraceEvent, r: CpuRuns): SoftirqRaiser {
    // The raise event is cited only when a story tells this softirq: made on first use.
    const top = r.frames[r.frames.length - 1];
    if (top && r.codes[r.codes.length - 1] === RowState.IRQ) return new IrqRaise(ev, this.tid, top as IrqRun);
    if (top) return new SoftirqRaise(ev, this.tid, top as SoftirqRun);
    return new TaskRaise(ev, this.tid, this.comm, this.syscall?.name ?? null);
  }

  // ------------------------------------------------------------ the current event

  /** The current event's time, relative to the model's base (exact; see toNs). */
  get time(): number {
    return this.tap!.time;
  }

  /** Absolute ns of a relative model time. */
  toNs(rel: number): bigint {
    return this.live.toNs(rel);
  }

  /** The task the current event ran in the time of (its `tid` context, else the CPU's), or null. */
  get tid(): number | null {
    const t = this.tap!.tid;
    return t >= 0 ? t : null;
  }

  /** Its live thread record, or null. */
  get thread(): ThreadRecord | null {
    return this.tap!.thread;
  }

  /** Its process (thread group) id, or null. */
  get pid(): number | null {
    const tid = this.tid;
    if (tid === 0) return 0;
    const th = this.tap!.thread;
    if (th && th.pid >= 0) return th.pid;
    return contextPid(this.ev!);
  }

  /** Its name: the event's procname context, else the model's name for the thread. */
  get comm(): string | null {
    const named = text(this.ev!.context.procname) ?? (this.tap!.thread?.name || null);
    // Each CPU's idle task is `swapper/N` (tid 0 has no thread record in the model).
    return named ?? (this.tap!.tid === 0 ? `swapper/${this.tap!.cpu.cpu}` : null);
  }

  /** Its system call in progress (also under an interrupt), or null. */
  get syscall(): SyscallInProgress | null {
    return this.syscallOf(this.tap!.thread, this.tap!.cpu.cpu);
  }

  /** The system call name a syscall entry/exit event names ('' for LTTng's old `exit_syscall`). */
  syscallName(ev: TraceEvent): string {
    let n = this.syscallNames.get(ev.name);
    if (n === undefined) this.syscallNames.set(ev.name, (n = classifyEvent(ev.name).syscall));
    return n;
  }

  /** The system call `th` is in, as one object per call (made when first asked for). */
  syscallOf(th: ThreadRecord | null | undefined, cpu: number | null = null): SyscallInProgress | null {
    if (!th || th.sysName < 0) return null;
    const cached = this.syscalls.get(th);
    if (cached && cached.entry === th.sysEntry && cached.nameId === th.sysName) return cached.sc;
    const sc: SyscallInProgress = { id: this.nextSyscallId++, name: this.live.names[th.sysName] ?? '', tid: th.tid, entryTs: this.live.toNs(th.sysEntry), cpu, args: th.sysArgs ?? {} };
    this.syscalls.set(th, { entry: th.sysEntry, nameId: th.sysName, sc });
    return sc;
  }

  /** The live record of thread `tid`, if any. */
  threadOf(tid: number | null): ThreadRecord | undefined {
    return tid === null ? undefined : this.live.threadOf(tid);
  }

  /** pid of `tid`, when known. */
  pidOf(tid: number | null): number | null {
    if (tid === 0) return 0;
    const th = this.threadOf(tid);
    return th && th.pid >= 0 ? th.pid : null;
  }

  /** Name of `tid`, when known. */
  commOf(tid: number | null): string | null {
    return this.threadOf(tid)?.name || null;
  }

  /** Where the current event ran (a snapshot shared with the events of the same context). */
  context(): ExecContext {
    const tap = this.tap!;
    const c = tap.cpu;
    const r = this.runsOf(c.cpu);
    const th = tap.thread;
    const tid = tap.tid;
    const procname = this.ev!.context.procname;
    const s = r.snapshot;
    if (
      s &&
      s.generation === c.generation &&
      s.tid === tid &&
      s.thread === th &&
      (th === null || (s.sysName === th.sysName && s.sysEntry === th.sysEntry && s.pid === th.pid && s.name === th.name)) &&
      (procname === undefined || procname === s.ctx.comm)
    ) {
      return s.ctx;
    }
    const ctx = this.build(r, c);
    r.snapshot = { generation: c.generation, thread: th, tid, sysName: th?.sysName ?? -1, sysEntry: th?.sysEntry ?? 0, pid: th?.pid ?? -1, name: th?.name ?? '', ctx };
    return ctx;
  }

  private build(r: CpuRuns, c: CpuView): ExecContext {
    let irq: IrqInstance | null = null;
    let softirq: SoftirqInstance | null = null;
    let kind: ExecContext['kind'] = 'task';
    const n = r.frames.length;
    if (n > 0) {
      if (r.codes[n - 1] === RowState.IRQ) {
        kind = 'irq';
        irq = r.frames[n - 1] as IrqInstance;
      } else {
        kind = 'softirq';
        softirq = r.frames[n - 1] as SoftirqInstance;
      }
      for (let i = 0; i < n; i++) {
        if (r.codes[i] === RowState.IRQ && !irq) irq = r.frames[i] as IrqInstance;
        if (r.codes[i] === RowState.SOFTIRQ && !softirq) softirq = r.frames[i] as SoftirqInstance;
      }
    }
    const tid = this.tid;
    const syscall = this.syscallOf(this.tap!.thread, c.cpu);
    const key = kind === 'softirq' ? `s${softirq!.id}` : kind === 'irq' ? `i${irq!.id}` : `t${tid ?? '?'}:${syscall?.id ?? 0}`;
    return { kind, cpu: this.ev!.cpu, tid, pid: this.pid, comm: this.comm, syscall, irq, softirq, key };
  }
}
