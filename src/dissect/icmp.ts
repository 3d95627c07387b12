/**
 * ICMP and ICMPv6: type and code (named), and for error messages the quoted packet,
 * dissected as an "error packet" — its transport header is reported (ports, the TCP
 * stream it belongs to) but never counts as traffic of that connection.
 */
import type { Dissector } from './dissector.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { Proto } from './summary.js';
import { layerUint, type ProtocolFields } from './fields.js';

export const ICMP_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench (flow control)',
  5: 'Redirect',
  6: 'Alternate host address',
  8: 'Echo (ping) request',
  9: 'Router advertisement',
  10: 'Router solicitation',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
  15: 'Information request',
  16: 'Information reply',
  17: 'Address mask request',
  18: 'Address mask reply',
  30: 'Traceroute',
  42: 'Extended Echo request',
  43: 'Extended Echo reply',
};

export const ICMP_UNREACH_CODE_NAMES: readonly string[] = [
  'Network unreachable',
  'Host unreachable',
  'Protocol unreachable',
  'Port unreachable',
  'Fragmentation needed',
  'Source route failed',
  'Destination network unknown',
  'Destination host unknown',
  'Source host isolated',
  'Network administratively prohibited',
  'Host administratively prohibited',
  'Network unreachable for TOS',
  'Host unreachable for TOS',
  'Communication administratively filtered',
  'Host precedence violation',
  'Precedence cutoff in effect',
];

export const ICMPV6_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Destination Unreachable',
  2: 'Packet Too Big',
  3: 'Time Exceeded',
  4: 'Parameter Problem',
  128: 'Echo (ping) request',
  129: 'Echo (ping) reply',
  130: 'Multicast Listener Query',
  131: 'Multicast Listener Report',
  132: 'Multicast Listener Done',
  133: 'Router Solicitation',
  134: 'Router Advertisement',
  135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
  137: 'Redirect',
  138: 'Router Renumbering',
  139: 'Node Information Query',
  140: 'Node Information Reply',
  143: 'Multicast Listener Report Message v2',
  160: 'Extended Echo request',
  161: 'Extended Echo reply',
};

export const ICMPV6_UNREACH_CODE_NAMES: readonly string[] = [
  'no route to destination',
  'Administratively prohibited',
  'Beyond scope of source address',
  'Address unreachable',
  'Port unreachable',
  'Source address failed ingress/egress policy',
  'Reject route to destination',
  'Error in Source Routing Header',
];

/** Human name of an ICMP (family 4) or ICMPv6 (family 6) type and code. */
export function icmpDescription(family: 4 | 6, type: number, code: number): string {
  if (family === 4) {
    const t = ICMP_TYPE_NAMES[type] ?? `Unknown ICMP (obsolete or malformed?)`;
    if (type === 3) return `${t} (${ICMP_UNREACH_CODE_NAMES[code] ?? `code ${code}`})`;
    return t;
  }
  const t = ICMPV6_TYPE_NAMES[type] ?? `Unknown (${type})`;
  if (type === 1) return `${t} (${ICMPV6_UNREACH_CODE_NAMES[code] ?? `code ${code}`})`;
  return t;
}

const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

/**
 * The part ICMP and ICMPv6 share: the layer, and the type and code of the outermost
 * ICMP header. Returns the type, or -1 when there is no header to read.
 */
function icmpHeader(d: Dissector, proto: number, name: string, b: Uint8Array, off: number, end: number, rep: number, inError: boolean): number {
  const s = d.s;
  const layer = s.pushLayer(proto, b, off, 8, end, inError);
  if (layer < 0) return -1;
  if (end - off < 2) {
    s.cutShort(`${name} header cut short`, end, rep);
    return -1;
  }
  const type = b[off]!;
  if (s.icmpLayer < 0) {
    s.icmpLayer = layer;
    s.icmpType = type;
    s.icmpCode = b[off + 1]!;
  }
  return type;
}

export function decodeIcmp(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, inError: boolean): void {
  const type = icmpHeader(d, Proto.ICMP, 'ICMP', b, off, end, rep, inError);
  if (type < 0) return;
  if (ICMP_ERRORS.has(type) && end - off > 8) {
    let innerRep = rep;
    if (type === 5) innerRep = Math.min(rep, off + 8 + (b[off + 8]! & 0x0f) * 4 + 8);
    decodeIpv4(d, b, off + 8, Math.min(end, innerRep), innerRep, true);
  }
}

const ICMPV6_ERRORS = new Set([1, 2, 3, 4]);

export function decodeIcmpv6(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, inError: boolean): void {
  const type = icmpHeader(d, Proto.ICMPV6, 'ICMPv6', b, off, end, rep, inError);
  if (type < 0) return;
  if (ICMPV6_ERRORS.has(type) && end - off > 8) decodeIpv6(d, b, off + 8, end, rep, true);
  // Listener and neighbour-discovery messages are parsed field by field: cut short, tshark gives up on them.
  else if (type >= 130 && type <= 143 && end < rep) d.s.truncated = true;
}

export const ICMP_FIELDS: ProtocolFields = {
  proto: Proto.ICMP,
  fields: [
    { name: 'icmp.type', type: 'uint', description: 'Type', get: (s, l) => layerUint(s, l, 0, 1) },
    { name: 'icmp.code', type: 'uint', description: 'Code', get: (s, l) => layerUint(s, l, 1, 1) },
    { name: 'icmp.checksum', type: 'uint', description: 'Checksum', get: (s, l) => layerUint(s, l, 2, 2) },
    { name: 'icmp.ident', type: 'uint', description: 'Identifier (echo)', get: (s, l) => (isEcho(s, l, 0, 8) ? layerUint(s, l, 4, 2) : undefined) },
    { name: 'icmp.seq', type: 'uint', description: 'Sequence number (echo)', get: (s, l) => (isEcho(s, l, 0, 8) ? layerUint(s, l, 6, 2) : undefined) },
  ],
};

export const ICMPV6_FIELDS: ProtocolFields = {
  proto: Proto.ICMPV6,
  fields: [
    { name: 'icmpv6.type', type: 'uint', description: 'Type', get: (s, l) => layerUint(s, l, 0, 1) },
    { name: 'icmpv6.code', type: 'uint', description: 'Code', get: (s, l) => layerUint(s, l, 1, 1) },
    { name: 'icmpv6.checksum', type: 'uint', description: 'Checksum', get: (s, l) => layerUint(s, l, 2, 2) },
    { name: 'icmpv6.echo.identifier', type: 'uint', description: 'Identifier (echo)', get: (s, l) => (isEcho(s, l, 129, 128) ? layerUint(s, l, 4, 2) : undefined) },
    { name: 'icmpv6.echo.sequence_number', type: 'uint', description: 'Sequence number (echo)', get: (s, l) => (isEcho(s, l, 129, 128) ? layerUint(s, l, 6, 2) : undefined) },
  ],
};

function isEcho(s: Parameters<typeof layerUint>[0], l: number, reply: number, request: number): boolean {
  const t = layerUint(s, l, 0, 1);
  return t === reply || t === request;
}
