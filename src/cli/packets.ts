/**
 * `tracewire packets CAPTURE` — one line per frame like tshark's default output, or the
 * pcap-oracle JSON records with `--format jsonl`; `--filter` keeps the frames a display
 * filter accepts. CAPTURE is a pcap/pcapng file or a bundle directory.
 *
 * The text columns are a list (`packetColumns`) so callers can add their own, e.g. the
 * process that sent each packet of a bundle: `printPackets(path, { extraColumns })`.
 */
import { choiceOption, intOption, parseCommandArgs } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { LineWriter } from '../base/output.js';
import { defaultColumns, renderLine, timeDigits, type PacketColumn } from '../analysis/tcp/packet-columns.js';
import { packetFields } from '../analysis/tcp/packet-fields.js';
import { PacketRecordEncoder } from '../analysis/tcp/packet-record-encoder.js';
import { PacketStream, type AnalyzedPacket } from '../analysis/tcp/packet-stream.js';
import { compileFilter, FILTER_HELP, type CompiledFilter } from '../filter/index.js';
import { packetProcessColumn } from '../analysis/correlate/annotations.js';
import { openCapture, type Capture } from '../pcap/index.js';

export const help = `Usage: tracewire packets CAPTURE [--format text|jsonl] [--filter EXPR] [--count N]

Prints the frames of a pcap or pcapng capture (or of a bundle directory's
capture.pcapng), dissected (Ethernet/VLAN, Linux cooked v1/v2, loopback, raw IP,
IPv4 with reassembly, IPv6 with extension headers, TCP, UDP, ICMP, ICMPv6) and
analysed like Wireshark (tcp.stream, relative seq/ack, calculated window, expert flags).

Options:
  --format text    one line per frame like tshark: No. Time Source → Destination
                   Protocol Length Info (default); for a bundle with a kernel trace,
                   a Process column (process[pid] fd the frame belongs to)
  --format jsonl   one JSON object per frame, exactly pcap-oracle's record:
                   frame ts len caplen src dst proto sport dport tcp{stream flags seq ack
                   seq_raw ack_raw payload win analysis}
  --filter EXPR    print only frames matching the display filter (see below)
  -c, --count N    stop after N printed frames

Damage: a file whose structure is broken (bad magic, a block running past the end,
an absurd length) ends with one error line naming the byte offset and exit status 2,
after every good frame before it was printed; a damaged frame is printed as tshark
prints it ([Malformed Packet], or its wording of a bogus length) and reading goes on.

${FILTER_HELP}
`;

export interface PrintPacketsOptions {
  format?: 'text' | 'jsonl';
  filter?: string;
  count?: number;
  /** Text columns added after the defaults' Protocol column (e.g. a process column). */
  extraColumns?: readonly PacketColumn[];
  /** File descriptor the output goes to (default 1, stdout). */
  fd?: number;
}

/** The text columns for a capture: tshark's defaults plus `extra` before Length/Info. */
export function packetColumns(capture: Capture, extra: readonly PacketColumn[] = []): PacketColumn[] {
  const digits = capture.interfaces.map((i) => timeDigits(i.unitsPerSecond));
  const cols = defaultColumns((p) => digits[p.frame.interfaceId] ?? 6);
  if (extra.length) cols.splice(5, 0, ...extra);
  return cols;
}

/** Prints the packets of `path` (a capture file or bundle directory). Returns frames printed. */
export function printPackets(path: string, options: PrintPacketsOptions = {}): number {
  const filter: CompiledFilter<AnalyzedPacket> | undefined = options.filter !== undefined ? compileFilter(options.filter, (n) => packetFields().get(n)) : undefined;
  const capture = openCapture(path);
  const out = new LineWriter(options.fd ?? 1);
  const records = new PacketRecordEncoder(options.fd ?? 1);
  const limit = options.count ?? Infinity;
  let printed = 0;
  try {
    const stream = new PacketStream(capture);
    if (options.format === 'jsonl') {
      for (let p = stream.next(); p !== null; p = stream.next()) {
        if (filter && !filter(p)) continue;
        records.write(p.frame, p.summary, p.tcp);
        if (++printed >= limit) break;
      }
    } else {
      const columns = packetColumns(capture, options.extraColumns);
      for (let p = stream.next(); p !== null; p = stream.next()) {
        if (filter && !filter(p)) continue;
        out.write(renderLine(columns, p) + '\n');
        if (++printed >= limit) break;
      }
    }
  } finally {
    records.flush();
    out.flush();
    capture.close();
  }
  return printed;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('packets', argv, {
    format: { type: 'string' },
    filter: { type: 'string' },
    count: { type: 'string', short: 'c' },
  });
  if (positionals.length !== 1) throw new UsageError('packets: expected one CAPTURE (a pcap/pcapng file or bundle directory); see `tracewire packets --help`');
  const format = choiceOption('packets', 'format', values.format, ['text', 'jsonl'] as const, 'text');
  // A bundle's frames get a Process column from the packet ↔ kernel correlation.
  const processColumn = format === 'text' ? packetProcessColumn(positionals[0]!) : null;
  printPackets(positionals[0]!, {
    format,
    filter: values.filter,
    count: intOption('packets', 'count', values.count),
    extraColumns: processColumn ? [processColumn] : undefined,
  });
  return 0;
}
