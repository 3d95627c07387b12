/**
 * TSDL semantics (CTF 1.8): syntax tree → trace class model. Follows babeltrace2's
 * interpretation wherever the specification leaves room, so that decoded values match
 * the reference reader exactly:
 *  - blocks are visited in the order env, clock, root declarations, trace, stream, event,
 *    whatever their order in the text;
 *  - one leading underscore is removed from field names, enumeration labels and path
 *    components (`__seq_length` → `_seq_length`);
 *  - `timestamp` fields of event headers and `timestamp_begin`/`timestamp_end` of packet
 *    contexts without `map` are mapped to the only clock (or an implicit 1 GHz `default`);
 *  - an LTTng `monotonic` clock is absolute even when old tracers forgot to say so.
 */
import { cloneFieldClass, someFieldClass, updateInIr } from './field-class-util.js';
import { resolveFieldRefs } from './field-refs.js';
import { MetadataError } from './metadata-error.js';
import type { ByteOrder, Callsite, ClockClass, EnumMapping, EventClass, FieldClass, FieldRef, FieldRole, IntegerClass, ScopeName, StreamClass, StructClass, TraceClass, VariantClass } from './model.js';
import { normaliseInteger } from './model.js';
import { parseEventBlock, parseTsdl, type Attribute, type BlockEntry, type BodyEntry, type CompoundSpec, type Declarator, type SpecifierList, type TopLevel, type TsdlValue } from './tsdl-parser.js';
import { TsdlSyntaxError } from './tsdl-lexer.js';

/** Parses and resolves TSDL metadata text; throws MetadataError with a character offset. */
export function resolveTsdl(text: string): TraceClass {
  const doc = syntax(() => parseTsdl(text, true));
  // event blocks are parsed one at a time, after every other block (babeltrace2's order),
  // so that only one event's syntax tree is alive at a time
  const events = doc.deferredEvents.map((at) => () => syntax(() => parseEventBlock(text, at, doc)));
  return new TsdlResolver(text).run(doc.items, events);
}

function syntax<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof TsdlSyntaxError) throw new MetadataError(`line ${err.line}: ${err.message}`, err.offset);
    throw err;
  }
}

const EMPTY_DECLS = new Map<string, never>();

/**
 * Declarations (typealias/typedef names, named structures, variants, enumerations) of one
 * lexical scope. The maps are created on first use: every structure and event opens a
 * scope, and almost none declares anything.
 */
class DeclScope {
  private decls: { aliases: Map<string, FieldClass>; structs: Map<string, StructClass>; variants: Map<string, VariantClass>; enums: Map<string, IntegerClass> } | null = null;
  constructor(readonly parent: DeclScope | null) {}

  get aliases(): Map<string, FieldClass> {
    return this.own().aliases;
  }
  get structs(): Map<string, StructClass> {
    return this.own().structs;
  }
  get variants(): Map<string, VariantClass> {
    return this.own().variants;
  }
  get enums(): Map<string, IntegerClass> {
    return this.own().enums;
  }
  private own(): NonNullable<DeclScope['decls']> {
    return (this.decls ??= { aliases: new Map(), structs: new Map(), variants: new Map(), enums: new Map() });
  }

  lookup<K extends 'aliases' | 'structs' | 'variants' | 'enums'>(kind: K, name: string): DeclScope[K] extends Map<string, infer V> ? V | undefined : never {
    const v = (this.decls?.[kind] ?? EMPTY_DECLS).get(name);
    if (v) return v as never;
    return (this.parent ? this.parent.lookup(kind, name) : undefined) as never;
  }
}

const UINT64_MAX = (1n << 64n) - 1n;

/** Removes one leading underscore from each component of a TSDL path (babeltrace2 rule). */
export function stripPathUnderscores(path: string): string {
  return path
    .replace(/\s+/g, '')
    .split('.')
    .map((p) => (p.startsWith('_') ? p.slice(1) : p))
    .join('.');
}

const ABSOLUTE_PREFIXES: ReadonlyArray<readonly [string, ScopeName]> = [
  ['trace.packet.header.', 'packet-header'],
  ['stream.packet.context.', 'packet-context'],
  ['stream.event.header.', 'event-header'],
  ['stream.event.context.', 'event-common-context'],
  ['event.context.', 'event-specific-context'],
  ['event.fields.', 'event-payload'],
];

function makeRef(rawPath: string, offset: number): FieldRef {
  const text = stripPathUnderscores(rawPath);
  for (const [prefix, scope] of ABSOLUTE_PREFIXES) {
    if (text.startsWith(prefix)) return { scope, path: text.slice(prefix.length).split('.'), text: rawPath, style: 'tsdl', offset };
  }
  return { scope: null, path: text.split('.'), text: rawPath, style: 'tsdl', offset };
}

class TsdlResolver {
  private byteOrder: ByteOrder = 'le';
  private scope = new DeclScope(null);
  private readonly clocks: ClockClass[] = [];
  private readonly env: Record<string, string | number> = {};
  private readonly streamClasses = new Map<number, StreamClass>();
  private readonly callsites: Callsite[] = [];
  private isLttng = false;
  private uuid: string | null = null;
  private packetHeader: StructClass | null = null;

  constructor(private readonly text: string) {}

  private err(msg: string, offset: number | undefined): never {
    throw new MetadataError(offset === undefined ? msg : `line ${this.lineOf(offset)}: ${msg}`, offset);
  }
  private lineOf(offset: number): number {
    let line = 1;
    for (let i = 0; i < offset && i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) line++;
    return line;
  }

  run(items: TopLevel[], deferredEvents: ReadonlyArray<() => Extract<TopLevel, { kind: 'block' }>> = []): TraceClass {
    const blocks = (k: string) => items.filter((it): it is Extract<TopLevel, { kind: 'block' }> => it.kind === 'block' && it.block === k);
    const traces = blocks('trace');
    if (traces.length === 0) this.err('missing trace block (trace { ... };)', undefined);
    if (traces.length > 1) this.err('duplicate trace block', traces[1]!.offset);
    this.byteOrder = this.traceByteOrder(traces[0]!);

    for (const b of blocks('env')) this.visitEnv(b.entries);
    for (const b of blocks('clock')) this.visitClock(b.entries, b.offset);
    for (const it of items) if (it.kind !== 'block') this.visitDeclaration(it);
    for (const b of blocks('callsite')) this.visitCallsite(b.entries);
    this.visitTrace(traces[0]!.entries, traces[0]!.offset);
    for (const b of blocks('stream')) this.visitStream(b.entries, b.offset);
    for (const b of blocks('event')) this.visitEvent(b.entries, b.offset);
    for (const parse of deferredEvents) {
      const b = parse();
      this.visitEvent(b.entries, b.offset);
    }

    const tc: TraceClass = {
      ctfMajor: 1,
      uuid: this.uuid,
      byteOrder: this.byteOrder,
      packetHeader: this.packetHeader,
      env: this.env,
      clocks: this.clocks,
      streamClasses: this.streamClasses,
      callsites: this.callsites,
      storedValueCount: 0,
    };
    finishTraceClass(tc, assignTsdlRoles);
    return tc;
  }

  // ---- trace / env / clock / callsite ------------------------------------------------

  private traceByteOrder(block: Extract<TopLevel, { kind: 'block' }>): ByteOrder {
    const e = block.entries.find((x): x is Extract<BlockEntry, { kind: 'assign' }> => x.kind === 'assign' && x.left === 'byte_order');
    if (!e) this.err('missing byte_order in trace block', block.offset);
    const bo = this.byteOrderValue(e.value, false);
    return bo;
  }

  private byteOrderValue(v: TsdlValue, allowNative: boolean): ByteOrder {
    const s = v.type === 'int' ? '' : v.value;
    if (s === 'be' || s === 'network') return 'be';
    if (s === 'le') return 'le';
    if (s === 'native' && allowNative) return this.byteOrder;
    this.err(`invalid byte_order '${s}' (expected be, le, network${allowNative ? ' or native' : ''})`, v.offset);
  }

  private visitEnv(entries: BlockEntry[]): void {
    for (const e of entries) {
      if (e.kind !== 'assign') this.err('unexpected declaration in env block', e.offset);
      if (e.value.type === 'int') {
        if (e.value.value > (1n << 63n) - 1n) this.err(`env.${e.left} does not fit in a signed 64-bit integer`, e.value.offset);
        this.env[e.left] = Number(e.value.value);
      } else {
        this.env[e.left] = e.value.value;
        if (e.left === 'tracer_name' && e.value.value.startsWith('lttng')) this.isLttng = true;
      }
    }
  }

  private visitClock(entries: BlockEntry[], offset: number): void {
    let name: string | null = null;
    let uuid: string | null = null;
    let description: string | null = null;
    let freq = 1_000_000_000n;
    let precision = 0;
    let offsetS = 0n;
    let offsetCycles = 0n;
    let absolute = false;
    const seen = new Set<string>();
    for (const e of entries) {
      if (e.kind !== 'assign') this.err('unexpected declaration in clock block', e.offset);
      if (seen.has(e.left)) this.err(`duplicate clock attribute '${e.left}'`, e.offset);
      seen.add(e.left);
      const v = e.value;
      switch (e.left) {
        case 'name':
          name = this.stringValue(v);
          break;
        case 'uuid':
          uuid = this.uuidValue(v);
          break;
        case 'description':
          description = this.stringValue(v);
          break;
        case 'freq':
          freq = this.unsigned(v, 'clock freq');
          if (freq === 0n || freq === UINT64_MAX) this.err(`invalid clock frequency ${freq}`, v.offset);
          break;
        case 'precision':
          precision = Number(this.unsigned(v, 'clock precision'));
          break;
        case 'offset_s':
          if (v.type !== 'int') this.err('clock offset_s must be an integer', v.offset);
          offsetS = v.value;
          break;
        case 'offset':
          offsetCycles = this.unsigned(v, 'clock offset');
          break;
        case 'absolute':
          absolute = this.boolValue(v);
          break;
        default:
          break; // unknown attributes are ignored, like babeltrace2 does (with a warning)
      }
    }
    if (name === null) this.err("missing 'name' in clock block", offset);
    if (this.clocks.some((c) => c.name === name)) this.err(`duplicate clock '${name}'`, offset);
    if (this.isLttng && name === 'monotonic') absolute = true;
    // normalise so that 0 <= offsetCycles < freq (babeltrace2's calibration)
    if (offsetCycles >= freq) {
      offsetS += offsetCycles / freq;
      offsetCycles %= freq;
    }
    this.clocks.push({ name, uuid, description, freq: Number(freq), precision, offsetSeconds: offsetS, offsetCycles, absolute });
  }

  private visitCallsite(entries: BlockEntry[]): void {
    const c: { name: string; func: string | null; file: string | null; line: number | null; ip: number | bigint | null } = { name: '', func: null, file: null, line: null, ip: null };
    for (const e of entries) {
      if (e.kind !== 'assign') continue;
      if (e.left === 'name') c.name = this.stringValue(e.value);
      else if (e.left === 'func') c.func = this.stringValue(e.value);
      else if (e.left === 'file') c.file = this.stringValue(e.value);
      else if (e.left === 'line' && e.value.type === 'int') c.line = Number(e.value.value);
      else if (e.left === 'ip' && e.value.type === 'int') c.ip = normaliseInteger(e.value.value);
    }
    this.callsites.push(c);
  }

  private visitTrace(entries: BlockEntry[], offset: number): void {
    this.pushScope();
    let major: bigint | null = null;
    let minor: bigint | null = null;
    const seen = new Set<string>();
    for (const e of entries) {
      if (e.kind === 'assign' || e.kind === 'type-assign') {
        if (seen.has(e.left)) this.err(`duplicate trace attribute '${e.left}'`, e.offset);
        seen.add(e.left);
      }
      if (e.kind === 'assign') {
        switch (e.left) {
          case 'major':
            major = this.unsigned(e.value, 'trace major');
            if (major !== 1n) this.err(`unsupported trace major version ${major} (expected 1)`, e.offset);
            break;
          case 'minor':
            minor = this.unsigned(e.value, 'trace minor');
            if (minor !== 8n) this.err(`unsupported trace minor version ${minor} (expected 8)`, e.offset);
            break;
          case 'uuid':
            this.uuid = this.uuidValue(e.value);
            break;
          case 'byte_order':
            break; // already known
          default:
            break;
        }
      } else if (e.kind === 'type-assign') {
        if (e.left !== 'packet.header') this.err(`unknown trace field class '${e.left}'`, e.offset);
        this.packetHeader = this.scopeStruct(e.spec, e.declarator, 'packet.header');
      } else {
        this.visitDeclaration(e);
      }
    }
    this.popScope();
    if (major === null) this.err("missing 'major' in trace block", offset);
    if (minor === null) this.err("missing 'minor' in trace block", offset);
  }

  private visitStream(entries: BlockEntry[], offset: number): void {
    this.pushScope();
    let id: number | null = null;
    const sc: StreamClass = {
      id: 0,
      packetContext: null,
      eventHeader: null,
      eventCommonContext: null,
      eventClasses: new Map(),
      defaultClock: null,
      hasDiscardedEvents: false,
      hasPacketSeqNum: false,
      packetsHaveBeginTime: false,
      packetsHaveEndTime: false,
    };
    const seen = new Set<string>();
    for (const e of entries) {
      if (e.kind === 'assign' || e.kind === 'type-assign') {
        if (seen.has(e.left)) this.err(`duplicate stream attribute '${e.left}'`, e.offset);
        seen.add(e.left);
      }
      if (e.kind === 'assign') {
        if (e.left === 'id') id = Number(this.unsigned(e.value, 'stream id'));
      } else if (e.kind === 'type-assign') {
        const s = this.scopeStruct(e.spec, e.declarator, e.left);
        if (e.left === 'event.header') {
          sc.eventHeader = s;
          this.autoMapClock(s, 'timestamp', e.offset);
        } else if (e.left === 'event.context') sc.eventCommonContext = s;
        else if (e.left === 'packet.context') {
          sc.packetContext = s;
          this.autoMapClock(s, 'timestamp_begin', e.offset);
          this.autoMapClock(s, 'timestamp_end', e.offset);
        } else this.err(`unknown stream field class '${e.left}'`, e.offset);
      } else {
        this.visitDeclaration(e);
      }
    }
    this.popScope();
    if (id !== null) {
      const sid = this.packetHeader?.members.find((m) => m.name === 'stream_id');
      if (!sid) this.err("stream class has an 'id' but the trace packet header has no 'stream_id' field", offset);
      if (sid.fc.kind !== 'int') this.err("trace packet header 'stream_id' is not an integer", offset);
    } else {
      if (this.streamClasses.size !== 0) this.err("missing 'id' in stream block (there is more than one stream class)", offset);
      id = 0;
    }
    if (this.streamClasses.has(id)) this.err(`duplicate stream class id ${id}`, offset);
    (sc as { id: number }).id = id;
    this.streamClasses.set(id, sc);
  }

  private visitEvent(entries: BlockEntry[], offset: number): void {
    this.pushScope();
    let name: string | null = null;
    let id: number | null = null;
    let streamId: number | null = null;
    let logLevel: number | null = null;
    let emfUri: string | null = null;
    let specificContext: StructClass | null = null;
    let payload: StructClass | null = null;
    const attributes: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const e of entries) {
      if (e.kind === 'assign' || e.kind === 'type-assign') {
        if (seen.has(e.left)) this.err(`duplicate event attribute '${e.left}'`, e.offset);
        seen.add(e.left);
      }
      if (e.kind === 'assign') {
        switch (e.left) {
          case 'name':
            name = this.stringValue(e.value);
            break;
          case 'id':
            id = Number(this.unsigned(e.value, 'event id'));
            break;
          case 'stream_id':
            streamId = Number(this.unsigned(e.value, 'event stream_id'));
            break;
          case 'loglevel':
            logLevel = Number(this.unsigned(e.value, 'event loglevel'));
            break;
          case 'model.emf.uri':
            emfUri = this.stringValue(e.value);
            break;
          default:
            attributes[e.left] = e.value.type === 'int' ? normaliseInteger(e.value.value) : e.value.value;
            break;
        }
      } else if (e.kind === 'type-assign') {
        if (e.left === 'context') specificContext = this.scopeStruct(e.spec, e.declarator, 'event.context');
        else if (e.left === 'fields') payload = this.scopeStruct(e.spec, e.declarator, 'event.fields');
        else this.err(`unknown event field class '${e.left}'`, e.offset);
      } else {
        this.visitDeclaration(e);
      }
    }
    this.popScope();
    if (name === null) this.err("missing 'name' in event block", offset);
    let sc: StreamClass | undefined;
    if (streamId === null) {
      if (this.streamClasses.size === 0) {
        sc = { id: 0, packetContext: null, eventHeader: null, eventCommonContext: null, eventClasses: new Map(), defaultClock: null, hasDiscardedEvents: false, hasPacketSeqNum: false, packetsHaveBeginTime: false, packetsHaveEndTime: false };
        this.streamClasses.set(0, sc);
      } else if (this.streamClasses.size === 1) sc = [...this.streamClasses.values()][0]!;
      else this.err(`missing 'stream_id' in event '${name}' (there is more than one stream class)`, offset);
    } else {
      sc = this.streamClasses.get(streamId);
      if (!sc) this.err(`event '${name}' refers to unknown stream class ${streamId}`, offset);
    }
    if (id === null) {
      if (sc.eventClasses.size !== 0) this.err(`missing 'id' in event '${name}' (its stream class has several events)`, offset);
      id = 0;
    }
    if (sc.eventClasses.has(id)) this.err(`duplicate event id ${id} in stream class ${sc.id} ('${name}')`, offset);
    const ec: EventClass = { id, name, streamClassId: sc.id, specificContext, payload, logLevel, emfUri, attributes };
    sc.eventClasses.set(id, ec);
  }

  /** Maps integers named `field` (at any depth) without a `map` to the trace's clock. */
  private autoMapClock(s: StructClass | null, field: string, offset: number): void {
    const visit = (fc: FieldClass): void => {
      if (fc.kind === 'struct') {
        for (const m of fc.members) {
          if (m.name === field && m.fc.kind === 'int' && !m.fc.mappedClock) m.fc.mappedClock = this.implicitClock(offset);
          visit(m.fc);
        }
      } else if (fc.kind === 'variant') {
        for (const o of fc.options) {
          if (o.name === field && o.fc.kind === 'int' && !o.fc.mappedClock) o.fc.mappedClock = this.implicitClock(offset);
          visit(o.fc);
        }
      }
    };
    if (s) visit(s);
  }

  private implicitClock(offset: number): ClockClass {
    if (this.clocks.length === 0) {
      this.clocks.push({ name: 'default', uuid: null, description: null, freq: 1e9, precision: 0, offsetSeconds: 0n, offsetCycles: 0n, absolute: false });
    } else if (this.clocks.length > 1) {
      this.err('a timestamp field has no clock mapping and the trace has more than one clock', offset);
    }
    return this.clocks[0]!;
  }

  // ---- declarations --------------------------------------------------------------

  private pushScope(): void {
    this.scope = new DeclScope(this.scope);
  }
  private popScope(): void {
    this.scope = this.scope.parent!;
  }

  private visitDeclaration(d: BodyEntry): void {
    switch (d.kind) {
      case 'typedef':
        for (const decl of d.declarators) {
          const fc = this.fieldClass(d.spec, decl);
          if (fc.kind === 'variant' && fc.tagRef.text === '') this.err('typedef of an untagged variant is not allowed', d.offset);
          if (!decl.name) this.err('typedef without a name', d.offset);
          this.registerAlias(decl.name, fc, d.offset);
        }
        break;
      case 'typealias': {
        if (d.declarator.name) this.err(`typealias target must be abstract (found '${d.declarator.name}')`, d.offset);
        const fc = this.fieldClass(d.spec, d.declarator);
        if (fc.kind === 'variant' && fc.tagRef.text === '') this.err('typealias of an untagged variant is not allowed', d.offset);
        const aliasName = d.aliasWords.join(' ') + ' *'.repeat(d.aliasPointers);
        this.registerAlias(aliasName, fc, d.offset);
        break;
      }
      case 'field':
        if (d.declarators.length > 0) this.err('field declaration outside of a structure', d.offset);
        // `struct s {...};`, `enum e : int {...};`: registers the named type
        this.specifierType(d.spec);
        break;
    }
  }

  private registerAlias(name: string, fc: FieldClass, offset: number): void {
    if (this.scope.aliases.has(name)) this.err(`duplicate type '${name}'`, offset);
    this.scope.aliases.set(name, cloneFieldClass(fc));
  }

  /** A scope (`fields := struct {...}`): must be a structure. */
  private scopeStruct(spec: SpecifierList, decl: Declarator, what: string): StructClass {
    const fc = this.fieldClass(spec, decl);
    if (fc.kind !== 'struct') this.err(`${what} must be a structure`, spec.offset);
    return fc;
  }

  /** The field class of `spec` + `decl` (arrays/sequences from the declarator). */
  private fieldClass(spec: SpecifierList, decl: Declarator | null): FieldClass {
    let base: FieldClass;
    if (decl && decl.pointers > 0) {
      const name = this.specifierName(spec) + ' *'.repeat(decl.pointers);
      const found = this.scope.lookup('aliases', name);
      if (!found) this.err(`unknown type '${name}'`, spec.offset);
      base = cloneFieldClass(found);
      if (base.kind === 'int') base.base = 16; // pointers print in hexadecimal
    } else {
      base = this.specifierType(spec);
    }
    if (!decl) return base;
    let fc = base;
    for (let k = decl.lengths.length - 1; k >= 0; k--) {
      const len = decl.lengths[k]!;
      if (len.type === 'int') {
        fc = { kind: 'array', align: 1, inIr: true, length: Number(len.value), elem: fc, isText: false };
      } else if (len.type === 'path' && len.value.startsWith('env.')) {
        const v = this.env[len.value.slice(4)];
        if (typeof v !== 'number') this.err(`array length ${len.value} is not an integer env entry`, len.offset);
        if (v < 0) this.err(`negative array length ${len.value} = ${v}`, len.offset);
        fc = { kind: 'array', align: 1, inIr: true, length: v, elem: fc, isText: false };
      } else if (len.type === 'path') {
        fc = { kind: 'sequence', align: 1, inIr: true, lengthRef: makeRef(len.value, len.offset), lengthField: null, elem: fc, isText: false };
      } else {
        this.err('invalid array length', len.offset);
      }
    }
    return fc;
  }

  private specifierName(spec: SpecifierList): string {
    if (spec.compound) {
      const c = spec.compound;
      if ((c.k === 'struct' || c.k === 'variant' || c.k === 'enum') && c.name) return [...spec.words, `${c.k} ${c.name}`].join(' ');
      this.err('pointer to an anonymous type', spec.offset);
    }
    return spec.words.join(' ');
  }

  private specifierType(spec: SpecifierList): FieldClass {
    if (spec.compound) return this.compound(spec.compound);
    const name = spec.words.filter((w) => w !== 'const').join(' ') || spec.words.join(' ');
    const found = this.scope.lookup('aliases', name);
    if (!found) this.err(`unknown type '${name}'`, spec.offset);
    return cloneFieldClass(found);
  }

  private compound(c: CompoundSpec): FieldClass {
    switch (c.k) {
      case 'integer':
        return this.integer(c.attrs, c.offset);
      case 'floating_point':
        return this.float(c.attrs, c.offset);
      case 'string': {
        for (const a of c.attrs) if (a.name === 'encoding') this.encoding(a);
        return { kind: 'string', align: 8, inIr: true };
      }
      case 'struct':
        return this.struct(c);
      case 'variant':
        return this.variant(c);
      case 'enum':
        return this.enumeration(c);
    }
  }

  /** Integers by attribute list: the parser shares the lists of identical declarations. */
  private readonly integerMemo = new Map<Attribute[], IntegerClass>();

  private integer(attrs: Attribute[], offset: number): IntegerClass {
    const known = this.integerMemo.get(attrs);
    if (known) return { ...known };
    const fc = this.newInteger(attrs, offset);
    this.integerMemo.set(attrs, fc);
    return { ...fc };
  }

  private newInteger(attrs: Attribute[], offset: number): IntegerClass {
    let size: number | null = null;
    let align: number | null = null;
    let signed = false;
    let byteOrder = this.byteOrder;
    let base = 10;
    let encoding: 'none' | 'utf8' = 'none';
    let mappedClock: ClockClass | null = null;
    const seen = new Set<string>();
    for (const a of attrs) {
      if (seen.has(a.name)) this.err(`duplicate integer attribute '${a.name}'`, a.offset);
      seen.add(a.name);
      const v = a.value;
      switch (a.name) {
        case 'size': {
          const s = this.unsigned(v, 'integer size');
          if (s === 0n || s > 64n) this.err(`integer size ${s} is not between 1 and 64`, v.offset);
          size = Number(s);
          break;
        }
        case 'align': {
          const al = this.unsigned(v, 'integer align');
          if (al === 0n || (al & (al - 1n)) !== 0n) this.err(`integer align ${al} is not a power of two`, v.offset);
          align = Number(al);
          break;
        }
        case 'signed':
          signed = this.boolValue(v);
          break;
        case 'byte_order':
          byteOrder = this.byteOrderValue(v, true);
          break;
        case 'base':
          base = this.baseValue(v);
          break;
        case 'encoding':
          encoding = this.encoding(a);
          break;
        case 'map': {
          if (v.type !== 'path') this.err('integer map must be clock.NAME.value', v.offset);
          const m = /^clock\.([^.]+)\.value$/.exec(v.value);
          if (!m) this.err(`invalid integer map '${v.value}' (expected clock.NAME.value)`, v.offset);
          const clock = this.clocks.find((c) => c.name === m[1]);
          if (!clock) this.err(`integer maps to unknown clock '${m[1]}'`, v.offset);
          mappedClock = clock;
          break;
        }
        default:
          break; // unknown attributes are ignored (babeltrace2 warns)
      }
    }
    if (size === null) this.err("missing 'size' in integer", offset);
    return {
      kind: 'int',
      align: align ?? (size % 8 === 0 ? 8 : 1),
      inIr: true,
      size,
      signed,
      byteOrder,
      base,
      encoding,
      mappedClock,
      role: null,
      mappings: null,
      storeSlot: -1,
    };
  }

  private float(attrs: Attribute[], offset: number): FieldClass {
    let exp: number | null = null;
    let mant: number | null = null;
    let align: number | null = null;
    let byteOrder = this.byteOrder;
    for (const a of attrs) {
      const v = a.value;
      switch (a.name) {
        case 'exp_dig':
          exp = Number(this.unsigned(v, 'exp_dig'));
          break;
        case 'mant_dig':
          mant = Number(this.unsigned(v, 'mant_dig'));
          break;
        case 'byte_order':
          byteOrder = this.byteOrderValue(v, true);
          break;
        case 'align': {
          const al = this.unsigned(v, 'floating_point align');
          if (al === 0n || (al & (al - 1n)) !== 0n) this.err(`floating_point align ${al} is not a power of two`, v.offset);
          align = Number(al);
          break;
        }
        default:
          break;
      }
    }
    if (mant === null) this.err("missing 'mant_dig' in floating_point", offset);
    if (exp === null) this.err("missing 'exp_dig' in floating_point", offset);
    if (!((mant === 24 && exp === 8) || (mant === 53 && exp === 11))) this.err(`unsupported floating_point (exp_dig ${exp}, mant_dig ${mant}): only 32- and 64-bit IEEE 754 are supported`, offset);
    const size = (mant + exp) as 32 | 64;
    return { kind: 'float', align: align ?? 8, inIr: true, size, byteOrder };
  }

  private struct(c: Extract<CompoundSpec, { k: 'struct' }>): StructClass {
    if (!c.body) {
      const found = this.scope.lookup('structs', c.name!);
      if (!found) this.err(`unknown struct '${c.name}'`, c.offset);
      return cloneFieldClass(found);
    }
    if (c.name && this.scope.structs.has(c.name)) this.err(`duplicate struct '${c.name}'`, c.offset);
    let minAlign = 1;
    if (c.align) {
      const a = this.unsigned(c.align, 'struct align');
      if (a === 0n || (a & (a - 1n)) !== 0n) this.err(`struct align ${a} is not a power of two`, c.align.offset);
      minAlign = Number(a);
    }
    const s: StructClass = { kind: 'struct', align: minAlign, inIr: true, members: [] };
    this.pushScope();
    for (const entry of c.body) {
      if (entry.kind !== 'field') {
        this.visitDeclaration(entry);
        continue;
      }
      if (entry.declarators.length === 0) {
        this.specifierType(entry.spec);
        continue;
      }
      for (const d of entry.declarators) {
        const fc = this.fieldClass(entry.spec, d);
        if (!d.name) this.err('structure member without a name', d.offset);
        const name = d.name.startsWith('_') ? d.name.slice(1) : d.name;
        if (s.members.some((m) => m.name === name)) this.err(`duplicate field '${name}' in structure`, d.offset);
        s.members.push({ name, raw: d.name, fc });
      }
    }
    this.popScope();
    if (c.name) this.scope.structs.set(c.name, cloneFieldClass(s));
    return s;
  }

  private variant(c: Extract<CompoundSpec, { k: 'variant' }>): VariantClass {
    let v: VariantClass;
    if (!c.body) {
      const found = this.scope.lookup('variants', c.name!);
      if (!found) this.err(`unknown variant '${c.name}'`, c.offset);
      v = cloneFieldClass(found);
    } else {
      if (c.name && this.scope.variants.has(c.name)) this.err(`duplicate variant '${c.name}'`, c.offset);
      v = { kind: 'variant', align: 1, inIr: true, tagRef: { scope: null, path: [], text: '', style: 'tsdl' }, tagField: null, options: [] };
      this.pushScope();
      for (const entry of c.body) {
        if (entry.kind !== 'field') {
          this.visitDeclaration(entry);
          continue;
        }
        for (const d of entry.declarators) {
          const fc = this.fieldClass(entry.spec, d);
          if (!d.name) this.err('variant option without a name', d.offset);
          const name = d.name.startsWith('_') ? d.name.slice(1) : d.name;
          if (v.options.some((o) => o.name === name)) this.err(`duplicate option '${name}' in variant`, d.offset);
          v.options.push({ name, raw: d.name, fc, ranges: [] });
        }
      }
      this.popScope();
      if (c.name) this.scope.variants.set(c.name, cloneFieldClass(v));
    }
    if (c.tag) v.tagRef = makeRef(c.tag, c.offset);
    return v;
  }

  private enumeration(c: Extract<CompoundSpec, { k: 'enum' }>): IntegerClass {
    if (!c.body) {
      const found = this.scope.lookup('enums', c.name!);
      if (!found) this.err(`unknown enum '${c.name}'`, c.offset);
      return cloneFieldClass(found);
    }
    if (c.name && this.scope.enums.has(c.name)) this.err(`duplicate enum '${c.name}'`, c.offset);
    let container: FieldClass;
    if (c.container) container = this.fieldClass(c.container, null);
    else {
      const found = this.scope.lookup('aliases', 'int');
      if (!found) this.err("enumeration without a container type and no 'int' type declared", c.offset);
      container = cloneFieldClass(found);
    }
    if (container.kind !== 'int') this.err('enumeration container type is not an integer', c.offset);
    const byLabel = new Map<string, Array<readonly [number | bigint, number | bigint]>>();
    let next = 0n;
    const min = container.signed ? -(1n << BigInt(container.size - 1)) : 0n;
    const max = container.signed ? (1n << BigInt(container.size - 1)) - 1n : (1n << BigInt(container.size)) - 1n;
    for (const e of c.body) {
      let lo: bigint;
      let hi: bigint;
      if (e.values.length === 0) lo = hi = next;
      else {
        const vs = e.values.map((v) => {
          if (v.type !== 'int') this.err(`enumeration value of '${e.label}' is not an integer`, v.offset);
          return v.value;
        });
        lo = vs[0]!;
        hi = vs[1] ?? lo;
      }
      if (lo > hi) this.err(`enumeration range of '${e.label}' is reversed (${lo} ... ${hi})`, e.offset);
      if (lo < min || hi > max) this.err(`enumeration value of '${e.label}' does not fit the ${container.size}-bit container`, e.offset);
      next = hi + 1n;
      const label = e.label.startsWith('_') ? e.label.slice(1) : e.label;
      let ranges = byLabel.get(label);
      if (!ranges) byLabel.set(label, (ranges = []));
      ranges.push([normaliseInteger(lo), normaliseInteger(hi)]);
    }
    const mappings: EnumMapping[] = [...byLabel].map(([label, ranges]) => ({ label, ranges }));
    const fc: IntegerClass = { ...container, mappings };
    if (c.name) this.scope.enums.set(c.name, cloneFieldClass(fc));
    return fc;
  }

  // ---- values ----------------------------------------------------------------------

  private unsigned(v: TsdlValue, what: string): bigint {
    if (v.type !== 'int' || v.value < 0n) this.err(`${what} must be a non-negative integer`, v.offset);
    return v.value;
  }
  private stringValue(v: TsdlValue): string {
    if (v.type === 'int') return v.value.toString();
    return v.value;
  }
  private boolValue(v: TsdlValue): boolean {
    if (v.type === 'int') return v.value !== 0n;
    if (v.value === 'true' || v.value === 'TRUE') return true;
    if (v.value === 'false' || v.value === 'FALSE') return false;
    this.err(`invalid boolean '${v.value}'`, v.offset);
  }
  private uuidValue(v: TsdlValue): string {
    if (v.type !== 'string' || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v.value)) this.err('invalid UUID', v.offset);
    return v.value.toLowerCase();
  }
  private baseValue(v: TsdlValue): number {
    if (v.type === 'int') {
      const b = Number(v.value);
      if (b === 2 || b === 8 || b === 10 || b === 16) return b;
      this.err(`invalid integer base ${v.value}`, v.offset);
    }
    const s = v.value;
    if (['decimal', 'dec', 'd', 'i', 'u'].includes(s)) return 10;
    if (['hexadecimal', 'hex', 'x', 'X', 'p'].includes(s)) return 16;
    if (['octal', 'oct', 'o'].includes(s)) return 8;
    if (['binary', 'b'].includes(s)) return 2;
    this.err(`invalid integer base '${s}'`, v.offset);
  }
  private encoding(a: Attribute): 'none' | 'utf8' {
    const v = a.value;
    const s = v.type === 'int' ? '' : v.value;
    if (['UTF8', 'utf8', 'utf-8', 'UTF-8', 'ASCII', 'ascii'].includes(s)) return 'utf8';
    if (s === 'none') return 'none';
    this.err(`invalid encoding '${s}'`, v.offset);
  }
}

/** CTF 1.8 roles come from well-known member names (babeltrace2's "meanings"). */
function assignTsdlRoles(tc: TraceClass): void {
  const top = (s: StructClass | null, name: string) => s?.members.find((m) => m.name === name)?.fc ?? null;
  const setRole = (fc: FieldClass | null, role: FieldRole): boolean => {
    if (fc && fc.kind === 'int') {
      fc.role = role;
      return true;
    }
    return false;
  };
  const ph = tc.packetHeader;
  setRole(top(ph, 'magic'), 'magic');
  setRole(top(ph, 'stream_id'), 'stream-class-id');
  setRole(top(ph, 'stream_instance_id'), 'stream-instance-id');
  for (const sc of tc.streamClasses.values()) {
    const pc = sc.packetContext;
    sc.packetsHaveBeginTime = setRole(top(pc, 'timestamp_begin'), 'packet-begin-timestamp');
    const end = top(pc, 'timestamp_end');
    sc.packetsHaveEndTime = setRole(end, 'packet-end-timestamp');
    // the end time must not move the stream clock while decoding (babeltrace2 drops the mapping)
    if (end && end.kind === 'int') end.mappedClock = null;
    sc.hasDiscardedEvents = setRole(top(pc, 'events_discarded'), 'discarded-events-snapshot');
    sc.hasPacketSeqNum = setRole(top(pc, 'packet_seq_num'), 'packet-seq-num');
    setRole(top(pc, 'packet_size'), 'packet-total-size');
    setRole(top(pc, 'content_size'), 'packet-content-size');
    // any integer named `id` in the event header (inside variant options too)
    const markIds = (fc: FieldClass, name: string | null): void => {
      if (fc.kind === 'int' && name === 'id') fc.role = 'event-class-id';
      else if (fc.kind === 'struct') for (const m of fc.members) markIds(m.fc, m.name);
      else if (fc.kind === 'variant') for (const o of fc.options) markIds(o.fc, null);
      else if (fc.kind === 'array' || fc.kind === 'sequence') markIds(fc.elem, null);
    };
    if (sc.eventHeader) markIds(sc.eventHeader, null);
  }
}

/**
 * The passes after parsing, shared by CTF 1.8 and CTF 2: roles, default clocks, text
 * arrays, alignments, references, in-IR flags and validation. Throws MetadataError.
 */
export function finishTraceClass(tc: TraceClass, assignRoles: (tc: TraceClass) => void): void {
  // stream default clocks: the one clock mapped anywhere in the stream's scopes
  if (prepare(tc.packetHeader, null, -1)) throw new MetadataError('the trace packet header contains a clock timestamp', undefined);
  for (const sc of tc.streamClasses.values()) {
    let clock: ClockClass | null = sc.defaultClock;
    clock = prepare(sc.packetContext, clock, sc.id);
    clock = prepare(sc.eventHeader, clock, sc.id);
    clock = prepare(sc.eventCommonContext, clock, sc.id);
    for (const ec of sc.eventClasses.values()) {
      clock = prepare(ec.specificContext, clock, sc.id);
      clock = prepare(ec.payload, clock, sc.id);
    }
    if (!sc.defaultClock) sc.defaultClock = clock;
  }
  assignRoles(tc);
  resolveFieldRefs(tc);
  updateInIr(tc);
  validate(tc);
}

/**
 * One walk doing three of babeltrace2's passes: finds the clock the scope maps to (one
 * at most per stream class), marks text arrays, and computes compound alignments.
 */
function prepare(fc: FieldClass | null, clock: ClockClass | null, streamId: number): ClockClass | null {
  if (!fc) return clock;
  let c = clock;
  switch (fc.kind) {
    case 'int':
    case 'varint':
      if (fc.mappedClock) {
        if (c && c !== fc.mappedClock) throw new MetadataError(`stream class ${streamId} uses more than one clock ('${c.name}' and '${fc.mappedClock.name}')`, undefined);
        c = fc.mappedClock;
      }
      break;
    case 'struct':
      for (let i = 0; i < fc.members.length; i++) {
        const m = fc.members[i]!.fc;
        c = prepare(m, c, streamId);
        if (m.align > fc.align) fc.align = m.align;
      }
      break;
    case 'variant':
      for (let i = 0; i < fc.options.length; i++) c = prepare(fc.options[i]!.fc, c, streamId);
      break;
    case 'array':
    case 'sequence': {
      const e = fc.elem;
      if (e.kind === 'int' && e.align === 8 && e.size === 8 && e.encoding === 'utf8') {
        fc.isText = true;
        e.signed = false;
      }
      c = prepare(e, c, streamId);
      if (e.align > fc.align) fc.align = e.align;
      break;
    }
    case 'optional':
      c = prepare(fc.fc, c, streamId);
      break;
    default:
      break;
  }
  return c;
}

function validate(tc: TraceClass): void {
  const ph = tc.packetHeader;
  const member = (s: StructClass | null, n: string) => s?.members.find((m) => m.name === n) ?? null;
  const unsignedInt = (s: StructClass | null, n: string, where: string) => {
    const m = member(s, n);
    if (m && (m.fc.kind !== 'int' || m.fc.signed)) throw new MetadataError(`${where} '${n}' must be an unsigned integer`, undefined);
    return m;
  };
  if (ph) {
    const magic = member(ph, 'magic');
    if (magic) {
      if (ph.members[0] !== magic) throw new MetadataError("packet header 'magic' must be its first field", undefined);
      if (magic.fc.kind !== 'int' || magic.fc.signed || magic.fc.size !== 32) throw new MetadataError("packet header 'magic' must be a 32-bit unsigned integer", undefined);
    }
    unsignedInt(ph, 'stream_id', 'packet header');
    unsignedInt(ph, 'stream_instance_id', 'packet header');
    const uuid = member(ph, 'uuid');
    if (uuid) {
      const u = uuid.fc;
      if (u.kind === 'blob') {
        if (u.length !== 16) throw new MetadataError("packet header 'uuid' must be 16 bytes", undefined);
      } else if (u.kind !== 'array' || u.length !== 16 || u.elem.kind !== 'int' || u.elem.size !== 8 || u.elem.signed || u.elem.align !== 8) {
        throw new MetadataError("packet header 'uuid' must be an array of 16 byte-aligned unsigned 8-bit integers", undefined);
      }
    }
  }
  if (tc.streamClasses.size > 1 && !tc.packetHeader?.members.some((m) => m.fc.kind === 'int' && m.fc.role === 'stream-class-id')) {
    throw new MetadataError('the trace has several stream classes but its packet header has no stream_id field', undefined);
  }
  for (const sc of tc.streamClasses.values()) {
    for (const n of ['timestamp_begin', 'timestamp_end', 'events_discarded', 'packet_seq_num', 'packet_size', 'content_size']) unsignedInt(sc.packetContext, n, 'packet context');
    const hasId = sc.eventHeader ? someFieldClass(sc.eventHeader, (f) => (f.kind === 'int' || f.kind === 'varint') && f.role === 'event-class-id') : false;
    if (!hasId && sc.eventClasses.size > 1) throw new MetadataError(`stream class ${sc.id} has several event classes but its event header has no id field`, undefined);
  }
}
