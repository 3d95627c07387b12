/**
 * A bit-level writer for building CTF test packets: fields of any size and alignment,
 * little- or big-endian (CTF bit-field rules: LE fills each byte from its least
 * significant bit, BE from its most significant bit), strings, raw bytes, LEB128.
 * Written independently of the reader so that fixtures test it rather than mirror it.
 */
export class BitWriter {
  private bytes: number[] = [];
  /** Current position in bits. */
  pos = 0;

  align(bits: number): void {
    while (this.pos % bits !== 0) this.bit(0, 'le');
  }

  private bit(v: number, order: 'le' | 'be'): void {
    const byte = Math.floor(this.pos / 8);
    while (this.bytes.length <= byte) this.bytes.push(0);
    const inByte = this.pos % 8;
    const shift = order === 'le' ? inByte : 7 - inByte;
    if (v) this.bytes[byte]! |= 1 << shift;
    this.pos++;
  }

  /** Writes `value` on `size` bits (two's complement for negatives), after aligning to `align`. */
  uint(value: number | bigint, size: number, order: 'le' | 'be' = 'le', align = size % 8 === 0 ? 8 : 1): this {
    this.align(align);
    let v = BigInt.asUintN(size, BigInt(value));
    if (order === 'le') {
      for (let i = 0; i < size; i++) {
        this.bit(Number(v & 1n), 'le');
        v >>= 1n;
      }
    } else {
      for (let i = size - 1; i >= 0; i--) this.bit(Number((v >> BigInt(i)) & 1n), 'be');
    }
    return this;
  }

  f64(v: number, order: 'le' | 'be' = 'le'): this {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v, order === 'le');
    return this.uint(dv.getBigUint64(0, order === 'le'), 64, order, 8);
  }

  f32(v: number, order: 'le' | 'be' = 'le'): this {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, v, order === 'le');
    return this.uint(dv.getUint32(0, order === 'le'), 32, order, 8);
  }

  raw(data: Uint8Array | number[]): this {
    this.align(8);
    for (const b of data) this.uint(b, 8);
    return this;
  }

  cstring(s: string): this {
    return this.raw([...Buffer.from(s, 'utf8'), 0]);
  }

  leb128(value: number | bigint, signed: boolean): this {
    this.align(8);
    let v = BigInt(value);
    for (;;) {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      const done = signed ? (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0) : v === 0n;
      if (!done) byte |= 0x80;
      this.uint(byte, 8);
      if (done) return this;
    }
  }

  /** Overwrites the `size`-bit little/big-endian field at bit `at` (byte-aligned fields only). */
  patch(at: number, value: number | bigint, size: number, order: 'le' | 'be' = 'le'): void {
    const saved = this.pos;
    const savedBytes = this.bytes;
    this.pos = at;
    for (let i = 0; i < size / 8; i++) this.bytes[at / 8 + i] = 0;
    this.uint(value, size, order, 8);
    this.pos = saved;
    this.bytes = savedBytes;
  }

  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}
