/**
 * `tracewire events` options and trace layouts: --help, --limit, --count, --begin/--end
 * in every time syntax, usage errors, several traces at once, session-rotation chunks
 * (same-UUID trace directories whose packets continue each other) checked against
 * babeltrace2 on the same copies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { needsCommands, outputDir, runCli, runCommand, sharedTraces } from '../support/env.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import { compareJsonl } from './support/oracle-compare.js';

const manyThreads = join(sharedTraces, 'lttng/many-threads');
const multiDomains = join(sharedTraces, 'babeltrace/succeed/multi-domains');
const skip = existsSync(manyThreads) && existsSync(multiDomains) ? undefined : `needs the shared traces under ${sharedTraces}`;
const work = join(outputDir, `ctf-events-cli-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const lines = (s: string) => s.split('\n').filter(Boolean);

test('--help documents every option; usage errors are one line and exit 2', async () => {
  const h = await runCli(['events', '--help']);
  assert.equal(h.code, 0);
  for (const opt of ['--format text', '--format jsonl', '--begin', '--end', '--limit', '--count', 'ctf-oracle', 'babeltrace2']) assert.ok(h.stdout.includes(opt), `help mentions ${opt}`);
  for (const args of [['events'], ['events', '--format', 'xml', '.'], ['events', '--limit', 'lots', '.'], ['events', '--bogus', '.'], ['events', '--begin', 'yesterday', manyThreads], ['events', '--begin', '20', '--end', '10', manyThreads]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(lines(r.stderr).length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
  const missing = await runCli(['events', join(work, 'no-such-trace')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no-such-trace.*no such file/);
  const empty = join(work, 'empty-dir');
  mkdirSync(empty, { recursive: true });
  const none = await runCli(['events', empty]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no CTF trace/);
});

test('--limit prints the first N records of the full output; --count counts what jsonl prints', { skip }, async () => {
  const all = await runCli(['events', '--format', 'jsonl', manyThreads]);
  assert.equal(all.code, 0, all.stderr);
  const full = lines(all.stdout);
  const some = await runCli(['events', '--format', 'jsonl', '--limit', '1000', manyThreads]);
  assert.deepEqual(lines(some.stdout), full.slice(0, 1000));
  const text = await runCli(['events', '--limit', '3', manyThreads]);
  assert.equal(lines(text.stdout).length, 3);
  const count = await runCli(['events', '--count', manyThreads]);
  assert.equal(count.code, 0, count.stderr);
  const c = JSON.parse(count.stdout) as Record<string, unknown>;
  const events = full.filter((l) => l.startsWith('{"ts"')).length;
  assert.equal(c.events, events);
  assert.equal(c.discarded_records, full.length - events);
  assert.equal(c.traces, 1);
  assert.equal(c.streams, 8);
  assert.equal(c.first_ts, /^\{"ts":(\d+)/.exec(full[0]!)![1]);
  assert.deepEqual(Object.keys(c), ['events', 'lost_events', 'lost_packets', 'discarded_records', 'traces', 'streams', 'first_ts', 'last_ts']);
});

test('--begin/--end accept ns, seconds.fraction and time of day, and bound the output inclusively', { skip }, async () => {
  const all = lines((await runCli(['events', '--format', 'jsonl', manyThreads])).stdout);
  const ts = all.map((l) => /^\{"ts":(\d+)/.exec(l)).filter((m) => m !== null).map((m) => BigInt(m[1]!));
  const b = ts[Math.floor(ts.length / 3)]!;
  const e = ts[Math.floor((ts.length * 2) / 3)]!;
  const want = all.filter((l) => {
    const m = /^\{"ts":(\d+)/.exec(l) ?? /"begin":(\d+)/.exec(l);
    return m !== null && BigInt(m[1]!) >= b && BigInt(m[1]!) <= e;
  });
  const sec = (v: bigint) => `${v / 1_000_000_000n}.${(v % 1_000_000_000n).toString().padStart(9, '0')}`;
  const tod = (v: bigint) => {
    const d = new Date(Number(v / 1_000_000n));
    const two = (n: number) => String(n).padStart(2, '0');
    return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${(v % 1_000_000_000n).toString().padStart(9, '0')}`;
  };
  for (const [begin, end] of [
    [b.toString(), e.toString()],
    [sec(b), sec(e)],
    [tod(b), tod(e)],
  ]) {
    const r = await runCli(['events', '--format', 'jsonl', '--begin', begin!, '--end', end!, manyThreads]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout);
    assert.equal(got.length, want.length, `--begin ${begin} --end ${end}`);
    assert.deepEqual([...got].sort(), [...want].sort());
  }
  const count = JSON.parse((await runCli(['events', '--count', '--begin', b.toString(), '--end', e.toString(), manyThreads])).stdout) as { events: number; first_ts: string; last_ts: string };
  assert.equal(count.events, want.filter((l) => l.startsWith('{"ts"')).length);
  assert.equal(count.first_ts, b.toString());
  assert.equal(count.last_ts, e.toString());
});

test('several traces given at once are merged into one timeline, in the same order as their parent directory', { skip }, async () => {
  const both = await runCli(['events', '--format', 'jsonl', join(multiDomains, 'kernel'), join(multiDomains, 'ust')]);
  const parent = await runCli(['events', '--format', 'jsonl', multiDomains]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(both.stdout, parent.stdout);
  const tc = openTraceCollection([multiDomains]);
  assert.deepEqual(
    tc.traces.map((t) => t.domain),
    ['kernel', 'ust'],
  );
});

/** Copies `src` into `chunks` directories, splitting each stream file at packet boundaries. */
function rotate(src: string, dest: string, chunks: number): void {
  const tc = openTraceCollection([src]);
  const byFile = new Map(tc.packetIndex(0).flatMap((s) => s.files.map((f) => [f.file, f.entries] as const)));
  for (let c = 0; c < chunks; c++) {
    const dir = join(dest, 'archives', `chunk-${c}`, 'kernel');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(src, 'metadata'), join(dir, 'metadata'));
  }
  for (const f of readdirSync(src)) {
    const path = join(src, f);
    if (f === 'metadata' || !statSync(path).isFile()) continue;
    const entries = byFile.get(path)!;
    const fd = openSync(path, 'r');
    try {
      for (let c = 0; c < chunks; c++) {
        const part = entries.slice(Math.floor((c * entries.length) / chunks), Math.floor(((c + 1) * entries.length) / chunks));
        if (part.length === 0) continue;
        const start = part[0]!.offset;
        const end = part[part.length - 1]!.offset + part[part.length - 1]!.packetBytes;
        const buf = Buffer.alloc(end - start);
        readSync(fd, buf, 0, buf.length, start);
        writeFileSync(join(dest, 'archives', `chunk-${c}`, 'kernel', f), buf);
      }
    } finally {
      closeSync(fd);
    }
  }
}

test('session rotation: same-UUID chunks continue their streams (equal to the unrotated trace and to babeltrace2)', { skip: skip ?? needsCommands('babeltrace2'), timeout: 120_000 }, async () => {
  const rotated = join(work, 'rotated');
  rotate(manyThreads, rotated, 3);
  const tc = openTraceCollection([rotated]);
  assert.equal(tc.traces.length, 1, 'chunks with one UUID are one trace');
  assert.equal(tc.ctfTraces[0]!.dirs.length, 3);
  assert.ok(tc.ctfTraces[0]!.streams.every((s) => s.files.length >= 2), 'streams continue across chunks');
  const ours = await runCli(['events', '--format', 'jsonl', rotated]);
  assert.equal(ours.code, 0, ours.stderr);
  const original = await runCli(['events', '--format', 'jsonl', manyThreads]);
  const cmp = compareJsonl(ours.stdout, original.stdout);
  assert.ok(cmp.equal, cmp.firstDifference);
  // babeltrace2 merges the chunks the same way; compare the text output
  const bt = await runCommand('babeltrace2', [rotated], { timeoutMs: 120_000 });
  assert.equal(bt.code, 0, bt.stderr);
  const text = await runCli(['events', rotated]);
  const ours2 = lines(text.stdout);
  const theirs = lines(bt.stdout);
  assert.equal(ours2.length, theirs.length);
  // babeltrace2 2.0 shows a stale string for one empty `filename` (see oracle-compare.ts)
  const differing = ours2.filter((l, i) => l !== theirs[i]);
  assert.ok(differing.length <= 1, `${differing.length} lines differ, first: ${differing[0]}`);
  for (const l of differing) assert.match(l, /= "",/);
});

test('--count on several threads: the same totals as on one, and the same error on a damaged trace', { skip }, async () => {
  // every stream-bearing shared trace: the threaded count (workers forced on small traces),
  // the one-thread count (streams one after the other) and the merged count (--limit) agree
  const env = { ...process.env, TRACEWIRE_COUNT_THREAD_BYTES: '1' };
  const traces = [manyThreads, multiDomains, join(sharedTraces, 'lttng/synctraces'), join(sharedTraces, 'lttng/hello-lost'), join(sharedTraces, 'babeltrace/succeed/wk-heartbeat-u'), join(sharedTraces, 'babeltrace/succeed/2packets')];
  for (const trace of traces.filter((t) => existsSync(t))) {
    const threaded = await runCli(['events', '--count', '--threads', '4', trace], { env });
    const single = await runCli(['events', '--count', '--threads', '1', trace], { env });
    const merged = await runCli(['events', '--count', '--limit', '1000000000', trace]);
    assert.equal(threaded.code, 0, `${trace}: ${threaded.stderr}`);
    assert.equal(threaded.stdout, single.stdout, trace);
    assert.equal(threaded.stdout, merged.stdout, trace);
  }
  // a stream cut inside a packet: with workers, the error (file, offset) is the one-thread one
  const damaged = join(work, 'damaged-many-threads');
  mkdirSync(join(damaged, 'index'), { recursive: true });
  for (const f of readdirSync(manyThreads)) if (statSync(join(manyThreads, f)).isFile()) copyFileSync(join(manyThreads, f), join(damaged, f));
  const victim = join(damaged, 'channel0_5');
  writeFileSync(victim, (await import('node:fs')).readFileSync(victim).subarray(0, 300_000));
  const bad = await runCli(['events', '--count', '--threads', '4', damaged], { env });
  const badSingle = await runCli(['events', '--count', '--threads', '1', damaged]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stderr, badSingle.stderr);
  assert.match(bad.stderr, /^tracewire: .*channel0_5 at byte \d+: .*truncated/);
  const zero = await runCli(['events', '--count', '--threads', '0', manyThreads]);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /--threads needs at least 1/);
});
