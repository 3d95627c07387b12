/**
 * The kernel's skb drop reasons, by name.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';

/** SKB_CONSUMED and SKB_DROP_REASON_NOT_SPECIFIED: frees that are not a diagnosed drop. */
const NOT_A_DROP = new Set(['1', '2', 'SKB_CONSUMED', 'NOT_SPECIFIED', 'CONSUMED']);

let reasonNames: Map<string, string> | null | undefined;

/**
 * The running kernel's drop-reason names, from tracefs' kfree_skb format (the numbering
 * changes between kernel versions, so it is only used for traces of this kernel).
 */
function runningKernelReasons(): Map<string, string> | null {
  if (reasonNames !== undefined) return reasonNames;
  reasonNames = null;
  for (const root of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) {
    try {
      const fmt = readFileSync(`${root}/events/skb/kfree_skb/format`, 'utf8');
      const m = new Map<string, string>();
      for (const x of fmt.matchAll(/\{\s*(\d+),\s*"([A-Z0-9_]+)"\s*\}/g)) m.set(x[1]!, x[2]!);
      if (m.size) reasonNames = m;
      break;
    } catch {
      /* not readable here */
    }
  }
  return reasonNames;
}

/**
 * A kfree_skb reason as a name (`NETFILTER_DROP`, or `reason 12` when the numbering is
 * unknown), or null when the free is no drop (consumed, not specified, absent).
 * `traceRelease` is the kernel the trace comes from (bundle host.kernel_release): numbers
 * are named only for traces of the running kernel.
 */
export function dropReasonName(reason: string | undefined, traceRelease: string | null): string | null {
  if (reason === undefined || NOT_A_DROP.has(reason)) return null;
  if (!/^\d+$/.test(reason)) return reason;
  const names = traceRelease !== null && traceRelease === release() ? runningKernelReasons() : null;
  const name = names?.get(reason);
  return name ? name : `reason ${reason}`;
}
