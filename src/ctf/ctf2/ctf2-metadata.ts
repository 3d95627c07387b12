/**
 * CTF 2 metadata (CTF2-SPEC-2.0): a JSON text sequence (RFC 7464, each fragment led by
 * U+001E) of preamble, field class alias, trace class, clock class, data stream class
 * and event record class fragments → the trace class model shared with CTF 1.8.
 *
 * Mapping to the model: roles become the reader's roles (`default-clock-timestamp` is the
 * packet beginning time in a packet context and the event time in an event record
 * header); names are kept as written (no CTF 1.8 underscore rule); field locations keep
 * their origin and path; enumerations are integers with `mappings`. LTTng 2.14 and
 * babeltrace2 2.1 write exactly this dialect (absolute locations, LTTng compact/large
 * event headers described with a variant on the 5/16-bit id).
 */
import { MetadataError } from '../metadata/metadata-error.js';
import type { BlobClass, ByteOrder, ClockClass, EnumMapping, EventClass, FieldClass, FieldRef, FieldRole, IntegerClass, ScopeName, StreamClass, StringEncoding, StructClass, TraceClass, VarIntClass } from '../metadata/model.js';
import { finishTraceClass } from '../metadata/tsdl-resolver.js';
import { parseJsonBig, JsonSyntaxError, type Json } from './json-big.js';

type Obj = { [key: string]: Json };

const ORIGINS: Record<string, ScopeName> = {
  'packet-header': 'packet-header',
  'packet-context': 'packet-context',
  'event-record-header': 'event-header',
  'event-record-common-context': 'event-common-context',
  'event-record-specific-context': 'event-specific-context',
  'event-record-payload': 'event-payload',
};

const ENCODINGS: readonly StringEncoding[] = ['utf-8', 'utf-16be', 'utf-16le', 'utf-32be', 'utf-32le'];

/** Where a field class sits: decides what `default-clock-timestamp` and other roles mean. */
interface Context {
  readonly scope: ScopeName | 'alias';
  readonly clock: ClockClass | null;
  readonly what: string;
}

/** Parses CTF 2 metadata text; throws MetadataError with a character offset. */
export function parseCtf2Metadata(text: string): TraceClass {
  return new Ctf2Builder().build(text);
}

class Ctf2Builder {
  /** Character offset of the fragment being converted, for error messages. */
  private fragmentOffset = 0;
  private fragmentIndex = 0;
  private readonly aliases = new Map<string, Json>();
  private readonly clocksById = new Map<string, ClockClass>();
  private readonly clocks: ClockClass[] = [];
  private readonly streamClasses = new Map<number, StreamClass>();
  private readonly env: Record<string, string | number> = {};
  private uuid: string | null = null;
  private packetHeader: StructClass | null = null;
  private sawTraceClass = false;

  private fail(msg: string): never {
    throw new MetadataError(`CTF 2 fragment ${this.fragmentIndex + 1}: ${msg}`, this.fragmentOffset);
  }

  build(text: string): TraceClass {
    const pieces: Array<{ offset: number; body: string }> = [];
    let i = text.indexOf('\x1e');
    if (i < 0 || text.slice(0, i).trim() !== '') throw new MetadataError('CTF 2 metadata must start with a record separator (U+001E)', 0);
    while (i >= 0) {
      const next = text.indexOf('\x1e', i + 1);
      const body = text.slice(i + 1, next < 0 ? text.length : next);
      if (body.trim() !== '') pieces.push({ offset: i + 1, body });
      i = next;
    }
    if (pieces.length === 0) throw new MetadataError('empty CTF 2 metadata', 0);
    pieces.forEach((piece, k) => {
      this.fragmentOffset = piece.offset;
      this.fragmentIndex = k;
      let json: Json;
      try {
        json = parseJsonBig(piece.body, piece.offset);
      } catch (err) {
        if (err instanceof JsonSyntaxError) throw new MetadataError(`CTF 2 fragment ${k + 1}: invalid JSON: ${err.message}`, err.offset);
        throw err;
      }
      const frag = this.object(json, 'fragment');
      const type = this.str(frag, 'type');
      if (k === 0 && type !== 'preamble') this.fail('the first fragment must be the preamble');
      switch (type) {
        case 'preamble':
          if (k !== 0) this.fail('duplicate preamble fragment');
          this.preamble(frag);
          break;
        case 'field-class-alias':
          this.alias(frag);
          break;
        case 'trace-class':
          this.traceClass(frag);
          break;
        case 'clock-class':
          this.clockClass(frag);
          break;
        case 'data-stream-class':
          this.dataStreamClass(frag);
          break;
        case 'event-record-class':
          this.eventRecordClass(frag);
          break;
        default:
          this.fail(`unknown fragment type "${type}"`);
      }
    });
    if (this.streamClasses.size === 0) throw new MetadataError('CTF 2 metadata has no data stream class', undefined);
    const tc: TraceClass = {
      ctfMajor: 2,
      uuid: this.uuid,
      byteOrder: 'le',
      packetHeader: this.packetHeader,
      env: this.env,
      clocks: this.clocks,
      streamClasses: this.streamClasses,
      callsites: [],
      storedValueCount: 0,
    };
    finishTraceClass(tc, () => undefined);
    return tc;
  }

  // ---- JSON accessors ------------------------------------------------------------------

  private object(v: Json | undefined, what: string): Obj {
    if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || typeof v === 'bigint') this.fail(`${what} must be a JSON object`);
    return v as Obj;
  }
  private str(o: Obj, key: string): string {
    const v = o[key];
    if (typeof v !== 'string') this.fail(`property "${key}" must be a string`);
    return v;
  }
  private optStr(o: Obj, key: string): string | null {
    const v = o[key];
    if (v === undefined) return null;
    if (typeof v !== 'string') this.fail(`property "${key}" must be a string`);
    return v;
  }
  private int(o: Obj, key: string, dflt?: number): number {
    const v = o[key];
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`property "${key}" must be an integer`);
    return v;
  }
  private bigint(o: Obj, key: string, dflt: bigint): bigint {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v === 'bigint') return v;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`property "${key}" must be an integer`);
    return BigInt(v);
  }
  private checkExtensions(o: Obj, what: string): void {
    const ext = o.extensions;
    if (ext !== undefined && (typeof ext !== 'object' || ext === null || Array.isArray(ext) || Object.keys(ext).length > 0)) {
      this.fail(`${what} uses CTF 2 extensions, which tracewire does not support`);
    }
  }

  // ---- fragments -------------------------------------------------------------------

  private preamble(f: Obj): void {
    const version = f.version;
    if (version !== 2) this.fail(`unsupported CTF version ${String(version)} (expected 2)`);
    this.checkExtensions(f, 'the preamble');
    if (f.uuid !== undefined) {
      const u = f.uuid;
      if (!Array.isArray(u) || u.length !== 16 || !u.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) this.fail('preamble "uuid" must be an array of 16 bytes');
      const h = Buffer.from(u as number[]).toString('hex');
      this.uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
  }

  private alias(f: Obj): void {
    const name = this.str(f, 'name');
    if (this.aliases.has(name)) this.fail(`duplicate field class alias "${name}"`);
    const fc = f['field-class'];
    if (fc === undefined) this.fail(`field class alias "${name}" has no "field-class"`);
    // validate now (with no scope meaning for roles), store the JSON: roles depend on where it is used
    this.fieldClass(fc, { scope: 'alias', clock: null, what: `alias "${name}"` });
    this.aliases.set(name, typeof fc === 'string' ? this.aliases.get(fc)! : fc);
  }

  private traceClass(f: Obj): void {
    if (this.sawTraceClass) this.fail('duplicate trace class fragment');
    if (this.streamClasses.size > 0) this.fail('the trace class fragment must come before data stream classes');
    this.sawTraceClass = true;
    this.checkExtensions(f, 'the trace class');
    const env = f.environment;
    if (env !== undefined) {
      for (const [k, v] of Object.entries(this.object(env, '"environment"'))) {
        if (typeof v === 'string' || typeof v === 'number') this.env[k] = v;
        else if (typeof v === 'bigint') this.env[k] = Number(v);
        else this.fail(`environment entry "${k}" must be a string or an integer`);
      }
    }
    const uid = this.optStr(f, 'uid');
    if (!this.uuid && uid && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uid)) this.uuid = uid.toLowerCase();
    if (f['packet-header-field-class'] !== undefined) {
      this.packetHeader = this.scope(f['packet-header-field-class'], { scope: 'packet-header', clock: null, what: 'packet header' });
    }
  }

  private clockClass(f: Obj): void {
    const id = this.str(f, 'id');
    if (this.clocksById.has(id)) this.fail(`duplicate clock class id "${id}"`);
    const freq = this.bigint(f, 'frequency', -1n);
    if (freq <= 0n) this.fail('clock class "frequency" must be a positive integer');
    let seconds = 0n;
    let cycles = 0n;
    if (f['offset-from-origin'] !== undefined) {
      const o = this.object(f['offset-from-origin'], '"offset-from-origin"');
      seconds = this.bigint(o, 'seconds', 0n);
      cycles = this.bigint(o, 'cycles', 0n);
      if (cycles < 0n || cycles >= freq) this.fail('clock offset "cycles" must be at least 0 and less than the frequency');
    }
    const origin = f.origin;
    const uid = this.optStr(f, 'uid');
    const clock: ClockClass = {
      name: this.optStr(f, 'name') ?? id,
      uuid: uid && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uid) ? uid.toLowerCase() : null,
      description: this.optStr(f, 'description'),
      freq: Number(freq),
      precision: f.precision === undefined ? 0 : this.int(f, 'precision'),
      offsetSeconds: seconds,
      offsetCycles: cycles,
      absolute: origin === 'unix-epoch',
    };
    this.clocksById.set(id, clock);
    this.clocks.push(clock);
  }

  private dataStreamClass(f: Obj): void {
    this.checkExtensions(f, 'a data stream class');
    const id = this.int(f, 'id', 0);
    if (id < 0) this.fail('data stream class "id" must be positive');
    if (this.streamClasses.has(id)) this.fail(`duplicate data stream class id ${id}`);
    const clockId = this.optStr(f, 'default-clock-class-id');
    let clock: ClockClass | null = null;
    if (clockId !== null) {
      clock = this.clocksById.get(clockId) ?? null;
      if (!clock) this.fail(`data stream class ${id} refers to unknown clock class "${clockId}"`);
    }
    const sc: StreamClass = {
      id,
      packetContext: null,
      eventHeader: null,
      eventCommonContext: null,
      eventClasses: new Map(),
      defaultClock: clock,
      hasDiscardedEvents: false,
      hasPacketSeqNum: false,
      packetsHaveBeginTime: false,
      packetsHaveEndTime: false,
    };
    const scope = (key: string, name: ScopeName, what: string) => (f[key] === undefined ? null : this.scope(f[key], { scope: name, clock, what }));
    sc.packetContext = scope('packet-context-field-class', 'packet-context', `data stream class ${id} packet context`);
    sc.eventHeader = scope('event-record-header-field-class', 'event-header', `data stream class ${id} event record header`);
    sc.eventCommonContext = scope('event-record-common-context-field-class', 'event-common-context', `data stream class ${id} event record common context`);
    const roles = new Set<FieldRole>();
    for (const m of sc.packetContext?.members ?? []) if ((m.fc.kind === 'int' || m.fc.kind === 'varint') && m.fc.role) roles.add(m.fc.role);
    sc.packetsHaveBeginTime = roles.has('packet-begin-timestamp');
    sc.packetsHaveEndTime = roles.has('packet-end-timestamp');
    sc.hasDiscardedEvents = roles.has('discarded-events-snapshot');
    sc.hasPacketSeqNum = roles.has('packet-seq-num');
    this.streamClasses.set(id, sc);
  }

  private eventRecordClass(f: Obj): void {
    this.checkExtensions(f, 'an event record class');
    const id = this.int(f, 'id', 0);
    const scId = this.int(f, 'data-stream-class-id', 0);
    const sc = this.streamClasses.get(scId);
    if (!sc) this.fail(`event record class ${id} refers to unknown data stream class ${scId}`);
    if (sc.eventClasses.has(id)) this.fail(`duplicate event record class id ${id} in data stream class ${scId}`);
    const name = this.optStr(f, 'name') ?? '';
    const ctx: Context = { scope: 'event-specific-context', clock: sc.defaultClock, what: `event record class "${name}" specific context` };
    const ec: EventClass = {
      id,
      name,
      streamClassId: scId,
      specificContext: f['specific-context-field-class'] === undefined ? null : this.scope(f['specific-context-field-class'], ctx),
      payload: f['payload-field-class'] === undefined ? null : this.scope(f['payload-field-class'], { ...ctx, scope: 'event-payload', what: `event record class "${name}" payload` }),
      logLevel: null,
      emfUri: null,
      attributes: (f.attributes as Record<string, unknown> | undefined) ?? {},
    };
    sc.eventClasses.set(id, ec);
  }

  // ---- field classes ---------------------------------------------------------------

  private scope(v: Json, ctx: Context): StructClass {
    const fc = this.fieldClass(v, ctx);
    if (fc.kind !== 'struct') this.fail(`${ctx.what} must be a structure`);
    return fc;
  }

  private location(v: Json | undefined, what: string): FieldRef {
    const o = this.object(v, what);
    const path = o.path;
    if (!Array.isArray(path) || path.length === 0 || !path.every((e) => e === null || typeof e === 'string') || path[path.length - 1] === null) {
      this.fail(`${what} "path" must be a non-empty array of member names (or null), ending with a name`);
    }
    let scope: ScopeName | null = null;
    if (o.origin !== undefined) {
      const origin = o.origin;
      scope = typeof origin === 'string' ? (ORIGINS[origin] ?? null) : null;
      if (!scope) this.fail(`${what} has unknown origin ${JSON.stringify(origin)}`);
    }
    return { scope, path: path as Array<string | null>, text: JSON.stringify(o), style: 'ctf2' };
  }

  private ranges(v: Json | undefined, what: string): Array<readonly [number | bigint, number | bigint]> {
    if (!Array.isArray(v) || v.length === 0) this.fail(`${what} must be a non-empty array of [lower, upper] ranges`);
    return v.map((r) => {
      if (!Array.isArray(r) || r.length !== 2) this.fail(`${what}: each range must be [lower, upper]`);
      const [lo, hi] = r;
      if ((typeof lo !== 'number' && typeof lo !== 'bigint') || (typeof hi !== 'number' && typeof hi !== 'bigint') || !Number.isInteger(Number(lo)) || !Number.isInteger(Number(hi))) this.fail(`${what}: range bounds must be integers`);
      if (BigInt(lo) > BigInt(hi)) this.fail(`${what}: range [${lo}, ${hi}] is reversed`);
      return [lo, hi] as const;
    });
  }

  private mappings(v: Json | undefined): EnumMapping[] | null {
    if (v === undefined) return null;
    const o = this.object(v, '"mappings"');
    return Object.entries(o).map(([label, r]) => ({ label, ranges: this.ranges(r, `mapping "${label}"`) }));
  }

  private byteOrder(o: Obj): ByteOrder {
    const bo = this.str(o, 'byte-order');
    if (bo === 'little-endian') return 'le';
    if (bo === 'big-endian') return 'be';
    return this.fail(`invalid "byte-order" "${bo}"`);
  }

  private alignment(o: Obj, key: string): number {
    const a = this.int(o, key, 1);
    if (a <= 0 || (a & (a - 1)) !== 0) this.fail(`"${key}" must be a positive power of two`);
    return a;
  }

  private encoding(o: Obj): StringEncoding {
    const e = o.encoding ?? 'utf-8';
    if (typeof e !== 'string' || !(ENCODINGS as readonly string[]).includes(e)) this.fail(`unsupported string encoding ${JSON.stringify(e)}`);
    return e as StringEncoding;
  }

  /** Applies `roles` of an unsigned integer according to where it is. */
  private applyRoles(fc: IntegerClass | VarIntClass, o: Obj, ctx: Context): void {
    const roles = o.roles;
    if (roles === undefined) return;
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) this.fail('"roles" must be an array of strings');
    if (roles.length > 0 && fc.signed) this.fail('only unsigned integers may have roles');
    for (const r of roles as string[]) {
      const s = ctx.scope;
      const allowed = (scopes: Array<ScopeName | 'alias'>) => scopes.includes(s);
      switch (r) {
        case 'packet-magic-number':
          if (!allowed(['packet-header', 'alias'])) this.fail(`role "${r}" outside a packet header`);
          fc.role = 'magic';
          break;
        case 'data-stream-class-id':
          if (!allowed(['packet-header', 'alias'])) this.fail(`role "${r}" outside a packet header`);
          fc.role = 'stream-class-id';
          break;
        case 'data-stream-id':
          if (!allowed(['packet-header', 'alias'])) this.fail(`role "${r}" outside a packet header`);
          fc.role = 'stream-instance-id';
          break;
        case 'packet-total-length':
          if (!allowed(['packet-context', 'alias'])) this.fail(`role "${r}" outside a packet context`);
          fc.role = 'packet-total-size';
          break;
        case 'packet-content-length':
          if (!allowed(['packet-context', 'alias'])) this.fail(`role "${r}" outside a packet context`);
          fc.role = 'packet-content-size';
          break;
        case 'packet-end-default-clock-timestamp':
          if (!allowed(['packet-context', 'alias'])) this.fail(`role "${r}" outside a packet context`);
          if (s !== 'alias' && !ctx.clock) this.fail(`role "${r}" in a data stream class without a default clock`);
          fc.role = 'packet-end-timestamp';
          break;
        case 'discarded-event-record-counter-snapshot':
          if (!allowed(['packet-context', 'alias'])) this.fail(`role "${r}" outside a packet context`);
          fc.role = 'discarded-events-snapshot';
          break;
        case 'packet-sequence-number':
          if (!allowed(['packet-context', 'alias'])) this.fail(`role "${r}" outside a packet context`);
          fc.role = 'packet-seq-num';
          break;
        case 'event-record-class-id':
          if (!allowed(['event-header', 'alias'])) this.fail(`role "${r}" outside an event record header`);
          fc.role = 'event-class-id';
          break;
        case 'default-clock-timestamp':
          if (!allowed(['packet-context', 'event-header', 'alias'])) this.fail(`role "${r}" outside a packet context or event record header`);
          if (s !== 'alias' && !ctx.clock) this.fail(`role "${r}" in a data stream class without a default clock`);
          fc.mappedClock = ctx.clock;
          if (s === 'packet-context') fc.role = 'packet-begin-timestamp';
          break;
        default:
          this.fail(`unknown role "${r}"`);
      }
    }
  }

  private fieldClass(v: Json, ctx: Context, depth = 0): FieldClass {
    if (depth > 64) this.fail('field classes nested too deeply');
    if (typeof v === 'string') {
      const target = this.aliases.get(v);
      if (target === undefined) this.fail(`unknown field class alias "${v}"`);
      return this.fieldClass(target, ctx, depth + 1);
    }
    const o = this.object(v, 'a field class');
    this.checkExtensions(o, 'a field class');
    const type = this.str(o, 'type');
    switch (type) {
      case 'fixed-length-unsigned-integer':
      case 'fixed-length-signed-integer':
      case 'fixed-length-bit-array':
      case 'fixed-length-bit-map':
      case 'fixed-length-boolean':
      case 'fixed-length-floating-point-number': {
        const length = this.int(o, 'length');
        if (length <= 0) this.fail('"length" must be positive');
        const byteOrder = this.byteOrder(o);
        const bitOrder = o['bit-order'];
        if (bitOrder !== undefined && bitOrder !== (byteOrder === 'le' ? 'first-to-last' : 'last-to-first')) this.fail(`non-default "bit-order" ${JSON.stringify(bitOrder)} is not supported`);
        const align = this.alignment(o, 'alignment');
        if (type === 'fixed-length-floating-point-number') {
          if (length !== 32 && length !== 64) this.fail(`${length}-bit floating point numbers are not supported (32 and 64 are)`);
          return { kind: 'float', align, inIr: true, size: length, byteOrder };
        }
        if (length > 64) this.fail(`${length}-bit fields are not supported (64 bits at most)`);
        if (type === 'fixed-length-boolean') return { kind: 'bool', align, inIr: true, size: length, byteOrder, storeSlot: -1 };
        if (type === 'fixed-length-bit-array' || type === 'fixed-length-bit-map') return { kind: 'bits', align, inIr: true, size: length, byteOrder };
        const base = this.int(o, 'preferred-display-base', 10);
        if (![2, 8, 10, 16].includes(base)) this.fail(`invalid "preferred-display-base" ${base}`);
        const fc: IntegerClass = {
          kind: 'int',
          align,
          inIr: true,
          size: length,
          signed: type === 'fixed-length-signed-integer',
          byteOrder,
          base,
          encoding: 'none',
          mappedClock: null,
          role: null,
          mappings: this.mappings(o.mappings),
          storeSlot: -1,
        };
        this.applyRoles(fc, o, ctx);
        return fc;
      }
      case 'variable-length-unsigned-integer':
      case 'variable-length-signed-integer': {
        const base = this.int(o, 'preferred-display-base', 10);
        const fc: VarIntClass = { kind: 'varint', align: 8, inIr: true, signed: type === 'variable-length-signed-integer', base, mappings: this.mappings(o.mappings), role: null, mappedClock: null, storeSlot: -1 };
        this.applyRoles(fc, o, ctx);
        return fc;
      }
      case 'null-terminated-string':
        return { kind: 'string', align: 8, inIr: true, encoding: this.encoding(o) };
      case 'static-length-string':
        return { kind: 'static-string', align: 8, inIr: true, length: this.int(o, 'length'), encoding: this.encoding(o) };
      case 'dynamic-length-string':
        return { kind: 'dynamic-string', align: 8, inIr: true, lengthRef: this.location(o['length-field-location'], '"length-field-location"'), lengthField: null, encoding: this.encoding(o) };
      case 'static-length-blob':
      case 'dynamic-length-blob': {
        const fc: BlobClass = { kind: 'blob', align: 8, inIr: true, length: -1, lengthRef: null, lengthField: null, role: null };
        if (type === 'static-length-blob') {
          fc.length = this.int(o, 'length');
          const roles = o.roles;
          if (Array.isArray(roles)) {
            for (const r of roles) {
              if (r !== 'metadata-stream-uuid') this.fail(`unknown BLOB role ${JSON.stringify(r)}`);
              if (fc.length !== 16) this.fail('a metadata-stream-uuid BLOB must be 16 bytes long');
              fc.role = 'metadata-uuid';
            }
          }
        } else fc.lengthRef = this.location(o['length-field-location'], '"length-field-location"');
        return fc;
      }
      case 'structure': {
        const members = o['member-classes'] ?? [];
        if (!Array.isArray(members)) this.fail('"member-classes" must be an array');
        const s: StructClass = { kind: 'struct', align: this.alignment(o, 'minimum-alignment'), inIr: true, members: [] };
        for (const m of members) {
          const mo = this.object(m, 'a structure member class');
          const name = this.str(mo, 'name');
          if (s.members.some((x) => x.name === name)) this.fail(`duplicate member "${name}" in a structure`);
          s.members.push({ name, raw: name, fc: this.fieldClass(mo['field-class'] as Json, { ...ctx, what: `${ctx.what}.${name}` }, depth + 1) });
        }
        return s;
      }
      case 'static-length-array':
      case 'dynamic-length-array': {
        const elem = this.fieldClass(o['element-field-class'] as Json, { ...ctx, what: `${ctx.what}[]` }, depth + 1);
        const align = this.alignment(o, 'minimum-alignment');
        if (type === 'static-length-array') return { kind: 'array', align, inIr: true, length: this.int(o, 'length'), elem, isText: false };
        return { kind: 'sequence', align, inIr: true, lengthRef: this.location(o['length-field-location'], '"length-field-location"'), lengthField: null, elem, isText: false };
      }
      case 'optional': {
        const inner = this.fieldClass(o['field-class'] as Json, ctx, depth + 1);
        const ranges = o['selector-field-ranges'] === undefined ? null : this.ranges(o['selector-field-ranges'], '"selector-field-ranges"');
        return { kind: 'optional', align: 1, inIr: true, selectorRef: this.location(o['selector-field-location'], '"selector-field-location"'), selectorField: null, ranges, fc: inner };
      }
      case 'variant': {
        const opts = o.options;
        if (!Array.isArray(opts) || opts.length === 0) this.fail('variant "options" must be a non-empty array');
        return {
          kind: 'variant',
          align: 1,
          inIr: true,
          tagRef: this.location(o['selector-field-location'], '"selector-field-location"'),
          tagField: null,
          options: opts.map((x, k) => {
            const oo = this.object(x, 'a variant option');
            const name = this.optStr(oo, 'name') ?? `option${k}`;
            return { name, raw: name, fc: this.fieldClass(oo['field-class'] as Json, { ...ctx, what: `${ctx.what}.${name}` }, depth + 1), ranges: this.ranges(oo['selector-field-ranges'], `option "${name}" selector ranges`) };
          }),
        };
      }
      default:
        return this.fail(`unknown field class type "${type}"`);
    }
  }
}

