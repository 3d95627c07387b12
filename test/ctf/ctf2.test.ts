/**
 * CTF 2 (JSON text sequence metadata, CTF2-SPEC-2.0): no CTF 2 producer or reader is
 * installed here (babeltrace2 2.0 predates CTF 2), so the traces are the hand-built,
 * spec-derived fixtures of test/fixtures/ctf, and the expected values come from what the
 * builder wrote (test/ctf/support/ctf2-fixtures.ts), not from tracewire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, outputDir, runCli } from '../support/env.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import { depacketize } from '../../src/ctf/metadata/metadata-file.js';
import type { TraceMessage } from '../../src/model/trace-event.js';
import { writeLttngUstCtf2, writeRelativeBeCtf2, type Fixture } from './support/ctf2-fixtures.js';

const work = join(outputDir, `ctf2-${process.pid}`);
rmSync(work, { recursive: true, force: true });

const builders: Record<string, (dir: string) => Fixture> = {
  'ctf2-lttng-ust': writeLttngUstCtf2,
  'ctf2-relative-be': writeRelativeBeCtf2,
};

for (const [name, build] of Object.entries(builders)) {
  const committed = join(fixturesDir, 'ctf', name);
  const rebuilt = join(work, name);
  const expected = build(rebuilt);

  test(`${name}: the committed fixture is exactly what the builder writes`, () => {
    assert.deepEqual(readdirSync(committed).sort(), readdirSync(rebuilt).sort());
    for (const f of readdirSync(committed)) assert.ok(readFileSync(join(committed, f)).equals(readFileSync(join(rebuilt, f))), `${name}/${f} differs`);
  });

  test(`${name}: every event and discarded record decodes to the values written`, () => {
    const tc = openTraceCollection([committed]);
    assert.equal(tc.ctfTraces[0]!.metadata.ctfMajor, 2);
    const got: TraceMessage[] = [...tc.messages()];
    const events = got.filter((m) => m.kind === 'event');
    assert.deepEqual(
      events.map((e) => ({ name: e.name, ts: e.ts, cycles: e.cycles, stream: e.streamId, cpu: e.cpu, context: e.context, payload: e.payload })),
      expected.events.map((e) => ({ ...e, ts: e.ts ?? 0n, cycles: e.cycles ?? 0n })),
    );
    const discarded = got.filter((m) => m.kind !== 'event');
    assert.deepEqual(
      discarded.map((d) => ({ kind: d.kind, count: d.count, stream: d.streamId, begin: d.begin, end: d.end })),
      expected.discarded,
    );
  });

  test(`${name}: tracewire events prints every record (text, jsonl, --count)`, async () => {
    const text = await runCli(['events', committed]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout.split('\n').filter(Boolean).length, expected.events.length);
    const jsonl = await runCli(['events', '--format', 'jsonl', committed]);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    const lines = jsonl.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, expected.events.length + expected.discarded.length);
    for (const l of lines) JSON.parse(l);
    const count = await runCli(['events', '--count', committed]);
    assert.equal(count.code, 0, count.stderr);
    const c = JSON.parse(count.stdout) as { events: number; discarded_records: number };
    assert.equal(c.events, expected.events.length);
    assert.equal(c.discarded_records, expected.discarded.length);
  });
}

test('CTF 2 text output shows field values like babeltrace2 would (LTTng dialect)', async () => {
  const r = await runCli(['events', join(fixturesDir, 'ctf', 'ctf2-lttng-ust')]);
  assert.equal(r.code, 0, r.stderr);
  const first = r.stdout.split('\n')[0]!;
  assert.match(first, /^\[\d\d:\d\d:\d\d\.\d{9}\] \(\+\?\.\?{9}\) \S+ \S+: \{ cpu_id = 0 \}, \{ vpid = \d+, vtid = \d+ \}, \{ .* \}$/);
});

/** A copy of the LTTng-dialect fixture whose metadata is edited by `edit`. */
function damagedMetadata(label: string, edit: (text: string) => string): string {
  const dir = join(work, `bad-${label}`);
  cpSync(join(fixturesDir, 'ctf', 'ctf2-lttng-ust'), dir, { recursive: true });
  const file = join(dir, 'metadata');
  writeFileSync(file, edit(readFileSync(file, 'latin1')), 'latin1');
  return dir;
}

for (const [label, edit, problem] of [
  ['truncated-json', (t: string) => t.slice(0, Math.floor(t.length / 2)), /metadata.*byte \d+/],
  ['unknown-type', (t: string) => t.replace('"fixed-length-unsigned-integer"', '"fixed-length-mystery-integer"'), /metadata.*byte \d+.*mystery/],
  ['extension', (t: string) => t.replace('"type": "preamble",', '"type": "preamble", "extensions": { "acme": { "magic": {} } },'), /metadata.*extension/],
  ['no-preamble', (t: string) => t.slice(t.indexOf('\x1e', 1)), /metadata.*byte \d+.*preamble/],
] as const) {
  test(`CTF 2 metadata damage (${label}): exit 2, one line naming the file and byte offset`, async () => {
    const dir = damagedMetadata(label, edit);
    const r = await runCli(['events', dir]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, problem);
  });
}

test('CTF 2 packetized metadata (the relative-be fixture) decodes like its plain-text form', () => {
  const packetizedDir = join(fixturesDir, 'ctf', 'ctf2-relative-be');
  const packetized = readFileSync(join(packetizedDir, 'metadata'));
  assert.equal(packetized.readUInt32LE(0), 0x75d11d57, 'the fixture is packetized');
  const plainDir = join(work, 'plain-relative-be');
  cpSync(packetizedDir, plainDir, { recursive: true });
  const content = depacketize(join(packetizedDir, 'metadata'), packetized);
  assert.ok(content.packetized);
  writeFileSync(join(plainDir, 'metadata'), content.bytes);
  assert.equal(readFileSync(join(plainDir, 'metadata'), 'latin1').charCodeAt(0), 0x1e, 'plain CTF 2 metadata starts with RS');
  const strip = (ms: TraceMessage[]) => ms.map((m) => (m.kind === 'event' ? [m.name, m.ts, m.cycles, m.streamId, m.context, m.payload] : [m.kind, m.count, m.begin, m.end]));
  assert.deepEqual(strip([...openTraceCollection([plainDir]).messages()]), strip([...openTraceCollection([packetizedDir]).messages()]));
});
