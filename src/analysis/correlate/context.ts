/**
 * Where each kernel event ran: on which CPU, in whose time (the task current on that
 * CPU), inside which system call of that task, and inside which hard IRQ or softirq —
 * with the softirq's raiser (the IRQ handler, or the task that raised it, e.g. the sender
 * on a veth pair or loopback where there is no hard IRQ at all).
 *
 * The tracker follows sched_switch, irq_handler_entry/exit, softirq raise/entry/exit and
 * syscall entry/exit per CPU and thread. Context fields (LTTng's `tid`/`pid`/`procname`,
 * or tracewire's) are used when present, else the task is the one sched_switch put on
 * the CPU. It is the common base of the correlation, wakeup and story analyses.
 */
import { fieldNumber, type FieldMap, type TraceEvent } from '../../model/trace-event.js';
import type { EventRole } from './event-names.js';
import { eventRefOf, type EventRef } from './types.js';

/** A hard interrupt handler run. */
export interface IrqInstance {
  readonly id: number;
  readonly cpu: number;
  readonly irq: number;
  /** Handler name (`virtio0-input.0`, `eth0`…). */
  readonly name: string;
  readonly entryTs: bigint;
  exitTs: bigint | null;
  readonly entryEvent: EventRef;
  exitEvent: EventRef | null;
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
  exitTs: bigint | null;
  readonly entryEvent: EventRef;
  exitEvent: EventRef | null;
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
}

interface CpuState {
  tid: number | null;
  /** Nested interrupt contexts, innermost last. */
  stack: Array<{ irq: IrqInstance } | { softirq: SoftirqInstance }>;
  /** Raisers of pending softirqs, by vector. */
  pending: Map<number, SoftirqRaiser>;
}

export interface ThreadInfo {
  readonly tid: number;
  pid: number | null;
  comm: string | null;
  syscall: SyscallInProgress | null;
}

/** Field of the event context (LTTng contexts) as a number, or null. */
function contextNumber(ev: TraceEvent, name: string): number | null {
  const v = ev.context[name];
  if (v === undefined || v === null) return null;
  const n = fieldNumber(v);
  return Number.isNaN(n) ? null : n;
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Events that change a CPU's or thread's context (the others only read it). */
const STATE_ROLES: ReadonlySet<EventRole> = new Set<EventRole>(['sched_switch', 'irq_entry', 'irq_exit', 'softirq_entry', 'softirq_exit', 'statedump_process', 'sched_process_fork', 'sched_process_exec', 'task_rename']);

/**
 * Follows, event by event, what each CPU runs (task, syscall, nested IRQ/softirq) and what
 * each thread is (pid, name, syscall in progress). Feed every relevant event to `update`
 * in time order; `contextOf` answers where an event ran.
 */
export class ContextTracker {
  private readonly cpus = new Map<number, CpuState>();
  readonly threads = new Map<number, ThreadInfo>();
  readonly irqs: IrqInstance[] = [];
  readonly softirqs: SoftirqInstance[] = [];
  private nextSyscallId = 1;
  /** Bumped by every state change; a snapshot of an older generation is rebuilt. */
  private generation = 0;
  private readonly snapshots = new Map<number, { generation: number; ctx: ExecContext }>();

  private cpu(cpu: number): CpuState {
    let c = this.cpus.get(cpu);
    if (!c) this.cpus.set(cpu, (c = { tid: null, stack: [], pending: new Map() }));
    return c;
  }

  thread(tid: number): ThreadInfo {
    let t = this.threads.get(tid);
    if (!t) this.threads.set(tid, (t = { tid, pid: null, comm: null, syscall: null }));
    return t;
  }

  /** pid (thread group id) of `tid`, when known. */
  pidOf(tid: number | null): number | null {
    if (tid === null) return null;
    return this.threads.get(tid)?.pid ?? null;
  }

  commOf(tid: number | null): string | null {
    if (tid === null) return null;
    return this.threads.get(tid)?.comm ?? null;
  }

  /** The task an event ran in the time of: its `tid` context, else the CPU's current task. */
  taskOf(ev: TraceEvent): number | null {
    const tid = contextNumber(ev, 'tid') ?? contextNumber(ev, 'vtid');
    if (tid !== null) return tid;
    return ev.cpu === null ? null : (this.cpus.get(ev.cpu)?.tid ?? null);
  }

  /** Where `ev` ran (call before `update(ev)` for exit events so they still see their context). */
  contextOf(ev: TraceEvent): ExecContext {
    const tid = this.taskOf(ev);
    // Snapshots are shared while nothing changes on the CPU (a softirq run's many events,
    // a syscall's): far fewer objects on busy traces.
    const cached = ev.cpu === null ? undefined : this.snapshots.get(ev.cpu);
    if (cached && cached.generation === this.generation && cached.ctx.tid === tid) return cached.ctx;
    const ctx = this.buildContext(ev, tid);
    if (ev.cpu !== null) this.snapshots.set(ev.cpu, { generation: this.generation, ctx });
    return ctx;
  }

  private buildContext(ev: TraceEvent, tid: number | null): ExecContext {
    const t = tid === null ? undefined : this.threads.get(tid);
    const st = ev.cpu === null ? undefined : this.cpus.get(ev.cpu);
    let irq: IrqInstance | null = null;
    let softirq: SoftirqInstance | null = null;
    let kind: ExecContext['kind'] = 'task';
    if (st && st.stack.length) {
      const top = st.stack[st.stack.length - 1]!;
      if ('irq' in top) {
        kind = 'irq';
        irq = top.irq;
      } else {
        kind = 'softirq';
        softirq = top.softirq;
      }
      for (const c of st.stack) {
        if ('irq' in c && !irq) irq = c.irq;
        if ('softirq' in c && !softirq) softirq = c.softirq;
      }
    }
    return {
      kind,
      cpu: ev.cpu,
      tid,
      pid: t?.pid ?? contextNumber(ev, 'pid'),
      comm: text(ev.context.procname) ?? t?.comm ?? null,
      syscall: t?.syscall ?? null,
      irq,
      softirq,
    };
  }

  /** Learns pid/comm from the event's context fields. */
  private learn(ev: TraceEvent, tid: number | null): void {
    if (tid === null) return;
    const pid = contextNumber(ev, 'pid');
    const comm = text(ev.context.procname);
    if (pid === null && comm === null) return;
    const t = this.thread(tid);
    if (pid !== null && t.pid !== pid) {
      t.pid = pid;
      this.generation++;
    }
    if (comm !== null && t.comm !== comm) {
      t.comm = comm;
      this.generation++;
    }
  }

  /**
   * Updates the state with `ev`. Entry-type changes (a syscall, IRQ or softirq starting,
   * a task switched in) are visible to `contextOf` on the same event after this call;
   * call `contextOf` before this for exit-type events.
   */
  update(ev: TraceEvent, role: EventRole | undefined, syscall: { name: string; entry: boolean } | null): void {
    const cpu = ev.cpu;
    const tid = this.taskOf(ev);
    this.learn(ev, tid);
    // Every change below can alter a snapshot (a global counter: changes are rare next to
    // the events that read contexts).
    if (syscall || (role !== undefined && STATE_ROLES.has(role))) this.generation++;
    if (syscall) {
      if (tid === null) return;
      const t = this.thread(tid);
      if (syscall.entry) t.syscall = { id: this.nextSyscallId++, name: syscall.name, tid, entryTs: ev.ts, cpu, args: ev.payload };
      else t.syscall = null;
      return;
    }
    if (!role) return;
    const p = ev.payload;
    switch (role) {
      case 'sched_switch': {
        if (cpu === null) return;
        const st = this.cpu(cpu);
        const prev = fieldNumber(p.prev_tid);
        const next = fieldNumber(p.next_tid);
        if (!Number.isNaN(prev)) {
          const pt = this.thread(prev);
          if (pt.comm === null) pt.comm = text(p.prev_comm);
        }
        if (!Number.isNaN(next)) {
          const nt = this.thread(next);
          nt.comm = text(p.next_comm) ?? nt.comm;
          if (next === 0 && nt.pid === null) nt.pid = 0;
          st.tid = next;
        }
        // A switch happens in task context: any interrupt still open lost its exit event.
        st.stack.length = 0;
        return;
      }
      case 'irq_entry': {
        if (cpu === null) return;
        const st = this.cpu(cpu);
        const inst: IrqInstance = {
          id: this.irqs.length,
          cpu,
          irq: fieldNumber(p.irq),
          name: text(p.name) ?? '',
          entryTs: ev.ts,
          exitTs: null,
          entryEvent: eventRefOf(ev.ts, ev.name, cpu, tid),
          exitEvent: null,
          tid,
          comm: this.commOf(tid),
        };
        this.irqs.push(inst);
        st.stack.push({ irq: inst });
        return;
      }
      case 'irq_exit': {
        if (cpu === null) return;
        const st = this.cpu(cpu);
        const i = findLast(st.stack, (c) => 'irq' in c);
        if (i >= 0) {
          const inst = (st.stack[i] as { irq: IrqInstance }).irq;
          inst.exitTs = ev.ts;
          inst.exitEvent = eventRefOf(ev.ts, ev.name, cpu, tid);
          st.stack.length = i;
        }
        return;
      }
      case 'softirq_raise': {
        if (cpu === null) return;
        const st = this.cpu(cpu);
        const vec = fieldNumber(p.vec);
        if (st.pending.has(vec)) return;
        const top = st.stack[st.stack.length - 1];
        const event = eventRefOf(ev.ts, ev.name, cpu, tid);
        let raiser: SoftirqRaiser;
        if (top && 'irq' in top) raiser = { kind: 'irq', ts: ev.ts, event, irq: top.irq };
        else if (top) raiser = { kind: 'softirq', ts: ev.ts, event, softirq: top.softirq };
        else raiser = { kind: 'task', ts: ev.ts, event, tid, comm: this.commOf(tid), syscall: tid === null ? null : (this.threads.get(tid)?.syscall?.name ?? null) };
        st.pending.set(vec, raiser);
        return;
      }
      case 'softirq_entry': {
        if (cpu === null) return;
        const st = this.cpu(cpu);
        const vec = fieldNumber(p.vec);
        const raisedBy = st.pending.get(vec) ?? null;
        st.pending.delete(vec);
        const inst: SoftirqInstance = {
          id: this.softirqs.length,
          cpu,
          vec,
          entryTs: ev.ts,
          exitTs: null,
          entryEvent: eventRefOf(ev.ts, ev.name, cpu, tid),
          exitEvent: null,
          tid,
          comm: this.commOf(tid),
          syscall: tid === null ? null : (this.threads.get(tid)?.syscall?.name ?? null),
          raisedBy,
        };
        this.softirqs.push(inst);
        st.stack.push({ softirq: inst });
        return;
      }
      case 'softirq_exit': {
        if (cpu === null) return;
        const st = this.cpu(cpu);
        const i = findLast(st.stack, (c) => 'softirq' in c);
        if (i >= 0) {
          const inst = (st.stack[i] as { softirq: SoftirqInstance }).softirq;
          inst.exitTs = ev.ts;
          inst.exitEvent = eventRefOf(ev.ts, ev.name, cpu, tid);
          st.stack.length = i;
        }
        return;
      }
      case 'statedump_process': {
        const t = this.thread(fieldNumber(p.tid));
        const pid = fieldNumber(p.pid);
        if (!Number.isNaN(pid)) t.pid = pid;
        t.comm = text(p.name) ?? t.comm;
        return;
      }
      case 'sched_process_fork': {
        const childTid = fieldNumber(p.child_tid);
        if (Number.isNaN(childTid)) return;
        const child = this.thread(childTid);
        const childPid = fieldNumber(p.child_pid);
        const parentPid = fieldNumber(p.parent_pid);
        // Older LTTng has no child_pid: a new thread group unless it shares the parent's.
        child.pid = !Number.isNaN(childPid) ? childPid : childTid;
        if (!Number.isNaN(parentPid) && child.pid === null) child.pid = parentPid;
        child.comm = text(p.child_comm) ?? child.comm;
        return;
      }
      case 'sched_process_exec': {
        const execTid = fieldNumber(p.tid);
        const t = this.thread(Number.isNaN(execTid) ? (tid ?? -1) : execTid);
        const file = text(p.filename);
        if (file) t.comm = file.split('/').pop()!.slice(0, 15);
        return;
      }
      case 'task_rename': {
        if (tid === null) return;
        const newcomm = text(p.newcomm);
        const target = fieldNumber(p.pid);
        this.thread(Number.isNaN(target) ? tid : target).comm = newcomm;
        return;
      }
      default:
        return;
    }
  }
}

function findLast<T>(a: readonly T[], pred: (v: T) => boolean): number {
  for (let i = a.length - 1; i >= 0; i--) if (pred(a[i]!)) return i;
  return -1;
}
