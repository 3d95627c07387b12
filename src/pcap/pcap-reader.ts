/**
 * Classic libpcap files: either byte order, microsecond (a1b2c3d4) or nanosecond
 * (a1b23c4d) timestamps, and Alexey Kuznetsov's "modified" variant (a1b2cd34, 24-byte
 * record headers). One interface; the link type comes from the file header.
 */
import { FormatError } from '../base/errors.js';
import { CaptureReader, NO_COMMENTS, readU32 } from './capture-reader.js';
import type { ChunkedFile } from './chunked-file.js';
import { CapturedFrame, type Capture, type CaptureInterface, type DecryptionSecrets, type NameRecord } from './types.js';

/** Largest record we accept: Wireshark's standard maximum, or the file's snap length if larger. */
const STANDARD_MAX_SNAPLEN = 262_144;
const ABSURD_SNAPLEN = 64 << 20;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** True when the first four bytes (read little-endian) are one of the pcap magics. */
export function isPcapMagic(le32: number): boolean {
  for (const m of [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_MODIFIED]) if (le32 === m || le32 === swap32(m)) return true;
  return false;
}

export class PcapCapture extends CaptureReader implements Capture {
  readonly format = 'pcap' as const;
  readonly byteOrder: 'le' | 'be';
  readonly version: string;
  readonly interfaces: CaptureInterface[];
  readonly sectionComments: string[] = [];
  readonly sectionInfo = {};
  readonly nameRecords: NameRecord[] = [];
  readonly secrets: DecryptionSecrets[] = [];
  private readonly le: boolean;
  private readonly nanos: boolean;
  private readonly recordHeader: number;
  private readonly maxRecord: number;

  constructor(path: string, file: ChunkedFile) {
    super(path, file);
    if (!file.ensure(24)) throw new FormatError(path, 0, `file too short for a pcap header (${file.available} of 24 bytes)`);
    const b = file.buf;
    const dv = new DataView(b.buffer, b.byteOffset + file.pos, 24);
    const magicLe = dv.getUint32(0, true);
    this.le = magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS || magicLe === PCAP_MAGIC_MODIFIED;
    const magic = this.le ? magicLe : swap32(magicLe);
    this.nanos = magic === PCAP_MAGIC_NS;
    this.recordHeader = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    this.byteOrder = this.le ? 'le' : 'be';
    const major = dv.getUint16(4, this.le);
    const minor = dv.getUint16(6, this.le);
    this.version = `${major}.${minor}`;
    if (major !== 2) throw new FormatError(path, 4, `unsupported pcap version ${major}.${minor}`);
    const snapLen = dv.getUint32(16, this.le);
    const network = dv.getUint32(20, this.le);
    // The top bits of the link-type word carry FCS information (LT_FCS_LENGTH_PRESENT).
    const linkType = network & 0x03ffffff;
    const fcs = network & 0x04000000 ? (network >>> 28) * 2 : undefined;
    this.maxRecord = Math.min(ABSURD_SNAPLEN, Math.max(STANDARD_MAX_SNAPLEN, snapLen));
    file.pos += 24;
    this.interfaces = [
      {
        id: 0,
        section: 0,
        localId: 0,
        linkType,
        snapLen,
        tsResolution: this.nanos ? 9 : 6,
        unitsPerSecond: this.nanos ? 1_000_000_000n : 1_000_000n,
        tsOffset: 0n,
        fcsLength: fcs,
        comments: [],
        otherOptions: [],
      },
    ];
  }

  next(): CapturedFrame | null {
    const f = this.file;
    const le = this.le;
    const hdrLen = this.recordHeader;
    if (!f.ensure(hdrLen)) {
      if (f.available === 0) {
        f.close();
        return null;
      }
      throw new FormatError(this.path, f.offset, `file ends inside a record header (${f.available} of ${hdrLen} bytes)`);
    }
    const recOffset = f.offset;
    const b = f.buf;
    const p = f.pos;
    const sec = readU32(b, p, le);
    const frac = readU32(b, p + 4, le);
    const incl = readU32(b, p + 8, le);
    const orig = readU32(b, p + 12, le);
    if (incl > this.maxRecord) {
      throw new FormatError(this.path, recOffset, `record of ${incl} captured bytes is bigger than the maximum of ${this.maxRecord}`);
    }
    f.pos += hdrLen;
    if (!f.ensure(incl)) {
      throw new FormatError(this.path, recOffset, `file ends inside a packet (${f.available} of ${incl} bytes)`);
    }
    const dataBuf = f.buf;
    const dataOff = f.pos;
    f.pos += incl;
    let nsec = this.nanos ? frac : frac * 1000;
    let s = sec;
    let damage: string | undefined;
    if (nsec >= 1e9) {
      s += Math.floor(nsec / 1e9);
      nsec %= 1e9;
      damage = `sub-second timestamp field out of range (${frac})`;
    }
    if (incl > orig) damage = `captured length ${incl} exceeds wire length ${orig}`;
    return new CapturedFrame(++this.frameNumber, s, nsec, incl, orig, 0, dataBuf, dataOff, NO_COMMENTS, recOffset, undefined, undefined, -1, -1, damage);
  }
}
