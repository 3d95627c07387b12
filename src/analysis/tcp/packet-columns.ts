/**
 * Text columns of `tracewire packets`, laid out like tshark's default one-line summary
 * (No. Time Source → Destination Protocol Length Info). Columns are data: a later
 * consumer adds one (e.g. the process that sent the packet) by inserting a PacketColumn.
 */
import { formatIpv4, formatIpv6At, formatMac, u16, u32 } from '../../dissect/bytes.js';
import { macName } from '../../dissect/mac-names.js';
import { arpInfo, arpProtocol, duplicateNote } from './arp.js';
import { DNS_FAMILY_PORTS, DNS_PORT, dnsInfo } from '../../dissect/dns.js';
import { icmpDescription } from '../../dissect/icmp.js';
import { Proto, TcpFlag, TcpStage, type PacketSummary } from '../../dissect/summary.js';
import { tcpFlagNames } from '../../dissect/tcp.js';
import { expertInfoPrefix } from './expert.js';
import type { AnalyzedPacket } from './packet-stream.js';

export interface PacketColumn {
  readonly id: string;
  readonly title: string;
  /** tshark pads some columns to a minimum width, right- or left-aligned. */
  readonly align: 'left' | 'right';
  readonly minWidth: number;
  /** Text between this column and the next (default one space). */
  readonly separator?: string;
  render(p: AnalyzedPacket): string;
}

const IP_PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6', 132: 'SCTP' };

/** Decimal digits of a timestamp unit (9 for ns, 6 for µs, …), as tshark prints times. */
export function timeDigits(unitsPerSecond: bigint): number {
  let d = 0;
  for (let u = 1n; u < unitsPerSecond && d < 9; u *= 10n) d++;
  return d;
}

/** Seconds between the frame and the capture's first frame, with `digits` decimals. */
export function relativeTime(p: AnalyzedPacket, digits: number): string {
  let sec = p.frame.tsSec - p.refSec;
  let nsec = p.frame.tsNsec - p.refNsec;
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  }
  let sign = '';
  if (sec < 0) {
    // -0.25 s is stored as sec = -1, nsec = 0.75e9.
    sign = '-';
    if (nsec > 0) {
      sec = -sec - 1;
      nsec = 1e9 - nsec;
    } else sec = -sec;
  }
  if (digits === 0) return `${sign}${sec}`;
  const frac = String(Math.floor(nsec / 10 ** (9 - digits))).padStart(digits, '0');
  return `${sign}${sec}.${frac}`;
}

function outerAddress(s: PacketSummary, which: 'src' | 'dst'): string {
  const l = s.ipLayer;
  if (l >= 0) {
    const b = s.layerBuf[l]!;
    const o = s.layerOffset[l]!;
    if (s.ipVersion === 4) return s.hasIpv4 ? formatIpv4(which === 'src' ? s.ipv4Src : s.ipv4Dst) : '';
    if (s.layerEnd[l]! - o >= 40) return formatIpv6At(b, o + (which === 'src' ? 8 : 24));
  }
  if (s.layerCount > 0) {
    const b = s.layerBuf[0]!;
    const o = s.layerOffset[0]!;
    const n = s.layerEnd[0]! - o;
    switch (s.layerProto[0]) {
      case Proto.ETH:
        if (n >= 14) return macName(b, o + (which === 'src' ? 6 : 0));
        break;
      case Proto.SLL:
        // Cooked captures record only the sender's link-layer address.
        if (which === 'src' && n >= 16 && u16(b, o + 4) === 6) return macName(b, o + 6);
        break;
      case Proto.SLL2:
        if (which === 'src' && n >= 20 && b[o + 11] === 6) return macName(b, o + 12);
        break;
    }
  }
  return '';
}

/**
 * The layer the Protocol and Info columns describe: the first TCP/UDP/ICMP/… layer
 * whose header could be read (as in tshark, a transport cut before its ports leaves the
 * columns to the layer below), or -1.
 */
function topLayer(s: PacketSummary): number {
  for (let i = 0; i < s.layerCount; i++) {
    switch (s.layerProto[i]) {
      case Proto.TCP:
      case Proto.UDP:
        if (i === s.transportLayer && s.srcPort < 0) return -1;
        return i;
      case Proto.ICMP:
      case Proto.ICMPV6:
        if (i === s.icmpLayer) return i;
        break;
      case Proto.SCTP:
      case Proto.GRE:
      case Proto.ESP:
      case Proto.ARP:
        return i;
    }
  }
  return -1;
}

const TOP_NAMES: Record<number, string> = {
  [Proto.TCP]: 'TCP',
  [Proto.UDP]: 'UDP',
  [Proto.ICMP]: 'ICMP',
  [Proto.ICMPV6]: 'ICMPv6',
  [Proto.SCTP]: 'SCTP',
  [Proto.GRE]: 'GRE',
  [Proto.ESP]: 'ESP',
  [Proto.ARP]: 'ARP',
};

/**
 * Where the frame's DNS, mDNS or LLMNR message lies: in its UDP datagram on the protocol's
 * port, or (DNS) in a TCP segment on port 53 that holds exactly one message behind its
 * 2-byte length. Null otherwise; a snapped or fragmented one is left to the transport line,
 * which says so.
 */
export function dnsMessageOf(s: PacketSummary): { protocol: 'DNS' | 'MDNS' | 'LLMNR'; buf: Uint8Array; start: number; end: number } | null {
  // as tshark, the lower port's protocol first
  const protocol = DNS_FAMILY_PORTS.get(Math.min(s.srcPort, s.dstPort)) ?? DNS_FAMILY_PORTS.get(Math.max(s.srcPort, s.dstPort));
  const buf = s.transportBuf;
  if (protocol === undefined || buf === null || s.inError || s.truncated || s.malformed !== null) return null;
  const top = topLayer(s);
  if (top < 0 || top !== s.transportLayer) return null;
  if (s.layerProto[top] === Proto.UDP) {
    const end = s.transportOffset + s.udpLength;
    return s.udpLength >= 8 && end <= s.transportEnd ? { protocol, buf, start: s.transportOffset + 8, end } : null;
  }
  if (protocol !== 'DNS' || (s.srcPort !== DNS_PORT && s.dstPort !== DNS_PORT)) return null;
  const start = s.tcpPayloadOffset;
  const end = start + s.tcpPayloadLength;
  return s.tcpPayloadLength >= 14 && end <= s.transportEnd && u16(buf, start) + 2 === s.tcpPayloadLength ? { protocol, buf, start: start + 2, end } : null;
}

/** The Protocol and Info of the frame's DNS-family message (see dissect/dns.ts), or null. */
function dnsColumns(s: PacketSummary): { protocol: string; info: string } | null {
  const m = dnsMessageOf(s);
  const info = m === null ? null : dnsInfo(m.buf, m.start, m.end, m.protocol === 'MDNS');
  return m === null || info === null ? null : { protocol: m.protocol, info };
}

/** The Protocol column: the top-most protocol tracewire dissects. */
export function protocolName(s: PacketSummary): string {
  const top = topLayer(s);
  if (top >= 0) {
    const dns = dnsColumns(s);
    if (dns !== null) return dns.protocol;
    // tshark names the protocol after the MPTCP option when one is present.
    if (s.layerProto[top] === Proto.TCP && top === s.transportLayer && s.tcpMptcp) return 'MPTCP';
    if (s.layerProto[top] === Proto.ARP) return arpProtocol(s);
    return TOP_NAMES[s.layerProto[top]!]!;
  }
  if (s.ipVersion === 4) return 'IPv4';
  if (s.ipVersion === 6) return 'IPv6';
  // an IP header too bogus to read still names the protocol
  if (s.findLayer(Proto.IPV4) >= 0) return 'IPv4';
  if (s.findLayer(Proto.IPV6) >= 0) return 'IPv6';
  if (s.findLayer(Proto.ETH) >= 0) return s.etherType >= 0 ? `0x${s.etherType.toString(16).padStart(4, '0')}` : 'Ethernet';
  return 'Frame';
}

/** TCP options as tshark's Info column lists them (`MSS=1460 SACK_PERM TSval=… WS=128`). */
function tcpOptionsText(s: PacketSummary, reverseBase: number): string {
  const b = s.transportBuf!;
  const start = s.transportOffset + 20;
  const end = Math.min(s.transportOffset + s.tcpHeaderLength, s.transportEnd);
  let out = '';
  for (let p = start; p < end; ) {
    const kind = b[p]!;
    if (kind === 0 || kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    const len = b[p + 1]!;
    if (len < 2 || p + len > end) break;
    switch (kind) {
      case 2:
        if (len === 4) out += ` MSS=${u16(b, p + 2)}`;
        break;
      case 3:
        if (len === 3) out += ` WS=${1 << Math.min(b[p + 2]!, 14)}`;
        break;
      case 4:
        if (len === 2) out += ' SACK_PERM';
        break;
      case 5:
        for (let q = p + 2; q + 8 <= p + len; q += 8) {
          const base = reverseBase >= 0 ? reverseBase : 0;
          out += ` SLE=${(u32(b, q) - base) >>> 0} SRE=${(u32(b, q + 4) - base) >>> 0}`;
        }
        break;
      case 8:
        if (len === 10) out += ` TSval=${u32(b, p + 2)} TSecr=${u32(b, p + 6)}`;
        break;
      case 34:
        out += len === 2 ? ' TFO=R' : ' TFO=C';
        break;
    }
    p += len;
  }
  return out;
}

function tcpInfo(p: AnalyzedPacket): string {
  const s = p.summary;
  const t = p.tcp;
  let info = `${s.srcPort} → ${s.dstPort}`;
  if (s.tcpStage < TcpStage.HEADER) return info;
  const prefix = t.analysed ? expertInfoPrefix(t.expert, t.dupAckFrame, t.dupAckNumber) : '';
  info += ` [${tcpFlagNames(s.tcpFlags)}] Seq=${t.seq}`;
  if (s.tcpFlags & TcpFlag.ACK) info += ` Ack=${t.ack}`;
  info += ` Win=${t.window}`;
  if (s.tcpFlags & TcpFlag.URG) info += ` Urg=${s.tcpUrgent}`;
  // a bogus header length stops tshark here (its note follows, see infoText)
  if (s.tcpHeaderLength < 20) return prefix + info;
  if (t.payloadLength >= 0) info += ` Len=${t.payloadLength}`;
  if (s.tcpHeaderLength > 20) info += tcpOptionsText(s, t.reverseBaseSeq);
  return prefix + info;
}

function icmpInfo(s: PacketSummary): string {
  const l = s.icmpLayer;
  const family = s.layerProto[l] === Proto.ICMP ? 4 : 6;
  let info = icmpDescription(family, s.icmpType, s.icmpCode);
  const b = s.layerBuf[l]!;
  const o = s.layerOffset[l]!;
  const end = s.layerEnd[l]!;
  if (family === 6 && (s.icmpType === 135 || s.icmpType === 136) && end - o >= 24) {
    // Neighbour discovery: the target, NA flags, and the link-layer address option.
    if (s.icmpType === 135) info += ` for ${formatIpv6At(b, o + 8)}`;
    else {
      const f = b[o + 4]!;
      const flags = [f & 0x80 ? 'rtr' : '', f & 0x40 ? 'sol' : '', f & 0x20 ? 'ovr' : ''].filter(Boolean).join(', ') || 'none';
      info += ` ${formatIpv6At(b, o + 8)} (${flags})`;
    }
    info += ndLinkOptions(b, o + 24, end);
  } else if (family === 6 && (s.icmpType === 133 || s.icmpType === 134)) {
    info += ndLinkOptions(b, o + (s.icmpType === 133 ? 8 : 16), end);
  }
  const echo = family === 4 ? s.icmpType === 0 || s.icmpType === 8 : s.icmpType === 128 || s.icmpType === 129;
  if (echo && s.layerEnd[l]! - o >= 8) {
    const id = u16(b, o + 4);
    const seq = u16(b, o + 6);
    if (family === 4) info += `  id=0x${id.toString(16).padStart(4, '0')}, seq=${seq}/${((seq & 0xff) << 8) | (seq >> 8)}, ttl=${s.ipTtl}`;
    else info += ` id=0x${id.toString(16).padStart(4, '0')}, seq=${seq}, hop limit=${s.ipTtl}`;
  }
  return info;
}

/** ` from <mac>` / ` is at <mac>` for neighbour-discovery link-layer address options. */
function ndLinkOptions(b: Uint8Array, p: number, end: number): string {
  let out = '';
  while (p + 2 <= end) {
    const type = b[p]!;
    const len = b[p + 1]! * 8;
    if (len === 0 || p + len > end) break;
    if (len === 8 && (type === 1 || type === 2)) out += `${type === 1 ? ' from' : ' is at'} ${formatMac(b, p + 2)}`;
    p += len;
  }
  return out;
}

/** The Info column. */
export function infoText(p: AnalyzedPacket): string {
  const s = p.summary;
  const top = topLayer(s);
  const proto = top >= 0 ? s.layerProto[top]! : 0;
  let info: string;
  const dns = dnsColumns(s);
  if (dns !== null) info = dns.info;
  else if (proto === Proto.TCP && top === s.transportLayer && !s.inError) info = tcpInfo(p);
  else if (proto === Proto.UDP && top === s.transportLayer && !s.inError) info = `${s.srcPort} → ${s.dstPort} Len=${s.udpLength >= 8 ? s.udpLength - 8 : 0}`;
  else if (proto === Proto.ICMP || proto === Proto.ICMPV6) info = icmpInfo(s);
  else if (proto === Proto.ARP) info = arpInfo(s) + (p.arpDuplicate >= 0 ? duplicateNote(p.arpDuplicate) : '');
  else if (proto) info = TOP_NAMES[proto]!;
  else if (s.ipFragment && s.ipVersion === 4) {
    info = `Fragmented IP protocol (proto=${IP_PROTO_NAMES[s.ipFragNext] ?? s.ipFragNext} ${s.ipFragNext}, off=${s.ipFragOffset}, ID=${s.ipId.toString(16).padStart(4, '0')})`;
  } else if (s.ipFragment && s.ipVersion === 6) {
    info = `IPv6 fragment (off=${s.ipFragOffset} more=${s.ipFragMore ? 'y' : 'n'} ident=0x${(s.ipId >>> 0).toString(16).padStart(8, '0')} nxt=${s.ipFragNext})`;
  } else info = '';
  if (s.truncated) info += '[Packet size limited during capture]';
  // as tshark: its wording of a bogus length, else the marker, appended as is (the reason
  // itself is in the UI's packet details)
  if (s.malformed !== null) info += s.malformedNote ?? '[Malformed Packet]';
  return info;
}

/** tshark's default columns. */
export function defaultColumns(digitsFor: (p: AnalyzedPacket) => number): PacketColumn[] {
  return [
    { id: 'number', title: 'No.', align: 'right', minWidth: 5, render: (p) => String(p.frame.number) },
    { id: 'time', title: 'Time', align: 'right', minWidth: 10, render: (p) => relativeTime(p, digitsFor(p)) },
    { id: 'source', title: 'Source', align: 'right', minWidth: 12, separator: ' → ', render: (p) => outerAddress(p.summary, 'src') },
    { id: 'destination', title: 'Destination', align: 'left', minWidth: 12, render: (p) => outerAddress(p.summary, 'dst') },
    { id: 'protocol', title: 'Protocol', align: 'left', minWidth: 0, render: (p) => protocolName(p.summary) },
    { id: 'length', title: 'Length', align: 'left', minWidth: 0, render: (p) => String(p.frame.len) },
    { id: 'info', title: 'Info', align: 'left', minWidth: 0, render: infoText },
  ];
}

/** One line (without newline) of `columns` for `p`, padded as tshark pads. */
export function renderLine(columns: readonly PacketColumn[], p: AnalyzedPacket): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    let text = c.render(p);
    // tshark pads to a width in bytes of UTF-8 (a name like `Xi‘anHan_00` is wider than it looks)
    if (text.length < c.minWidth) {
      const width = c.minWidth - (Buffer.byteLength(text) - text.length);
      if (text.length < width) text = c.align === 'right' ? text.padStart(width) : text.padEnd(width);
    }
    line += text;
    if (i < columns.length - 1) line += c.separator ?? ' ';
  }
  return line;
}
