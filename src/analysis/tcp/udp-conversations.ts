/**
 * UDP conversations as tshark's `-z conv,udp` counts them: one per address/port pair
 * (either direction), in order of first appearance; the first frame's sender is the
 * "source". Datagrams quoted inside ICMP errors are not traffic and are not counted.
 */
import { Proto, type PacketSummary } from '../../dissect/summary.js';
import type { AnalyzedFrameRef } from './analyzer.js';
import { Conversation } from './conversation.js';

/** One UDP conversation (udp.stream): endpoints, frames and bytes each way, time span. */
export class UdpConversation extends Conversation {}

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
      c = new UdpConversation(this.conversations.length, s, frame.number);
      this.conversations.push(c);
      this.byKey.set(fwdKey, c);
      fromA = true;
    }
    c.countFrame(fromA, frame.tsSec, frame.tsNsec, frame.len);
    return c;
  }
}
