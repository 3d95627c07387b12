/**
 * The recorder's CTF read by the project's own reader: `tracewire events --format jsonl`
 * on a fresh loopback recording must print exactly what ctf-oracle (babeltrace2) prints,
 * line for line — every kernel event, the state dump (including the tracewire_statedump_*
 * events), their contexts and payloads.
 *
 * One known babeltrace2 2.0.4 fault is tolerated, and only in its exact shape: an EMPTY
 * string field of a recycled event object keeps the text of an earlier event (the field's
 * buffer is not cleared), so ctf-oracle — and babeltrace2's own text output — can show a
 * stale value where the trace holds "" (e.g. a unix socket without a path). A difference
 * passes only when ours is "" and the oracle's value is one the oracle printed for the same
 * field of an earlier event of the same class. (babeltrace 1 reads "" there, like us.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ctfOracle, needsCommands, needsRootTracefs, runCli, runCommand } from '../support/env.js';
import { removeDir, scratchDir } from './helpers.js';

test('tracewire events --format jsonl equals ctf-oracle on a recording', { skip: needsRootTracefs() ?? needsCommands('ncat', 'babeltrace2'), timeout: 300_000 }, async (t) => {
  const dir = scratchDir('events-oracle');
  t.after(() => removeDir(dir));
  const port = 32000 + (process.pid % 20000);
  const bundle = join(dir, 'b');
  const rec = await runCli(['record', '-q', '--no-capture', '-o', bundle, '--', 'sh', '-c', `ncat -l 127.0.0.1 ${port} > /dev/null & sleep 0.3; echo hello | ncat 127.0.0.1 ${port}; wait`], { timeoutMs: 120_000 });
  assert.equal(rec.code, 0, rec.stderr);
  const kernel = join(bundle, 'kernel');
  const ours = await runCli(['events', '--format', 'jsonl', kernel], { timeoutMs: 240_000 });
  assert.equal(ours.code, 0, ours.stderr);
  const oracle = await runCommand(ctfOracle, [kernel], { timeoutMs: 240_000 });
  assert.equal(oracle.code, 0, oracle.stderr);
  const a = ours.stdout.split('\n');
  const b = oracle.stdout.split('\n');
  assert.ok(b.length > 1000, `recording too small (${b.length} records)`);
  assert.equal(a.length, b.length, 'same number of records');
  const seen = new Map<string, Set<string>>(); // event.field → strings the oracle printed so far
  let tolerated = 0;
  for (let i = 0; i < a.length; i++) {
    const theirs = b[i] ? (JSON.parse(b[i]!) as Record<string, unknown>) : undefined;
    if (a[i] !== b[i]) {
      const ok = theirs !== undefined && onlyStaleEmptyStrings(JSON.parse(a[i]!), theirs, seen, String(theirs.event));
      assert.ok(ok, `record ${i + 1} differs:\n tracewire: ${a[i]}\n oracle:    ${b[i]}`);
      tolerated++;
    }
    if (theirs) remember(theirs.payload, seen, String(theirs.event));
  }
  t.diagnostic(`${a.length} records identical${tolerated ? ` except ${tolerated} where babeltrace2 showed a stale text for an empty string` : ''}`);
});

function remember(payload: unknown, seen: Map<string, Set<string>>, event: string): void {
  for (const [k, v] of Object.entries((payload ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    let set = seen.get(`${event}.${k}`);
    if (!set) seen.set(`${event}.${k}`, (set = new Set()));
    set.add(v);
  }
}

/**
 * True when the records are equal except payload strings where ours is "" and the oracle
 * shows a value it printed for that field of an earlier event of the same class.
 */
function onlyStaleEmptyStrings(ours: Record<string, unknown>, oracle: Record<string, unknown>, seen: Map<string, Set<string>>, event: string): boolean {
  const { payload: p1, ...rest1 } = ours;
  const { payload: p2, ...rest2 } = oracle;
  if (JSON.stringify(rest1) !== JSON.stringify(rest2)) return false;
  const a = (p1 ?? {}) as Record<string, unknown>;
  const b = (p2 ?? {}) as Record<string, unknown>;
  if (Object.keys(a).join() !== Object.keys(b).join()) return false;
  return Object.keys(a).every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]) || (a[k] === '' && typeof b[k] === 'string' && (seen.get(`${event}.${k}`)?.has(b[k] as string) ?? false)));
}
