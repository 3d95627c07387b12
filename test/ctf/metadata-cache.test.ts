/**
 * The on-disk caches of `tracewire events` (src/ctf/metadata/metadata-cache.ts and the
 * code cache of the bundled command in src/cli/main.ts): a cached model equals a freshly
 * decoded one on every shared trace and hand-made trace (event classes built on first
 * use, in declaration order, with stable identities); damaged, truncated or foreign
 * entries are ignored and replaced; invalid metadata is never cached; concurrent first
 * runs agree and leave one entry; an unusable cache location or TRACEWIRE_NO_CACHE=1
 * changes nothing but speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outputDir, repoRoot, runCli, sharedTraces } from '../support/env.js';
import { openTraceCollection, readMetadata, type TraceClass } from '../../src/ctf/index.js';
import { messageJson } from '../../src/ctf/format/jsonl.js';
import { depacketize } from '../../src/ctf/metadata/metadata-file.js';
import { LazyEventClasses } from '../../src/ctf/metadata/metadata-cache.js';
import { writeBigEndianMinimal, writeKitchenSink } from './support/ctf1-synthetic.js';
import { writeLttngUstCtf2, writeRelativeBeCtf2 } from './support/ctf2-fixtures.js';
import { metadataFilesUnder } from './support/trace-dirs.js';

const work = join(outputDir, `ctf-metadata-cache-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

/** Runs `fn` with the cache in `dir` (or off with null), restoring the environment after. */
function withCache<T>(dir: string | null, fn: () => T): T {
  const saved = { dir: process.env.TRACEWIRE_CACHE_DIR, off: process.env.TRACEWIRE_NO_CACHE };
  if (dir === null) process.env.TRACEWIRE_NO_CACHE = '1';
  else {
    delete process.env.TRACEWIRE_NO_CACHE;
    process.env.TRACEWIRE_CACHE_DIR = dir;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of [
      ['TRACEWIRE_CACHE_DIR', saved.dir],
      ['TRACEWIRE_NO_CACHE', saved.off],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The trace class with every event map made a plain Map (building lazy classes in order). */
function plain(tc: TraceClass): unknown {
  return {
    ...tc,
    streamClasses: new Map([...tc.streamClasses].map(([id, sc]) => [id, { ...sc, eventClasses: new Map([...sc.eventClasses]) }])),
  };
}

function eventOrder(tc: TraceClass): number[][] {
  return [...tc.streamClasses.values()].map((sc) => [...sc.eventClasses.keys()]);
}

function entries(dir: string, sub = 'ctf-metadata'): string[] {
  const d = join(dir, sub);
  return existsSync(d) ? readdirSync(d).sort() : [];
}

function metadataFiles(): string[] {
  const synth = join(work, 'synthetic');
  writeKitchenSink(join(synth, 'kitchen-sink'));
  writeKitchenSink(join(synth, 'absolute-tags'), true);
  writeBigEndianMinimal(join(synth, 'big-endian'));
  writeLttngUstCtf2(join(synth, 'ctf2-lttng'));
  writeRelativeBeCtf2(join(synth, 'ctf2-relative-be'));
  return [...metadataFilesUnder(sharedTraces), ...metadataFilesUnder(synth)].sort();
}

test('a cached model equals a freshly decoded one, for every metadata that decodes', () => {
  const cache = join(work, 'equal');
  let compared = 0;
  for (const file of metadataFiles()) {
    let fresh: TraceClass;
    try {
      fresh = withCache(null, () => readMetadata(file));
    } catch {
      // invalid metadata (fail suite): never cached
      withCache(cache, () => assert.throws(() => readMetadata(file)));
      continue;
    }
    const first = withCache(cache, () => readMetadata(file)); // miss: decodes and stores
    const second = withCache(cache, () => readMetadata(file)); // hit
    assert.deepStrictEqual(eventOrder(second), eventOrder(fresh), `${file}: event class order`);
    assert.deepStrictEqual(plain(first), plain(fresh), `${file}: stored model`);
    assert.deepStrictEqual(plain(second), plain(fresh), `${file}: cached model`);
    compared++;
  }
  assert.ok(compared >= 20, `compared ${compared} metadata files`);
  // one entry per distinct valid metadata content, no temporary files left
  assert.ok(entries(cache).length > 0 && entries(cache).every((n) => n.endsWith('.bin')));
});

test('cached kernel metadata builds event classes on first use, with stable identities', () => {
  const file = join(sharedTraces, 'lttng/many-threads/metadata');
  if (!existsSync(file)) return;
  const cache = join(work, 'lazy');
  withCache(cache, () => readMetadata(file));
  const tc = withCache(cache, () => readMetadata(file));
  const sc = [...tc.streamClasses.values()][0]!;
  assert.ok(sc.eventClasses instanceof LazyEventClasses);
  assert.equal(sc.eventClasses.size, 1181);
  const ids = [...sc.eventClasses.keys()];
  assert.equal(ids.length, 1181);
  const some = sc.eventClasses.get(ids[500]!)!;
  assert.equal(sc.eventClasses.get(ids[500]!), some, 'the same object on every get');
  assert.equal(sc.eventClasses.has(ids[0]!), true);
  assert.equal(sc.eventClasses.get(99_999), undefined);
  const all = [...sc.eventClasses.values()];
  assert.equal(all.length, 1181);
  assert.equal(all[500], some, 'iteration keeps the objects handed out before');
  assert.equal(all.find((ec) => ec.name === 'sched_switch')?.payload?.members.length, 7);
});

test('damaged, truncated and foreign cache entries are ignored and replaced', () => {
  const file = join(sharedTraces, 'lttng/many-threads/metadata');
  if (!existsSync(file)) return;
  const cache = join(work, 'damaged');
  const fresh = plain(withCache(null, () => readMetadata(file)));
  withCache(cache, () => readMetadata(file));
  const [name] = entries(cache);
  const entry = join(cache, 'ctf-metadata', name!);
  const good = readFileSync(entry);
  const damages: Array<[string, Buffer]> = [
    ['flipped byte', Buffer.from(good.map((b, i) => (i === Math.floor(good.length / 2) ? b ^ 0x40 : b)))],
    ['truncated', good.subarray(0, good.length - 1000)],
    ['header only', good.subarray(0, 40)],
    ['empty', Buffer.alloc(0)],
    ['foreign', Buffer.from('not a tracewire cache entry at all, but long enough to be read')],
  ];
  for (const [what, bytes] of damages) {
    writeFileSync(entry, bytes);
    const tc = withCache(cache, () => readMetadata(file));
    assert.deepStrictEqual(plain(tc), fresh, `${what}: decoded from the metadata`);
    assert.ok(readFileSync(entry).equals(good), `${what}: entry rewritten`);
  }
  // an entry others may write, or owned by another user, is not trusted (it would become
  // generated decoder source): it is decoded again and replaced by one of ours
  const foreign: Array<[string, () => void]> = [['writable by others', () => chmodSync(entry, 0o666)]];
  if (process.getuid?.() === 0) foreign.push(['owned by another user', () => chownSync(entry, 65534, 65534)]);
  for (const [what, make] of foreign) {
    make();
    const tc = withCache(cache, () => readMetadata(file));
    assert.deepStrictEqual(plain(tc), fresh, what);
    const st = statSync(entry);
    assert.equal(st.mode & 0o022, 0, `${what}: replaced`);
    assert.equal(st.uid, process.getuid?.(), `${what}: replaced`);
  }
});

test('no cache with TRACEWIRE_NO_CACHE=1 or an unusable cache location', () => {
  const file = join(sharedTraces, 'lttng/many-threads/metadata');
  if (!existsSync(file)) return;
  const off = join(work, 'off');
  withCache(off, () => {
    process.env.TRACEWIRE_NO_CACHE = '1';
    readMetadata(file);
  });
  assert.equal(existsSync(off), false);
  const blocker = join(work, 'a-file');
  writeFileSync(blocker, 'not a directory');
  const tc = withCache(blocker, () => readMetadata(file));
  assert.equal([...tc.streamClasses.values()][0]!.eventClasses.size, 1181);
});

test('concurrent first runs of `tracewire events` agree and leave one model per cache', { timeout: 180_000 }, async () => {
  const trace = join(sharedTraces, 'lttng/many-threads');
  if (!existsSync(trace)) return;
  const cache = join(work, 'concurrent');
  const env: NodeJS.ProcessEnv = { ...process.env, TRACEWIRE_CACHE_DIR: cache };
  delete env.TRACEWIRE_NO_CACHE;
  const runs = await Promise.all(Array.from({ length: 5 }, () => runCli(['events', '--count', trace], { env })));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, runs[0]!.stdout);
  }
  assert.equal(JSON.parse(runs[0]!.stdout).events, 240_644);
  // one model, and the note of which entry holds the model of these declarations
  assert.deepEqual(entries(cache).map((n) => (n.startsWith('decl-') ? 'decl' : n.startsWith('inst-') ? 'inst' : 'model')).sort(), ['decl', 'model'], entries(cache).join(' '));
  assert.ok(entries(cache).every((n) => n.endsWith('.bin')));
  // and a later run reads the entry
  const again = await runCli(['events', '--count', trace], { env });
  assert.equal(again.stdout, runs[0]!.stdout);
});

const bundle = join(repoRoot, 'dist', 'cli', 'events.bundle.cjs');
const esm = join(repoRoot, 'dist', 'cli', 'events.js');
const bundled = existsSync(bundle) && existsSync(esm) && statSync(bundle).mtimeMs >= statSync(esm).mtimeMs;

test('the code cache of the bundled command: written once, a damaged entry is replaced', { skip: bundled ? undefined : 'dist/cli/events.bundle.cjs is not built (scripts/build.mjs)' }, async () => {
  const trace = join(sharedTraces, 'babeltrace/succeed/smalltrace');
  const cache = join(work, 'code');
  const env: NodeJS.ProcessEnv = { ...process.env, TRACEWIRE_CACHE_DIR: cache };
  delete env.TRACEWIRE_NO_CACHE;
  const first = await runCli(['events', '--count', trace], { env });
  assert.equal(first.code, 0, first.stderr);
  const codeEntries = entries(cache, 'code');
  assert.equal(codeEntries.length, 1);
  const entry = join(cache, 'code', codeEntries[0]!);
  const written = statSync(entry).mtimeMs;
  const second = await runCli(['events', '--count', trace], { env });
  assert.equal(second.stdout, first.stdout);
  assert.equal(statSync(entry).mtimeMs, written, 'a valid entry is not rewritten');
  const bytes = readFileSync(entry);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
  writeFileSync(entry, bytes);
  const third = await runCli(['events', '--count', trace], { env });
  assert.equal(third.code, 0, third.stderr);
  assert.equal(third.stdout, first.stdout);
  assert.notDeepEqual(readFileSync(entry), bytes, 'the damaged entry was replaced');
  // compiled code is never taken from a file others may write
  chmodSync(entry, 0o666);
  const fourth = await runCli(['events', '--count', trace], { env });
  assert.equal(fourth.stdout, first.stdout);
  assert.equal(statSync(entry).mode & 0o022, 0, 'the entry others could write was replaced');
  // V8 rejects code compiled under other flags: runs with node options (NODE_OPTIONS) keep
  // their own entry, and neither entry is replaced when the two kinds of run alternate
  const withOptions: NodeJS.ProcessEnv = { ...env, NODE_OPTIONS: '--max-old-space-size=4096' };
  assert.equal((await runCli(['events', '--count', trace], { env: withOptions })).stdout, first.stdout);
  const both = entries(cache, 'code');
  assert.equal(both.length, 2, both.join(' '));
  const mtimes = () => both.map((n) => statSync(join(cache, 'code', n)).mtimeMs);
  const before = mtimes();
  for (const e of [env, withOptions, env]) assert.equal((await runCli(['events', '--count', trace], { env: e })).stdout, first.stdout);
  assert.deepEqual(mtimes(), before, 'no entry rewritten');
  // errors still come out as one line and status 2 through the bundle
  const bad = await runCli(['events', join(sharedTraces, 'babeltrace/fail/smalltrace')], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^tracewire: .*metadata at byte \d+: invalid metadata/);
});

test('the code cache keeps its 8 newest entries and drops dead writers\' temporary files', { skip: bundled ? undefined : 'dist/cli/events.bundle.cjs is not built (scripts/build.mjs)' }, async () => {
  // every build of the bundle has its own entry: before pruning, each rebuild left one behind
  const cache = join(work, 'code-prune');
  const dir = join(cache, 'code');
  mkdirSync(dir, { recursive: true });
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
  for (let i = 0; i < 10; i++) {
    const old = join(dir, `events-${String(i).padStart(40, '0')}.bin`);
    writeFileSync(old, 'an entry of an older build');
    utimesSync(old, hoursAgo(10 + i), hoursAgo(10 + i));
  }
  const deadTmp = join(dir, '.events-x.bin.1.1.tmp');
  const liveTmp = join(dir, '.events-y.bin.2.2.tmp');
  writeFileSync(deadTmp, '');
  utimesSync(deadTmp, hoursAgo(2), hoursAgo(2));
  writeFileSync(liveTmp, '');
  const env: NodeJS.ProcessEnv = { ...process.env, TRACEWIRE_CACHE_DIR: cache };
  delete env.TRACEWIRE_NO_CACHE;
  const r = await runCli(['events', '--count', join(sharedTraces, 'babeltrace/succeed/smalltrace')], { env });
  assert.equal(r.code, 0, r.stderr);
  const left = entries(cache, 'code');
  const bins = left.filter((n) => n.endsWith('.bin'));
  assert.equal(bins.length, 8, left.join(' '));
  assert.equal(bins.filter((n) => !n.startsWith('events-0000')).length, 1, 'the new entry is kept');
  for (const i of [0, 1, 2, 3, 4, 5, 6]) assert.ok(bins.includes(`events-${String(i).padStart(40, '0')}.bin`), `newer old entry ${i} kept`);
  assert.equal(existsSync(deadTmp), false, 'a temporary file 2 h old is removed');
  assert.equal(existsSync(liveTmp), true, 'a fresh temporary file (a writer at work) is kept');
});

test('a new recording with the same declarations reuses the model, with its own env and clock', () => {
  // Two recordings by one tracer on one machine differ only in UUID, env and clock offset:
  // the second is read through the first one's model, with its own values.
  const src = join(sharedTraces, 'lttng/many-threads');
  const text = depacketize('metadata', readFileSync(join(src, 'metadata'))).bytes.toString('utf8');
  const recording = (name: string, edit: (t: string) => string): string => {
    const dir = join(work, name);
    cpSync(src, dir, { recursive: true });
    chmodSync(dir, 0o755);
    for (const f of readdirSync(dir)) if (statSync(join(dir, f)).isFile()) chmodSync(join(dir, f), 0o644);
    writeFileSync(join(dir, 'metadata'), edit(text));
    return dir;
  };
  const a = recording('recording-a', (t) => t);
  const b = recording('recording-b', (t) =>
    t.replace('hostname = "wilbrod"', 'hostname = "other-host"').replace(/(clock \{[^}]*?\boffset = )(\d+)/, (_m, head: string, n: string) => `${head}${BigInt(n) + 1_000_000_000n}`),
  );
  assert.notEqual(readFileSync(join(b, 'metadata'), 'utf8'), readFileSync(join(a, 'metadata'), 'utf8'));
  const firstRecords = (dir: string) => {
    const out: string[] = [];
    for (const m of openTraceCollection([dir]).messages()) {
      out.push(messageJson(m));
      if (out.length === 3000) break;
    }
    return out;
  };
  const cache = join(work, 'recordings');
  const tcA = withCache(cache, () => readMetadata(join(a, 'metadata'))); // decoded in full, stored
  const shared = withCache(cache, () => ({ tc: readMetadata(join(b, 'metadata')), records: firstRecords(b) }));
  const fresh = withCache(null, () => ({ tc: readMetadata(join(b, 'metadata')), records: firstRecords(b) }));
  const names = entries(cache);
  assert.equal(names.filter((n) => !n.startsWith('decl-') && !n.startsWith('inst-')).length, 1, `one model for both recordings: ${names.join(' ')}`);
  assert.equal(names.filter((n) => n.startsWith('inst-')).length, 1, 'the second recording is remembered');
  assert.equal(shared.tc.env.hostname, 'other-host');
  assert.deepStrictEqual(shared.tc.clocks, fresh.tc.clocks);
  assert.equal(sameModel(shared.tc), sameModel(fresh.tc));
  assert.deepEqual(shared.records, fresh.records);
  const ts = (line: string) => BigInt(JSON.parse(line).ts);
  assert.equal(ts(shared.records[0]!) - ts(withCache(cache, () => firstRecords(a))[0]!), 1_000_000_000n, "b's own clock offset");
  // the first recording still reads with its own values, and the second again (from its entry)
  assert.equal(withCache(cache, () => readMetadata(join(a, 'metadata'))).env.hostname, tcA.env.hostname);
  assert.equal(sameModel(withCache(cache, () => readMetadata(join(b, 'metadata')))), sameModel(fresh.tc));
  // the shared model gone (pruned): decoded in full again, same result
  for (const n of names) if (!n.startsWith('decl-') && !n.startsWith('inst-')) rmSync(join(cache, 'ctf-metadata', n));
  assert.equal(sameModel(withCache(cache, () => readMetadata(join(b, 'metadata')))), sameModel(fresh.tc));
});

/**
 * The model as text, for equality, without the metadata text offsets of field references
 * (`lengthRef`, `tagRef`…: kept for the resolver's error messages, used by nothing after):
 * a model shared by two recordings keeps the first one's.
 */
function sameModel(tc: TraceClass): string {
  return JSON.stringify(plain(tc), (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Map) return [...v];
    if (v !== null && typeof v === 'object' && 'offset' in v && 'text' in v) return { ...v, offset: '(text offset)' };
    return v;
  });
}
