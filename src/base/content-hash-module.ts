/**
 * The WebAssembly module behind content-hash.cts: MurmurHash3 x64-128 (Austin Appleby's
 * public-domain hash, seed 0) of the bytes at [ptr, ptr + len), written to memory
 * [0, 16) as h1 then h2 (little-endian), the byte order of the reference implementation's
 * output. Kept as an assembler program so that it can be read and checked; content-hash.cts
 * carries its bytes (a test checks that they are these).
 */
import { assembleModule, FunctionBody, I32, I64 } from './wasm-assembler.js';

const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;

/** Where the hashed bytes start (after the 16-byte result). */
export const HASH_INPUT = 64;

export function contentHashModuleBytes(): Uint8Array {
  const f = new FunctionBody([I32, I32], []);
  const [PTR, LEN] = [0, 1];
  const end = f.local(I32);
  const tail = f.local(I32);
  const h1 = f.local(I64);
  const h2 = f.local(I64);
  const k1 = f.local(I64);
  const k2 = f.local(I64);

  // k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1
  const mixK1 = () => f.get(h1).get(k1).i64(C1).i64Mul().i64(31).i64Rotl().i64(C2).i64Mul().i64Xor().set(h1);
  // k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2
  const mixK2 = () => f.get(h2).get(k2).i64(C2).i64Mul().i64(33).i64Rotl().i64(C1).i64Mul().i64Xor().set(h2);
  const fmix = (h: number) => {
    f.get(h).get(h).i64(33).i64ShrU().i64Xor().i64(0xff51afd7ed558ccdn).i64Mul().set(h);
    f.get(h).get(h).i64(33).i64ShrU().i64Xor().i64(0xc4ceb9fe1a85ec53n).i64Mul().set(h);
    f.get(h).get(h).i64(33).i64ShrU().i64Xor().set(h);
  };
  /** mask of the low n bytes (n in 1..8) in local k: k &= (n == 8 ? ~0 : (1 << 8n) - 1). */
  const keepLowBytes = (k: number, n: () => void) => {
    n();
    f.i32(8).i32LtU();
    f.if(() => {
      f.get(k).i64(1);
      n();
      f.i64ExtendI32U().i64(3).i64Shl().i64Shl().i64(1).i64Sub().i64And().set(k);
    });
  };

  f.get(PTR).get(LEN).i32(-16).i32And().i32Add().set(end);
  f.block('blocks', () =>
    f.loop('block', () => {
      f.get(PTR).get(end).i32GeU().brIf('blocks');
      f.get(PTR).i64Load().set(k1);
      f.get(PTR).i64Load(8).set(k2);
      mixK1();
      f.get(h1).i64(27).i64Rotl().get(h2).i64Add().i64(5).i64Mul().i64(0x52dce729).i64Add().set(h1);
      mixK2();
      f.get(h2).i64(31).i64Rotl().get(h1).i64Add().i64(5).i64Mul().i64(0x38495ab5).i64Add().set(h2);
      f.get(PTR).i32(16).i32Add().set(PTR);
      f.br('block');
    }),
  );
  f.get(LEN).i32(15).i32And().tee(tail);
  f.if(() => {
    f.get(tail).i32(8).i32GtU();
    f.if(() => {
      f.get(PTR).i64Load(8).set(k2);
      keepLowBytes(k2, () => f.get(tail).i32(8).i32Sub());
      mixK2();
    });
    f.get(PTR).i64Load().set(k1);
    keepLowBytes(k1, () => {
      // min(tail, 8)
      f.get(tail).i32(8).get(tail).i32(8).i32LtU().select();
    });
    mixK1();
  });
  f.get(h1).get(LEN).i64ExtendI32U().i64Xor().set(h1);
  f.get(h2).get(LEN).i64ExtendI32U().i64Xor().set(h2);
  f.get(h1).get(h2).i64Add().set(h1);
  f.get(h2).get(h1).i64Add().set(h2);
  fmix(h1);
  fmix(h2);
  f.get(h1).get(h2).i64Add().set(h1);
  f.get(h2).get(h1).i64Add().set(h2);
  f.i32(0).get(h1).i64Store();
  f.i32(8).get(h2).i64Store();
  return assembleModule({ functions: [{ name: 'hash', body: f }], memoryPages: 1, memoryName: 'memory' });
}
