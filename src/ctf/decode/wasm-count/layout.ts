/**
 * The contract between the counting programs (program.ts, written by TypeScript) and
 * the WebAssembly interpreter that runs them (interpreter.ts): opcodes, their operands,
 * and where things live in the module's memory.
 *
 * A program is a sequence of 32-bit words: an opcode, then its operands. Field opcodes
 * align the cursor first (an `align` operand, or on bytes for text), which saves a
 * dispatch per field over separate ALIGN instructions. Jump targets
 * are byte addresses in memory. Bit positions (`p`, `end`) count from a packet's first
 * byte, as DecodeState.p does.
 */

export const Op = {
  /** [a]: p = align(p, a). */
  ALIGN: 0,
  /** [align, size, flags, slot]: integer of `size` bits (see IntFlag). */
  INT: 1,
  /** [align, size]: a 32- or 64-bit float. */
  FLOAT: 2,
  /** []: NUL-terminated UTF-8 string (byte-aligned first, like the fields below). */
  STRING: 3,
  /** [n]: n bytes (static-length text, text array, static BLOB). */
  BYTES: 4,
  /** [slot]: as many bytes as the stored value says (dynamic string, text sequence, BLOB). */
  BYTES_SLOT: 5,
  /** [slot, minBits, align]: a sequence length, checked as the JS decoder checks it. */
  CHECK_LEN: 6,
  /** [slot (or -1), n, exitPc]: repeats the body up to LOOP_END n (or stored-value) times. */
  LOOP: 7,
  /** []: end of a LOOP body. */
  LOOP_END: 8,
  /** [slot, signed, nRanges, nRanges × (lo: i64, hi: i64, target)]: variant option. */
  SWITCH: 9,
  /** [slot, mode, nRanges, elsePc, nRanges × (lo: i64, hi: i64)]: optional field. */
  IF: 10,
  /** [target]. */
  JUMP: 11,
  /** [defaultId]: start of an event (its header). */
  HEAD: 12,
  /** []: the clock value now is the event's time (after the header, as the JS decoder). */
  EVENT_TS: 13,
  /** [tableAddr, tableLen]: jump to the program of the event class the header named. */
  DISPATCH: 14,
  /** [headPc]: end of an event. */
  END_EVENT: 15,
  /** [align, slot (or -1), n, size, flags]: an array or sequence of integers without side effects. */
  INTS: 16,
} as const;

export const IntFlag = {
  SIGNED: 1,
  BIG_ENDIAN: 2,
  /** Updates the stream clock (an N-bit timestamp, CTF 1.8 §8). */
  CLOCK: 4,
  /** The event class id. */
  EVENT_ID: 8,
  /** Stored in slot `slot` (a sequence length, variant tag, optional selector). */
  STORE: 16,
  /** A boolean: true when any bit is set. */
  BOOL: 32,
} as const;

/** IF modes. */
export const IfMode = { BOOL: 0, SIGNED_RANGES: 1, UNSIGNED_RANGES: 2 } as const;

/** Status the interpreter returns. */
export const Status = {
  /** The packet's events are all decoded. */
  DONE: 0,
  /** An event names a class without a program yet: compile it and resume. */
  NEED_CLASS: 1,
  /** Something the JS decoder would report (or that this tier does not handle). */
  FALLBACK: 2,
  /** `limit` events are decoded: call again to go on (lets V8 swap in optimised code). */
  PAUSED: 3,
} as const;

// ---- memory (byte addresses) ----
/** Results of a run: see the R_* offsets. */
export const RESULTS = 0;
export const R_COUNT = 4;
export const R_P = 8;
export const R_CYC = 16;
export const R_MIN = 24;
export const R_MAX = 32;
export const R_LAST = 40;
export const R_ID = 48;
/** Stored values (i64 each), indexed by the field classes' storeSlot. */
export const REGS = 64;
export const MAX_SLOTS = 4096;
/** The loop stack: (count, body address) pairs. */
export const LOOP_STACK = REGS + MAX_SLOTS * 8;
export const MAX_LOOP_DEPTH = 64;
/** Programs and event class tables. */
export const PROGRAMS = 65536;
export const PROGRAMS_END = PROGRAMS + 4 * 1024 * 1024;
/** The packet being counted is copied here. */
export const PACKET = PROGRAMS_END;
/** Bytes after a packet's content the interpreter may read (an unaligned 64-bit load + 1). */
export const PACKET_SLACK = 16;
/** The memory's initial size in 64 KiB pages: programs, and a first packet area of 4 MiB. */
export const INITIAL_PAGES = Math.ceil((PACKET + 4 * 1024 * 1024) / 65536);
/** Largest content this tier takes, in bits: positions stay within a signed 32-bit int. */
export const MAX_CONTENT_BITS = 2 ** 30;
