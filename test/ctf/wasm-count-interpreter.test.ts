/**
 * The WebAssembly counting interpreter reads integers exactly as the JavaScript decoder's
 * bit readers do: every size from 1 to 64 bits, at every bit offset, in both byte orders,
 * signed and unsigned; and it moves the clock by N-bit timestamps as DecodeState does
 * (wrap-around included). Driven directly: a program of INT instructions that store each
 * value, run over random bytes, compared value by value with src/ctf/decode/bits.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpreterModuleBytes } from '../../src/ctf/decode/wasm-count/interpreter.js';
import { IntFlag, Op, PACKET, PROGRAMS, R_CYC, REGS, Status } from '../../src/ctf/decode/wasm-count/layout.js';
import { readBigUint } from '../../src/ctf/decode/bits.js';
import { DecodeState } from '../../src/ctf/decode/decode-state.js';

interface Wasm {
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object) => { exports: { memory: { buffer: ArrayBuffer }; run: (...a: number[]) => number } };
}
const W = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
const instance = new W.Instance(new W.Module(interpreterModuleBytes()));
const { memory, run } = instance.exports;

interface Field {
  size: number;
  le: boolean;
  signed: boolean;
  clock: boolean;
}

/** Runs one event made of `fields` (bit-packed, slot i for field i) over `data`; returns the stored values and the clock. */
function decode(fields: Field[], data: Uint8Array, clock: bigint): { values: bigint[]; clock: bigint; status: number } {
  const words: number[] = [Op.HEAD, 0];
  fields.forEach((f, i) => {
    let flags = IntFlag.STORE | (f.le ? 0 : IntFlag.BIG_ENDIAN) | (f.signed ? IntFlag.SIGNED : 0) | (f.clock ? IntFlag.CLOCK : 0);
    if (f.clock) flags &= ~IntFlag.SIGNED;
    words.push(Op.INT, 1, f.size, flags, i);
  });
  words.push(Op.EVENT_TS, Op.DISPATCH);
  const tableAt = words.length + 2;
  words.push(PROGRAMS + tableAt * 4, 1, PROGRAMS + (tableAt + 1) * 4, Op.END_EVENT, PROGRAMS);
  new Int32Array(memory.buffer, PROGRAMS, words.length).set(words);
  new Uint8Array(memory.buffer, PACKET, data.length).set(data);
  const end = fields.reduce((s, f) => s + f.size, 0);
  const status = run(PROGRAMS, 0, end, PACKET, Number(clock >> 32n) | 0, Number(clock & 0xffffffffn) | 0, 1 << 30);
  const regs = new BigInt64Array(memory.buffer, REGS, fields.length);
  return { values: [...regs], clock: BigInt.asUintN(64, new BigInt64Array(memory.buffer, R_CYC, 1)[0]!), status };
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

test('integers of 1 to 64 bits at any bit offset, both byte orders, signed or not: the values of bits.ts', () => {
  const random = lcg(99);
  let checked = 0;
  for (let round = 0; round < 300; round++) {
    const fields: Field[] = [];
    for (let i = 0; i < 24; i++) fields.push({ size: 1 + Math.floor(random() * 64), le: random() < 0.5, signed: random() < 0.5, clock: false });
    const bits = fields.reduce((s, f) => s + f.size, 0);
    const data = Uint8Array.from({ length: Math.ceil(bits / 8) + 16 }, () => Math.floor(random() * 256));
    const got = decode(fields, data, 0n);
    assert.equal(got.status, Status.DONE);
    let p = 0;
    fields.forEach((f, i) => {
      const u = readBigUint(data, p, f.size, f.le);
      const want = BigInt.asIntN(64, f.signed ? BigInt.asIntN(f.size, u) : u);
      assert.equal(got.values[i], want, `round ${round} field ${i}: ${f.size} bits at bit ${p}, ${f.le ? 'le' : 'be'}, ${f.signed ? 'signed' : 'unsigned'}`);
      p += f.size;
      checked++;
    });
  }
  assert.equal(checked, 7200);
});

test('N-bit timestamps move the clock as DecodeState.updateClock does, wrap-around included', () => {
  const random = lcg(7);
  for (let round = 0; round < 300; round++) {
    const fields: Field[] = [];
    for (let i = 0; i < 6; i++) {
      const size = [27, 32, 64, 1 + Math.floor(random() * 64)][Math.floor(random() * 4)]!;
      fields.push({ size, le: random() < 0.7, signed: false, clock: true });
    }
    const bits = fields.reduce((s, f) => s + f.size, 0);
    const data = Uint8Array.from({ length: Math.ceil(bits / 8) + 16 }, () => Math.floor(random() * 256));
    const start = BigInt(Math.floor(random() * 2 ** 52)) * BigInt(1 + Math.floor(random() * 3));
    const got = decode(fields, data, start);
    const st = new DecodeState(0);
    st.setClock(start);
    let p = 0;
    for (const f of fields) {
      st.updateClock(readBigUint(data, p, f.size, f.le), f.size);
      p += f.size;
    }
    const want = BigInt.asUintN(64, (BigInt(st.cycHi) << 32n) + BigInt(st.cycLo));
    assert.equal(got.clock, want, `round ${round}: ${fields.map((f) => f.size).join(', ')}`);
  }
});
