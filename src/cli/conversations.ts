/**
 * `tracewire conversations CAPTURE` — TCP and UDP conversations like `tshark -q -z
 * conv,tcp` / `conv,udp` (the text tables are identical), or one JSON object per
 * conversation with the analysis totals tshark's table lacks (payload bytes,
 * retransmissions, expert-flag counts, handshake RTT).
 */
import { choiceOption, parseCommandArgs } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { toJson } from '../base/json.js';
import { LineWriter } from '../base/output.js';
import type { TcpConversation } from '../analysis/tcp/analyzer.js';
import type { Conversation } from '../analysis/tcp/conversation.js';
import { conversationTableText } from '../analysis/tcp/conversation-table.js';
import { EXPERT_FIELDS } from '../analysis/tcp/expert.js';
import { epochText } from '../analysis/tcp/packet-record.js';
import { PacketStream } from '../analysis/tcp/packet-stream.js';
import { openCapture } from '../pcap/index.js';

export const help = `Usage: tracewire conversations CAPTURE [--type tcp|udp|all] [--format text|jsonl]

Lists the TCP and UDP conversations of a capture (file or bundle directory).

Options:
  --type tcp|udp|all  which tables (default all: TCP, then UDP)
  --format text       tables exactly like \`tshark -q -z conv,tcp\` (and conv,udp):
                      per conversation the frames and bytes in each direction
                      (<- towards the first sender, -> from it), total, start
                      relative to the first frame, duration (default)
  --format jsonl      one object per conversation: type, stream, endpoints a/b (a sent
                      the first frame), first/last frame, start/end (epoch seconds),
                      duration_ns, frames/bytes/payload each way, and for TCP
                      retransmissions, expert flag counts, handshake_rtt_ns, syn/fin/rst

A TCP conversation is a tcp.stream: a new one starts when the 4-tuple is new or a SYN
with a new initial sequence number reuses the ports (as in Wireshark). Frames quoted in
ICMP errors, and frames whose TCP header is cut short, are not counted (as in tshark).
`;

/** The fields TCP and UDP records share, from `start` to `bytes_b_to_a`. */
function spanAndTotals(c: Conversation, refSec: number, refNsec: number): Record<string, unknown> {
  return {
    start: epochText(c.startSec, c.startNsec),
    end: epochText(c.endSec, c.endNsec),
    relative_start_ns: (c.startSec - refSec) * 1e9 + (c.startNsec - refNsec),
    duration_ns: c.durationNs,
    frames_a_to_b: c.framesAtoB,
    frames_b_to_a: c.framesBtoA,
    bytes_a_to_b: c.bytesAtoB,
    bytes_b_to_a: c.bytesBtoA,
  };
}

function endpoints(c: Conversation): Record<string, unknown> {
  return { stream: c.stream, a: { address: c.addressA, port: c.portA }, b: { address: c.addressB, port: c.portB } };
}

function tcpRecord(c: TcpConversation, refSec: number, refNsec: number): Record<string, unknown> {
  const expert: Record<string, number> = {};
  for (const [bit, name] of EXPERT_FIELDS) {
    const n = c.expertCounts.get(bit);
    if (n) expert[name] = n;
  }
  return {
    type: 'tcp',
    ...endpoints(c),
    first_frame: c.firstFrame,
    last_frame: c.lastFrame,
    ...spanAndTotals(c, refSec, refNsec),
    payload_a_to_b: c.payloadAtoB,
    payload_b_to_a: c.payloadBtoA,
    retransmissions: c.retransmissions,
    expert,
    handshake_rtt_ns: c.handshakeRttNs,
    syn: c.synSeen,
    fin: c.finSeen,
    rst: c.rstSeen,
  };
}

function udpRecord(c: Conversation, refSec: number, refNsec: number): Record<string, unknown> {
  return { type: 'udp', ...endpoints(c), first_frame: c.firstFrame, ...spanAndTotals(c, refSec, refNsec) };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('conversations', argv, {
    type: { type: 'string' },
    format: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('conversations: expected one CAPTURE; see `tracewire conversations --help`');
  const type = choiceOption('conversations', 'type', values.type, ['tcp', 'udp', 'all'] as const, 'all');
  const format = choiceOption('conversations', 'format', values.format, ['text', 'jsonl'] as const, 'text');
  const capture = openCapture(positionals[0]!);
  const stream = new PacketStream(capture, { udp: type !== 'tcp' });
  // On file-level damage, the conversations read so far are still printed before the error.
  let damage: unknown;
  try {
    while (stream.next() !== null);
  } catch (err) {
    damage = err;
  } finally {
    capture.close();
  }
  const out = new LineWriter();
  const wantTcp = type !== 'udp';
  const wantUdp = type !== 'tcp';
  if (format === 'text') {
    if (wantTcp) out.write(conversationTableText('TCP', stream.tcp.conversations, stream.firstSec, stream.firstNsec));
    if (wantUdp) out.write(conversationTableText('UDP', stream.udp.conversations, stream.firstSec, stream.firstNsec));
  } else {
    if (wantTcp) for (const c of stream.tcp.conversations) out.write(toJson(tcpRecord(c, stream.firstSec, stream.firstNsec)) + '\n');
    if (wantUdp) for (const c of stream.udp.conversations) out.write(toJson(udpRecord(c, stream.firstSec, stream.firstNsec)) + '\n');
  }
  out.flush();
  if (damage !== undefined) throw damage;
  return 0;
}
