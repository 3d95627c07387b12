/**
 * pcapng timestamps are 64-bit tick counts (two 32-bit words) in a per-interface unit.
 * Converting them per packet with BigInt is slow, so the common units (µs, ns) take an
 * exact double-arithmetic path; every other unit goes through BigInt with the same
 * 64-bit wrap-around Wireshark's reader has, so both tools agree on odd files too.
 */

const TWO32 = 4294967296;
const U64 = (1n << 64n) - 1n;

/** Converts ticks to (seconds, nanoseconds) for one interface. Results land in `sec`/`nsec`. */
export class TickConverter {
  sec = 0;
  nsec = 0;
  private readonly units: number;
  private readonly offset: number;

  constructor(
    readonly unitsPerSecond: bigint,
    readonly tsOffset: bigint,
  ) {
    this.units = unitsPerSecond === 1_000_000n ? 1e6 : unitsPerSecond === 1_000_000_000n ? 1e9 : 0;
    this.offset = Number(tsOffset);
  }

  convert(hi: number, lo: number): void {
    if (this.units === 1e6 && hi < 0x200000) {
      const v = hi * TWO32 + lo; // < 2^53: exact
      const s = Math.floor(v / 1e6);
      this.sec = s + this.offset;
      this.nsec = (v - s * 1e6) * 1000;
      return;
    }
    if (this.units === 1e9 && hi < 0x40000000) {
      // hi * 2^32 is exact (≤ 32 significant bits shifted); so is s * 1e9 for s < 2^32,
      // and the subtraction of two doubles within a factor of two of each other is exact.
      const big = hi * TWO32;
      let s = Math.floor(big / 1e9 + lo / 1e9);
      let r = big - s * 1e9 + lo;
      while (r < 0) {
        s -= 1;
        r += 1e9;
      }
      while (r >= 1e9) {
        s += 1;
        r -= 1e9;
      }
      this.sec = s + this.offset;
      this.nsec = r;
      return;
    }
    const ticks = (BigInt(hi) << 32n) | BigInt(lo);
    const ups = this.unitsPerSecond;
    const s = ticks / ups;
    const ns = (BigInt.asUintN(64, (ticks % ups) * 1_000_000_000n) & U64) / ups;
    this.sec = Number(s) + this.offset;
    this.nsec = Number(ns);
  }
}

/** Ticks per second for an if_tsresol byte (bit 7: power of two, else power of ten). */
export function unitsPerSecondFor(tsresol: number): bigint {
  const exp = BigInt(tsresol & 0x7f);
  if (tsresol & 0x80) return exp < 64n ? 1n << exp : U64;
  return exp < 20n ? 10n ** exp : U64;
}

/**
 * Splits a time (whole seconds since the epoch + nanoseconds) into the (high, low) tick
 * words of a unit and offset, rounding down; times before the offset wrap like a uint64.
 */
export function ticksOf(sec: number, nsec: number, unitsPerSecond: bigint, tsOffset: bigint): { hi: number; lo: number } {
  const ticks = BigInt.asUintN(64, (BigInt(sec) - tsOffset) * unitsPerSecond + (BigInt(nsec) * unitsPerSecond) / 1_000_000_000n);
  return { hi: Number(ticks >> 32n), lo: Number(ticks & 0xffffffffn) };
}
