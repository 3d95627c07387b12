/**
 * The WebAssembly interpreter of counting programs (layout.ts has the opcodes).
 *
 * `run(pc, p, end, base, cycHi, cycLo, limit) → status` decodes the events of one packet
 * from bit `p` to bit `end` (the packet's bytes start at memory address `base`), starting
 * with the event head program at `pc` and the stream clock at cycHi·2^32 + cycLo, and
 * pauses after `limit` events. It reads
 * every field of every event — integers (any size, bit offset, byte order, sign),
 * clock updates with wrap-around, event ids, stored lengths/tags/selectors, strings to
 * their NUL, arrays, sequences, variants, optionals — and checks what the JavaScript
 * decoder checks. It builds no values for JavaScript: it counts, and keeps the earliest,
 * latest and last event times (results in memory at RESULTS).
 *
 * Why WebAssembly: V8 compiles a WebAssembly function with its baseline compiler at once,
 * while JavaScript starts in the bytecode interpreter and reaches optimised code only
 * after thousands of calls; on traces of a few hundred thousand events or fewer that
 * warm-up is most of the decoding time. A mistake-free rule keeps the two exact: anything
 * unusual (damage, an unknown class, a case this tier does not handle) makes `run`
 * return FALLBACK, and the caller decodes that packet with the JavaScript decoder, which
 * reports it as before.
 */
import { assembleModule, FunctionBody, I32, I64 } from '../../../base/wasm-assembler.js';
import { IfMode, INITIAL_PAGES, IntFlag, LOOP_STACK, Op, R_COUNT, R_CYC, R_ID, R_LAST, R_MAX, R_MIN, R_P, REGS, Status } from './layout.js';

/**
 * Assembles the interpreter module (2 KB; V8 compiles it in a fraction of a millisecond).
 * The bundled `events` command carries these bytes ready-made (scripts/build.mjs):
 * assembling them is 2 ms of cold JavaScript.
 */
export function interpreterModuleBytes(): Uint8Array {
  const f = new FunctionBody([I32, I32, I32, I32, I32, I32, I32], [I32]);
  const [PC, P, END, BASE, CYC_HI, CYC_LO, LIMIT] = [0, 1, 2, 3, 4, 5, 6];
  const n = f.local(I32);
  const addr = f.local(I32);
  const sh = f.local(I32);
  const size = f.local(I32);
  const flags = f.local(I32);
  const sp = f.local(I32);
  const start = f.local(I32);
  const count = f.local(I32);
  const lim = f.local(I32);
  const k = f.local(I32);
  const cyc = f.local(I64);
  const v = f.local(I64);
  const evCyc = f.local(I64);
  const min = f.local(I64);
  const max = f.local(I64);
  const startCyc = f.local(I64);
  const id = f.local(I64);
  const t = f.local(I64);
  const mask = f.local(I64);
  const lo = f.local(I64);
  const hi = f.local(I64);
  const lastCyc = f.local(I64);

  /** Pushes operand `i` (1-based) of the current instruction. */
  const operand = (i: number) => f.get(PC).i32Load(4 * i);
  const nextPc = (words: number) => {
    f.get(PC).i32(4 * words).i32Add().set(PC);
    f.br('next');
  };
  /** Pushes the stored value of the slot in operand `i`. */
  const stored = (i: number) => {
    operand(i).i32(3).i32Shl().i64Load(REGS);
  };
  const finish = (status: number) => {
    f.i32(R_COUNT).get(count).i32Store();
    f.i32(R_P).get(P).i32Store();
    f.i32(R_CYC).get(cyc).i64Store();
    f.i32(R_MIN).get(min).i64Store();
    f.i32(R_MAX).get(max).i64Store();
    f.i32(R_LAST).get(lastCyc).i64Store();
    f.i32(R_ID).get(id).i64Store();
    f.i32(status).return();
  };
  /** Fails when the field [p, p + bits) ends past the content. */
  const fitOrFail = (bits: () => void) => {
    f.get(P);
    bits();
    f.i32Add().get(END).i32GtS().brIf('fail');
  };
  /** v = v with its 8 bytes reversed (big-endian fields). */
  const byteSwap = () => {
    f.get(v).i64(56).i64ShrU().get(v).i64(56).i64Shl().i64Or().set(t);
    for (const s of [8, 24, 40]) {
      // byte i moves to byte 7 - i: down by s bits for the high half, up by s for the low
      f.get(t).get(v).i64(s).i64ShrU().i64(0xffn << BigInt((56 - s) / 2)).i64And().i64Or();
      f.get(v).i64(s).i64Shl().i64(0xffn << BigInt((56 + s) / 2)).i64And().i64Or().set(t);
    }
    f.get(t).set(v);
  };
  /** A set of ranges (lo, hi as i64 at addr, addr + 8) contains t, signed or not: leaves 0/1. */
  const inRange = (signed: () => void) => {
    f.get(addr).i64Load().set(lo);
    f.get(addr).i64Load(8).set(hi);
    signed();
    f.if(
      () => f.get(t).get(lo).i64GeS().get(t).get(hi).i64LeS().i32And().set(n),
      () => f.get(t).get(lo).i64GeU().get(t).get(hi).i64LeU().i32And().set(n),
    );
    f.get(n);
  };

  const cases: Array<() => void> = [];
  /** p = p aligned on operand `i` (a power of two, 1 for none). */
  const alignTo = (i: number) => {
    f.get(P);
    operand(i).i32Add().i32(1).i32Sub().i32(0);
    operand(i).i32Sub().i32And().set(P);
  };
  /** n = the repeat count: operand `slotOp` names a stored value, or is -1 for operand `staticOp`. */
  const repeatCount = (slotOp: number, staticOp: number) => {
    operand(slotOp).i32(0).i32LtS();
    f.if(
      () => operand(staticOp).set(n),
      () => {
        stored(slotOp);
        f.i32WrapI64().set(n);
      },
    );
  };
  cases[Op.ALIGN] = () => {
    alignTo(1);
    nextPc(2);
  };
  /** v = the integer of `size` bits at bit p, in the byte order and signedness `flags` say. */
  const readInt = () => {
    f.get(BASE).get(P).i32(3).i32ShrU().i32Add().set(addr);
    f.get(P).i32(7).i32And().set(sh);
    f.get(flags).i32(IntFlag.BIG_ENDIAN).i32And();
    f.if(
      () => {
        // the field starts at the most significant bit `sh` of its first byte
        f.get(addr).i64Load().set(v);
        byteSwap();
        f.get(v).get(sh).i64ExtendI32U().i64Shl().set(v);
        f.get(sh).get(size).i32Add().i32(64).i32GtU();
        f.if(() => f.get(v).get(addr).i64Load8u(8).i64(8).get(sh).i64ExtendI32U().i64Sub().i64ShrU().i64Or().set(v));
        f.get(v).i64(64).get(size).i64ExtendI32U().i64Sub().i64ShrU().set(v);
      },
      () => {
        f.get(addr).i64Load().get(sh).i64ExtendI32U().i64ShrU().set(v);
        f.get(sh).get(size).i32Add().i32(64).i32GtU();
        f.if(() => f.get(v).get(addr).i64Load8u(8).i64(64).get(sh).i64ExtendI32U().i64Sub().i64Shl().i64Or().set(v));
        f.get(size).i32(64).i32LtU();
        f.if(() => f.get(v).i64(1).get(size).i64ExtendI32U().i64Shl().i64(1).i64Sub().i64And().set(v));
      },
    );
    f.get(flags).i32(IntFlag.SIGNED).i32And().get(size).i32(64).i32LtU().i32And();
    f.if(() => f.get(v).i64(64).get(size).i64ExtendI32U().i64Sub().tee(mask).i64Shl().get(mask).i64ShrS().set(v));
  };
  const SIDE_EFFECTS = IntFlag.BOOL | IntFlag.CLOCK | IntFlag.EVENT_ID | IntFlag.STORE;
  cases[Op.INT] = () => {
    alignTo(1);
    operand(2).set(size);
    operand(3).set(flags);
    fitOrFail(() => f.get(size));
    readInt();
    f.get(flags).i32(SIDE_EFFECTS).i32And();
    f.if(() => {
      f.get(flags).i32(IntFlag.BOOL).i32And();
      f.if(() => f.get(v).i64(0).i64Ne().i64ExtendI32U().set(v));
      f.get(flags).i32(IntFlag.CLOCK).i32And();
      f.if(() => {
        f.get(size).i32(64).i32Eq();
        f.if(
          () => f.get(v).set(cyc),
          () => {
            // the low `size` bits are replaced; smaller than before means one wrap
            f.i64(1).get(size).i64ExtendI32U().i64Shl().tee(hi).i64(1).i64Sub().set(mask);
            f.get(cyc).get(mask).i64And().set(lo);
            f.get(cyc).get(mask).i64(-1).i64Xor().i64And().get(v).i64Or().set(cyc);
            f.get(v).get(lo).i64LtU();
            f.if(() => f.get(cyc).get(hi).i64Add().set(cyc));
          },
        );
      });
      f.get(flags).i32(IntFlag.EVENT_ID).i32And();
      f.if(() => f.get(v).set(id));
      f.get(flags).i32(IntFlag.STORE).i32And();
      f.if(() => operand(4).i32(3).i32Shl().get(v).i64Store(REGS));
    });
    f.get(P).get(size).i32Add().set(P);
    nextPc(5);
  };
  cases[Op.INTS] = () => {
    alignTo(1);
    repeatCount(2, 3);
    operand(4).set(size);
    operand(5).set(flags);
    fitOrFail(() => f.get(n).get(size).i32Mul());
    f.block('ints', () =>
      f.loop('int', () => {
        f.get(n).i32Eqz().brIf('ints');
        readInt();
        f.get(P).get(size).i32Add().set(P);
        f.get(n).i32(1).i32Sub().set(n);
        f.br('int');
      }),
    );
    nextPc(6);
  };
  cases[Op.FLOAT] = () => {
    alignTo(1);
    fitOrFail(() => operand(2));
    f.get(P);
    operand(2).i32Add().set(P);
    nextPc(3);
  };
  const alignToByte = () => f.get(P).i32(7).i32Add().i32(-8).i32And().set(P);
  cases[Op.STRING] = () => {
    alignToByte();
    f.get(BASE).get(P).i32(3).i32ShrU().i32Add().set(addr);
    f.get(BASE).get(END).i32(3).i32ShrU().i32Add().set(lim);
    // eight bytes at a time: (x - 0x01…01) & ~x & 0x80…80 marks the first zero byte
    // exactly (bytes above it may be marked falsely; the lowest mark is right)
    f.block('found', () =>
      f.loop('scan', () => {
        f.get(addr).get(lim).i32GeU().brIf('fail');
        f.get(addr).i64Load().tee(v).i64(0x0101010101010101n).i64Sub().get(v).i64(-1).i64Xor().i64And().i64(0x8080808080808080n).i64And().tee(t);
        f.i64Eqz();
        f.if(
          () => {
            f.get(addr).i32(8).i32Add().set(addr);
            f.br('scan');
          },
          () => {
            f.get(addr).get(t).i64Ctz().i32WrapI64().i32(3).i32ShrU().i32Add().tee(addr).get(lim).i32GeU().brIf('fail');
            f.br('found');
          },
        );
      }),
    );
    f.get(addr).get(BASE).i32Sub().i32(1).i32Add().i32(3).i32Shl().set(P);
    nextPc(1);
  };
  cases[Op.BYTES] = () => {
    alignToByte();
    f.get(P);
    operand(1).i32(3).i32Shl().i32Add().tee(n).get(END).i32GtS().brIf('fail');
    f.get(n).set(P);
    nextPc(2);
  };
  const storedLength = (i: number) => {
    stored(i);
    f.tee(t).i64(0).i64LtS().brIf('fail');
    f.get(t).i64(2 ** 28).i64GtS().brIf('fail');
  };
  cases[Op.BYTES_SLOT] = () => {
    alignToByte();
    storedLength(1);
    f.get(t).i64(3).i64Shl().get(END).get(P).i32Sub().i64ExtendI32S().i64GtS().brIf('fail');
    f.get(P).get(t).i32WrapI64().i32(3).i32Shl().i32Add().set(P);
    nextPc(2);
  };
  cases[Op.CHECK_LEN] = () => {
    storedLength(1);
    f.get(t);
    operand(2).i64ExtendI32U().i64Mul().get(END).get(P).i32Sub();
    operand(3).i32Add().i64ExtendI32S().i64GtS().brIf('fail');
    nextPc(4);
  };
  cases[Op.LOOP] = () => {
    repeatCount(1, 2);
    f.get(n).i32Eqz();
    f.if(() => {
      operand(3).set(PC);
      f.br('next');
    });
    f.get(sp).get(n).i32Store();
    f.get(sp).get(PC).i32(16).i32Add().i32Store(4);
    f.get(sp).i32(8).i32Add().set(sp);
    nextPc(4);
  };
  cases[Op.LOOP_END] = () => {
    f.get(sp).i32(8).i32Sub().tee(addr).i32Load().i32(1).i32Sub().tee(n).i32Eqz();
    f.if(() => {
      f.get(addr).set(sp);
      nextPc(1);
    });
    f.get(addr).get(n).i32Store();
    f.get(addr).i32Load(4).set(PC);
    f.br('next');
  };
  cases[Op.SWITCH] = () => {
    stored(1);
    f.set(t);
    operand(3).set(k);
    f.get(PC).i32(16).i32Add().set(addr);
    f.loop('range', () => {
      f.get(k).i32Eqz().brIf('fail');
      inRange(() => operand(2));
      f.if(() => {
        f.get(addr).i32Load(16).set(PC);
        f.br('next');
      });
      f.get(addr).i32(20).i32Add().set(addr);
      f.get(k).i32(1).i32Sub().set(k);
      f.br('range');
    });
  };
  /** PC of the optional's field: after the IF and its ranges. */
  const selectedPc = () => {
    f.get(PC).i32(20);
    operand(3).i32(16).i32Mul().i32Add().i32Add().set(PC);
    f.br('next');
  };
  cases[Op.IF] = () => {
    stored(1);
    f.set(t);
    operand(2).i32(IfMode.BOOL).i32Eq();
    f.if(() => {
      f.get(t).i64Eqz();
      f.if(() => {
        operand(4).set(PC);
        f.br('next');
      });
      selectedPc();
    });
    operand(3).set(k);
    f.get(PC).i32(20).i32Add().set(addr);
    f.loop('irange', () => {
      f.get(k).i32Eqz();
      f.if(() => {
        operand(4).set(PC);
        f.br('next');
      });
      inRange(() => operand(2).i32(IfMode.SIGNED_RANGES).i32Eq());
      f.if(selectedPc);
      f.get(addr).i32(16).i32Add().set(addr);
      f.get(k).i32(1).i32Sub().set(k);
      f.br('irange');
    });
  };
  cases[Op.JUMP] = () => {
    operand(1).set(PC);
    f.br('next');
  };
  cases[Op.HEAD] = () => {
    f.get(P).set(start);
    f.get(cyc).set(startCyc);
    operand(1).i64ExtendI32S().set(id);
    nextPc(2);
  };
  cases[Op.EVENT_TS] = () => {
    f.get(cyc).set(evCyc);
    nextPc(1);
  };
  cases[Op.DISPATCH] = () => {
    f.get(id);
    operand(2).i64ExtendI32U().i64GeU().brIf('fail');
    operand(1).get(id).i32WrapI64().i32(2).i32Shl().i32Add().i32Load().tee(n).i32Eqz();
    f.if(() => {
      // resumed at this event once its class has a program
      f.get(start).set(P);
      f.get(startCyc).set(cyc);
      finish(Status.NEED_CLASS);
    });
    f.get(n).set(PC);
    f.br('next');
  };
  cases[Op.END_EVENT] = () => {
    f.get(P).get(start).i32Eq().brIf('fail');
    f.get(P).get(END).i32GtS().brIf('fail');
    f.get(count).i32(1).i32Add().set(count);
    f.get(evCyc).get(min).i64LtU();
    f.if(() => f.get(evCyc).set(min));
    f.get(evCyc).get(max).i64GtU();
    f.if(() => f.get(evCyc).set(max));
    f.get(evCyc).set(lastCyc);
    f.get(P).get(END).i32GeS();
    f.if(() => finish(Status.DONE));
    f.get(count).get(LIMIT).i32Eq();
    f.if(() => finish(Status.PAUSED));
    operand(1).set(PC);
    f.br('next');
  };

  const labels = cases.map((_c, i) => `op${i}`);
  const nest = (i: number): void => {
    if (i < 0) {
      f.get(PC).i32Load().brTable(labels, 'fail');
      return;
    }
    f.block(labels[i]!, () => nest(i - 1));
    cases[i]!();
  };

  f.get(CYC_HI).i64ExtendI32U().i64(32).i64Shl().get(CYC_LO).i64ExtendI32U().i64Or().set(cyc);
  f.i32(LOOP_STACK).set(sp);
  f.i64(-1).set(min);
  f.loop('next', () => {
    f.block('fail', () => nest(cases.length - 1));
    finish(Status.FALLBACK);
  });
  f.i32(Status.FALLBACK);
  return assembleModule({ functions: [{ name: 'run', body: f }], memoryPages: INITIAL_PAGES, memoryName: 'memory' });
}
