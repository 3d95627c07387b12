/**
 * UDP conversations as tshark's `-z conv,udp` counts them: one per address/port pair
 * (either direction), in order of first appearance; the first frame's sender is the
 * "source". Datagrams quoted inside ICMP errors are not traffic and are not counted.
 */
import { formatIpAt } from '../../dissect/bytes.js';
import { Proto, type PacketSummary } from '../../dissect/summary.js';
import type { AnalyzedFrameRef } from './analyzer.js';

export class UdpConversation {
  framesAtoB = 0;
  framesBtoA = 0;
  bytesAtoB = 0;
  bytesBtoA = 0;
  startSec = 0;
  startNsec = 0;
  endSec = 0;
  endNsec = 0;

  constructor(
    /** Index in order of first appearance (tshark's udp.stream). */
    readonly stream: number,
    readonly family: 4 | 6,
    readonly addrA: Uint8Array,
    readonly addrB: Uint8Array,
    readonly portA: number,
    readonly portB: number,
    readonly firstFrame: number,
  ) {}

  get addressA(): string {
    return formatIpAt(this.family, this.addrA, 0);
  }

  get addressB(): string {
    return formatIpAt(this.family, this.addrB, 0);
  }

  get durationNs(): number {
    return (this.endSec - this.startSec) * 1e9 + (this.endNsec - this.startNsec);
  }
}

export class UdpConversationTable {
  readonly conversations: UdpConversation[] = [];
  private readonly byKey = new Map<string, UdpConversation>();

  /** Counts one dissected frame (ignored unless it carries a UDP header outside an ICMP error). */
  add(frame: AnalyzedFrameRef, s: PacketSummary): UdpConversation | undefined {
    if (s.transport !== Proto.UDP || s.srcPort < 0 || s.inError || s.addrFamily === 0) return undefined;
    const n = s.addrFamily === 4 ? 4 : 16;
    const b = s.addrBuf!;
    const src = b.subarray(s.addrSrcOffset, s.addrSrcOffset + n).join('.');
    const dst = b.subarray(s.addrDstOffset, s.addrDstOffset + n).join('.');
    const fwdKey = `${s.addrFamily}|${src}|${s.srcPort}|${dst}|${s.dstPort}`;
    let c = this.byKey.get(fwdKey);
    let fromA = true;
    if (!c) {
      c = this.byKey.get(`${s.addrFamily}|${dst}|${s.dstPort}|${src}|${s.srcPort}`);
      fromA = false;
    }
    if (!c) {
      c = new UdpConversation(this.conversations.length, s.addrFamily as 4 | 6, b.slice(s.addrSrcOffset, s.addrSrcOffset + n), b.slice(s.addrDstOffset, s.addrDstOffset + n), s.srcPort, s.dstPort, frame.number);
      this.conversations.push(c);
      this.byKey.set(fwdKey, c);
      fromA = true;
      c.startSec = c.endSec = frame.tsSec;
      c.startNsec = c.endNsec = frame.tsNsec;
    } else if (frame.tsSec > c.endSec || (frame.tsSec === c.endSec && frame.tsNsec > c.endNsec)) {
      c.endSec = frame.tsSec;
      c.endNsec = frame.tsNsec;
    } else if (frame.tsSec < c.startSec || (frame.tsSec === c.startSec && frame.tsNsec < c.startNsec)) {
      c.startSec = frame.tsSec;
      c.startNsec = frame.tsNsec;
    }
    if (fromA) {
      c.framesAtoB++;
      c.bytesAtoB += frame.len;
    } else {
      c.framesBtoA++;
      c.bytesBtoA += frame.len;
    }
    return c;
  }
}
