/**
 * Kernel event names across LTTng generations and tracewire's ftrace conversion, mapped
 * to one vocabulary. LTTng renamed events over the years (`softirq_entry` →
 * `irq_softirq_entry`, `netif_receive_skb` → `net_if_receive_skb`, `sys_accept` +
 * `exit_syscall` → `syscall_entry_accept` + `syscall_exit_accept`); every analysis here
 * accepts all of them.
 */

/** Roles of the events the correlation, wakeup and story analyses read. */
export type EventRole =
  | 'sched_switch'
  | 'sched_waking'
  | 'sched_wakeup'
  | 'sched_wakeup_new'
  | 'sched_process_fork'
  | 'sched_process_exec'
  | 'sched_process_exit'
  | 'task_rename'
  | 'statedump_process'
  | 'statedump_fd'
  | 'statedump_inet_sock'
  | 'irq_entry'
  | 'irq_exit'
  | 'softirq_raise'
  | 'softirq_entry'
  | 'softirq_exit'
  | 'net_queue'
  | 'net_xmit'
  | 'net_rx'
  | 'net_gro'
  | 'net_receive'
  | 'skb_consume'
  | 'skb_free'
  | 'skb_copy'
  | 'sock_set_state'
  | 'sock_send_length'
  | 'sock_recv_length'
  | 'tcp_probe'
  | 'tcp_retransmit'
  | 'tcp_retransmit_synack'
  | 'tcp_send_reset'
  | 'tcp_receive_reset'
  | 'tcp_destroy_sock'
  | 'napi_poll';

const ROLES: ReadonlyArray<readonly [EventRole, readonly string[]]> = [
  ['sched_switch', ['sched_switch']],
  ['sched_waking', ['sched_waking']],
  ['sched_wakeup', ['sched_wakeup']],
  ['sched_wakeup_new', ['sched_wakeup_new']],
  ['sched_process_fork', ['sched_process_fork']],
  ['sched_process_exec', ['sched_process_exec']],
  ['sched_process_exit', ['sched_process_exit']],
  ['task_rename', ['task_rename']],
  ['statedump_process', ['lttng_statedump_process_state']],
  ['statedump_fd', ['lttng_statedump_file_descriptor']],
  ['statedump_inet_sock', ['tracewire_statedump_inet_sock']],
  ['irq_entry', ['irq_handler_entry']],
  ['irq_exit', ['irq_handler_exit']],
  ['softirq_raise', ['irq_softirq_raise', 'softirq_raise']],
  ['softirq_entry', ['irq_softirq_entry', 'softirq_entry']],
  ['softirq_exit', ['irq_softirq_exit', 'softirq_exit']],
  ['net_queue', ['net_dev_queue']],
  ['net_xmit', ['net_dev_xmit']],
  ['net_rx', ['net_if_rx', 'netif_rx']],
  ['net_gro', ['net_napi_gro_receive_entry', 'napi_gro_receive_entry', 'net_napi_gro_frags_entry', 'napi_gro_frags_entry']],
  ['net_receive', ['net_if_receive_skb', 'netif_receive_skb']],
  ['skb_consume', ['skb_consume', 'consume_skb']],
  ['skb_free', ['skb_kfree', 'kfree_skb']],
  ['skb_copy', ['skb_copy_datagram_iovec']],
  ['sock_set_state', ['inet_sock_set_state']],
  ['sock_send_length', ['sock_send_length']],
  ['sock_recv_length', ['sock_recv_length']],
  ['tcp_probe', ['tcp_probe']],
  ['tcp_retransmit', ['tcp_retransmit_skb']],
  ['tcp_retransmit_synack', ['tcp_retransmit_synack']],
  ['tcp_send_reset', ['tcp_send_reset']],
  ['tcp_receive_reset', ['tcp_receive_reset']],
  ['tcp_destroy_sock', ['tcp_destroy_sock']],
  ['napi_poll', ['napi_poll']],
];

const BY_NAME = new Map<string, EventRole>();
for (const [role, names] of ROLES) for (const n of names) BY_NAME.set(n, role);

/** The role of an event name, or undefined for events the analyses ignore. */
export function eventRole(name: string): EventRole | undefined {
  return BY_NAME.get(name);
}

/** Every trace name of a role (for "is it enabled?" checks). */
export function namesOfRole(role: EventRole): readonly string[] {
  return ROLES.find(([r]) => r === role)?.[1] ?? [];
}

/**
 * A system call event: `{ name, entry }` for `syscall_entry_X`/`syscall_exit_X` (LTTng ≥
 * 2.6, tracewire), `sys_X` (older LTTng, entry) and `exit_syscall` (older LTTng, exit:
 * name '' — the caller knows which syscall is pending), else null.
 */
export function syscallOf(name: string): { name: string; entry: boolean } | null {
  if (name.startsWith('syscall_entry_')) return { name: name.slice(14), entry: true };
  if (name.startsWith('syscall_exit_')) return { name: name.slice(13), entry: false };
  if (name === 'exit_syscall') return { name: '', entry: false };
  if (name.startsWith('sys_') && name !== 'sys_unknown') return { name: name.slice(4), entry: true };
  return null;
}

/** Linux softirq vectors (include/linux/interrupt.h). */
export const SOFTIRQ_NAMES: readonly string[] = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU'];
export const SOFTIRQ_NET_TX = 2;
export const SOFTIRQ_NET_RX = 3;

/** `NET_RX` for vector 3, etc. */
export function softirqName(vec: number): string {
  return SOFTIRQ_NAMES[vec] ?? `vec ${vec}`;
}

/** TCP states as numbered by the kernel (include/net/tcp_states.h). */
export const TCP_STATES: readonly string[] = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'BOUND_INACTIVE'];
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_CLOSE = 7;
export const TCP_LISTEN = 10;

/** `ESTABLISHED` for 1, etc. (the kernel's numbering). */
export function tcpStateName(state: number): string {
  return TCP_STATES[state] || `state ${state}`;
}
