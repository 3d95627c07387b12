/**
 * ARP as tshark 4.0 shows it (epan/dissectors/packet-arp.c): the protocol column by
 * opcode (ARP, RARP, DRARP, Inverse ARP, MARS, MAPOS), the Info text — including
 * gratuitous ARPs, ARP probes and announcements (RFC 5227) — and the duplicate address
 * detection Wireshark does by default, which appends "(duplicate use of IP detected!)"
 * when an IPv4 address shows up with a second MAC address.
 */
import { formatIpv4, formatIpv4At, formatMac, u16, u32 } from '../../dissect/bytes.js';
import { Proto, type PacketSummary } from '../../dissect/summary.js';

const REQUEST = 1;
const REPLY = 2;

/** The fixed part and Ethernet/IPv4 addresses are there (hardware 1 or 6 with 6-byte addresses, IPv4). */
function ethernetIpv4(b: Uint8Array, o: number, n: number): boolean {
  const hrd = u16(b, o);
  return n >= 28 && (hrd === 1 || hrd === 6) && b[o + 4] === 6 && u16(b, o + 2) === 0x0800 && b[o + 5] === 4;
}

function arpLayer(s: PacketSummary): { b: Uint8Array; o: number; n: number } | null {
  const l = s.findLayer(Proto.ARP);
  if (l < 0) return null;
  const o = s.layerOffset[l]!;
  return { b: s.layerBuf[l]!, o, n: s.layerEnd[l]! - o };
}

/** The protocol column of an ARP frame. */
export function arpProtocol(s: PacketSummary): string {
  const a = arpLayer(s);
  if (a === null || a.n < 8) return 'ARP';
  const op = u16(a.b, a.o + 6);
  if (op === 3 || op === 4) return 'RARP';
  if (op >= 5 && op <= 7) return 'DRARP';
  if (op === 8 || op === 9) return 'Inverse ARP';
  if (op >= 11 && op <= 22) return 'MARS';
  if (op === 23) return 'MAPOS';
  return 'ARP';
}

const MARS_TEXT: Record<number, string> = {
  11: 'MARS request from',
  12: 'MARS MULTI request from',
  13: 'MARS MSERV request from',
  14: 'MARS JOIN request from',
  15: 'MARS LEAVE from',
  16: 'MARS NAK from',
  17: 'MARS UNSERV request from',
  18: 'MARS SJOIN request from',
  19: 'MARS SLEAVE from',
  20: 'MARS grouplist request from',
  21: 'MARS grouplist reply from',
  22: 'MARS redirect map from',
  23: 'MAPOS UNARP request from',
};

/** The Info text of an ARP frame (without the duplicate-address note). */
export function arpInfo(s: PacketSummary): string {
  const a = arpLayer(s);
  if (a === null || !ethernetIpv4(a.b, a.o, a.n)) return 'ARP';
  const { b, o } = a;
  const op = u16(b, o + 6);
  const sha = formatMac(b, o + 8);
  const spa = formatIpv4At(b, o + 14);
  const tha = formatMac(b, o + 18);
  const tpa = formatIpv4At(b, o + 24);
  const thaZero = isZeroMac(b, o + 18);
  const gratuitous = (op === REQUEST || op === REPLY) && u32(b, o + 14) === u32(b, o + 24);
  switch (op) {
    case REQUEST:
      if (gratuitous) return thaZero ? `ARP Announcement for ${tpa}` : `Gratuitous ARP for ${tpa} (Request)`;
      if (thaZero && u32(b, o + 14) === 0) return `Who has ${tpa}? (ARP Probe)`;
      return `Who has ${tpa}? Tell ${spa}`;
    case REPLY:
      return gratuitous ? `Gratuitous ARP for ${spa} (Reply)` : `${spa} is at ${sha}`;
    case 3:
    case 5:
    case 8:
      return `Who is ${tha}? Tell ${sha}`;
    case 4:
    case 6:
      return `${tha} is at ${tpa}`;
    case 7:
      return 'DRARP Error';
    case 9:
      return `${sha} is at ${spa}`;
    case 10:
      return 'ARP NAK';
    case 24:
      return 'Experimental 1 ( opcode 24 )';
    case 25:
      return 'Experimental 2 ( opcode 25 )';
    case 0:
    case 65535:
      return `Reserved opcode ${op}`;
    default:
      return MARS_TEXT[op] !== undefined ? `${MARS_TEXT[op]} ${sha} at ${spa}` : `Unknown ARP opcode 0x${op.toString(16).padStart(4, '0')}`;
  }
}

function isZeroMac(b: Uint8Array, p: number): boolean {
  for (let i = 0; i < 6; i++) if (b[p + i] !== 0) return false;
  return true;
}

/**
 * Wireshark's duplicate IP address detection over a capture, frame by frame: the first
 * MAC address seen with an IPv4 address (as ARP sender, or as target of a reply) is its
 * owner; a later frame showing another MAC with it is a duplicate (the owner stays).
 * Multicast and all-zero MAC addresses and the address 0.0.0.0 are not considered.
 */
export class ArpDuplicates {
  private readonly owners = new Map<number, string>();

  /** The duplicated address of this ARP frame (a 32-bit IPv4 value), or -1. */
  check(s: PacketSummary): number {
    const a = arpLayer(s);
    if (a === null || !ethernetIpv4(a.b, a.o, a.n)) return -1;
    const { b, o } = a;
    const op = u16(b, o + 6);
    if (op !== REQUEST && op !== REPLY) return -1;
    let detected = false;
    let duplicate = -1;
    const sender = u32(b, o + 14);
    if (this.eligible(b, o + 8, sender)) {
      detected = this.sees(formatMac(b, o + 8), sender);
      if (detected) duplicate = sender;
    }
    const target = u32(b, o + 24);
    // a request's target hardware address means nothing; a gratuitous ARP is reported once
    if (op !== REQUEST && this.eligible(b, o + 18, target) && duplicate !== target) {
      detected = this.sees(formatMac(b, o + 18), target);
      if (detected) duplicate = target;
    }
    // as in Wireshark, the last check decides whether the frame is marked
    return detected ? duplicate : -1;
  }

  private eligible(b: Uint8Array, mac: number, ip: number): boolean {
    return (b[mac]! & 1) === 0 && !isZeroMac(b, mac) && ip !== 0;
  }

  /** True when `ip` already belongs to another MAC address. */
  private sees(mac: string, ip: number): boolean {
    const owner = this.owners.get(ip);
    if (owner === undefined) {
      this.owners.set(ip, mac);
      return false;
    }
    return owner !== mac;
  }
}

/** The note tshark appends to the Info of a frame with a duplicated address. */
export function duplicateNote(ip: number): string {
  return ` (duplicate use of ${formatIpv4(ip)} detected!)`;
}
