/**
 * TCP analysis ("expert") flags, one bit each, named as tshark's `tcp.analysis.*` fields.
 * A fast or spurious retransmission is also a retransmission (tshark sets both fields);
 * `analysisNames` applies that rule.
 */

export const TcpExpert = {
  RETRANSMISSION: 1 << 0,
  FAST_RETRANSMISSION: 1 << 1,
  SPURIOUS_RETRANSMISSION: 1 << 2,
  DUPLICATE_ACK: 1 << 3,
  ZERO_WINDOW: 1 << 4,
  ZERO_WINDOW_PROBE: 1 << 5,
  ZERO_WINDOW_PROBE_ACK: 1 << 6,
  WINDOW_FULL: 1 << 7,
  WINDOW_UPDATE: 1 << 8,
  OUT_OF_ORDER: 1 << 9,
  LOST_SEGMENT: 1 << 10,
  ACK_LOST_SEGMENT: 1 << 11,
  KEEP_ALIVE: 1 << 12,
  KEEP_ALIVE_ACK: 1 << 13,
  REUSED_PORTS: 1 << 14,
} as const;

/** `[bit, tshark field suffix]`, in the alphabetical order pcap-oracle sorts names in. */
export const EXPERT_FIELDS: readonly (readonly [number, string])[] = (
  [
    [TcpExpert.RETRANSMISSION, 'retransmission'],
    [TcpExpert.FAST_RETRANSMISSION, 'fast_retransmission'],
    [TcpExpert.SPURIOUS_RETRANSMISSION, 'spurious_retransmission'],
    [TcpExpert.DUPLICATE_ACK, 'duplicate_ack'],
    [TcpExpert.ZERO_WINDOW, 'zero_window'],
    [TcpExpert.ZERO_WINDOW_PROBE, 'zero_window_probe'],
    [TcpExpert.ZERO_WINDOW_PROBE_ACK, 'zero_window_probe_ack'],
    [TcpExpert.WINDOW_FULL, 'window_full'],
    [TcpExpert.WINDOW_UPDATE, 'window_update'],
    [TcpExpert.OUT_OF_ORDER, 'out_of_order'],
    [TcpExpert.LOST_SEGMENT, 'lost_segment'],
    [TcpExpert.ACK_LOST_SEGMENT, 'ack_lost_segment'],
    [TcpExpert.KEEP_ALIVE, 'keep_alive'],
    [TcpExpert.KEEP_ALIVE_ACK, 'keep_alive_ack'],
    [TcpExpert.REUSED_PORTS, 'reused_ports'],
  ] as const
)
  .slice()
  .sort((a, b) => (a[1] < b[1] ? -1 : 1));

const ANY_RETRANSMISSION = TcpExpert.RETRANSMISSION | TcpExpert.FAST_RETRANSMISSION | TcpExpert.SPURIOUS_RETRANSMISSION;

/** The flags as tshark reports them: fast/spurious retransmissions also count as retransmissions. */
export function effectiveExpertFlags(flags: number): number {
  return flags & ANY_RETRANSMISSION ? flags | TcpExpert.RETRANSMISSION : flags;
}

/** Sorted `tcp.analysis.*` suffixes set in `flags` (e.g. `['duplicate_ack']`). */
export function analysisNames(flags: number): string[] {
  const f = effectiveExpertFlags(flags);
  const out: string[] = [];
  for (const [bit, name] of EXPERT_FIELDS) if (f & bit) out.push(name);
  return out;
}

/**
 * Info-column prefixes in tshark's order (each later one is prepended, so the list is
 * reversed), e.g. `[TCP Retransmission] `.
 */
export function expertInfoPrefix(flags: number, dupAckFrame: number, dupAckNumber: number): string {
  const parts: string[] = [];
  if (flags & TcpExpert.REUSED_PORTS) parts.push('[TCP Port numbers reused] ');
  if (flags & TcpExpert.RETRANSMISSION) parts.push('[TCP Retransmission] ');
  if (flags & TcpExpert.FAST_RETRANSMISSION) parts.push('[TCP Fast Retransmission] ');
  if (flags & TcpExpert.SPURIOUS_RETRANSMISSION) parts.push('[TCP Spurious Retransmission] ');
  if (flags & TcpExpert.OUT_OF_ORDER) parts.push('[TCP Out-Of-Order] ');
  if (flags & TcpExpert.LOST_SEGMENT) parts.push('[TCP Previous segment not captured] ');
  if (flags & TcpExpert.ACK_LOST_SEGMENT) parts.push('[TCP ACKed unseen segment] ');
  if (flags & TcpExpert.WINDOW_UPDATE) parts.push('[TCP Window Update] ');
  if (flags & TcpExpert.WINDOW_FULL) parts.push('[TCP Window Full] ');
  if (flags & TcpExpert.KEEP_ALIVE) parts.push('[TCP Keep-Alive] ');
  if (flags & TcpExpert.KEEP_ALIVE_ACK) parts.push('[TCP Keep-Alive ACK] ');
  if (flags & TcpExpert.DUPLICATE_ACK && dupAckNumber) parts.push(`[TCP Dup ACK ${dupAckFrame}#${dupAckNumber}] `);
  if (flags & TcpExpert.ZERO_WINDOW_PROBE) parts.push('[TCP ZeroWindowProbe] ');
  if (flags & TcpExpert.ZERO_WINDOW) parts.push('[TCP ZeroWindow] ');
  if (flags & TcpExpert.ZERO_WINDOW_PROBE_ACK) parts.push('[TCP ZeroWindowProbeAck] ');
  return parts.reverse().join('');
}
