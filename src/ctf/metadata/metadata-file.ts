/**
 * Reads a trace's `metadata` file: plain TSDL text, packetized TSDL (CTF 1.8 §7.1: a
 * 37-byte header per packet, byte order given by the magic number), or CTF 2 (a JSON
 * text sequence, plain or packetized). Errors become FormatError with the metadata
 * file's byte offset, mapped back through the packet headers when packetized.
 */
import { readFileSync } from 'node:fs';
import { FormatError } from '../../base/errors.js';
import { parseCtf2Metadata } from '../ctf2/ctf2-metadata.js';
import { MetadataError } from './metadata-error.js';
import { cachedTraceClass, type MetadataInstance } from './metadata-cache.js';
import type { TraceClass } from './model.js';
import { resolveTsdl } from './tsdl-resolver.js';
import { splitTsdlInstance } from './tsdl-instance.js';

const PACKET_MAGIC = 0x75d11d57;
const HEADER_BYTES = 37;

/** One contiguous piece of metadata text and where it lies in the file. */
interface Segment {
  /** Byte offset in the concatenated text. */
  textStart: number;
  /** Byte offset of the same byte in the file. */
  fileStart: number;
  length: number;
}

export interface MetadataContent {
  readonly bytes: Buffer;
  readonly packetized: boolean;
  /** UUID of the metadata packets (packetized only). */
  readonly packetUuid: string | null;
  readonly segments: Segment[];
}

/** Undoes the packetization of `buf` (or returns it whole); throws FormatError naming `file`. */
export function depacketize(file: string, buf: Buffer): MetadataContent {
  if (buf.length < 4) return plain(buf);
  const le = buf.readUInt32LE(0) === PACKET_MAGIC;
  const be = buf.readUInt32BE(0) === PACKET_MAGIC;
  if (!le && !be) return plain(buf);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const parts: Buffer[] = [];
  const segments: Segment[] = [];
  let uuid: string | null = null;
  let off = 0;
  let textLen = 0;
  while (off < buf.length) {
    if (buf.length - off < HEADER_BYTES) throw new FormatError(file, off, `truncated metadata packet header (${buf.length - off} of ${HEADER_BYTES} bytes)`);
    if (u32(off) !== PACKET_MAGIC) throw new FormatError(file, off, `bad metadata packet magic 0x${u32(off).toString(16)} (expected 0x75d11d57)`);
    const pUuid = formatUuid(buf.subarray(off + 4, off + 20));
    if (uuid === null) uuid = pUuid;
    else if (uuid !== pUuid) throw new FormatError(file, off + 4, `metadata packet UUID ${pUuid} differs from the first packet's ${uuid}`);
    const contentBits = u32(off + 24);
    const packetBits = u32(off + 28);
    const compression = buf[off + 32]!;
    const encryption = buf[off + 33]!;
    const checksum = buf[off + 34]!;
    const major = buf[off + 35]!;
    const minor = buf[off + 36]!;
    if (compression !== 0) throw new FormatError(file, off + 32, `unsupported metadata compression scheme ${compression}`);
    if (encryption !== 0) throw new FormatError(file, off + 33, `unsupported metadata encryption scheme ${encryption}`);
    if (checksum !== 0) throw new FormatError(file, off + 34, `unsupported metadata checksum scheme ${checksum}`);
    if (!((major === 1 && minor === 8) || major === 2)) throw new FormatError(file, off + 35, `unsupported metadata packet version ${major}.${minor}`);
    if (packetBits % 8 !== 0 || contentBits % 8 !== 0) throw new FormatError(file, off + 24, `metadata packet sizes are not whole bytes (content ${contentBits} bits, packet ${packetBits} bits)`);
    if (contentBits < HEADER_BYTES * 8 || contentBits > packetBits) throw new FormatError(file, off + 24, `invalid metadata packet content size ${contentBits} bits (packet size ${packetBits} bits)`);
    const packetBytes = packetBits / 8;
    if (off + packetBytes > buf.length) throw new FormatError(file, off + 28, `metadata packet of ${packetBytes} bytes extends past the end of the file (${buf.length - off} bytes left)`);
    const contentEnd = off + contentBits / 8;
    segments.push({ textStart: textLen, fileStart: off + HEADER_BYTES, length: contentEnd - off - HEADER_BYTES });
    parts.push(buf.subarray(off + HEADER_BYTES, contentEnd));
    textLen += contentEnd - off - HEADER_BYTES;
    off += packetBytes;
  }
  return { bytes: Buffer.concat(parts), packetized: true, packetUuid: uuid, segments };
}

function plain(buf: Buffer): MetadataContent {
  return { bytes: buf, packetized: false, packetUuid: null, segments: [{ textStart: 0, fileStart: 0, length: buf.length }] };
}

export function formatUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Maps a byte offset of the depacketized text to the file. */
function fileOffset(content: MetadataContent, textByte: number): number {
  for (const s of content.segments) if (textByte < s.textStart + s.length) return s.fileStart + (textByte - s.textStart);
  const last = content.segments[content.segments.length - 1];
  return last ? last.fileStart + last.length : 0;
}

/**
 * Reads and decodes the metadata file at `file` into a trace class. Throws FormatError
 * (file, byte offset, reason) for any damaged or unsupported metadata. Valid metadata is
 * cached on disk (see metadata-cache.ts): the next read of the same content loads the
 * model, and builds its event classes only when they are first used.
 */
export function readMetadata(file: string): TraceClass {
  const buf = readFileSync(file);
  // undone once, whether the cache asks for the declarations, the full decode, or both
  let content: MetadataContent | undefined;
  const contentOf = () => (content ??= depacketize(file, buf));
  return cachedTraceClass(buf, () => decodeContent(file, contentOf()), () => tsdlInstance(file, contentOf()));
}

/** Like readMetadata, for metadata already in memory. */
export function decodeMetadata(file: string, buf: Buffer): TraceClass {
  return decodeContent(file, depacketize(file, buf));
}

/**
 * For TSDL metadata: its declarations and how to decode only its own part (UUID, env,
 * clocks; see tsdl-instance.ts), for the cache to reuse the model of another trace with
 * the same declarations. Null for CTF 2 or text that does not split.
 */
function tsdlInstance(file: string, content: MetadataContent): MetadataInstance | null {
  if (isCtf2Text(content.bytes)) return null;
  const split = splitTsdlInstance(content.bytes.toString('utf8'));
  if (split === null) return null;
  return { declarations: split.declarations, decodeOwnPart: () => decodeContent(file, content, split.skeleton) };
}

function isCtf2Text(bytes: Buffer): boolean {
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)) start++;
  return bytes[start] === 0x1e;
}

/** Decodes depacketized metadata (or, for the cache, `textInstead`: a part of its TSDL). */
function decodeContent(file: string, content: MetadataContent, textInstead?: string): TraceClass {
  const bytes = content.bytes;
  const isCtf2 = isCtf2Text(bytes);
  const text = textInstead ?? bytes.toString('utf8');
  const charToByte = (charOffset: number) => Buffer.byteLength(text.slice(0, charOffset), 'utf8');
  try {
    let tc: TraceClass;
    if (isCtf2) {
      tc = parseCtf2Metadata(text);
    } else {
      const sig = /^\s*\/\*\s*CTF\s+(\d+)\.(\d+)/.exec(text);
      if (sig && !(sig[1] === '1' && sig[2] === '8')) throw new MetadataError(`unsupported metadata version ${sig[1]}.${sig[2]} in the "/* CTF x.y" signature`, text.indexOf(sig[1]!));
      if (bytes.indexOf(0) >= 0 && !content.packetized) throw new MetadataError('unexpected NUL byte in text metadata', text.indexOf('\0'));
      tc = resolveTsdl(text);
    }
    if (content.packetUuid && tc.uuid && content.packetUuid !== tc.uuid) {
      throw new FormatError(file, 4, `metadata packet UUID ${content.packetUuid} differs from the trace UUID ${tc.uuid}`);
    }
    if (!tc.uuid && content.packetUuid && tc.ctfMajor === 2) tc.uuid = content.packetUuid;
    return tc;
  } catch (err) {
    if (err instanceof MetadataError) {
      const off = err.offset === undefined ? undefined : fileOffset(content, charToByte(err.offset));
      throw new FormatError(file, off, `invalid metadata: ${err.message}`);
    }
    throw err;
  }
}
