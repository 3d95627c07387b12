/**
 * The kernel event vocabulary across LTTng's naming generations, reduced to one small
 * integer per event class so the model's hot loop switches on numbers, not strings.
 *
 * Generations handled (lttng-modules 2.0 → 2.13+, and tracewire recordings, which use
 * the 2.13 names):
 * - system calls: `sys_NAME` + `exit_syscall` (before 2.6; the exit does not say which
 *   call returns) and `syscall_entry_NAME` / `syscall_exit_NAME` (2.6+), with their
 *   `compat_` forms for 32-bit tasks; `syscall_entry_unknown` stays `unknown`;
 * - softirqs: `softirq_raise|entry|exit` and `irq_softirq_raise|entry|exit`;
 * - network: `netif_receive_skb` and `net_if_receive_skb`, `netif_rx` and `net_if_rx`,
 *   `net_dev_queue`, `net_dev_xmit`, `napi_gro_receive_entry` (`net_napi_…` in LTTng);
 * - socket buffers: `consume_skb` / `skb_consume`, `kfree_skb` / `skb_kfree`,
 *   `skb_copy_datagram_iovec`;
 * - wakeups: `sched_wakeup`, `sched_wakeup_new` and (2.8+) `sched_waking`;
 * - the state dump (`lttng_statedump_*`) and tracewire's own `tracewire_statedump_*`.
 */

/** What the model does with an event class. */
export const enum EventKind {
  IGNORED = 0,
  SCHED_SWITCH,
  SCHED_WAKEUP,
  SCHED_WAKING,
  SCHED_WAKEUP_NEW,
  SCHED_PROCESS_FORK,
  SCHED_PROCESS_EXEC,
  SCHED_PROCESS_EXIT,
  SCHED_PROCESS_FREE,
  SCHED_MIGRATE_TASK,
  SCHED_PI_SETPRIO,
  TASK_RENAME,
  SYSCALL_ENTRY,
  SYSCALL_EXIT,
  IRQ_ENTRY,
  IRQ_EXIT,
  SOFTIRQ_RAISE,
  SOFTIRQ_ENTRY,
  SOFTIRQ_EXIT,
  STATEDUMP_START,
  STATEDUMP_END,
  STATEDUMP_PROCESS_STATE,
  STATEDUMP_FILE_DESCRIPTOR,
  STATEDUMP_INTERRUPT,
  STATEDUMP_NET_NS,
  STATEDUMP_NETNS_NAME,
  STATEDUMP_INET_SOCK,
  STATEDUMP_UNIX_SOCK,
  INET_SOCK_SET_STATE,
  SOCK_SEND_LENGTH,
  SOCK_RECV_LENGTH,
  TCP_PROBE,
  TCP_RETRANSMIT,
  TCP_SEND_RESET,
  TCP_RECEIVE_RESET,
  TCP_DESTROY_SOCK,
  NET_RECEIVE,
  NET_RX,
  NET_DEV_QUEUE,
  NET_DEV_XMIT,
  // Socket-buffer and TCP events the model leaves to its listeners (packet ↔ kernel
  // correlation): kept after the network kinds, whose order NetEventLog relies on.
  NET_GRO_RECEIVE,
  SKB_CONSUME,
  SKB_FREE,
  SKB_COPY_DATAGRAM,
  TCP_RETRANSMIT_SYNACK,
}

/** The classification of one event class name. */
export interface EventClassification {
  readonly kind: EventKind;
  /** For SYSCALL_ENTRY/EXIT: the system call name without prefix (`openat`); '' for `exit_syscall`. */
  readonly syscall: string;
  /** True for `compat_` (32-bit) system calls. */
  readonly compat: boolean;
}

const FIXED: Readonly<Record<string, EventKind>> = {
  sched_switch: EventKind.SCHED_SWITCH,
  sched_wakeup: EventKind.SCHED_WAKEUP,
  sched_waking: EventKind.SCHED_WAKING,
  sched_wakeup_new: EventKind.SCHED_WAKEUP_NEW,
  sched_process_fork: EventKind.SCHED_PROCESS_FORK,
  sched_process_exec: EventKind.SCHED_PROCESS_EXEC,
  sched_process_exit: EventKind.SCHED_PROCESS_EXIT,
  sched_process_free: EventKind.SCHED_PROCESS_FREE,
  sched_migrate_task: EventKind.SCHED_MIGRATE_TASK,
  sched_pi_setprio: EventKind.SCHED_PI_SETPRIO,
  task_rename: EventKind.TASK_RENAME,
  irq_handler_entry: EventKind.IRQ_ENTRY,
  irq_handler_exit: EventKind.IRQ_EXIT,
  softirq_raise: EventKind.SOFTIRQ_RAISE,
  softirq_entry: EventKind.SOFTIRQ_ENTRY,
  softirq_exit: EventKind.SOFTIRQ_EXIT,
  irq_softirq_raise: EventKind.SOFTIRQ_RAISE,
  irq_softirq_entry: EventKind.SOFTIRQ_ENTRY,
  irq_softirq_exit: EventKind.SOFTIRQ_EXIT,
  lttng_statedump_start: EventKind.STATEDUMP_START,
  lttng_statedump_end: EventKind.STATEDUMP_END,
  lttng_statedump_process_state: EventKind.STATEDUMP_PROCESS_STATE,
  lttng_statedump_file_descriptor: EventKind.STATEDUMP_FILE_DESCRIPTOR,
  lttng_statedump_interrupt: EventKind.STATEDUMP_INTERRUPT,
  lttng_statedump_process_net_ns: EventKind.STATEDUMP_NET_NS,
  tracewire_statedump_netns: EventKind.STATEDUMP_NETNS_NAME,
  tracewire_statedump_inet_sock: EventKind.STATEDUMP_INET_SOCK,
  tracewire_statedump_unix_sock: EventKind.STATEDUMP_UNIX_SOCK,
  inet_sock_set_state: EventKind.INET_SOCK_SET_STATE,
  sock_send_length: EventKind.SOCK_SEND_LENGTH,
  sock_recv_length: EventKind.SOCK_RECV_LENGTH,
  tcp_probe: EventKind.TCP_PROBE,
  tcp_retransmit_skb: EventKind.TCP_RETRANSMIT,
  tcp_send_reset: EventKind.TCP_SEND_RESET,
  tcp_receive_reset: EventKind.TCP_RECEIVE_RESET,
  tcp_destroy_sock: EventKind.TCP_DESTROY_SOCK,
  netif_receive_skb: EventKind.NET_RECEIVE,
  net_if_receive_skb: EventKind.NET_RECEIVE,
  netif_rx: EventKind.NET_RX,
  net_if_rx: EventKind.NET_RX,
  net_dev_queue: EventKind.NET_DEV_QUEUE,
  net_dev_xmit: EventKind.NET_DEV_XMIT,
  napi_gro_receive_entry: EventKind.NET_GRO_RECEIVE,
  net_napi_gro_receive_entry: EventKind.NET_GRO_RECEIVE,
  napi_gro_frags_entry: EventKind.NET_GRO_RECEIVE,
  net_napi_gro_frags_entry: EventKind.NET_GRO_RECEIVE,
  consume_skb: EventKind.SKB_CONSUME,
  skb_consume: EventKind.SKB_CONSUME,
  kfree_skb: EventKind.SKB_FREE,
  skb_kfree: EventKind.SKB_FREE,
  skb_copy_datagram_iovec: EventKind.SKB_COPY_DATAGRAM,
  tcp_retransmit_synack: EventKind.TCP_RETRANSMIT_SYNACK,
};

const PREFIXES: ReadonlyArray<readonly [string, EventKind, boolean]> = [
  ['syscall_entry_', EventKind.SYSCALL_ENTRY, false],
  ['syscall_exit_', EventKind.SYSCALL_EXIT, false],
  ['compat_syscall_entry_', EventKind.SYSCALL_ENTRY, true],
  ['compat_syscall_exit_', EventKind.SYSCALL_EXIT, true],
  ['compat_sys_', EventKind.SYSCALL_ENTRY, true],
  ['sys_', EventKind.SYSCALL_ENTRY, false],
];

/**
 * Classifies an event class name of any LTTng generation. Unknown names are IGNORED
 * (the model only reads what it understands; other analyses may read the rest).
 */
export function classifyEvent(name: string): EventClassification {
  const fixed = FIXED[name];
  if (fixed !== undefined) return { kind: fixed, syscall: '', compat: false };
  if (name === 'exit_syscall' || name === 'compat_exit_syscall') return { kind: EventKind.SYSCALL_EXIT, syscall: '', compat: name !== 'exit_syscall' };
  for (const [prefix, kind, compat] of PREFIXES) {
    if (name.startsWith(prefix) && name.length > prefix.length) return { kind, syscall: name.slice(prefix.length), compat };
  }
  return { kind: EventKind.IGNORED, syscall: '', compat: false };
}
