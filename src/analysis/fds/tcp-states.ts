/**
 * TCP states by the kernel's numbers (include/net/tcp_states.h), which `inet_sock_set_state`,
 * `tcp_*` events and /proc/net/tcp's `st` column use.
 */
const NAMES: readonly string[] = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'BOUND_INACTIVE'];

export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_CLOSE = 7;
export const TCP_LISTEN = 10;

export function tcpStateName(state: number): string {
  return NAMES[state] || `STATE_${state}`;
}

/** The state number of a name (`ESTABLISHED` → 1), or -1. */
export function tcpStateNumber(name: string): number {
  return NAMES.indexOf(name);
}

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** `tcp`, `udp`, … for output. */
export function protocolName(protocol: number, type: number): string {
  if (protocol === IPPROTO_TCP) return 'tcp';
  if (protocol === IPPROTO_UDP) return 'udp';
  if (protocol === 1) return 'icmp';
  if (protocol === 58) return 'icmpv6';
  if (protocol === 255 || type === 3) return 'raw';
  if (type === 1) return 'stream';
  if (type === 2) return 'dgram';
  if (type === 5) return 'seqpacket';
  return protocol > 0 ? `proto ${protocol}` : 'unknown';
}
