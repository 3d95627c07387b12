/**
 * Printable IP addresses from raw bytes, for every layer that meets them (packet
 * dissectors, the capture readers' name-resolution records, kernel socket addresses).
 */

/** Dotted quad of the 4 bytes at `b[p]`. */
export function formatIpv4At(b: Uint8Array, p: number): string {
  return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
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
