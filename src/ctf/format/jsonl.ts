/**
 * One JSON line per message, exactly as `ctf-oracle` (babeltrace2 + Python's json) prints
 * them: the same keys in the same order, integers beyond 2^53 in payloads as decimal
 * strings, floats in Python's notation (`2222.0`), timestamps as plain integers, `null`
 * for clockless streams. Serialisers are built per field class once and cached, since
 * a JSON number alone cannot say whether it was a float (`2.0`) or an integer (`2`).
 */
import type { FieldValue } from '../../model/trace-event.js';
import { someFieldClass } from '../metadata/field-class-util.js';
import type { FieldClass, StructClass, StructMember } from '../metadata/model.js';
import type { CtfDiscarded, CtfEvent, CtfMessage } from '../stream/messages.js';
import { pythonFloat } from './python-float.js';
import { siblingTag, valueFitsClass, variantOption } from './value-shape.js';

/** Serialises a value; a variant also takes its tag's value when its structure holds the tag. */
type Serializer = (v: FieldValue, tag?: FieldValue) => string;

const SAFE = 9007199254740992;

function intJson(v: FieldValue): string {
  if (typeof v === 'number') return v >= -SAFE && v <= SAFE ? String(v) : `"${BigInt(v)}"`;
  if (typeof v === 'bigint') return `"${v}"`;
  return anyJson(v);
}

/** Fallback for values whose class is unknown: plain JSON (bigints as strings). */
function anyJson(v: FieldValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? intJson(v) : pythonFloat(v);
    case 'bigint':
      return intJson(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    default:
      if (Array.isArray(v)) return `[${v.map(anyJson).join(',')}]`;
      return `{${Object.entries(v)
        .map(([k, x]) => `${JSON.stringify(k)}:${anyJson(x)}`)
        .join(',')}}`;
  }
}

const cache = new WeakMap<object, Serializer>();

/** The serialiser of values of `fc` (cached). */
export function serializerOf(fc: FieldClass): Serializer {
  let s = cache.get(fc);
  if (!s) {
    s = build(fc);
    cache.set(fc, s);
  }
  return s;
}

function build(fc: FieldClass): Serializer {
  switch (fc.kind) {
    case 'int':
    case 'varint':
    case 'bits':
      return intJson;
    case 'float':
      return (v) => (typeof v === 'number' ? pythonFloat(v) : anyJson(v));
    case 'bool':
      return (v) => (v ? 'true' : 'false');
    case 'string':
    case 'static-string':
    case 'dynamic-string':
      return (v) => JSON.stringify(v);
    case 'blob':
      return (v) => (Array.isArray(v) ? `[${v.join(',')}]` : anyJson(v));
    case 'array':
    case 'sequence': {
      if (fc.isText) return (v) => JSON.stringify(v);
      const e = serializerOf(fc.elem);
      return (v) => {
        if (!Array.isArray(v)) return anyJson(v);
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + e(v[i]!);
        return `${out}]`;
      };
    }
    case 'struct':
      return structSerializer(fc.members.filter((m) => m.fc.inIr));
    case 'optional': {
      const inner = serializerOf(fc.fc);
      return (v) => (v === null ? 'null' : inner(v));
    }
    case 'variant': {
      const options = fc.options.map((o) => ({ fc: o.fc, s: serializerOf(o.fc) }));
      const hasFloat = fc.options.some((o) => someFieldClass(o.fc, (f) => f.kind === 'float'));
      return (v, tag) => {
        const k = variantOption(fc, tag);
        if (k >= 0) return options[k]!.s(v);
        if (!hasFloat) return anyJsonInts(v);
        // no tag value at hand: the option whose shape matches the value
        for (const o of options) if (valueFitsClass(o.fc, v)) return o.s(v);
        return anyJson(v);
      };
    }
  }
}

/** Like anyJson but never prints floats: for variants whose options hold no floats. */
function anyJsonInts(v: FieldValue): string {
  if (typeof v === 'number' || typeof v === 'bigint') return intJson(v);
  if (Array.isArray(v)) return `[${v.map(anyJsonInts).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${anyJsonInts(x)}`)
      .join(',')}}`;
  }
  return anyJson(v);
}

function structSerializer(members: StructMember[]): Serializer {
  const keys = members.map((m, i) => ({ name: m.name, key: `${JSON.stringify(m.name)}:`, s: serializerOf(m.fc), tag: siblingTag(members, i) }));
  return (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return anyJson(v);
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      out += (i ? ',' : '') + k.key + k.s(v[k.name]!, k.tag === null ? undefined : v[k.tag]);
    }
    return `${out}}`;
  };
}

const contextCache = new WeakMap<object, Serializer>();

/** Serialiser of an event's merged context: common members, then specific ones. */
function contextSerializer(ev: CtfEvent): Serializer {
  const info = ev.eventClass;
  let s = contextCache.get(info.eventClass);
  if (s) return s;
  s = structSerializer(mergedContextMembers(info.streamClass.eventCommonContext, info.eventClass.specificContext));
  contextCache.set(info.eventClass, s);
  return s;
}

/** Members of common + specific context as merged in `CtfEvent.context` (later ones win). */
export function mergedContextMembers(common: StructClass | null, specific: StructClass | null): StructMember[] {
  const members: StructMember[] = [];
  for (const m of [...(common?.members ?? []), ...(specific?.members ?? [])]) {
    if (!m.fc.inIr) continue;
    const idx = members.findIndex((x) => x.name === m.name);
    if (idx >= 0) members[idx] = { ...members[idx]!, fc: m.fc };
    else members.push(m);
  }
  return members;
}

function payloadSerializer(ev: CtfEvent): Serializer {
  const ec = ev.eventClass.eventClass;
  return ec.payload ? serializerOf(ec.payload) : () => '{}';
}

/** The ctf-oracle line (without newline) of an event. */
export function eventJson(ev: CtfEvent): string {
  const timed = ev.hasTimestamp;
  const ts = timed ? ev.ts.toString() : 'null';
  const cycles = timed ? ev.cycles.toString() : 'null';
  const p = ev.packet;
  return `{"ts":${ts},"cycles":${cycles},"event":${JSON.stringify(ev.name)},"stream_class":${p.stream.streamClassId},"stream":${p.stream.streamId},"cpu":${p.cpu === null ? 'null' : p.cpu},"context":${contextSerializer(ev)(ev.context)},"payload":${payloadSerializer(ev)(ev.payload)}}`;
}

/** The ctf-oracle line of a discarded-events/packets record. */
export function discardedJson(d: CtfDiscarded): string {
  const n = d.count === null ? 'null' : String(d.count);
  const b = d.begin === null ? 'null' : d.begin.toString();
  const e = d.begin === null || d.end === null ? 'null' : d.end.toString();
  return `{"${d.kind}":${n},"stream":${d.streamId},"cpu":null,"begin":${b},"end":${e}}`;
}

/** The ctf-oracle line of any message. */
export function messageJson(m: CtfMessage): string {
  return m.kind === 'event' ? eventJson(m) : discardedJson(m);
}
