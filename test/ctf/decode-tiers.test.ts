/**
 * The two decoder tiers decode alike. Every event class starts on the interpreter
 * (src/ctf/decode/interpreter.ts) and switches to its generated decoder (codegen.ts) after
 * TRACEWIRE_CTF_COMPILE_AFTER events; the oracle tests see mostly the interpreter on the
 * shared traces (they are small). Here every shared trace, the hand-made CTF 1.8 and CTF 2
 * traces and damaged copies are decoded with the interpreter only, with generated code
 * only, and switching after a few events (mid-packet): the messages, their values and the
 * error at the end (file, byte offset, reason) must be the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { outputDir, sharedTraces } from '../support/env.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import { messageJson } from '../../src/ctf/format/jsonl.js';
import { setCompileAfter } from '../../src/ctf/decode/trace-decoders.js';
import { metadataFilesUnder, writableTraceCopy, writeHandMadeTraces } from './support/trace-dirs.js';

// the metadata cache is tested on its own (metadata-cache.test.ts)
process.env.TRACEWIRE_NO_CACHE = '1';

const work = join(outputDir, `ctf-decode-tiers-${process.pid}`);
rmSync(work, { recursive: true, force: true });

/** All messages of `dir` as JSON lines, then the error that ended the reading (if any). */
function decodeAll(dir: string, compileAfter: number): string[] {
  setCompileAfter(compileAfter);
  const out: string[] = [];
  try {
    const tc = openTraceCollection([dir]);
    for (const m of tc.messages()) out.push(messageJson(m));
  } catch (err) {
    out.push(`error: ${(err as Error).message}`);
  } finally {
    setCompileAfter(undefined);
  }
  return out;
}

function assertSameDecoding(dir: string): number {
  const interpreted = decodeAll(dir, Infinity);
  for (const mode of [0, 3]) {
    const other = decodeAll(dir, mode);
    assert.equal(other.length, interpreted.length, `${dir}: ${other.length} records with compile-after ${mode}, ${interpreted.length} interpreted`);
    for (let i = 0; i < other.length; i++) assert.equal(other[i], interpreted[i], `${dir}: record ${i} with compile-after ${mode}`);
  }
  return interpreted.length;
}

test('interpreter and generated decoders agree on every shared trace', { timeout: 600_000 }, () => {
  const dirs = metadataFilesUnder(sharedTraces).map((f) => dirname(f));
  assert.ok(dirs.length > 15, `shared traces under ${sharedTraces}`);
  let records = 0;
  for (const dir of dirs) records += assertSameDecoding(dir);
  assert.ok(records > 450_000, `compared ${records} records`);
});

test('interpreter and generated decoders agree on hand-made CTF 1.8 and CTF 2 traces', () => {
  for (const dir of writeHandMadeTraces(work)) assert.ok(assertSameDecoding(dir) > 0, dir);
});

test('interpreter and generated decoders fail alike on damaged data', () => {
  const src = join(sharedTraces, 'lttng/many-threads');
  if (!existsSync(src)) return;
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let k = 0; k < 6; k++) {
    const dir = writableTraceCopy(src, join(work, `damaged-${k}`));
    const file = join(dir, `channel0_${k % 8}`);
    const bytes = readFileSync(file);
    // overwrite a run of bytes in the middle of the stream with random values
    const at = 4096 + Math.floor(random() * (bytes.length - 8192));
    for (let i = 0; i < 64; i++) bytes[at + i] = Math.floor(random() * 256);
    writeFileSync(file, bytes);
    assertSameDecoding(dir);
  }
});
