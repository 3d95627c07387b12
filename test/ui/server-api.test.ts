/**
 * The UI server's JSON API against the reference tools: the packet list against tshark
 * (pcap-oracle), the Events table against Babeltrace 2 (ctf-oracle), the display filter,
 * the detail tree, paging, and the HTTP layer's guards (Host check, methods, static
 * files). No root needed: it reads the shared traces and captures.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ctfOracle, pcapOracle, runCli, runCommand, sharedCaptures, sharedTraces, needsCommands } from '../support/env.js';
import { startUiServer, type UiServer } from '../../src/server/index.js';

interface OracleFrame {
  frame: number;
  ts: string;
  len: number;
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  tcp: null | { stream: number; flags: number; seq: number; ack: number | null; payload: number; analysis: string[] };
}

async function oracleLines<T>(tool: string, path: string): Promise<T[]> {
  const r = await runCommand(tool, [path], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  // Keep big integers exact: the oracles write ns timestamps beyond 2^53 as JSON numbers.
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l.replace(/"ts": ?(\d{16,})/, '"ts": "$1"')) as T);
}

async function api<T>(ui: UiServer, path: string): Promise<T> {
  const res = await fetch(new URL(path, ui.url));
  const body = (await res.json()) as T & { error?: string };
  assert.equal(res.status, 200, `${path}: ${body.error}`);
  return body;
}

/** A raw HTTP request (fetch cannot forge the Host header). */
function raw(ui: UiServer, method: string, path: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ui.port, method, path, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];

describe('packets API vs tshark', { skip: needsCommands('tshark') }, () => {
  const capture = join(sharedCaptures, 'public', 'dns_tcp.pcap');
  let ui: UiServer;
  let oracle: OracleFrame[];

  before(async () => {
    ui = await startUiServer([capture]);
    await ui.loaded;
    assert.equal(ui.progress.snapshot().error, null);
    oracle = await oracleLines<OracleFrame>(pcapOracle, capture);
  });
  after(() => ui?.close());

  test('every frame is listed with tshark’s addresses, TCP flags, stream and relative seq/ack', async () => {
    const page = await api<{ total: number; rows: Array<{ id: number; no: number; src: string; dst: string; proto: string; flags: string[]; stream: number; info: string; len: number; t: number }> }>(ui, '/api/packets?offset=0&limit=2000');
    assert.equal(page.total, oracle.length);
    assert.equal(page.rows.length, oracle.length);
    const t0 = Number(oracle[0]!.ts.split('.')[0]) * 1e9 + Number(oracle[0]!.ts.split('.')[1]!.padEnd(9, '0'));
    for (const [i, o] of oracle.entries()) {
      const r = page.rows[i]!;
      assert.equal(r.no, o.frame);
      assert.equal(r.len, o.len);
      if (o.src) assert.equal(r.src, o.src, `frame ${o.frame} src`);
      if (o.dst) assert.equal(r.dst, o.dst, `frame ${o.frame} dst`);
      const ts = Number(o.ts.split('.')[0]) * 1e9 + Number(o.ts.split('.')[1]!.padEnd(9, '0'));
      assert.ok(Math.abs(r.t - (ts - t0)) < 2000, `frame ${o.frame} time`);
      if (o.tcp) {
        assert.equal(r.stream, o.tcp.stream, `frame ${o.frame} stream`);
        const names = FLAG_NAMES.filter((_, b) => o.tcp!.flags & (1 << b));
        assert.deepEqual([...r.flags].sort(), names.sort(), `frame ${o.frame} flags`);
        // a segment holding a whole DNS message shows DNS's Info, as in tshark (frames 4 and 6)
        if (r.proto === 'DNS') {
          assert.ok(o.sport === 53 || o.dport === 53, `frame ${o.frame} DNS`);
          assert.match(r.info, /^Standard query (response )?0x[0-9a-f]{4} /, `frame ${o.frame} DNS info`);
          continue;
        }
        assert.match(r.info, new RegExp(`Seq=${o.tcp.seq}\\b`), `frame ${o.frame} seq`);
        if (o.tcp.ack !== null && o.tcp.flags & 16) assert.match(r.info, new RegExp(`Ack=${o.tcp.ack}\\b`), `frame ${o.frame} ack`);
      }
    }
  });

  test('the display filter selects the frames tshark’s fields say it should', async () => {
    const syn = await api<{ total: number; rows: Array<{ no: number }> }>(ui, `/api/packets?limit=500&filter=${encodeURIComponent('tcp.flags.syn == 1')}`);
    const expected = oracle.filter((o) => o.tcp && o.tcp.flags & 2).map((o) => o.frame);
    assert.deepEqual(syn.rows.map((r) => r.no), expected);
    const bad = await fetch(new URL(`/api/packets?filter=${encodeURIComponent('tcp.flags.syn ==')}`, ui.url));
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /filter/);
  });

  test('the detail tree of a SYN has the frame, IP and TCP layers with their fields', async () => {
    const syn = oracle.find((o) => o.tcp && o.tcp.flags & 2)!;
    const d = await api<{ tree: Array<{ label: string; children?: Array<{ label: string; field?: string; children?: unknown[] }> }>; bytes: string }>(ui, `/api/packets/${syn.frame - 1}`);
    const labels = d.tree.map((n) => n.label);
    assert.match(labels[0]!, new RegExp(`^Frame ${syn.frame}: ${syn.len} bytes on wire`));
    const tcp = d.tree.find((n) => n.label.startsWith('Transmission Control Protocol'))!;
    assert.ok(tcp, labels.join(' | '));
    assert.match(tcp.label, new RegExp(`Src Port: ${syn.sport}, Dst Port: ${syn.dport}, Seq: 0`));
    const fields = new Set(JSON.stringify(tcp).match(/"field":"[^"]+"/g));
    for (const f of ['tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.flags']) assert.ok(fields.has(`"field":"${f}"`), `${f} in the TCP subtree`);
    assert.equal(d.bytes.length / 2, syn.len);
  });

  test('the packet nearest a time and the histogram agree with the list', async () => {
    const all = await api<{ rows: Array<{ t: number }> }>(ui, '/api/packets?limit=2000');
    const k = Math.floor(all.rows.length / 2);
    const at = await api<{ position: number }>(ui, `/api/packets/at?t=${all.rows[k]!.t}`);
    assert.equal(all.rows[at.position]!.t, all.rows[k]!.t);
    const s = await api<{ start: number; end: number }>(ui, '/api/summary');
    const h = await api<{ packets: number[] }>(ui, `/api/histogram?t0=${s.start}&t1=${s.end + 1}&n=50`);
    assert.equal(h.packets.reduce((a, b) => a + b, 0), oracle.length);
  });
});

describe('events API vs Babeltrace 2', { skip: needsCommands('babeltrace2') }, () => {
  const trace = join(sharedTraces, 'lttng', 'many-threads');
  let ui: UiServer;
  let oracle: Array<{ ts?: number | string; event?: string; cpu?: number | null; context?: Record<string, unknown> }>;

  before(async () => {
    ui = await startUiServer([trace]);
    await ui.loaded;
    assert.equal(ui.progress.snapshot().error, null);
    oracle = (await oracleLines<(typeof oracle)[number]>(ctfOracle, trace)).filter((r) => r.event !== undefined);
  });
  after(() => ui?.close());

  test('the event count, names and per-name counts are Babeltrace 2’s', async () => {
    const s = await api<{ base: string; events: { count: number; names: Array<{ name: string; count: number }> } }>(ui, '/api/summary');
    assert.equal(s.events.count, oracle.length);
    const counts = new Map<string, number>();
    for (const r of oracle) counts.set(r.event!, (counts.get(r.event!) ?? 0) + 1);
    assert.deepEqual(new Map(s.events.names.map((n) => [n.name, n.count])), counts);
    assert.equal(BigInt(s.base), BigInt(oracle[0]!.ts!));
  });

  test('a page deep in the table has Babeltrace 2’s events, times and CPUs, in its order', async () => {
    const s = await api<{ base: string }>(ui, '/api/summary');
    const base = BigInt(s.base);
    for (const offset of [0, 123_457, oracle.length - 7]) {
      const page = await api<{ rows: Array<{ i: number; t: number; name: string; cpu: number; tid: number }> }>(ui, `/api/events?offset=${offset}&limit=7`);
      page.rows.forEach((r, k) => {
        const o = oracle[offset + k]!;
        assert.equal(r.i, offset + k);
        assert.equal(r.name, o.event);
        assert.equal(BigInt(r.t) + base, BigInt(o.ts!));
        assert.equal(r.cpu, o.cpu ?? -1);
      });
    }
  });

  test('filters by name, by thread and by field select what Babeltrace 2 shows', async () => {
    const byName = await api<{ total: number; rows: Array<{ i: number }> }>(ui, '/api/events?names=sched_switch&limit=5');
    const expected = oracle.flatMap((r, i) => (r.event === 'sched_switch' ? [i] : []));
    assert.equal(byName.total, expected.length);
    assert.deepEqual(byName.rows.map((r) => r.i), expected.slice(0, 5));
    const field = await api<{ total: number }>(ui, `/api/events?names=sched_switch&q=${encodeURIComponent('next_tid=0')}&limit=1`);
    const expectedField = oracle.filter((r) => r.event === 'sched_switch' && (r as { payload?: { next_tid?: number } }).payload?.next_tid === 0).length;
    assert.equal(field.total, expectedField);
    const prefix = await api<{ total: number }>(ui, '/api/events?names=sched_*&limit=1');
    assert.equal(prefix.total, oracle.filter((r) => r.event!.startsWith('sched_')).length);
  });

  test('Threads and Resources rows cover every thread and CPU Babeltrace 2 shows', async () => {
    const th = await api<{ threads: Array<{ id: string; tid: number; name: string; start: number | null; end: number | null }> }>(ui, '/api/threads');
    const tids = new Set(th.threads.map((t) => t.tid));
    const seen = new Set<number>();
    const cpus = new Set<number>();
    for (const r of oracle as Array<{ event?: string; cpu?: number | null; payload?: { prev_tid?: number; next_tid?: number } }>) {
      if (r.cpu !== null && r.cpu !== undefined) cpus.add(r.cpu);
      if (r.event !== 'sched_switch') continue;
      seen.add(r.payload!.prev_tid!);
      seen.add(r.payload!.next_tid!);
    }
    seen.delete(0); // the idle task is the CPU rows' idle state, not a thread row
    for (const tid of seen) assert.ok(tids.has(tid), `thread ${tid} of a sched_switch has a row`);
    const res = await api<{ rows: Array<{ id: string; kind: string; cpu: number; label: string }> }>(ui, '/api/resources');
    const cpuRows = new Set(res.rows.filter((r) => r.kind === 'cpu').map((r) => r.cpu));
    assert.deepEqual([...cpuRows].sort(), [...cpus].sort());
  });

  test('state queries are merged to the requested resolution, sorted, and carry wakeup arrows', async () => {
    const s = await api<{ start: number; end: number }>(ui, '/api/summary');
    const th = await api<{ threads: Array<{ id: string }> }>(ui, '/api/threads');
    const ids = th.threads.slice(0, 40).map((t) => t.id);
    const width = 1000;
    const res = (s.end - s.start) / width;
    const q = `/api/threads/states?t0=${s.start}&t1=${s.end}&res=${res}&ids=${ids.join(',')}`;
    const st = await api<{ rows: Record<string, { s: number[]; e: number[]; k: number[]; l: (string | null)[] }>; arrows: unknown[] }>(ui, q);
    assert.deepEqual(Object.keys(st.rows).sort(), [...ids].sort());
    let total = 0;
    for (const [id, r] of Object.entries(st.rows)) {
      assert.ok(r.s.length <= 2 * width + 2, `${id}: ${r.s.length} intervals for ${width} px`);
      for (let i = 0; i < r.s.length; i++) {
        assert.ok(r.s[i]! < r.e[i]! || r.s[i] === r.e[i], `${id} interval ${i} ordered`);
        if (i) assert.ok(r.s[i]! >= r.e[i - 1]!, `${id} intervals do not overlap`);
        assert.ok(r.k[i]! >= 0 && r.k[i]! <= 9);
      }
      total += r.s.length;
    }
    assert.ok(total > 0);
    // Zoomed in on a busy thread, intervals are exact (not merged) and syscalls are named.
    const busiest = Object.entries(st.rows).sort((a, b) => b[1].s.length - a[1].s.length)[0]!;
    const mid = busiest[1].s[Math.floor(busiest[1].s.length / 2)]!;
    const fine = await api<{ rows: Record<string, { s: number[]; k: number[]; l: (string | null)[] }> }>(ui, `/api/threads/states?t0=${mid}&t1=${mid + 2e6}&res=1&ids=${busiest[0]}`);
    const row = fine.rows[busiest[0]]!;
    assert.ok(row.k.every((k, i) => k !== 2 || typeof row.l[i] === 'string'), 'every syscall interval is named when zoomed in');
    const bad = await fetch(new URL('/api/threads/states?t0=5&t1=1&res=1&ids=row:0', ui.url));
    assert.equal(bad.status, 400);
  });

  test('one event’s fields are Babeltrace 2’s payload', async () => {
    const i = 4242;
    const d = await api<{ payload: Record<string, unknown>; row: { name: string } }>(ui, `/api/events/${i}`);
    const o = oracle[i] as { event: string; payload: Record<string, unknown> };
    assert.equal(d.row.name, o.event);
    assert.deepEqual(d.payload, o.payload);
  });
});

describe('HTTP guards and the CLI', () => {
  let ui: UiServer;
  before(async () => {
    ui = await startUiServer([join(sharedCaptures, 'seed-ncat.pcapng')]);
    await ui.loaded;
  });
  after(() => ui?.close());

  test('binds to 127.0.0.1 on a free port by default', () => {
    assert.equal(ui.host, '127.0.0.1');
    assert.ok(ui.port > 0);
    assert.equal(ui.url, `http://127.0.0.1:${ui.port}/`);
  });

  test('refuses foreign Host headers (DNS rebinding), other methods, unknown endpoints and paths outside the app', async () => {
    assert.equal((await raw(ui, 'GET', '/api/summary', 'evil.example:80')).status, 403);
    assert.equal((await raw(ui, 'GET', '/api/summary', `localhost:${ui.port}`)).status, 200);
    assert.equal((await raw(ui, 'POST', '/api/summary')).status, 405);
    const missing = await raw(ui, 'GET', '/api/nothing-here');
    assert.equal(missing.status, 404);
    assert.match(JSON.parse(missing.body).error as string, /no API endpoint/);
    const traversal = await raw(ui, 'GET', '/../../package.json');
    assert.ok(traversal.status === 403 || !traversal.body.includes('"devDependencies"'));
    assert.equal((await raw(ui, 'GET', '/api/packets/99999')).status, 404);
    assert.equal((await raw(ui, 'GET', '/api/events')).status, 404, 'no kernel trace among the inputs');
  });

  test('progress ends ready, then complete when the background correlation is done, also as an event stream', async () => {
    const s = await api<{ ready: boolean; tasks: Array<{ id: string; state: string }> }>(ui, '/api/status');
    assert.equal(s.ready, true);
    assert.deepEqual(s.tasks.find((t) => t.id === 'packets')?.state, 'done');
    // The event stream ends once every task (the worker's correlation too) has finished.
    const sse = await raw(ui, 'GET', '/api/progress');
    const last = JSON.parse(sse.body.trim().split('\n\n').pop()!.replace(/^data: /, '')) as { ready: boolean; complete: boolean; tasks: Array<{ id: string; state: string }> };
    assert.equal(last.complete, true);
    assert.deepEqual(last.tasks.map((t) => [t.id, t.state]), [['packets', 'done'], ['correlation', 'done']]);
  });

  test('bad inputs and flags are one line on stderr and exit status 2', async () => {
    for (const args of [['ui'], ['ui', '/nonexistent/trace'], ['ui', join(sharedCaptures, 'seed-ncat.pcapng'), '--port', 'x'], ['ui', join(sharedCaptures, 'seed-ncat.pcapng'), '--bogus'], ['ui', join(sharedTraces, 'babeltrace', 'fail', 'metadata-syntax-error')]]) {
      const r = await runCli(args, { timeoutMs: 30_000 });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^tracewire: /);
    }
  });
});
