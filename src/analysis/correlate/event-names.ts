/**
 * The correlation's names for kernel things, taken from the kernel analysis so that both
 * speak one vocabulary: event classes of every LTTng generation map to one EventKind
 * (src/analysis/kernel/vocabulary.ts), softirq vectors and TCP states are named where
 * the model and the fd tables name them.
 */
import { TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT, tcpStateName as fdTcpStateName } from '../fds/tcp-states.js';
import { softirqName as modelSoftirqName } from '../kernel/states.js';
import { classifyEvent, EventKind } from '../kernel/vocabulary.js';

export { EventKind } from '../kernel/vocabulary.js';
export { TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT };

export const SOFTIRQ_NET_TX = 2;
export const SOFTIRQ_NET_RX = 3;

/** `NET_RX` for vector 3, etc. */
export function softirqName(vec: number): string {
  return modelSoftirqName(vec);
}

/** `ESTABLISHED` for 1, etc. (the kernel's numbering). */
export function tcpStateName(state: number): string {
  return fdTcpStateName(state);
}

/** TCP state names by number (include/net/tcp_states.h); index 0 is unused. */
export const TCP_STATES: readonly string[] = Array.from({ length: 14 }, (_, i) => (i === 0 ? '' : fdTcpStateName(i)));

/** The kinds of events a trace declares (what was enabled), from its event class names. */
export function tracedKinds(names: Iterable<string>): Set<EventKind> {
  const out = new Set<EventKind>();
  for (const n of names) {
    const k = classifyEvent(n).kind;
    if (k !== EventKind.IGNORED) out.add(k);
  }
  return out;
}
