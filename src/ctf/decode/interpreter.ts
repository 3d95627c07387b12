/**
 * The cold-start half of the decoders: a tree-walking interpreter over the field class
 * model, with exactly the semantics of the generated code in `codegen.ts` (same reads,
 * same clock, role and stored-value updates, same checks and error messages).
 *
 * Why both: generated code is the fastest once V8 has optimised it, but every generated
 * function starts in V8's bytecode interpreter and needs a thousand or more calls before
 * it is optimised. A kernel trace uses a hundred or more event classes, most of them a
 * few hundred or thousand times: with one generated function per class, most of a small
 * or medium trace was decoded by unoptimised code (≈1.3 µs per event against ≈0.15 µs
 * optimised). This interpreter is one function for every class, so it is optimised after
 * the first few hundred events, whatever the classes; `trace-decoders.ts` starts every
 * class here and switches a class to its generated decoder once it has been seen often
 * enough for the compilation to pay (see `TRACEWIRE_CTF_COMPILE_AFTER`).
 *
 * The only generated code on this path is one tiny object-building function per distinct
 * list of structure member names (`{ "a": v[0], "b": v[1] }`), shared by every structure
 * with those names, so that decoded structures get the same fixed-shape objects as with
 * the generated decoders; a structure makes its first objects member by member and
 * compiles that function only once it has made COLD_OBJECTS of them.
 */
import type { FieldClass, FieldRole, StructClass } from '../metadata/model.js';
import * as bits from './bits.js';
import { hasSideEffects, minSize, ROLE_TARGET, staticSize } from './codegen.js';
import type { DecodeState } from './decode-state.js';
import { helpers as H } from './helpers.js';

// Node kinds.
const INT = 0;
const VARINT = 1;
const FLOAT = 2;
const BOOL = 3;
const BITS = 4;
const STRING = 5;
const STRING_UNITS = 6;
const STATIC_STRING = 7;
const DYNAMIC_STRING = 8;
const BLOB = 9;
const STRUCT = 10;
const TEXT_ARRAY = 11;
const SKIP_ARRAY = 12;
const INT_ARRAY = 13;
const ARRAY = 14;
const VARIANT = 15;
const OPTIONAL = 16;

// Role targets (DecodeState properties), as small integers for a switch.
const ROLE_CODES: Record<string, number> = { magic: 1, streamClassId: 2, streamInstanceId: 3, packetSize: 4, contentSize: 5, beginTs: 6, endTs: 7, discarded: 8, seqNum: 9, id: 10 };

function roleCode(role: FieldRole | null): number {
  if (role === null) return 0;
  const target = ROLE_TARGET[role];
  return target === null ? 0 : ROLE_CODES[target]!;
}

type Maker = (v: unknown[]) => object;

/**
 * One field class prepared for interpretation. Every node has every property (one hidden
 * class: the interpreter's property loads stay monomorphic).
 */
export class DecodeNode {
  kind = INT;
  align = 1;
  /** Bits (int, float, bool, bit array). */
  size = 0;
  /** Static length: array elements, static string or BLOB bytes; -1 when a stored value gives it. */
  length = -1;
  le = true;
  signed = false;
  inIr = true;
  /** The value is needed (in the IR, stored, a role, or a clock of fewer than 64 bits). */
  needValue = true;
  /**
   * A byte-aligned (align ≥ 8) 8/16/32/64-bit integer with no clock and no role: the
   * structure case of decode() reads it inline.
   */
  plainInt = false;
  clock = false;
  role = 0;
  /** Stored-value slot this field writes, or -1. */
  slot = -1;
  /** Stored-value slot giving the length, tag or selector, or -1. */
  ref = -1;
  /** Sequence (length from `ref`) rather than static array. */
  dynamic = false;
  /** Minimum element size in bits (sequence length sanity check). */
  minElem = 1;
  /** Static element size in bits, for skipped arrays. */
  elemSize = 0;
  /** Elements, members or options. */
  children: DecodeNode[] = [];
  /** Structures: per member, its index in the value list, or -1 when not in the IR. */
  slots: number[] = [];
  /** Structures: the object builder (made after COLD_OBJECTS objects), the member names and the value list. */
  make: Maker | null = null;
  keys: string[] = [];
  built = 0;
  values: unknown[] = [];
  /** Variant options / optional: selector ranges, [lo, hi] pairs per option. */
  ranges: Array<Array<number | bigint>> = [];
  /** Optional: true when the selector is a boolean (no ranges). */
  boolSelector = false;
  /** String encoding other than UTF-8, or ''. */
  encoding = '';
  /** Compare with the trace UUID (packet header `uuid`). */
  uuidCheck = false;
  /** Field path for error messages, as the generated code words it. */
  what = '';
}

const makers = new Map<string, Maker>();

/** The shared builder of objects with these keys (generated once per key list). */
function maker(keys: string[]): Maker {
  const id = JSON.stringify(keys);
  let m = makers.get(id);
  if (!m) {
    // Generated on purpose (see the module comment): a literal gives every object of one
    // layout the same hidden class. Keys are quoted through JSON.stringify.
    m = new Function('v', `return { ${keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')} };`) as Maker;
    makers.set(id, m);
  }
  return m;
}

/**
 * Objects a structure builds member by member before it gets its maker. Most event
 * classes of a kernel trace are seen a few times to a few hundred times: for them,
 * compiling a maker costs more than it saves.
 */
const COLD_OBJECTS = 64;

/** A structure's object, built member by member (same keys, same order as its maker's). */
function coldObject(n: DecodeNode, values: unknown[]): object {
  if (++n.built > COLD_OBJECTS) {
    n.make = maker(n.keys);
    return n.make(values);
  }
  const keys = n.keys;
  const o: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) o[keys[i]!] = values[i];
  return o;
}

/**
 * Prepares `fc` for decode(); `what` names it in error messages (as codegen's field()).
 * `uuidCheck` marks the packet header's `uuid` member.
 */
export function prepareNode(fc: FieldClass, what: string, uuidCheck = false): DecodeNode {
  const n = new DecodeNode();
  n.align = fc.align;
  n.inIr = fc.inIr;
  n.what = what;
  n.uuidCheck = uuidCheck;
  switch (fc.kind) {
    case 'int':
      n.kind = INT;
      n.size = fc.size;
      n.le = fc.byteOrder === 'le';
      n.signed = fc.signed;
      n.clock = fc.mappedClock !== null;
      n.role = roleCode(fc.role);
      n.slot = fc.storeSlot;
      n.needValue = fc.inIr || fc.storeSlot >= 0 || n.role !== 0 || (fc.mappedClock !== null && fc.size !== 64);
      n.plainInt = fc.align >= 8 && (fc.size === 8 || fc.size === 16 || fc.size === 32 || fc.size === 64) && fc.mappedClock === null && n.role === 0;
      break;
    case 'varint':
      n.kind = VARINT;
      n.signed = fc.signed;
      n.clock = fc.mappedClock !== null;
      n.role = roleCode(fc.role);
      n.slot = fc.storeSlot;
      break;
    case 'float':
      n.kind = FLOAT;
      n.size = fc.size;
      n.le = fc.byteOrder === 'le';
      break;
    case 'bool':
      n.kind = BOOL;
      n.size = fc.size;
      n.le = fc.byteOrder === 'le';
      n.slot = fc.storeSlot;
      break;
    case 'bits':
      n.kind = BITS;
      n.size = fc.size;
      n.le = fc.byteOrder === 'le';
      break;
    case 'string':
      if (fc.encoding && fc.encoding !== 'utf-8') {
        n.kind = STRING_UNITS;
        n.encoding = fc.encoding;
      } else {
        n.kind = STRING;
        n.what = `string ${what}`;
      }
      break;
    case 'static-string':
      n.kind = STATIC_STRING;
      n.length = fc.length;
      n.encoding = fc.encoding && fc.encoding !== 'utf-8' ? fc.encoding : '';
      break;
    case 'dynamic-string':
      n.kind = DYNAMIC_STRING;
      n.ref = fc.lengthField!.storeSlot;
      n.dynamic = true;
      n.encoding = fc.encoding && fc.encoding !== 'utf-8' ? fc.encoding : '';
      break;
    case 'blob':
      n.kind = BLOB;
      n.length = fc.lengthField ? -1 : fc.length;
      n.ref = fc.lengthField ? fc.lengthField.storeSlot : -1;
      n.dynamic = fc.lengthField !== null;
      n.uuidCheck = uuidCheck || fc.role === 'metadata-uuid';
      break;
    case 'struct':
      prepareStruct(n, fc, what);
      break;
    case 'array':
    case 'sequence': {
      const elem = fc.elem;
      n.dynamic = fc.kind === 'sequence';
      if (fc.kind === 'sequence') {
        n.ref = fc.lengthField!.storeSlot;
        n.minElem = Math.max(minSize(elem), 1);
      } else n.length = fc.length;
      n.align = elem.align;
      if (fc.isText) {
        n.kind = TEXT_ARRAY;
        break;
      }
      const es = staticSize(elem);
      const regular = es !== null && es % elem.align === 0;
      if (!fc.inIr && regular && !hasSideEffects(elem)) {
        n.kind = SKIP_ARRAY;
        n.elemSize = es;
      } else if (fc.inIr && elem.kind === 'int' && !hasSideEffects(elem) && elem.align >= 8 && (elem.size === 8 || elem.size === 16 || elem.size === 32) && elem.align <= elem.size) {
        n.kind = INT_ARRAY;
        n.size = elem.size;
        n.signed = elem.signed;
        n.le = elem.byteOrder === 'le';
      } else {
        n.kind = ARRAY;
        n.children = [prepareNode(elem, `${what}[]`)];
      }
      break;
    }
    case 'variant':
      n.kind = VARIANT;
      n.ref = fc.tagField!.storeSlot;
      n.children = fc.options.map((o) => prepareNode(o.fc, `${what}.${o.name}`));
      n.ranges = fc.options.map((o) => o.ranges.flatMap(([lo, hi]) => [lo, hi]));
      break;
    case 'optional':
      n.kind = OPTIONAL;
      n.ref = fc.selectorField!.storeSlot;
      n.children = [prepareNode(fc.fc, what)];
      n.boolSelector = fc.ranges === null;
      n.ranges = [fc.ranges ? fc.ranges.flatMap(([lo, hi]) => [lo, hi]) : []];
      break;
  }
  return n;
}

function prepareStruct(n: DecodeNode, fc: StructClass, what: string): void {
  n.kind = STRUCT;
  const keys: string[] = [];
  for (const m of fc.members) {
    n.children.push(prepareNode(m.fc, `${what}.${m.name}`, what === 'packet header' && m.name === 'uuid'));
    n.slots.push(m.fc.inIr ? keys.length : -1);
    if (m.fc.inIr) keys.push(m.name);
  }
  n.keys = keys;
  n.values = new Array<unknown>(keys.length).fill(null);
}

function setRole(st: DecodeState, role: number, v: number | bigint): void {
  switch (role) {
    case 1:
      st.magic = v as number;
      break;
    case 2:
      st.streamClassId = v as number;
      break;
    case 3:
      st.streamInstanceId = v;
      break;
    case 4:
      st.packetSize = v;
      break;
    case 5:
      st.contentSize = v;
      break;
    case 6:
      st.beginTs = v;
      break;
    case 7:
      st.endTs = v;
      break;
    case 8:
      st.discarded = v;
      break;
    case 9:
      st.seqNum = v;
      break;
    case 10:
      st.id = v as number;
      break;
  }
}

/** True when `t` lies in one of the [lo, hi] pairs of `r`. */
function inRanges(t: unknown, r: Array<number | bigint>): boolean {
  for (let k = 0; k < r.length; k += 2) {
    const lo = r[k]!;
    const hi = r[k + 1]!;
    if (lo === hi ? (t as number) == lo : (t as number) >= lo && (t as number) <= hi) return true;
  }
  return false;
}

/** Unsigned field of `size` bits at bit `p` that is not a byte-aligned 8/16/32-bit value. */
function readUnsignedBits(b: Buffer, p: number, size: number, le: boolean): number | bigint {
  if (size <= 53) return le ? bits.readUintLE(b, p, size) : bits.readUintBE(b, p, size);
  return bits.readUint(b, p, size, le);
}

/** Unsigned field for booleans and bit arrays (codegen's readUnsigned). */
function readUnsigned(st: DecodeState, p: number, size: number, le: boolean): number | bigint {
  if ((p & 7) === 0) {
    if (size === 8) return st.b[p >>> 3]!;
    if (size === 16) return st.dv.getUint16(p >>> 3, le);
    if (size === 32) return st.dv.getUint32(p >>> 3, le);
  }
  return readUnsignedBits(st.b, p, size, le);
}

/**
 * Text of `count` bytes (or UTF-16/32 units' bytes) at the aligned cursor, up to the
 * first NUL; static lengths are checked against the content end, dynamic ones too and
 * for their type (codegen's fixedText). Advances the cursor by `count` bytes.
 */
function fixedText(st: DecodeState, n: DecodeNode, count: unknown, isStatic: boolean): string | null {
  let p = st.p;
  p += -p & 7;
  st.p = p;
  if (!isStatic) {
    if (typeof count !== 'number' || count * 8 > st.end - p) H.badLength(st, p, count, n.what);
  } else if (p + (count as number) * 8 > st.end) H.overrun(st, p, n.what);
  const len = count as number;
  let v: string | null = null;
  if (n.inIr) {
    const b = st.b;
    const s = p >>> 3;
    if (n.encoding !== '') v = H.strFixed(b, s, len, n.encoding);
    else {
      let e = s;
      const lim = s + len;
      while (e < lim && b[e] !== 0) e++;
      v = H.str(b, s, e);
    }
  }
  st.p = p + len * 8;
  return v;
}

/**
 * Decodes the field `n` at `st.p`, advancing it; returns the value, or null when the
 * field is not part of the decoded values (it is still decoded: lengths, tags, roles and
 * clock updates take effect). Throws like the generated decoders on damaged data.
 *
 * Kept small on purpose: V8 optimises this function early and often (each field kind it
 * meets for the first time after optimisation sends it back to the bytecode interpreter
 * until it is recompiled), so the kinds of kernel and user-space payloads are handled
 * here and every other kind in decodeOther().
 */
export function decode(st: DecodeState, n: DecodeNode): unknown {
  switch (n.kind) {
    case INT:
      return decodeInt(st, n);
    case STRING:
      return decodeString(st, n);
    case STRUCT: {
      // members that are plain byte-aligned integers are read right here, with the
      // cursor in a local: most event payloads are nothing else
      let p = st.p;
      const a = n.align;
      if (a > 1) p += -p & (a - 1);
      const children = n.children;
      const slots = n.slots;
      const values = n.values;
      for (let i = 0; i < children.length; i++) {
        const c = children[i]!;
        let v: unknown;
        if (c.plainInt) {
          p += -p & (c.align - 1);
          const size = c.size;
          const dv = st.dv;
          const o = p >>> 3;
          if (size === 64) {
            const le = c.le;
            const lo = dv.getUint32(le ? o : o + 4, le);
            const hi = c.signed ? dv.getInt32(le ? o + 4 : o, le) : dv.getUint32(le ? o + 4 : o, le);
            v = c.needValue ? (c.signed ? bits.s64(hi, lo) : bits.u64(hi, lo)) : 0;
          } else if (!c.needValue) v = 0;
          else if (size === 32) v = c.signed ? dv.getInt32(o, c.le) : dv.getUint32(o, c.le);
          else if (size === 16) v = c.signed ? dv.getInt16(o, c.le) : dv.getUint16(o, c.le);
          else v = c.signed ? dv.getInt8(o) : dv.getUint8(o);
          p += size;
          if (c.slot >= 0) st.S[c.slot] = v as number | bigint;
          if (!c.inIr) v = null;
        } else {
          st.p = p;
          v = decode(st, c);
          p = st.p;
        }
        const k = slots[i]!;
        if (k >= 0) values[k] = v;
      }
      st.p = p;
      if (!n.inIr) return null;
      return n.make !== null ? n.make(values) : coldObject(n, values);
    }
    case TEXT_ARRAY: {
      const count = n.dynamic ? lengthOf(st, n) : n.length;
      if (n.uuidCheck) H.checkUuid(st, st.p >>> 3);
      return fixedText(st, n, count, !n.dynamic);
    }
    default:
      return decodeOther(st, n);
  }
}

/** Integers: byte-aligned 8/16/32/64-bit values here, bit fields in decodeBitField(). */
function decodeInt(st: DecodeState, n: DecodeNode): unknown {
  let p = st.p;
  const a = n.align;
  if (a > 1) p += -p & (a - 1);
  const size = n.size;
  if ((p & 7) !== 0 || !(size === 32 || size === 64 || size === 8 || size === 16) || (n.clock && size !== 64)) return decodeBitField(st, n, p);
  const le = n.le;
  const dv = st.dv;
  const o = p >>> 3;
  let v: number | bigint = 0;
  if (size === 64) {
    const lo = dv.getUint32(le ? o : o + 4, le);
    const hi = n.signed ? dv.getInt32(le ? o + 4 : o, le) : dv.getUint32(le ? o + 4 : o, le);
    if (n.clock) {
      st.cycHi = n.signed ? hi >>> 0 : hi;
      st.cycLo = lo;
    }
    if (n.needValue) v = n.signed ? bits.s64(hi, lo) : bits.u64(hi, lo);
  } else if (!n.needValue) {
    // skipped entirely (e.g. an unused header field)
  } else if (size === 32) v = n.signed ? dv.getInt32(o, le) : dv.getUint32(o, le);
  else if (size === 16) v = n.signed ? dv.getInt16(o, le) : dv.getUint16(o, le);
  else v = n.signed ? dv.getInt8(o) : dv.getUint8(o);
  st.p = p + size;
  if (n.role !== 0) setRole(st, n.role, v);
  if (n.slot >= 0) st.S[n.slot] = v;
  return n.inIr ? v : null;
}

/** Integers that are not byte-aligned 8/16/32/64-bit values, or map a clock of < 64 bits. */
function decodeBitField(st: DecodeState, n: DecodeNode, p: number): unknown {
  const size = n.size;
  const le = n.le;
  let v: number | bigint = 0;
  let clockDone = false;
  if ((p & 7) === 0 && size === 64) {
    const o = p >>> 3;
    const dv = st.dv;
    const lo = dv.getUint32(le ? o : o + 4, le);
    const hi = n.signed ? dv.getInt32(le ? o + 4 : o, le) : dv.getUint32(le ? o + 4 : o, le);
    if (n.clock) {
      st.cycHi = n.signed ? hi >>> 0 : hi;
      st.cycLo = lo;
      clockDone = true;
    }
    if (n.needValue) v = n.signed ? bits.s64(hi, lo) : bits.u64(hi, lo);
  } else if (!n.needValue && !n.clock) {
    // skipped entirely
  } else if ((p & 7) === 0 && (size === 8 || size === 16 || size === 32)) {
    const dv = st.dv;
    const o = p >>> 3;
    if (size === 32) v = n.signed ? dv.getInt32(o, le) : dv.getUint32(o, le);
    else if (size === 16) v = n.signed ? dv.getInt16(o, le) : dv.getUint16(o, le);
    else v = n.signed ? dv.getInt8(o) : dv.getUint8(o);
  } else if (n.signed) {
    v = bits.readInt(st.b, p, size, le);
  } else {
    v = readUnsignedBits(st.b, p, size, le);
  }
  st.p = p + size;
  if (n.clock && !clockDone) st.updateClock(v, size);
  if (n.role !== 0) setRole(st, n.role, v);
  if (n.slot >= 0) st.S[n.slot] = v;
  return n.inIr ? v : null;
}

/** Null-terminated UTF-8 string. */
function decodeString(st: DecodeState, n: DecodeNode): string | null {
  let p = st.p;
  p += -p & 7;
  const b = st.b;
  const s = p >>> 3;
  const lim = st.end >>> 3;
  let e = s;
  while (e < lim && b[e] !== 0) e++;
  if (e >= lim) H.overrun(st, p, n.what);
  st.p = (e + 1) * 8;
  return n.inIr ? H.str(b, s, e) : null;
}

/** Arrays, sequences, variants, optionals, floats, booleans, bit arrays, CTF 2 kinds. */
function decodeOther(st: DecodeState, n: DecodeNode): unknown {
  switch (n.kind) {
    case INT_ARRAY:
      return decodeIntArray(st, n);
    case SKIP_ARRAY: {
      const count = n.dynamic ? lengthOf(st, n) : n.length;
      let p = st.p;
      if (n.align > 1) p += -p & (n.align - 1);
      if (n.uuidCheck) H.checkUuid(st, p >>> 3);
      if (!n.dynamic && p + n.length * n.elemSize > st.end) H.overrun(st, p, n.what);
      st.p = p + count * n.elemSize;
      return null;
    }
    case ARRAY: {
      const count = n.dynamic ? lengthOf(st, n) : n.length;
      let p = st.p;
      if (n.align > 1) p += -p & (n.align - 1);
      st.p = p;
      if (n.uuidCheck) H.checkUuid(st, p >>> 3);
      const elem = n.children[0]!;
      if (!n.inIr) {
        for (let i = 0; i < count; i++) decode(st, elem);
        return null;
      }
      const arr = new Array<unknown>(count);
      for (let i = 0; i < arr.length; i++) arr[i] = decode(st, elem);
      return arr;
    }
    case VARIANT: {
      const t = st.S[n.ref];
      const ranges = n.ranges;
      for (let k = 0; k < ranges.length; k++) {
        if (inRanges(t, ranges[k]!)) {
          const v = decode(st, n.children[k]!);
          return n.inIr ? v : null;
        }
      }
      H.badTag(st, st.p, t, n.what);
      return null;
    }
    case OPTIONAL: {
      const t = st.S[n.ref];
      let v: unknown = null;
      if (n.boolSelector ? t : inRanges(t, n.ranges[0]!)) v = decode(st, n.children[0]!);
      return n.inIr ? v : null;
    }
    case FLOAT: {
      let p = st.p;
      if (n.align > 1) p += -p & (n.align - 1);
      let v: number;
      if ((p & 7) === 0) v = n.size === 32 ? st.dv.getFloat32(p >>> 3, n.le) : st.dv.getFloat64(p >>> 3, n.le);
      else v = bits.readFloat(st.b, p, n.size as 32 | 64, n.le);
      st.p = p + n.size;
      return n.inIr ? v : null;
    }
    case BOOL:
    case BITS: {
      let p = st.p;
      if (n.align > 1) p += -p & (n.align - 1);
      const raw = readUnsigned(st, p, n.size, n.le);
      st.p = p + n.size;
      if (n.kind === BITS) return n.inIr ? raw : null;
      const v = raw != 0;
      if (n.slot >= 0) st.S[n.slot] = v;
      return n.inIr ? v : null;
    }
    case VARINT: {
      let p = st.p;
      p += -p & 7;
      const s = p >>> 3;
      const v = bits.readLeb128(st.b, s, st.end >>> 3, n.signed, H.lebOut);
      st.p = H.lebOut.next * 8;
      if (n.clock) st.updateClock(v, Math.min(64, 7 * (H.lebOut.next - s)));
      if (n.role !== 0) setRole(st, n.role, v);
      if (n.slot >= 0) st.S[n.slot] = v;
      return n.inIr ? v : null;
    }
    case STRING_UNITS: {
      let p = st.p;
      p += -p & 7;
      const v = H.strUnits(st, st.b, p >>> 3, st.end >>> 3, n.encoding);
      st.p = H.lebOut.next * 8;
      return n.inIr ? v : null;
    }
    case STATIC_STRING:
      return fixedText(st, n, n.length, true);
    case DYNAMIC_STRING:
      return fixedText(st, n, st.S[n.ref], false);
    case BLOB: {
      let p = st.p;
      p += -p & 7;
      let count: number;
      if (n.dynamic) {
        const c = st.S[n.ref];
        if (typeof c !== 'number' || c * 8 > st.end - p) H.badLength(st, p, c, n.what);
        count = c as number;
      } else {
        count = n.length;
        if (p + count * 8 > st.end) H.overrun(st, p, n.what);
      }
      if (n.uuidCheck) H.checkUuid(st, p >>> 3);
      const v = n.inIr ? H.bytes(st.b, p >>> 3, count) : null;
      st.p = p + count * 8;
      return v;
    }
    default:
      throw new Error(`unknown decode node kind ${n.kind}`);
  }
}

/** Byte-aligned arrays/sequences of 8/16/32-bit integers: one read per element. */
function decodeIntArray(st: DecodeState, n: DecodeNode): number[] {
  const count = n.dynamic ? lengthOf(st, n) : n.length;
  let p = st.p;
  p += -p & (n.align - 1);
  if (n.uuidCheck) H.checkUuid(st, p >>> 3);
  const size = n.size;
  if (!n.dynamic && p + n.length * size > st.end) H.overrun(st, p, n.what);
  const s = p >>> 3;
  const arr = new Array<number>(count);
  const le = n.le;
  if (size === 8) {
    const b = st.b;
    if (n.signed) for (let i = 0; i < count; i++) arr[i] = (b[s + i]! << 24) >> 24;
    else for (let i = 0; i < count; i++) arr[i] = b[s + i]!;
  } else {
    const dv = st.dv;
    if (size === 16) {
      if (n.signed) for (let i = 0; i < count; i++) arr[i] = dv.getInt16(s + i * 2, le);
      else for (let i = 0; i < count; i++) arr[i] = dv.getUint16(s + i * 2, le);
    } else if (n.signed) for (let i = 0; i < count; i++) arr[i] = dv.getInt32(s + i * 4, le);
    else for (let i = 0; i < count; i++) arr[i] = dv.getUint32(s + i * 4, le);
  }
  st.p = p + count * size;
  return arr;
}

/** A sequence's length from its stored value, checked like the generated code does. */
function lengthOf(st: DecodeState, n: DecodeNode): number {
  const c = st.S[n.ref];
  if (typeof c !== 'number' || c * n.minElem > st.end - st.p + n.align) H.badLength(st, st.p, c, n.what);
  return c as number;
}
