/**
 * pcapng writer (little-endian, one section). Interfaces carry their link type, snap
 * length, name, timestamp resolution and offset, comments and any other options; packets
 * carry their timestamp, data, wire length, flags and any number of comments — which is
 * how tracewire annotates exported packets (e.g. `process=ncat pid=4242 fd=5`).
 *
 * Reading a capture and writing its interfaces and frames back gives a file that reads
 * back to identical frames (timestamps, bytes, lengths, interfaces, comments, flags);
 * tshark and tcpdump read the output.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { BlockType, BYTE_ORDER_MAGIC, EpbOption, IdbOption, OPT_COMMENT, pad4, ShbOption } from './pcapng-format.js';
import { TickConverter, ticksOf, unitsPerSecondFor } from './timestamp.js';
import type { RawOption } from './types.js';

/** What the writer needs to know about an interface (a `CaptureInterface` fits). */
export interface WriterInterface {
  linkType: number;
  /** 0 (default) = no limit. */
  snapLen?: number;
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  hardware?: string;
  fcsLength?: number;
  /** if_tsresol byte; default 9 (nanoseconds). */
  tsResolution?: number;
  /** if_tsoffset in seconds; default 0. */
  tsOffset?: bigint;
  comments?: readonly string[];
  otherOptions?: readonly RawOption[];
}

/**
 * A packet to write (a `CapturedFrame` fits). Time is `tsSec` + `tsNsec`, or `ts` in ns
 * since the epoch when those are absent. `len` defaults to `data.length`.
 */
export interface WriterFrame {
  interfaceId: number;
  data: Uint8Array;
  len?: number;
  tsSec?: number;
  tsNsec?: number;
  ts?: bigint;
  comments?: readonly string[];
  flags?: number;
  otherOptions?: readonly RawOption[];
  /** Raw pcapng tick words from the reader; reused when they denote the same instant. */
  tsHigh?: number;
  tsLow?: number;
}

export interface SectionOptions {
  comments?: readonly string[];
  hardware?: string;
  os?: string;
  /** shb_userappl; default `tracewire`. */
  application?: string;
}

const encoder = new TextEncoder();
const BUFFER_SIZE = 1 << 20;

/** Streaming pcapng writer: add interfaces, then frames; `close()` flushes. */
export class PcapngWriter {
  private fd: number | null;
  private buf = Buffer.allocUnsafe(BUFFER_SIZE);
  private used = 0;
  /** Per declared interface, its timestamp unit and offset. */
  private readonly ifaces: TickConverter[] = [];
  /** Frames written so far. */
  frameCount = 0;

  constructor(readonly path: string, section: SectionOptions = {}) {
    this.fd = openSync(path, 'w');
    const opts: Uint8Array[] = [];
    for (const c of section.comments ?? []) opts.push(textOption(OPT_COMMENT, c));
    if (section.hardware) opts.push(textOption(ShbOption.HARDWARE, section.hardware));
    if (section.os) opts.push(textOption(ShbOption.OS, section.os));
    opts.push(textOption(ShbOption.USERAPPL, section.application ?? 'tracewire'));
    const fixed = Buffer.alloc(16);
    fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
    fixed.writeUInt16LE(1, 4);
    fixed.writeUInt16LE(0, 6);
    fixed.writeInt32LE(-1, 8); // section length unknown
    fixed.writeInt32LE(-1, 12);
    this.block(BlockType.SECTION_HEADER, [fixed, ...withEnd(opts)]);
  }

  /** Declares an interface; returns its id for `writeFrame`. */
  addInterface(i: WriterInterface): number {
    const tsResolution = i.tsResolution ?? 9;
    const tsOffset = i.tsOffset ?? 0n;
    const fixed = Buffer.alloc(8);
    fixed.writeUInt16LE(i.linkType & 0xffff, 0);
    fixed.writeUInt32LE(i.snapLen ?? 0, 4);
    const opts: Uint8Array[] = [];
    for (const c of i.comments ?? []) opts.push(textOption(OPT_COMMENT, c));
    if (i.name !== undefined) opts.push(textOption(IdbOption.NAME, i.name));
    if (i.description !== undefined) opts.push(textOption(IdbOption.DESCRIPTION, i.description));
    if (tsResolution !== 6) opts.push(option(IdbOption.TSRESOL, Uint8Array.of(tsResolution)));
    if (tsOffset !== 0n) {
      const v = Buffer.alloc(8);
      v.writeBigInt64LE(tsOffset, 0);
      opts.push(option(IdbOption.TSOFFSET, v));
    }
    if (i.filter !== undefined) opts.push(option(IdbOption.FILTER, Buffer.concat([Uint8Array.of(0), encoder.encode(i.filter)])));
    if (i.os !== undefined) opts.push(textOption(IdbOption.OS, i.os));
    if (i.fcsLength !== undefined) opts.push(option(IdbOption.FCSLEN, Uint8Array.of(i.fcsLength)));
    if (i.hardware !== undefined) opts.push(textOption(IdbOption.HARDWARE, i.hardware));
    for (const o of i.otherOptions ?? []) opts.push(option(o.code, o.value));
    this.block(BlockType.INTERFACE_DESCRIPTION, [fixed, ...withEnd(opts)]);
    this.ifaces.push(new TickConverter(unitsPerSecondFor(tsResolution), tsOffset));
    return this.ifaces.length - 1;
  }

  /** Writes one enhanced packet block. */
  writeFrame(f: WriterFrame): void {
    const ticks = this.ifaces[f.interfaceId];
    if (!ticks) throw new RangeError(`writeFrame: no interface ${f.interfaceId} (declare it with addInterface)`);
    let sec: number, nsec: number;
    if (f.tsSec !== undefined) {
      sec = f.tsSec;
      nsec = f.tsNsec ?? 0;
    } else {
      const ts = f.ts ?? 0n;
      sec = Number(ts / 1_000_000_000n);
      nsec = Number(ts % 1_000_000_000n);
    }
    let hi: number, lo: number;
    if (f.tsHigh !== undefined && f.tsHigh >= 0 && f.tsLow !== undefined && f.tsLow >= 0 && this.sameInstant(ticks, f.tsHigh, f.tsLow, sec, nsec)) {
      hi = f.tsHigh;
      lo = f.tsLow;
    } else {
      ({ hi, lo } = ticksOf(sec, nsec, ticks.unitsPerSecond, ticks.tsOffset));
    }
    const data = f.data;
    const fixed = Buffer.allocUnsafe(20);
    fixed.writeUInt32LE(f.interfaceId, 0);
    fixed.writeUInt32LE(hi >>> 0, 4);
    fixed.writeUInt32LE(lo >>> 0, 8);
    fixed.writeUInt32LE(data.length, 12);
    fixed.writeUInt32LE(f.len ?? data.length, 16);
    const parts: Uint8Array[] = [fixed, data];
    const padding = pad4(data.length) - data.length;
    if (padding) parts.push(new Uint8Array(padding));
    const opts: Uint8Array[] = [];
    for (const c of f.comments ?? []) opts.push(textOption(OPT_COMMENT, c));
    if (f.flags !== undefined) {
      const v = Buffer.alloc(4);
      v.writeUInt32LE(f.flags >>> 0, 0);
      opts.push(option(EpbOption.FLAGS, v));
    }
    for (const o of f.otherOptions ?? []) opts.push(option(o.code, o.value));
    parts.push(...withEnd(opts));
    this.block(BlockType.ENHANCED_PACKET, parts);
    this.frameCount++;
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  private sameInstant(t: TickConverter, hi: number, lo: number, sec: number, nsec: number): boolean {
    t.convert(hi, lo);
    return t.sec === sec && t.nsec === nsec;
  }

  private block(type: number, parts: readonly Uint8Array[]): void {
    let bodyLen = 0;
    for (const p of parts) bodyLen += p.length;
    const total = 12 + bodyLen;
    if (this.fd === null) throw new Error('PcapngWriter: already closed');
    if (this.used + total > this.buf.length) {
      this.flush();
      if (total > this.buf.length) this.buf = Buffer.allocUnsafe(total);
    }
    const b = this.buf;
    let p = this.used;
    b.writeUInt32LE(type >>> 0, p);
    b.writeUInt32LE(total, p + 4);
    p += 8;
    for (const part of parts) {
      b.set(part, p);
      p += part.length;
    }
    b.writeUInt32LE(total, p);
    this.used = p + 4;
  }

  private flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd!, this.buf, off, this.used - off);
    this.used = 0;
  }
}

function option(code: number, value: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + pad4(value.length));
  out.writeUInt16LE(code, 0);
  out.writeUInt16LE(value.length, 2);
  out.set(value, 4);
  return out;
}

function textOption(code: number, text: string): Uint8Array {
  return option(code, encoder.encode(text));
}

/** Appends opt_endofopt when there are options (an empty list needs none). */
function withEnd(opts: Uint8Array[]): Uint8Array[] {
  return opts.length ? [...opts, new Uint8Array(4)] : opts;
}

/**
 * Writes `frames` with `interfaces` to `path` as pcapng. Each frame's `interfaceId`
 * indexes `interfaces`. Returns the number of frames written.
 */
export function writePcapng(path: string, interfaces: readonly WriterInterface[], frames: Iterable<WriterFrame>, section: SectionOptions = {}): number {
  const w = new PcapngWriter(path, section);
  try {
    for (const i of interfaces) w.addInterface(i);
    for (const f of frames) w.writeFrame(f);
  } finally {
    w.close();
  }
  return w.frameCount;
}
