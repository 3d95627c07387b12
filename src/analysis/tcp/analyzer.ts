/**
 * Streaming TCP analysis with Wireshark's semantics (tshark 4.0, default preferences):
 * conversation and stream numbering (`tcp.stream`, including reused ports), relative
 * sequence/ack numbers, calculated window (scale from the handshake), payload length,
 * every `tcp.analysis.*` expert flag, handshake RTT and per-conversation totals.
 *
 * The rules are transcribed from Wireshark's packet-tcp.c (dissect_tcp and
 * tcp_analyze_sequence_number), including its order of checks and its 32-bit
 * sequence arithmetic, because agreeing with tshark frame by frame is the contract.
 * Feed frames in capture order: `analyze(frame, summary)` returns the frame's results.
 */
import { createHash } from 'node:crypto';
import { u32 } from '../../dissect/bytes.js';
import { Proto, TcpFlag, TcpStage, type PacketSummary } from '../../dissect/summary.js';
import { Conversation } from './conversation.js';
import { TcpExpert } from './expert.js';
import { gtSeq, leSeq, ltSeq } from './seq-space.js';

const FIN = TcpFlag.FIN,
  SYN = TcpFlag.SYN,
  RST = TcpFlag.RST,
  ACK = TcpFlag.ACK;

/**
 * Wireshark's dupacknum is a guint32 that its code sets to -1 to "neutralise" a pending
 * ACKed-unseen-segment; as unsigned it is then ≥ 2, which the fast-retransmission test
 * sees. Keeping the same value keeps the same verdicts.
 */
const NEUTRALISED = 0xffffffff;

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS: beyond this, new segments are not remembered. */
const MAX_UNACKED_SEGMENTS = 1000;

/**
 * Segments not yet acknowledged (Wireshark's tcp_unacked_t list), stored flat — seq,
 * nextseq, frame, seconds, nanoseconds per segment — so that no object is allocated per
 * data segment.
 */
const UNACKED_STRIDE = 5;

/** One direction of a conversation (Wireshark's tcp_flow_t + tcp_analyze_seq_flow_info_t). */

/**
 * A time difference as Wireshark's retransmission checks compute it: in unsigned 64-bit
 * nanoseconds (guint64), so a frame stamped before the one it is compared with (capture
 * timestamps do go backwards by a microsecond now and then) is a huge delay, not a
 * negative one — never "within the out-of-order threshold".
 */
function unsignedNs(ns: number): number {
  return ns < 0 ? ns + 2 ** 64 : ns;
}

export class TcpFlowState {
  baseSeq = 0;
  baseSeqSet = false;
  /** -1 unknown, -2 known to be unused, else the shift count. */
  winScale = -1;
  /** Last raw window; starts at 0xFFFFFFFF like Wireshark's G_MAXUINT32. */
  window = 0xffffffff;
  isFirstAck = false;
  lastSegmentFlags = 0;
  /** Unacked segments, UNACKED_STRIDE numbers each, oldest first. */
  segments: number[] = [];
  nextseq = 0;
  nextseqFrame = 0;
  nextseqSec = 0;
  nextseqNsec = 0;
  maxSeqToBeAcked = 0;
  lastAck = 0;
  lastAckSec = 0;
  lastAckNsec = 0;
  lastNonDupAck = 0;
  dupAckNum = 0;
  mpOperations = 0;
  closingInitiator = false;
  mptcpHasToken = false;
  mptcpHasKey = false;
}

/** MPTCP connection state that influences duplicate-ACK detection. */
class MptcpConnection {
  operations = 0;
}

/** Totals, identity and analysis state of one TCP conversation (one `tcp.stream`). */
export class TcpConversation extends Conversation {
  readonly flow1 = new TcpFlowState();
  readonly flow2 = new TcpFlowState();
  /** Most recent SYN time and the handshake RTT (ns; 0 = none yet). */
  mruSynSec = 0;
  mruSynNsec = 0;
  firstRttNs = 0;
  completeness = 0;
  mptcp: MptcpConnection | null = null;
  /** Next conversation in the same hash bucket, and the bucket's hash. */
  hashNext: TcpConversation | null = null;
  hash = 0;

  /** Whether A is the flow1 side (Wireshark orders flows by address comparison). */
  readonly aIsFlow1: boolean;
  lastFrame: number;

  // Frames, bytes and time span (Conversation) count the frames tshark's conversation
  // table counts: complete header, not in an ICMP error.
  /** Endpoint the table calls "source": true when A, false when B, null before the first counted frame. */
  tableSourceIsA: boolean | null = null;
  /** Frame that was counted first (the table lists conversations in that order on ties). */
  firstCountedFrame = 0;
  payloadAtoB = 0;
  payloadBtoA = 0;
  /** Frames flagged as any kind of retransmission, and counts per expert bit. */
  retransmissions = 0;
  readonly expertCounts = new Map<number, number>();
  synSeen = false;
  finSeen = false;
  rstSeen = false;

  constructor(stream: number, s: PacketSummary, frame: number) {
    super(stream, s, frame);
    this.aIsFlow1 = direction(s) >= 0;
    this.lastFrame = frame;
  }

  /** Handshake RTT in ns (SYN → first pure ACK, Wireshark's iRTT), or null. */
  get handshakeRttNs(): number | null {
    return this.firstRttNs > 0 ? this.firstRttNs : null;
  }
}

/** Results for one frame (reused between frames: copy what you keep). */
export class TcpFrameInfo {
  /** tcp.stream, or -1 when the frame has no (analysable) TCP header. */
  stream = -1;
  conversation: TcpConversation | null = null;
  /** True when the frame travels from the conversation's endpoint A to B. */
  fromA = true;
  /** tcp.seq (relative when the segment length is known), tcp.ack (relative when ACK is set). */
  seq = 0;
  ack = 0;
  /** tcp.len, or -1 when unknown (fragment, ICMP error, short segment). */
  payloadLength = -1;
  /** tcp.window_size: the window scaled by the handshake's shift (raw for SYNs). */
  window = 0;
  /** Whether tcp.analysis results exist for the frame (the whole header and options were read). */
  analysed = false;
  /** TcpExpert bits (meaningful when `analysed`; fast/spurious imply retransmission, see effectiveExpertFlags). */
  expert = 0;
  dupAckNumber = 0;
  dupAckFrame = 0;
  /** Frame whose data this frame acknowledges exactly, and the delay (ns); 0 / -1 when none. */
  ackedFrame = 0;
  ackRttNs = -1;
  /** Base (initial) sequence number of the opposite direction, for relative SACK edges; -1 unknown. */
  reverseBaseSeq = -1;

  reset(): void {
    this.stream = -1;
    this.conversation = null;
    this.fromA = true;
    this.seq = 0;
    this.ack = 0;
    this.payloadLength = -1;
    this.window = 0;
    this.analysed = false;
    this.expert = 0;
    this.dupAckNumber = 0;
    this.dupAckFrame = 0;
    this.ackedFrame = 0;
    this.ackRttNs = -1;
    this.reverseBaseSeq = -1;
  }
}

/** Frame identity and time as the analyzer needs it (a `CapturedFrame` fits). */
export interface AnalyzedFrameRef {
  readonly number: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly len: number;
}

/** Wireshark's cmp_address + port tie-break: ≥ 0 means the frame goes flow1-wards. */
function direction(s: PacketSummary): number {
  const b = s.addrBuf!;
  const n = s.addrFamily === 4 ? 4 : 16;
  for (let i = 0; i < n; i++) {
    const d = b[s.addrSrcOffset + i]! - b[s.addrDstOffset + i]!;
    if (d !== 0) return d;
  }
  return s.srcPort > s.dstPort ? 1 : -1;
}

function hashEndpoint(b: Uint8Array, off: number, n: number, port: number): number {
  let h = Math.imul(port + 0x9e3779b1, 0x85ebca6b);
  for (let i = 0; i < n; i += 4) {
    h = Math.imul(h ^ u32(b, off + i), 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
  }
  return h;
}

function sameBytes(a: Uint8Array, b: Uint8Array, off: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[off + i]) return false;
  return true;
}

/** Whether `c` is the conversation of frame `s`'s 4-tuple (either direction); `n` = address bytes. */
function isTupleOf(c: TcpConversation, s: PacketSummary, n: number): boolean {
  if (c.family !== s.addrFamily) return false;
  const b = s.addrBuf!;
  if (c.portA === s.srcPort && c.portB === s.dstPort && sameBytes(c.addrA, b, s.addrSrcOffset, n) && sameBytes(c.addrB, b, s.addrDstOffset, n)) return true;
  return c.portA === s.dstPort && c.portB === s.srcPort && sameBytes(c.addrA, b, s.addrDstOffset, n) && sameBytes(c.addrB, b, s.addrSrcOffset, n);
}

/**
 * The analyzer. One per capture; frames must come in file order. Non-TCP frames may be
 * passed too (they get stream -1).
 */
export class TcpAnalyzer {
  /** Every conversation, indexed by stream number. */
  readonly conversations: TcpConversation[] = [];
  private readonly table = new Map<number, TcpConversation>();
  /** The conversation found for the previous TCP frame (the newest of its tuple). */
  private last: TcpConversation | null = null;
  private readonly mptcpTokens = new Map<number, MptcpConnection>();
  private readonly info = new TcpFrameInfo();
  private fwd!: TcpFlowState;
  private rev!: TcpFlowState;

  /** Number of streams so far. */
  get streamCount(): number {
    return this.conversations.length;
  }

  private lookup(s: PacketSummary, hash: number): TcpConversation | null {
    const n = s.addrFamily === 4 ? 4 : 16;
    // Consecutive frames usually belong to the same conversation.
    const last = this.last;
    if (last !== null && last.hash === hash && isTupleOf(last, s, n)) return last;
    for (let c = this.table.get(hash) ?? null; c; c = c.hashNext) if (isTupleOf(c, s, n)) return c;
    return null;
  }

  /** Creates a conversation and makes it the one later frames of its 4-tuple find. */
  private create(s: PacketSummary, hash: number, frame: number): TcpConversation {
    const c = new TcpConversation(this.conversations.length, s, frame);
    c.hash = hash;
    this.conversations.push(c);
    // Replace an older conversation of the same tuple in the chain (the newest wins).
    let prev: TcpConversation | null = null;
    const n = c.family === 4 ? 4 : 16;
    for (let o = this.table.get(hash) ?? null; o; prev = o, o = o.hashNext) {
      if (isTupleOf(o, s, n)) {
        c.hashNext = o.hashNext;
        if (prev) prev.hashNext = c;
        else this.table.set(hash, c);
        return c;
      }
    }
    c.hashNext = this.table.get(hash) ?? null;
    this.table.set(hash, c);
    return c;
  }

  private orient(c: TcpConversation, s: PacketSummary): void {
    if (direction(s) >= 0) {
      this.fwd = c.flow1;
      this.rev = c.flow2;
    } else {
      this.fwd = c.flow2;
      this.rev = c.flow1;
    }
  }

  /**
   * Analyses one frame (already dissected into `s`). Returns the reused TcpFrameInfo;
   * `stream` is -1 for frames without a TCP header up to the window field.
   */
  analyze(frame: AnalyzedFrameRef, s: PacketSummary): TcpFrameInfo {
    const r = this.info;
    r.reset();
    if (s.transport !== Proto.TCP || s.tcpStage < TcpStage.HEADER || s.addrFamily === 0) return r;
    const num = frame.number;
    const n = s.addrFamily === 4 ? 4 : 16;
    const hash = hashEndpoint(s.addrBuf!, s.addrSrcOffset, n, s.srcPort) ^ hashEndpoint(s.addrBuf!, s.addrDstOffset, n, s.dstPort);
    let conv = this.lookup(s, hash);
    let isNew = false;
    if (!conv) {
      conv = this.create(s, hash, num);
      isNew = true;
    }
    this.last = conv;
    this.orient(conv, s);
    const flags = s.tcpFlags;
    const seq = s.tcpSeq;
    const ack = s.tcpAck;
    let ta = 0;
    if ((flags & (SYN | ACK)) === SYN) {
      if (this.fwd.baseSeqSet) {
        if (seq !== this.fwd.baseSeq) {
          conv = this.create(s, hash, num);
          this.last = conv;
          this.orient(conv, s);
          ta |= TcpExpert.REUSED_PORTS;
          conv.completeness = 1;
        } else {
          // A retransmitted SYN: restore nextseq (a RST may have moved it, issue 17616).
          this.fwd.nextseq = this.fwd.maxSeqToBeAcked;
        }
      }
    }
    if ((flags & (SYN | ACK)) === (SYN | ACK)) {
      if (this.fwd.baseSeqSet && seq !== this.fwd.baseSeq) {
        this.fwd.baseSeq = seq;
        ta |= TcpExpert.REUSED_PORTS;
      }
    }
    const fwd = this.fwd;
    const rev = this.rev;
    conv.lastFrame = num;
    r.stream = conv.stream;
    r.conversation = conv;
    r.fromA = (direction(s) >= 0) === conv.aIsFlow1;

    const haveSeglen = !s.fragmented && !s.inError && s.tcpPayloadLength >= 0;
    const seglen = haveSeglen ? s.tcpPayloadLength : 0;
    let relSeq = seq;
    let relAck = ack;
    let window = s.tcpWindow;
    if (haveSeglen) {
      if (!fwd.baseSeqSet) {
        fwd.baseSeq = flags & SYN ? seq : (seq - 1) >>> 0;
        fwd.baseSeqSet = true;
      }
      if (!rev.baseSeqSet && flags & ACK) {
        rev.baseSeq = (ack - 1) >>> 0;
        rev.baseSeqSet = true;
      }
      ta = this.analyzeSequence(frame, conv, seq, ack, seglen, flags, s.tcpWindow, ta);
      relSeq = (seq - fwd.baseSeq) >>> 0;
      if (flags & ACK) relAck = (ack - rev.baseSeq) >>> 0;
      if (!(flags & SYN) && fwd.winScale >= 0) window = (window << fwd.winScale) >>> 0;
      r.payloadLength = seglen;
    }
    r.seq = relSeq;
    r.ack = relAck;
    r.window = window;
    if (rev.baseSeqSet) r.reverseBaseSeq = rev.baseSeq;

    if (s.tcpHeaderLength < 20) return r; // Wireshark stops at a bogus header length

    // Conversation completeness (Wireshark's tcp.completeness bits).
    if (isNew) {
      if ((flags & (SYN | ACK)) === SYN) conv.completeness |= seglen > 0 ? 1 | 16 : 1;
    } else {
      if ((flags & (SYN | ACK)) === (SYN | ACK)) conv.completeness |= 2;
      if ((flags & (SYN | ACK)) === ACK) conv.completeness |= seglen > 0 ? 8 : 4;
      if ((flags & (FIN | ACK)) === (FIN | ACK)) conv.completeness |= 16;
      if (flags & RST) conv.completeness |= 32;
    }
    if (flags & SYN) {
      conv.synSeen = true;
      if (!(flags & ACK)) {
        conv.mruSynSec = frame.tsSec;
        conv.mruSynNsec = frame.tsNsec;
      }
      fwd.isFirstAck = true;
    }
    if (flags & FIN) {
      conv.finSeen = true;
      if (!rev.closingInitiator) fwd.closingInitiator = true;
    }
    if (flags & RST) conv.rstSeen = true;
    if ((flags & (SYN | ACK)) === ACK) {
      if ((conv.mruSynSec !== 0 || conv.mruSynNsec !== 0) && conv.firstRttNs === 0) {
        conv.firstRttNs = (frame.tsSec - conv.mruSynSec) * 1e9 + (frame.tsNsec - conv.mruSynNsec);
      }
      if (fwd.isFirstAck) fwd.isFirstAck = false;
    }

    // Option effects happen while Wireshark walks the options, i.e. after the analysis above.
    if (s.tcpWindowScale >= 0) fwd.winScale = s.tcpWindowScale;
    if (s.tcpMptcp) this.mptcpOptions(s, conv);
    if (s.tcpStage < TcpStage.COMPLETE) return r;
    if (s.tcpSackShort && this.dsackProbeFails(s, haveSeglen ? relAck : ack, rev)) return r;

    r.analysed = true;
    r.expert = s.inError ? ta & TcpExpert.REUSED_PORTS : ta;
    if (flags & SYN) this.verifyWindowScaling((flags & ACK) !== 0);
    if (s.tcpMptcp && conv.mptcp) conv.mptcp.operations |= s.tcpMptcp & 0xff;

    if (!s.inError) this.count(conv, frame, r, seglen);
    return r;
  }

  /**
   * Whether Wireshark's SACK dissector throws on a short SACK option (it then shows the
   * frame as malformed and prints no analysis): its D-SACK test — the first block's right
   * edge at or below the ACK, or inside the second block — reads 8 bytes the option lacks.
   * Edges are relative to the peer's initial sequence number, the ACK as Wireshark holds it.
   */
  private dsackProbeFails(s: PacketSummary, ack: number, rev: TcpFlowState): boolean {
    const base = rev.baseSeqSet ? rev.baseSeq : 0;
    const r0 = s.tcpSackBlocksBefore >= 1 ? (s.tcpSackRight0 - base) >>> 0 : 0;
    if (leSeq(r0, ack)) return true;
    if (s.tcpSackBlocksBefore >= 2) {
      const l1 = (s.tcpSackLeft1 - base) >>> 0;
      const r1 = (s.tcpSackRight1 - base) >>> 0;
      if (ltSeq(l1, r0) && !ltSeq(r1, r0)) return true;
    }
    return false;
  }

  /** Wireshark's verify_tcp_window_scaling, run after a SYN's options. */
  private verifyWindowScaling(isSynAck: boolean): void {
    const fwd = this.fwd,
      rev = this.rev;
    if (fwd.winScale === -1) {
      fwd.winScale = -2;
      rev.winScale = -2;
    } else if (isSynAck && rev.winScale === -2) {
      fwd.winScale = -2;
    }
  }

  private count(conv: TcpConversation, frame: AnalyzedFrameRef, r: TcpFrameInfo, seglen: number): void {
    const fromA = r.fromA;
    if (conv.tableSourceIsA === null) {
      conv.tableSourceIsA = fromA;
      conv.firstCountedFrame = frame.number;
    }
    conv.countFrame(fromA, frame.tsSec, frame.tsNsec, frame.len);
    if (fromA) conv.payloadAtoB += seglen;
    else conv.payloadBtoA += seglen;
    const e = r.expert;
    if (e) {
      if (e & (TcpExpert.RETRANSMISSION | TcpExpert.FAST_RETRANSMISSION | TcpExpert.SPURIOUS_RETRANSMISSION)) conv.retransmissions++;
      for (let bit = 1; bit <= TcpExpert.REUSED_PORTS; bit <<= 1) if (e & bit) conv.expertCounts.set(bit, (conv.expertCounts.get(bit) ?? 0) + 1);
    }
  }

  /** MPTCP option effects on connection identity (tokens shared by subflows). */
  private mptcpOptions(s: PacketSummary, conv: TcpConversation): void {
    const m = s.tcpMptcp;
    const fwd = this.fwd,
      rev = this.rev;
    // Subtypes beyond MP_JOIN create the connection state if none exists yet.
    if (!conv.mptcp && m & ~0x3) conv.mptcp = new MptcpConnection();
    if (m & 1 && s.tcpMptcpKeyHi >= 0) {
      this.mptcpFromKey(conv, fwd, s.tcpMptcpVersion, s.tcpMptcpKeyHi, s.tcpMptcpKeyLo);
      if (s.tcpMptcpRecvKeyHi >= 0 && !rev.mptcpHasKey) this.mptcpFromKey(conv, rev, s.tcpMptcpVersion, s.tcpMptcpRecvKeyHi, s.tcpMptcpRecvKeyLo);
    }
    if (m & 2) {
      if (s.tcpMptcpJoinLength === 12 && s.tcpMptcpToken >= 0) this.mptcpFromToken(conv, rev, s.tcpMptcpToken);
      else if (!conv.mptcp) conv.mptcp = new MptcpConnection();
    }
  }

  private mptcpFromKey(conv: TcpConversation, flow: TcpFlowState, version: number, hi: number, lo: number): void {
    if (flow.mptcpHasKey) return;
    const key = Buffer.alloc(8);
    key.writeUInt32BE(hi >>> 0, 0);
    key.writeUInt32BE(lo >>> 0, 4);
    const digest = createHash(version === 0 ? 'sha1' : 'sha256').update(key).digest();
    this.mptcpFromToken(conv, flow, digest.readUInt32BE(0));
    flow.mptcpHasKey = true;
  }

  private mptcpFromToken(conv: TcpConversation, flow: TcpFlowState, token: number): void {
    if (flow.mptcpHasToken && conv.mptcp) return;
    const known = this.mptcpTokens.get(token);
    if (known) {
      conv.mptcp = known;
    } else {
      conv.mptcp ??= new MptcpConnection();
      this.mptcpTokens.set(token, conv.mptcp);
    }
    flow.mptcpHasToken = true;
  }

  /** Wireshark's tcp_analyze_sequence_number; returns the frame's expert bits. */
  private analyzeSequence(frame: AnalyzedFrameRef, conv: TcpConversation, seq: number, ack: number, seglen: number, flags: number, window: number, ta: number): number {
    const fwd = this.fwd;
    const rev = this.rev;
    const r = this.info;
    const num = frame.number;
    const sec = frame.tsSec,
      nsec = frame.tsNsec;

    fwdChecks: {
      // ZERO WINDOW PROBE: the next expected byte, alone, into a zero window.
      if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
        ta |= TcpExpert.ZERO_WINDOW_PROBE;
        break fwdChecks;
      }
      // ZERO WINDOW
      if (window === 0 && (flags & (RST | FIN | SYN)) === 0) ta |= TcpExpert.ZERO_WINDOW;
      // LOST PACKET: beyond the highest sequence seen.
      if (fwd.nextseq && gtSeq(seq, fwd.nextseq) && (flags & RST) === 0) ta |= TcpExpert.LOST_SEGMENT;
      // KEEP ALIVE: 0 or 1 byte starting one byte before the next expected.
      if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextseq - 1) >>> 0) && (flags & (SYN | FIN | RST)) === 0) ta |= TcpExpert.KEEP_ALIVE;
      // WINDOW UPDATE: no data, same seq/ack, new window.
      if (seglen === 0 && window && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastAck && (flags & (SYN | FIN | RST)) === 0) ta |= TcpExpert.WINDOW_UPDATE;
      // WINDOW FULL: data up to the edge of the receiver's advertised window.
      if (seglen > 0 && rev.winScale !== -1 && (flags & (SYN | FIN | RST)) === 0) {
        const shift = rev.isFirstAck ? 0 : rev.winScale === -2 ? 0 : rev.winScale;
        if (((seq + seglen) >>> 0) === ((rev.lastAck + ((rev.window << shift) >>> 0)) >>> 0)) ta |= TcpExpert.WINDOW_FULL;
      }
      // KEEP ALIVE ACK
      if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastAck && rev.lastSegmentFlags & TcpExpert.KEEP_ALIVE && (flags & (SYN | FIN | RST)) === 0) {
        ta |= TcpExpert.KEEP_ALIVE_ACK;
        break fwdChecks;
      }
      // ZERO WINDOW PROBE ACK
      if (seglen === 0 && window === 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastAck && rev.lastSegmentFlags & TcpExpert.ZERO_WINDOW_PROBE && (flags & (SYN | FIN | RST)) === 0) {
        ta |= TcpExpert.ZERO_WINDOW_PROBE_ACK;
        break fwdChecks;
      }
      // DUPLICATE ACK
      if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastAck && (flags & (SYN | FIN | RST)) === 0) {
        if (conv.mptcp && conv.mptcp.operations !== fwd.mpOperations) {
          // MPTCP tolerates duplicate ACKs when its options change (RFC 8684 §4).
        } else {
          fwd.dupAckNum = fwd.dupAckNum === NEUTRALISED ? 1 : (fwd.dupAckNum + 1) >>> 0;
          ta |= TcpExpert.DUPLICATE_ACK;
          r.dupAckNumber = fwd.dupAckNum;
          r.dupAckFrame = fwd.lastNonDupAck;
        }
      }
    }
    // finished_fwd: a new ACK number resets the duplicate-ACK counters.
    if (ack !== fwd.lastAck) {
      fwd.lastNonDupAck = num;
      fwd.dupAckNum = 0;
    }
    // ACKED LOST PACKET: acknowledges beyond what the other side was seen to send.
    if (rev.maxSeqToBeAcked && gtSeq(ack, rev.maxSeqToBeAcked) && (flags & ACK) !== 0) {
      if (ltSeq(rev.maxSeqToBeAcked, rev.nextseq)) {
        rev.maxSeqToBeAcked = rev.nextseq;
        ta |= TcpExpert.ACK_LOST_SEGMENT;
      } else {
        if (rev.dupAckNum === 0) ta |= TcpExpert.ACK_LOST_SEGMENT;
        rev.dupAckNum = NEUTRALISED;
      }
    }
    // RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER
    if (seglen > 0 || flags & (SYN | FIN)) {
      retrans: {
        let seqNotAdvanced = fwd.nextseq !== 0 && ltSeq(seq, fwd.nextseq);
        if (ta & TcpExpert.KEEP_ALIVE) break retrans;
        // One byte less than expected with more than one byte: new data after a zero window probe.
        if (seglen > 1 && ((fwd.nextseq - 1) >>> 0) === seq) seqNotAdvanced = false;
        if (seglen > 0 && rev.lastAck && leSeq((seq + seglen) >>> 0, rev.lastAck)) {
          ta |= TcpExpert.SPURIOUS_RETRANSMISSION;
          break retrans;
        }
        const sinceDupAck = unsignedNs((sec - rev.lastAckSec) * 1e9 + (nsec - rev.lastAckNsec));
        if (seqNotAdvanced && rev.dupAckNum >= 2 && rev.lastAck === seq && sinceDupAck < 20_000_000) {
          ta |= TcpExpert.FAST_RETRANSMISSION;
          break retrans;
        }
        const sinceNext = unsignedNs((sec - fwd.nextseqSec) * 1e9 + (nsec - fwd.nextseqNsec));
        const oooThreshold = conv.firstRttNs === 0 ? 3_000_000 : unsignedNs(conv.firstRttNs);
        if (seqNotAdvanced && sinceNext < oooThreshold && fwd.nextseq !== ((seq + seglen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0)) {
          ta |= TcpExpert.OUT_OF_ORDER;
          break retrans;
        }
        if (seqNotAdvanced) ta |= TcpExpert.RETRANSMISSION;
      }
    }
    // Remember the segment and the highest sequence number seen.
    let nextseq = (seq + seglen) >>> 0;
    if ((seglen || flags & (SYN | FIN)) && fwd.segments.length < MAX_UNACKED_SEGMENTS * UNACKED_STRIDE) {
      if (flags & (SYN | FIN)) nextseq = (nextseq + 1) >>> 0;
      fwd.segments.push(seq, nextseq, num, sec, nsec);
    }
    if (gtSeq(nextseq, fwd.nextseq) || !fwd.nextseq) {
      if (!(ta & TcpExpert.ZERO_WINDOW_PROBE)) {
        fwd.nextseq = nextseq;
        fwd.nextseqFrame = num;
        fwd.nextseqSec = sec;
        fwd.nextseqNsec = nsec;
      }
    }
    if (seq === fwd.maxSeqToBeAcked || !fwd.maxSeqToBeAcked) {
      if (!(ta & TcpExpert.ZERO_WINDOW_PROBE)) fwd.maxSeqToBeAcked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckSec = sec;
    fwd.lastAckNsec = nsec;
    if (conv.mptcp) fwd.mpOperations = conv.mptcp.operations;
    fwd.lastSegmentFlags = ta;

    // Drop the other direction's segments this ACK covers (Wireshark walks newest first).
    const segs = rev.segments;
    if (segs.length) {
      let keep = 0;
      for (let i = 0; i < segs.length; i += UNACKED_STRIDE) {
        let useq = segs[i]!;
        const unext = segs[i + 1]!;
        if (ack === unext) {
          const frameNo = segs[i + 2]!;
          if (r.ackedFrame === 0 || frameNo < r.ackedFrame) {
            r.ackedFrame = frameNo;
            r.ackRttNs = (sec - segs[i + 3]!) * 1e9 + (nsec - segs[i + 4]!);
          }
          continue;
        }
        if (gtSeq(ack, useq) && leSeq(ack, unext)) {
          useq = ack;
        } else if (!gtSeq(unext, ack)) {
          continue;
        }
        segs[keep] = useq;
        segs[keep + 1] = unext;
        segs[keep + 2] = segs[i + 2]!;
        segs[keep + 3] = segs[i + 3]!;
        segs[keep + 4] = segs[i + 4]!;
        keep += UNACKED_STRIDE;
      }
      segs.length = keep;
    }
    return ta;
  }
}
