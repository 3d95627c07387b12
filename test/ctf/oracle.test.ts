/**
 * tracewire against the reference reader: for every directory of the shared traces that
 * ctf-oracle (babeltrace2) reads in full, `tracewire events --format jsonl` must print the
 * same records, and the default text output must equal `babeltrace2 TRACE`. Oracle output
 * is produced at test time, never committed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ctfOracle, needsCommands, runCli, runCommand, sharedTraces } from '../support/env.js';
import { compareJsonl } from './support/oracle-compare.js';

const skip = needsCommands('babeltrace2', 'python3') ?? (existsSync(ctfOracle) ? undefined : `needs ${ctfOracle}`);

/** Directories holding at least one trace (a trace dir or any ancestor of one). */
function candidateDirs(): string[] {
  const out = new Set<string>();
  const walk = (dir: string): boolean => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    if (entries.some((e) => e.name === 'metadata' && e.isFile())) {
      out.add(dir);
      return true;
    }
    let any = false;
    for (const e of entries) if (e.isDirectory() && walk(join(dir, e.name))) any = true;
    if (any) out.add(dir);
    return any;
  };
  if (existsSync(sharedTraces) && statSync(sharedTraces).isDirectory()) walk(sharedTraces);
  return [...out].sort();
}

/** Runs tasks two at a time (two cores here; oracles are single-threaded Python). */
async function pool<T, R>(items: T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

test('tracewire events --format jsonl equals ctf-oracle for every trace babeltrace2 reads in full', { skip, timeout: 600_000 }, async () => {
  const dirs = candidateDirs();
  assert.ok(dirs.length > 10, `expected the shared traces under ${sharedTraces}`);
  const results = await pool(dirs, async (dir) => {
    const oracle = await runCommand(ctfOracle, [dir], { timeoutMs: 300_000 });
    if (oracle.code !== 0) return { dir, compared: false as const };
    const ours = await runCli(['events', '--format', 'jsonl', dir], { timeoutMs: 300_000 });
    assert.equal(ours.code, 0, `${dir}: ${ours.stderr}`);
    return { dir, compared: true as const, cmp: compareJsonl(ours.stdout, oracle.stdout) };
  });
  const compared = results.filter((r) => r.compared);
  for (const r of compared) {
    const name = relative(sharedTraces, r.dir) || '.';
    assert.ok(r.cmp.equal, `${name}: ${r.cmp.firstDifference}`);
  }
  // the traces babeltrace2 2.0 reads in full (it gives up on the out-of-order ones)
  const names = compared.map((r) => relative(sharedTraces, r.dir));
  for (const must of ['lttng/many-threads', 'babeltrace/succeed/multi-domains', 'babeltrace/succeed/trace-with-index', 'lttng/context-switches/context-switches-ust']) {
    assert.ok(names.includes(must), `${must} was compared`);
  }
  const total = compared.reduce((n, r) => n + r.cmp.records, 0);
  assert.ok(total > 270_000, `compared ${total} records`);
  // babeltrace2 2.0 shows a stale file name once in many-threads (see oracle-compare.ts)
  const reuse = compared.reduce((n, r) => n + r.cmp.babeltraceStringReuse, 0);
  assert.ok(reuse <= 1, `records explained by babeltrace2's string reuse: ${reuse}`);
});

test('default text output equals babeltrace2 (stdout and lost-event warnings)', { skip, timeout: 300_000 }, async () => {
  const dirs = ['babeltrace/succeed/multi-domains', 'babeltrace/succeed/wk-heartbeat-u', 'babeltrace/succeed/succeed1', 'babeltrace/succeed/meta-variant-one-underscore', 'babeltrace/succeed/sequence', 'lttng/context-switches/context-switches-ust'].map((d) => join(sharedTraces, d));
  for (const dir of dirs) {
    const bt = await runCommand('babeltrace2', [dir], { env: { ...process.env, TZ: 'UTC' } });
    assert.equal(bt.code, 0, bt.stderr);
    const ours = await runCli(['events', dir], { env: { ...process.env, TZ: 'UTC' } });
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, bt.stdout, `${dir}: stdout`);
    assert.equal(ours.stderr, bt.stderr, `${dir}: stderr`);
  }
});

test('traces babeltrace2 2.0 cannot read are read completely (Trace Compass counts)', { timeout: 120_000 }, async () => {
  const count = async (d: string) => {
    const r = await runCli(['events', '--count', join(sharedTraces, d)]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { events: number; lost_events: number; lost_packets: number };
  };
  assert.equal((await count('lttng/synctraces/scp_src')).events, 110_771);
  assert.equal((await count('lttng/synctraces/scp_dest')).events, 85_729);
  // hello-lost: the test program wrote 1,000,000 events; most were lost in one packet
  const lost = await count('lttng/hello-lost');
  assert.equal(lost.events, 32_300);
  assert.equal(lost.lost_events, 967_700);
  assert.equal(lost.events + lost.lost_events, 1_000_000);
  // both hosts of synctraces at once: one timeline
  const both = await count('lttng/synctraces');
  assert.equal(both.events, 110_771 + 85_729);
});

test('hello-lost: decoded events keep their order and the losses are reported where they happened', { timeout: 120_000 }, async () => {
  const r = await runCli(['events', '--format', 'jsonl', join(sharedTraces, 'lttng/hello-lost')]);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const values = recs.filter((x) => 'event' in x).map((x) => (x.payload as { intfield: number }).intfield);
  // the test program numbers its events: they come out increasing, none twice
  assert.ok(values.every((v, i) => i === 0 || v > values[i - 1]!));
  const losses = recs.filter((x) => 'discarded_events' in x);
  assert.equal(losses.length, 562);
  assert.ok(losses.every((x) => typeof x.begin === 'number' && typeof x.end === 'number' && (x.begin as number) <= (x.end as number)));
});
