/**
 * Follow TCP Stream: the payload of one conversation in order, both directions
 * interleaved as chunks, with retransmitted bytes dropped and out-of-order segments
 * held until the gap before them fills (or is acknowledged by the peer, which means
 * the capture missed it: a `[N bytes missing in capture file]` chunk marks the hole).
 * The algorithm is Wireshark's follow_tcp_tap_listener, so the output matches
 * `tshark -z follow,tcp,…`.
 */
import { TcpFlag } from '../../dissect/summary.js';
import type { AnalyzedPacket } from './packet-stream.js';
import { gtSeq, ltSeq } from './seq-space.js';

export interface FollowChunk {
  /** False: from node 0 (the stream's first sender); true: from node 1. */
  readonly fromServer: boolean;
  readonly frame: number;
  readonly data: Uint8Array;
}

interface Fragment {
  seq: number;
  frame: number;
  data: Uint8Array;
}

export class TcpFollower {
  /** Chunks in stream order. */
  readonly chunks: FollowChunk[] = [];
  clientAddress = '';
  clientPort = 0;
  serverAddress = '';
  serverPort = 0;
  clientFamily = 4;
  private clientKey = '';
  private readonly seq = [0, 0];
  private readonly written = [0, 0];
  private readonly fragments: Fragment[][] = [[], []];

  constructor(readonly stream: number) {}

  /** Feeds a frame; frames of other streams (or without a known segment length) are ignored. */
  add(p: AnalyzedPacket): void {
    const s = p.summary;
    const t = p.tcp;
    if (t.stream !== this.stream || s.inError || !t.analysed || t.payloadLength < 0) return;
    const src = s.srcAddress ?? '';
    const key = `${src}|${s.srcPort}`;
    if (this.clientPort === 0 && this.clientKey === '') {
      this.clientKey = key;
      this.clientAddress = src;
      this.clientPort = s.srcPort;
      this.serverAddress = s.dstAddress ?? '';
      this.serverPort = s.dstPort;
      this.clientFamily = s.addrFamily;
    }
    const dir = key === this.clientKey ? 0 : 1;
    let sequence = t.seq;
    let length = t.payloadLength;
    if (s.tcpFlags & TcpFlag.SYN) sequence = (sequence + 1) >>> 0;
    const payloadStart = s.tcpPayloadOffset;
    const captured = Math.max(0, s.transportEnd - payloadStart);
    let dataOffset = 0;
    let dataLength = captured;

    if (this.fragments[1 - dir]!.length) while (this.checkFragments(1 - dir, t.ack, p.frame.number, true));

    if (this.written[dir] === 0 && this.seq[dir] === 0) this.seq[dir] = sequence;
    if (ltSeq(sequence, this.seq[dir]!)) {
      const nextseq = (sequence + length) >>> 0;
      if (gtSeq(nextseq, this.seq[dir]!)) {
        dataOffset = (this.seq[dir]! - sequence) >>> 0;
        dataLength = dataLength <= dataOffset ? 0 : dataLength - dataOffset;
        sequence = this.seq[dir]!;
        length = (nextseq - this.seq[dir]!) >>> 0;
      }
    }
    if (dataLength === 0 || ltSeq(sequence, this.seq[dir]!)) return;
    const data = s.transportBuf!.slice(payloadStart + dataOffset, payloadStart + dataOffset + dataLength);
    if (sequence === this.seq[dir]) {
      this.seq[dir] = (this.seq[dir]! + length) >>> 0;
      this.written[dir]! += data.length;
      this.chunks.push({ fromServer: dir === 1, frame: p.frame.number, data });
      while (this.checkFragments(dir, 0, p.frame.number, false));
    } else {
      this.fragments[dir]!.push({ seq: sequence, frame: p.frame.number, data });
    }
  }

  private checkFragments(dir: number, acknowledged: number, frame: number, useAck: boolean): boolean {
    const list = this.fragments[dir]!;
    if (list.length === 0) return false;
    let lowest = list[0]!.seq;
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      if (gtSeq(lowest, f.seq)) lowest = f.seq;
      if (ltSeq(f.seq, this.seq[dir]!)) {
        const newseq = (f.seq + f.data.length) >>> 0;
        if (gtSeq(newseq, this.seq[dir]!)) {
          const newPos = (this.seq[dir]! - f.seq) >>> 0;
          if (f.data.length > newPos) this.chunks.push({ fromServer: dir === 1, frame: f.frame, data: f.data.subarray(newPos) });
          this.seq[dir] = (this.seq[dir]! + (f.data.length - newPos)) >>> 0;
        }
        list.splice(i, 1);
        return true;
      }
      if (f.seq === this.seq[dir]) {
        if (f.data.length > 0) this.chunks.push({ fromServer: dir === 1, frame: f.frame, data: f.data });
        this.seq[dir] = (this.seq[dir]! + f.data.length) >>> 0;
        list.splice(i, 1);
        return true;
      }
    }
    if (useAck && gtSeq(acknowledged, lowest)) {
      const text = `[${(lowest - this.seq[dir]!) | 0} bytes missing in capture file]`;
      const bytes = new TextEncoder().encode(text);
      const data = new Uint8Array(bytes.length + 1); // Wireshark keeps the string's NUL
      data.set(bytes);
      this.chunks.push({ fromServer: dir === 1, frame, data });
      this.seq[dir] = lowest;
      return true;
    }
    return false;
  }
}

/** `tshark -z follow,tcp,ascii` body: a length line (tab-indented for node 1), then the text. */
export function formatFollowAscii(chunks: readonly FollowChunk[]): string {
  let out = '';
  for (const c of chunks) {
    out += `${c.fromServer ? '\t' : ''}${c.data.length}\n`;
    let text = '';
    for (const byte of c.data) text += byte === 0x0d || byte === 0x0a ? String.fromCharCode(byte) : byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
    out += `${text}\n`;
  }
  return out;
}

/** `tshark -z follow,tcp,hex` body: hex dump lines per chunk, offsets counted per direction. */
export function formatFollowHex(chunks: readonly FollowChunk[]): string {
  const pos = [0, 0];
  const lines: string[] = [];
  for (const c of chunks) {
    const dir = c.fromServer ? 1 : 0;
    const prefix = c.fromServer ? '\t' : '';
    const d = c.data;
    for (let i = 0; i < d.length; i += 16) {
      let hex = '';
      let ascii = '';
      const n = Math.min(16, d.length - i);
      for (let j = 0; j < n; j++) {
        const v = d[i + j]!;
        hex += v.toString(16).padStart(2, '0') + ' ';
        ascii += v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.';
        if (j === 7) {
          hex += ' ';
          if (n > 8) ascii += ' ';
        }
      }
      // Wireshark drops a trailing space from the text part, even a real 0x20 byte.
      if (ascii.endsWith(' ')) ascii = ascii.slice(0, -1);
      const offset = (pos[dir]! + i).toString(16).toUpperCase().padStart(8, '0');
      lines.push(`${prefix}${offset}  ${hex.padEnd(50)}${ascii}`);
    }
    pos[dir]! += d.length;
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
