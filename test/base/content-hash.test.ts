/**
 * The caches' content hash (src/base/content-hash.cts): MurmurHash3 x64-128, run as
 * WebAssembly, equal to its published test vector and to the JavaScript reference on every
 * length and alignment of the 16-byte blocks; the module bytes it carries are those the
 * assembler program builds; and without WebAssembly (node --jitless) it gives the same
 * hashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { contentDigest, contentHash, murmur3x64_128, MODULE_BASE64 } from '../../src/base/content-hash.cjs';
import { contentHashModuleBytes, HASH_INPUT } from '../../src/base/content-hash-module.js';
import { repoRoot } from '../support/env.js';

test('the module the hash carries is the assembler program of content-hash-module.ts', () => {
  const built = Buffer.from(contentHashModuleBytes()).toString('base64');
  assert.equal(MODULE_BASE64, built, `content-hash.cts must carry:\n${built}`);
  assert.equal(HASH_INPUT, 64);
});

test('MurmurHash3 x64-128: the published vector, and the JavaScript reference on every tail length and on large inputs', () => {
  assert.equal(contentHash('The quick brown fox jumps over the lazy dog'), '6c1b07bc7bbc4be347939ac4a93c437a');
  assert.equal(contentHash(''), '00000000000000000000000000000000');
  for (let n = 0; n < 200; n++) {
    const b = randomBytes(n);
    assert.deepEqual(contentDigest(b), murmur3x64_128(b), `${n} bytes`);
  }
  for (const n of [65_536, 300_007, 1_048_576 + 5]) {
    const b = randomBytes(n);
    assert.deepEqual(contentDigest(b), murmur3x64_128(b), `${n} bytes`);
  }
  // a subarray (offset into a larger buffer) hashes its own bytes only
  const big = randomBytes(1000);
  assert.equal(contentHash(big.subarray(13, 500)), murmur3x64_128(Buffer.from(big.subarray(13, 500))).toString('hex'));
  assert.notEqual(contentHash('a'), contentHash('b'));
});

test('without WebAssembly (node --jitless) the same hashes are computed in JavaScript', () => {
  const script = `const c = require(${JSON.stringify(join(repoRoot, 'dist', 'base', 'content-hash.cjs'))}); console.log(typeof WebAssembly, c.contentHash('The quick brown fox jumps over the lazy dog'), c.contentHash(Buffer.alloc(100, 7)))`;
  const r = spawnSync(process.execPath, ['--jitless', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `undefined 6c1b07bc7bbc4be347939ac4a93c437a ${contentHash(Buffer.alloc(100, 7))}`);
});
