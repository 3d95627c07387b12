/**
 * Slow-path readers used by the generated decoders for fields that are not byte-aligned
 * 8/16/32/64-bit values: bit fields at any bit offset, sizes up to 64 bits, both byte
 * orders (CTF 1.8 §4.1.5: little-endian fields fill bytes from their least significant
 * bit, big-endian ones from their most significant bit). Values beyond 2^53 are bigints.
 */

const TWO32 = 4294967296;

/** Unsigned little-endian bit field of `size` ≤ 53 bits at bit position `p`. */
export function readUintLE(b: Uint8Array, p: number, size: number): number {
  let i = Math.floor(p / 8);
  const ph = p % 8;
  let remaining = size;
  const take = Math.min(8 - ph, remaining);
  let result = (b[i]! >>> ph) & ((1 << take) - 1);
  let mult = 2 ** take;
  remaining -= take;
  i++;
  while (remaining >= 8) {
    result += b[i++]! * mult;
    mult *= 256;
    remaining -= 8;
  }
  if (remaining > 0) result += (b[i]! & ((1 << remaining) - 1)) * mult;
  return result;
}

/** Unsigned big-endian bit field of `size` ≤ 53 bits at bit position `p`. */
export function readUintBE(b: Uint8Array, p: number, size: number): number {
  let i = Math.floor(p / 8);
  const ph = p % 8;
  let remaining = size;
  const avail = 8 - ph;
  const take = Math.min(avail, remaining);
  let result = (b[i]! >>> (avail - take)) & ((1 << take) - 1);
  remaining -= take;
  i++;
  while (remaining >= 8) {
    result = result * 256 + b[i++]!;
    remaining -= 8;
  }
  if (remaining > 0) result = result * 2 ** remaining + (b[i]! >>> (8 - remaining));
  return result;
}

/** Unsigned bit field of any size ≤ 64 as a bigint. */
export function readBigUint(b: Uint8Array, p: number, size: number, le: boolean): bigint {
  if (size <= 32) return BigInt(le ? readUintLE(b, p, size) : readUintBE(b, p, size));
  if (le) {
    const lo = readUintLE(b, p, 32);
    const hi = readUintLE(b, p + 32, size - 32);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  const hi = readUintBE(b, p, size - 32);
  const lo = readUintBE(b, p + size - 32, 32);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Unsigned field of any size ≤ 64: a number when ≤ 2^53, else a bigint. */
export function readUint(b: Uint8Array, p: number, size: number, le: boolean): number | bigint {
  if (size <= 53) return le ? readUintLE(b, p, size) : readUintBE(b, p, size);
  return normalise(readBigUint(b, p, size, le));
}

/** Signed (two's complement) field of any size ≤ 64: a number when |v| ≤ 2^53, else a bigint. */
export function readInt(b: Uint8Array, p: number, size: number, le: boolean): number | bigint {
  if (size <= 32) {
    const u = le ? readUintLE(b, p, size) : readUintBE(b, p, size);
    return u >= 2 ** (size - 1) ? u - 2 ** size : u;
  }
  const u = readBigUint(b, p, size, le);
  return normalise(BigInt.asIntN(size, u));
}

/** A 64-bit value from two 32-bit halves: a number when ≤ 2^53, else a bigint. */
export function u64(hi: number, lo: number): number | bigint {
  if (hi < 0x200000 || (hi === 0x200000 && lo === 0)) return hi * TWO32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** A signed 64-bit value from a signed high half and an unsigned low half. */
export function s64(hi: number, lo: number): number | bigint {
  if (hi >= -0x200000 && (hi < 0x200000 || (hi === 0x200000 && lo === 0))) return hi * TWO32 + lo;
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

function normalise(v: bigint): number | bigint {
  return v >= -9007199254740992n && v <= 9007199254740992n ? Number(v) : v;
}

const f32 = new DataView(new ArrayBuffer(8));

/** IEEE 754 value from a bit field that is not byte-aligned. */
export function readFloat(b: Uint8Array, p: number, size: 32 | 64, le: boolean): number {
  if (size === 32) {
    f32.setUint32(0, le ? readUintLE(b, p, 32) : readUintBE(b, p, 32));
    return f32.getFloat32(0);
  }
  const v = readBigUint(b, p, 64, le);
  f32.setBigUint64(0, v);
  return f32.getFloat64(0);
}

/**
 * LEB128 variable-length integer (CTF 2) at byte offset `i`; returns the value and sets
 * `out.next` to the byte after it. Throws RangeError when it runs past `limit` or 64 bits.
 */
export function readLeb128(b: Uint8Array, i: number, limit: number, signed: boolean, out: { next: number }): number | bigint {
  let result = 0;
  let shift = 0;
  let big: bigint | null = null;
  let byte: number;
  do {
    if (i >= limit) throw new RangeError('variable-length integer runs past the packet content');
    byte = b[i++]!;
    if (shift >= 70) throw new RangeError('variable-length integer longer than 10 bytes');
    if (big === null && shift <= 45) result += (byte & 0x7f) * 2 ** shift;
    else {
      if (big === null) big = BigInt(result);
      big |= BigInt(byte & 0x7f) << BigInt(shift);
    }
    shift += 7;
  } while (byte & 0x80);
  out.next = i;
  if (big === null) {
    if (signed && byte & 0x40) return result - 2 ** shift;
    return result;
  }
  if (signed && byte & 0x40) big -= 1n << BigInt(shift);
  return normalise(signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big));
}
