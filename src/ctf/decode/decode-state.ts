/**
 * The mutable state one stream's generated decoders share while decoding a packet: the
 * packet bytes, the bit cursor, the stream's default clock value, stored values for
 * sequence lengths/variant tags, and what the packet header/context said. One object per
 * stream, with every property initialised up front so V8 keeps a single hidden class.
 */
import type { FieldMap } from '../../model/trace-event.js';

/**
 * V8 gives each field of an object a representation (small integer, double, any value)
 * from the values stored so far, and when a later value does not fit it changes the
 * object's hidden class, which discards the optimised code that depends on it. Clock
 * values, 64-bit counters and file offsets are small integers at first and doubles or
 * bigints later, mid-trace: these fields get their most general representation at once.
 */
export function generalizeFields(o: object, doubles: readonly string[] = DOUBLE_FIELDS, tagged: readonly string[] = TAGGED_FIELDS): void {
  const fields = o as Record<string, unknown>;
  for (const f of doubles) {
    const v = fields[f];
    fields[f] = 0.5;
    fields[f] = v;
  }
  for (const f of tagged) {
    const v = fields[f];
    fields[f] = 0n;
    fields[f] = v;
  }
}

const DOUBLE_FIELDS = ['cycHi', 'cycLo', 'evCycHi', 'evCycLo', 'packetOffset', 'magic'];
const TAGGED_FIELDS = ['streamInstanceId', 'packetSize', 'contentSize', 'beginTs', 'endTs', 'discarded', 'seqNum'];

export class DecodeState {
  /** Packet bytes (a view starting at the packet's first byte). */
  b: Buffer = Buffer.alloc(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  /** Bit position in the packet. */
  p = 0;
  /** End of the decodable content, in bits (content_size, or what the file holds). */
  end = 0;
  /** Stored values (lengths, tags, selectors), indexed by the field classes' storeSlot. */
  S: Array<number | bigint | boolean> = [];

  /** Default clock value = cycHi·2^32 + cycLo (split so that 64-bit clocks stay exact). */
  cycHi = 0;
  cycLo = 0;
  /** Clock value of the current event (taken after its header). */
  evCycHi = 0;
  evCycLo = 0;

  /** Event class id from the event header (-1 when the header has none). */
  id = -1;
  /** Merged common context of the current event. */
  ctx: FieldMap | null = null;

  /** Data stream file being decoded and the file offset of the current packet (for errors). */
  file = '';
  packetOffset = 0;
  /** The trace UUID's 16 bytes, to check packet headers against. */
  uuidBytes: Uint8Array | null = null;

  // ---- packet header / context roles (-1 = absent) ----
  magic = -1;
  uuidMismatch = -1;
  streamClassId = -1;
  streamInstanceId: number | bigint = -1;
  packetSize: number | bigint = -1;
  contentSize: number | bigint = -1;
  beginTs: number | bigint = -1;
  endTs: number | bigint = -1;
  discarded: number | bigint = -1;
  seqNum: number | bigint = -1;

  constructor(storedValueCount: number) {
    this.S = new Array<number | bigint | boolean>(storedValueCount).fill(0);
    generalizeFields(this);
  }

  /** Forgets the role values of the previous packet. */
  resetPacketRoles(): void {
    this.magic = -1;
    this.uuidMismatch = -1;
    this.streamClassId = -1;
    this.streamInstanceId = -1;
    this.packetSize = -1;
    this.contentSize = -1;
    this.beginTs = -1;
    this.endTs = -1;
    this.discarded = -1;
    this.seqNum = -1;
  }

  /** Sets the clock to a full value (number ≤ 2^53 or bigint). */
  setClock(v: number | bigint): void {
    if (typeof v === 'number') {
      this.cycHi = Math.floor(v / 4294967296);
      this.cycLo = v - this.cycHi * 4294967296;
    } else {
      this.cycHi = Number(BigInt.asUintN(64, v) >> 32n);
      this.cycLo = Number(BigInt.asUintN(64, v) & 0xffffffffn);
    }
  }

  /**
   * Updates the clock from an N-bit timestamp (CTF 1.8 §8): the low N bits are replaced,
   * and if the new low bits are smaller than the old ones the clock wrapped once.
   */
  updateClock(v: number | bigint, n: number): void {
    if (n >= 64) {
      this.setClock(v);
      return;
    }
    if (n <= 32) {
      const val = Number(v);
      const mask = n === 32 ? 0xffffffff : 2 ** n - 1;
      let lo = this.cycLo;
      const low = n === 32 ? lo : lo % (mask + 1);
      lo = lo - low + val;
      if (val < low) lo += mask + 1;
      if (lo >= 4294967296) {
        lo -= 4294967296;
        this.cycHi += 1;
      }
      this.cycLo = lo;
      return;
    }
    // 33..63 bits: exact bigint arithmetic (rare)
    const cur = (BigInt(this.cycHi) << 32n) | BigInt(this.cycLo);
    const bits = BigInt(n);
    const mask = (1n << bits) - 1n;
    const nv = BigInt(v);
    let next = (cur & ~mask) | nv;
    if (nv < (cur & mask)) next += 1n << bits;
    this.setClock(BigInt.asUintN(64, next));
  }
}
