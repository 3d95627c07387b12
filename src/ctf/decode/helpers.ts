/**
 * The runtime half of the generated decoders (`H` in generated code): string and byte
 * extraction, UUID checks, and the errors raised on damaged data, each naming the data
 * stream file and the byte offset.
 */
import { FormatError } from '../../base/errors.js';
import * as bits from './bits.js';
import type { CodegenHelpers } from './codegen.js';
import type { DecodeState } from './decode-state.js';

const latin: string[] = [];
for (let c = 0; c < 128; c++) latin.push(String.fromCharCode(c));

/**
 * Text of bytes [s, e). Short ASCII strings (most trace strings: names, comms) are built
 * without going through the UTF-8 decoder, which costs more than the string itself.
 */
export function str(b: Buffer, s: number, e: number): string {
  const n = e - s;
  if (n === 0) return '';
  if (n <= 24) {
    let r = '';
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c >= 0x80) return b.toString('utf8', s, e);
      r += latin[c];
    }
    return r;
  }
  return b.toString('utf8', s, e);
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
