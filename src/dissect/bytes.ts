/**
 * Big-endian reads and address formatting shared by the dissectors. Readers never check
 * bounds themselves: every caller checks its captured length first (that is the
 * dissector's job, and it knows what "too short" means for its layer).
 */
import { formatIpv4At, formatIpv6At } from '../base/ip-text.js';

/** The byte-level IP formatters live in base (the capture readers use them too). */
export { formatIpv4At, formatIpv6At };

export function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

export function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Dotted quad of a 32-bit IPv4 address held in a number. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Text of the IPv4 (`family` 4) or IPv6 (6) address at `b[p]`. */
export function formatIpAt(family: number, b: Uint8Array, p: number): string {
  return family === 4 ? formatIpv4At(b, p) : formatIpv6At(b, p);
}

/** `aa:bb:cc:dd:ee:ff` of the 6 bytes at `b[p]`. */
export function formatMac(b: Uint8Array, p: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + b[p + i]!.toString(16).padStart(2, '0');
  return s;
}

/** Parses a dotted quad into a 32-bit number, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Parses IPv6 text (with `::` and an optional dotted-quad tail) into 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let t = text;
  let tail: number[] = [];
  const v4 = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(t);
  if (v4) {
    const n = parseIpv4(v4[2]!);
    if (n === undefined) return undefined;
    tail = [n >>> 16, n & 0xffff];
    t = v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1);
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const words = halves.length === 2 ? [...head, ...new Array<number>(8 - head.length - rest.length - tail.length).fill(0), ...rest, ...tail] : [...head, ...tail];
  if (words.length !== 8 || (halves.length === 2 && head.length + rest.length + tail.length > 7)) return undefined;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
