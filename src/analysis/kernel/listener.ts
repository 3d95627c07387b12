/**
 * What the state model tells the analyses that ride on the same pass (statistics, file
 * descriptors and sockets). The model owns the automaton — which thread runs where, in
 * which system call, interrupted by what — and calls these hooks at the moments that
 * matter, so each analysis needs no automaton of its own and the trace is read once.
 *
 * Times are relative nanoseconds (see KernelModel.baseNs). All hooks are optional.
 */
import type { FieldMap } from '../../model/trace-event.js';
import type { ThreadRecord } from './thread-record.js';
import type { EventKind } from './vocabulary.js';

/** Where a socket/network event happened, as the model sees it. */
export interface EventSite {
  readonly time: number;
  readonly cpu: number;
  /** The task current on the CPU (also when an interrupt runs over it), or null (idle/unknown). */
  readonly thread: ThreadRecord | null;
  /** True when the event fired in a hard IRQ or softirq, not on behalf of `thread`. */
  readonly inInterrupt: boolean;
}

export interface KernelListener {
  /**
   * A system call returned. `countable` is false when its entry was not seen in full
   * (inherited through fork, begun before the trace, or names disagree after lost events);
   * `entryArgs` is then possibly null. `nameId` indexes the model's name table.
   */
  syscallExit?(thread: ThreadRecord, nameId: number, entryTime: number, exitTime: number, ret: number, countable: boolean, entryArgs: FieldMap | null, exitArgs: FieldMap, cpu: number): void;
  /** A hard IRQ handler ran on `cpu` from `entry` to `exit`. */
  hardIrq?(irq: number, cpu: number, entry: number, exit: number): void;
  /** A softirq ran; `raise` is the (first) raise it serviced, or -1 when not seen. */
  softIrq?(vec: number, cpu: number, entry: number, exit: number, raise: number): void;
  /**
   * A woken thread got a CPU: lttng-analyses' scheduling latency (first wakeup since it
   * last ran → sched_switch in). `wakerUid` is the thread current on the waking CPU, or -1.
   */
  schedLatency?(wakee: ThreadRecord, wakerUid: number, wakeupTime: number, switchTime: number, cpu: number): void;
  /** `child` was forked by `parent`; `sharesFiles` when it is a thread of the same process. */
  fork?(parent: ThreadRecord, child: ThreadRecord, time: number, sharesFiles: boolean): void;
  /** `thread` exec()'d. */
  exec?(thread: ThreadRecord, time: number): void;
  /** `thread` exited (sched_process_exit). */
  threadExit?(thread: ThreadRecord, time: number): void;
  /** A state-dump or socket/network event the model does not interpret itself. */
  event?(kind: EventKind, payload: FieldMap, site: EventSite): void;
  /** The pass is over at `time`. */
  end?(time: number): void;
}
