/**
 * `--sync` / `--sync-file` on `tracewire events`: the synctraces' two hosts merged on the
 * reference clock. Checked against the transform `tracewire sync` prints, applied here
 * exactly (⌊slope·t + offset⌋ in rationals) to the events each trace has on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRational } from './support/sync-api.js';
import { runCli, sharedTraces } from '../support/env.js';

const dir = join(sharedTraces, 'lttng', 'synctraces');
const src = join(dir, 'scp_src');
const dest = join(dir, 'scp_dest');

/** Lines ordered by time, then text (the order of equal times is not what is checked). */
function byTime(lines: string[]): string[] {
  const ts = (l: string) => BigInt(/^\{"ts":(\d+)/.exec(l)![1]!);
  return lines.map((l) => [ts(l), l] as const).sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)).map((x) => x[1]);
}

const lines = (s: string) => s.split('\n').filter(Boolean);

test('events --sync: both hosts on the reference clock, exactly as the transform tracewire sync prints', async () => {
  const sync = await runCli(['sync', dest, src, '--format', 'json']);
  assert.equal(sync.code, 0, sync.stderr);
  const transforms = (JSON.parse(sync.stdout) as { transforms: Array<{ host: string; slope_decimal: string; offset_decimal: string }> }).transforms;
  const vm1 = transforms.find((t) => t.host === 'VM1')!;
  const slope = parseRational(vm1.slope_decimal)!;
  const offset = parseRational(vm1.offset_decimal)!;
  // ⌊(sn·t·od + on·sd) / (sd·od)⌋
  const apply = (t: bigint) => {
    const num = slope.n * t * offset.d + offset.n * slope.d;
    const den = slope.d * offset.d;
    const q = num / den;
    return num % den !== 0n && num < 0n ? q - 1n : q;
  };

  const [own, other, merged] = await Promise.all([runCli(['events', dest, '--format', 'jsonl']), runCli(['events', src, '--format', 'jsonl']), runCli(['events', dest, src, '--sync', '--format', 'jsonl'])]);
  for (const r of [own, other, merged]) assert.equal(r.code, 0, r.stderr);
  const expected = [...lines(own.stdout), ...lines(other.stdout).map((l) => l.replace(/^\{"ts":(\d+)/, (_, t: string) => `{"ts":${apply(BigInt(t))}`))];
  const got = lines(merged.stdout);
  assert.equal(got.length, expected.length);
  // the merge is in synchronised time order
  let prev = -1n;
  for (const l of got) {
    const t = BigInt(/^\{"ts":(\d+)/.exec(l)![1]!);
    assert.ok(t >= prev, `out of order at ${l.slice(0, 80)}`);
    prev = t;
  }
  assert.deepEqual(byTime(got), byTime(expected));

  // the hosts are now ~80 ms closer than on their own clocks: VM1's first event moved
  const firstOwn = BigInt(/^\{"ts":(\d+)/.exec(lines(other.stdout)[0]!)![1]!);
  assert.ok(firstOwn - apply(firstOwn) > 79_000_000n);

  // --sync-file: a saved synchronisation gives the same output; --begin works on synced time
  const tmp = mkdtempSync(join(tmpdir(), 'tw-sync-'));
  try {
    writeFileSync(join(tmp, 'sync.json'), sync.stdout);
    const saved = await runCli(['events', dest, src, '--sync-file', join(tmp, 'sync.json'), '--format', 'jsonl']);
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(saved.stdout, merged.stdout);
    const mid = BigInt(/^\{"ts":(\d+)/.exec(got[Math.floor(got.length / 2)]!)![1]!);
    const late = await runCli(['events', dest, src, '--sync', '--format', 'jsonl', '--begin', String(mid)]);
    assert.deepEqual(byTime(lines(late.stdout)), byTime(got.filter((l) => BigInt(/^\{"ts":(\d+)/.exec(l)![1]!) >= mid)));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('events --sync: bad uses are one line on stderr and exit status 2', async () => {
  for (const args of [
    ['events', dest, '--sync'],
    ['events', dest, src, '--sync', '--sync-file', '/nonexistent.json'],
    ['events', dest, src, '--sync-file', '/nonexistent.json'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});
