/**
 * Link layers: Ethernet II / 802.3 with LLC-SNAP and 802.1Q / 802.1ad VLAN tags, Linux
 * cooked captures (SLL and SLL2), BSD loopback (NULL, and OpenBSD's LOOP in network
 * order), and raw IPv4/IPv6. Each decoder records its layer and hands its payload on by
 * ethertype.
 */
import { u16, u32 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { Proto } from './summary.js';

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
} as const;

/** Dispatches a payload by ethertype. `end` is the captured end, `rep` the reported end. */
export function decodeEthertype(d: Dissector, type: number, b: Uint8Array, off: number, end: number, rep: number): void {
  const s = d.s;
  if (s.etherType < 0) s.etherType = type;
  switch (type) {
    case EtherType.IPV4:
      decodeIpv4(d, b, off, end, rep, false);
      return;
    case EtherType.IPV6:
      decodeIpv6(d, b, off, end, rep, false);
      return;
    case EtherType.VLAN:
    case EtherType.QINQ:
    case EtherType.QINQ_OLD:
      decodeVlan(d, b, off, end, rep);
      return;
    case EtherType.ARP:
      s.pushLayer(Proto.ARP, b, off, Math.max(0, end - off), end, false);
      return;
    default:
      if (end > off) s.pushLayer(Proto.DATA, b, off, end - off, end, false);
  }
}

function decodeVlan(d: Dissector, b: Uint8Array, off: number, end: number, rep: number): void {
  const s = d.s;
  if (s.pushLayer(Proto.VLAN, b, off, 4, end, false) < 0) return;
  if (end - off < 4) {
    s.markMalformed('802.1Q tag cut short');
    return;
  }
  if (s.vlanId < 0) s.vlanId = u16(b, off) & 0x0fff;
  const type = u16(b, off + 2);
  s.etherType = type;
  decodeEthertype(d, type, b, off + 4, end, rep);
}

export function decodeEthernet(d: Dissector, b: Uint8Array, end: number, rep: number): void {
  const s = d.s;
  if (s.pushLayer(Proto.ETH, b, 0, 14, end, false) < 0) return;
  if (end < 14) {
    s.markMalformed('Ethernet header cut short');
    return;
  }
  const type = u16(b, 12);
  if (type > 1500) {
    decodeEthertype(d, type, b, 14, end, rep);
    return;
  }
  // IEEE 802.3: a length, then LLC; SNAP (AA AA 03) carries an ethertype.
  const llcRep = Math.min(rep, 14 + type);
  const llcEnd = Math.min(end, llcRep);
  s.pushLayer(Proto.LLC, b, 14, 3, llcEnd, false);
  if (llcEnd - 14 >= 8 && b[14] === 0xaa && b[15] === 0xaa && b[16] === 0x03) {
    decodeEthertype(d, u16(b, 20), b, 22, llcEnd, llcRep);
  }
}

/** Linux "cooked" capture v1: 16-byte header, protocol at offset 14. */
export function decodeSll(d: Dissector, b: Uint8Array, end: number, rep: number): void {
  const s = d.s;
  if (s.pushLayer(Proto.SLL, b, 0, 16, end, false) < 0) return;
  if (end < 16) {
    s.markMalformed('Linux cooked header cut short');
    return;
  }
  decodeSllProtocol(d, u16(b, 2), u16(b, 14), b, 16, end, rep);
}

/** Linux "cooked" capture v2: 20-byte header, protocol at offset 0. */
export function decodeSll2(d: Dissector, b: Uint8Array, end: number, rep: number): void {
  const s = d.s;
  if (s.pushLayer(Proto.SLL2, b, 0, 20, end, false) < 0) return;
  if (end < 20) {
    s.markMalformed('Linux cooked v2 header cut short');
    return;
  }
  decodeSllProtocol(d, u16(b, 8), u16(b, 0), b, 20, end, rep);
}

const ARPHRD_NETLINK = 824;

function decodeSllProtocol(d: Dissector, hatype: number, protocol: number, b: Uint8Array, off: number, end: number, rep: number): void {
  if (hatype === ARPHRD_NETLINK) return;
  // Values below 0x0600 are Linux's ETH_P_* pseudo-types (802.2, 802.3, CAN…), not ethertypes.
  if (protocol < 0x0600) {
    if (end > off) d.s.pushLayer(Proto.DATA, b, off, end - off, end, false);
    return;
  }
  decodeEthertype(d, protocol, b, off, end, rep);
}

/**
 * BSD loopback (LINKTYPE_NULL): a 4-byte address family in the capturing host's byte
 * order, so both orders are tried. `networkOrder` is set for LINKTYPE_LOOP.
 */
export function decodeNull(d: Dissector, b: Uint8Array, end: number, rep: number, networkOrder: boolean): void {
  const s = d.s;
  if (s.pushLayer(Proto.NULL, b, 0, 4, end, false) < 0) return;
  if (end < 4) {
    s.markMalformed('loopback header cut short');
    return;
  }
  let family = u32(b, 0);
  if (!networkOrder && (family & 0xffff0000) !== 0) family = ((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0;
  switch (family) {
    case 2:
      decodeIpv4(d, b, 4, end, rep, false);
      return;
    case 10:
    case 24:
    case 28:
    case 30:
      decodeIpv6(d, b, 4, end, rep, false);
      return;
    default:
      if (end > 4) s.pushLayer(Proto.DATA, b, 4, end - 4, end, false);
  }
}

/** Raw IP: the version nibble says which. */
export function decodeRaw(d: Dissector, b: Uint8Array, end: number, rep: number): void {
  if (end < 1) {
    d.s.markMalformed('empty raw IP packet');
    return;
  }
  const v = b[0]! >> 4;
  if (v === 6) decodeIpv6(d, b, 0, end, rep, false);
  else decodeIpv4(d, b, 0, end, rep, false);
}
