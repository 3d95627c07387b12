/**
 * TCP header and options (MSS, window scale, SACK-permitted, SACK blocks, timestamps,
 * MPTCP, TCP Fast Open; others kept as kind + bytes). Options are walked exactly like
 * Wireshark's loop (EOL/NOP are one byte; a bad length stops the walk), and a header cut
 * by the snap length yields the fields that are present (`tcpStage`).
 */
import { u16, u32 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { layerBytes, layerUint, mapField, type FieldValue, type ProtocolFields } from './fields.js';
import { Proto, TcpStage, type PacketSummary } from './summary.js';

export const TcpOption = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  MD5: 19,
  USER_TIMEOUT: 28,
  AO: 29,
  MPTCP: 30,
  FAST_OPEN: 34,
} as const;

export function decodeTcp(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, inError: boolean, fragmented: boolean): void {
  const s = d.s;
  const cap = end - off;
  const first = s.transport === 0;
  const layer = s.pushLayer(Proto.TCP, b, off, 20, end, inError);
  if (layer < 0) return;
  if (!first) return; // only the first transport of a frame is summarised
  s.transport = Proto.TCP;
  s.transportLayer = layer;
  s.inError = inError;
  s.fragmented = fragmented;
  s.transportBuf = b;
  s.transportOffset = off;
  s.transportEnd = end;
  s.transportLength = rep - off;
  if (cap < 4) {
    s.cutShort('TCP header cut short', end, rep);
    return;
  }
  s.srcPort = u16(b, off);
  s.dstPort = u16(b, off + 2);
  s.tcpStage = TcpStage.PORTS;
  if (cap < 16) {
    s.cutShort('TCP header cut short', end, rep);
    return;
  }
  s.tcpSeq = u32(b, off + 4);
  s.tcpAck = u32(b, off + 8);
  const hlen = (b[off + 12]! >> 4) * 4;
  s.tcpHeaderLength = hlen;
  s.layerLength[layer] = hlen;
  s.tcpFlags = u16(b, off + 12) & 0x0fff;
  s.tcpWindow = u16(b, off + 14);
  s.tcpStage = TcpStage.HEADER;
  const reported = rep - off;
  if (!fragmented && !inError && reported >= hlen) s.tcpPayloadLength = reported - hlen;
  s.tcpPayloadOffset = off + hlen;
  if (hlen < 20) {
    s.markMalformed(`bogus TCP header length ${hlen}`, `, bogus TCP header length (${hlen}, must be at least 20)`);
    return;
  }
  if (cap < 20) {
    s.cutShort('TCP header cut short', end, rep);
    return;
  }
  s.tcpUrgent = u16(b, off + 18);
  if (hlen > 20 && !parseOptions(d, b, off + 20, off + hlen, end)) {
    s.cutShort('TCP options cut short', end, rep);
    return;
  }
  s.tcpStage = TcpStage.COMPLETE;
}

/** Walks the options in `b[p, optEnd)`; returns false when they run past the captured end. */
function parseOptions(d: Dissector, b: Uint8Array, p: number, optEnd: number, end: number): boolean {
  const s = d.s;
  let eolSeen = false;
  while (p < optEnd) {
    if (p >= end) return false;
    const kind = b[p]!;
    if (eolSeen && kind !== TcpOption.EOL) return true; // non-zero padding after EOL
    if (kind === TcpOption.EOL || kind === TcpOption.NOP) {
      p++;
      if (kind === TcpOption.EOL) eolSeen = true;
      continue;
    }
    if (p + 1 >= optEnd) return true; // no room for the length byte
    if (p + 1 >= end) return false;
    const len = b[p + 1]!;
    if (len < 2 || p + len > optEnd) return true; // bogus length: the walk stops
    if (p + len > end) return false;
    switch (kind) {
      case TcpOption.MSS:
        if (len === 4) s.tcpMss = u16(b, p + 2);
        break;
      case TcpOption.WINDOW_SCALE:
        if (len === 3) s.tcpWindowScale = Math.min(b[p + 2]!, 14);
        break;
      case TcpOption.SACK_PERMITTED:
        if (len === 2) s.tcpSackPermitted = true;
        break;
      case TcpOption.SACK: {
        if (len < 10) {
          // Wireshark's D-SACK probe reads 8 bytes of this option; see the analyzer.
          s.tcpSackShort = true;
          return true;
        }
        const blocks = (len - 2) >> 3;
        for (let i = 0; i < blocks && s.tcpSackBlocksBefore < 2; i++) {
          if (s.tcpSackBlocksBefore === 0) s.tcpSackRight0 = u32(b, p + 6 + 8 * i);
          else {
            s.tcpSackLeft1 = u32(b, p + 2 + 8 * i);
            s.tcpSackRight1 = u32(b, p + 6 + 8 * i);
          }
          s.tcpSackBlocksBefore++;
        }
        s.tcpSackCount = blocks;
        s.tcpSackOffset = p + 2;
        break;
      }
      case TcpOption.TIMESTAMPS:
        if (len === 10) {
          s.tcpTsVal = u32(b, p + 2);
          s.tcpTsEcr = u32(b, p + 6);
        }
        break;
      case TcpOption.MPTCP:
        if (len >= 3) decodeMptcp(d, b, p, len);
        break;
      case TcpOption.FAST_OPEN:
        s.tcpFastOpen = true;
        break;
    }
    p += len;
  }
  return true;
}

function decodeMptcp(d: Dissector, b: Uint8Array, p: number, len: number): void {
  const s = d.s;
  const subtype = b[p + 2]! >> 4;
  s.tcpMptcp |= 1 << subtype;
  if (subtype === 0 && s.tcpMptcpCapableLength < 0) {
    s.tcpMptcpVersion = b[p + 2]! & 0x0f;
    s.tcpMptcpCapableLength = len;
    if (len === 12 || len === 20 || len === 22 || len === 24) {
      s.tcpMptcpKeyHi = u32(b, p + 4);
      s.tcpMptcpKeyLo = u32(b, p + 8);
      if (len >= 20) {
        s.tcpMptcpRecvKeyHi = u32(b, p + 12);
        s.tcpMptcpRecvKeyLo = u32(b, p + 16);
      }
    }
  } else if (subtype === 1 && s.tcpMptcpJoinLength < 0) {
    s.tcpMptcpJoinLength = len;
    if (len === 12) s.tcpMptcpToken = u32(b, p + 4);
  }
}

const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];

/** Names of the set flags in tshark's Info-column order (`SYN, ACK`; `<None>` when none). */
export function tcpFlagNames(flags: number): string {
  let out = '';
  for (let i = 0; i < 9; i++) if (flags & (1 << i)) out += (out ? ', ' : '') + FLAG_NAMES[i];
  if (flags & 0xe00) out += (out ? ', ' : '') + 'Reserved';
  return out || '<None>';
}

/** Option values are summarised for the frame's first TCP header only. */
function opt<T extends FieldValue>(s: PacketSummary, l: number, v: T, absent: T): T | undefined {
  return l === s.transportLayer && v !== absent ? v : undefined;
}

function flag(bit: number) {
  return (s: PacketSummary, l: number): boolean | undefined => mapField(layerUint(s, l, 12, 2), (v) => (v & bit) !== 0);
}

export const TCP_FIELDS: ProtocolFields = {
  proto: Proto.TCP,
  fields: [
    { name: 'tcp.srcport', type: 'uint', description: 'Source port', get: (s, l) => layerUint(s, l, 0, 2) },
    { name: 'tcp.dstport', type: 'uint', description: 'Destination port', get: (s, l) => layerUint(s, l, 2, 2) },
    {
      name: 'tcp.port',
      type: 'uint',
      description: 'Source or destination port',
      get: (s, l) => [layerUint(s, l, 0, 2), layerUint(s, l, 2, 2)].filter((x): x is number => x !== undefined),
    },
    { name: 'tcp.hdr_len', type: 'uint', description: 'Header length in bytes', get: (s, l) => mapField(layerUint(s, l, 12, 1), (v) => (v >> 4) * 4) },
    { name: 'tcp.flags', type: 'uint', description: 'Flags (12 bits)', get: (s, l) => mapField(layerUint(s, l, 12, 2), (v) => v & 0x0fff) },
    { name: 'tcp.flags.fin', type: 'bool', description: 'FIN', get: flag(0x001) },
    { name: 'tcp.flags.syn', type: 'bool', description: 'SYN', get: flag(0x002) },
    { name: 'tcp.flags.reset', type: 'bool', description: 'RST', get: flag(0x004) },
    { name: 'tcp.flags.push', type: 'bool', description: 'PSH', get: flag(0x008) },
    { name: 'tcp.flags.ack', type: 'bool', description: 'ACK', get: flag(0x010) },
    { name: 'tcp.flags.urg', type: 'bool', description: 'URG', get: flag(0x020) },
    { name: 'tcp.flags.ece', type: 'bool', description: 'ECN-Echo', get: flag(0x040) },
    { name: 'tcp.flags.cwr', type: 'bool', description: 'Congestion window reduced', get: flag(0x080) },
    { name: 'tcp.flags.ae', type: 'bool', description: 'Accurate ECN', get: flag(0x100) },
    { name: 'tcp.window_size_value', type: 'uint', description: 'Window field as sent (not scaled)', get: (s, l) => layerUint(s, l, 14, 2) },
    { name: 'tcp.checksum', type: 'uint', description: 'Checksum', get: (s, l) => layerUint(s, l, 16, 2) },
    { name: 'tcp.urgent_pointer', type: 'uint', description: 'Urgent pointer', get: (s, l) => layerUint(s, l, 18, 2) },
    { name: 'tcp.options.mss_val', type: 'uint', description: 'Maximum segment size option', get: (s, l) => opt(s, l, s.tcpMss, -1) },
    { name: 'tcp.options.wscale.shift', type: 'uint', description: 'Window scale option shift count', get: (s, l) => opt(s, l, s.tcpWindowScale, -1) },
    { name: 'tcp.options.sack_perm', type: 'bool', description: 'SACK permitted option', get: (s, l) => opt(s, l, s.tcpSackPermitted, false) },
    { name: 'tcp.options.sack.count', type: 'uint', description: 'Number of SACK blocks', get: (s, l) => opt(s, l, s.tcpSackCount, 0) },
    {
      name: 'tcp.options.sack_le',
      type: 'uint',
      description: 'SACK block left edges (absolute)',
      get: (s, l) => (l === s.transportLayer && s.tcpSackCount ? sackEdges(s, 0) : undefined),
    },
    {
      name: 'tcp.options.sack_re',
      type: 'uint',
      description: 'SACK block right edges (absolute)',
      get: (s, l) => (l === s.transportLayer && s.tcpSackCount ? sackEdges(s, 4) : undefined),
    },
    { name: 'tcp.options.timestamp.tsval', type: 'uint', description: 'Timestamp value', get: (s, l) => opt(s, l, s.tcpTsVal, -1) },
    { name: 'tcp.options.timestamp.tsecr', type: 'uint', description: 'Timestamp echo reply', get: (s, l) => opt(s, l, s.tcpTsEcr, -1) },
    {
      name: 'tcp.options.mptcp.subtype',
      type: 'uint',
      description: 'MPTCP option subtypes present',
      get: (s, l) => {
        if (l !== s.transportLayer || !s.tcpMptcp) return undefined;
        const out: number[] = [];
        for (let i = 0; i < 16; i++) if (s.tcpMptcp & (1 << i)) out.push(i);
        return out;
      },
    },
    { name: 'tcp.options.tfo', type: 'bool', description: 'TCP Fast Open option', get: (s, l) => opt(s, l, s.tcpFastOpen, false) },
    {
      name: 'tcp.payload',
      type: 'bytes',
      description: 'Payload bytes (as captured)',
      get: (s, l) => {
        const hlen = (s.layerBuf[l]![s.layerOffset[l]! + 12]! >> 4) * 4;
        const n = s.layerEnd[l]! - s.layerOffset[l]! - hlen;
        return n > 0 ? layerBytes(s, l, hlen, n) : undefined;
      },
    },
  ],
};

function sackEdges(s: PacketSummary, rel: number): number[] {
  const b = s.transportBuf!;
  const out: number[] = [];
  for (let i = 0; i < s.tcpSackCount; i++) {
    const p = s.tcpSackOffset + i * 8 + rel;
    out.push(u32(b, p));
  }
  return out;
}
