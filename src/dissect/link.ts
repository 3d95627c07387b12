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
import type { ProtocolFields } from './fields.js';
import { layerBytes, layerUint, mapField } from './fields.js';

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
    s.cutShort('802.1Q tag cut short', end, rep);
    return;
  }
  if (s.vlanId < 0) s.vlanId = u16(b, off) & 0x0fff;
  const type = u16(b, off + 2);
  s.etherType = type;
  decodeEthertype(d, type, b, off + 4, end, rep);
}

export function decodeEthernet(d: Dissector, b: Uint8Array, off: number, end: number, rep: number): void {
  const s = d.s;
  if (s.pushLayer(Proto.ETH, b, off, 14, end, false) < 0) return;
  if (end - off < 14) {
    s.cutShort('Ethernet header cut short', end, rep);
    return;
  }
  const type = u16(b, off + 12);
  if (type > 1500) {
    decodeEthertype(d, type, b, off + 14, end, rep);
    return;
  }
  // IEEE 802.3: a length, then LLC; SNAP (AA AA 03) carries an ethertype.
  const llcRep = Math.min(rep, off + 14 + type);
  const llcEnd = Math.min(end, llcRep);
  s.pushLayer(Proto.LLC, b, off + 14, 3, llcEnd, false);
  if (llcEnd - (off + 14) >= 8 && b[off + 14] === 0xaa && b[off + 15] === 0xaa && b[off + 16] === 0x03) {
    decodeEthertype(d, u16(b, off + 20), b, off + 22, llcEnd, llcRep);
  }
}

/** Linux "cooked" capture v1: 16-byte header, protocol at offset 14. */
export function decodeSll(d: Dissector, b: Uint8Array, off: number, end: number, rep: number): void {
  const s = d.s;
  if (s.pushLayer(Proto.SLL, b, off, 16, end, false) < 0) return;
  if (end - off < 16) {
    s.cutShort('Linux cooked header cut short', end, rep);
    return;
  }
  decodeSllProtocol(d, u16(b, off + 2), u16(b, off + 14), b, off + 16, end, rep);
}

/** Linux "cooked" capture v2: 20-byte header, protocol at offset 0. */
export function decodeSll2(d: Dissector, b: Uint8Array, off: number, end: number, rep: number): void {
  const s = d.s;
  if (s.pushLayer(Proto.SLL2, b, off, 20, end, false) < 0) return;
  if (end - off < 20) {
    s.cutShort('Linux cooked v2 header cut short', end, rep);
    return;
  }
  decodeSllProtocol(d, u16(b, off + 8), u16(b, off), b, off + 20, end, rep);
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
export function decodeNull(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, networkOrder: boolean): void {
  const s = d.s;
  if (s.pushLayer(Proto.NULL, b, off, 4, end, false) < 0) return;
  if (end - off < 4) {
    s.cutShort('loopback header cut short', end, rep);
    return;
  }
  let family = u32(b, off);
  if (!networkOrder && (family & 0xffff0000) !== 0) family = ((b[off + 3]! << 24) | (b[off + 2]! << 16) | (b[off + 1]! << 8) | b[off]!) >>> 0;
  switch (family) {
    case 2:
      decodeIpv4(d, b, off + 4, end, rep, false);
      return;
    case 10:
    case 24:
    case 28:
    case 30:
      decodeIpv6(d, b, off + 4, end, rep, false);
      return;
    default:
      if (end > off + 4) s.pushLayer(Proto.DATA, b, off + 4, end - off - 4, end, false);
  }
}

/** Raw IP: the version nibble says which. */
export function decodeRaw(d: Dissector, b: Uint8Array, off: number, end: number, rep: number): void {
  if (end - off < 1) {
    d.s.markMalformed('empty raw IP packet');
    return;
  }
  const v = b[off]! >> 4;
  if (v === 6) decodeIpv6(d, b, off, end, rep, false);
  else decodeIpv4(d, b, off, end, rep, false);
}

const mac = (s: Parameters<typeof layerBytes>[0], l: number, rel: number): Uint8Array | undefined => layerBytes(s, l, rel, 6);

export const ETHERNET_FIELDS: ProtocolFields = {
  proto: Proto.ETH,
  fields: [
    { name: 'eth.dst', type: 'ether', description: 'Destination MAC address', get: (s, l) => mac(s, l, 0) },
    { name: 'eth.src', type: 'ether', description: 'Source MAC address', get: (s, l) => mac(s, l, 6) },
    {
      name: 'eth.addr',
      type: 'ether',
      description: 'Source or destination MAC address',
      get: (s, l) => [mac(s, l, 0), mac(s, l, 6)].filter((x): x is Uint8Array => x !== undefined),
    },
    { name: 'eth.type', type: 'uint', description: 'Ethertype (or 802.3 length)', get: (s, l) => layerUint(s, l, 12, 2) },
  ],
};

export const VLAN_FIELDS: ProtocolFields = {
  proto: Proto.VLAN,
  fields: [
    { name: 'vlan.id', type: 'uint', description: '802.1Q VLAN identifier', get: (s, l) => mapField(layerUint(s, l, 0, 2), (v) => v & 0x0fff) },
    { name: 'vlan.priority', type: 'uint', description: '802.1Q priority (PCP)', get: (s, l) => mapField(layerUint(s, l, 0, 2), (v) => v >> 13) },
    { name: 'vlan.dei', type: 'bool', description: 'Drop eligible indicator', get: (s, l) => mapField(layerUint(s, l, 0, 2), (v) => (v & 0x1000) !== 0) },
    { name: 'vlan.etype', type: 'uint', description: 'Encapsulated ethertype', get: (s, l) => layerUint(s, l, 2, 2) },
  ],
};

export const SLL_FIELDS: ProtocolFields = {
  proto: Proto.SLL,
  fields: [
    { name: 'sll.pkttype', type: 'uint', description: 'Packet type (0 to us, 4 outgoing, …)', get: (s, l) => layerUint(s, l, 0, 2) },
    { name: 'sll.hatype', type: 'uint', description: 'Link-layer address type (ARPHRD_*)', get: (s, l) => layerUint(s, l, 2, 2) },
    { name: 'sll.etype', type: 'uint', description: 'Protocol', get: (s, l) => layerUint(s, l, 14, 2) },
  ],
};

export const SLL2_FIELDS: ProtocolFields = {
  proto: Proto.SLL2,
  fields: [
    { name: 'sll.etype', type: 'uint', description: 'Protocol', get: (s, l) => layerUint(s, l, 0, 2) },
    { name: 'sll.ifindex', type: 'uint', description: 'Interface index', get: (s, l) => layerUint(s, l, 4, 4) },
    { name: 'sll.hatype', type: 'uint', description: 'Link-layer address type (ARPHRD_*)', get: (s, l) => layerUint(s, l, 8, 2) },
    { name: 'sll.pkttype', type: 'uint', description: 'Packet type (0 to us, 4 outgoing, …)', get: (s, l) => layerUint(s, l, 10, 1) },
  ],
};

export const NULL_FIELDS: ProtocolFields = {
  proto: Proto.NULL,
  fields: [{ name: 'null.family', type: 'uint', description: 'Address family (raw 32-bit word)', get: (s, l) => layerUint(s, l, 0, 4) }],
};
