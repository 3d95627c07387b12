/**
 * A growable little-endian byte buffer: the packet under construction. One DataView over
 * one ArrayBuffer; grows by doubling, so appending an event costs no allocation.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far (the next write position). */
  length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** The written bytes (a view; valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Drops everything after `length` bytes (to rewind a partly written record). */
  truncate(length: number): void {
    this.length = Math.min(length, this.length);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u16be(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, false);
    this.length += 2;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  u32be(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, false);
    this.length += 4;
  }

  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }

  /** 64-bit integer from a bigint (two's complement for negatives). */
  u64(v: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), true);
    this.length += 8;
  }

  /** 64-bit integer from a safe JS number (sign-extended for negatives). */
  u64n(v: number): void {
    this.reserve(8);
    this.view.setUint32(this.length, v >>> 0, true);
    this.view.setUint32(this.length + 4, Math.floor(v / 4294967296) >>> 0, true);
    this.length += 8;
  }

  /** Copies `len` bytes of `src` from `offset`. */
  copy(src: Uint8Array, offset: number, len: number): void {
    this.reserve(len);
    const buf = this.buf;
    let at = this.length;
    if (len <= 32) {
      // Most fields are a few bytes: a loop beats creating a subarray view per field.
      for (let i = 0; i < len; i++) buf[at++] = src[offset + i]!;
    } else {
      buf.set(src.subarray(offset, offset + len), at);
    }
    this.length += len;
  }

  /** Appends `bytes` as they are (pre-encoded fixed-size fields). */
  raw(bytes: Uint8Array): void {
    this.copy(bytes, 0, bytes.length);
  }

  /** `n` zero bytes. */
  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }

  /** The bytes of `src[offset, offset+max)` up to the first NUL, then one NUL. */
  cString(src: Uint8Array, offset: number, max: number): void {
    let end = offset;
    const limit = Math.min(src.length, offset + max);
    while (end < limit && src[end] !== 0) end++;
    this.copy(src, offset, end - offset);
    this.u8(0);
  }

  /** A JS string as UTF-8 plus NUL (for synthetic events; strings must not contain NUL). */
  text(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const nul = b.indexOf(0);
    this.copy(b, 0, nul < 0 ? b.length : nul);
    this.u8(0);
  }

  /** A JS string in a fixed `size`-byte NUL-padded field (truncated to size-1 bytes). */
  fixedText(s: string, size: number): void {
    const b = Buffer.from(s, 'utf8');
    const n = Math.min(b.length, size - 1);
    this.copy(b, 0, n);
    this.zeros(size - n);
  }

  /** Patches a little-endian u64 at `at` (for headers written after their packet). */
  patchU64(at: number, v: bigint): void {
    this.view.setBigUint64(at, BigInt.asUintN(64, v), true);
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
}
