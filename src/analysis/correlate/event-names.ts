/**
 * The correlation's names for kernel things, taken from the kernel analysis so that both
 * speak one vocabulary: event classes of every LTTng generation map to one EventKind
 * (src/analysis/kernel/vocabulary.ts), softirq vectors and TCP states are named where
 * the model and the fd tables name them.
 */
import { classifyEvent, EventKind } from '../kernel/vocabulary.js';

export { EventKind } from '../kernel/vocabulary.js';
export { TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT, tcpStateName } from '../fds/tcp-states.js';
export { softirqName } from '../kernel/states.js';

export const SOFTIRQ_NET_RX = 3;

/** The kinds of events a trace declares (what was enabled), from its event class names. */
export function tracedKinds(names: Iterable<string>): Set<EventKind> {
  const out = new Set<EventKind>();
  for (const n of names) {
    const k = classifyEvent(n).kind;
    if (k !== EventKind.IGNORED) out.add(k);
  }
  return out;
}
