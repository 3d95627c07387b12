/**
 * Which ftrace events a recording enables: the documented default set (what the
 * analyses of a TCP connection need — system calls, scheduling, interrupts, the network
 * device and socket-buffer path, socket and TCP state), filtered to the events this kernel
 * has, plus or minus the user's `--events` list.
 *
 * `--events` is a comma-separated list. `+ITEM` or `ITEM` adds, `-ITEM` removes, `none`
 * empties the set first. An ITEM is `system:event`, `system:*`, a bare ftrace event name,
 * or an LTTng name (`syscall_entry_accept4`, `net_if_receive_skb`, `skb_kfree`).
 */
import { UsageError } from '../base/errors.js';
import { ftraceNameForLttng } from './lttng-mapping.js';

/** One enabled event. */
export interface EventId {
  readonly system: string;
  readonly name: string;
}

/**
 * The default event set, `system:event` (`*` = every event of the system). Events the
 * running kernel lacks are skipped and listed in the bundle as unavailable.
 */
export const DEFAULT_EVENTS: readonly string[] = [
  // System calls: every sys_enter_* / sys_exit_*, as LTTng's `--syscall -a`.
  'syscalls:*',
  // Scheduling: who runs where, wake-ups, process life.
  'sched:sched_switch',
  'sched:sched_waking',
  'sched:sched_wakeup',
  'sched:sched_wakeup_new',
  'sched:sched_migrate_task',
  'sched:sched_process_fork',
  'sched:sched_process_exec',
  'sched:sched_process_exit',
  'sched:sched_process_free',
  // Task creation (CLONE_THREAD tells threads from processes) and renames.
  'task:task_newtask',
  'task:task_rename',
  // Hard and soft interrupts.
  'irq:irq_handler_entry',
  'irq:irq_handler_exit',
  'irq:softirq_raise',
  'irq:softirq_entry',
  'irq:softirq_exit',
  // The device side of the network stack.
  'net:net_dev_queue',
  'net:net_dev_xmit',
  'net:netif_receive_skb',
  'net:netif_rx',
  'net:napi_gro_receive_entry',
  'napi:napi_poll',
  // Socket buffers.
  'skb:consume_skb',
  'skb:kfree_skb',
  'skb:skb_copy_datagram_iovec',
  // Sockets and TCP.
  'sock:inet_sock_set_state',
  'sock:sock_send_length',
  'sock:sock_recv_length',
  'sock:sock_rcvqueue_full',
  'sock:sock_exceed_buf_limit',
  'tcp:tcp_probe',
  'tcp:tcp_retransmit_skb',
  'tcp:tcp_retransmit_synack',
  'tcp:tcp_send_reset',
  'tcp:tcp_receive_reset',
  'tcp:tcp_destroy_sock',
  'tcp:tcp_bad_csum',
  'udp:udp_fail_queue_rcv_skb',
];

export interface EventSelection {
  /** Events to enable, in a stable order (defaults first, then additions). */
  readonly events: EventId[];
  /** Default events this kernel does not have. */
  readonly unavailable: string[];
}

function key(e: EventId): string {
  return `${e.system}:${e.name}`;
}

/**
 * Resolves the default set and the `--events` list against the kernel's `available`
 * events. Throws UsageError for an item that names no existing event.
 */
export function selectEvents(available: ReadonlyMap<string, ReadonlySet<string>>, spec?: string): EventSelection {
  const chosen = new Map<string, EventId>();
  const unavailable: string[] = [];
  const expand = (item: string, strict: boolean): EventId[] => {
    const found = resolveItem(available, item);
    if (found.length === 0) {
      if (strict) throw new UsageError(`record: --events: no event '${item}' in this kernel (see /sys/kernel/tracing/available_events)`);
      unavailable.push(item);
    }
    return found;
  };
  for (const item of DEFAULT_EVENTS) for (const e of expand(item, false)) chosen.set(key(e), e);
  if (spec) {
    for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (raw === 'none') {
        chosen.clear();
        continue;
      }
      const remove = raw.startsWith('-');
      const item = raw.replace(/^[+-]/, '');
      if (remove) {
        for (const e of expand(item, true)) chosen.delete(key(e));
      } else {
        for (const e of expand(item, true)) chosen.set(key(e), e);
      }
    }
  }
  return { events: [...chosen.values()], unavailable };
}

/** The events one `--events` item names (possibly none). */
function resolveItem(available: ReadonlyMap<string, ReadonlySet<string>>, item: string): EventId[] {
  const colon = item.indexOf(':');
  if (colon > 0) {
    const system = item.slice(0, colon);
    const name = item.slice(colon + 1);
    const events = available.get(system);
    if (!events) return [];
    if (name === '*') return [...events].sort().map((n) => ({ system, name: n }));
    if (name.includes('*')) {
      const re = new RegExp(`^${name.split('*').map(escapeRegExp).join('.*')}$`);
      return [...events].filter((n) => re.test(n)).sort().map((n) => ({ system, name: n }));
    }
    return events.has(name) ? [{ system, name }] : [];
  }
  // A bare name: an ftrace event in any system, or an LTTng name mapped back to ftrace.
  const ftraceName = ftraceNameForLttng(item);
  const out: EventId[] = [];
  for (const [system, events] of available) {
    if (events.has(item)) out.push({ system, name: item });
    else if (ftraceName && ftraceName.system === system && events.has(ftraceName.name)) out.push(ftraceName);
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
