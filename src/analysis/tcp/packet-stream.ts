/**
 * Capture → dissection → TCP analysis, one frame at a time. This is the pipeline every
 * packet command (and the correlation engine) runs; it keeps memory bounded by reusing
 * its per-frame objects.
 */
import type { Capture, CaptureInterface, CapturedFrame } from '../../pcap/index.js';
import { Dissector } from '../../dissect/dissector.js';
import { Proto, type PacketSummary } from '../../dissect/summary.js';
import { ArpDuplicates } from './arp.js';
import { TcpAnalyzer, type TcpFrameInfo } from './analyzer.js';
import { UdpConversationTable, type UdpConversation } from './udp-conversations.js';

/** One analysed frame. The object and its parts are reused: copy what you keep. */
export interface AnalyzedPacket {
  frame: CapturedFrame;
  iface: CaptureInterface;
  summary: PacketSummary;
  tcp: TcpFrameInfo;
  /** The UDP conversation of the frame, when it carries UDP. */
  udp: UdpConversation | undefined;
  /** For ARP frames: the IPv4 address (32-bit value) Wireshark reports as used by two MACs, else -1. */
  arpDuplicate: number;
  /** Time of the capture's first frame (the reference of relative times). */
  refSec: number;
  refNsec: number;
}

export interface PacketStreamOptions {
  /** Also tally UDP conversations (default true). */
  udp?: boolean;
}

/**
 * Runs the pipeline over a capture. Iterate `packets()` once; afterwards `tcp` holds every
 * TCP conversation (`tcp.conversations`) and `udp` every UDP conversation.
 */
export class PacketStream {
  readonly dissector = new Dissector();
  readonly tcp = new TcpAnalyzer();
  readonly udp = new UdpConversationTable();
  readonly arp = new ArpDuplicates();
  /** Time of the first frame (seconds, ns), the reference of relative times. */
  firstSec = 0;
  firstNsec = 0;
  frameCount = 0;

  constructor(
    readonly capture: Capture,
    private readonly options: PacketStreamOptions = {},
  ) {}

  /** Iterates the analysed packets (once). */
  *packets(): Iterable<AnalyzedPacket> {
    try {
      for (let p = this.next(); p !== null; p = this.next()) yield p;
    } finally {
      this.capture.close();
    }
  }

  private event: AnalyzedPacket | undefined;

  /** The next analysed packet (the same reused object each time), or null at the end. */
  next(): AnalyzedPacket | null {
    const cap = this.capture;
    const frame = cap.next();
    if (frame === null) return null;
    const d = this.dissector;
    const s = d.s;
    const iface = cap.interfaces[frame.interfaceId]!;
    if (this.frameCount++ === 0) {
      this.firstSec = frame.tsSec;
      this.firstNsec = frame.tsNsec;
    }
    d.decode(frame, iface.linkType, s);
    if (frame.damage) s.markMalformed(frame.damage);
    const info = this.tcp.analyze(frame, s);
    const u = this.options.udp === false ? undefined : this.udp.add(frame, s);
    const arpDuplicate = s.findLayer(Proto.ARP) >= 0 ? this.arp.check(s) : -1;
    let e = this.event;
    if (e) {
      e.frame = frame;
      e.iface = iface;
      e.tcp = info;
      e.udp = u;
      e.arpDuplicate = arpDuplicate;
    } else this.event = e = { frame, iface, summary: s, tcp: info, udp: u, arpDuplicate, refSec: this.firstSec, refNsec: this.firstNsec };
    return e;
  }
}
