/**
 * Ethernet addresses named as Wireshark names them in its Source and Destination columns
 * (`CIMSYS_33:44:55`, `IPv4mcast_fb`, `Spanning-tree-(for-bridges)_00`, `Broadcast`),
 * from Wireshark's own name files when they are installed: `manuf` and `wka` in its data
 * directory ($WIRESHARK_DATA_DIR, else /usr/share/wireshark), and `ethers` (/etc/ethers,
 * then ~/.config/wireshark/ethers). Without them an address prints as hex, except the
 * broadcast address.
 *
 * The lookup is Wireshark 4.0's (epan/addr_resolv.c), checked against tshark on thousands
 * of addresses drawn from both files (test/packets/mac-names.test.ts):
 * 1. a whole-address entry (6 bytes in manuf/wka, then the ethers files) gives its name;
 * 2. entries written with a mask (`01-00-5E/25`, `00:1B:C5:00:00:00/36`, even `/24`) sit in
 *    one table keyed by their address alone; the address is masked to 47, 46, … 24 bits in
 *    turn and the first masked address found in that table wins, followed by the bytes
 *    below the mask that was tried (so `01:00:5e:00:00:fb` is `IPv4mcast_fb`, found at 40
 *    bits, and `01:00:5e:7f:00:fb` is `IPv4mcast_7f:00:fb`, found at 25);
 * 3. then the 3-byte entries (OUIs): the first three bytes, and again with the group bit
 *    cleared, followed by the last three bytes;
 * 4. then the masked table for 23 … 1 bits.
 * Later lines replace earlier ones, and wka is read after manuf.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatMac } from './bytes.js';

interface NameTables {
  exact: Map<number, string>;
  /** Masked entries by their (masked) address. */
  masked: Map<number, string>;
  /** 3-byte entries by their 24-bit prefix. */
  oui: Map<number, string>;
}

const TWO24 = 2 ** 24;
let tables: NameTables | null = null;
const resolved = new Map<number, string>();

/** The name of the Ethernet address at `b[p]`, as in tshark's address columns. */
export function macName(b: Uint8Array, p: number): string {
  const addr = (b[p]! * 2 ** 40) + (b[p + 1]! * 2 ** 32) + ((b[p + 2]! << 24) >>> 0) + (b[p + 3]! << 16) + (b[p + 4]! << 8) + b[p + 5]!;
  let name = resolved.get(addr);
  if (name === undefined) {
    name = resolve(addr) ?? formatMac(b, p);
    resolved.set(addr, name);
  }
  return name;
}

function resolve(addr: number): string | null {
  const t = (tables ??= loadTables());
  const exact = t.exact.get(addr);
  if (exact !== undefined) return exact;
  for (let bits = 47; bits >= 24; bits--) {
    const hit = maskedName(t, addr, bits);
    if (hit !== null) return hit;
  }
  const hi = Math.floor(addr / TWO24);
  const oui = t.oui.get(hi) ?? t.oui.get(hi - (Math.floor(hi / 2 ** 16) & 1) * 2 ** 16);
  if (oui !== undefined) return `${oui}_${hexBytes(addr % TWO24, 3)}`;
  for (let bits = 23; bits >= 1; bits--) {
    const hit = maskedName(t, addr, bits);
    if (hit !== null) return hit;
  }
  return null;
}

/** `name_` + the bytes from the one the mask ends in, when the address masked to `bits` is an entry. */
function maskedName(t: NameTables, addr: number, bits: number): string | null {
  const unit = 2 ** (48 - bits);
  const name = t.masked.get(Math.floor(addr / unit) * unit);
  if (name === undefined) return null;
  const bytes = 6 - Math.floor(bits / 8);
  return `${name}_${hexBytes(addr % unit, bytes)}`;
}

function hexBytes(v: number, n: number): string {
  let s = '';
  for (let i = n - 1; i >= 0; i--) s += (s ? ':' : '') + (Math.floor(v / 2 ** (8 * i)) % 256).toString(16).padStart(2, '0');
  return s;
}

function loadTables(): NameTables {
  const t: NameTables = { exact: new Map(), masked: new Map(), oui: new Map() };
  const dataDir = process.env.WIRESHARK_DATA_DIR || '/usr/share/wireshark';
  for (const file of [join(dataDir, 'manuf'), join(dataDir, 'wka')]) readNameFile(file, t, false);
  const ethers = new Map<number, string>();
  // the personal file is searched first, so it is read last here (later lines win)
  const home = process.env.HOME || homedir();
  for (const file of ['/etc/ethers', join(process.env.XDG_CONFIG_HOME || join(home, '.config'), 'wireshark', 'ethers')]) readNameFile(file, { ...t, exact: ethers }, true);
  for (const [a, n] of ethers) if (!t.exact.has(a)) t.exact.set(a, n);
  if (!t.exact.has(2 ** 48 - 1)) t.exact.set(2 ** 48 - 1, 'Broadcast');
  return t;
}

/** Adds the entries of one name file (missing or unreadable: none). `exactOnly`: ethers. */
function readNameFile(file: string, t: NameTables, exactOnly: boolean): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  // hand-parsed (manuf has 50,000 lines): ADDRESS[/BITS] whitespace NAME [whitespace ...] [# comment]
  const n = text.length;
  let i = 0;
  while (i < n) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = n;
    let p = i;
    i = end + 1;
    while (p < end && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    let addr = 0;
    let parts = 0;
    for (;;) {
      const h1 = hexDigit(text.charCodeAt(p));
      if (h1 < 0) break;
      const h2 = hexDigit(text.charCodeAt(p + 1));
      addr = addr * 256 + (h2 < 0 ? h1 : h1 * 16 + h2);
      p += h2 < 0 ? 1 : 2;
      parts++;
      const sep = text.charCodeAt(p);
      if (parts === 6 || (sep !== 58 && sep !== 45 && sep !== 46)) break; // : - .
      p++;
    }
    if (parts < 3) continue;
    for (let k = parts; k < 6; k++) addr *= 256;
    let bits = -1;
    if (text.charCodeAt(p) === 47) {
      // '/'
      bits = 0;
      p++;
      while (p < end && text.charCodeAt(p) >= 48 && text.charCodeAt(p) <= 57) bits = bits * 10 + text.charCodeAt(p++) - 48;
    }
    const gap = p;
    while (p < end && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    if (p === gap || p >= end || text.charCodeAt(p) === 35) continue; // no name
    let q = p;
    while (q < end && text.charCodeAt(q) > 32 && text.charCodeAt(q) !== 35) q++;
    const name = text.slice(p, q);
    if (bits >= 0) {
      if (!exactOnly && bits > 0 && bits <= 48) t.masked.set(addr, name);
    } else if (parts === 6) t.exact.set(addr, name);
    else if (!exactOnly && parts === 3) t.oui.set(Math.floor(addr / TWO24), name);
    else if (!exactOnly) t.masked.set(addr, name);
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
