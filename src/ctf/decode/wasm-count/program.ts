/**
 * Compiles field classes into counting programs for the WebAssembly interpreter: the
 * same steps, in the same order, as the JavaScript decoder (codegen.ts) takes for them,
 * without building values. Layouts this tier does not handle (LEB128 integers, UTF-16/32
 * strings, reader roles inside events, very deep nesting) throw Unsupported, and their
 * stream class stays on the JavaScript decoder.
 */
import { someFieldClass } from '../../metadata/field-class-util.js';
import type { EventClass, FieldClass, StreamClass, StructClass, TraceClass } from '../../metadata/model.js';
import { hasSideEffects, minSize } from '../codegen.js';
import { IfMode, IntFlag, MAX_LOOP_DEPTH, MAX_SLOTS, Op } from './layout.js';

export class Unsupported extends Error {}

type Range = readonly [number | bigint, number | bigint];

const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** Program words on their way to memory, at byte address `base` onwards. */
export class ProgramWords {
  readonly words: number[] = [];

  constructor(readonly base: number) {}

  /** Byte address of the next word. */
  get here(): number {
    return this.base + this.words.length * 4;
  }

  /** Appends words; returns the index of the first (for patch()). */
  emit(...w: number[]): number {
    const at = this.words.length;
    for (const x of w) this.words.push(x | 0);
    return at;
  }

  patch(index: number, value: number): void {
    this.words[index] = value | 0;
  }
}

function slotOf(slot: number | undefined): number {
  if (slot === undefined || slot < 0 || slot >= MAX_SLOTS) throw new Unsupported('stored-value slot out of range');
  return slot;
}

/** An inclusive range clamped to what a signed or unsigned 64-bit value can be, or null when empty. */
function clampRange([lo, hi]: Range, signed: boolean): [bigint, bigint] | null {
  let l = BigInt(lo);
  let h = BigInt(hi);
  if (signed) {
    if (l > I64_MAX) return null;
    if (h > I64_MAX) h = I64_MAX;
  } else {
    if (h < 0n) return null;
    if (l < 0n) l = 0n;
    if (h > U64_MAX) h = U64_MAX;
  }
  return l <= h ? [l, h] : null;
}

function plainIntFlags(signed: boolean, byteOrder: 'le' | 'be'): number {
  return (signed ? IntFlag.SIGNED : 0) | (byteOrder === 'be' ? IntFlag.BIG_ENDIAN : 0);
}

function i64Words(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0];
}

/**
 * Compiles fields, tracking which stored-value slots are certainly written before the
 * point being compiled. A length/tag/selector read from any other slot (one written only
 * in an untaken variant option, say, where the JS decoder would read a value left by an
 * earlier event) makes the layout Unsupported: the two tiers must never disagree.
 */
class FieldCompiler {
  private loopDepth = 0;

  constructor(
    private readonly out: ProgramWords,
    /** Slots certainly written so far (packet-scope slots count: they are copied in). */
    private written: Set<number>,
  ) {}

  /** A slot about to be read. */
  private read(slot: number | undefined): number {
    const s = slotOf(slot);
    if (!this.written.has(s)) throw new Unsupported('a length, tag or selector that may be stale');
    return s;
  }

  private wrote(slot: number): number {
    this.written.add(slotOf(slot));
    return slot;
  }

  /** Compiles a part that may not run (loop body, option): its writes are not certain after it. */
  private maybe(body: () => void): void {
    const before = this.written;
    this.written = new Set(before);
    body();
    this.written = before;
  }

  certainlyWritten(): ReadonlySet<number> {
    return this.written;
  }

  /**
   * Alignment owed before the next field: folded into that field's instruction, or
   * emitted as ALIGN before an instruction that has no alignment of its own. Aligning on
   * a then on b (powers of two) is aligning on the larger.
   */
  private pendingAlign = 1;

  align(a: number): void {
    if (a > this.pendingAlign) this.pendingAlign = a;
  }

  /** The alignment the next field instruction applies (its own and what is owed). */
  private takeAlign(own: number): number {
    const a = Math.max(this.pendingAlign, own, 1);
    this.pendingAlign = 1;
    return a;
  }

  /** Emits the owed alignment (before an instruction without an align operand). */
  flush(): void {
    if (this.pendingAlign > 1) this.out.emit(Op.ALIGN, this.pendingAlign);
    this.pendingAlign = 1;
  }

  /** Byte-aligned text instructions align on 8 themselves; only more must be emitted. */
  private flushBeyondBytes(): void {
    if (this.pendingAlign > 8) this.flush();
    this.pendingAlign = 1;
  }

  field(fc: FieldClass): void {
    const out = this.out;
    switch (fc.kind) {
      case 'int': {
        if (fc.role !== null && fc.role !== 'event-class-id') throw new Unsupported(`role ${fc.role} inside an event`);
        if (fc.mappedClock !== null && fc.signed && fc.size < 64) throw new Unsupported('signed timestamp field');
        let flags = plainIntFlags(fc.signed, fc.byteOrder);
        if (fc.mappedClock !== null) flags |= IntFlag.CLOCK;
        if (fc.role === 'event-class-id') flags |= IntFlag.EVENT_ID;
        if (fc.storeSlot >= 0) flags |= IntFlag.STORE;
        out.emit(Op.INT, this.takeAlign(fc.align), fc.size, flags, fc.storeSlot >= 0 ? this.wrote(fc.storeSlot) : 0);
        return;
      }
      case 'bool':
      case 'bits': {
        let flags = plainIntFlags(false, fc.byteOrder);
        let slot = 0;
        if (fc.kind === 'bool') {
          flags |= IntFlag.BOOL;
          if (fc.storeSlot >= 0) {
            flags |= IntFlag.STORE;
            slot = this.wrote(fc.storeSlot);
          }
        }
        out.emit(Op.INT, this.takeAlign(fc.align), fc.size, flags, slot);
        return;
      }
      case 'float':
        out.emit(Op.FLOAT, this.takeAlign(fc.align), fc.size);
        return;
      case 'string':
        if (fc.encoding !== undefined && fc.encoding !== 'utf-8') throw new Unsupported(`${fc.encoding} string`);
        this.flushBeyondBytes();
        out.emit(Op.STRING);
        return;
      case 'static-string':
        this.flushBeyondBytes();
        out.emit(Op.BYTES, fc.length);
        return;
      case 'dynamic-string':
        this.flushBeyondBytes();
        out.emit(Op.BYTES_SLOT, this.read(fc.lengthField?.storeSlot));
        return;
      case 'blob':
        if (fc.role !== null) throw new Unsupported(`BLOB role ${fc.role}`);
        this.flushBeyondBytes();
        if (fc.lengthField !== null) out.emit(Op.BYTES_SLOT, this.read(fc.lengthField.storeSlot));
        else out.emit(Op.BYTES, fc.length);
        return;
      case 'struct':
        this.align(fc.align);
        for (const m of fc.members) this.field(m.fc);
        return;
      case 'array':
      case 'sequence':
        this.array(fc);
        return;
      case 'variant':
        this.variant(fc);
        return;
      case 'optional':
        this.optional(fc);
        return;
      case 'varint':
        throw new Unsupported('variable-length integer');
    }
  }

  private array(fc: Extract<FieldClass, { kind: 'array' | 'sequence' }>): void {
    const out = this.out;
    let slot = -1;
    if (fc.kind === 'sequence') {
      slot = this.read(fc.lengthField?.storeSlot);
      this.flush();
      out.emit(Op.CHECK_LEN, slot, Math.max(minSize(fc.elem), 1), fc.elem.align);
    }
    if (fc.isText) {
      this.flushBeyondBytes();
      if (fc.kind === 'sequence') out.emit(Op.BYTES_SLOT, slot);
      else out.emit(Op.BYTES, fc.length);
      return;
    }
    const elem = fc.elem;
    if (fc.kind === 'array' && fc.length * minSize(elem) >= 2 ** 30) throw new Unsupported('array larger than a packet');
    this.align(elem.align);
    if ((elem.kind === 'int' || elem.kind === 'bits') && !hasSideEffects(elem) && elem.size % elem.align === 0) {
      // each element starts aligned where the previous one ends: one instruction for all
      const signed = elem.kind === 'int' && elem.signed;
      out.emit(Op.INTS, this.takeAlign(elem.align), slot, fc.kind === 'array' ? fc.length : 0, elem.size, plainIntFlags(signed, elem.byteOrder));
      return;
    }
    this.flush();
    if (++this.loopDepth > MAX_LOOP_DEPTH) throw new Unsupported('arrays nested too deeply');
    const loop = out.emit(Op.LOOP, slot, fc.kind === 'array' ? fc.length : 0, 0);
    this.maybe(() => {
      this.field(elem);
      this.flush();
    });
    out.emit(Op.LOOP_END);
    out.patch(loop + 3, out.here);
    this.loopDepth--;
  }

  private variant(fc: Extract<FieldClass, { kind: 'variant' }>): void {
    const out = this.out;
    const tag = fc.tagField;
    if (tag === null) throw new Unsupported('unresolved variant tag');
    const signed = tag.signed;
    const ranges: Array<{ range: [bigint, bigint]; option: number }> = [];
    fc.options.forEach((o, i) => {
      for (const r of o.ranges) {
        const c = clampRange(r, signed);
        if (c) ranges.push({ range: c, option: i });
      }
    });
    this.flush();
    out.emit(Op.SWITCH, this.read(tag.storeSlot), signed ? 1 : 0, ranges.length);
    const targets: number[] = [];
    for (const { range } of ranges) {
      out.emit(...i64Words(range[0]), ...i64Words(range[1]));
      targets.push(out.emit(0));
    }
    const jumps: number[] = [];
    const starts = fc.options.map((o) => {
      const at = out.here;
      this.maybe(() => {
        this.field(o.fc);
        this.flush();
      });
      jumps.push(out.emit(Op.JUMP, 0) + 1);
      return at;
    });
    ranges.forEach(({ option }, i) => out.patch(targets[i]!, starts[option]!));
    for (const j of jumps) out.patch(j, out.here);
  }

  private optional(fc: Extract<FieldClass, { kind: 'optional' }>): void {
    const out = this.out;
    const sel = fc.selectorField;
    if (sel === null) throw new Unsupported('unresolved optional selector');
    const slot = this.read(sel.storeSlot);
    this.flush();
    const body = () => {
      this.field(fc.fc);
      this.flush();
    };
    if (fc.ranges === null) {
      const at = out.emit(Op.IF, slot, IfMode.BOOL, 0, 0);
      this.maybe(body);
      out.patch(at + 4, out.here);
      return;
    }
    const signed = sel.kind !== 'bool' && sel.signed;
    const ranges = fc.ranges.map((r) => clampRange(r, signed)).filter((r): r is [bigint, bigint] => r !== null);
    const at = out.emit(Op.IF, slot, signed ? IfMode.SIGNED_RANGES : IfMode.UNSIGNED_RANGES, ranges.length, 0);
    for (const [lo, hi] of ranges) out.emit(...i64Words(lo), ...i64Words(hi));
    this.maybe(body);
    out.patch(at + 4, out.here);
  }
}

/** Where a stream class's programs live: its event head and its event class table. */
export interface StreamProgram {
  readonly headPc: number;
  readonly tableAddr: number;
  readonly tableLen: number;
  /** Slots that packet headers/contexts store (copied in from the JS decoder per packet). */
  readonly packetSlots: readonly number[];
  /** Slots certainly written when an event class program starts. */
  readonly writtenByHead: ReadonlySet<number>;
}

/** The largest event class table this tier keeps (ids beyond stay on the JS decoder). */
const MAX_TABLE = 65536;

/**
 * The head program of stream class `sc` (header, event time, common context, dispatch),
 * followed by its (zeroed) event class table. Throws Unsupported.
 */
export function compileStreamHead(tc: TraceClass, sc: StreamClass, out: ProgramWords): StreamProgram {
  const ids = [...sc.eventClasses.keys()];
  const tableLen = ids.length ? Math.max(...ids) + 1 : 0;
  if (tableLen > MAX_TABLE) throw new Unsupported('event class ids too large for a table');
  const defaultId = ids.length === 1 ? ids[0]! : -1;
  const headPc = out.here;
  const packetSlots = packetScopeSlots(tc, sc);
  const written = new Set(packetSlots);
  const fields = new FieldCompiler(out, written);
  out.emit(Op.HEAD, defaultId);
  if (sc.eventHeader) fields.field(sc.eventHeader);
  fields.flush();
  out.emit(Op.EVENT_TS);
  if (sc.eventCommonContext) fields.field(sc.eventCommonContext);
  fields.flush();
  const dispatch = out.emit(Op.DISPATCH, 0, tableLen);
  out.patch(dispatch + 1, out.here);
  const tableAddr = out.here;
  for (let i = 0; i < tableLen; i++) out.emit(0);
  return { headPc, tableAddr, tableLen, packetSlots, writtenByHead: fields.certainlyWritten() };
}

/** The program of one event class: specific context, payload, end of event. Throws Unsupported. */
export function compileEventClass(ec: EventClass, stream: StreamProgram, out: ProgramWords): number {
  const pc = out.here;
  const fields = new FieldCompiler(out, new Set(stream.writtenByHead));
  if (ec.specificContext) fields.field(ec.specificContext);
  if (ec.payload) fields.field(ec.payload);
  fields.flush();
  out.emit(Op.END_EVENT, stream.headPc);
  return pc;
}

function packetScopeSlots(tc: TraceClass, sc: StreamClass): number[] {
  const slots = new Set<number>();
  const collect = (s: StructClass | null) => {
    if (s)
      someFieldClass(s, (fc) => {
        if ((fc.kind === 'int' || fc.kind === 'varint' || fc.kind === 'bool') && fc.storeSlot >= 0) slots.add(slotOf(fc.storeSlot));
        return false;
      });
  };
  collect(tc.packetHeader);
  collect(sc.packetContext);
  return [...slots];
}
