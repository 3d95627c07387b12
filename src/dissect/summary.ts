/**
 * The flat result of dissecting one frame: where each layer is, and the handful of
 * values analyses need (addresses, ports, TCP header fields and options). One object is
 * reused frame after frame on hot paths (`Dissector.decode`), so it holds only numbers,
 * booleans and references — no per-frame allocation.
 */
import { formatIpAt, formatIpv4, formatIpv6At } from './bytes.js';

/** Protocol ids of layers (also the order of `PROTOCOL_NAMES`). */
export const Proto = {
  ETH: 1,
  VLAN: 2,
  SLL: 3,
  SLL2: 4,
  NULL: 5,
  LLC: 6,
  IPV4: 7,
  IPV6: 8,
  IPV6_HOPOPTS: 9,
  IPV6_ROUTING: 10,
  IPV6_FRAGMENT: 11,
  IPV6_DSTOPTS: 12,
  IPV6_EXT: 13,
  TCP: 14,
  UDP: 15,
  ICMP: 16,
  ICMPV6: 17,
  ARP: 18,
  DATA: 19,
  SCTP: 20,
  GRE: 21,
  ESP: 22,
  UDPLITE: 23,
} as const;

/** Filter/display names of the protocols, indexed by `Proto` id. */
export const PROTOCOL_NAMES: readonly string[] = [
  '',
  'eth',
  'vlan',
  'sll',
  'sll2',
  'null',
  'llc',
  'ip',
  'ipv6',
  'ipv6.hopopts',
  'ipv6.routing',
  'ipv6.fraghdr',
  'ipv6.dstopts',
  'ipv6.ext',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'arp',
  'data',
  'sctp',
  'gre',
  'esp',
  'udplite',
];

export const MAX_LAYERS = 32;

/** TCP flag bits as in the 12-bit flags field (`tcp.flags`). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

/** MPTCP option subtypes seen in a segment, one bit each (bit n = subtype n). */
export const MptcpSubtype = { MP_CAPABLE: 0, MP_JOIN: 1, DSS: 2, ADD_ADDR: 3, REMOVE_ADDR: 4, MP_PRIO: 5, MP_FAIL: 6, MP_FASTCLOSE: 7, MP_TCPRST: 8 } as const;

/**
 * How far the TCP header could be read, which decides (as in Wireshark, where reading
 * past the captured bytes ends the dissection) which fields exist.
 */
export const TcpStage = {
  /** No TCP, or fewer than 4 bytes: no fields at all. */
  NONE: 0,
  /** Ports only. */
  PORTS: 1,
  /** Fixed header through the window: stream, seq/ack, flags, window exist. */
  HEADER: 2,
  /** Checksum and urgent pointer and every option were read: analysis results exist. */
  COMPLETE: 3,
} as const;

export class PacketSummary {
  /** LINKTYPE_* the frame was dissected with. */
  linkType = 0;
  /** First problem found in the packet itself (bogus length, a header the packet is too short for), or null. */
  malformed: string | null = null;
  /**
   * What tshark appends to the Info column for this malformation instead of
   * `[Malformed Packet]` (its own wording of a bogus length), or null.
   */
  malformedNote: string | null = null;
  /** The snap length cut the frame inside a header or payload tracewire dissects (tshark: "Packet size limited during capture"). */
  truncated = false;

  // Layers, in order: protocol id, buffer, offset, header length, captured end.
  layerCount = 0;
  readonly layerProto = new Uint8Array(MAX_LAYERS);
  readonly layerOffset = new Int32Array(MAX_LAYERS);
  readonly layerLength = new Int32Array(MAX_LAYERS);
  readonly layerEnd = new Int32Array(MAX_LAYERS);
  /** Set for layers inside an ICMP error's quoted packet. */
  readonly layerInError = new Uint8Array(MAX_LAYERS);
  readonly layerBuf: (Uint8Array | null)[] = new Array<Uint8Array | null>(MAX_LAYERS).fill(null);

  /** Ethertype of the link layer's payload, -1 when none. */
  etherType = -1;
  /** First 802.1Q VLAN id, -1 when untagged. */
  vlanId = -1;

  /** Version of the outermost IP layer (4, 6) or 0. */
  ipVersion = 0;
  /** Layer index of the outermost IP layer, -1 when none. */
  ipLayer = -1;
  /** First IPv4 layer's addresses (tshark's first `ip.src` / `ip.dst`). */
  hasIpv4 = false;
  ipv4Src = 0;
  ipv4Dst = 0;
  /** First IPv6 layer's addresses: buffer and offsets of the 16-byte source and destination. */
  hasIpv6 = false;
  ipv6Buf: Uint8Array | null = null;
  ipv6SrcOffset = 0;
  ipv6DstOffset = 0;
  /** Outermost IP layer: identification (IPv4; IPv6 fragment id or -1), TTL/hop limit, total length. */
  ipId = -1;
  ipTtl = 0;
  ipTotalLength = 0;
  /** Upper-layer protocol number of the innermost IP layer (after IPv6 extension headers), -1 when none. */
  ipProto = -1;
  /** The IP datagram is a fragment that was not (yet) reassembled; its offset, more-fragments flag and upper protocol. */
  ipFragment = false;
  ipFragOffset = 0;
  ipFragMore = false;
  ipFragNext = -1;
  /** The transport layer was dissected from a reassembled datagram. */
  reassembled = false;

  /** Addresses of the transport's conversation (the IP layer right under TCP/UDP): family 4/6 or 0. */
  addrFamily = 0;
  addrBuf: Uint8Array | null = null;
  addrSrcOffset = 0;
  addrDstOffset = 0;

  /** Protocol id (`Proto.TCP`, `Proto.UDP`, …) of the first transport, or 0. */
  transport = 0;
  /** The transport header is inside an ICMP/ICMPv6 error. */
  inError = false;
  /** The transport header is in the first fragment of a datagram that was not reassembled. */
  fragmented = false;
  srcPort = -1;
  dstPort = -1;
  /** Layer index of the first TCP/UDP layer, -1 when none. */
  transportLayer = -1;
  /** Reported (not captured) length of the transport segment, from the IP header. */
  transportLength = 0;

  tcpStage = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpHeaderLength = 0;
  /** The 12-bit flags field. */
  tcpFlags = 0;
  /** Raw window field (not scaled). */
  tcpWindow = 0;
  tcpUrgent = 0;
  /** Payload length (reported), or -1 when unknown (fragment, ICMP error, short segment). */
  tcpPayloadLength = -1;
  /** Offset of the payload in the transport buffer. */
  tcpPayloadOffset = 0;
  /** Option values; -1/false when absent. */
  tcpMss = -1;
  tcpWindowScale = -1;
  tcpSackPermitted = false;
  tcpTsVal = -1;
  tcpTsEcr = -1;
  /** Number of SACK blocks; edges at tcpSackOffset (8 bytes each) in the transport buffer. */
  tcpSackCount = 0;
  tcpSackOffset = 0;
  /** Bit n set when an MPTCP option of subtype n is present; 0 when none. */
  tcpMptcp = 0;
  /** MP_CAPABLE: version, option length, sender key and (third ACK) receiver key as hi/lo words; -1 when absent. */
  tcpMptcpVersion = -1;
  tcpMptcpCapableLength = -1;
  tcpMptcpKeyHi = -1;
  tcpMptcpKeyLo = -1;
  tcpMptcpRecvKeyHi = -1;
  tcpMptcpRecvKeyLo = -1;
  /** MP_JOIN option length and (SYN) receiver token; -1 when absent. */
  tcpMptcpJoinLength = -1;
  tcpMptcpToken = -1;
  tcpFastOpen = false;
  /**
   * A SACK option shorter than one block plus the D-SACK probe (under 10 bytes) was seen.
   * Whether Wireshark's dissection of it fails depends on the relative ACK number, which
   * only the TCP analysis knows; the blocks of earlier SACK options are kept for that test.
   */
  tcpSackShort = false;
  tcpSackBlocksBefore = 0;
  tcpSackRight0 = 0;
  tcpSackLeft1 = 0;
  tcpSackRight1 = 0;

  udpLength = -1;
  icmpType = -1;
  icmpCode = -1;
  /** Layer index of the ICMP/ICMPv6 layer, -1 when none. */
  icmpLayer = -1;

  /** Buffer holding the transport header and payload (the frame's data or a reassembled datagram). */
  transportBuf: Uint8Array | null = null;
  /** Offset of the transport header in `transportBuf`. */
  transportOffset = 0;
  /** Captured end of the transport segment in `transportBuf`. */
  transportEnd = 0;

  /** Clears every field for the next frame. */
  reset(linkType: number): void {
    this.linkType = linkType;
    this.malformed = null;
    this.malformedNote = null;
    this.truncated = false;
    this.layerCount = 0;
    this.etherType = -1;
    this.vlanId = -1;
    this.ipVersion = 0;
    this.ipLayer = -1;
    this.hasIpv4 = false;
    this.hasIpv6 = false;
    this.ipv6Buf = null;
    this.ipId = -1;
    this.ipTtl = 0;
    this.ipTotalLength = 0;
    this.ipProto = -1;
    this.ipFragment = false;
    this.ipFragOffset = 0;
    this.ipFragMore = false;
    this.ipFragNext = -1;
    this.reassembled = false;
    this.addrFamily = 0;
    this.addrBuf = null;
    this.transport = 0;
    this.inError = false;
    this.fragmented = false;
    this.srcPort = -1;
    this.dstPort = -1;
    this.transportLayer = -1;
    this.transportLength = 0;
    this.tcpStage = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpHeaderLength = 0;
    this.tcpFlags = 0;
    this.tcpWindow = 0;
    this.tcpUrgent = 0;
    this.tcpPayloadLength = -1;
    this.tcpPayloadOffset = 0;
    this.tcpMss = -1;
    this.tcpWindowScale = -1;
    this.tcpSackPermitted = false;
    this.tcpTsVal = -1;
    this.tcpTsEcr = -1;
    this.tcpSackCount = 0;
    this.tcpMptcp = 0;
    this.tcpMptcpVersion = -1;
    this.tcpMptcpCapableLength = -1;
    this.tcpMptcpKeyHi = -1;
    this.tcpMptcpKeyLo = -1;
    this.tcpMptcpRecvKeyHi = -1;
    this.tcpMptcpRecvKeyLo = -1;
    this.tcpMptcpJoinLength = -1;
    this.tcpMptcpToken = -1;
    this.tcpFastOpen = false;
    this.tcpSackShort = false;
    this.tcpSackBlocksBefore = 0;
    this.udpLength = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpLayer = -1;
    this.transportBuf = null;
    this.transportOffset = 0;
    this.transportEnd = 0;
  }

  /** Records a layer; returns its index, or -1 when there are too many. */
  pushLayer(proto: number, buf: Uint8Array, offset: number, length: number, end: number, inError: boolean): number {
    const i = this.layerCount;
    if (i >= MAX_LAYERS) {
      this.markMalformed('too many protocol layers');
      return -1;
    }
    this.layerProto[i] = proto;
    this.layerBuf[i] = buf;
    this.layerOffset[i] = offset;
    this.layerLength[i] = length;
    this.layerEnd[i] = end;
    this.layerInError[i] = inError ? 1 : 0;
    this.layerCount = i + 1;
    return i;
  }

  markMalformed(reason: string, tsharkNote: string | null = null): void {
    if (this.malformed !== null) return;
    this.malformed = reason;
    this.malformedNote = tsharkNote;
  }

  /**
   * A header did not fit in the captured bytes (`end`): the snap length's doing when the
   * packet was longer on the wire (`rep`), otherwise the packet is malformed.
   */
  cutShort(reason: string, end: number, rep: number): void {
    if (end < rep) this.truncated = true;
    else this.markMalformed(reason);
  }

  /** Index of the first layer of `proto` at or after `from`, or -1. */
  findLayer(proto: number, from = 0): number {
    for (let i = from; i < this.layerCount; i++) if (this.layerProto[i] === proto) return i;
    return -1;
  }

  /** Source address of the transport's conversation as text, or null. */
  get srcAddress(): string | null {
    return this.addrFamily === 0 ? this.netSrc : formatIpAt(this.addrFamily, this.addrBuf!, this.addrSrcOffset);
  }

  get dstAddress(): string | null {
    return this.addrFamily === 0 ? this.netDst : formatIpAt(this.addrFamily, this.addrBuf!, this.addrDstOffset);
  }

  /** tshark's first `ip.src`, else first `ipv6.src` (what pcap-oracle reports), or null. */
  get netSrc(): string | null {
    if (this.hasIpv4) return formatIpv4(this.ipv4Src);
    if (this.hasIpv6) return formatIpv6At(this.ipv6Buf!, this.ipv6SrcOffset);
    return null;
  }

  get netDst(): string | null {
    if (this.hasIpv4) return formatIpv4(this.ipv4Dst);
    if (this.hasIpv6) return formatIpv6At(this.ipv6Buf!, this.ipv6DstOffset);
    return null;
  }
}
