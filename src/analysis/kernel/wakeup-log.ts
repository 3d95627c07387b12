/**
 * Every wakeup of the trace, columnar, for wakeup-chain analysis ("who woke the server
 * thread, from which context, and how long until it ran?").
 *
 * One record per wakeup: a `sched_waking` followed by its `sched_wakeup` (2.8+ traces)
 * is one record, completed by the second event; `sched_wakeup_new` records the first
 * wakeup of a new task. The waker is what ran on the waking CPU at that moment: a thread,
 * a hard IRQ or a softirq running over it, or the idle task.
 */
import { grownColumn } from './typed-columns.js';

/** The context a wakeup came from. */
export const enum WakerContext {
  UNKNOWN = 0,
  THREAD = 1,
  IRQ = 2,
  SOFTIRQ = 3,
  IDLE = 4,
}

export const WAKER_CONTEXT_NAMES: readonly string[] = ['unknown', 'thread', 'irq', 'softirq', 'idle'];

export const enum WakeupKind {
  WAKEUP = 0,
  WAKING = 1,
  WAKEUP_NEW = 2,
}

export const WAKEUP_KIND_NAMES: readonly string[] = ['sched_wakeup', 'sched_waking', 'sched_wakeup_new'];

/** Columnar store of wakeups; times relative to the model's base. */
export class WakeupLog {
  length = 0;
  time: Float64Array = new Float64Array(1024);
  /** When the target next got a CPU (sched_switch in), NaN if it did not in the trace. */
  scheduledTime: Float64Array = new Float64Array(1024);
  /** Thread record uids (see KernelModel.threads). */
  targetUid: Int32Array = new Int32Array(1024);
  targetCpu: Int32Array = new Int32Array(1024);
  /** Uid of the waking thread (the one running, or interrupted, on the waking CPU), or -1. */
  wakerUid: Int32Array = new Int32Array(1024);
  wakerCpu: Int32Array = new Int32Array(1024);
  wakerContext: Uint8Array = new Uint8Array(1024);
  /** IRQ line or softirq vector of the waker context, or -1. */
  wakerContextValue: Int32Array = new Int32Array(1024);
  kind: Uint8Array = new Uint8Array(1024);
  /** 1 when the target was already running or runnable (nothing to wake). */
  spurious: Uint8Array = new Uint8Array(1024);

  add(time: number, targetUid: number, targetCpu: number, wakerUid: number, wakerCpu: number, context: number, contextValue: number, kind: number, spurious: boolean): number {
    const i = this.length;
    if (i === this.time.length) this.grow(i * 2);
    this.time[i] = time;
    this.scheduledTime[i] = NaN;
    this.targetUid[i] = targetUid;
    this.targetCpu[i] = targetCpu;
    this.wakerUid[i] = wakerUid;
    this.wakerCpu[i] = wakerCpu;
    this.wakerContext[i] = context;
    this.wakerContextValue[i] = contextValue;
    this.kind[i] = kind;
    this.spurious[i] = spurious ? 1 : 0;
    this.length = i + 1;
    return i;
  }

  private grow(n: number): void {
    this.time = grownColumn(this.time, n);
    this.scheduledTime = grownColumn(this.scheduledTime, n);
    this.targetUid = grownColumn(this.targetUid, n);
    this.targetCpu = grownColumn(this.targetCpu, n);
    this.wakerUid = grownColumn(this.wakerUid, n);
    this.wakerCpu = grownColumn(this.wakerCpu, n);
    this.wakerContext = grownColumn(this.wakerContext, n);
    this.wakerContextValue = grownColumn(this.wakerContextValue, n);
    this.kind = grownColumn(this.kind, n);
    this.spurious = grownColumn(this.spurious, n);
  }

  trim(): void {
    const n = this.length;
    this.time = this.time.slice(0, n);
    this.scheduledTime = this.scheduledTime.slice(0, n);
    this.targetUid = this.targetUid.slice(0, n);
    this.targetCpu = this.targetCpu.slice(0, n);
    this.wakerUid = this.wakerUid.slice(0, n);
    this.wakerCpu = this.wakerCpu.slice(0, n);
    this.wakerContext = this.wakerContext.slice(0, n);
    this.wakerContextValue = this.wakerContextValue.slice(0, n);
    this.kind = this.kind.slice(0, n);
    this.spurious = this.spurious.slice(0, n);
  }
}
