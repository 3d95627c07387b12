/**
 * Damaged input: babeltrace's fail suite, truncated and randomly corrupted copies of real
 * traces, random files, bad flags. Each must end with exit status 2 and exactly one line
 * on stderr naming the file, the byte offset and the problem — after printing every
 * event before the damage — or, when the damage is undetectable (a flipped payload
 * byte), decode normally. Never a stack trace, a hang, or memory growing with the trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outputDir, runCli, runCommand, sharedTraces } from '../support/env.js';
import { writableTraceCopy } from './support/trace-dirs.js';

const work = join(outputDir, `ctf-bad-input-${process.pid}`);

function copyTrace(name: string, to: string): string {
  return writableTraceCopy(join(sharedTraces, name), join(work, to));
}

function assertOneLineError(stderr: string, file: string | RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, /^tracewire: /);
  assert.doesNotMatch(lines[0]!, /internal error| {4}at /);
  if (typeof file === 'string') assert.ok(lines[0]!.includes(file), `names ${file}: ${lines[0]}`);
  else assert.match(lines[0]!, file);
}

test('babeltrace fail suite: exit 2, one line naming the file, the byte offset and the problem', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['fail1', 'metadata at byte 475', /trace major version 0/],
    ['integer-range', 'metadata at byte 205', /does not fit in 64 bits/],
    ['invalid-packet-size/trace', 'channel0_3 at byte 2533', /file ends inside a packet/],
    ['invalid-sequence-length-field-class', 'metadata at byte', /sequence length 'len'.*not an unsigned integer/],
    ['metadata-syntax-error', 'metadata at byte 72', /line 3: expected an attribute name, found '\]'/],
    ['smalltrace', 'metadata at byte', /trace major version 0/],
  ];
  for (const [dir, where, what] of cases) {
    const r = await runCli(['events', join(sharedTraces, 'babeltrace/fail', dir)]);
    assert.equal(r.code, 2, `${dir}: ${r.stderr}`);
    assertOneLineError(r.stderr, where);
    assert.match(r.stderr, what);
  }
});

test('a truncated data stream: the events before the damage are printed, then one error line', { timeout: 120_000 }, async () => {
  const full = await runCli(['events', '--format', 'jsonl', join(sharedTraces, 'lttng/many-threads')]);
  assert.equal(full.code, 0);
  const fullLines = full.stdout.split('\n');
  for (const cut of [700_000, 262_144 + 37, 5000]) {
    const dir = copyTrace('lttng/many-threads', `trunc-${cut}`);
    truncateSync(join(dir, 'channel0_1'), cut);
    const r = await runCli(['events', '--format', 'jsonl', dir]);
    assert.equal(r.code, 2);
    assertOneLineError(r.stderr, /channel0_1 at byte \d+: /);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    // the same merge decisions up to the damage: our output is a prefix of the full output
    assert.ok(lines.length > 0 || cut === 5000);
    for (let i = 0; i < lines.length; i++) assert.equal(lines[i], fullLines[i], `line ${i}`);
  }
});

test('truncated or damaged metadata: one error line with the metadata byte offset', async () => {
  const packetized = copyTrace('lttng/many-threads', 'meta-trunc');
  truncateSync(join(packetized, 'metadata'), 100_000);
  let r = await runCli(['events', packetized]);
  assert.equal(r.code, 2);
  assertOneLineError(r.stderr, /metadata at byte 98332: metadata packet of 4096 bytes extends past the end of the file/);

  const text = copyTrace('babeltrace/succeed/succeed1', 'text-trunc');
  truncateSync(join(text, 'metadata'), 300);
  r = await runCli(['events', text]);
  assert.equal(r.code, 2);
  assertOneLineError(r.stderr, /metadata at byte \d+: invalid metadata: line \d+: /);

  const garbage = copyTrace('babeltrace/succeed/succeed1', 'meta-garbage');
  writeFileSync(join(garbage, 'metadata'), Buffer.from([0x2f, 0x2a, 0x20, 0x43, 0x54, 0x46, 0x20, 0x31, 0x2e, 0x38, 0x20, 0x2a, 0x2f, 0x0a, 0xff, 0x00, 0x13, 0x37]));
  r = await runCli(['events', garbage]);
  assert.equal(r.code, 2);
  assertOneLineError(r.stderr, /metadata at byte \d+: /);
});

test('a data file of random bytes is refused at its first packet', async () => {
  const dir = copyTrace('babeltrace/succeed/trace-with-index', 'random-stream');
  let x = 12345;
  const junk = Buffer.alloc(20_000, 0).map(() => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
  writeFileSync(join(dir, 'ust_channel_2'), junk);
  const r = await runCli(['events', dir]);
  assert.equal(r.code, 2);
  assertOneLineError(r.stderr, /ust_channel_2 at byte 0: bad packet magic number/);
});

test('randomly corrupted copies: exit 0 or 2, at most one line on stderr, never a crash or a hang', { timeout: 300_000 }, async () => {
  let seed = 20240611;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const sources = ['lttng/many-threads', 'babeltrace/succeed/multi-domains/ust', 'lttng/context-switches/context-switches-ust'];
  const outcomes = { clean: 0, error: 0 };
  for (let trial = 0; trial < 24; trial++) {
    const src = sources[trial % sources.length]!;
    const dir = copyTrace(src, `corrupt-${trial}`);
    const files = readdirSync(dir).filter((f) => f !== 'index' && !f.endsWith('.idx'));
    const victim = join(dir, files[rnd(files.length)]!);
    const data = readFileSync(victim);
    const flips = [1, 8, 64][trial % 3]!;
    for (let k = 0; k < flips; k++) data[rnd(data.length)] = rnd(256);
    writeFileSync(victim, data);
    const r = await runCli(['events', '--format', 'jsonl', dir], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 2, `${victim}: exit ${r.code}\n${r.stderr}`);
    if (r.code === 0) {
      assert.equal(r.stderr, '');
      outcomes.clean++;
    } else {
      assertOneLineError(r.stderr, /at byte \d+: /);
      outcomes.error++;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(outcomes.error > 0, 'some corruption is detected');
});

test('usage errors and missing traces: exit 2 with one line', async () => {
  for (const args of [['events'], ['events', '--format', 'xml', sharedTraces], ['events', '--bogus', sharedTraces], ['events', '--begin', 'yesterday', join(sharedTraces, 'lttng/many-threads')], ['events', join(work, 'no-such-trace')], ['events', join(sharedTraces, 'lttng/many-threads/channel0_0')]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assertOneLineError(r.stderr, /tracewire: /);
  }
});

test('memory stays bounded: a 200 MB trace is read in well under 200 MB', { timeout: 180_000 }, async () => {
  // one real LTTng packet (4 KiB, ~40 events) repeated: 200 MB, about two million events
  const src = join(sharedTraces, 'lttng/hello-lost');
  const dir = join(work, 'big');
  mkdirSync(dir, { recursive: true });
  cpSync(join(src, 'metadata'), join(dir, 'metadata'));
  const packet = readFileSync(join(src, 'channel1_2')).subarray(4096, 8192);
  const chunk = Buffer.concat(new Array<Buffer>(1024).fill(packet));
  const file = join(dir, 'channel1_2');
  writeFileSync(file, '');
  for (let i = 0; i < 50; i++) writeFileSync(file, chunk, { flag: 'a' });
  const time = await runCommand('/usr/bin/time', ['-f', '%M', process.execPath, join(process.cwd(), 'bin', 'tracewire.js'), 'events', '--count', dir], { timeoutMs: 170_000 });
  assert.equal(time.code, 0, time.stderr);
  const counts = JSON.parse(time.stdout) as { events: number };
  assert.ok(counts.events > 1_500_000, `${counts.events} events`);
  const maxRssKb = Number(time.stderr.trim().split('\n').pop());
  assert.ok(maxRssKb < 150 * 1024, `max RSS ${maxRssKb} KiB for a ${Math.round((chunk.length * 50) / 1e6)} MB trace`);
  rmSync(dir, { recursive: true, force: true });
});

test.after(() => rmSync(work, { recursive: true, force: true }));
