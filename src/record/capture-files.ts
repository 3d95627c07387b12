/**
 * The capture files of a recording: tcpdump writes one nanosecond-resolution pcap per
 * network namespace; at the end they are merged, in timestamp order, into the bundle's
 * single `capture.pcapng` — one interface description block per capture, named
 * `DEVICE@NETNS` (e.g. `any@host`, `any@ns1`), with `if_tsresol` = 10^-9.
 *
 * Reading is streamed (a chunk at a time) so captures of any size merge in bounded
 * memory. A pcap cut short (the disk filled, tcpdump was killed) ends at its last
 * complete packet.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { MinHeap } from '../base/heap.js';
import { FormatError } from '../base/errors.js';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;

export interface PcapPacket {
  /** Timestamp in ns since the Unix epoch. */
  readonly ts: bigint;
  readonly data: Buffer;
  readonly originalLength: number;
}

export interface PcapHeader {
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly bigEndian: boolean;
}

/** A streaming reader of one pcap file. */
export class PcapReader {
  private readonly fd: number;
  private buf = Buffer.alloc(1 << 20);
  private start = 0;
  private end = 0;
  private eof = false;
  readonly header: PcapHeader;
  /** Bytes at the end that did not form a complete packet. */
  truncatedTail = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.fill(24);
    if (this.end - this.start < 24) {
      closeSync(this.fd);
      throw new FormatError(path, 0, 'shorter than a pcap header');
    }
    const le = this.buf.readUInt32LE(0);
    const be = this.buf.readUInt32BE(0);
    let bigEndian: boolean;
    let magic: number;
    if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
      bigEndian = false;
      magic = le;
    } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
      bigEndian = true;
      magic = be;
    } else {
      closeSync(this.fd);
      throw new FormatError(path, 0, 'not a pcap file (bad magic)');
    }
    const u32 = (at: number) => (bigEndian ? this.buf.readUInt32BE(at) : this.buf.readUInt32LE(at));
    this.header = { linkType: u32(20) & 0x0fffffff, snaplen: u32(16), nanosecond: magic === PCAP_MAGIC_NS, bigEndian };
    this.start = 24;
  }

  private fill(need: number): void {
    while (!this.eof && this.end - this.start < need) {
      if (this.start > 0 && (this.buf.length - this.end < need || this.start > this.buf.length / 2)) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (this.buf.length - this.end < need) {
        const bigger = Buffer.alloc(Math.max(this.buf.length * 2, need + 65536));
        this.buf.copy(bigger, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
        this.buf = bigger;
      }
      const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (n <= 0) this.eof = true;
      else this.end += n;
    }
  }

  /** The next packet, or undefined at the end. */
  next(): PcapPacket | undefined {
    this.fill(16);
    if (this.end - this.start < 16) {
      if (this.end > this.start) this.truncatedTail = true;
      return undefined;
    }
    const be = this.header.bigEndian;
    const at = this.start;
    const u32 = (o: number) => (be ? this.buf.readUInt32BE(at + o) : this.buf.readUInt32LE(at + o));
    const sec = u32(0);
    const frac = u32(4);
    const incl = u32(8);
    const orig = u32(12);
    if (incl > 0x4000000) throw new FormatError(this.path, at, `packet length ${incl} is implausible`);
    this.fill(16 + incl);
    if (this.end - this.start < 16 + incl) {
      this.truncatedTail = true;
      return undefined;
    }
    const data = Buffer.from(this.buf.subarray(this.start + 16, this.start + 16 + incl));
    this.start += 16 + incl;
    const ts = BigInt(sec) * 1_000_000_000n + BigInt(this.header.nanosecond ? frac : frac * 1000);
    return { ts, data, originalLength: orig };
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A pcapng file being written: section header, interface blocks, enhanced packet blocks. */
export class PcapngWriter {
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  packets = 0;

  constructor(readonly path: string, application: string) {
    this.fd = openSync(path, 'w');
    this.block(0x0a0d0d0a, Buffer.concat([
      u32le(0x1a2b3c4d),
      u16le(1),
      u16le(0),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      option(4, Buffer.from(application, 'utf8')), // shb_userappl
      option(0, Buffer.alloc(0)),
    ]));
  }

  /** Adds an interface description block; returns its interface id. */
  addInterface(linkType: number, snaplen: number, name: string, description: string, ids: { count: number }): number {
    this.block(0x00000001, Buffer.concat([
      u16le(linkType),
      u16le(0),
      u32le(snaplen),
      option(2, Buffer.from(name, 'utf8')), // if_name
      option(3, Buffer.from(description, 'utf8')), // if_description
      option(9, Buffer.from([9])), // if_tsresol: 10^-9 s
      option(0, Buffer.alloc(0)),
    ]));
    return ids.count++;
  }

  /** Adds one packet (enhanced packet block, nanosecond timestamp). */
  addPacket(interfaceId: number, ts: bigint, data: Buffer, originalLength: number): void {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(interfaceId, 0);
    head.writeUInt32LE(Number(ts >> 32n), 4);
    head.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    head.writeUInt32LE(data.length, 12);
    head.writeUInt32LE(originalLength, 16);
    const pad = (4 - (data.length % 4)) % 4;
    this.block(0x00000006, Buffer.concat([head, data, Buffer.alloc(pad)]));
    this.packets++;
  }

  private block(type: number, body: Buffer): void {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    body.copy(b, 8);
    b.writeUInt32LE(len, len - 4);
    this.pending.push(b);
    this.pendingBytes += len;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  flush(): void {
    if (!this.pendingBytes) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return b;
}

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

function option(code: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  return Buffer.concat([u16le(code), u16le(value.length), value, Buffer.alloc(pad)]);
}

export interface MergeInput {
  readonly path: string;
  /** pcapng interface name, e.g. `any@ns1`. */
  readonly name: string;
  readonly description: string;
}

export interface MergeResult {
  readonly packets: number;
  /** Interface id per input (in input order); undefined for an input that could not be read. */
  readonly interfaceIds: (number | undefined)[];
  readonly problems: string[];
}

/**
 * Merges pcap files into one pcapng at `outPath`, packets in timestamp order (ties keep
 * input order). Unreadable inputs are reported in `problems`, not fatal.
 */
export function mergePcapsToPcapng(inputs: readonly MergeInput[], outPath: string, application: string): MergeResult {
  const writer = new PcapngWriter(outPath, application);
  const problems: string[] = [];
  const interfaceIds: (number | undefined)[] = [];
  const readers: { reader: PcapReader; id: number; order: number; packet: PcapPacket }[] = [];
  const ids = { count: 0 };
  const heap = new MinHeap<{ reader: PcapReader; id: number; order: number; packet: PcapPacket }>((a, b) => a.packet.ts < b.packet.ts || (a.packet.ts === b.packet.ts && a.order < b.order));
  try {
    inputs.forEach((input, order) => {
      let reader: PcapReader;
      try {
        reader = new PcapReader(input.path);
      } catch (err) {
        problems.push(`${input.path}: ${(err as Error).message}`);
        interfaceIds.push(undefined);
        return;
      }
      const id = writer.addInterface(reader.header.linkType, reader.header.snaplen, input.name, input.description, ids);
      interfaceIds.push(id);
      const first = reader.next();
      if (first) {
        const item = { reader, id, order, packet: first };
        readers.push(item);
        heap.push(item);
      } else {
        if (reader.truncatedTail) problems.push(`${input.path}: ends with a partial packet (dropped)`);
        reader.close();
      }
    });
    while (heap.size > 0) {
      const top = heap.peek()!;
      writer.addPacket(top.id, top.packet.ts, top.packet.data, top.packet.originalLength);
      const next = top.reader.next();
      if (next) {
        top.packet = next;
        heap.updateTop();
      } else {
        if (top.reader.truncatedTail) problems.push(`${top.reader.path}: ends with a partial packet (dropped)`);
        heap.pop();
      }
    }
  } finally {
    for (const r of readers) {
      try {
        r.reader.close();
      } catch {
        // closed already
      }
    }
    writer.close();
  }
  return { packets: writer.packets, interfaceIds, problems };
}
