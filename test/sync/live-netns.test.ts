/**
 * A live check on our own recordings: two network namespaces joined by a veth pair, each
 * recorded by its own `tracewire record` (its own tracefs instance, its own capture of its
 * namespace, its own bundle), while an ncat client in one talks to an echo server in the
 * other. Both bundles are on the same machine, so the true transform between them is the
 * identity (up to each bundle's measured realtime → trace offset); `tracewire sync` must
 * find an accurate transform within its stated uncertainty of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyTransform, parseRational } from '../../src/analysis/sync/index.js';
import { needsCommands, needsRootTracefs, outputDir, repoRoot, runCli } from '../support/env.js';

const skip = needsRootTracefs() ?? needsCommands('ip', 'ncat', 'tcpdump');

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

async function waitFor(path: string, ms: number, what: string, procs: ChildProcess[]): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    if (procs.some((p) => p.exitCode !== null)) throw new Error(`a recorder exited before ${what}`);
    await sleep(50);
  }
}

function exited(p: ChildProcess, ms: number): Promise<number | null> {
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      resolve(null);
    }, ms);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('two namespaces recorded as two bundles sync to the identity within the bound', { skip, timeout: 180_000 }, async (t) => {
  const tag = `tws${process.pid % 100000}`;
  const nsA = `tw-sync-${process.pid}-a`;
  const nsB = `tw-sync-${process.pid}-b`;
  const dir = join(outputDir, `sync-live-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const done = join(dir, 'done');
  const procs: ChildProcess[] = [];
  try {
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('link', 'add', `${tag}a`, 'type', 'veth', 'peer', 'name', `${tag}b`);
    ip('link', 'set', `${tag}a`, 'netns', nsA);
    ip('link', 'set', `${tag}b`, 'netns', nsB);
    ip('-n', nsA, 'addr', 'add', '10.77.91.1/24', 'dev', `${tag}a`);
    ip('-n', nsB, 'addr', 'add', '10.77.91.2/24', 'dev', `${tag}b`);
    for (const [ns, dev] of [[nsA, `${tag}a`], [nsB, `${tag}b`]] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }

    // Two recorders, each waiting (as its recorded command) for the end of the traffic.
    for (const side of ['a', 'b'] as const) {
      const ready = join(dir, `ready-${side}`);
      const wait = `touch ${ready}; i=0; while [ ! -e ${done} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done`;
      const p = spawn(process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), 'record', '-q', '-o', join(dir, `bundle-${side}`), '--netns', side === 'a' ? nsA : nsB, '--events', 'none,net:*', '--buffer-size', '4', '--', 'sh', '-c', wait], { stdio: ['ignore', 'ignore', 'pipe'] });
      p.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
      procs.push(p);
    }
    await waitFor(join(dir, 'ready-a'), 60_000, 'recorder a', procs);
    await waitFor(join(dir, 'ready-b'), 60_000, 'recorder b', procs);

    // An echo server in B, a client in A sending 40 lines over ~1 s: segments both ways.
    const server = spawn('ip', ['netns', 'exec', nsB, 'ncat', '-l', '10.77.91.2', '5791', '-e', '/bin/cat'], { stdio: 'ignore' });
    procs.push(server);
    await sleep(300);
    const client = spawnSync('ip', ['netns', 'exec', nsA, 'sh', '-c', 'for i in $(seq 1 40); do echo line$i; sleep 0.025; done | ncat -w 5 10.77.91.2 5791'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(client.status, 0, client.stderr);
    assert.match(client.stdout, /line40/, 'the echo came back');
    await sleep(200);
    writeFileSync(done, '');
    for (const p of procs.slice(0, 2)) assert.equal(await exited(p, 60_000), 0, 'recorder exit status');
    server.kill('SIGTERM');
    await exited(server, 5_000);

    const a = join(dir, 'bundle-a');
    const b = join(dir, 'bundle-b');
    const res = await runCli(['sync', a, b, '--format', 'json']);
    assert.equal(res.code, 0, res.stderr);
    const j = JSON.parse(res.stdout) as { matches: number; transforms: { trace: string; slope_decimal: string; offset_decimal: string; quality: string; uncertainty_ns: number | null }[]; pairs: { matched_from_ns: string; matched_to_ns: string }[] };
    assert.ok(j.matches >= 40, `${j.matches} matches`);
    const tb = j.transforms.find((t) => t.trace.startsWith(b))!;
    assert.equal(tb.quality, 'accurate');
    const transform = { slope: parseRational(tb.slope_decimal)!, offset: parseRational(tb.offset_decimal)! };
    // The identity is the truth, up to the two bundles' clock-offset measurements.
    // (The hull bounds the transform over the matched range; outside it the bound widens.)
    const offsetUncertainty = (bdir: string) => (JSON.parse(readFileSync(join(bdir, 'bundle.json'), 'utf8')) as { clocks: { offset_uncertainty_ns: number } }).clocks.offset_uncertainty_ns;
    const bound = (tb.uncertainty_ns ?? 0) + offsetUncertainty(a) + offsetUncertainty(b) + 1000;
    for (const edge of [j.pairs[0]!.matched_from_ns, j.pairs[0]!.matched_to_ns]) {
      const ts = BigInt(edge);
      const err = Number(applyTransform(ts, transform) - ts);
      t.diagnostic(`${j.matches} matches, slope ${tb.slope_decimal.slice(0, 14)}: moves t by ${err} ns (hull uncertainty ${tb.uncertainty_ns?.toFixed(0)} ns, bound ${bound} ns)`);
      assert.ok(Math.abs(err) <= bound, `transform moves t=${ts} by ${err} ns, bound ${bound} ns`);
    }
    assert.ok(bound < 5_000_000, `bound ${bound} ns`);
  } finally {
    writeFileSync(done, '');
    for (const p of procs) if (p.exitCode === null) await exited(p, 30_000);
    spawnSync('ip', ['netns', 'del', nsA]);
    spawnSync('ip', ['netns', 'del', nsB]);
    rmSync(dir, { recursive: true, force: true });
  }
});
