/**
 * Blocked intervals: a thread switched out in a sleeping state (sched_switch with a
 * non-running prev_state), the wakeup that made it runnable again (sched_waking, or
 * sched_wakeup on traces without waking) with the waker's context — CPU, and whether it
 * was a hard IRQ, a softirq or a thread (in which syscall) — and the switch back in. The
 * intervals of the wait-type system calls (select, poll, epoll_wait, accept, read,
 * recvfrom, …) are kept with the syscall they ended.
 */
import { fieldNumber, type FieldMap, type TraceEvent } from '../../model/trace-event.js';
import type { ContextView, ExecContext, KernelCollector } from '../correlate/context.js';
import { eventRefOf, type EventRef } from '../correlate/types.js';
import { EventKind } from '../kernel/vocabulary.js';

/** System calls whose blocked intervals are kept (they wait for I/O, often the network). */
export const WAIT_SYSCALLS: ReadonlySet<string> = new Set([
  'select',
  'pselect6',
  '_newselect',
  'poll',
  'ppoll',
  'epoll_wait',
  'epoll_pwait',
  'epoll_pwait2',
  'accept',
  'accept4',
  'read',
  'readv',
  'recvfrom',
  'recvmsg',
  'recvmmsg',
  'recv',
  'connect',
  'write',
  'writev',
  'sendto',
  'sendmsg',
  'send',
  'wait4',
  'waitid',
]);

/** Who made a blocked thread runnable. */
export interface WakerInfo {
  readonly event: EventRef;
  readonly ctx: ExecContext;
}

export interface BlockedInterval {
  readonly id: number;
  readonly tid: number;
  readonly pid: number | null;
  readonly comm: string | null;
  /** The syscall the thread was in (null when it started before the trace). */
  syscall: { readonly name: string; readonly entryTs: bigint | null; readonly args: FieldMap } | null;
  /** sched_switch that put it to sleep (null when it was asleep when the trace began). */
  readonly blockTs: bigint | null;
  readonly blockCpu: number | null;
  readonly blockState: number | null;
  readonly blockEvent: EventRef | null;
  /** sched_waking (or sched_wakeup) that made it runnable. */
  waker: WakerInfo | null;
  /** sched_switch that put it back on a CPU. */
  runTs: bigint | null;
  runCpu: number | null;
  runEvent: EventRef | null;
  /** True when the syscall returned right after this interval (no other block in between). */
  endsSyscall: boolean;
  exitTs: bigint | null;
  ret: number | null;
  exitEvent: EventRef | null;
}

interface ThreadWait {
  blocked: BlockedInterval | null;
  /** Intervals of the syscall in progress, completed (switched back in). */
  inSyscall: BlockedInterval[];
}

/** Blocked (sleeping) per the task state sched_switch reports: S, D, idle kthreads; not R, R+, Z, X. */
function isSleeping(state: number): boolean {
  const s = state & 0xff;
  return s !== 0 && (s & 0x30) === 0;
}

/**
 * A new interval of `tid` (numbered once it is switched back in): asleep since `block`,
 * or since before the trace when null. `comm` is the event's name for the thread, used
 * when the model has none; `cpu` is where the event saw its syscall.
 */
function openInterval(view: ContextView, tid: number, comm: unknown, cpu: number | null, block: { ts: bigint; cpu: number | null; state: number; event: EventRef } | null): BlockedInterval {
  const t = view.threadOf(tid);
  const sc = view.syscallOf(t, cpu);
  return {
    id: -1,
    tid,
    pid: view.pidOf(tid),
    comm: t?.name || (typeof comm === 'string' ? comm : null),
    syscall: sc ? { name: sc.name, entryTs: sc.entryTs, args: sc.args } : null,
    blockTs: block?.ts ?? null,
    blockCpu: block?.cpu ?? null,
    blockState: block?.state ?? null,
    blockEvent: block?.event ?? null,
    waker: null,
    runTs: null,
    runCpu: null,
    runEvent: null,
    endsSyscall: false,
    exitTs: null,
    ret: null,
    exitEvent: null,
  };
}

/**
 * Collects blocked intervals during the kernel pass; `intervals` holds those of syscalls
 * `keep` accepts (default: WAIT_SYSCALLS) that returned.
 */
export class BlockedIntervalCollector implements KernelCollector {
  readonly intervals: BlockedInterval[] = [];
  private readonly threads = new Map<number, ThreadWait>();

  constructor(private readonly keep: (syscall: string | null) => boolean = (s) => s !== null && WAIT_SYSCALLS.has(s)) {}

  private wait(tid: number): ThreadWait {
    let w = this.threads.get(tid);
    if (!w) this.threads.set(tid, (w = { blocked: null, inSyscall: [] }));
    return w;
  }

  onEvent(ev: TraceEvent, kind: EventKind, view: ContextView): void {
    if (kind === EventKind.SYSCALL_ENTRY || kind === EventKind.SYSCALL_EXIT) {
      const tid = view.tid;
      if (tid === null) return;
      const w = this.threads.get(tid);
      if (!w) return;
      if (kind === EventKind.SYSCALL_ENTRY) {
        w.inSyscall = [];
        return;
      }
      // The thread runs (it is exiting its syscall): a sleep whose switch-in the trace
      // lacks ended anyway (missing sched_switch; runTs stays unknown).
      if (w.blocked && w.blocked.waker) {
        (w.blocked as { id: number }).id = this.nextId++;
        w.blocked.runCpu = ev.cpu;
        w.inSyscall.push(w.blocked);
        w.blocked = null;
      }
      // Exit: the syscall's last interval ended it.
      const name = view.syscallName(ev) || view.syscall?.name || '';
      const last = w.inSyscall[w.inSyscall.length - 1];
      if (last) {
        last.endsSyscall = true;
        last.exitTs = ev.ts;
        last.exitEvent = eventRefOf(ev.ts, ev.name, ev.cpu, tid);
        const ret = fieldNumber(ev.payload.ret);
        last.ret = Number.isNaN(ret) ? null : ret;
        for (const i of w.inSyscall) if (!i.syscall && name) i.syscall = { name, entryTs: null, args: {} };
        for (const i of w.inSyscall) if (this.keep(i.syscall?.name ?? null)) this.intervals.push(i);
      }
      w.inSyscall = [];
      return;
    }
    switch (kind) {
      case EventKind.SCHED_SWITCH: {
        const p = ev.payload;
        const prev = fieldNumber(p.prev_tid);
        const next = fieldNumber(p.next_tid);
        const state = fieldNumber(p.prev_state);
        if (prev > 0 && isSleeping(state)) {
          const block = { ts: ev.ts, cpu: ev.cpu, state, event: eventRefOf(ev.ts, ev.name, ev.cpu, prev) };
          this.wait(prev).blocked = openInterval(view, prev, p.prev_comm, ev.cpu, block);
        }
        if (next > 0) {
          const w = this.threads.get(next);
          const b = w?.blocked;
          if (w && b) {
            b.runTs = ev.ts;
            b.runCpu = ev.cpu;
            b.runEvent = eventRefOf(ev.ts, ev.name, ev.cpu, next);
            (b as { id: number }).id = this.nextId++;
            w.inSyscall.push(b);
            w.blocked = null;
          }
        }
        return;
      }
      case EventKind.SCHED_WAKING:
      case EventKind.SCHED_WAKEUP:
      case EventKind.SCHED_WAKEUP_NEW: {
        const target = fieldNumber(ev.payload.tid);
        if (Number.isNaN(target) || target <= 0) return;
        const w = this.wait(target);
        if (!w.blocked) {
          // ttwu only reports sleeping tasks: it was asleep since before the trace began.
          if (kind === EventKind.SCHED_WAKEUP_NEW) return;
          w.blocked = openInterval(view, target, ev.payload.comm, null, null);
        }
        // The first waking is the one that made it runnable; sched_wakeup follows it.
        if (!w.blocked.waker) {
          const ctx = view.context();
          w.blocked.waker = { event: eventRefOf(ev.ts, ev.name, ev.cpu, ctx.tid), ctx };
        }
        return;
      }
      default:
        return;
    }
  }

  private nextId = 0;
}
