/**
 * Where packet observations come from, and the key that identifies a TCP segment in
 * each source:
 *
 * - LTTng `inet_sock_local_out` / `inet_sock_local_in` (the lttng-modules "addons"
 *   events of the Trace Compass synctraces): payload `seq`, `ack_seq`, `flags`, no
 *   addresses → key class `inet`, key `seq:ack:flags` (Trace Compass's TcpEventKey).
 * - lttng-modules ≥ 2.9 `net_dev_queue` / `net_if_receive_skb` with the copied network
 *   and transport headers (`network_header` → `transport_header`) → key class `ip`.
 * - Packet captures (a tracewire bundle's capture.pcapng): the dissected IPv4/IPv6 + TCP
 *   header → key class `ip`, so a capture on one host matches header-carrying kernel
 *   events on another.
 *
 * The `ip` key is `src-address.port>dst-address.port seq ack flags` with the 9 TCP flag
 * bits (NS…FIN): the same segment seen on both ends has the same key, while different
 * connections reusing sequence numbers do not collide.
 */
import type { FieldMap, FieldValue, TraceEvent } from '../../model/trace-event.js';
import { fieldNumber } from '../../model/trace-event.js';
import type { PacketDirection } from './packet-matcher.js';

/** The part of an observation a source determines (host and time are added by the caller). */
export interface PacketIdentity {
  readonly direction: PacketDirection;
  readonly keyClass: 'inet' | 'ip';
  readonly key: string;
}

/** Event names that may carry a matchable packet (cheap pre-filter on the name). */
export const PACKET_EVENT_NAMES: ReadonlySet<string> = new Set(['inet_sock_local_out', 'inet_sock_local_in', 'net_dev_queue', 'net_if_receive_skb', 'netif_receive_skb']);

const TCP_FLAG_MASK = 0x1ff;

function isInt(v: FieldValue | undefined): boolean {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Formats an address array: 4 bytes → dotted IPv4, 8 16-bit words (or 16 bytes) → IPv6 hex groups. */
function addressText(v: FieldValue | undefined): string | null {
  if (!Array.isArray(v)) return null;
  const n = v.map((x) => fieldNumber(x));
  if (n.some((x) => !Number.isInteger(x))) return null;
  if (n.length === 4) return n.join('.');
  if (n.length === 8) return n.map((w) => w.toString(16)).join(':');
  if (n.length === 16) {
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(((n[i]! << 8) | n[i + 1]!).toString(16));
    return words.join(':');
  }
  return null;
}

/** The `ip` key from decoded header fields. */
export function ipSegmentKey(src: string, srcPort: number, dst: string, dstPort: number, seq: number, ack: number, flags: number): string {
  return `${src}.${srcPort}>${dst}.${dstPort} ${seq >>> 0} ${ack >>> 0} ${flags & TCP_FLAG_MASK}`;
}

/**
 * The packet identity of a kernel event, or null when the event is not a TCP packet
 * event this module can key (other events, UDP/ICMP headers, missing fields).
 */
export function eventPacketIdentity(ev: TraceEvent): PacketIdentity | null {
  const name = ev.name;
  if (name === 'inet_sock_local_out' || name === 'inet_sock_local_in') {
    const p = ev.payload;
    if (!isInt(p.seq) || !isInt(p.ack_seq) || !isInt(p.flags)) return null;
    return { direction: name === 'inet_sock_local_out' ? 'send' : 'receive', keyClass: 'inet', key: `${p.seq}:${p.ack_seq}:${p.flags}` };
  }
  if (name === 'net_dev_queue' || name === 'net_if_receive_skb' || name === 'netif_receive_skb') {
    const key = headerKey(ev.payload);
    if (key === null) return null;
    return { direction: name === 'net_dev_queue' ? 'send' : 'receive', keyClass: 'ip', key };
  }
  return null;
}

/**
 * Key of the lttng-modules ≥ 2.9 header fields: `network_header` is the selected variant
 * option (an ipv4 or ipv6 structure), its `transport_header` the tcp structure.
 */
function headerKey(p: FieldMap): string | null {
  const net = p.network_header;
  if (net === null || typeof net !== 'object' || Array.isArray(net)) return null;
  const tcp = net.transport_header;
  if (tcp === null || typeof tcp !== 'object' || Array.isArray(tcp)) return null;
  if (!isInt(tcp.seq) || !isInt(tcp.ack_seq) || !isInt(tcp.flags) || !isInt(tcp.source_port) || !isInt(tcp.dest_port)) return null;
  // The transport variant's tag says TCP only through its field set (seq/ack_seq exist only for TCP).
  const src = addressText(net.saddr);
  const dst = addressText(net.daddr);
  if (src === null || dst === null) return null;
  return ipSegmentKey(src, fieldNumber(tcp.source_port), dst, fieldNumber(tcp.dest_port), fieldNumber(tcp.seq), fieldNumber(tcp.ack_seq), fieldNumber(tcp.flags));
}
