/**
 * TCP header and options (MSS, window scale, SACK-permitted, SACK blocks, timestamps,
 * MPTCP, TCP Fast Open; others kept as kind + bytes). Options are walked exactly like
 * Wireshark's loop (EOL/NOP are one byte; a bad length stops the walk), and a header cut
 * by the snap length yields the fields that are present (`tcpStage`).
 */
import { u16, u32 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { Proto, TcpStage } from './summary.js';

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
    s.markMalformed('TCP header cut short');
    return;
  }
  s.srcPort = u16(b, off);
  s.dstPort = u16(b, off + 2);
  s.tcpStage = TcpStage.PORTS;
  if (cap < 16) {
    s.markMalformed('TCP header cut short');
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
    s.markMalformed(`bogus TCP header length ${hlen}`);
    return;
  }
  if (cap < 20) {
    s.markMalformed('TCP header cut short');
    return;
  }
  s.tcpUrgent = u16(b, off + 18);
  if (hlen > 20 && !parseOptions(d, b, off + 20, off + hlen, end)) {
    s.markMalformed('TCP options cut short');
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
      case TcpOption.SACK:
        s.tcpSackCount = (len - 2) >> 3;
        s.tcpSackOffset = p + 2;
        break;
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
