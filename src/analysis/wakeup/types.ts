/**
 * Wakeup chains: for each blocked interval of a wait-type system call that ended, who
 * woke the thread, from where, and — when a packet caused it — which one.
 */
import type { SkbHop } from '../correlate/types.js';
import type { BlockedInterval } from './blocked-intervals.js';

/** The packet (or other event) behind a wakeup. */
export interface WakeupCause {
  /** `packet` (a received frame processed in the waker's softirq), `packet-sent` (a frame the waking syscall sent), `irq`, `timer`, `thread`, `unknown`. */
  readonly kind: 'packet' | 'packet-sent' | 'irq' | 'timer' | 'thread' | 'unknown';
  /** The frame that caused it, when captured. */
  readonly frame: number | null;
  /** Every frame processed in the waking context before the wakeup (most recent last). */
  readonly frames: readonly number[];
  /** The kernel receive event of the causing packet (also without a capture). */
  readonly hop: SkbHop | null;
  /** One line, e.g. `frame #10 (ACK) processed by softirq NET_RX on CPU 1`. */
  readonly text: string;
}

export interface WakeupChain extends BlockedInterval {
  readonly cause: WakeupCause;
  /** Blocked duration (switch-out → switch-in, or → syscall exit when the switch-in is missing), ns. */
  readonly blockedNs: bigint | null;
  /** Wakeup → running latency (scheduling latency), ns. */
  readonly wakeToRunNs: bigint | null;
}
