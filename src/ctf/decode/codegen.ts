/**
 * Generates a JavaScript decoder per scope (packet header, packet context, event header +
 * common context) and per event class, from the field class model.
 *
 * Why generated code: a CTF reader spends its time walking field classes. Interpreting
 * the model costs a dispatch per field; emitting straight-line code per event class
 * (`dv.getUint32(p >>> 3, true)`, object literals with fixed keys) lets V8 compile each
 * event layout to a few machine instructions per field and keeps the result objects
 * monomorphic. The generator tracks the cursor's alignment statically, so alignment and
 * bit-field extraction cost nothing when the layout makes them predictable (LTTng's
 * compact header: 5-bit id + 27-bit timestamp becomes one 32-bit word split in two).
 *
 * Generated functions take the stream's DecodeState and advance `st.p`. They may read
 * past the content end on damaged data; the caller checks `st.p <= st.end` after each
 * event and turns DataView RangeErrors into FormatErrors.
 */
import { someFieldClass } from '../metadata/field-class-util.js';
import type { FieldClass, FieldRole, IntegerClass, StructClass, VarIntClass } from '../metadata/model.js';
import * as bits from './bits.js';
import type { DecodeState } from './decode-state.js';

/** The runtime helpers generated code calls through `H`. */
export interface CodegenHelpers {
  readonly readUintLE: typeof bits.readUintLE;
  readonly readUintBE: typeof bits.readUintBE;
  readonly readUint: typeof bits.readUint;
  readonly readInt: typeof bits.readInt;
  readonly readFloat: typeof bits.readFloat;
  readonly readLeb128: typeof bits.readLeb128;
  readonly u64: typeof bits.u64;
  readonly s64: typeof bits.s64;
  readonly str: (b: Buffer, s: number, e: number) => string;
  /** Null-terminated string in UTF-16/32 from byte `s`; sets lebOut.next past the terminator. */
  readonly strUnits: (st: DecodeState, b: Buffer, s: number, limit: number, encoding: string) => string;
  /** `n` bytes of UTF-16/32 text from byte `s`, up to the first NUL code unit. */
  readonly strFixed: (b: Buffer, s: number, n: number, encoding: string) => string;
  readonly bytes: (b: Buffer, s: number, n: number) => number[];
  /** Compares the 16 bytes at byte offset `i` with the trace UUID. */
  readonly checkUuid: (st: DecodeState, i: number) => void;
  readonly overrun: (st: DecodeState, p: number, what: string) => never;
  readonly badLength: (st: DecodeState, p: number, n: unknown, what: string) => never;
  readonly badTag: (st: DecodeState, p: number, tag: unknown, what: string) => never;
  readonly merge: (a: object | null, b: object) => object;
  readonly lebOut: { next: number };
}

/** Minimal JS identifier-safe quoting for object keys and messages. */
const q = (s: string) => JSON.stringify(s);

function lowbit(n: number): number {
  if (n === 0) return 1 << 30;
  return n & -n;
}

/** Static size in bits of a field class once aligned on its own alignment, or null when it varies. */
export function staticSize(fc: FieldClass): number | null {
  switch (fc.kind) {
    case 'int':
    case 'float':
    case 'bool':
    case 'bits':
      return fc.size;
    case 'static-string':
      return fc.length * 8;
    case 'blob':
      return fc.length >= 0 && !fc.lengthRef ? fc.length * 8 : null;
    case 'array': {
      const e = staticSize(fc.elem);
      if (e === null) return null;
      if (fc.length === 0) return 0;
      if (e % fc.elem.align !== 0) return null;
      return e * fc.length;
    }
    case 'struct': {
      let p = 0;
      for (const m of fc.members) {
        const s = staticSize(m.fc);
        if (s === null) return null;
        const a = m.fc.align;
        p = Math.ceil(p / a) * a + s;
      }
      return p;
    }
    default:
      return null;
  }
}

/** Smallest possible size in bits, to bound sequence lengths on damaged data. */
export function minSize(fc: FieldClass): number {
  const s = staticSize(fc);
  if (s !== null) return s;
  switch (fc.kind) {
    case 'string':
      return 8;
    case 'varint':
      return 8;
    case 'struct':
      return fc.members.reduce((a, m) => a + minSize(m.fc), 0);
    case 'array':
      return fc.length * minSize(fc.elem);
    default:
      return 0;
  }
}

/** The DecodeState property each role's value is stored in (null: checked elsewhere). */
export const ROLE_TARGET: Record<FieldRole, string | null> = {
  magic: 'magic',
  'metadata-uuid': null,
  'stream-class-id': 'streamClassId',
  'stream-instance-id': 'streamInstanceId',
  'packet-total-size': 'packetSize',
  'packet-content-size': 'contentSize',
  'packet-begin-timestamp': 'beginTs',
  'packet-end-timestamp': 'endTs',
  'discarded-events-snapshot': 'discarded',
  'packet-seq-num': 'seqNum',
  'event-class-id': 'id',
};

/** Emits the JavaScript of one generated function. */
class FunctionBuilder {
  private readonly lines: string[] = [];
  private counter = 0;
  /** Static knowledge of the cursor: p ≡ phase (mod known), known a power of two. */
  private known = 1;
  private phase = 0;
  private depth = 1;
  /** Stored-value slots written in this function, and the local holding each. */
  private readonly slotVars = new Map<number, { name: string; depth: number }>();

  constructor(private readonly consts: unknown[]) {}

  emit(line: string): void {
    this.lines.push('  '.repeat(this.depth) + line);
  }
  tmp(prefix = 'v'): string {
    return `${prefix}${this.counter++}`;
  }
  konst(value: unknown): string {
    this.consts.push(value);
    return `C${this.consts.length - 1}`;
  }

  /** Records that stored-value slot `slot` holds `v` (a local visible at the current depth). */
  private store(slot: number, v: string): void {
    this.emit(`S[${slot}] = ${v};`);
    this.slotVars.set(slot, { name: v, depth: this.depth });
  }

  /** An expression for stored-value slot `slot`: the local that set it when in scope. */
  private load(slot: number, prefix: string): string {
    const known = this.slotVars.get(slot);
    if (known) return known.name;
    const n = this.tmp(prefix);
    this.emit(`const ${n} = S[${slot}];`);
    return n;
  }

  private openBlock(): void {
    this.depth++;
  }

  /** Leaves a block: locals declared inside are no longer visible. */
  private closeBlock(): void {
    this.depth--;
    for (const [k, v] of this.slotVars) if (v.depth > this.depth) this.slotVars.delete(k);
  }
  source(): string {
    return this.lines.join('\n');
  }

  private align(a: number): void {
    if (a <= 1) return;
    if (this.known >= a) {
      const pad = (a - (this.phase % a)) % a;
      if (pad) {
        this.emit(`p += ${pad};`);
        this.phase = (this.phase + pad) % this.known;
      }
      return;
    }
    // (-p) & (a-1) is exact for any p < 2^53 (ToInt32 keeps the low bits)
    this.emit(`p += (-p) & ${a - 1};`);
    this.known = a;
    this.phase = 0;
  }
  private advance(nbits: number): void {
    this.emit(`p += ${nbits};`);
    if (this.known > 1) this.phase = (this.phase + nbits) % this.known;
  }
  private byteAligned(): boolean {
    return this.known >= 8 && this.phase % 8 === 0;
  }
  private forgetBelowBytes(): void {
    // after a byte-granular variable-size field that started byte-aligned
    this.known = Math.min(this.known, 8);
    this.phase %= this.known;
  }

  /**
   * Emits the decoding of `fc` and returns the expression holding its value, or null
   * when the field is not part of the decoded values (it is still decoded/skipped).
   */
  field(fc: FieldClass, what: string, opts: { uuidCheck?: boolean } = {}): string | null {
    switch (fc.kind) {
      case 'int':
        return this.integer(fc, what);
      case 'varint':
        return this.varint(fc, what);
      case 'float': {
        this.align(fc.align);
        const v = this.tmp();
        const le = fc.byteOrder === 'le';
        if (this.byteAligned()) this.emit(`const ${v} = dv.getFloat${fc.size}(p >>> 3, ${le});`);
        else this.emit(`const ${v} = H.readFloat(b, p, ${fc.size}, ${le});`);
        this.advance(fc.size);
        return fc.inIr ? v : null;
      }
      case 'bool': {
        this.align(fc.align);
        const raw = this.readUnsigned(fc.size, fc.byteOrder === 'le');
        const v = this.tmp();
        this.emit(`const ${v} = ${raw} != 0;`);
        this.advance(fc.size);
        if (fc.storeSlot >= 0) this.store(fc.storeSlot, v);
        return fc.inIr ? v : null;
      }
      case 'bits': {
        this.align(fc.align);
        const raw = this.readUnsigned(fc.size, fc.byteOrder === 'le');
        const v = this.tmp();
        this.emit(`const ${v} = ${raw};`);
        this.advance(fc.size);
        return fc.inIr ? v : null;
      }
      case 'string':
        if (fc.encoding && fc.encoding !== 'utf-8') {
          this.align(8);
          const v = this.tmp();
          this.emit(`const ${v} = H.strUnits(st, b, p >>> 3, end >>> 3, ${q(fc.encoding)});`);
          this.emit(`p = H.lebOut.next * 8;`);
          this.forgetBelowBytes();
          return fc.inIr ? v : null;
        }
        return this.nullTerminatedString(fc.inIr, what);
      case 'static-string':
        return this.fixedText(`${fc.length}`, fc.inIr, what, true, fc.encoding);
      case 'dynamic-string': {
        const n = this.load(fc.lengthField!.storeSlot, 'n');
        return this.fixedText(n, fc.inIr, what, false, fc.encoding);
      }
      case 'blob':
        return this.blob(fc, what, opts.uuidCheck === true);
      case 'struct':
        return this.struct(fc, what);
      case 'array':
      case 'sequence':
        return this.array(fc, what, opts.uuidCheck === true);
      case 'variant':
        return this.variant(fc, what);
      case 'optional':
        return this.optional(fc, what);
    }
  }

  /** Expression reading an unsigned field of `size` bits at p (p already aligned). */
  private readUnsigned(size: number, le: boolean): string {
    if (this.byteAligned()) {
      if (size === 8) return `b[p >>> 3]`;
      if (size === 16 || size === 32) return `dv.getUint${size}(p >>> 3, ${le})`;
    }
    if (this.known >= 8) {
      const ph = this.phase % 8;
      if (ph + size <= 32) return this.inlineBits(ph, size, le, false);
    }
    if (size <= 53) return `H.readUint${le ? 'LE' : 'BE'}(b, p, ${size})`;
    return `H.readUint(b, p, ${size}, ${le})`;
  }

  /** Bit field at a statically known bit phase, assembled from ≤ 4 bytes. */
  private inlineBits(ph: number, size: number, le: boolean, signed: boolean): string {
    const i = this.tmp('i');
    this.emit(`const ${i} = p >>> 3;`);
    const nbytes = Math.ceil((ph + size) / 8);
    const parts: string[] = [];
    for (let k = 0; k < nbytes; k++) {
      const idx = k === 0 ? i : `${i} + ${k}`;
      const shift = le ? 8 * k : 24 - 8 * k;
      parts.push(shift ? `(b[${idx}] << ${shift})` : `b[${idx}]`);
    }
    const word = `(${parts.join(' | ')})`;
    let expr: string;
    if (le) {
      expr = size === 32 ? `(${word} >>> 0)` : ph === 0 ? `(${word} & ${2 ** size - 1})` : `((${word} >>> ${ph}) & ${2 ** size - 1})`;
    } else {
      expr = ph === 0 ? `(${word} >>> ${32 - size})` : `((${word} << ${ph}) >>> ${32 - size})`;
    }
    if (signed) expr = size === 32 ? `(${expr} | 0)` : `((${expr} << ${32 - size}) >> ${32 - size})`;
    return expr;
  }

  private integer(fc: IntegerClass, _what: string): string | null {
    this.align(fc.align);
    const le = fc.byteOrder === 'le';
    const size = fc.size;
    const needValue = fc.inIr || fc.storeSlot >= 0 || (fc.role !== null && ROLE_TARGET[fc.role] !== null) || (fc.mappedClock !== null && size !== 64);
    const v = this.tmp();
    let clockDone = false;
    if (this.byteAligned() && size === 64) {
      const o = this.tmp('o');
      this.emit(`const ${o} = p >>> 3;`);
      const hiOff = le ? 4 : 0;
      const loOff = le ? 0 : 4;
      const hi = `${v}h`;
      const lo = `${v}l`;
      this.emit(`const ${lo} = dv.getUint32(${o} + ${loOff}, ${le});`);
      this.emit(`const ${hi} = dv.get${fc.signed ? 'Int' : 'Uint'}32(${o} + ${hiOff}, ${le});`);
      if (fc.mappedClock) {
        this.emit(`st.cycHi = ${fc.signed ? `${hi} >>> 0` : hi}; st.cycLo = ${lo};`);
        clockDone = true;
      }
      if (needValue) this.emit(`const ${v} = H.${fc.signed ? 's64' : 'u64'}(${hi}, ${lo});`);
    } else if (!needValue && !fc.mappedClock) {
      // skipped entirely (e.g. an unused header field)
    } else if (this.byteAligned() && (size === 8 || size === 16 || size === 32)) {
      const fn = `${fc.signed ? 'Int' : 'Uint'}${size}`;
      this.emit(size === 8 ? `const ${v} = dv.get${fn}(p >>> 3);` : `const ${v} = dv.get${fn}(p >>> 3, ${le});`);
    } else if (this.known >= 8 && (this.phase % 8) + size <= 32) {
      this.emit(`const ${v} = ${this.inlineBits(this.phase % 8, size, le, fc.signed)};`);
    } else if (fc.signed) {
      this.emit(`const ${v} = H.readInt(b, p, ${size}, ${le});`);
    } else if (size <= 53) {
      this.emit(`const ${v} = H.readUint${le ? 'LE' : 'BE'}(b, p, ${size});`);
    } else {
      this.emit(`const ${v} = H.readUint(b, p, ${size}, ${le});`);
    }
    this.advance(size);
    if (fc.mappedClock && !clockDone) {
      if (size <= 32) {
        const n = size;
        const mod = 2 ** n;
        this.emit(`{ let lo = st.cycLo; const low = ${n === 32 ? 'lo' : `lo % ${mod}`}; lo = lo - low + ${v}; if (${v} < low) lo += ${mod}; if (lo >= 4294967296) { lo -= 4294967296; st.cycHi += 1; } st.cycLo = lo; }`);
      } else {
        this.emit(`st.updateClock(${v}, ${size});`);
      }
    }
    if (fc.role !== null) {
      const target = ROLE_TARGET[fc.role];
      if (target) this.emit(`st.${target} = ${v};`);
    }
    if (fc.storeSlot >= 0) this.store(fc.storeSlot, v);
    return fc.inIr ? v : null;
  }

  private varint(fc: VarIntClass, _what: string): string | null {
    this.align(8);
    const v = this.tmp();
    const start = this.tmp('s');
    this.emit(`const ${start} = p >>> 3;`);
    this.emit(`const ${v} = H.readLeb128(b, ${start}, end >>> 3, ${fc.signed}, H.lebOut);`);
    this.emit(`p = H.lebOut.next * 8;`);
    this.forgetBelowBytes();
    // CTF 2 §6.3: a variable-length timestamp of S bytes updates the low 7·S bits
    if (fc.mappedClock) this.emit(`st.updateClock(${v}, Math.min(64, 7 * (H.lebOut.next - ${start})));`);
    if (fc.role !== null) {
      const target = ROLE_TARGET[fc.role];
      if (target) this.emit(`st.${target} = ${v};`);
    }
    if (fc.storeSlot >= 0) this.store(fc.storeSlot, v);
    return fc.inIr ? v : null;
  }

  private nullTerminatedString(inIr: boolean, what: string): string | null {
    this.align(8);
    const s = this.tmp('s');
    const e = this.tmp('e');
    const v = this.tmp();
    this.emit(`const ${s} = p >>> 3; let ${e} = ${s}; const ${e}lim = end >>> 3;`);
    this.emit(`while (${e} < ${e}lim && b[${e}] !== 0) ${e}++;`);
    this.emit(`if (${e} >= ${e}lim) H.overrun(st, p, ${q(`string ${what}`)});`);
    if (inIr) this.emit(`const ${v} = H.str(b, ${s}, ${e});`);
    this.emit(`p = (${e} + 1) * 8;`);
    this.forgetBelowBytes();
    return inIr ? v : null;
  }

  /** `n` bytes of text, up to the first NUL (static-length strings, text arrays). */
  private fixedText(n: string, inIr: boolean, what: string, staticLen: boolean, encoding?: string): string | null {
    this.align(8);
    const s = this.tmp('s');
    const e = this.tmp('e');
    const v = this.tmp();
    if (!staticLen) this.emit(`if (typeof ${n} !== 'number' || ${n} * 8 > end - p) H.badLength(st, p, ${n}, ${q(what)});`);
    else this.emit(`if (p + ${n} * 8 > end) H.overrun(st, p, ${q(what)});`);
    if (inIr && encoding && encoding !== 'utf-8') {
      this.emit(`const ${v} = H.strFixed(b, p >>> 3, ${n}, ${q(encoding)});`);
    } else if (inIr) {
      this.emit(`const ${s} = p >>> 3; let ${e} = ${s}; const ${e}lim = ${s} + ${n};`);
      this.emit(`while (${e} < ${e}lim && b[${e}] !== 0) ${e}++;`);
      this.emit(`const ${v} = H.str(b, ${s}, ${e});`);
    }
    if (staticLen) this.advance(Number(n) * 8);
    else {
      this.emit(`p += ${n} * 8;`);
      this.forgetBelowBytes();
    }
    return inIr ? v : null;
  }

  private blob(fc: Extract<FieldClass, { kind: 'blob' }>, what: string, uuidCheck: boolean): string | null {
    this.align(8);
    let n: string;
    if (fc.lengthField) {
      n = this.load(fc.lengthField.storeSlot, 'n');
      this.emit(`if (typeof ${n} !== 'number' || ${n} * 8 > end - p) H.badLength(st, p, ${n}, ${q(what)});`);
    } else {
      n = String(fc.length);
      this.emit(`if (p + ${n} * 8 > end) H.overrun(st, p, ${q(what)});`);
    }
    if (uuidCheck || fc.role === 'metadata-uuid') this.emit(`H.checkUuid(st, p >>> 3);`);
    const v = this.tmp();
    if (fc.inIr) this.emit(`const ${v} = H.bytes(b, p >>> 3, ${n});`);
    if (fc.lengthField) {
      this.emit(`p += ${n} * 8;`);
      this.forgetBelowBytes();
    } else this.advance(fc.length * 8);
    return fc.inIr ? v : null;
  }

  private struct(fc: StructClass, what: string): string | null {
    this.align(fc.align);
    const entries: string[] = [];
    for (const m of fc.members) {
      const uuidCheck = what === 'packet header' && m.name === 'uuid';
      const v = this.field(m.fc, `${what}.${m.name}`, { uuidCheck });
      if (v !== null && m.fc.inIr) entries.push(`${q(m.name)}: ${v}`);
    }
    if (!fc.inIr) return null;
    const v = this.tmp();
    this.emit(`const ${v} = { ${entries.join(', ')} };`);
    return v;
  }

  private array(fc: Extract<FieldClass, { kind: 'array' | 'sequence' }>, what: string, uuidCheck: boolean): string | null {
    let n: string;
    const elem = fc.elem;
    if (fc.kind === 'sequence') {
      n = this.load(fc.lengthField!.storeSlot, 'n');
      const min = Math.max(minSize(elem), 1);
      this.emit(`if (typeof ${n} !== 'number' || ${n} * ${min} > end - p + ${elem.align}) H.badLength(st, p, ${n}, ${q(what)});`);
    } else {
      n = String(fc.length);
    }
    if (fc.isText) {
      // byte-aligned 8-bit UTF-8 elements: text up to the first NUL
      if (uuidCheck) this.emit(`H.checkUuid(st, p >>> 3);`);
      return this.fixedText(n, fc.inIr, what, fc.kind === 'array');
    }
    this.align(elem.align);
    if (uuidCheck) this.emit(`H.checkUuid(st, p >>> 3);`);
    const es = staticSize(elem);
    const regular = es !== null && es % elem.align === 0;
    if (!fc.inIr && regular && !hasSideEffects(elem)) {
      // not part of the values and nothing inside matters: skip it
      if (fc.kind === 'array') {
        this.emit(`if (p + ${fc.length * es} > end) H.overrun(st, p, ${q(what)});`);
        this.advance(fc.length * es);
      } else {
        this.emit(`p += ${n} * ${es};`);
        this.known = Math.min(this.known, lowbit(es));
        this.phase %= this.known;
      }
      return null;
    }
    if (fc.inIr && elem.kind === 'int' && !hasSideEffects(elem) && this.byteAligned() && (elem.size === 8 || elem.size === 16 || elem.size === 32) && elem.align <= elem.size) {
      // byte-aligned integers: one indexed read per element, no cursor arithmetic
      const s = this.tmp('s');
      const arr = this.tmp('a');
      const i = this.tmp('i');
      const bytes = elem.size / 8;
      if (fc.kind === 'array') this.emit(`if (p + ${fc.length * elem.size} > end) H.overrun(st, p, ${q(what)});`);
      this.emit(`const ${s} = p >>> 3; const ${arr} = new Array(${n});`);
      const at = bytes === 1 ? `${s} + ${i}` : `${s} + ${i} * ${bytes}`;
      let read: string;
      if (elem.size === 8) read = elem.signed ? `((b[${at}] << 24) >> 24)` : `b[${at}]`;
      else read = `dv.get${elem.signed ? 'Int' : 'Uint'}${elem.size}(${at}, ${elem.byteOrder === 'le'})`;
      this.emit(`for (let ${i} = 0; ${i} < ${n}; ${i}++) ${arr}[${i}] = ${read};`);
      if (fc.kind === 'array') this.advance(fc.length * elem.size);
      else {
        this.emit(`p += ${n} * ${elem.size};`);
        this.known = Math.min(this.known, lowbit(elem.size));
        this.phase %= this.known;
      }
      return arr;
    }
    const arr = this.tmp('a');
    const i = this.tmp('i');
    if (fc.inIr) this.emit(`const ${arr} = new Array(${n});`);
    this.emit(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`);
    this.openBlock();
    if (regular) {
      this.known = Math.min(this.known, lowbit(es));
      this.phase %= this.known;
    } else {
      this.known = 1;
      this.phase = 0;
    }
    const inner = { known: this.known, phase: this.phase };
    const ev = this.field(elem, `${what}[]`);
    if (fc.inIr && ev !== null) this.emit(`${arr}[${i}] = ${ev};`);
    this.closeBlock();
    this.emit('}');
    if (regular) {
      this.known = inner.known;
      this.phase = inner.phase;
    } else {
      this.known = 1;
      this.phase = 0;
    }
    return fc.inIr ? arr : null;
  }

  private selectorCondition(t: string, ranges: ReadonlyArray<readonly [number | bigint, number | bigint]>): string {
    if (ranges.length === 0) return 'false';
    const lit = (x: number | bigint) => (typeof x === 'bigint' ? `${x}n` : String(x));
    return ranges.map(([lo, hi]) => (lo === hi ? `${t} == ${lit(lo)}` : `(${t} >= ${lit(lo)} && ${t} <= ${lit(hi)})`)).join(' || ');
  }

  private variant(fc: Extract<FieldClass, { kind: 'variant' }>, what: string): string | null {
    const out = this.tmp('r');
    const t = this.load(fc.tagField!.storeSlot, 't');
    this.emit(`let ${out} = null;`);
    const start = { known: this.known, phase: this.phase };
    const ends: Array<{ known: number; phase: number }> = [];
    fc.options.forEach((o, k) => {
      const cond = this.selectorCondition(t, o.ranges);
      this.emit(`${k === 0 ? 'if' : '} else if'} (${cond}) {`);
      this.openBlock();
      this.known = start.known;
      this.phase = start.phase;
      const v = this.field(o.fc, `${what}.${o.name}`);
      if (v !== null) this.emit(`${out} = ${v};`);
      ends.push({ known: this.known, phase: this.phase });
      this.closeBlock();
    });
    this.emit(fc.options.length ? '} else {' : '{');
    this.emit(`  H.badTag(st, p, ${t}, ${q(what)});`);
    this.emit('}');
    this.mergeEnds(ends);
    return fc.inIr ? out : null;
  }

  private optional(fc: Extract<FieldClass, { kind: 'optional' }>, what: string): string | null {
    const out = this.tmp('r');
    const t = this.load(fc.selectorField!.storeSlot, 't');
    this.emit(`let ${out} = null;`);
    const cond = fc.ranges ? this.selectorCondition(t, fc.ranges) : `${t}`;
    const start = { known: this.known, phase: this.phase };
    this.emit(`if (${cond}) {`);
    this.openBlock();
    const v = this.field(fc.fc, what);
    if (v !== null) this.emit(`${out} = ${v};`);
    this.closeBlock();
    this.emit('}');
    this.mergeEnds([start, { known: this.known, phase: this.phase }]);
    return fc.inIr ? out : null;
  }

  /** After branches: keep only what all of them agree on. */
  private mergeEnds(ends: Array<{ known: number; phase: number }>): void {
    if (ends.length === 0) return;
    let known = Math.min(...ends.map((e) => e.known));
    while (known > 1 && !ends.every((e) => e.phase % known === ends[0]!.phase % known)) known /= 2;
    this.known = known;
    this.phase = ends[0]!.phase % known;
  }
}

/** True when decoding `fc` writes state (roles, clock, stored values, UUID check). */
export function hasSideEffects(fc: FieldClass): boolean {
  return someFieldClass(fc, writesState);
}

/** The field class itself (not its members) writes state when decoded. */
function writesState(fc: FieldClass): boolean {
  switch (fc.kind) {
    case 'int':
    case 'varint':
      return fc.role !== null || fc.mappedClock !== null || fc.storeSlot >= 0;
    case 'bool':
      return fc.storeSlot >= 0;
    case 'blob':
      return fc.role !== null;
    default:
      return false;
  }
}

export type ScopeDecoder = (st: DecodeState) => Record<string, unknown> | null;

/**
 * Compiles a function: `body(builder)` emits the statements and returns the result
 * expression. The function reads/writes `st.p`.
 */
export function compile<R>(name: string, helpers: CodegenHelpers, body: (g: FunctionBuilder) => string, extraParams: string[] = []): (st: DecodeState) => R {
  const consts: unknown[] = [];
  const g = new FunctionBuilder(consts);
  const result = body(g);
  const constDecl = consts.length ? `const ${consts.map((_, i) => `C${i} = K[${i}]`).join(', ')};\n` : '';
  const src = `${constDecl}return function ${name}(${['st', ...extraParams].join(', ')}) {\n  const b = st.b, dv = st.dv, S = st.S, end = st.end;\n  let p = st.p;\n${g.source()}\n  st.p = p;\n  return ${result};\n};`;
  // Generated code is the point of this module (see the module comment); the source is
  // built only from the metadata model, with names quoted through JSON.stringify.
  const factory = new Function('H', 'K', src) as (h: CodegenHelpers, k: unknown[]) => (st: DecodeState) => R;
  return factory(helpers, consts);
}

/** Decoder of a whole scope structure (packet header/context): returns its value or null. */
export function compileScope(name: string, fc: StructClass, what: string, helpers: CodegenHelpers): ScopeDecoder {
  return compile(name, helpers, (g) => g.field(fc, what) ?? 'null');
}

export { FunctionBuilder };
