/**
 * babeltrace2's default text output (`sink.text.pretty`):
 *
 *   [17:46:22.794565804] (+0.000001868) wilbrod sched_wakeup: { cpu_id = 2 }, { comm = "lttng-consumerd", tid = 4297 }
 *
 * time of day (local, or UTC), delta from the previous event, host name, event name,
 * then the packet context, common context, specific context and payload, each as
 * `{ name = value, ... }`. Integers follow their preferred base (`0x804A291`),
 * enumerations print `( "LABEL" : container = N )`, floats use C's `%g`.
 */
import { formatSeconds } from '../../base/time.js';
import type { FieldValue } from '../../model/trace-event.js';
import type { EnumMapping, FieldClass, StructClass, StructMember } from '../metadata/model.js';
import type { CtfDiscarded, CtfEvent } from '../stream/messages.js';
import { siblingTag, valueFitsClass, variantOption } from './value-shape.js';

/** Prints a value; a variant also takes its tag's value when its structure holds the tag. */
type Printer = (v: FieldValue, tag?: FieldValue) => string;

export interface TextOptions {
  /** Print times of day in UTC instead of the local time zone. */
  readonly utc: boolean;
}

const NS = 1_000_000_000n;

/** C's `%g` (6 significant digits). */
export function cFormatG(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const e = parseInt(x.toExponential(5).split('e')[1]!, 10);
  if (e < -4 || e >= 6) {
    const [m0, ex] = x.toExponential(5).split('e') as [string, string];
    const m = m0.replace(/\.?0+$/, '');
    const n = parseInt(ex, 10);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return x.toFixed(Math.max(0, 5 - e)).replace(/\.?0+$/, '') || '0';
}

/** babeltrace2's string escaping: C escapes for controls, backslash, quotes and `?`. */
export function escapeText(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '?':
        out += '\\?';
        continue;
      default:
        break;
    }
    if (c >= 0x20 && c !== 0x7f) {
      out += ch;
      continue;
    }
    const named: Record<number, string> = { 7: '\\a', 8: '\\b', 27: '\\e', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };
    out += named[c] ?? `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

function toBig(v: FieldValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return 0n;
}

function integerText(v: FieldValue, size: number, base: number): string {
  if (base === 10) return String(v);
  const u = BigInt.asUintN(64, toBig(v));
  if (base === 16) return `0x${BigInt.asUintN(Math.min(64, (size + 3) & ~3), u).toString(16).toUpperCase()}`;
  if (base === 8) return `0${BigInt.asUintN(Math.min(64, Math.ceil(size / 3) * 3), u).toString(8)}`;
  return `0b${BigInt.asUintN(size, u).toString(2).padStart(size, '0')}`;
}

function enumLabels(mappings: EnumMapping[], v: FieldValue): string {
  const x = toBig(v);
  const labels = mappings.filter((m) => m.ranges.some(([lo, hi]) => x >= BigInt(lo) && x <= BigInt(hi))).map((m) => m.label);
  labels.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (labels.length === 0) return '<unknown>';
  const list = labels.map(escapeText).join(', ');
  return labels.length > 1 ? `{ ${list} }` : list;
}

const cache = new WeakMap<object, Printer>();

function printerOf(fc: FieldClass): Printer {
  let p = cache.get(fc);
  if (!p) {
    p = build(fc);
    cache.set(fc, p);
  }
  return p;
}

function build(fc: FieldClass): Printer {
  switch (fc.kind) {
    case 'int':
    case 'varint': {
      const size = fc.kind === 'int' ? fc.size : 64;
      const base = fc.base;
      if (fc.mappings) {
        const m = fc.mappings;
        return (v) => `( ${enumLabels(m, v)} : container = ${integerText(v, size, base)} )`;
      }
      return (v) => integerText(v, size, base);
    }
    case 'bits':
      return (v) => `0x${toBig(v).toString(16).toUpperCase()}`;
    case 'bool':
      return (v) => (v ? 'true' : 'false');
    case 'float':
      return (v) => cFormatG(Number(v));
    case 'string':
    case 'static-string':
    case 'dynamic-string':
      return (v) => escapeText(String(v));
    case 'blob':
      return (v) => `{ ${(v as number[]).map((b) => `${b.toString(16).padStart(2, '0')} `).join('')}}`;
    case 'array':
    case 'sequence': {
      if (fc.isText) return (v) => escapeText(String(v));
      const e = printerOf(fc.elem);
      return (v) => {
        const a = v as FieldValue[];
        if (a.length === 0) return '[ ]';
        return `[ ${a.map((x, i) => `[${i}] = ${e(x)}`).join(', ')} ]`;
      };
    }
    case 'struct':
      return structPrinter(fc.members.filter((m) => m.fc.inIr));
    case 'variant': {
      const options = fc.options.map((o) => printerOf(o.fc));
      const classes = fc.options.map((o) => o.fc);
      return (v, tag) => {
        let k = variantOption(fc, tag);
        if (k < 0) k = classes.findIndex((c) => valueFitsClass(c, v));
        return `{ ${(options[k >= 0 ? k : 0] ?? String)(v)} }`;
      };
    }
    case 'optional': {
      const inner = printerOf(fc.fc);
      return (v) => (v === null ? '<none>' : `{ ${inner(v)} }`);
    }
  }
}

function structPrinter(members: StructMember[]): Printer {
  const parts = members.map((m, i) => ({ name: m.name, p: printerOf(m.fc), tag: siblingTag(members, i) }));
  return (v) => {
    if (parts.length === 0) return '{ }';
    const o = v as Record<string, FieldValue>;
    let out = '{';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      out += `${i ? ', ' : ' '}${part.name} = ${part.p(o[part.name]!, part.tag === null ? undefined : o[part.tag])}`;
    }
    return `${out} }`;
  };
}

function scopePrinter(s: StructClass | null): Printer | null {
  if (!s || !s.inIr) return null;
  return printerOf(s);
}

export class TextFormatter {
  private lastNs: bigint | null = null;

  constructor(private readonly opts: TextOptions) {}

  private timeOfDay(ns: bigint): string {
    // before the origin: babeltrace2 prints the signed seconds
    if (ns < 0n) return formatSeconds(ns);
    const frac = (ns % NS).toString().padStart(9, '0');
    const d = new Date(Number(ns / NS) * 1000);
    const h = this.opts.utc ? d.getUTCHours() : d.getHours();
    const m = this.opts.utc ? d.getUTCMinutes() : d.getMinutes();
    const s = this.opts.utc ? d.getUTCSeconds() : d.getSeconds();
    const p2 = (x: number) => String(x).padStart(2, '0');
    return `${p2(h)}:${p2(m)}:${p2(s)}.${frac}`;
  }

  /** One event line, with its newline. */
  event(ev: CtfEvent): string {
    let out = '';
    if (ev.hasTimestamp) {
      const ts = ev.ts;
      out += `[${this.timeOfDay(ts)}] `;
      if (this.lastNs === null) out += '(+?.?????????) ';
      else {
        const d = ts - this.lastNs;
        out += d < 0n ? `(${formatSeconds(d)}) ` : `(+${formatSeconds(d)}) `;
      }
      this.lastNs = ts;
    }
    // babeltrace2's default trace fields: hostname, procname and vpid from the environment
    const env = ev.trace.env;
    const items: string[] = [];
    if (typeof env.hostname === 'string') items.push(env.hostname);
    if (typeof env.procname === 'string') items.push(env.procname);
    if (typeof env.vpid === 'number') items.push(`(${env.vpid})`);
    if (items.length) out += `${items.join(':')} `;
    out += `${ev.name}: `;
    const info = ev.eventClass;
    const sc = info.streamClass;
    const parts: string[] = [];
    const pc = ev.packet.context;
    const pcp = scopePrinter(sc.packetContext);
    if (pc && pcp) parts.push(pcp(pc));
    const common = scopePrinter(sc.eventCommonContext);
    if (common) parts.push(common(ev.context));
    const spec = scopePrinter(info.eventClass.specificContext);
    if (spec) parts.push(spec(ev.context));
    const payload = scopePrinter(info.eventClass.payload);
    if (payload) parts.push(payload(ev.payload));
    return `${out}${parts.join(', ')}\n`;
  }

  /** The WARNING line babeltrace2 writes to stderr for lost events or packets. */
  discarded(d: CtfDiscarded): string {
    const what = d.kind === 'discarded_events' ? 'event' : 'packet';
    const count = d.count === null ? `Tracer may have discarded ${what}s` : `Tracer discarded ${d.count} ${what}${d.count === 1 ? '' : 's'}`;
    const range = d.begin !== null && d.end !== null ? `between [${this.timeOfDay(d.begin)}] and [${this.timeOfDay(d.end)}]` : '(unknown time range)';
    const s = d.stream;
    const uuid = s.traceUuid ? `(UUID: ${s.traceUuid})` : '(no UUID)';
    return `WARNING: ${count} ${range} in trace "${s.traceName}" ${uuid} within stream "${s.name}" (stream class ID: ${s.streamClassId}, stream ID: ${d.streamId}).\n`;
  }
}
