/**
 * The per-frame JSON record of `tracewire packets --format jsonl`, byte for byte the
 * record pcap-oracle derives from tshark: which fields exist follows from how far tshark
 * could read each header (see TcpStage), and addresses are the first IPv4 layer's, else
 * the first IPv6 layer's.
 *
 * Written straight into a byte buffer, without building a string per frame: this is
 * what makes `packets --format jsonl` faster than `tcpdump -r` — no per-frame garbage,
 * no UTF-8 re-encoding, digits written in place. `packetRecordJson` returns the same
 * bytes as a string.
 */
import { writeFully } from '../../base/output.js';
import { formatIpv6At, u32 } from '../../dissect/bytes.js';
import { Proto, TcpFlag, TcpStage, type PacketSummary } from '../../dissect/summary.js';
import type { CapturedFrame } from '../../pcap/index.js';
import type { TcpConversation, TcpFrameInfo } from './analyzer.js';
import { EXPERT_FIELDS, effectiveExpertFlags } from './expert.js';

const enc = new TextEncoder();
const B = (s: string): Uint8Array => enc.encode(s);

const K_FRAME = B('{"frame":');
const K_TS = B(',"ts":"');
const K_LEN = B('","len":');
const K_CAPLEN = B(',"caplen":');
const K_SRC = B(',"src":');
const K_DST = B(',"dst":');
const K_PROTO = B(',"proto":');
const K_SPORT = B(',"sport":');
const K_DPORT = B(',"dport":');
const K_TCP = B(',"tcp":');
const K_STREAM = B('{"stream":');
const K_FLAGS = B(',"flags":');
const K_SEQ = B(',"seq":');
const K_ACK = B(',"ack":');
const K_SEQ_RAW = B(',"seq_raw":');
const K_ACK_RAW = B(',"ack_raw":');
const K_PAYLOAD = B(',"payload":');
const K_WIN = B(',"win":');
const K_ANALYSIS = B(',"analysis":');
const K_END_TCP = B('}}\n');
const K_END = B('}\n');
const NULL = B('null');
const PROTO_BYTES: Record<string, Uint8Array> = { tcp: B('"tcp"'), udp: B('"udp"'), icmp: B('"icmp"'), icmpv6: B('"icmpv6"'), sctp: B('"sctp"'), gre: B('"gre"'), esp: B('"esp"') };

const SIZE = 1 << 20;

/** "00" … "99" as ASCII pairs, for writing two digits per division. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + ((i / 10) | 0);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Copies `b` into `buf` at `p`; returns the new position. */
function putBytes(buf: Uint8Array, p: number, b: Uint8Array): number {
  if (b.length > 24) {
    buf.set(b, p);
    return p + b.length;
  }
  for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
  return p;
}

/** Writes a non-negative integer (< 2^53) in decimal, two digits per division; returns the new position. */
function putUint(buf: Uint8Array, p: number, n: number): number {
  if (n >= 0x40000000) {
    // Keep the digit loop in 31-bit integer arithmetic: peel the last four digits off.
    const hi = n >= 4294967296 ? Math.floor(n / 10000) : (n / 10000) >>> 0;
    p = putUint(buf, p, hi);
    const lo = n - hi * 10000;
    const a = (lo / 100) | 0;
    const b = lo - a * 100;
    buf[p++] = PAIRS[a << 1]!;
    buf[p++] = PAIRS[(a << 1) + 1]!;
    buf[p++] = PAIRS[b << 1]!;
    buf[p++] = PAIRS[(b << 1) + 1]!;
    return p;
  }
  n = n | 0;
  const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  const end = p + digits;
  let q = end;
  while (n >= 100) {
    const d = (n / 100) | 0;
    const r = (n - d * 100) << 1;
    buf[--q] = PAIRS[r + 1]!;
    buf[--q] = PAIRS[r]!;
    n = d;
  }
  if (n >= 10) {
    buf[q - 1] = PAIRS[(n << 1) + 1]!;
    buf[q - 2] = PAIRS[n << 1]!;
  } else buf[q - 1] = 48 + n;
  return end;
}

/** Writes 0 … 99 999 999 as exactly 8 digits; returns the new position. */
function putFixed8(buf: Uint8Array, p: number, n: number): number {
  let q = p + 8;
  for (let i = 0; i < 4; i++) {
    const d = (n / 100) | 0;
    const r = (n - d * 100) << 1;
    buf[--q] = PAIRS[r + 1]!;
    buf[--q] = PAIRS[r]!;
    n = d;
  }
  return p + 8;
}

function putAscii(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  return p;
}

function putIpv4(buf: Uint8Array, p: number, v: number): number {
  buf[p++] = 34;
  p = putUint(buf, p, v >>> 24);
  buf[p++] = 46;
  p = putUint(buf, p, (v >>> 16) & 0xff);
  buf[p++] = 46;
  p = putUint(buf, p, (v >>> 8) & 0xff);
  buf[p++] = 46;
  p = putUint(buf, p, v & 0xff);
  buf[p++] = 34;
  return p;
}

function putAddress(buf: Uint8Array, p: number, s: PacketSummary, src: boolean): number {
  if (s.hasIpv4) return putIpv4(buf, p, src ? s.ipv4Src : s.ipv4Dst);
  if (s.hasIpv6) {
    buf[p++] = 34;
    p = putAscii(buf, p, formatIpv6At(s.ipv6Buf!, src ? s.ipv6SrcOffset : s.ipv6DstOffset));
    buf[p++] = 34;
    return p;
  }
  return putBytes(buf, p, NULL);
}

/** tshark's protocol name for pcap-oracle's "proto" field, or null. */
export function oracleProto(s: PacketSummary): string | null {
  if (s.transport === Proto.TCP && s.tcpStage >= TcpStage.PORTS) return 'tcp';
  if (s.transport === Proto.UDP && s.srcPort >= 0) return 'udp';
  let icmp = false,
    icmpv6 = false,
    sctp = false,
    gre = false,
    esp = false;
  for (let i = 0; i < s.layerCount; i++) {
    switch (s.layerProto[i]) {
      case Proto.ICMP:
        icmp = true;
        break;
      case Proto.ICMPV6:
        icmpv6 = true;
        break;
      case Proto.SCTP:
        sctp = true;
        break;
      case Proto.GRE:
        gre = true;
        break;
      case Proto.ESP:
        esp = true;
        break;
    }
  }
  return icmp ? 'icmp' : icmpv6 ? 'icmpv6' : sctp ? 'sctp' : gre ? 'gre' : esp ? 'esp' : null;
}

export class PacketRecordEncoder {
  private readonly buf = new Uint8Array(SIZE);
  private pos = 0;
  private readonly analysisCache = new Map<number, Uint8Array>();
  /**
   * Per conversation and direction, the bytes from `,"src":` to the stream number: the
   * same for every plain (untunnelled, not ICMP-quoted) frame of that direction.
   */
  private readonly prefixCache = new WeakMap<TcpConversation, [Uint8Array | undefined, Uint8Array | undefined]>();

  constructor(private readonly fd = 1) {}

  private analysis(flags: number): Uint8Array {
    let b = this.analysisCache.get(flags);
    if (!b) {
      const f = effectiveExpertFlags(flags);
      const names: string[] = [];
      for (const [bit, name] of EXPERT_FIELDS) if (f & bit) names.push(`"${name}"`);
      b = B(`[${names.join(',')}]`);
      this.analysisCache.set(flags, b);
    }
    return b;
  }

  /** Appends one record and its newline. */
  write(frame: CapturedFrame, s: PacketSummary, t: TcpFrameInfo): void {
    if (this.pos > SIZE - 4096) this.flush();
    this.pos = this.encode(this.pos, frame, s, t);
  }

  /** One record as a string, without its newline; nothing is queued for the file. */
  recordText(frame: CapturedFrame, s: PacketSummary, t: TcpFrameInfo): string {
    if (this.pos > SIZE - 4096) this.flush();
    const end = this.encode(this.pos, frame, s, t) - 1;
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, end - this.pos).toString('latin1');
  }

  /** Writes one record and its newline at `p` in the buffer; returns its end. */
  private encode(p: number, frame: CapturedFrame, s: PacketSummary, t: TcpFrameInfo): number {
    const buf = this.buf;
    p = putBytes(buf, p, K_FRAME);
    p = putUint(buf, p, frame.number);
    p = putBytes(buf, p, K_TS);
    if (frame.hasTimestamp) {
      p = putUint(buf, p, frame.tsSec);
      buf[p++] = 46;
      const ns = frame.tsNsec;
      buf[p++] = 48 + ((ns / 100_000_000) | 0);
      p = putFixed8(buf, p, ns % 100_000_000);
    }
    p = putBytes(buf, p, K_LEN);
    p = putUint(buf, p, frame.len);
    p = putBytes(buf, p, K_CAPLEN);
    p = putUint(buf, p, frame.caplen);
    const conv = t.conversation;
    const plain =
      conv !== null &&
      s.tcpStage >= TcpStage.HEADER &&
      !s.inError &&
      !(s.hasIpv4 && s.hasIpv6) &&
      s.ipLayer >= 0 &&
      s.addrBuf === s.layerBuf[s.ipLayer] &&
      s.addrSrcOffset === s.layerOffset[s.ipLayer]! + (s.ipVersion === 4 ? 12 : 8) &&
      (s.ipVersion === 6 || s.layerLength[s.ipLayer] === 20);
    if (plain) {
      let entry = this.prefixCache.get(conv);
      if (!entry) this.prefixCache.set(conv, (entry = [undefined, undefined]));
      const dir = t.fromA ? 0 : 1;
      const prefix = entry[dir];
      if (!prefix) {
        const start = p;
        p = this.middle(p, s, t);
        entry[dir] = buf.slice(start, p);
      } else p = putBytes(buf, p, prefix);
      return this.tcpRest(p, s, t);
    }
    p = this.middle(p, s, t);
    if (oracleProto(s) !== 'tcp') return putBytes(buf, putBytes(buf, p, NULL), K_END);
    return this.tcpRest(p, s, t);
  }

  /** From `,"src":` to the stream number (or to `"tcp":` for frames without TCP). */
  private middle(p: number, s: PacketSummary, t: TcpFrameInfo): number {
    const buf = this.buf;
    p = putBytes(buf, p, K_SRC);
    p = putAddress(buf, p, s, true);
    p = putBytes(buf, p, K_DST);
    p = putAddress(buf, p, s, false);
    p = putBytes(buf, p, K_PROTO);
    const proto = oracleProto(s);
    p = putBytes(buf, p, proto === null ? NULL : PROTO_BYTES[proto]!);
    const ports = proto === 'tcp' || proto === 'udp';
    p = putBytes(buf, p, K_SPORT);
    p = ports ? putUint(buf, p, s.srcPort) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_DPORT);
    p = ports ? putUint(buf, p, s.dstPort) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_TCP);
    if (proto !== 'tcp') return p;
    p = putBytes(buf, p, K_STREAM);
    return s.tcpStage >= TcpStage.HEADER ? putUint(buf, p, t.stream) : putBytes(buf, p, NULL);
  }

  /** From `,"flags":` to the end of the record. */
  private tcpRest(p: number, s: PacketSummary, t: TcpFrameInfo): number {
    const buf = this.buf;
    const header = s.tcpStage >= TcpStage.HEADER;
    const flagsKnown = header && s.tcpHeaderLength >= 20;
    const hasAck = flagsKnown && (s.tcpFlags & TcpFlag.ACK) !== 0;
    const icmpIp = s.inError && s.layerProto[s.transportLayer - 1] === Proto.IPV4;
    p = putBytes(buf, p, K_FLAGS);
    p = flagsKnown ? putUint(buf, p, s.tcpFlags) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_SEQ);
    if (header) p = putUint(buf, p, t.seq);
    else if (icmpIp && s.transportEnd - s.transportOffset >= 8) p = putUint(buf, p, u32(s.transportBuf!, s.transportOffset + 4));
    else p = putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_ACK);
    p = hasAck ? putUint(buf, p, t.ack) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_SEQ_RAW);
    p = header && !icmpIp ? putUint(buf, p, s.tcpSeq) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_ACK_RAW);
    p = hasAck ? putUint(buf, p, s.tcpAck) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_PAYLOAD);
    p = header && t.payloadLength >= 0 ? putUint(buf, p, t.payloadLength) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_WIN);
    p = flagsKnown ? putUint(buf, p, t.window) : putBytes(buf, p, NULL);
    p = putBytes(buf, p, K_ANALYSIS);
    p = putBytes(buf, p, this.analysis(t.analysed ? t.expert : 0));
    return putBytes(buf, p, K_END_TCP);
  }

  flush(): void {
    if (this.pos === 0) return;
    writeFully(this.fd, this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}

let textEncoder: PacketRecordEncoder | undefined;

/** The pcap-oracle record of one frame as a string (without the newline). */
export function packetRecordJson(frame: CapturedFrame, s: PacketSummary, t: TcpFrameInfo): string {
  return (textEncoder ??= new PacketRecordEncoder(-1)).recordText(frame, s, t);
}
