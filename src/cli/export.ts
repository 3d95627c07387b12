/**
 * `tracewire export BUNDLE -o OUT.pcapng` — the bundle's packets as pcapng, each frame
 * annotated with the process and file descriptor it belongs to and the kernel event of
 * its capture point (Wireshark shows them as packet comments: `frame.comment`).
 */
import { parseCommandArgs } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { openDataset } from '../bundle/dataset.js';
import { analyzeDataset } from '../analysis/correlate/index.js';
import { frameComments } from '../analysis/correlate/annotations.js';
import { openCapture, PcapngWriter } from '../pcap/index.js';

export const help = `Usage: tracewire export BUNDLE -o OUT.pcapng [--no-kernel-comment]

Writes the packets of a bundle (or of a kernel trace plus a capture) as pcapng, every
frame unchanged (bytes, timestamps, interfaces, flags, existing comments) plus packet
comments from the packet ↔ kernel correlation:

  process=ncat pid=4242 fd=4 (socket 4-tuple)
  kernel: net_dev_queue 12:42:40.728679803 cpu1 skb 0xffff8881… on veth0 in sendto(4) of ncat[4242]

Wireshark shows them in the packet details (pkt_comment) and as the column
frame.comment: tshark -r OUT.pcapng -T fields -e frame.comment

Options:
  -o, --output FILE       the pcapng file to write (required)
      --no-kernel-comment only the process/fd comment
`;

/** Runs `tracewire export` (see `help`). */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('export', argv, {
    output: { type: 'string', short: 'o' },
    'no-kernel-comment': { type: 'boolean' },
  });
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('export: expected BUNDLE (or TRACE CAPTURE); see `tracewire export --help`');
  if (!values.output) throw new UsageError('export: -o OUT.pcapng is required');
  const ds = openDataset(positionals);
  if (!ds.capturePath) throw new UsageError(`export: ${positionals.join(' ')} has no capture to export`);
  const corr = analyzeDataset(ds).correlation;
  const capture = openCapture(ds.capturePath);
  const out = new PcapngWriter(values.output, {
    comments: [`exported by tracewire from ${ds.bundleDir ?? ds.capturePath}: packet comments give the process/fd and kernel event of each frame`],
    ...(capture.sectionInfo.hardware ? { hardware: capture.sectionInfo.hardware } : {}),
    ...(capture.sectionInfo.os ? { os: capture.sectionInfo.os } : {}),
  });
  let attributed = 0;
  try {
    let declared = 0;
    for (const f of capture.frames()) {
      // Interfaces may be declared between packets: mirror them in order.
      while (declared < capture.interfaces.length) out.addInterface(capture.interfaces[declared++]!);
      let comments = frameComments(corr.frames.get(f.number));
      if (values['no-kernel-comment']) comments = comments.filter((c) => !c.startsWith('kernel:'));
      if (comments.some((c) => c.startsWith('process='))) attributed++;
      out.writeFrame({
        interfaceId: f.interfaceId,
        data: f.data,
        len: f.len,
        tsSec: f.tsSec,
        tsNsec: f.tsNsec,
        tsHigh: f.tsHigh,
        tsLow: f.tsLow,
        flags: f.flags,
        otherOptions: f.otherOptions,
        comments: [...f.comments, ...comments],
      });
    }
  } finally {
    out.close();
    capture.close();
  }
  process.stderr.write(`export: ${out.frameCount} frames to ${values.output}, ${attributed} attributed to a process\n`);
  return 0;
}
