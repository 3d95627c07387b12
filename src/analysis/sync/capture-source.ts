/**
 * Packet observations from a capture file (a tracewire bundle's capture.pcapng), on the
 * bundle's trace clock: trace_ns = pcap_ns − pcap_to_trace_offset_ns (bundle.json).
 *
 * Direction of each frame: Linux "cooked" captures (tcpdump -i any: SLL/SLL2) say it in
 * their packet type (OUTGOING = we sent it, HOST = addressed to us); for other link
 * types the host's own addresses (bundle.json `netns[].interfaces[].addresses`) decide:
 * from us → send, to us → receive. Frames that are neither (promiscuous captures of
 * others' traffic), non-TCP frames and fragments are skipped.
 */
import { Dissector } from '../../dissect/dissector.js';
import { Proto, TcpStage } from '../../dissect/summary.js';
import { openCapture } from '../../pcap/index.js';
import { LinkType } from '../../pcap/link-types.js';
import type { PacketDirection } from './packet-matcher.js';
import { ipSegmentKey } from './packet-sources.js';

/** A timed packet identity from a capture (host index added by the caller). */
export interface CapturedSegment {
  readonly ts: bigint;
  readonly direction: PacketDirection;
  readonly key: string;
}

/** SLL packet types (linux/if_packet.h). */
const PACKET_HOST = 0;
const PACKET_OUTGOING = 4;

/** Expands an address (`10.77.0.1`, `fe80::1`, optionally with `/prefix`) to the key's text form. */
export function normaliseAddress(text: string): string | null {
  const a = text.split('/')[0]!.split('%')[0]!;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) return a.split('.').map((x) => String(Number(x))).join('.');
  if (!a.includes(':')) return null;
  let words: string[];
  const [head, tail] = a.split('::') as [string, string | undefined];
  const headWords = head ? head.split(':') : [];
  if (tail === undefined) words = headWords;
  else {
    const tailWords = tail ? tail.split(':') : [];
    words = [...headWords, ...Array<string>(8 - headWords.length - tailWords.length).fill('0'), ...tailWords];
  }
  if (words.length !== 8 || words.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return null;
  return words.map((w) => parseInt(w, 16).toString(16)).join(':');
}

function addressAt(b: Uint8Array, off: number, family: number): string {
  if (family === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[off + i]! << 8) | b[off + i + 1]!).toString(16));
  return words.join(':');
}

/**
 * Reads every TCP segment of the capture at `path` and returns them sorted by trace
 * time. `pcapToTraceOffset` is subtracted from each frame's timestamp; `localAddresses`
 * (normalised, see normaliseAddress) decide the direction where the link type cannot.
 * Throws the capture reader's FormatError on a damaged file.
 */
export function readCapturedSegments(path: string, pcapToTraceOffset: bigint, localAddresses: ReadonlySet<string>): CapturedSegment[] {
  const cap = openCapture(path);
  const dissector = new Dissector();
  const out: CapturedSegment[] = [];
  try {
    for (const frame of cap.frames()) {
      const linkType = cap.interfaces[frame.interfaceId]?.linkType ?? -1;
      const s = dissector.decode(frame, linkType);
      if (s.transport !== Proto.TCP || s.inError || s.tcpStage < TcpStage.HEADER || s.addrBuf === null) continue;
      const src = addressAt(s.addrBuf, s.addrSrcOffset, s.addrFamily);
      const dst = addressAt(s.addrBuf, s.addrDstOffset, s.addrFamily);
      let direction: PacketDirection | null = null;
      const d = frame.data;
      let packetType = -1;
      if (linkType === LinkType.LINUX_SLL && d.length >= 2) packetType = (d[0]! << 8) | d[1]!;
      else if (linkType === LinkType.LINUX_SLL2 && d.length >= 11) packetType = d[10]!;
      if (packetType === PACKET_OUTGOING) direction = 'send';
      else if (packetType === PACKET_HOST) direction = 'receive';
      else if (packetType === -1) {
        const fromUs = localAddresses.has(src);
        const toUs = localAddresses.has(dst);
        if (fromUs !== toUs) direction = fromUs ? 'send' : 'receive';
      }
      if (direction === null) continue;
      out.push({ ts: frame.ts - pcapToTraceOffset, direction, key: ipSegmentKey(src, s.srcPort, dst, s.dstPort, s.tcpSeq, s.tcpAck, s.tcpFlags) });
    }
  } finally {
    cap.close();
  }
  // tcpdump writes frames as it reads them from several interfaces: nearly, not exactly, in time order.
  return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}
