/**
 * `tracewire follow CAPTURE --stream N [--hex]` — the reassembled payload of a TCP
 * stream, both directions interleaved, exactly like `tshark -q -z follow,tcp,ascii,N`
 * (or `hex`). `--raw` writes only node 0 → node 1 or node 1 → node 0 bytes, unframed.
 */
import { intOption, parseCommandArgs, choiceOption } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { writeFully } from '../base/output.js';
import { TcpFollower, formatFollowAscii, formatFollowHex } from '../analysis/tcp/follow.js';
import { PacketStream } from '../analysis/tcp/packet-stream.js';
import { openCapture } from '../pcap/index.js';

export const help = `Usage: tracewire follow CAPTURE --stream N [--hex | --raw DIRECTION]

Prints the payload of TCP stream N (tcp.stream, as in \`tracewire packets\`) in order,
both directions interleaved, like Wireshark's Follow TCP Stream and exactly like
\`tshark -q -z follow,tcp,ascii,N\`: a header naming node 0 (the first sender) and
node 1, then each chunk's length (indented by a tab for node 1) and its text, with
unprintable bytes as '.'. Retransmitted bytes appear once; out-of-order segments are
put in place; bytes the capture missed but the peer acknowledged show as
"[N bytes missing in capture file]".

Options:
  --stream N       the TCP stream (required)
  --hex            hex dump instead of text (like follow,tcp,hex)
  --raw 0|1        write only the bytes sent by node 0 (or 1), nothing else
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('follow', argv, {
    stream: { type: 'string', short: 's' },
    hex: { type: 'boolean' },
    raw: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('follow: expected one CAPTURE; see `tracewire follow --help`');
  const n = intOption('follow', 'stream', values.stream);
  if (n === undefined) throw new UsageError('follow: --stream N is required');
  const raw = values.raw === undefined ? undefined : choiceOption('follow', 'raw', values.raw, ['0', '1'] as const, '0');
  if (raw !== undefined && values.hex) throw new UsageError('follow: --hex and --raw exclude each other');
  const capture = openCapture(positionals[0]!);
  const follower = new TcpFollower(n);
  const stream = new PacketStream(capture, { udp: false });
  try {
    for (let p = stream.next(); p !== null; p = stream.next()) follower.add(p);
  } finally {
    capture.close();
  }
  if (n >= stream.tcp.streamCount) throw new UsageError(`follow: the capture has ${stream.tcp.streamCount} TCP stream(s); there is no stream ${n}`);
  if (raw !== undefined) {
    for (const c of follower.chunks) if (c.fromServer === (raw === '1')) writeFully(1, c.data);
    return 0;
  }
  const node = (addr: string, port: number, v6: boolean) => (v6 ? `[${addr}]:${port}` : `${addr}:${port}`);
  const v6 = follower.clientFamily === 6;
  const sep = '===================================================================';
  let text = `\n${sep}\nFollow: tcp,${values.hex ? 'hex' : 'ascii'}\nFilter: tcp.stream eq ${n}\n`;
  text += `Node 0: ${follower.clientPort ? node(follower.clientAddress, follower.clientPort, v6) : ':0'}\n`;
  text += `Node 1: ${follower.clientPort ? node(follower.serverAddress, follower.serverPort, v6) : ':0'}\n`;
  text += values.hex ? formatFollowHex(follower.chunks) : formatFollowAscii(follower.chunks);
  text += `${sep}\n`;
  writeFully(1, Buffer.from(text, 'latin1'));
  return 0;
}
