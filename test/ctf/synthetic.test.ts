/**
 * Hand-made CTF 1.8 traces (test/ctf/support/ctf1-synthetic.ts) that exercise what the
 * shared LTTng traces don't: bit fields across bytes in both byte orders, 33/40/64-bit
 * integers beyond 2^53, big-endian floats, enumerations with ranges, variants tagged from
 * nested structures, sequences sized from other scopes, a 1 MHz clock with offset_s and
 * offset, a 27-bit timestamp wrap, lost events and packets, a big-endian trace with no
 * header at all, variants whose options a value alone could be mistaken for. tracewire must print what babeltrace2 prints (text and ctf-oracle jsonl);
 * the absolute-path variant flavour, which babeltrace2's parser rejects, is checked value
 * by value through the API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ctfOracle, needsCommands, outputDir, runCli, runCommand } from '../support/env.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import type { DiscardedRecord, TraceEvent, TraceMessage } from '../../src/model/trace-event.js';
import { writeBigEndianMinimal, writeKitchenSink, writeVariantShapes } from './support/ctf1-synthetic.js';
import { compareJsonl } from './support/oracle-compare.js';

const root = join(outputDir, `ctf-synthetic-${process.pid}`);
const kitchenSink = join(root, 'kitchen-sink');
const absolute = join(root, 'absolute-tags');
const bigEndian = join(root, 'big-endian');
const variantShapes = join(root, 'variant-shapes');
rmSync(root, { recursive: true, force: true });
writeKitchenSink(kitchenSink);
writeKitchenSink(absolute, true);
writeBigEndianMinimal(bigEndian);
writeVariantShapes(variantShapes);

const skip = needsCommands('babeltrace2', 'python3');

/** babeltrace2's stderr without its own log lines (it warns about `callsite` blocks). */
function warnings(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('WARNING:'))
    .join('\n');
}

/**
 * tracewire on `dir` against the references: its text must equal babeltrace2's and its
 * jsonl ctf-oracle's. Returns both runs of the text and the jsonl comparison.
 */
async function checkAgainstReferences(dir: string) {
  const bt = await runCommand('babeltrace2', [dir]);
  assert.equal(bt.code, 0, bt.stderr);
  const ours = await runCli(['events', dir]);
  assert.equal(ours.code, 0, ours.stderr);
  assert.equal(ours.stdout, bt.stdout);

  const oracle = await runCommand(ctfOracle, [dir]);
  assert.equal(oracle.code, 0, oracle.stderr);
  const jsonl = await runCli(['events', '--format', 'jsonl', dir]);
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const cmp = compareJsonl(jsonl.stdout, oracle.stdout);
  assert.ok(cmp.equal, cmp.firstDifference);
  return { bt, ours, cmp };
}

for (const [name, dir] of [
  ['kitchen sink', kitchenSink],
  ['big-endian minimal', bigEndian],
] as const) {
  test(`${name}: text output equals babeltrace2, jsonl equals ctf-oracle`, { skip }, async () => {
    const { bt, ours, cmp } = await checkAgainstReferences(dir);
    assert.equal(warnings(ours.stderr), warnings(bt.stderr));
    assert.equal(cmp.babeltraceStringReuse, 0);
  });
}

// A decoded variant is only its option's value; its tag, a member of the same structure,
// says which option it was. By shape alone, 2.0 would print through the hex integer
// option, 5 through the double option and { a = 5, d = 6 } as { a = 5 } (and a looser
// rule once threw on BigInt(2.5)).
test('variant options told apart by their tag: text output equals babeltrace2', { skip }, async () => {
  const { bt } = await checkAgainstReferences(variantShapes);
  // the fixture does reach every option (babeltrace2 knows which one was chosen)
  assert.match(bt.stdout, /num = \{ 0xDEADBEEF \}.*wide = \{ -0\.125 \}.*pair = \{ \{ a = 42 \} \}/);
  assert.match(bt.stdout, /num = \{ 2\.5 \}.*wide = \{ 18446744073709551613 \}.*pair = \{ \{ b = 7, c = 9 \} \}/);
  assert.match(bt.stdout, /num = \{ 2 \}.*wide = \{ 5 \}.*pair = \{ \{ a = 5, d = 6 \} \}/);
});

function collect(dir: string): TraceMessage[] {
  return [...openTraceCollection([dir]).messages()];
}

const events = (ms: TraceMessage[]) => ms.filter((m): m is TraceEvent => m.kind === 'event');

test('kitchen sink: integer, float and enumeration values through the API', () => {
  const ms = collect(kitchenSink);
  const evs = events(ms);
  assert.equal(evs.length, 14);
  const bf = evs.find((e) => e.name === 'bitfields')!;
  assert.deepEqual(bf.payload, {
    a: 5,
    b: -1000,
    c: 99,
    d: 0x1abc,
    e: 0x55,
    f: -200,
    big_neg: -(2n ** 62n),
    big_pos: 2n ** 63n + 12345n,
    forty: 0xfedcba9876,
    odd33: -(2 ** 32) + 7,
    f32be: 3.25,
    f64: -1 / 3,
    via_typedef: 0xcafe0000,
  });
  assert.equal(bf.cpu, 0);
  assert.deepEqual(bf.context, { ctx_len: 2, ctx_seq: [0, 1000], ctx_tag: 0 });
  const seq = evs.find((e) => e.name === 'sequences' && e.payload.len === 5)!;
  assert.deepEqual(seq.context, { ctx_len: 3, ctx_seq: [4, 5, 6], ctx_tag: 5, n: 2 });
  assert.deepEqual(seq.payload, {
    len: 5,
    values: [0, 1e6, 2e6, 3e6, 4e6],
    names: ['name0', 'name1', 'name2', 'name3', 'name4'],
    by_ctx: [11, 22],
    by_stream_ctx: [100, 101, 102],
    pairs: [
      { k: 1, v: -2 },
      { k: 3, v: -4 },
    ],
    grid: [
      [0, 1, 2],
      [3, 4, 5],
    ],
    text: 'hi',
    dyntext: 'abcde',
  });
});

test('kitchen sink: clock offset, 27-bit wrap and extended headers, discarded events and packets', () => {
  const ms = collect(kitchenSink);
  // 1 MHz clock, offset_s = 1600000000 and offset = 2500000 cycles (2.5 s)
  const ns = (cycles: bigint) => 1_600_000_002_500_000_000n + cycles * 1000n;
  const base = 3_000_000_000n;
  const wrap = ((base >> 27n) + 1n) * (1n << 27n) - 8n;
  const evs = events(ms);
  assert.equal(evs[0]!.ts, ns(base + 10n));
  assert.equal(evs[0]!.cycles, base + 10n);
  // the compact header after the wrap holds only the low 27 bits
  const afterWrap = evs.find((e) => e.cycles === wrap + 16n);
  assert.ok(afterWrap, 'the event right after the 27-bit wrap keeps its full timestamp');
  assert.equal(afterWrap.name, 'variants');
  assert.equal(afterWrap.ts, ns(wrap + 16n));
  const ext = evs.filter((e) => e.name === 'extended').map((e) => [e.cycles, e.payload.value]);
  assert.deepEqual(ext, [
    [wrap + 200n, -7],
    [wrap + (5n << 27n) + 1n, 2 ** 31 - 1],
  ]);
  for (let i = 1; i < ms.length; i++) {
    const t = (m: TraceMessage) => (m.kind === 'event' ? m.ts : m.begin!);
    assert.ok(t(ms[i - 1]!) <= t(ms[i]!), 'timestamp order');
  }
  const lost = ms.filter((m): m is DiscardedRecord => m.kind !== 'event');
  assert.deepEqual(
    lost.map((d) => [d.kind, d.count, d.streamId]),
    [
      ['discarded_events', 5, 0],
      ['discarded_packets', 1, 0],
    ],
  );
  // the stream without stream_instance_id gets ids in file order, like babeltrace2
  assert.deepEqual([...new Set(evs.map((e) => `${e.cpu}:${e.streamId}`))].sort(), ['0:0', '1:1']);
});

test('kitchen sink metadata: env, clock, callsite, enumeration ranges and event attributes', () => {
  const tc = openTraceCollection([kitchenSink]);
  const trace = tc.ctfTraces[0]!.metadata;
  assert.equal(trace.uuid, '2a6422d0-6cee-11e0-8c08-cb07d7b3a564');
  assert.deepEqual(trace.env, { hostname: 'synth', domain: 'ust', negative: -5, tracer_name: 'handmade', tracer_major: 1 });
  assert.equal(tc.traces[0]!.hostname, 'synth');
  assert.equal(tc.traces[0]!.domain, 'ust');
  const clock = trace.clocks[0]!;
  assert.equal(clock.name, 'mhz');
  assert.equal(clock.freq, 1_000_000);
  assert.equal(clock.description, '1 MHz clock');
  assert.equal(clock.precision, 10);
  assert.equal(clock.absolute, true);
  assert.equal(clock.offsetSeconds * 1_000_000n + clock.offsetCycles, 1_600_000_002_500_000n);
  assert.equal(trace.callsites.length, 1);
  assert.equal(trace.callsites[0]!.func, 'emit_bitfields');
  const sc = tc.streamClasses(0).get(0)!;
  const ctxTag = sc.eventCommonContext!.members.find((m) => m.name === 'ctx_tag')!.fc;
  assert.equal(ctxTag.kind, 'int');
  assert.deepEqual(
    ctxTag.kind === 'int' ? ctxTag.mappings?.map((m) => [m.label, m.ranges]) : null,
    [
      ['A', [[0, 0]]],
      ['B', [[5, 5]]],
      ['C', [[6, 6]]],
      ['D d', [[10, 20]]],
      ['E', [[21, 30]]],
    ],
  );
  const ec = tc.eventClass(0, 'bitfields')!;
  assert.equal(ec.id, 0);
  assert.equal(ec.logLevel, 3);
  assert.equal(ec.emfUri, 'https://example.com/bitfields');
});

test('variants tagged by absolute paths (stream.event.context., event.fields.) decode the selected option', () => {
  const evs = events(collect(absolute)).filter((e) => e.name === 'variants');
  assert.deepEqual(
    evs.map((e) => [e.context.ctx_tag, e.payload.by_ctx, e.payload.tag, e.payload.again]),
    [
      [0, 200, 0, 17],
      [21, 'ctx 21', 1, 'abs'],
      [5, 60000, 1, 'abs'],
      [6, 4000000000, 2, 65000],
      [25, 'ctx 25', 3, 65000],
    ],
  );
  assert.deepEqual(evs[0]!.payload.nested, { inner_tag: 1, inner_v: 3 });
  assert.deepEqual(evs[1]!.payload.nested, { inner_tag: 2, inner_v: 123456789 });
  assert.deepEqual(evs[3]!.payload.relative, { x: 7, y: 9 });
});

test('big-endian trace without headers: native byte order, mixed-order fields, packed bits', () => {
  const evs = events(collect(bigEndian));
  assert.deepEqual(
    evs.map((e) => e.payload),
    [0, 1, 2].map((i) => ({ counter: 0x01020304 + i, little: -2 - i, packed: -2000 + i, nibble: 9 + i, msg: `big endian ${i}`, dbl: 1e-7 * (i + 1) })),
  );
  assert.equal(evs[0]!.ts, 0n);
  assert.equal(evs[0]!.cpu, null);
});
