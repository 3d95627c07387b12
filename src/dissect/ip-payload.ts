/**
 * Hands an IP payload to its upper-layer dissector by protocol number.
 */
import { u16 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { decodeIcmp, decodeIcmpv6 } from './icmp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeEthernet, decodeEthertype } from './link.js';
import { Proto } from './summary.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';

export const IpProto = { ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, GRE: 47, ESP: 50, ICMPV6: 58, SCTP: 132, UDPLITE: 136 } as const;

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
    case IpProto.IPIP:
      decodeIpv4(d, b, off, end, rep, inError);
      return;
    case IpProto.IPV6:
      decodeIpv6(d, b, off, end, rep, inError);
      return;
    case IpProto.GRE:
      decodeGre(d, b, off, end, rep, inError);
      return;
    case IpProto.ESP:
      d.s.pushLayer(Proto.ESP, b, off, 8, end, inError);
      return;
    default:
      if (end > off) d.s.pushLayer(Proto.DATA, b, off, end - off, end, inError);
  }
}

/**
 * GRE (RFC 2784/2890, version 0): optional checksum, key and sequence number, then a
 * packet of the given ethertype — IPv4, IPv6 or bridged Ethernet (0x6558) are dissected.
 */
function decodeGre(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, inError: boolean): void {
  const s = d.s;
  if (s.pushLayer(Proto.GRE, b, off, 4, end, inError) < 0) return;
  if (end - off < 4) {
    s.cutShort('GRE header cut short', end, rep);
    return;
  }
  const flags = u16(b, off);
  const type = u16(b, off + 2);
  // Version 1 (PPTP) and source routing are not dissected further.
  if ((flags & 7) !== 0 || flags & 0x4000) return;
  let p = off + 4;
  if (flags & 0x8000) p += 4;
  if (flags & 0x2000) p += 4;
  if (flags & 0x1000) p += 4;
  if (p > end) {
    s.cutShort('GRE header cut short', end, rep);
    return;
  }
  if (!(flags & 0x1000) && p >= rep) return;
  if (type === 0x6558) decodeEthernet(d, b, p, end, rep);
  else if (type === 0x0800 || type === 0x86dd) decodeEthertype(d, type, b, p, end, rep);
}
