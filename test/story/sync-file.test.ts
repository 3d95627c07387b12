/**
 * `--sync-file` on the one-host commands: a saved synchronisation moves a bundle's story
 * (kernel events and frames alike) and a trace's statistics onto the reference clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot, runCli, sharedTraces } from '../support/env.js';

interface StoryStep {
  ts: string;
  title: string;
  frames: number[];
  events: Array<{ ts: string; name: string }>;
}

test('story --sync-file: every step, event and frame of the sample bundle moves by the transform; the correlation is the same', async () => {
  const bundle = join(repoRoot, 'samples', 'seed-demo');
  const tmp = mkdtempSync(join(tmpdir(), 'tw-syncfile-'));
  try {
    const file = join(tmp, 'sync.json');
    // what `tracewire sync --format json` writes, for this bundle's kernel trace: +1 s
    writeFileSync(file, JSON.stringify({ matches: 0, reference: 'other', transforms: [{ trace: resolve(bundle, 'kernel'), slope_decimal: '1', offset_decimal: '1000000000' }] }));
    const [plain, synced] = await Promise.all([runCli(['story', bundle, '--format', 'json']), runCli(['story', bundle, '--format', 'json', '--sync-file', file])]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(synced.code, 0, synced.stderr);
    const a = JSON.parse(plain.stdout) as { connection: { firstTs: string; lastTs: string }; steps: StoryStep[] };
    const b = JSON.parse(synced.stdout) as typeof a;
    const second = 1_000_000_000n;
    assert.equal(BigInt(b.connection.firstTs) - BigInt(a.connection.firstTs), second);
    assert.equal(BigInt(b.connection.lastTs) - BigInt(a.connection.lastTs), second);
    assert.equal(b.steps.length, a.steps.length);
    a.steps.forEach((s, i) => {
      const t = b.steps[i]!;
      assert.equal(t.title, s.title);
      assert.deepEqual(t.frames, s.frames, `step ${i + 1} frames`);
      assert.equal(BigInt(t.ts) - BigInt(s.ts), second, `step ${i + 1}`);
      assert.deepEqual(
        t.events.map((e) => e.name),
        s.events.map((e) => e.name),
      );
      assert.deepEqual(
        t.events.map((e, j) => BigInt(e.ts) - BigInt(s.events[j]!.ts)).filter((d) => d !== second),
        [],
      );
    });
    // a bad file is one line and status 2
    writeFileSync(file, '{"transforms": 3}');
    const bad = await runCli(['story', bundle, '--sync-file', file]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('stats --sync-file: the time range of one host is given on the reference clock', async () => {
  const dir = join(sharedTraces, 'lttng', 'synctraces');
  const src = join(dir, 'scp_src');
  const tmp = mkdtempSync(join(tmpdir(), 'tw-syncfile-'));
  try {
    const sync = await runCli(['sync', join(dir, 'scp_dest'), src, '--format', 'json']);
    assert.equal(sync.code, 0, sync.stderr);
    const file = join(tmp, 'sync.json');
    writeFileSync(file, sync.stdout);
    const own = await runCli(['stats', 'sched', src, '--format', 'json']);
    const onRef = await runCli(['stats', 'sched', src, '--format', 'json', '--sync-file', file]);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(onRef.code, 0, onRef.stderr);
    const range = (s: string) => (JSON.parse(s) as { time_range: { begin: string; end: string } }).time_range;
    const [ra, rb] = [range(own.stdout), range(onRef.stdout)];
    // VM1 runs ~79.6 ms ahead of VM3 here (Trace Compass's transform); the slope shrinks the span a little
    const shift = BigInt(ra.begin) - BigInt(rb.begin);
    assert.ok(shift > 79_000_000n && shift < 81_000_000n, `shift ${shift}`);
    const spanA = BigInt(ra.end) - BigInt(ra.begin);
    const spanB = BigInt(rb.end) - BigInt(rb.begin);
    assert.ok(spanB < spanA && spanA - spanB < 2_000_000n, `spans ${spanA} ${spanB}`);
    // the same latencies, measured on the reference clock: counts equal, durations scaled by the slope
    interface Sched { total: { count: number; max_ns: number }; per_tid: Array<{ tid: number; count: number }> }
    const [sa, sb] = [JSON.parse(own.stdout) as Sched, JSON.parse(onRef.stdout) as Sched];
    assert.equal(sb.total.count, sa.total.count);
    assert.deepEqual(sb.per_tid.map((t) => [t.tid, t.count]), sa.per_tid.map((t) => [t.tid, t.count]));
    const slope = Number((JSON.parse(sync.stdout) as { transforms: Array<{ host: string; slope: number }> }).transforms.find((t) => t.host === 'VM1')!.slope);
    assert.ok(sb.total.max_ns < sa.total.max_ns && Math.abs(sb.total.max_ns - sa.total.max_ns * slope) <= 2, `max ${sa.total.max_ns} → ${sb.total.max_ns}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
