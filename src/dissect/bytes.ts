/**
 * Big-endian reads and address formatting shared by the dissectors. Readers never check
 * bounds themselves: every caller checks its captured length first (that is the
 * dissector's job, and it knows what "too short" means for its layer).
 */

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

/** Dotted quad of the 4 bytes at `b[p]`. */
export function formatIpv4At(b: Uint8Array, p: number): string {
  return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
}

/** Text of the IPv4 (`family` 4) or IPv6 (6) address at `b[p]`. */
export function formatIpAt(family: number, b: Uint8Array, p: number): string {
  return family === 4 ? formatIpv4At(b, p) : formatIpv6At(b, p);
}

/**
 * RFC 5952 text of the 16 bytes at `b[p]`, exactly as glibc's inet_ntop (which is what
 * tshark prints): the longest run of two or more zero groups becomes `::` (the first on a
 * tie), and IPv4-compatible / IPv4-mapped addresses end in a dotted quad.
 */
export function formatIpv6At(b: Uint8Array, p: number): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (b[p + 2 * i]! << 8) | b[p + 2 * i + 1]!;
  let bestBase = -1,
    bestLen = 0,
    curBase = -1,
    curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += formatIpv4At(b, p + 12);
      break;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
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
