/**
 * Every field a display filter (or a UI) can ask of an analysed packet: `frame.*`, the
 * dissectors' tables (`ip.src`, `tcp.flags.syn`, …) and the TCP analysis results
 * (`tcp.stream`, relative `tcp.seq`, `tcp.analysis.retransmission`, …), under
 * Wireshark's names.
 */
import { dissectFields } from '../../dissect/field-registry.js';
import type { FieldType, FieldValue } from '../../dissect/fields.js';
import { PROTOCOL_NAMES, TcpFlag } from '../../dissect/summary.js';
import { EXPERT_FIELDS, effectiveExpertFlags } from './expert.js';
import { DNS_HEADER_BYTES, dnsFieldValues, type DnsFieldValues } from '../../dissect/dns.js';
import { dnsMessageOf } from './packet-columns.js';
import type { AnalyzedPacket } from './packet-stream.js';

export interface PacketField {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  /** Appends the packet's values of the field to `out` (nothing when absent). */
  values(p: AnalyzedPacket, out: FieldValue[]): void;
}

type Reader = (p: AnalyzedPacket) => FieldValue | undefined;

function single(name: string, type: FieldType, description: string, read: Reader): PacketField {
  return {
    name,
    type,
    description,
    values(p, out) {
      const v = read(p);
      if (v !== undefined) out.push(v);
    },
  };
}

/** Fields of the frame's first TCP header as analysed (absent when it has none). */
function tcpAnalysis(name: string, type: FieldType, description: string, read: Reader): PacketField {
  return single(name, type, description, (p) => (p.tcp.stream >= 0 && !p.summary.inError ? read(p) : undefined));
}

const seconds = (sec: number, nsec: number): number => sec + nsec / 1e9;

function frameProtocols(p: AnalyzedPacket): string {
  const s = p.summary;
  const names: string[] = [];
  for (let i = 0; i < s.layerCount; i++) names.push(PROTOCOL_NAMES[s.layerProto[i]!]!);
  return names.join(':');
}

const FRAME_FIELDS: PacketField[] = [
  single('frame.number', 'uint', 'Frame number (1-based)', (p) => p.frame.number),
  single('frame.len', 'uint', 'Bytes on the wire', (p) => p.frame.len),
  single('frame.cap_len', 'uint', 'Bytes captured', (p) => p.frame.caplen),
  single('frame.time_epoch', 'float', 'Seconds since the epoch', (p) => seconds(p.frame.tsSec, p.frame.tsNsec)),
  single('frame.time_relative', 'float', 'Seconds since the first frame', (p) => p.frame.tsSec - p.refSec + (p.frame.tsNsec - p.refNsec) / 1e9),
  single('frame.interface_id', 'uint', 'Capture interface index', (p) => p.frame.interfaceId),
  single('frame.interface_name', 'string', 'Capture interface name', (p) => p.iface.name),
  {
    name: 'frame.comment',
    type: 'string',
    description: 'Packet comment (pcapng), one value per comment',
    values(p, out) {
      out.push(...p.frame.comments);
    },
  },
  single('frame.protocols', 'string', 'Protocol layers, e.g. eth:ip:tcp', frameProtocols),
  single('frame.link_type', 'uint', 'LINKTYPE_* of the frame', (p) => p.iface.linkType),
  single('frame.malformed', 'bool', 'The frame is damaged or cut short (then present and true)', (p) => (p.summary.malformed !== null ? true : undefined)),
  single('_ws.malformed', 'bool', 'Wireshark name of frame.malformed', (p) => (p.summary.malformed !== null ? true : undefined)),
];

const ANALYSIS_FIELDS: PacketField[] = [
  tcpAnalysis('tcp.stream', 'uint', 'TCP conversation index', (p) => p.tcp.stream),
  tcpAnalysis('tcp.seq', 'uint', 'Sequence number (relative)', (p) => p.tcp.seq),
  tcpAnalysis('tcp.ack', 'uint', 'Acknowledgment number (relative; only with ACK)', (p) => (p.summary.tcpFlags & TcpFlag.ACK ? p.tcp.ack : undefined)),
  tcpAnalysis('tcp.seq_raw', 'uint', 'Sequence number (absolute)', (p) => p.summary.tcpSeq),
  tcpAnalysis('tcp.ack_raw', 'uint', 'Acknowledgment number (absolute; only with ACK)', (p) => (p.summary.tcpFlags & TcpFlag.ACK ? p.summary.tcpAck : undefined)),
  tcpAnalysis('tcp.len', 'uint', 'Segment payload length', (p) => (p.tcp.payloadLength >= 0 ? p.tcp.payloadLength : undefined)),
  tcpAnalysis('tcp.nxtseq', 'uint', 'Next sequence number (relative)', (p) =>
    p.tcp.payloadLength >= 0 ? (p.tcp.seq + p.tcp.payloadLength + (p.summary.tcpFlags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0 : undefined,
  ),
  tcpAnalysis('tcp.window_size', 'uint', 'Calculated window size (scaled)', (p) => (p.summary.tcpHeaderLength >= 20 ? p.tcp.window : undefined)),
  tcpAnalysis('tcp.analysis', 'bool', 'SEQ/ACK analysis results exist', (p) => (p.tcp.analysed ? true : undefined)),
  tcpAnalysis('tcp.analysis.flags', 'bool', 'Any expert flag is set', (p) => (p.tcp.analysed && p.tcp.expert ? true : undefined)),
  tcpAnalysis('tcp.analysis.acks_frame', 'uint', 'Frame whose data this frame acknowledges', (p) => (p.tcp.ackedFrame ? p.tcp.ackedFrame : undefined)),
  tcpAnalysis('tcp.analysis.ack_rtt', 'float', 'Seconds from that frame to this ACK', (p) => (p.tcp.ackedFrame && p.tcp.ackRttNs >= 0 ? p.tcp.ackRttNs / 1e9 : undefined)),
  tcpAnalysis('tcp.analysis.initial_rtt', 'float', 'Handshake RTT in seconds', (p) => {
    const rtt = p.tcp.conversation?.handshakeRttNs;
    return rtt ? rtt / 1e9 : undefined;
  }),
  tcpAnalysis('tcp.analysis.duplicate_ack_num', 'uint', 'Duplicate ACK number', (p) => (p.tcp.dupAckNumber ? p.tcp.dupAckNumber : undefined)),
  tcpAnalysis('tcp.analysis.duplicate_ack_frame', 'uint', 'Frame of the original ACK', (p) => (p.tcp.dupAckNumber ? p.tcp.dupAckFrame : undefined)),
  tcpAnalysis('tcp.completeness', 'uint', 'Conversation completeness bits (1 SYN, 2 SYN-ACK, 4 ACK, 8 data, 16 FIN, 32 RST)', (p) => p.tcp.conversation?.completeness),
  ...EXPERT_FIELDS.map(([bit, name]) =>
    tcpAnalysis(`tcp.analysis.${name}`, 'bool', `Expert flag: ${name.replace(/_/g, ' ')}`, (p) => (p.tcp.analysed && effectiveExpertFlags(p.tcp.expert) & bit ? true : undefined)),
  ),
  single('udp.stream', 'uint', 'UDP conversation index', (p) => p.udp?.stream),
];

/**
 * `dns`, `mdns`, `llmnr`: present when the columns summarise the frame as that protocol and
 * it holds at least a header (tshark's DNS tree starts after it); the value is the message.
 */
const DNS_FIELDS: PacketField[] = (['DNS', 'MDNS', 'LLMNR'] as const).map((protocol) => ({
  name: protocol.toLowerCase(),
  type: 'protocol' as const,
  description: `The ${protocol} protocol is present`,
  values(p: AnalyzedPacket, out: FieldValue[]) {
    const m = dnsMessageOf(p.summary);
    if (m !== null && m.protocol === protocol && m.end - m.start >= DNS_HEADER_BYTES) out.push(m.buf.subarray(m.start, m.end));
  },
}));

/** The frame's DNS-family message as filter values (present with at least a header). */
function dnsValues(p: AnalyzedPacket): DnsFieldValues | null {
  const m = dnsMessageOf(p.summary);
  return m === null ? null : dnsFieldValues(m.buf, m.start, m.end);
}

function dnsField(name: string, type: FieldType, description: string, read: (d: DnsFieldValues) => FieldValue | readonly FieldValue[]): PacketField {
  return {
    name,
    type,
    description,
    values(p, out) {
      const d = dnsValues(p);
      if (d === null) return;
      const v = read(d);
      if (Array.isArray(v)) out.push(...(v as FieldValue[]));
      else out.push(v as FieldValue);
    },
  };
}

/** Wireshark's dns.* fields (shared by mDNS and LLMNR), as far as the message is whole. */
const DNS_VALUE_FIELDS: PacketField[] = [
  dnsField('dns.id', 'uint', 'Transaction ID', (d) => d.id),
  dnsField('dns.flags.response', 'bool', 'Message is a response', (d) => d.response),
  dnsField('dns.flags.opcode', 'uint', 'Operation code', (d) => d.opcode),
  dnsField('dns.flags.rcode', 'uint', 'Reply code', (d) => d.rcode),
  dnsField('dns.count.queries', 'uint', 'Questions', (d) => d.counts[0] ?? []),
  dnsField('dns.count.answers', 'uint', 'Answer RRs', (d) => d.counts[1] ?? []),
  dnsField('dns.qry.name', 'string', 'Name asked for, one value per question', (d) => d.qryName),
  dnsField('dns.qry.type', 'uint', 'Type asked for, one value per question', (d) => d.qryType),
  dnsField('dns.resp.name', 'string', 'Owner name of each record', (d) => d.respName),
  dnsField('dns.resp.type', 'uint', 'Type of each record', (d) => d.respType),
  dnsField('dns.a', 'ipv4', 'Address of each A record', (d) => d.a),
  dnsField('dns.aaaa', 'ipv6', 'Address of each AAAA record', (d) => d.aaaa),
  dnsField('dns.cname', 'string', 'Canonical name of each CNAME record', (d) => d.cname),
];

let registry: Map<string, PacketField> | undefined;

/** Every packet field by name (dissector fields plus frame and analysis fields). */
export function packetFields(): ReadonlyMap<string, PacketField> {
  if (registry) return registry;
  const m = new Map<string, PacketField>();
  for (const f of dissectFields().values()) {
    m.set(f.name, { name: f.name, type: f.type, description: f.description, values: (p, out) => f.values(p.summary, out) });
  }
  for (const f of [...FRAME_FIELDS, ...ANALYSIS_FIELDS, ...DNS_FIELDS, ...DNS_VALUE_FIELDS]) m.set(f.name, f);
  registry = m;
  return m;
}
