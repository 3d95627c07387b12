/**
 * A columnar index of every kernel/UST event of the traces, for the Events table, the
 * event-density overview and jumping to a time: per event its time (ns relative to the
 * dataset's base, exact as a double up to 104 days), event-name id, CPU and thread.
 * Payloads are not kept: a page of rows is decoded again from the trace files on demand
 * (the CTF reader skips whole packets before the requested time), so memory stays at
 * 16 bytes an event whatever the payload sizes.
 */
import { statSync } from 'node:fs';
import type { TraceCollection } from '../ctf/index.js';
import type { CtfEvent } from '../ctf/stream/messages.js';
import { fieldNumber, type FieldMap, type FieldValue } from '../model/trace-event.js';
import type { ContextThread, EventRow, LostRange } from './api-types.js';
import { fieldMapText } from './field-text.js';
import { yieldToEventLoop, type ProgressTracker } from './progress.js';
import { lowerBound, timeHistogram } from './time-column.js';

const TWO32 = 4294967296;

/** The selection an Events table query applies (all parts optional, combined with AND). */
export interface EventQuery {
  /** Keep these event names (exact) — also `syscall_*`-style prefixes ending in `*`. */
  readonly names?: readonly string[];
  readonly tid?: number;
  readonly cpu?: number;
  /**
   * A field condition `field OP value` (OP: = == != > < >= <= ~ for contains) on the
   * payload or context, or plain text searched in the event name, process name and
   * fields' text.
   */
  readonly text?: string;
}

interface Condition {
  (fields: FieldMap, context: FieldMap, name: string, procname: string): boolean;
}

function compileCondition(text: string): Condition {
  const m = /^\s*([A-Za-z_][\w.]*)\s*(==|=|!=|>=|<=|>|<|~)\s*(.+?)\s*$/.exec(text);
  if (!m) {
    const needle = text.toLowerCase();
    return (fields, _ctx, name, procname) => name.includes(needle) || procname.toLowerCase().includes(needle) || fieldMapText(fields).toLowerCase().includes(needle);
  }
  const [, field, op, rawValue] = m as unknown as [string, string, string, string];
  const value = rawValue.replace(/^"(.*)"$/, '$1');
  const num = /^-?(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : NaN;
  const get = (fields: FieldMap, ctx: FieldMap): FieldValue | undefined => {
    if (field in fields) return fields[field];
    if (field in ctx) return ctx[field];
    // A dotted path into a structure, e.g. `addr.sin_port`.
    let cur: FieldValue | undefined = fields;
    for (const part of field.split('.')) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      cur = (cur as FieldMap)[part];
    }
    return cur;
  };
  return (fields, ctx) => {
    const v = get(fields, ctx);
    if (v === undefined) return false;
    if (op === '~') return String(typeof v === 'object' ? JSON.stringify(v) : v).includes(value);
    const n = fieldNumber(v);
    if (!Number.isNaN(num) && !Number.isNaN(n)) {
      switch (op) {
        case '=':
        case '==':
          return n === num;
        case '!=':
          return n !== num;
        case '>':
          return n > num;
        case '<':
          return n < num;
        case '>=':
          return n >= num;
        case '<=':
          return n <= num;
      }
    }
    const s = String(v);
    return op === '!=' ? s !== value : (op === '=' || op === '==') && s === value;
  };
}

export class EventIndex {
  count = 0;
  time = new Float64Array(1 << 16);
  nameId = new Uint16Array(1 << 16);
  cpu = new Int16Array(1 << 16);
  tid = new Int32Array(1 << 16);
  readonly names: string[] = [];
  readonly nameCounts: number[] = [];
  private readonly nameIds = new Map<string, number>();
  readonly threads = new Map<number, ContextThread>();
  readonly lost: LostRange[] = [];
  /** False when merged time went backwards (old LTTng traces); then pages are read by scanning. */
  sorted = true;
  private readonly queryCache = new Map<string, Int32Array>();

  private constructor(
    readonly tc: TraceCollection,
    /** Dataset time origin (ns from the clock's origin). */
    readonly base: bigint,
  ) {}

  /** Exact ns from origin of a relative time. */
  absolute(rel: number): bigint {
    return this.base + BigInt(Math.round(rel));
  }

  /**
   * Reads every event of `tc` once and indexes it. `base` is the dataset's time origin.
   * Yields to the event loop every ~30 ms so HTTP requests (progress) are served.
   */
  static async build(tc: TraceCollection, base: bigint, progress: ProgressTracker): Promise<EventIndex> {
    const idx = new EventIndex(tc, base);
    let totalBytes = 0;
    const streamBytes = new Map<string, number>();
    for (const t of tc.ctfTraces) for (const s of t.streams) for (const f of s.files) {
      totalBytes += statSync(f).size;
      streamBytes.set(f, 0);
    }
    progress.update('events', { state: 'running', total: totalBytes, unit: 'bytes' });
    const baseHi = Number(base >> 32n);
    const baseLo = Number(BigInt.asUintN(32, base));
    let last = -Infinity;
    let lastYield = Date.now();
    let n = 0;
    for (const m of tc.messages()) {
      if (m.kind !== 'event') {
        const d = m;
        const t0 = d.begin !== null ? Number(d.begin - base) : last;
        const t1 = d.end !== null ? Number(d.end - base) : t0;
        idx.lost.push({ t0, t1, count: d.count, cpu: d.cpu, kind: d.kind });
        continue;
      }
      const ev = m as CtfEvent;
      const t = (ev.nsHi - baseHi) * TWO32 + (ev.nsLo - baseLo);
      if (t < last) idx.sorted = false;
      last = t;
      idx.push(t, ev);
      if ((++n & 4095) === 0) {
        streamBytes.set(ev.packet.file, ev.packet.offset);
        const now = Date.now();
        if (now - lastYield > 30) {
          let done = 0;
          for (const v of streamBytes.values()) done += v;
          progress.update('events', { done, label: `Indexing kernel events (${n.toLocaleString('en-US')})` });
          await yieldToEventLoop();
          lastYield = Date.now();
        }
      }
    }
    progress.update('events', { state: 'done', done: totalBytes, label: `Indexed ${idx.count.toLocaleString('en-US')} kernel events` });
    return idx;
  }

  private push(t: number, ev: CtfEvent): void {
    if (this.count === this.time.length) this.grow();
    const i = this.count++;
    this.time[i] = t;
    const name = ev.eventClass.name;
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameCounts.push(0);
      this.nameIds.set(name, id);
    }
    this.nameCounts[id]!++;
    this.nameId[i] = id;
    this.cpu[i] = ev.packet.cpu ?? -1;
    const ctx = ev.context;
    const tidV = ctx['tid'] ?? ctx['vtid'];
    const tid = typeof tidV === 'number' ? tidV : -1;
    this.tid[i] = tid;
    if (tid >= 0) {
      let th = this.threads.get(tid);
      if (!th) {
        th = { tid, pid: -1, name: '', events: 0 };
        this.threads.set(tid, th);
      }
      th.events++;
      const pn = ctx['procname'];
      if (typeof pn === 'string' && pn !== th.name) th.name = pn;
      const pid = ctx['pid'] ?? ctx['vpid'];
      if (typeof pid === 'number') th.pid = pid;
    }
  }

  private grow(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
    const a = new Uint16Array(n);
    a.set(this.nameId);
    this.nameId = a;
    const c = new Int16Array(n);
    c.set(this.cpu);
    this.cpu = c;
    const d = new Int32Array(n);
    d.set(this.tid);
    this.tid = d;
  }

  /** Index of the first event at or after `t` (count when none). */
  lowerBound(t: number): number {
    return lowerBound(this.time, this.count, t);
  }

  /** Event counts in `buckets` equal slices of [t0, t1). */
  histogram(t0: number, t1: number, buckets: number): number[] {
    return timeHistogram(this.time, this.count, this.sorted, t0, t1, buckets);
  }

  /** Ids of the event names `patterns` selects (exact names or `prefix*`). */
  private nameSet(patterns: readonly string[]): Uint8Array {
    const keep = new Uint8Array(this.names.length);
    for (const p of patterns) {
      if (p.endsWith('*')) {
        const prefix = p.slice(0, -1);
        this.names.forEach((n, id) => {
          if (n.startsWith(prefix)) keep[id] = 1;
        });
      } else {
        const id = this.nameIds.get(p);
        if (id !== undefined) keep[id] = 1;
      }
    }
    return keep;
  }

  /**
   * Indices of the events `q` selects, in time order; null means "all events" (no
   * filter). A text/field condition decodes the candidate events' payloads once and is
   * cached; the other parts are column scans.
   */
  async query(q: EventQuery, progress?: (done: number, total: number) => void): Promise<Int32Array | null> {
    const hasNames = !!q.names && q.names.length > 0;
    const hasTid = q.tid !== undefined && Number.isFinite(q.tid);
    const hasCpu = q.cpu !== undefined && Number.isFinite(q.cpu);
    const text = q.text?.trim() ?? '';
    if (!hasNames && !hasTid && !hasCpu && !text) return null;
    const key = JSON.stringify([hasNames ? [...q.names!].sort() : null, hasTid ? q.tid : null, hasCpu ? q.cpu : null, text]);
    const cached = this.queryCache.get(key);
    if (cached) return cached;
    const keep = hasNames ? this.nameSet(q.names!) : null;
    let out = new Int32Array(1024);
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      if (keep && !keep[this.nameId[i]!]) continue;
      if (hasTid && this.tid[i] !== q.tid) continue;
      if (hasCpu && this.cpu[i] !== q.cpu) continue;
      if (n === out.length) {
        const g = new Int32Array(n * 2);
        g.set(out);
        out = g;
      }
      out[n++] = i;
    }
    let result: Int32Array = out.subarray(0, n);
    if (text) result = await this.filterByCondition(result, compileCondition(text), progress);
    if (this.queryCache.size > 16) this.queryCache.delete(this.queryCache.keys().next().value!);
    this.queryCache.set(key, result);
    return result;
  }

  private async filterByCondition(candidates: Int32Array, cond: Condition, progress?: (done: number, total: number) => void): Promise<Int32Array> {
    const out: number[] = [];
    let lastYield = Date.now();
    let done = 0;
    await this.visit(candidates, (i, ev) => {
      const procname = this.threads.get(this.tid[i]!)?.name ?? '';
      if (cond(ev.payload, ev.context, ev.eventClass.name, procname)) out.push(i);
      done++;
    }, async () => {
      if (Date.now() - lastYield > 30) {
        progress?.(done, candidates.length);
        await yieldToEventLoop();
        lastYield = Date.now();
      }
    });
    return Int32Array.from(out);
  }

  /**
   * Decodes the events at `indices` (ascending) and calls `fn` for each. Neighbouring
   * indices are read in one pass from the trace; distant ones start a new pass at their
   * own time, so a sparse selection does not decode the whole trace.
   */
  private async visit(indices: ArrayLike<number>, fn: (i: number, ev: CtfEvent) => void, breathe?: () => Promise<void>): Promise<void> {
    if (indices.length === 0) return;
    if (!this.sorted) {
      // Time order is broken: only a pass from the start maps events to indices.
      let k = 0;
      let i = 0;
      for (const m of this.tc.messages()) {
        if (m.kind !== 'event') continue;
        if (i === indices[k]) {
          fn(i, m as CtfEvent);
          if (++k === indices.length) break;
        }
        i++;
        if ((i & 8191) === 0 && breathe) await breathe();
      }
      return;
    }
    const GAP = 4096;
    let k = 0;
    while (k < indices.length) {
      let end = k;
      while (end + 1 < indices.length && indices[end + 1]! - indices[end]! <= GAP) end++;
      const first = indices[k]!;
      const lastI = indices[end]!;
      const startIdx = this.lowerBound(this.time[first]!);
      const begin = this.absolute(this.time[first]!);
      const endTs = this.absolute(this.time[lastI]!);
      let i = startIdx;
      let j = k;
      let seen = 0;
      for (const m of this.tc.messages({ begin, end: endTs })) {
        if (m.kind !== 'event') continue;
        if (i === indices[j]) {
          const ev = m as CtfEvent;
          if (ev.eventClass.name !== this.names[this.nameId[i]!]) throw new Error(`event index out of step at ${i}`);
          fn(i, ev);
          if (++j > end) break;
        }
        i++;
        if ((++seen & 8191) === 0 && breathe) await breathe();
      }
      k = end + 1;
      if (breathe) await breathe();
    }
  }

  /** The Events-table rows for `indices` (ascending), payloads decoded from the trace. */
  async rows(indices: ArrayLike<number>): Promise<EventRow[]> {
    const out: EventRow[] = [];
    await this.visit(indices, (i, ev) => out.push(this.row(i, ev)));
    return out;
  }

  /** Full detail of one event: its row, context and payload (bigints as the API's JSON writes them). */
  async detail(i: number): Promise<{ row: EventRow; context: FieldMap; payload: FieldMap } | null> {
    if (i < 0 || i >= this.count) return null;
    let got: { row: EventRow; context: FieldMap; payload: FieldMap } | null = null;
    await this.visit([i], (j, ev) => (got = { row: this.row(j, ev), context: ev.context, payload: ev.payload }));
    return got;
  }

  /** The Events-table row of event `i`, decoded as `ev`. */
  private row(i: number, ev: CtfEvent): EventRow {
    const tid = this.tid[i]!;
    return {
      i,
      t: this.time[i]!,
      name: this.names[this.nameId[i]!]!,
      cpu: this.cpu[i]!,
      tid,
      procname: this.threads.get(tid)?.name ?? '',
      fields: fieldMapText(ev.payload),
    };
  }
}
