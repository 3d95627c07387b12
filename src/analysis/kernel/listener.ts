/**
 * What the state model tells the analyses that ride on the same pass (statistics, file
 * descriptors and sockets). The model owns the automaton — which thread runs where, in
 * which system call, interrupted by what — and calls these hooks at the moments that
 * matter, so each analysis needs no automaton of its own and the trace is read once.
 *
 * Times are relative nanoseconds (see KernelModel.baseNs). All hooks are optional.
 */
import type { FieldMap, TraceEvent } from '../../model/trace-event.js';
import type { FdTracker } from '../fds/fd-tracker.js';
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

/**
 * A CPU as the model sees it at one event (read-only, valid during the call): the task it
 * runs and the interrupt frames open over it.
 */
export interface CpuView {
  readonly cpu: number;
  /** tid current on the CPU: -1 unknown, 0 idle (swapper). */
  readonly tid: number;
  readonly thread: ThreadRecord | null;
  /** Open interrupt frames, innermost last: RowState.IRQ or RowState.SOFTIRQ. */
  readonly stackKind: readonly number[];
  /** IRQ line or softirq vector of each frame. */
  readonly stackValue: readonly number[];
  /** Relative entry time of each frame (with the CPU, it names the run). */
  readonly stackEntry: readonly number[];
  /** Bumped whenever what the CPU runs changes (switch, interrupt entry or exit, lost events). */
  readonly generation: number;
}

/** Where an event ran, for `KernelListener.onEvent` (one object, refilled per event). */
export interface EventTap {
  /** Relative time of the event. */
  readonly time: number;
  readonly cpu: CpuView;
  /** The task the event ran in the time of: its `tid` context, else the CPU's current task; -1 unknown. */
  readonly tid: number;
  /** That task's live record, or null (idle, unknown). */
  readonly thread: ThreadRecord | null;
}

/** What a listener may read of the model while the pass runs. */
export interface ModelView {
  /** The name table (system call names by id), growing. */
  readonly names: readonly string[];
  /** Absolute ns of a relative time. */
  toNs(rel: number): bigint;
  /** The live record of `tid`, if any. */
  threadOf(tid: number): ThreadRecord | undefined;
}

export interface KernelListener {
  /** Called once, when the builder is made: what the listener may read during the pass. */
  attach?(model: ModelView): void;
  /**
   * Called once, before the pass, when fd tables are tracked on it (analyzeKernel): an
   * analysis may read them, and observe which socket each socket event resolved to.
   */
  attachFds?(fds: FdTracker): void;
  /**
   * Every event the model classifies (see vocabulary.ts), with where it ran. For events
   * that open a context (system call entry, IRQ and softirq entry) the model has already
   * taken them into account, so `tap` includes the new frame; for every other event `tap`
   * still shows the context the event ran in (the model's own update follows).
   */
  onEvent?(ev: TraceEvent, kind: EventKind, tap: EventTap): void;
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
