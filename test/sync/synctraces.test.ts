/**
 * Trace Compass's synchronisation test traces (scp between two VMs, LTTng 2.1 with the
 * inet_sock_local_in/out "addons" events). Trace Compass's own tests publish what its
 * SyncAlgorithmFullyIncremental gives on them:
 *
 *   MatchAndSyncTest:   46 matches
 *   ExperimentSyncTest: scp_dest (VM3) is the reference (its clock uuid sorts first) and
 *     scp_src (VM1) gets "slope = 0.9999413783703139011056845831168394,
 *     offset = 79796507913179.33347660124688298171"
 *
 * Trace Compass computes in DECIMAL128 (34 significant digits, rounded at every step);
 * we compute exactly, so we agree to about 30 significant digits, which is what we check.
 * (babeltrace2 cannot be the oracle here: it refuses these traces because their
 * timestamps go backwards.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { computeSync, openSyncHosts, parseRational, sub, toDecimal } from './support/sync-api.js';
import { runCli, sharedTraces } from '../support/env.js';
import { openTraceCollection } from '../../src/ctf/index.js';

const dir = join(sharedTraces, 'lttng', 'synctraces');
const src = join(dir, 'scp_src');
const dest = join(dir, 'scp_dest');
const TC_SLOPE = '0.9999413783703139011056845831168394';
const TC_OFFSET = '79796507913179.33347660124688298171';

test('scp_dest + scp_src: 46 matches and Trace Compass\'s transform for VM1', () => {
  const r = computeSync(openSyncHosts([dest, src]));
  assert.equal(r.matches, 46);
  assert.equal(r.hosts[0]!.host.name, 'VM3');
  assert.equal(r.hosts[0]!.quality, 'reference');
  const vm1 = r.hosts[1]!;
  assert.equal(vm1.host.name, 'VM1');
  assert.equal(vm1.quality, 'accurate');
  const slopeDiff = Math.abs(Number(toDecimal(sub(vm1.transform.slope, parseRational(TC_SLOPE)!), 40)));
  const offsetDiff = Math.abs(Number(toDecimal(sub(vm1.transform.offset, parseRational(TC_OFFSET)!), 40)));
  assert.ok(slopeDiff < 1e-30, `slope differs from Trace Compass's by ${slopeDiff}`);
  assert.ok(offsetDiff < 1e-9, `offset differs from Trace Compass's by ${offsetDiff} ns`);
  // Every inet_sock packet event was offered to the matcher, each direction exactly once.
  assert.deepEqual(r.stats.observations, [49, 51]);
  assert.equal(r.stats.sameHost, 0);
  // The pair's hull: accurate, with a bound the matches support.
  assert.equal(r.pairs.length, 1);
  assert.equal(r.pairs[0]!.state.quality, 'accurate');
  assert.ok(r.pairs[0]!.uncertaintyNs! > 0 && r.pairs[0]!.uncertaintyNs! < 1e6);
});

test('computeSync also takes a TraceCollection: its traces are split into hosts by hostname', () => {
  const r = computeSync([openTraceCollection([dir])]);
  assert.equal(r.matches, 46);
  assert.deepEqual(r.hosts.map((h) => [h.host.name, h.quality]), [['VM3', 'reference'], ['VM1', 'accurate']]);
  assert.equal(r.transformFor(src), r.hosts[1]!.transform);
  assert.equal(r.transformFor(join(dir, 'elsewhere')).slope.n, 1n, 'identity for an unknown trace');
});

test('tracewire sync: JSON on the synctraces directory (hosts found by hostname) and --reference', async () => {
  const res = await runCli(['sync', dir, '--format', 'json']);
  assert.equal(res.code, 0, res.stderr);
  const j = JSON.parse(res.stdout) as { matches: number; reference: string; transforms: { trace: string; host: string; slope: number; offset: number; slope_decimal: string; offset_decimal: string; quality: string }[] };
  assert.equal(j.matches, 46);
  assert.equal(j.reference, 'VM3');
  const vm1 = j.transforms.find((t) => t.host === 'VM1')!;
  assert.equal(vm1.trace, src);
  assert.equal(vm1.quality, 'accurate');
  assert.equal(vm1.slope_decimal.slice(0, 32), TC_SLOPE.slice(0, 32));
  assert.equal(vm1.offset_decimal.slice(0, 24), TC_OFFSET.slice(0, 24));
  assert.equal(vm1.slope, 0.9999413783703139);
  const vm3 = j.transforms.find((t) => t.host === 'VM3')!;
  assert.deepEqual([vm3.slope, vm3.offset, vm3.quality], [1, 0, 'reference']);

  // With VM1 as the reference, VM3 gets the inverse transform.
  const inv = await runCli(['sync', src, dest, '--reference', 'VM1', '--format', 'json']);
  assert.equal(inv.code, 0, inv.stderr);
  const k = JSON.parse(inv.stdout) as typeof j;
  const vm3b = k.transforms.find((t) => t.host === 'VM3')!;
  const s = parseRational(vm3b.slope_decimal)!;
  const product = toDecimal({ n: s.n * parseRational(vm1.slope_decimal)!.n, d: s.d * parseRational(vm1.slope_decimal)!.d }, 20);
  assert.equal(product, '1');

  const text = await runCli(['sync', dest, src]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^reference: VM3/m);
  assert.match(text.stdout, /46 matched TCP segments/);
  assert.match(text.stdout, /scp_src\s+VM1\s+accurate\s+0\.99994137837031390110568/);
});

test('tracewire sync: bad input is one line on stderr and exit status 2', async () => {
  for (const args of [['sync', src], ['sync', join(dir, 'nope')], ['sync', src, dest, '--format', 'xml'], ['sync', src, dest, '--reference', 'VM9'], ['sync']]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});
