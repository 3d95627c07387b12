/**
 * The single-pass kernel state automaton: feed it a kernel trace's messages in time
 * order (`consume`), then `finish()` to get the KernelModel. Memory grows with state
 * changes (intervals, threads, wakeups), not with events: an event that changes nothing
 * costs nothing but time.
 *
 * What it tracks, per event (see vocabulary.ts for the names of every LTTng generation):
 * - sched_switch: which thread runs on which CPU; the previous thread becomes WAIT_CPU
 *   (preempted) or BLOCKED (sleeping, `prev_state`), or ends (dead);
 * - sched_waking / sched_wakeup / sched_wakeup_new: WAIT_CPU, and a wakeup record;
 * - system call entry/exit: RUN_SYSCALL(name) ↔ RUN_USER, attributed to the thread the
 *   CPU runs (from sched_switch, or the `tid` context when the trace has it);
 * - hard IRQ and softirq entry/exit (and raise): a per-CPU interrupt stack; the CPU and
 *   the interrupted thread show IRQ/SOFTIRQ while it runs;
 * - fork / exec / exit / free, task_rename, the state dump: identities and names;
 * - lost events: the CPU and its thread become UNKNOWN until the next sched_switch.
 *
 * Analyses riding on the same pass register a KernelListener (listener.ts).
 */
import type { DiscardedRecord, FieldMap, TraceEvent, TraceInfo, TraceMessage } from '../../model/trace-event.js';
import { IntervalArena, RowWriter } from './interval-column.js';
import type { CpuView, EventSite, EventTap, KernelListener, ModelView } from './listener.js';
import { KernelModel, type LostEventsRecord, type RowDescriptor } from './model.js';
import { NetEventLog } from './net-event-log.js';
import { isDeadPrevState, isRunnablePrevState, RowState } from './states.js';
import { RunState, ThreadRecord } from './thread-record.js';
import { classifyEvent, EventKind } from './vocabulary.js';
import { WakerContext, WakeupKind, WakeupLog } from './wakeup-log.js';

const TWO32 = 4294967296;
const CLONE_THREAD = 0x10000;
const KTHREADD_TID = 2;

/** The per-event-class facts the hot loop needs. */
interface ClassEntry {
  readonly kind: EventKind;
  /** Name id of the system call (entry/exit events), or -1. */
  readonly syscallId: number;
}

/** An event as the CTF reader yields it: the cheap time halves and the class are optional. */
interface FastEvent extends TraceEvent {
  readonly nsHi?: number;
  readonly nsLo?: number;
  readonly eventClass?: { readonly id: number; readonly streamClassId: number };
}

/** Per CPU: the interrupt stack and the softirq vectors' rows. */
class CpuState implements CpuView {
  /** tid current on the CPU: -1 unknown, 0 idle (swapper). */
  tid = -1;
  thread: ThreadRecord | null = null;
  /** Bumped by every refresh of the CPU's state (see CpuView.generation). */
  generation = 0;
  readonly stackKind: number[] = [];
  readonly stackValue: number[] = [];
  readonly stackEntry: number[] = [];
  readonly stackRaise: number[] = [];
  readonly irqRows = new Map<number, RowWriter>();
  readonly softirqRows = new Map<number, SoftirqSlot>();
  constructor(
    readonly cpu: number,
    readonly row: RowWriter,
  ) {}
}

/** One softirq vector on one CPU: its row and its pending raises. */
class SoftirqSlot {
  constructor(readonly row: RowWriter) {}
  /** Time of the raise not yet serviced, or -1. */
  raised = -1;
  /** A raise seen while the vector was running (serviced by the next entry), or -1. */
  reraised = -1;
  running = false;
}

/** Options of the builder. */
export interface BuilderOptions {
  /** The trace being read (its env tells the tracer version and host). */
  readonly trace?: TraceInfo | null;
  /** Analyses to run on the same pass. */
  readonly listeners?: readonly KernelListener[];
  /** The array to use as the name table (shared with listeners that read names live). */
  readonly nameTable?: string[];
  /** The array to use as the thread table (uid → record), shared likewise. */
  readonly threadTable?: ThreadRecord[];
  /**
   * Trust the events' `tid` context over the model's idea of what each CPU runs (default
   * true). False attributes events through sched_switch only, as lttng-analyses does —
   * for comparing with it on traces where some switches are missing.
   */
  readonly contextTids?: boolean;
}

export class KernelModelBuilder {
  private baseHi = 0;
  private baseLo = 0;
  private baseNs: bigint | null = null;
  private lastTime = 0;
  private events = 0;
  private readonly classTables: Array<Array<ClassEntry | undefined> | undefined> = [];
  private readonly classByName = new Map<string, ClassEntry>();
  private readonly names: string[];
  private readonly nameIds = new Map<string, number>();
  private readonly threads: ThreadRecord[];
  private readonly live = new Map<number, ThreadRecord>();
  private readonly serials = new Map<number, number>();
  private readonly cpus: CpuState[] = [];
  private readonly rows: RowDescriptor[] = [];
  private readonly arena = new IntervalArena();
  private readonly wakeups = new WakeupLog();
  private readonly net = new NetEventLog();
  private readonly irqNames = new Map<number, string>();
  private readonly netNsNames = new Map<number, string>();
  private readonly lost: LostEventsRecord[] = [];
  private readonly listeners: readonly KernelListener[];
  private readonly syscallExitHooks: Array<NonNullable<KernelListener['syscallExit']>>;
  private readonly eventHooks: Array<NonNullable<KernelListener['event']>>;
  private readonly taps: Array<NonNullable<KernelListener['onEvent']>>;
  private readonly tap: { time: number; cpu: CpuView; tid: number; thread: ThreadRecord | null } = { time: 0, cpu: null as unknown as CpuView, tid: -1, thread: null };
  /** lttng-modules before 2.7.1 wrote wakeup priorities without the -100 offset. */
  private readonly wakeupPrioOffset: number;
  private unattributedSyscalls = 0;
  private statedumpBegin = NaN;
  private statedumpEnd = NaN;
  private finished: KernelModel | null = null;
  private readonly contextTids: boolean;
  private readonly site: { time: number; cpu: number; thread: ThreadRecord | null; inInterrupt: boolean } = { time: 0, cpu: 0, thread: null, inInterrupt: false };

  constructor(private readonly options: BuilderOptions = {}) {
    this.names = options.nameTable ?? [];
    this.threads = options.threadTable ?? [];
    this.contextTids = options.contextTids !== false;
    this.listeners = options.listeners ?? [];
    this.syscallExitHooks = this.listeners.filter((l) => l.syscallExit).map((l) => l.syscallExit!.bind(l));
    this.eventHooks = this.listeners.filter((l) => l.event).map((l) => l.event!.bind(l));
    this.taps = this.listeners.filter((l) => l.onEvent).map((l) => l.onEvent!.bind(l));
    const view: ModelView = {
      names: this.names,
      toNs: (rel) => (this.baseNs ?? 0n) + BigInt(Math.round(rel)),
      threadOf: (tid) => this.live.get(tid),
    };
    for (const l of this.listeners) l.attach?.(view);
    this.wakeupPrioOffset = needsWakeupPrioFix(options.trace?.env) ? -100 : 0;
  }

  /** Number of events consumed so far. */
  get eventCount(): number {
    return this.events;
  }

  /** The name id of `name` in the model's name table (syscall names). */
  nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  /** Feeds one message of the kernel trace (messages must come in time order). */
  consume(msg: TraceMessage): void {
    if (msg.kind === 'event') this.consumeEvent(msg as FastEvent);
    else this.discarded(msg);
  }

  private timeOf(ev: FastEvent): number {
    const hi = ev.nsHi;
    if (hi !== undefined) {
      if (this.baseNs === null) this.setBase(ev);
      return (hi - this.baseHi) * TWO32 + (ev.nsLo! - this.baseLo);
    }
    if (this.baseNs === null) this.setBase(ev);
    return Number(ev.ts - this.baseNs!);
  }

  private setBase(ev: FastEvent): void {
    const ts = ev.ts;
    this.baseNs = ts;
    this.baseHi = Number(ts >> 32n);
    this.baseLo = Number(BigInt.asUintN(32, ts));
  }

  private classOf(ev: FastEvent): ClassEntry {
    const ec = ev.eventClass;
    if (ec !== undefined) {
      const sc = ec.streamClassId;
      const id = ec.id;
      let table = sc < this.classTables.length ? this.classTables[sc] : undefined;
      if (table === undefined) {
        while (this.classTables.length <= sc) this.classTables.push(undefined);
        table = this.classTables[sc] = [];
      }
      let entry = id < table.length ? table[id] : undefined;
      if (entry === undefined) {
        // dense growth keeps the array a fast array (ids go up to ~700 in kernel traces)
        while (table.length <= id) table.push(undefined);
        entry = table[id] = this.makeClassEntry(ev.name);
      }
      return entry;
    }
    let entry = this.classByName.get(ev.name);
    if (entry === undefined) {
      entry = this.makeClassEntry(ev.name);
      this.classByName.set(ev.name, entry);
    }
    return entry;
  }

  private makeClassEntry(name: string): ClassEntry {
    const c = classifyEvent(name);
    const syscallId = c.syscall === '' ? -1 : this.nameId(c.syscall);
    return { kind: c.kind, syscallId };
  }

  private cpuState(cpu: number): CpuState {
    let c = this.cpus[cpu];
    if (c === undefined) {
      for (let i = this.cpus.length; i <= cpu; i++) {
        if (this.cpus[i] !== undefined) continue;
        this.cpus[i] = new CpuState(i, this.addRow({ kind: 'cpu', cpu: i }));
      }
      c = this.cpus[cpu]!;
    }
    return c;
  }

  /** Registers a row and returns its writer. */
  private addRow(d: Omit<RowDescriptor, 'index' | 'writer'>): RowWriter {
    const writer = new RowWriter(this.arena, this.rows.length);
    this.rows.push({ ...d, index: writer.index, writer });
    return writer;
  }

  /** The live record of `tid`, created when first seen. */
  private thread(tid: number, t: number): ThreadRecord {
    const th = this.live.get(tid);
    if (th !== undefined && !(th.runState === RunState.EXITED && th.freeTime === th.freeTime)) return th;
    return this.newThread(tid, t);
  }

  /** Starts a new record for `tid`, closing the previous thread that had it. */
  private newThread(tid: number, t: number): ThreadRecord {
    const old = this.live.get(tid);
    if (old !== undefined) {
      old.row.close(t);
      old.runState = RunState.EXITED;
      if (old.cpu >= 0) {
        const c = this.cpus[old.cpu];
        if (c && c.thread === old) c.thread = null;
        old.cpu = -1;
      }
    }
    const serial = this.serials.get(tid) ?? 0;
    this.serials.set(tid, serial + 1);
    const uid = this.threads.length;
    const row = new RowWriter(this.arena, this.rows.length);
    const th = new ThreadRecord(uid, tid, serial, row);
    this.rows.push({ kind: 'thread', index: row.index, thread: th, writer: row });
    this.threads.push(th);
    this.live.set(tid, th);
    if (tid === KTHREADD_TID) th.kernelThread = true;
    return th;
  }

  /**
   * The thread running on `cpu`, checked against the event's `tid` context when the
   * trace has one (LTTng with `-t tid`, tracewire recordings): a mismatch means the
   * model missed a switch (trace start, lost events), and the context wins.
   */
  private currentThread(c: CpuState, ctx: FieldMap, t: number): ThreadRecord | null {
    const ctid = ctx.tid;
    if (typeof ctid !== 'number' || ctid === c.tid || !this.contextTids) {
      // the `pid` context names the process of a thread neither a fork nor the state dump did
      const th = c.thread;
      if (th !== null && th.pid < 0 && typeof ctx.pid === 'number' && (typeof ctid !== 'number' || ctid === th.tid)) th.pid = ctx.pid;
      return th;
    }
    if (ctid === 0) {
      this.setCurrent(c, 0, null, t);
      return null;
    }
    const th = this.thread(ctid, t);
    const pid = ctx.pid;
    if (typeof pid === 'number' && th.pid < 0) th.pid = pid;
    const procname = ctx.procname;
    if (typeof procname === 'string') th.rename(t, procname);
    this.setCurrent(c, ctid, th, t);
    return th;
  }

  /** Makes `th` current on `c` without a sched_switch (context adoption, statedump). */
  private setCurrent(c: CpuState, tid: number, th: ThreadRecord | null, t: number): void {
    const prev = c.thread;
    if (prev !== null && prev !== th) {
      prev.cpu = -1;
      prev.runState = RunState.NONE;
      prev.row.set(t, RowState.UNKNOWN, -1, -1);
    }
    if (th !== null) {
      if (th.cpu >= 0 && th.cpu !== c.cpu) this.dropFromCpu(th, t);
      th.cpu = c.cpu;
      th.lastCpu = c.cpu;
      th.runState = RunState.RUNNING;
    }
    c.tid = tid;
    c.thread = th;
    this.refreshCpu(c, t);
  }

  /** `th` is said to run elsewhere: its old CPU no longer knows what it runs. */
  private dropFromCpu(th: ThreadRecord, t: number): void {
    const other = this.cpus[th.cpu];
    if (other !== undefined && other.thread === th) {
      other.thread = null;
      other.tid = -1;
      this.refreshCpu(other, t);
    }
    th.cpu = -1;
  }

  /** Recomputes the CPU row and its current thread's row from the live state. */
  private refreshCpu(c: CpuState, t: number): void {
    c.generation++;
    const depth = c.stackKind.length;
    const th = c.thread;
    if (depth > 0) c.row.set(t, c.stackKind[depth - 1]!, c.stackValue[depth - 1]!, c.tid);
    else if (th !== null) c.row.set(t, RowState.RUNNING, th.uid, c.tid);
    else c.row.set(t, c.tid === 0 ? RowState.IDLE : RowState.UNKNOWN, -1, c.tid);
    if (th !== null) this.refreshThread(c, th, t);
  }

  /** Recomputes the row of `th`, running on `c` (what a system call entry or exit changes). */
  private refreshThread(c: CpuState, th: ThreadRecord, t: number): void {
    const depth = c.stackKind.length;
    if (depth > 0) th.row.set(t, c.stackKind[depth - 1]!, c.stackValue[depth - 1]!, c.cpu);
    else {
      const value = th.sysName;
      th.row.set(t, value >= 0 ? RowState.RUN_SYSCALL : th.kernelThread ? RowState.RUN_KERNEL : RowState.RUN_USER, value, c.cpu);
    }
  }

  private consumeEvent(ev: FastEvent): void {
    this.events++;
    const t = this.timeOf(ev);
    if (t > this.lastTime) this.lastTime = t;
    const entry = this.classOf(ev);
    const kind = entry.kind;
    if (kind === EventKind.IGNORED) return;
    const c = this.cpuState(ev.cpu ?? 0);
    if (this.taps.length === 0) {
      this.update(ev, entry, c, t);
      return;
    }
    // Listeners see an event in the context it ran in: after the update for the events
    // that open one, before it for all others.
    const opens = kind === EventKind.SYSCALL_ENTRY || kind === EventKind.IRQ_ENTRY || kind === EventKind.SOFTIRQ_ENTRY;
    if (!opens) this.tapEvent(ev, kind, c, t);
    this.update(ev, entry, c, t);
    if (opens) this.tapEvent(ev, kind, c, t);
  }

  /** Calls the listeners' onEvent with where `ev` ran (without changing the model). */
  private tapEvent(ev: FastEvent, kind: EventKind, c: CpuState, t: number): void {
    const tap = this.tap;
    tap.time = t;
    tap.cpu = c;
    const ctid = ev.context.tid;
    if (typeof ctid === 'number' && ctid !== c.tid) {
      tap.tid = ctid;
      tap.thread = ctid > 0 ? (this.live.get(ctid) ?? null) : null;
    } else {
      tap.tid = c.tid;
      tap.thread = c.thread;
    }
    const taps = this.taps;
    for (let i = 0; i < taps.length; i++) taps[i]!(ev, kind, tap as EventTap);
  }

  /** The model's update for one classified event. */
  private update(ev: FastEvent, entry: ClassEntry, c: CpuState, t: number): void {
    const kind = entry.kind;
    const p = ev.payload;
    switch (kind) {
      case EventKind.SYSCALL_ENTRY: {
        const th = this.currentThread(c, ev.context, t);
        if (th === null) {
          this.unattributedSyscalls++;
          return;
        }
        th.sysName = entry.syscallId;
        th.sysEntry = t;
        th.sysCountable = true;
        th.sysArgs = p;
        if (th.cpu === c.cpu) this.refreshThread(c, th, t);
        return;
      }
      case EventKind.SYSCALL_EXIT:
        this.syscallExit(c, ev, entry, t);
        return;
      case EventKind.SCHED_SWITCH:
        this.schedSwitch(c, p, t);
        return;
      case EventKind.SCHED_WAKING:
        this.wakeup(c, p, t, WakeupKind.WAKING);
        return;
      case EventKind.SCHED_WAKEUP:
        this.wakeup(c, p, t, WakeupKind.WAKEUP);
        return;
      case EventKind.SCHED_WAKEUP_NEW:
        this.wakeup(c, p, t, WakeupKind.WAKEUP_NEW);
        return;
      case EventKind.IRQ_ENTRY:
        this.irqEntry(c, p, t);
        return;
      case EventKind.IRQ_EXIT:
        this.irqExit(c, p, t);
        return;
      case EventKind.SOFTIRQ_RAISE:
        this.softirqRaise(c, num(p.vec), t);
        return;
      case EventKind.SOFTIRQ_ENTRY:
        this.softirqEntry(c, num(p.vec), t);
        return;
      case EventKind.SOFTIRQ_EXIT:
        this.softirqExit(c, num(p.vec), t);
        return;
      case EventKind.SCHED_PROCESS_FORK:
        this.fork(p, t);
        return;
      case EventKind.SCHED_PROCESS_EXEC:
        this.exec(p, ev.context, t);
        return;
      case EventKind.SCHED_PROCESS_EXIT: {
        const th = this.thread(num(p.tid), t);
        th.rename(t, str(p.comm));
        th.exitTime = t;
        th.exiting = true;
        for (const l of this.listeners) l.threadExit?.(th, t);
        return;
      }
      case EventKind.SCHED_PROCESS_FREE: {
        const th = this.live.get(num(p.tid));
        if (th === undefined) return;
        th.freeTime = t;
        th.row.close(t);
        if (th.cpu >= 0) this.dropFromCpu(th, t);
        th.runState = RunState.EXITED;
        return;
      }
      case EventKind.SCHED_MIGRATE_TASK: {
        const th = this.thread(num(p.tid), t);
        th.rename(t, str(p.comm));
        const dest = p.dest_cpu;
        if (th.runState === RunState.WAIT_CPU && typeof dest === 'number') th.row.set(t, RowState.WAIT_CPU, -1, dest);
        return;
      }
      case EventKind.SCHED_PI_SETPRIO: {
        const th = this.thread(num(p.tid), t);
        if (typeof p.newprio === 'number') th.prio = p.newprio;
        return;
      }
      case EventKind.TASK_RENAME: {
        const tid = p.tid ?? p.pid;
        if (typeof tid === 'number') this.thread(tid, t).rename(t, str(p.newcomm));
        return;
      }
      case EventKind.STATEDUMP_START:
        if (this.statedumpBegin !== this.statedumpBegin) this.statedumpBegin = t;
        return;
      case EventKind.STATEDUMP_END:
        this.statedumpEnd = t;
        return;
      case EventKind.STATEDUMP_PROCESS_STATE:
        this.statedumpProcess(p, t);
        break;
      case EventKind.STATEDUMP_INTERRUPT: {
        const irq = p.irq;
        if (typeof irq === 'number' && !this.irqNames.has(irq)) this.irqNames.set(irq, str(p.name));
        break;
      }
      case EventKind.STATEDUMP_NET_NS: {
        const tid = p.tid;
        if (typeof tid === 'number') this.thread(tid, t).netNs = num(p.ns_inum);
        break;
      }
      case EventKind.STATEDUMP_NETNS_NAME:
        this.netNsNames.set(num(p.ns_inum), str(p.name));
        break;
      case EventKind.NET_RECEIVE:
      case EventKind.NET_RX:
      case EventKind.NET_DEV_QUEUE:
      case EventKind.NET_DEV_XMIT:
        this.netEvent(c, kind, p, t);
        break;
      case EventKind.NET_GRO_RECEIVE:
      case EventKind.SKB_CONSUME:
      case EventKind.SKB_FREE:
      case EventKind.SKB_COPY_DATAGRAM:
      case EventKind.TCP_RETRANSMIT_SYNACK:
        // classified for listeners' onEvent only: the model neither reads nor forwards them
        return;
      default:
        break;
    }
    // state-dump and socket events go to the listeners with the site they happened at
    const hooks = this.eventHooks;
    if (hooks.length === 0) return;
    const site = this.site;
    site.time = t;
    site.cpu = c.cpu;
    site.thread = kind >= EventKind.INET_SOCK_SET_STATE ? this.currentThread(c, ev.context, t) : c.thread;
    site.inInterrupt = c.stackKind.length > 0;
    for (const h of hooks) h(kind, p, site as EventSite);
  }

  private syscallExit(c: CpuState, ev: FastEvent, entry: ClassEntry, t: number): void {
    const th = this.currentThread(c, ev.context, t);
    if (th === null) {
      this.unattributedSyscalls++;
      return;
    }
    const pending = th.sysName;
    const exitName = entry.syscallId;
    let nameId = pending;
    let countable = th.sysCountable;
    let args = th.sysArgs;
    let entryTime = th.sysEntry;
    if (pending < 0 || (exitName >= 0 && exitName !== pending)) {
      // the entry is not in the trace (or belongs to another call after lost events)
      nameId = exitName;
      countable = false;
      args = null;
      entryTime = NaN;
    }
    if (nameId >= 0) {
      const ret = num(ev.payload.ret);
      for (const h of this.syscallExitHooks) h(th, nameId, entryTime, t, ret, countable, args, ev.payload, c.cpu);
    }
    th.sysName = -1;
    th.sysArgs = null;
    th.sysCountable = false;
    if (th.cpu === c.cpu) this.refreshThread(c, th, t);
  }

  private schedSwitch(c: CpuState, p: FieldMap, t: number): void {
    const prevTid = num(p.prev_tid ?? p.prev_pid);
    const nextTid = num(p.next_tid ?? p.next_pid);
    const prevState = num(p.prev_state);
    // no interrupt can be running across a context switch: drop what lost events left
    if (c.stackKind.length > 0) this.clearStack(c, t);
    const stale = c.thread;
    if (stale !== null && stale.tid !== prevTid) {
      // the switch that took `stale` off this CPU is not in the trace (some kernels do
      // not report every switch from idle): when it stopped running is unknown
      stale.cpu = -1;
      stale.runState = RunState.NONE;
      stale.row.set(t, RowState.UNKNOWN, -1, -1);
    }
    if (prevTid > 0) {
      const prev = this.thread(prevTid, t);
      prev.rename(t, str(p.prev_comm));
      if (typeof p.prev_prio === 'number') prev.prio = p.prev_prio;
      if (prev.cpu >= 0 && prev.cpu !== c.cpu) this.dropFromCpu(prev, t);
      prev.cpu = -1;
      prev.lastCpu = c.cpu;
      if (prev.exiting || isDeadPrevState(prevState)) {
        prev.runState = RunState.EXITED;
        prev.row.close(t);
      } else if (isRunnablePrevState(prevState)) {
        prev.runState = RunState.WAIT_CPU;
        prev.row.set(t, RowState.WAIT_CPU, -1, c.cpu);
      } else {
        prev.runState = RunState.BLOCKED;
        prev.row.set(t, RowState.BLOCKED, prevState, prev.sysName);
      }
    }
    let next: ThreadRecord | null = null;
    if (nextTid > 0) {
      next = this.thread(nextTid, t);
      next.rename(t, str(p.next_comm));
      if (typeof p.next_prio === 'number') next.prio = p.next_prio;
      if (next.cpu >= 0 && next.cpu !== c.cpu) this.dropFromCpu(next, t);
      next.cpu = c.cpu;
      next.lastCpu = c.cpu;
      next.runState = RunState.RUNNING;
      if (next.wakeupTime >= 0) {
        for (const l of this.listeners) l.schedLatency?.(next, next.wakerUid, next.wakeupTime, t, c.cpu);
        next.wakeupTime = -1;
        next.wakerUid = -1;
      }
      if (next.pendingWakeup >= 0) {
        this.wakeups.scheduledTime[next.pendingWakeup] = t;
        next.pendingWakeup = -1;
        next.wakingOpen = false;
      }
    }
    c.tid = nextTid;
    c.thread = next;
    this.refreshCpu(c, t);
  }

  private wakeup(c: CpuState, p: FieldMap, t: number, kind: WakeupKind): void {
    const target = this.thread(num(p.tid), t);
    target.rename(t, str(p.comm));
    if (typeof p.prio === 'number') target.prio = p.prio + this.wakeupPrioOffset;
    const targetCpu = typeof p.target_cpu === 'number' ? p.target_cpu : -1;
    if (kind === WakeupKind.WAKEUP && target.wakingOpen && target.pendingWakeup >= 0) {
      // the sched_wakeup that completes a sched_waking: same wakeup, final CPU
      this.wakeups.targetCpu[target.pendingWakeup] = targetCpu;
      target.wakingOpen = false;
    } else {
      const depth = c.stackKind.length;
      let context: number;
      let contextValue = -1;
      if (depth > 0) {
        context = c.stackKind[depth - 1] === RowState.IRQ ? WakerContext.IRQ : WakerContext.SOFTIRQ;
        contextValue = c.stackValue[depth - 1]!;
      } else context = c.thread !== null ? WakerContext.THREAD : c.tid === 0 ? WakerContext.IDLE : WakerContext.UNKNOWN;
      const spurious = target.runState === RunState.RUNNING || target.runState === RunState.WAIT_CPU;
      const idx = this.wakeups.add(t, target.uid, targetCpu, c.thread?.uid ?? -1, c.cpu, context, contextValue, kind, spurious);
      if (!spurious || target.pendingWakeup < 0) {
        target.pendingWakeup = idx;
        target.wakingOpen = kind === WakeupKind.WAKING;
      }
    }
    if (target.runState !== RunState.RUNNING && target.runState !== RunState.WAIT_CPU && target.runState !== RunState.EXITED) {
      target.runState = RunState.WAIT_CPU;
      target.row.set(t, RowState.WAIT_CPU, -1, targetCpu);
    }
    // lttng-analyses' latency: the first wakeup since the thread last ran, unless it runs
    if (target.cpu < 0 && target.wakeupTime < 0) {
      target.wakeupTime = t;
      target.wakerUid = c.thread?.uid ?? -1;
    }
  }

  private fork(p: FieldMap, t: number): void {
    const parentTid = num(p.parent_tid ?? p.parent_pid);
    const childTid = num(p.child_tid ?? p.child_pid);
    const parent = this.thread(parentTid, t);
    parent.rename(t, str(p.parent_comm));
    if (typeof p.parent_pid === 'number' && p.parent_tid !== undefined) parent.pid = p.parent_pid;
    let childPid = typeof p.child_pid === 'number' && p.child_tid !== undefined ? p.child_pid : -1;
    let isThread: boolean;
    if (childPid >= 0) isThread = childPid !== childTid;
    else {
      // old LTTng: no child_pid; the clone flags of the parent's clone() say it
      const flags = parent.sysArgs?.clone_flags;
      isThread = (typeof flags === 'number' || typeof flags === 'bigint') && (Number(BigInt.asUintN(32, BigInt(flags))) & CLONE_THREAD) !== 0;
      childPid = isThread ? parent.pid : childTid;
    }
    const child = this.newThread(childTid, t);
    child.pid = childPid;
    child.ppid = isThread ? parent.ppid : parent.pid >= 0 ? parent.pid : parentTid;
    child.parentTid = parentTid;
    child.forkTime = t;
    child.kernelThread = parent.kernelThread || parentTid === KTHREADD_TID;
    child.prio = parent.prio;
    child.netNs = parent.netNs;
    child.rename(t, str(p.child_comm) || parent.name);
    if (parent.sysName >= 0) {
      // the child returns from the parent's clone(): in that call until its exit event
      child.sysName = parent.sysName;
      child.sysEntry = t;
      child.sysCountable = false;
    }
    child.runState = RunState.WAIT_CPU;
    child.row.set(t, RowState.WAIT_CPU, -1, -1);
    for (const l of this.listeners) l.fork?.(parent, child, t, isThread);
  }

  private exec(p: FieldMap, ctx: FieldMap, t: number): void {
    const tid = p.tid ?? ctx.tid;
    if (typeof tid !== 'number') return;
    const th = this.thread(tid, t);
    const filename = str(p.filename);
    th.execs.push({ time: t, filename });
    th.kernelThread = false;
    // the kernel names the task after the file's base name (at most 15 bytes)
    const procname = ctx.procname;
    th.rename(t, typeof procname === 'string' && procname !== '' ? procname : basename(filename).slice(0, 15));
    if (th.cpu >= 0) this.refreshCpu(this.cpus[th.cpu]!, t);
    for (const l of this.listeners) l.exec?.(th, t);
  }

  private statedumpProcess(p: FieldMap, t: number): void {
    const tid = num(p.tid);
    if (tid <= 0) return;
    const th = this.thread(tid, t);
    const pid = p.pid;
    if (typeof pid === 'number') th.pid = pid;
    const ppid = p.ppid;
    if (typeof ppid === 'number') th.ppid = ppid;
    // the dump's name is the comm at dump time: it names a thread not yet named
    if (th.names.length === 0) th.rename(t, str(p.name));
    if (p.type === 1 || th.ppid === KTHREADD_TID) th.kernelThread = true;
    if (th.runState === RunState.NONE && !th.row.isOpen) {
      // LTTng's process status: 2 = waiting for a CPU, 5 = waiting (blocked)
      const status = p.status;
      if (status === 2) {
        th.runState = RunState.WAIT_CPU;
        th.row.set(t, RowState.WAIT_CPU, -1, typeof p.cpu === 'number' ? p.cpu : -1);
      } else if (status === 5) {
        th.runState = RunState.BLOCKED;
        th.row.set(t, RowState.BLOCKED, -1, -1);
      }
    }
  }

  private pushFrame(c: CpuState, state: number, value: number, t: number, raise: number): void {
    c.stackKind.push(state);
    c.stackValue.push(value);
    c.stackEntry.push(t);
    c.stackRaise.push(raise);
  }

  /**
   * Pops the frame (`state`, `value`) and what lies above it (exits lost). Returns the
   * index it was at, or -1 when it is not on the stack (its entry was not seen).
   */
  private findFrame(c: CpuState, state: number, value: number): number {
    for (let i = c.stackKind.length - 1; i >= 0; i--) if (c.stackKind[i] === state && c.stackValue[i] === value) return i;
    return -1;
  }

  private truncateStack(c: CpuState, depth: number, t: number): void {
    while (c.stackKind.length > depth) {
      const state = c.stackKind.pop()!;
      const value = c.stackValue.pop()!;
      c.stackEntry.pop();
      c.stackRaise.pop();
      if (state === RowState.IRQ) c.irqRows.get(value)?.close(t);
      else this.softirqSlot(c, value).row.close(t);
    }
  }

  private clearStack(c: CpuState, t: number): void {
    this.truncateStack(c, 0, t);
    for (const s of c.softirqRows.values()) s.running = false;
  }

  private irqRow(c: CpuState, irq: number): RowWriter {
    let row = c.irqRows.get(irq);
    if (row === undefined) {
      row = this.addRow({ kind: 'irq', cpu: c.cpu, irq });
      c.irqRows.set(irq, row);
    }
    return row;
  }

  private softirqSlot(c: CpuState, vec: number): SoftirqSlot {
    let slot = c.softirqRows.get(vec);
    if (slot === undefined) {
      slot = new SoftirqSlot(this.addRow({ kind: 'softirq', cpu: c.cpu, vec }));
      c.softirqRows.set(vec, slot);
    }
    return slot;
  }

  private irqEntry(c: CpuState, p: FieldMap, t: number): void {
    const irq = num(p.irq);
    const name = p.name;
    if (typeof name === 'string' && name !== '' && this.irqNames.get(irq) !== name) this.irqNames.set(irq, name);
    this.pushFrame(c, RowState.IRQ, irq, t, -1);
    this.irqRow(c, irq).set(t, RowState.IRQ, irq, c.tid);
    this.refreshCpu(c, t);
  }

  private irqExit(c: CpuState, p: FieldMap, t: number): void {
    const irq = num(p.irq);
    const depth = c.stackKind.length;
    if (depth === 0) return;
    if (c.stackKind[depth - 1] === RowState.IRQ && c.stackValue[depth - 1] === irq) {
      const entry = c.stackEntry[depth - 1]!;
      this.truncateStack(c, depth - 1, t);
      for (const l of this.listeners) l.hardIrq?.(irq, c.cpu, entry, t);
    } else {
      // the exit does not match the running handler: lttng-analyses drops both, and so
      // do we (no statistic), but the stack is repaired
      const i = this.findFrame(c, RowState.IRQ, irq);
      if (i < 0) {
        if (c.stackKind[depth - 1] === RowState.IRQ) this.truncateStack(c, depth - 1, t);
        else return;
      } else this.truncateStack(c, i, t);
    }
    this.refreshCpu(c, t);
  }

  private softirqRaise(c: CpuState, vec: number, t: number): void {
    const slot = this.softirqSlot(c, vec);
    if (slot.running) {
      if (slot.reraised < 0) slot.reraised = t;
      return;
    }
    if (slot.raised >= 0) return; // level-triggered: the first raise is the one serviced
    slot.raised = t;
    slot.row.set(t, RowState.SOFTIRQ_RAISED, vec, -1);
  }

  private softirqEntry(c: CpuState, vec: number, t: number): void {
    const slot = this.softirqSlot(c, vec);
    const raise = slot.raised;
    slot.raised = -1;
    slot.running = true;
    this.pushFrame(c, RowState.SOFTIRQ, vec, t, raise);
    slot.row.set(t, RowState.SOFTIRQ, vec, c.tid);
    this.refreshCpu(c, t);
  }

  private softirqExit(c: CpuState, vec: number, t: number): void {
    const i = this.findFrame(c, RowState.SOFTIRQ, vec);
    if (i < 0) return;
    const entry = c.stackEntry[i]!;
    const raise = c.stackRaise[i]!;
    const clean = i === c.stackKind.length - 1;
    this.truncateStack(c, i, t);
    const slot = this.softirqSlot(c, vec);
    slot.running = false;
    if (slot.reraised >= 0) {
      slot.raised = slot.reraised;
      slot.reraised = -1;
      slot.row.set(t, RowState.SOFTIRQ_RAISED, vec, -1);
    }
    if (clean) for (const l of this.listeners) l.softIrq?.(vec, c.cpu, entry, t, raise);
    this.refreshCpu(c, t);
  }

  private netEvent(c: CpuState, kind: EventKind, p: FieldMap, t: number): void {
    const depth = c.stackKind.length;
    const context = depth > 0 ? (c.stackKind[depth - 1] === RowState.IRQ ? WakerContext.IRQ : WakerContext.SOFTIRQ) : c.thread !== null ? WakerContext.THREAD : c.tid === 0 ? WakerContext.IDLE : WakerContext.UNKNOWN;
    const skb = p.skbaddr;
    const len = p.len;
    this.net.add(t, c.cpu, kind - EventKind.NET_RECEIVE, typeof len === 'number' ? len : -1, c.thread?.uid ?? -1, context, typeof skb === 'bigint' ? skb : typeof skb === 'number' ? BigInt(skb) : 0n, str(p.name));
  }

  /** Lost events on a CPU: what it ran since is unknown until its next sched_switch. */
  private discarded(rec: DiscardedRecord): void {
    if (this.baseNs === null && rec.begin !== null) {
      this.baseNs = rec.begin;
      this.baseHi = Number(rec.begin >> 32n);
      this.baseLo = Number(BigInt.asUintN(32, rec.begin));
    }
    const begin = rec.begin !== null && this.baseNs !== null ? Number(rec.begin - this.baseNs) : this.lastTime;
    const end = rec.end !== null && this.baseNs !== null ? Number(rec.end - this.baseNs) : begin;
    this.lost.push({ kind: rec.kind, cpu: rec.cpu, count: rec.count, begin, end });
    if (rec.cpu === null) return;
    const c = this.cpuState(rec.cpu);
    const t = Math.max(begin, this.lastTime);
    this.clearStack(c, t);
    for (const s of c.softirqRows.values()) {
      s.raised = -1;
      s.reraised = -1;
      s.row.close(t);
    }
    const th = c.thread;
    if (th !== null) {
      th.cpu = -1;
      th.runState = RunState.NONE;
      th.sysCountable = false;
      th.wakeupTime = -1;
      th.row.set(t, RowState.UNKNOWN, -1, -1);
    }
    c.thread = null;
    c.tid = -1;
    this.refreshCpu(c, t);
  }

  /** Ends the pass: closes every open interval at the last event's time. */
  finish(): KernelModel {
    if (this.finished) return this.finished;
    const end = this.lastTime;
    // a kernel thread seen running before the state dump said what it is
    for (const th of this.threads) if (th.kernelThread) th.row.relabel(RowState.RUN_USER, RowState.RUN_KERNEL);
    for (const r of this.rows) r.writer.close(end);
    for (const l of this.listeners) l.end?.(end);
    this.wakeups.trim();
    this.finished = new KernelModel({
      trace: this.options.trace ?? null,
      baseNs: this.baseNs ?? 0n,
      endTime: end,
      events: this.events,
      names: this.names,
      threads: this.threads,
      rows: this.rows,
      wakeups: this.wakeups,
      net: this.net,
      irqNames: this.irqNames,
      netNsNames: this.netNsNames,
      lost: this.lost,
      unattributedSyscalls: this.unattributedSyscalls,
      statedump: this.statedumpBegin === this.statedumpBegin ? { begin: this.statedumpBegin, end: this.statedumpEnd } : null,
    });
    return this.finished;
  }
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return -1;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** lttng-analyses' rule: lttng-modules before 2.7.1 wrote wakeup priorities 100 too high. */
function needsWakeupPrioFix(env: Readonly<Record<string, string | number>> | undefined): boolean {
  if (!env || env.tracer_name !== 'lttng-modules') return false;
  const v = [Number(env.tracer_major), Number(env.tracer_minor), Number(env.tracer_patchlevel ?? 0)];
  if (v.some((x) => !Number.isFinite(x))) return false;
  return v[0]! < 2 || (v[0] === 2 && (v[1]! < 7 || (v[1] === 7 && v[2]! < 1)));
}
