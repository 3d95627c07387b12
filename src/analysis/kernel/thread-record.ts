/**
 * What the model knows and tracks about one thread: identity (tid, pid, ppid), its names
 * over time, fork/exec/exit, its timeline row, and the live state the pass needs (CPU,
 * current system call, pending wakeup). One record per thread *lifetime*: when a tid is
 * reused by a new thread, the old record is closed and a new one (next `serial`) begins.
 */
import type { FieldMap } from '../../model/trace-event.js';
import type { RowWriter } from './interval-column.js';

export const enum RunState {
  /** Never seen doing anything yet. */
  NONE = 0,
  RUNNING = 1,
  WAIT_CPU = 2,
  BLOCKED = 3,
  EXITED = 4,
}

export class ThreadRecord {
  /** Index of this record in the model's thread list (stable; used as a column key). */
  readonly uid: number;
  readonly tid: number;
  /** 0 for the first thread with this tid in the trace, 1 for the next one, … */
  readonly serial: number;
  /** Thread group id (process id), or -1 while unknown. */
  pid = -1;
  /** Parent process id, or -1 while unknown. */
  ppid = -1;
  /** tid of the thread that forked it (when the fork is in the trace), or -1. */
  parentTid = -1;
  /** True for kernel threads (state dump type 1, or forked by a kernel thread). */
  kernelThread = false;
  /** Relative times of fork, exit (sched_process_exit) and free; NaN when not seen. */
  forkTime = NaN;
  exitTime = NaN;
  freeTime = NaN;
  /** Names over time: `nameTimes[i]` is when `names[i]` started (relative ns). */
  readonly nameTimes: number[] = [];
  readonly names: string[] = [];
  /** exec() calls: relative time and file name. */
  readonly execs: Array<{ readonly time: number; readonly filename: string }> = [];
  /** Last known scheduling priority (LTTng convention: prio - 100), or NaN. */
  prio = NaN;
  /** Network namespace inode from the state dump, or 0. */
  netNs = 0;

  /** Its timeline row (`row.index` is the row's index in the model). */
  readonly row: RowWriter;

  // ---- live state of the pass ----
  runState: RunState = RunState.NONE;
  /** CPU it runs on, or -1. */
  cpu = -1;
  /** CPU it last ran on, or -1. */
  lastCpu = -1;
  /** Current system call name id, or -1. */
  sysName = -1;
  /** Relative entry time of the current system call. */
  sysEntry = 0;
  /** False when the entry was not seen in full (inherited by fork, lost events): not a statistic. */
  sysCountable = false;
  /** Payload of the current system call's entry event (its arguments), or null. */
  sysArgs: FieldMap | null = null;
  /** First wakeup since it last ran (relative ns), or -1 (lttng-analyses' latency start). */
  wakeupTime = -1;
  /** Thread record uid of the waker of that wakeup, or -1. */
  wakerUid = -1;
  /** Index in the wakeup log of the wakeup not yet followed by a switch-in, or -1. */
  pendingWakeup = -1;
  /** True while that pending wakeup is a sched_waking whose sched_wakeup has not come yet. */
  wakingOpen = false;
  /** True once sched_process_exit was seen: the next switch-out ends the row. */
  exiting = false;

  constructor(uid: number, tid: number, serial: number, row: RowWriter) {
    this.row = row;
    this.uid = uid;
    this.tid = tid;
    this.serial = serial;
  }

  /** The current name ('' while unknown). */
  get name(): string {
    const n = this.names.length;
    return n === 0 ? '' : this.names[n - 1]!;
  }

  /** Records `name` from time `t` on, if it differs from the current one. */
  rename(t: number, name: string): void {
    if (name === '' || name === this.name) return;
    const n = this.names.length;
    // a name learnt at or before the time of the current one replaces it (e.g. the state
    // dump's name for a thread first seen nameless a moment earlier)
    if (n > 0 && t <= this.nameTimes[n - 1]!) {
      this.names[n - 1] = name;
      return;
    }
    this.nameTimes.push(t);
    this.names.push(name);
  }

  /** The name at relative time `t` (the first known name before it was known). */
  nameAt(t: number): string {
    const times = this.nameTimes;
    let i = times.length - 1;
    while (i > 0 && times[i]! > t) i--;
    return this.names[i] ?? '';
  }
}
