/**
 * The runtime half of the generated decoders (`H` in generated code): string and byte
 * extraction, UUID checks, and the errors raised on damaged data, each naming the data
 * stream file and the byte offset.
 */
import { TextDecoder } from 'node:util';
import { FormatError } from '../../base/errors.js';
import * as bits from './bits.js';
import type { CodegenHelpers } from './codegen.js';
import type { DecodeState } from './decode-state.js';

/**
 * Interning cache for short strings. Trace strings repeat endlessly (process names,
 * file names, labels): comparing the bytes with the last string seen in the same hash
 * slot is much cheaper than decoding and allocating a new string, and it keeps the
 * young generation small.
 */
const CACHE_SLOTS = 4096;
const MAX_CACHED = 64;
const cacheLen = new Int32Array(CACHE_SLOTS).fill(-1);
const cacheBytes = new Uint8Array(CACHE_SLOTS * MAX_CACHED);
const cacheStr: string[] = new Array<string>(CACHE_SLOTS).fill('');

/**
 * `b.toString('utf8', s, e)` without its argument checks: Buffer's own utf8Slice, present
 * in every Node.js release (Buffer.prototype.toString calls it), else toString.
 */
const utf8Slice: (b: Buffer, s: number, e: number) => string =
  typeof (Buffer.prototype as { utf8Slice?: unknown }).utf8Slice === 'function'
    ? (b, s, e) => (b as Buffer & { utf8Slice(s: number, e: number): string }).utf8Slice(s, e)
    : (b, s, e) => b.toString('utf8', s, e);

/** Text of bytes [s, e) (UTF-8; invalid sequences become U+FFFD, as in Buffer.toString). */
export function str(b: Buffer, s: number, e: number): string {
  const n = e - s;
  if (n === 0) return '';
  if (n > MAX_CACHED) return utf8Slice(b, s, e);
  let h = n;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const base = slot * MAX_CACHED;
  if (cacheLen[slot] === n) {
    let k = 0;
    while (k < n && cacheBytes[base + k] === b[s + k]) k++;
    if (k === n) return cacheStr[slot]!;
  }
  const v = utf8Slice(b, s, e);
  // copied byte by byte: a subarray() for set() costs more than the copy for ≤ 64 bytes
  for (let k = 0; k < n; k++) cacheBytes[base + k] = b[s + k]!;
  cacheLen[slot] = n;
  cacheStr[slot] = v;
  return v;
}

const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

/** Text in a UTF-16/32 encoding; UTF-32 is decoded by hand (TextDecoder lacks it). */
function decodeUnits(b: Buffer, s: number, e: number, encoding: string): string {
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    let d = decoders.get(encoding);
    if (!d) decoders.set(encoding, (d = new TextDecoder(encoding)));
    return d.decode(b.subarray(s, e));
  }
  const le = encoding === 'utf-32le';
  let out = '';
  for (let i = s; i + 4 <= e; i += 4) {
    const cp = le ? b.readUInt32LE(i) : b.readUInt32BE(i);
    out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  }
  return out;
}

function unitSize(encoding: string): number {
  return encoding.startsWith('utf-32') ? 4 : encoding.startsWith('utf-16') ? 2 : 1;
}

function isNulUnit(b: Buffer, i: number, unit: number): boolean {
  for (let k = 0; k < unit; k++) if (b[i + k] !== 0) return false;
  return true;
}

function bytes(b: Buffer, s: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = b[s + i]!;
  return out;
}

function at(st: DecodeState, p: number): number {
  return st.packetOffset + Math.floor(p / 8);
}

export const helpers: CodegenHelpers = {
  readUintLE: bits.readUintLE,
  readUintBE: bits.readUintBE,
  readUint: bits.readUint,
  readInt: bits.readInt,
  readFloat: bits.readFloat,
  readLeb128: bits.readLeb128,
  u64: bits.u64,
  s64: bits.s64,
  str,
  strUnits(st, b, s, limit, encoding) {
    const unit = unitSize(encoding);
    let i = s;
    while (i + unit <= limit && !isNulUnit(b, i, unit)) i += unit;
    if (i + unit > limit) throw new FormatError(st.file, st.packetOffset + s, 'string runs past the end of the packet content');
    helpers.lebOut.next = i + unit;
    return decodeUnits(b, s, i, encoding);
  },
  strFixed(b, s, n, encoding) {
    const unit = unitSize(encoding);
    let i = s;
    const lim = s + n;
    while (i + unit <= lim && !isNulUnit(b, i, unit)) i += unit;
    return decodeUnits(b, s, i, encoding);
  },
  bytes,
  checkUuid(st, i) {
    const u = st.uuidBytes;
    if (!u) return;
    for (let k = 0; k < 16; k++) {
      if (st.b[i + k] !== u[k]) {
        st.uuidMismatch = i;
        return;
      }
    }
  },
  overrun(st, p, what) {
    throw new FormatError(st.file, at(st, p), `${what} runs past the end of the packet content`);
  },
  badLength(st, p, n, what) {
    throw new FormatError(st.file, at(st, p), `invalid length ${String(n)} for ${what} (only ${Math.max(0, Math.floor((st.end - p) / 8))} bytes of packet content left)`);
  },
  badTag(st, p, tag, what) {
    throw new FormatError(st.file, at(st, p), `${what}: tag value ${String(tag)} selects no option`);
  },
  merge(a, b) {
    return a ? { ...a, ...b } : b;
  },
  lebOut: { next: 0 },
};
