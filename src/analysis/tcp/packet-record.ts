/**
 * The per-frame JSON record of `tracewire packets --format jsonl`, byte for byte the
 * record pcap-oracle derives from tshark: which fields exist follows from how far tshark
 * could read each header (see TcpStage), and addresses are the first IPv4 layer's, else
 * the first IPv6 layer's.
 *
 * Built by string concatenation (not JSON.stringify) because this runs for millions of
 * frames; every value is a number, null, an IP address or a fixed name, so no escaping
 * is needed.
 */
import { u32 } from '../../dissect/bytes.js';
import { Proto, TcpFlag, TcpStage, type PacketSummary } from '../../dissect/summary.js';
import type { CapturedFrame } from '../../pcap/index.js';
import type { TcpFrameInfo } from './analyzer.js';
import { EXPERT_FIELDS, effectiveExpertFlags } from './expert.js';

const NS_PAD = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000', '000000000'];

/** `seconds.nanoseconds` with 9 digits, as tshark's frame.time_epoch. */
export function epochText(sec: number, nsec: number): string {
  const ns = String(nsec);
  return `${sec}.${NS_PAD[9 - ns.length]}${ns}`;
}

/** tshark's protocol name for pcap-oracle's "proto" field, or null. */
export function oracleProto(s: PacketSummary): string | null {
  if (s.transport === Proto.TCP && s.tcpStage >= TcpStage.PORTS) return 'tcp';
  if (s.transport === Proto.UDP && s.srcPort >= 0) return 'udp';
  let icmp = false,
    icmpv6 = false,
    sctp = false,
    gre = false,
    esp = false;
  for (let i = 0; i < s.layerCount; i++) {
    switch (s.layerProto[i]) {
      case Proto.ICMP:
        icmp = true;
        break;
      case Proto.ICMPV6:
        icmpv6 = true;
        break;
      case Proto.SCTP:
        sctp = true;
        break;
      case Proto.GRE:
        gre = true;
        break;
      case Proto.ESP:
        esp = true;
        break;
    }
  }
  return icmp ? 'icmp' : icmpv6 ? 'icmpv6' : sctp ? 'sctp' : gre ? 'gre' : esp ? 'esp' : null;
}

function str(v: string | null): string {
  return v === null ? 'null' : `"${v}"`;
}

/** The `"tcp":…` value: null for non-TCP frames. */
function tcpJson(s: PacketSummary, t: TcpFrameInfo): string {
  const header = s.tcpStage >= TcpStage.HEADER;
  const bogus = header && s.tcpHeaderLength < 20;
  // IPv4 inside ICMP: tshark shows the raw sequence number and no tcp.seq_raw.
  const icmpIp = s.inError && s.layerProto[s.transportLayer - 1] === Proto.IPV4;
  const flagsKnown = header && !bogus;
  const hasAck = flagsKnown && (s.tcpFlags & TcpFlag.ACK) !== 0;
  let seq = 'null';
  let seqRaw = 'null';
  if (header) {
    seq = String(t.seq);
    seqRaw = icmpIp ? 'null' : String(s.tcpSeq);
  } else if (icmpIp && s.transportEnd - s.transportOffset >= 8) {
    seq = String(u32(s.transportBuf!, s.transportOffset + 4));
  }
  let analysis = '';
  if (t.analysed && t.expert) {
    const f = effectiveExpertFlags(t.expert);
    for (const [bit, name] of EXPERT_FIELDS) if (f & bit) analysis += (analysis ? ',"' : '"') + name + '"';
  }
  return (
    `{"stream":${header ? t.stream : 'null'},"flags":${flagsKnown ? s.tcpFlags : 'null'},"seq":${seq},` +
    `"ack":${hasAck ? t.ack : 'null'},"seq_raw":${seqRaw},"ack_raw":${hasAck ? s.tcpAck : 'null'},` +
    `"payload":${header && t.payloadLength >= 0 ? t.payloadLength : 'null'},"win":${flagsKnown ? t.window : 'null'},` +
    `"analysis":[${analysis}]}`
  );
}

/** One pcap-oracle record (without the trailing newline). */
export function packetRecordJson(frame: CapturedFrame, s: PacketSummary, t: TcpFrameInfo): string {
  const proto = oracleProto(s);
  const ports = proto === 'tcp' || proto === 'udp';
  return (
    `{"frame":${frame.number},"ts":"${frame.hasTimestamp ? epochText(frame.tsSec, frame.tsNsec) : ''}","len":${frame.len},"caplen":${frame.caplen},` +
    `"src":${str(s.netSrc)},"dst":${str(s.netDst)},"proto":${proto === null ? 'null' : `"${proto}"`},` +
    `"sport":${ports ? s.srcPort : 'null'},"dport":${ports ? s.dstPort : 'null'},` +
    `"tcp":${proto === 'tcp' ? tcpJson(s, t) : 'null'}}`
  );
}
