/**
 * Content hashes for tracewire's caches: MurmurHash3 x64-128 (Austin Appleby's
 * public-domain hash, seed 0), as 16 bytes or 32 hex digits. CommonJS, for the fast start
 * (src/cli/fast-start.cts) as for the ES modules (`content-hash.cjs`).
 *
 * Why not SHA-1 (node:crypto): loading node:crypto takes ~2 ms at every start and SHA-1
 * runs at ~500 MB/s, while `tracewire events` hashes its bundle (400 KB), that bundle's
 * code cache entry, the trace's metadata (300 KB for a kernel trace) and its cache entry
 * (600 KB) before decoding a single event: ~5 ms of a ~40 ms run. The caches need to tell
 * contents apart (two different inputs share a hash with probability 2^-128) and to
 * notice damage; they do not need to resist an attacker — the entries are this user's
 * own files (cache-files.cts), and SHA-1 no longer resists collisions either.
 *
 * The hash runs as WebAssembly (~1.5 GB/s from the first call; the module is the
 * assembler program of content-hash-module.ts, whose bytes MODULE_BASE64 holds — a test checks
 * that they are the same); without WebAssembly (node --jitless) the same hash is computed
 * in JavaScript with bigints, slowly.
 */

import { instantiate, type WasmMemory } from './webassembly.cjs';

export const MODULE_BASE64 = 'AGFzbQEAAAABBgFgAn9/AAMCAQAFAwEAAQcRAgRoYXNoAAAGbWVtb3J5AgAK8QMB7gMCAn8EfiAAIAFBcHFqIQICQANAIAAgAk8NASAAKQMAIQYgACkDCCEHIAQgBkLVp4mKkfLe4Yd/fkIfiUL/ppa6sqjr+swAfoUhBCAEQhuJIAV8QgV+QqnO85YFfCEEIAUgB0L/ppa6sqjr+swAfkIhiULVp4mKkfLe4Yd/foUhBSAFQh+JIAR8QgV+QrW1pcIDfCEFIABBEGohAAwACwsgAUEPcSIDBEAgA0EISwRAIAApAwghByADQQhrQQhJBEAgB0IBIANBCGutQgOGhkIBfYMhBwsgBSAHQv+mlrqyqOv6zAB+QiGJQtWniYqR8t7hh39+hSEFCyAAKQMAIQYgA0EIIANBCEkbQQhJBEAgBkIBIANBCCADQQhJG61CA4aGQgF9gyEGCyAEIAZC1aeJipHy3uGHf35CH4lC/6aWurKo6/rMAH6FIQQLIAQgAa2FIQQgBSABrYUhBSAEIAV8IQQgBSAEfCEFIAQgBEIhiIVCzZnW6v7666h/fiEEIAQgBEIhiIVC09iX1OG/rudEfiEEIAQgBEIhiIUhBCAFIAVCIYiFQs2Z1ur++uuof34hBSAFIAVCIYiFQtPYl9Thv67nRH4hBSAFIAVCIYiFIQUgBCAFfCEEIAUgBHwhBUEAIAQ3AwBBCCAFNwMACw==';
/** Where the hashed bytes go in the module's memory (content-hash-module.ts HASH_INPUT). */
const INPUT = 64;
const PAGE = 65536;

interface HashModule {
  readonly memory: WasmMemory;
  readonly hash: (ptr: number, len: number) => void;
}

let wasm: HashModule | null | undefined;

function hashModule(): HashModule | null {
  if (wasm === undefined) {
    try {
      wasm = instantiate(Buffer.from(MODULE_BASE64, 'base64')) as HashModule | null;
    } catch {
      wasm = null;
    }
  }
  return wasm;
}

/** The 16-byte MurmurHash3 x64-128 of `data` (strings as UTF-8). */
export function contentDigest(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const m = hashModule();
  if (m === null) return murmur3x64_128(bytes);
  // the hash reads whole 16-byte blocks: up to 15 bytes past the end are loaded and masked off
  const need = INPUT + bytes.length + 16;
  if (m.memory.buffer.byteLength < need) m.memory.grow(Math.ceil((need - m.memory.buffer.byteLength) / PAGE));
  new Uint8Array(m.memory.buffer).set(bytes, INPUT);
  m.hash(INPUT, bytes.length);
  return Buffer.from(new Uint8Array(m.memory.buffer, 0, 16));
}

/** contentDigest as 32 lowercase hex digits. */
export function contentHash(data: Uint8Array | string): string {
  return contentDigest(data).toString('hex');
}

const M64 = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
const fmix = (k: bigint) => {
  k ^= k >> 33n;
  k = (k * 0xff51afd7ed558ccdn) & M64;
  k ^= k >> 33n;
  k = (k * 0xc4ceb9fe1a85ec53n) & M64;
  return k ^ (k >> 33n);
};
const word = (b: Uint8Array, at: number, n: number) => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  return v;
};

/** The reference algorithm in JavaScript (no WebAssembly; and the tests' yardstick). */
export function murmur3x64_128(b: Uint8Array): Buffer {
  let h1 = 0n;
  let h2 = 0n;
  const blocks = b.length - (b.length % 16);
  const mixK1 = (k1: bigint) => (h1 ^= (rotl((k1 * C1) & M64, 31n) * C2) & M64);
  const mixK2 = (k2: bigint) => (h2 ^= (rotl((k2 * C2) & M64, 33n) * C1) & M64);
  for (let i = 0; i < blocks; i += 16) {
    mixK1(word(b, i, 8));
    h1 = (((rotl(h1, 27n) + h2) & M64) * 5n + 0x52dce729n) & M64;
    mixK2(word(b, i + 8, 8));
    h2 = (((rotl(h2, 31n) + h1) & M64) * 5n + 0x38495ab5n) & M64;
  }
  const tail = b.length - blocks;
  if (tail > 8) mixK2(word(b, blocks + 8, tail - 8));
  if (tail > 0) mixK1(word(b, blocks, Math.min(tail, 8)));
  const len = BigInt(b.length);
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(h1, 0);
  out.writeBigUInt64LE(h2, 8);
  return out;
}
