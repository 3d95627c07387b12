/**
 * pcapng reader: sections in either byte order; interface description blocks with
 * if_tsresol / if_tsoffset and their other options; enhanced, simple and obsolete packet
 * blocks; name-resolution, interface-statistics and decryption-secrets blocks; custom
 * and unknown blocks are skipped. Comments are kept on sections, interfaces and packets.
 *
 * File-level damage (bad magic, a block length that is not a multiple of 4, runs past
 * the end of the file, is absurdly large, or disagrees with its trailing copy) throws a
 * FormatError with the block's byte offset. Damage inside an otherwise well-framed
 * packet block (bad option lengths, packet data longer than the block) is reported on
 * the frame (`damage`) and reading goes on.
 */
import { FormatError } from '../base/errors.js';
import { formatIpv4At, formatIpv6At } from '../base/ip-text.js';
import { CaptureReader, NO_COMMENTS, readU16 as u16, readU32 as u32 } from './capture-reader.js';
import type { ChunkedFile } from './chunked-file.js';
import {
  BlockType,
  BYTE_ORDER_MAGIC,
  EpbOption,
  IdbOption,
  IsbOption,
  MAX_BLOCK_SIZE,
  OPT_COMMENT,
  OPT_ENDOFOPT,
  pad4,
  ShbOption,
} from './pcapng-format.js';
import { TickConverter, unitsPerSecondFor } from './timestamp.js';
import {
  CapturedFrame,
  type Capture,
  type CaptureInterface,
  type DecryptionSecrets,
  type InterfaceStatistics,
  type NameRecord,
  type RawOption,
} from './types.js';

const decoder = new TextDecoder('utf-8');

function u64(b: Uint8Array, p: number, le: boolean): bigint {
  const a = BigInt(u32(b, p, le));
  const c = BigInt(u32(b, p + 4, le));
  return le ? (c << 32n) | a : (a << 32n) | c;
}

/** Text of a string option; trailing NULs (some writers add them) are dropped. */
function optionText(v: Uint8Array): string {
  let n = v.length;
  while (n > 0 && v[n - 1] === 0) n--;
  return decoder.decode(v.subarray(0, n));
}

interface ParsedOptions {
  list: RawOption[];
  /** Set when an option's length ran past the end of the block. */
  damage?: string;
}

/** Parses the option list in `b[start, end)`; stops at opt_endofopt. */
function parseOptions(b: Uint8Array, start: number, end: number, le: boolean): ParsedOptions {
  const list: RawOption[] = [];
  let p = start;
  while (p + 4 <= end) {
    const code = u16(b, p, le);
    const len = u16(b, p + 2, le);
    if (code === OPT_ENDOFOPT) return { list };
    if (p + 4 + len > end) return { list, damage: `option ${code} of ${len} bytes runs past the end of its block` };
    list.push({ code, value: b.subarray(p + 4, p + 4 + len) });
    p += 4 + pad4(len);
  }
  return { list };
}

function isPacketBlock(type: number): boolean {
  return type === BlockType.ENHANCED_PACKET || type === BlockType.SIMPLE_PACKET || type === BlockType.PACKET_OBSOLETE;
}

/** Per-interface state the packet loop needs, indexed by the section-local id. */
interface InterfaceRuntime {
  readonly globalId: number;
  readonly snapLen: number;
  readonly ticks: TickConverter;
}

export class PcapngCapture extends CaptureReader implements Capture {
  readonly format = 'pcapng' as const;
  byteOrder: 'le' | 'be' = 'le';
  version = '1.0';
  readonly interfaces: CaptureInterface[] = [];
  readonly sectionComments: string[] = [];
  readonly sectionInfo: { hardware?: string; os?: string; application?: string } = {};
  readonly nameRecords: NameRecord[] = [];
  readonly secrets: DecryptionSecrets[] = [];
  private le = true;
  private section = -1;
  private sectionIfaces: InterfaceRuntime[] = [];

  constructor(path: string, file: ChunkedFile) {
    super(path, file);
    // Read the leading non-packet blocks so the interfaces are known up front.
    while (true) {
      const type = this.peekType();
      if (type === undefined || isPacketBlock(type)) break;
      this.readBlock();
    }
  }

  private peekType(): number | undefined {
    const f = this.file;
    if (!f.ensure(4)) return undefined;
    const t = u32(f.buf, f.pos, this.le);
    // A section header reads the same in both byte orders.
    return t;
  }

  next(): CapturedFrame | null {
    while (true) {
      const r = this.readBlock();
      if (r === null) {
        this.file.close();
        return null;
      }
      if (r !== undefined) return r;
    }
  }

  /** Reads one block. Returns a frame for packet blocks, undefined for others, null at EOF. */
  private readBlock(): CapturedFrame | undefined | null {
    const f = this.file;
    if (!f.ensure(8)) {
      if (f.available === 0) {
        if (this.section < 0) throw new FormatError(this.path, 0, 'empty file, not a pcapng capture');
        return null;
      }
      throw new FormatError(this.path, f.offset, `file ends inside a block header (${f.available} of 8 bytes)`);
    }
    const blockOffset = f.offset;
    let type = u32(f.buf, f.pos, this.le);
    if (type === BlockType.SECTION_HEADER) {
      if (!f.ensure(12)) throw new FormatError(this.path, blockOffset, 'file ends inside a section header block');
      const bom = u32(f.buf, f.pos + 8, true);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else throw new FormatError(this.path, blockOffset + 8, `bad byte-order magic 0x${bom.toString(16).padStart(8, '0')} in section header`);
      type = BlockType.SECTION_HEADER;
    } else if (this.section < 0) {
      throw new FormatError(this.path, blockOffset, 'not a pcapng file (first block is not a section header)');
    }
    const le = this.le;
    const total = u32(f.buf, f.pos + 4, le);
    if (total < 12 || total % 4 !== 0) {
      throw new FormatError(this.path, blockOffset + 4, `block total length ${total} is invalid (must be a multiple of 4 and at least 12)`);
    }
    if (total > MAX_BLOCK_SIZE) {
      throw new FormatError(this.path, blockOffset + 4, `block total length ${total} is absurd (more than ${MAX_BLOCK_SIZE})`);
    }
    if (total > f.remainingInFile) {
      throw new FormatError(this.path, blockOffset, `block of ${total} bytes runs past the end of the file (${f.remainingInFile} bytes left)`);
    }
    if (!f.ensure(total)) throw new FormatError(this.path, blockOffset, `file ends inside a block (${f.available} of ${total} bytes)`);
    const b = f.buf;
    const start = f.pos;
    const trailer = u32(b, start + total - 4, le);
    if (trailer !== total) {
      throw new FormatError(this.path, blockOffset + total - 4, `block trailing length ${trailer} differs from its leading length ${total}`);
    }
    f.pos += total;
    const body = start + 8;
    const bodyEnd = start + total - 4;
    switch (type) {
      case BlockType.SECTION_HEADER:
        this.readSectionHeader(b, body, bodyEnd, blockOffset);
        return undefined;
      case BlockType.INTERFACE_DESCRIPTION:
        this.readInterface(b, body, bodyEnd, blockOffset);
        return undefined;
      case BlockType.ENHANCED_PACKET:
        return this.readEnhancedPacket(b, body, bodyEnd, blockOffset);
      case BlockType.SIMPLE_PACKET:
        return this.readSimplePacket(b, body, bodyEnd, blockOffset);
      case BlockType.PACKET_OBSOLETE:
        return this.readObsoletePacket(b, body, bodyEnd, blockOffset);
      case BlockType.NAME_RESOLUTION:
        this.readNameResolution(b, body, bodyEnd);
        return undefined;
      case BlockType.INTERFACE_STATISTICS:
        this.readStatistics(b, body, bodyEnd, blockOffset);
        return undefined;
      case BlockType.DECRYPTION_SECRETS:
        this.readSecrets(b, body, bodyEnd);
        return undefined;
      default:
        // Custom (0xBAD, 0x40000BAD), systemd journal and unknown blocks: skipped.
        return undefined;
    }
  }

  private readSectionHeader(b: Uint8Array, p: number, end: number, offset: number): void {
    if (end - p < 16) throw new FormatError(this.path, offset, 'section header block too short');
    const le = this.le;
    const major = u16(b, p + 4, le);
    const minor = u16(b, p + 6, le);
    if (major !== 1) throw new FormatError(this.path, offset + 12, `unsupported pcapng version ${major}.${minor}`);
    this.section++;
    this.sectionIfaces = [];
    if (this.section === 0) {
      this.byteOrder = le ? 'le' : 'be';
      this.version = `${major}.${minor}`;
    }
    const opts = parseOptions(b, p + 16, end, le);
    for (const o of opts.list) {
      if (o.code === OPT_COMMENT) this.sectionComments.push(optionText(o.value));
      else if (this.section === 0 && o.code === ShbOption.HARDWARE) this.sectionInfo.hardware = optionText(o.value);
      else if (this.section === 0 && o.code === ShbOption.OS) this.sectionInfo.os = optionText(o.value);
      else if (this.section === 0 && o.code === ShbOption.USERAPPL) this.sectionInfo.application = optionText(o.value);
    }
  }

  private readInterface(b: Uint8Array, p: number, end: number, offset: number): void {
    if (end - p < 8) throw new FormatError(this.path, offset, 'interface description block too short');
    const le = this.le;
    const linkType = u16(b, p, le);
    const snapLen = u32(b, p + 4, le);
    const opts = parseOptions(b, p + 8, end, le);
    let tsResolution = 6;
    let tsOffset = 0n;
    const comments: string[] = [];
    const other: RawOption[] = [];
    const iface: {
      name?: string;
      description?: string;
      filter?: string;
      os?: string;
      hardware?: string;
      fcsLength?: number;
    } = {};
    for (const o of opts.list) {
      const v = o.value;
      switch (o.code) {
        case OPT_COMMENT:
          comments.push(optionText(v));
          break;
        case IdbOption.NAME:
          iface.name = optionText(v);
          break;
        case IdbOption.DESCRIPTION:
          iface.description = optionText(v);
          break;
        case IdbOption.TSRESOL:
          if (v.length >= 1) tsResolution = v[0]!;
          break;
        case IdbOption.TSOFFSET:
          if (v.length >= 8) tsOffset = BigInt.asIntN(64, u64(v, 0, le));
          break;
        case IdbOption.FILTER:
          // First byte is the filter type (0 = libpcap string).
          if (v.length >= 1 && v[0] === 0) iface.filter = optionText(v.subarray(1));
          else other.push({ code: o.code, value: v.slice() });
          break;
        case IdbOption.OS:
          iface.os = optionText(v);
          break;
        case IdbOption.HARDWARE:
          iface.hardware = optionText(v);
          break;
        case IdbOption.FCSLEN:
          if (v.length >= 1) iface.fcsLength = v[0]!;
          break;
        default:
          other.push({ code: o.code, value: v.slice() });
      }
    }
    const unitsPerSecond = unitsPerSecondFor(tsResolution);
    const id = this.interfaces.length;
    this.interfaces.push({
      id,
      section: this.section,
      localId: this.sectionIfaces.length,
      linkType,
      snapLen,
      tsResolution,
      unitsPerSecond,
      tsOffset,
      ...iface,
      comments,
      otherOptions: other,
    });
    this.sectionIfaces.push({ globalId: id, snapLen, ticks: new TickConverter(unitsPerSecond, tsOffset) });
  }

  private iface(localId: number, offset: number): InterfaceRuntime {
    const r = this.sectionIfaces[localId];
    if (!r) {
      throw new FormatError(this.path, offset, `packet refers to interface ${localId}, but the section declares ${this.sectionIfaces.length}`);
    }
    return r;
  }

  /** An enhanced packet block (EPB). */
  private readEnhancedPacket(b: Uint8Array, p: number, end: number, offset: number): CapturedFrame {
    if (end - p < 20) throw new FormatError(this.path, offset, 'enhanced packet block too short for its fixed fields');
    return this.readTimedPacket(b, p, end, offset, u32(b, p, this.le));
  }

  /** The obsolete packet block: an EPB whose interface id is 16 bits, followed by a 16-bit drop count. */
  private readObsoletePacket(b: Uint8Array, p: number, end: number, offset: number): CapturedFrame {
    if (end - p < 20) throw new FormatError(this.path, offset, 'packet block too short for its fixed fields');
    return this.readTimedPacket(b, p, end, offset, u16(b, p, this.le));
  }

  /**
   * What enhanced and obsolete packet blocks share after the interface id: timestamp
   * (high, low), captured and wire lengths, the data, then options (comments, flags —
   * code 2 in both — and any other kept raw).
   */
  private readTimedPacket(b: Uint8Array, p: number, end: number, offset: number, ifaceId: number): CapturedFrame {
    const le = this.le;
    const iface = this.iface(ifaceId, offset + 8);
    const hi = u32(b, p + 4, le);
    const lo = u32(b, p + 8, le);
    let caplen = u32(b, p + 12, le);
    const len = u32(b, p + 16, le);
    let damage: string | undefined;
    const dataStart = p + 20;
    if (dataStart + caplen > end) {
      damage = `captured length ${caplen} runs past the end of its block (${end - dataStart} bytes)`;
      caplen = end - dataStart;
    }
    let comments = NO_COMMENTS;
    let flags: number | undefined;
    let other: RawOption[] | undefined;
    const optStart = dataStart + pad4(caplen);
    if (optStart < end) {
      const opts = parseOptions(b, optStart, end, le);
      if (opts.damage) damage ??= opts.damage;
      for (const o of opts.list) {
        if (o.code === OPT_COMMENT) {
          if (comments === NO_COMMENTS) comments = [];
          (comments as string[]).push(optionText(o.value));
        } else if (o.code === EpbOption.FLAGS && o.value.length >= 4) flags = u32(o.value, 0, le);
        else (other ??= []).push({ code: o.code, value: o.value.slice() });
      }
    }
    if (caplen > len && !damage) damage = `captured length ${caplen} exceeds wire length ${len}`;
    const t = iface.ticks;
    t.convert(hi, lo);
    return new CapturedFrame(++this.frameNumber, t.sec, t.nsec, caplen, len, iface.globalId, b, dataStart, comments, offset, flags, other, hi, lo, damage);
  }

  private readSimplePacket(b: Uint8Array, p: number, end: number, offset: number): CapturedFrame {
    const le = this.le;
    if (end - p < 4) throw new FormatError(this.path, offset, 'simple packet block too short');
    const iface = this.iface(0, offset);
    const len = u32(b, p, le);
    let caplen = Math.min(len, end - (p + 4));
    if (iface.snapLen > 0) caplen = Math.min(caplen, iface.snapLen);
    return new CapturedFrame(++this.frameNumber, 0, 0, caplen, len, iface.globalId, b, p + 4, NO_COMMENTS, offset, undefined, undefined, -1, -1, undefined, false);
  }

  private readNameResolution(b: Uint8Array, p: number, end: number): void {
    const le = this.le;
    while (p + 4 <= end) {
      const type = u16(b, p, le);
      const len = u16(b, p + 2, le);
      if (type === 0) break;
      if (p + 4 + len > end) return;
      const v = b.subarray(p + 4, p + 4 + len);
      const addrLen = type === 1 ? 4 : type === 2 ? 16 : 0;
      if (addrLen && v.length > addrLen) {
        const address = addrLen === 4 ? formatIpv4At(v, 0) : formatIpv6At(v, 0);
        const names = optionText(v.subarray(addrLen)).split('\0').filter((s) => s.length > 0);
        this.nameRecords.push({ family: addrLen === 4 ? 4 : 6, address, names });
      }
      p += 4 + pad4(len);
    }
  }

  private readStatistics(b: Uint8Array, p: number, end: number, offset: number): void {
    const le = this.le;
    if (end - p < 12) return;
    const localId = u32(b, p, le);
    const r = this.sectionIfaces[localId];
    if (!r) throw new FormatError(this.path, offset + 8, `statistics refer to interface ${localId}, but the section declares ${this.sectionIfaces.length}`);
    const t = r.ticks;
    const toNs = (hi: number, lo: number): bigint => {
      t.convert(hi, lo);
      return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
    };
    const stats: InterfaceStatistics = { ts: toNs(u32(b, p + 4, le), u32(b, p + 8, le)), comments: [] };
    for (const o of parseOptions(b, p + 12, end, le).list) {
      const v = o.value;
      if (o.code === OPT_COMMENT) stats.comments.push(optionText(v));
      else if (v.length >= 8) {
        const n = u64(v, 0, le);
        switch (o.code) {
          case IsbOption.STARTTIME:
            stats.startTime = toNs(u32(v, 0, le), u32(v, 4, le));
            break;
          case IsbOption.ENDTIME:
            stats.endTime = toNs(u32(v, 0, le), u32(v, 4, le));
            break;
          case IsbOption.IFRECV:
            stats.received = n;
            break;
          case IsbOption.IFDROP:
            stats.droppedByInterface = n;
            break;
          case IsbOption.FILTERACCEPT:
            stats.acceptedByFilter = n;
            break;
          case IsbOption.OSDROP:
            stats.droppedByOs = n;
            break;
          case IsbOption.USRDELIV:
            stats.deliveredToUser = n;
            break;
        }
      }
    }
    this.interfaces[r.globalId]!.statistics = stats;
  }

  private readSecrets(b: Uint8Array, p: number, end: number): void {
    const le = this.le;
    if (end - p < 8) return;
    const type = u32(b, p, le);
    const len = Math.min(u32(b, p + 4, le), end - p - 8);
    this.secrets.push({ type, data: b.slice(p + 8, p + 8 + len) });
  }
}
