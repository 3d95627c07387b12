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
  /**
   * Names this context instance: a softirq run (`s<id>`), an IRQ handler run (`i<id>`), or
   * a thread inside one syscall (`t<tid>:<syscall id>`, 0 outside syscalls). Events of one
   * instance share it (see contextKey).
   */
  readonly key: string;
}

interface CpuState {
  tid: number | null;
  /** Bumped when what the CPU runs changes (switch, interrupt entry or exit). */
  gen: number;
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

/** A thread as the tracker keeps it: `version` counts changes (snapshots of older versions are stale). */
interface ThreadState extends ThreadInfo {
  version: number;
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


/**
 * Follows, event by event, what each CPU runs (task, syscall, nested IRQ/softirq) and what
 * each thread is (pid, name, syscall in progress). Feed every relevant event to `update`
 * in time order; `contextOf` answers where an event ran.
 */
export class ContextTracker {
  private readonly cpus = new Map<number, CpuState>();
  readonly threads = new Map<number, ThreadState>();
  readonly irqs: IrqInstance[] = [];
  readonly softirqs: SoftirqInstance[] = [];
  private nextSyscallId = 1;
  /**
   * The last snapshot per CPU, valid while neither the CPU's state (`cpuGen`) nor its
   * thread (`threadVersion`) changed: a softirq run's or a syscall's many events share one.
   */
  private readonly snapshots = new Map<number, { cpuGen: number; threadVersion: number; ctx: ExecContext }>();

  private cpu(cpu: number): CpuState {
    let c = this.cpus.get(cpu);
    if (!c) this.cpus.set(cpu, (c = { tid: null, gen: 0, stack: [], pending: new Map() }));
    return c;
  }

  thread(tid: number): ThreadInfo {
    return this.state(tid);
  }

  private state(tid: number): ThreadState {
    let t = this.threads.get(tid);
    if (!t) this.threads.set(tid, (t = { tid, pid: null, comm: null, syscall: null, version: 0 }));
    return t;
  }

  /** Thread `tid`, about to change: snapshots showing it are stale from now on. */
  private changing(tid: number): ThreadState {
    const t = this.state(tid);
    t.version++;
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
    // Snapshots are shared while nothing changes on the CPU or its thread (a softirq run's
    // many events, a syscall's): far fewer objects on busy traces.
    if (ev.cpu === null) return this.buildContext(ev, tid);
    const cpuGen = this.cpus.get(ev.cpu)?.gen ?? -1;
    const threadVersion = tid === null ? -1 : (this.threads.get(tid)?.version ?? -1);
    const cached = this.snapshots.get(ev.cpu);
    if (cached && cached.cpuGen === cpuGen && cached.threadVersion === threadVersion && cached.ctx.tid === tid) return cached.ctx;
    const ctx = this.buildContext(ev, tid);
    this.snapshots.set(ev.cpu, { cpuGen, threadVersion, ctx });
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
    const syscall = t?.syscall ?? null;
    const key = kind === 'softirq' ? `s${softirq!.id}` : kind === 'irq' ? `i${irq!.id}` : `t${tid ?? '?'}:${syscall?.id ?? 0}`;
    return {
      kind,
      cpu: ev.cpu,
      tid,
      pid: t?.pid ?? contextNumber(ev, 'pid'),
      comm: text(ev.context.procname) ?? t?.comm ?? null,
      syscall,
      irq,
      softirq,
      key,
    };
  }

  /** Learns pid/comm from the event's context fields. */
  private learn(ev: TraceEvent, tid: number | null): void {
    if (tid === null) return;
    const pid = contextNumber(ev, 'pid');
    const comm = text(ev.context.procname);
    if (pid === null && comm === null) return;
    const t = this.state(tid);
    if (pid !== null && t.pid !== pid) {
      t.pid = pid;
      t.version++;
    }
    if (comm !== null && t.comm !== comm) {
      t.comm = comm;
      t.version++;
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
    if (syscall) {
      if (tid === null) return;
      const t = this.changing(tid);
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
        st.gen++;
        const prev = fieldNumber(p.prev_tid);
        const next = fieldNumber(p.next_tid);
        if (!Number.isNaN(prev)) {
          const pt = this.state(prev);
          if (pt.comm === null) pt.comm = text(p.prev_comm);
          pt.version++;
        }
        if (!Number.isNaN(next)) {
          const nt = this.changing(next);
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
        st.gen++;
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
        st.gen++;
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
        st.gen++;
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
        st.gen++;
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
        const t = this.changing(fieldNumber(p.tid));
        const pid = fieldNumber(p.pid);
        if (!Number.isNaN(pid)) t.pid = pid;
        t.comm = text(p.name) ?? t.comm;
        return;
      }
      case 'sched_process_fork': {
        const childTid = fieldNumber(p.child_tid);
        if (Number.isNaN(childTid)) return;
        const child = this.changing(childTid);
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
        const t = this.changing(Number.isNaN(execTid) ? (tid ?? -1) : execTid);
        const file = text(p.filename);
        if (file) t.comm = file.split('/').pop()!.slice(0, 15);
        return;
      }
      case 'task_rename': {
        if (tid === null) return;
        const newcomm = text(p.newcomm);
        const target = fieldNumber(p.pid);
        this.changing(Number.isNaN(target) ? tid : target).comm = newcomm;
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
