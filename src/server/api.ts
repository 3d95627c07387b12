/**
 * The JSON API of `tracewire ui`. Every time is ns relative to `summary.base` (a decimal
 * string, ns from the clock origin) as a JSON number; lists are paged (`offset`,
 * `limit`) so the page never holds more rows than it shows.
 *
 *   GET /api/status                      progress of the analyses, ready flag
 *   GET /api/progress                    the same as a server-sent event stream
 *   GET /api/summary                     inputs, time range, event names, threads, features
 *   GET /api/histogram?t0&t1&n           events and packets per bucket (overview strip)
 *   GET /api/events?offset&limit&names&tid&cpu&q
 *                                        Events table page (filtered), with total
 *   GET /api/events/at?t&...filter       position of the first (filtered) event at/after t
 *   GET /api/events/:i                   one event: context and payload fields
 *   GET /api/packets?offset&limit&filter Packets list page (display filter), with total
 *   GET /api/packets/at?t&filter         position of the packet nearest to t
 *   GET /api/packets/marks               time, stream, flags of every packet (timeline marks)
 *   GET /api/packets/:id                 detail tree and bytes of one frame
 *   GET /api/conversations               TCP conversations
 *   (kernel and story endpoints are added by kernel-api.ts)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PacketRow } from './api-types.js';
import type { UiDataset } from './dataset.js';
import { HttpError, Router } from './http-server.js';
import type { ProgressTracker } from './progress.js';
import type { EventQuery } from './event-index.js';
import { addAnalysisRoutes, flowSides } from './analysis-api.js';

const MAX_PAGE = 2000;

function num(q: URLSearchParams, key: string, fallback?: number): number {
  const v = q.get(key);
  if (v === null || v === '') {
    if (fallback === undefined) throw new HttpError(400, `missing parameter ${key}`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, `parameter ${key} must be a number, got '${v}'`);
  return n;
}

function optionalInt(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, `parameter ${key} must be an integer, got '${v}'`);
  return n;
}

function eventQuery(q: URLSearchParams): EventQuery {
  const names = (q.get('names') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { names, tid: optionalInt(q, 'tid'), cpu: optionalInt(q, 'cpu'), text: q.get('q') ?? undefined };
}

function page(q: URLSearchParams): { offset: number; limit: number } {
  const offset = Math.max(0, Math.floor(num(q, 'offset', 0)));
  const limit = Math.min(MAX_PAGE, Math.max(0, Math.floor(num(q, 'limit', 100))));
  return { offset, limit };
}

/** Lower bound of `t` in the times of `ids` (or of all rows when ids is null). */
function positionAt(times: Float64Array, ids: Int32Array | null, count: number, t: number): number {
  let lo = 0;
  let hi = ids ? ids.length : count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = times[ids ? ids[mid]! : mid]!;
    if (v < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function requireReady<T>(v: T | null, what: string): T {
  if (v === null) throw new HttpError(404, `${what} not available for these inputs`);
  return v;
}

/** Builds every route over `d`. */
export function buildApi(d: UiDataset, progress: ProgressTracker): Router {
  const r = new Router();
  /** A packet row with the process owning its socket, once the correlation knows it. */
  const withProcess = (row: PacketRow): PacketRow => {
    const process = d.analyses.correlation?.processOf(row.id);
    return process ? { ...row, process } : row;
  };

  r.get('/api/status', () => progress.snapshot());

  r.get('/api/progress', (_p, _q, req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const send = (snap: unknown) => res.write(`data: ${JSON.stringify(snap)}\n\n`);
    send(progress.snapshot());
    const off = progress.listen((snap) => {
      send(snap);
      if (snap.complete) res.end();
    });
    if (progress.snapshot().complete) res.end();
    req.on('close', off);
    return undefined;
  });

  r.get('/api/summary', () => {
    const ev = d.events;
    const pk = d.packets;
    return {
      inputs: d.inputs.labels,
      base: d.base.toString(),
      start: d.start,
      end: d.end,
      ready: progress.ready,
      correlation: d.analyses.correlationState,
      traces: d.traces?.traces.map((t) => ({ path: t.path, hostname: t.hostname, domain: t.domain, tracer: t.env['tracer_name'] ?? '', kernel: t.env['kernel_release'] ?? '' })) ?? [],
      bundles: d.inputs.bundles.map((b) => ({ path: b.path, host: b.bundle.host.hostname, kernel: b.bundle.host.kernel_release, cpus: b.bundle.host.cpus, command: b.bundle.command?.argv ?? null, lostEvents: b.bundle.lost_events, start: b.bundle.time.start_iso, duration: b.bundle.time.duration_s })),
      events: ev ? { count: ev.count, sorted: ev.sorted, names: ev.names.map((n, i) => ({ name: n, count: ev.nameCounts[i]! })).sort((a, b) => b.count - a.count), lost: ev.lost } : null,
      contextThreads: ev ? [...ev.threads.values()].sort((a, b) => a.tid - b.tid) : [],
      cpus: ev ? [...new Set(Array.from(ev.cpu.subarray(0, ev.count)))].filter((c) => c >= 0).sort((a, b) => a - b) : [],
      packets: pk ? { count: pk.count, captures: pk.captures.map((c) => c.input.path), interfaces: pk.ifaceNames } : null,
      features: { events: !!ev, packets: !!pk, ...featureFlags(d) },
      notes: d.analyses.notes,
    };
  });

  r.get('/api/histogram', (_p, q) => {
    const t0 = num(q, 't0', d.start);
    const t1 = num(q, 't1', d.end);
    const n = Math.min(4000, Math.max(1, Math.floor(num(q, 'n', 200))));
    return { t0, t1, n, events: d.events?.histogram(t0, t1, n) ?? null, packets: d.packets?.histogram(t0, t1, n) ?? null };
  });

  r.get('/api/events', async (_p, q) => {
    const ev = requireReady(d.events, 'kernel events');
    const { offset, limit } = page(q);
    const ids = await ev.query(eventQuery(q));
    const total = ids ? ids.length : ev.count;
    const end = Math.min(total, offset + limit);
    const wanted = new Int32Array(Math.max(0, end - offset));
    for (let k = offset; k < end; k++) wanted[k - offset] = ids ? ids[k]! : k;
    return { total, offset, rows: await ev.rows(wanted) };
  });

  r.get('/api/events/at', async (_p, q) => {
    const ev = requireReady(d.events, 'kernel events');
    const ids = await ev.query(eventQuery(q));
    const t = num(q, 't');
    const total = ids ? ids.length : ev.count;
    return { position: Math.min(Math.max(0, total - 1), positionAt(ev.time, ids, ev.count, t)), total };
  });

  r.get('/api/events/:i', async (p) => {
    const ev = requireReady(d.events, 'kernel events');
    const i = Number(p.i);
    if (!Number.isInteger(i)) throw new HttpError(400, 'event index must be an integer');
    const det = await ev.detail(i);
    if (!det) throw new HttpError(404, `no event ${p.i}`);
    return det;
  });

  r.get('/api/packets', async (_p, q) => {
    const pk = requireReady(d.packets, 'packets');
    const { offset, limit } = page(q);
    const ids = await pk.filter(q.get('filter') ?? '');
    const total = ids ? ids.length : pk.count;
    const rows = [];
    for (let k = offset; k < Math.min(total, offset + limit); k++) rows.push(withProcess(pk.row(ids ? ids[k]! : k)));
    return { total, offset, rows };
  });

  r.get('/api/packets/at', async (_p, q) => {
    const pk = requireReady(d.packets, 'packets');
    const ids = await pk.filter(q.get('filter') ?? '');
    const t = num(q, 't');
    const total = ids ? ids.length : pk.count;
    let pos = positionAt(pk.time, ids, pk.count, t);
    // Nearest, not only at-or-after.
    if (pos > 0 && (pos >= total || Math.abs(pk.time[ids ? ids[pos - 1]! : pos - 1]! - t) <= Math.abs(pk.time[ids ? ids[pos]! : pos]! - t))) pos--;
    return { position: Math.max(0, Math.min(total - 1, pos)), total };
  });

  r.get('/api/packets/marks', () => {
    const pk = requireReady(d.packets, 'packets');
    // Info text only for captures small enough to ship whole (tooltips); big ones fetch rows.
    const withInfo = pk.count <= 20_000;
    return {
      t: Array.from(pk.time.subarray(0, pk.count)),
      no: Array.from(pk.no.subarray(0, pk.count)),
      stream: Array.from(pk.stream.subarray(0, pk.count)),
      flags: Array.from(pk.tcpFlags.subarray(0, pk.count)),
      expert: Array.from(pk.expert.subarray(0, pk.count), (e) => (e ? 1 : 0)),
      info: withInfo ? pk.info.slice(0, pk.count) : [],
      sorted: pk.sorted,
    };
  });

  r.get('/api/packets/:id', async (p) => {
    const pk = requireReady(d.packets, 'packets');
    const i = Number(p.id);
    if (!Number.isInteger(i)) throw new HttpError(400, 'packet id must be an integer');
    const det = await pk.detail(i);
    if (!det) throw new HttpError(404, `no packet ${p.id}`);
    return { ...det, row: withProcess(det.row) };
  });

  r.get('/api/conversations', () => ({ conversations: d.packets?.conversations ?? [] }));

  r.get('/api/flow/:stream', async (p) => {
    const pk = requireReady(d.packets, 'packets');
    const stream = Number(p.stream);
    const conv = pk.conversations.find((c) => c.stream === stream);
    if (!conv) throw new HttpError(404, `no TCP stream ${p.stream}`);
    const packets = [];
    for (let i = 0; i < pk.count; i++) if (pk.stream[i] === stream && pk.cap[i] === conv.capture) packets.push(withProcess(pk.row(i)));
    const side = await flowSides(d, conv);
    return { conversation: conv, hostA: side.hostA, hostB: side.hostB, packets, steps: side.steps };
  });

  addAnalysisRoutes(r, d);
  return r;
}

/**
 * What the page can show. The correlation-fed views (links, story, sockets) are flagged
 * as soon as the correlation is under way; their endpoints answer 503 until it is done.
 */
function featureFlags(d: UiDataset): { threads: boolean; resources: boolean; sockets: boolean; story: boolean; flow: boolean; links: boolean } {
  const k = d.analyses.kernel !== null;
  const c = d.analyses.correlationState === 'running' || d.analyses.correlationState === 'done';
  return { threads: k, resources: k, sockets: c && !!d.traces, story: c && !!d.traces, flow: !!d.packets && d.packets.conversations.length > 0, links: c && !!d.traces && !!d.packets };
}
