/**
 * `tracewire events --count` counts packets with the WebAssembly tier
 * (src/ctf/decode/wasm-count/) and gives anything unusual back to the JavaScript decoder.
 * The two must never disagree: on every shared trace, on hand-made traces that use every
 * field type (bit fields, big-endian, variants, sequences, CTF 2), and on damaged copies
 * (the same counts, or the same error naming the same file, byte offset and problem).
 * The tier must also really do the work: it counts the packets of the shared traces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { outputDir, runCli, sharedTraces } from '../support/env.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import { countMessages } from '../../src/ctf/format/count.js';
import { setWasmCounting, wasmCounter } from '../../src/ctf/decode/wasm-count/counter.js';
import { metadataFilesUnder, writableTraceCopy, writeHandMadeTraces } from './support/trace-dirs.js';

process.env.TRACEWIRE_NO_CACHE = '1';

const work = join(outputDir, `ctf-count-tiers-${process.pid}`);
rmSync(work, { recursive: true, force: true });

interface TierResult {
  readonly text: string;
  readonly counted: number;
  readonly givenBack: number;
}

function count(dir: string, wasm: boolean): TierResult {
  setWasmCounting(wasm);
  let text: string;
  try {
    text = JSON.stringify(countMessages(openTraceCollection([dir])));
  } catch (err) {
    text = `error: ${(err as Error).message}`;
  }
  const w = wasmCounter();
  const result = { text, counted: w?.packetsCounted ?? 0, givenBack: w?.packetsGivenBack ?? 0 };
  setWasmCounting(true);
  return result;
}

function assertSameCount(dir: string): TierResult {
  const js = count(dir, false);
  const wasm = count(dir, true);
  assert.equal(wasm.text, js.text, dir);
  return wasm;
}

test('the WebAssembly tier counts every shared trace as the JavaScript decoder does, and counts nearly all packets itself', { timeout: 300_000 }, () => {
  const dirs = metadataFilesUnder(sharedTraces).map((f) => dirname(f));
  assert.ok(dirs.length > 15, `shared traces under ${sharedTraces}`);
  let counted = 0;
  let givenBack = 0;
  for (const dir of dirs) {
    const r = assertSameCount(dir);
    counted += r.counted;
    givenBack += r.givenBack;
  }
  assert.ok(counted > 950, `packets counted by the WebAssembly tier: ${counted}`);
  assert.equal(givenBack, 0, 'no shared trace needs the JavaScript decoder');
});

test('the WebAssembly tier agrees on hand-made CTF 1.8 and CTF 2 traces (bit fields, big-endian, variants, sequences)', () => {
  const counted = writeHandMadeTraces(work).map((dir) => assertSameCount(dir).counted);
  // CTF 1.8 layouts are all the tier's; LEB128 integers (CTF 2) stay on the JS decoder
  assert.ok(counted[0]! > 0 && counted[1]! > 0 && counted[2]! > 0, `packets counted: ${counted.join(', ')}`);
});

/** A writable copy of a shared trace. */
function copyTrace(name: string, to: string): string {
  return writableTraceCopy(join(sharedTraces, name), join(work, to));
}

test('the WebAssembly tier gives damaged packets back: the same counts or the same error as the JavaScript decoder', { timeout: 300_000 }, () => {
  let seed = 4242;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let errors = 0;
  for (let k = 0; k < 24; k++) {
    const dir = copyTrace('lttng/many-threads', `damaged-${k}`);
    const file = join(dir, `channel0_${k % 8}`);
    const bytes = readFileSync(file);
    // a run of random bytes (k even) or single flipped bits (k odd), anywhere in the stream
    const at = Math.floor(random() * (bytes.length - 64));
    if (k % 2 === 0) for (let i = 0; i < 32; i++) bytes[at + i] = Math.floor(random() * 256);
    else for (let i = 0; i < 4; i++) bytes[at + Math.floor(random() * 64)]! ^= 1 << Math.floor(random() * 8);
    writeFileSync(file, bytes);
    if (assertSameCount(dir).text.startsWith('error:')) errors++;
  }
  assert.ok(errors >= 4, `damaged copies that end in an error: ${errors} of 24`);
});

test('events --count: the same output and error line with the tier on and off (TRACEWIRE_CTF_WASM=0)', async () => {
  const dir = copyTrace('lttng/many-threads', 'damaged-cli');
  const file = join(dir, 'channel0_1');
  const bytes = readFileSync(file);
  bytes.fill(0xff, 5000, 5100);
  writeFileSync(file, bytes);
  for (const trace of [dir, join(sharedTraces, 'lttng/hello-lost')]) {
    const on = await runCli(['events', '--count', trace]);
    const off = await runCli(['events', '--count', trace], { env: { ...process.env, TRACEWIRE_CTF_WASM: '0' } });
    assert.deepEqual([on.code, on.stdout, on.stderr], [off.code, off.stdout, off.stderr], trace);
  }
});

test('counting programs are cached per metadata model: a second run loads them and counts alike; a damaged entry is replaced', () => {
  const cacheDir = join(work, 'program-cache');
  const saved = process.env.TRACEWIRE_NO_CACHE;
  delete process.env.TRACEWIRE_NO_CACHE;
  process.env.TRACEWIRE_CACHE_DIR = cacheDir;
  try {
    const trace = join(sharedTraces, 'lttng/many-threads');
    const first = count(trace, true);
    const programs = join(cacheDir, 'ctf-programs');
    const entries = readdirSync(programs);
    assert.equal(entries.length, 1, `one program entry: ${entries.join(', ')}`);
    setWasmCounting(true);
    const again = JSON.stringify(countMessages(openTraceCollection([trace])));
    assert.equal(again, first.text);
    assert.equal(wasmCounter()!.streamsFromCache, 1, 'the stream class programs came from the cache');
    const entry = join(programs, entries[0]!);
    const bytes = readFileSync(entry);
    bytes.fill(0x55, 40, 80);
    writeFileSync(entry, bytes);
    setWasmCounting(true);
    assert.equal(JSON.stringify(countMessages(openTraceCollection([trace]))), first.text);
    assert.equal(wasmCounter()!.streamsFromCache, 0, 'a damaged entry is not used');
    assert.notDeepEqual(readFileSync(entry), bytes, 'and it is written again');
    setWasmCounting(true);
    countMessages(openTraceCollection([trace]));
    assert.equal(wasmCounter()!.streamsFromCache, 1);
  } finally {
    delete process.env.TRACEWIRE_CACHE_DIR;
    if (saved !== undefined) process.env.TRACEWIRE_NO_CACHE = saved;
  }
});
