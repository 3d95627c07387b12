/**
 * The WebAssembly counting tier at run time: one interpreter instance per thread, the
 * programs of the stream and event classes met so far (compiled on first use, like the
 * JavaScript decoders), and `countPacket`, which counts one packet's events or says that
 * the JavaScript decoder must.
 *
 * `TRACEWIRE_CTF_WASM=0` turns the tier off (the tests compare both ways).
 */
import type { StreamClass, TraceClass } from '../../metadata/model.js';
import { instantiate, wasmAvailable, type WasmMemory } from '../../../base/webassembly.cjs';
import type { DecodeState } from '../decode-state.js';
import { interpreterModuleBytes } from './interpreter.js';
import { MAX_CONTENT_BITS, PACKET, PACKET_SLACK, PROGRAMS, PROGRAMS_END, R_COUNT, R_CYC, R_ID, R_LAST, R_MAX, R_MIN, R_P, REGS, Status } from './layout.js';
import { compileEventClass, compileStreamHead, ProgramWords, Unsupported, type StreamProgram } from './program.js';
import { loadPrograms, storePrograms } from './program-cache.js';

const PAGE = 65536;
const TWO32 = 4294967296;

/** What countPacket found (one object, reused). Times are clock values split in 32-bit halves. */
export class PacketCount {
  count = 0;
  minHi = 0;
  minLo = 0;
  maxHi = 0;
  maxLo = 0;
  lastHi = 0;
  lastLo = 0;
  /** Bit position and clock after the packet's last event. */
  p = 0;
  cycHi = 0;
  cycLo = 0;
}

type Run = (pc: number, p: number, end: number, base: number, cycHi: number, cycLo: number, limit: number) => number;

/**
 * Events per call of the interpreter. WebAssembly has no on-stack replacement: V8 swaps
 * its baseline code for optimised code between calls only, so a packet of 50,000 events
 * in one call would run unoptimised to its end.
 */
const EVENTS_PER_CALL = 2048;

/** The module's bytes, when the build put them in the bundle (base64), else undefined. */
declare const TRACEWIRE_COUNT_WASM: string | undefined;

function moduleBytes(): Uint8Array {
  return typeof TRACEWIRE_COUNT_WASM === 'string' ? Buffer.from(TRACEWIRE_COUNT_WASM, 'base64') : interpreterModuleBytes();
}

let shared: WasmCounter | null | undefined;

/** This thread's counter, or null when the tier is off. */
export function wasmCounter(): WasmCounter | null {
  if (shared === undefined) shared = process.env.TRACEWIRE_CTF_WASM === '0' || !wasmAvailable ? null : new WasmCounter();
  return shared;
}

/** Turns the tier on or off for this thread (tests compare the two). */
export function setWasmCounting(on: boolean): void {
  shared = on ? new WasmCounter() : null;
}

export class WasmCounter {
  readonly result = new PacketCount();
  /** Packets counted here, and packets given back to the JS decoder (for tests and tuning). */
  packetsCounted = 0;
  packetsGivenBack = 0;
  /** Stream classes whose programs came from the program cache. */
  streamsFromCache = 0;
  private readonly memory: WasmMemory;
  private readonly run: Run;
  private i32: Int32Array;
  private u32: Uint32Array;
  private u8: Uint8Array;
  private top = PROGRAMS;
  /** A read window holds the packet area (leaseWindow). */
  private leased = false;
  /**
   * The trace class whose programs the area holds (the first one counted): they are
   * loaded from the program cache, and stored there after counting when some were added
   * (and no other trace class's programs were mixed in).
   */
  private owner: TraceClass | null = null;
  private ownerOnly = true;
  private added = false;
  private readonly streams = new Map<StreamClass, StreamProgram | null>();

  constructor() {
    const exports = instantiate(moduleBytes())!;
    this.memory = exports.memory as WasmMemory;
    this.run = exports.run as Run;
    this.i32 = new Int32Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
    this.u8 = new Uint8Array(this.memory.buffer);
  }

  /**
   * Counts the events of the packet in `st` (st.b from its first byte; events from bit
   * st.p to st.end) from the clock in st. True: the counts are in `result`; false: the
   * JavaScript decoder must decode this packet (`st` is unchanged either way).
   */
  countPacket(tc: TraceClass, sc: StreamClass, st: DecodeState): boolean {
    if (this.countEvents(tc, sc, st)) {
      this.packetsCounted++;
      return true;
    }
    this.packetsGivenBack++;
    return false;
  }

  private countEvents(tc: TraceClass, sc: StreamClass, st: DecodeState): boolean {
    const prog = this.stream(tc, sc);
    if (prog === null || st.end > MAX_CONTENT_BITS || !(st.cycHi >= 0 && st.cycHi < TWO32)) return false;
    const first = st.p >>> 3;
    let packetBase: number;
    if (st.b.buffer === this.memory.buffer) packetBase = st.b.byteOffset;
    else {
      // a packet read elsewhere: copied in, unless a window holds the packet area
      if (this.leased) return false;
      const last = Math.ceil(st.end / 8);
      this.reserve(PACKET + (last - first) + PACKET_SLACK);
      this.u8.set(st.b.subarray(first, last), PACKET);
      packetBase = PACKET - first;
    }
    for (const slot of prog.packetSlots) this.setStored(slot, st.S[slot]!);
    const r = this.result;
    const u32 = this.u32;
    r.count = 0;
    r.minHi = Infinity;
    r.maxHi = -Infinity;
    let p = st.p;
    let cycHi = st.cycHi;
    let cycLo = st.cycLo;
    for (;;) {
      const status = this.run(prog.headPc, p, st.end, packetBase, cycHi, cycLo, EVENTS_PER_CALL);
      if (status === Status.FALLBACK) return false;
      const n = this.i32[R_COUNT >> 2]!;
      if (n > 0) {
        r.count += n;
        this.takeMin(u32[(R_MIN >> 2) + 1]!, u32[R_MIN >> 2]!);
        this.takeMax(u32[(R_MAX >> 2) + 1]!, u32[R_MAX >> 2]!);
        r.lastHi = u32[(R_LAST >> 2) + 1]!;
        r.lastLo = u32[R_LAST >> 2]!;
      }
      p = this.i32[R_P >> 2]!;
      cycHi = u32[(R_CYC >> 2) + 1]!;
      cycLo = u32[R_CYC >> 2]!;
      if (status === Status.DONE) break;
      if (status === Status.NEED_CLASS && !this.addEventClass(sc, prog, u32[R_ID >> 2]!)) return false;
    }
    r.p = p;
    r.cycHi = cycHi;
    r.cycLo = cycLo;
    return true;
  }

  private takeMin(hi: number, lo: number): void {
    const r = this.result;
    if (hi < r.minHi || (hi === r.minHi && lo < r.minLo)) {
      r.minHi = hi;
      r.minLo = lo;
    }
  }

  private takeMax(hi: number, lo: number): void {
    const r = this.result;
    if (hi > r.maxHi || (hi === r.maxHi && lo > r.maxLo)) {
      r.maxHi = hi;
      r.maxLo = lo;
    }
  }

  /**
   * Lends the packet area to one read window at a time (null while another holds it): the
   * window's reads land where the interpreter reads, instead of being copied there per
   * packet. Growing the memory detaches the buffers made before, so the area serves one
   * window, whose previous buffer is dropped whenever it asks for a bigger one.
   */
  leaseWindow(): { allocate: (n: number) => Buffer; release: () => void } | null {
    if (this.leased) return null;
    this.leased = true;
    return {
      allocate: (n) => {
        this.reserve(PACKET + n + PACKET_SLACK);
        return Buffer.from(this.memory.buffer, PACKET, n);
      },
      release: () => {
        this.leased = false;
      },
    };
  }

  /** The programs of `sc`, compiled on first use; null when it stays on the JS decoder. */
  private stream(tc: TraceClass, sc: StreamClass): StreamProgram | null {
    const known = this.streams.get(sc);
    if (known !== undefined) return known;
    if (this.owner === null && this.top === PROGRAMS) {
      this.adopt(tc);
      const loaded = this.streams.get(sc);
      if (loaded !== undefined) return loaded;
    } else if (tc !== this.owner) this.ownerOnly = false;
    let prog: StreamProgram | null = null;
    try {
      const out = new ProgramWords(this.top);
      prog = compileStreamHead(tc, sc, out);
      this.store(out);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
    }
    this.streams.set(sc, prog);
    return prog;
  }

  /** Compiles event class `id` into the table of `prog`; false when the JS decoder must take it. */
  private addEventClass(sc: StreamClass, prog: StreamProgram, id: number): boolean {
    const ec = sc.eventClasses.get(id);
    if (!ec) return false;
    try {
      const out = new ProgramWords(this.top);
      const pc = compileEventClass(ec, prog, out);
      this.store(out);
      this.i32[(prog.tableAddr >> 2) + id] = pc;
      return true;
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      // one class the tier cannot count: the whole stream class goes to the JS decoder
      this.streams.set(sc, null);
      this.added = true;
      return false;
    }
  }

  private store(out: ProgramWords): void {
    if (out.here > PROGRAMS_END) throw new Unsupported('program area full');
    this.i32.set(out.words, out.base >> 2);
    this.top = out.here;
    this.added = true;
  }

  /** Makes `tc` the owner of the program area, with the programs cached for its model. */
  private adopt(tc: TraceClass): void {
    this.owner = tc;
    const snap = tc.modelKey === undefined ? null : loadPrograms(tc.modelKey);
    if (snap === null || PROGRAMS + snap.words.length * 4 > PROGRAMS_END) return;
    this.i32.set(snap.words, PROGRAMS >> 2);
    this.top = PROGRAMS + snap.words.length * 4;
    for (const [id, prog] of snap.streams) {
      const sc = tc.streamClasses.get(id);
      if (sc) {
        this.streams.set(sc, prog);
        this.streamsFromCache++;
      }
    }
  }

  /** Stores the owner's programs in the program cache when counting added some. */
  savePrograms(): void {
    const tc = this.owner;
    if (tc === null || tc.modelKey === undefined || !this.added || !this.ownerOnly) return;
    const streams: Array<[number, StreamProgram | null]> = [];
    for (const sc of tc.streamClasses.values()) {
      const prog = this.streams.get(sc);
      if (prog !== undefined) streams.push([sc.id, prog]);
    }
    storePrograms(tc.modelKey, { words: this.i32.slice(PROGRAMS >> 2, this.top >> 2), streams });
    this.added = false;
  }

  /** A stored value from the JS decoder (number, bigint or boolean) as an i64. */
  private setStored(slot: number, v: number | bigint | boolean): void {
    let lo: number;
    let hi: number;
    if (typeof v === 'number') {
      hi = Math.floor(v / TWO32);
      lo = v - hi * TWO32;
    } else if (typeof v === 'bigint') {
      const u = BigInt.asUintN(64, v);
      hi = Number(u >> 32n);
      lo = Number(u & 0xffffffffn);
    } else {
      hi = 0;
      lo = v ? 1 : 0;
    }
    const at = (REGS >> 2) + slot * 2;
    this.i32[at] = lo | 0;
    this.i32[at + 1] = hi | 0;
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.i32 = new Int32Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
    this.u8 = new Uint8Array(this.memory.buffer);
  }
}
