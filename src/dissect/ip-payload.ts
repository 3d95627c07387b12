/**
 * Hands an IP payload to its upper-layer dissector by protocol number.
 */
import type { Dissector } from './dissector.js';
import { decodeIcmp, decodeIcmpv6 } from './icmp.js';
import { Proto } from './summary.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';

export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, GRE: 47, ESP: 50, ICMPV6: 58, SCTP: 132, UDPLITE: 136 } as const;

/**
 * `fragmented`: the payload is the first fragment of a datagram that could not be
 * reassembled, so its length is unknown (TCP then has no segment length).
 */
export function decodeIpPayload(d: Dissector, proto: number, b: Uint8Array, off: number, end: number, rep: number, inError: boolean, fragmented: boolean): void {
  switch (proto) {
    case IpProto.TCP:
      decodeTcp(d, b, off, end, rep, inError, fragmented);
      return;
    case IpProto.UDP:
      decodeUdp(d, b, off, end, rep, inError);
      return;
    case IpProto.UDPLITE:
      // Same header as UDP, but its own protocol (tshark does not count it as udp).
      d.s.pushLayer(Proto.UDPLITE, b, off, 8, end, inError);
      return;
    case IpProto.ICMP:
      decodeIcmp(d, b, off, end, rep, inError);
      return;
    case IpProto.ICMPV6:
      decodeIcmpv6(d, b, off, end, rep, inError);
      return;
    case IpProto.SCTP:
      d.s.pushLayer(Proto.SCTP, b, off, 12, end, inError);
      return;
    case IpProto.GRE:
      d.s.pushLayer(Proto.GRE, b, off, 4, end, inError);
      return;
    case IpProto.ESP:
      d.s.pushLayer(Proto.ESP, b, off, 8, end, inError);
      return;
    default:
      if (end > off) d.s.pushLayer(Proto.DATA, b, off, end - off, end, inError);
  }
}
