/**
 * Socket addresses of kernel events in the capture's words: the correlation compares them
 * with frames, so addresses are printed exactly as the dissectors (and tshark) print them,
 * and an IPv4-mapped IPv6 address (a dual-stack socket carrying IPv4) is its IPv4 address —
 * the frames on the wire are IPv4. (The kernel analysis's fd tables print `ss`-style text
 * instead: src/analysis/fds/addresses.ts.)
 */
import { formatIpv6At } from '../../dissect/bytes.js';
import type { FieldValue } from '../../model/trace-event.js';
import type { Endpoint } from './types.js';

const AF_INET = 2;
const AF_INET6 = 10;

/** Byte `i` of an integer-array field (arrays of numbers, or of bigints in odd traces). */
function byteAt(a: readonly FieldValue[], i: number): number {
  const v = a[i];
  return typeof v === 'number' ? v & 0xff : typeof v === 'bigint' ? Number(v & 0xffn) : 0;
}

function ipv4At(a: readonly FieldValue[], at: number): string {
  return `${byteAt(a, at)}.${byteAt(a, at + 1)}.${byteAt(a, at + 2)}.${byteAt(a, at + 3)}`;
}

/** True when the 16 bytes at `at` are ::ffff:a.b.c.d. */
function v4Mapped(a: readonly FieldValue[], at: number): boolean {
  for (let i = 0; i < 10; i++) if (byteAt(a, at + i) !== 0) return false;
  return byteAt(a, at + 10) === 0xff && byteAt(a, at + 11) === 0xff;
}

function ipv6At(a: readonly FieldValue[], at: number): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = byteAt(a, at + i);
  return formatIpv6At(b, 0);
}

/**
 * An address from `saddr`/`saddr_v6`-style fields (4 and 16 bytes), v4-mapped IPv6 shown
 * as IPv4; null when the family or the field's size does not fit.
 */
export function addressFromFields(family: number, v4: FieldValue | undefined, v6: FieldValue | undefined): string | null {
  if (family === AF_INET) return Array.isArray(v4) && v4.length === 4 ? ipv4At(v4, 0) : null;
  if (family === AF_INET6) {
    if (!Array.isArray(v6) || v6.length < 16) return null;
    return v4Mapped(v6, 0) ? ipv4At(v6, 12) : ipv6At(v6, 0);
  }
  return null;
}

/** A `struct sockaddr_in/in6` stored as bytes (tcp_probe, tcp_send_reset): address and port. */
export function sockaddrFromBytes(v: FieldValue | undefined): Endpoint | null {
  if (!Array.isArray(v) || v.length < 8) return null;
  const family = byteAt(v, 0) | (byteAt(v, 1) << 8);
  const port = (byteAt(v, 2) << 8) | byteAt(v, 3);
  if (family === AF_INET) return { addr: ipv4At(v, 4), port };
  if (family === AF_INET6 && v.length >= 24) return { addr: v4Mapped(v, 8) ? ipv4At(v, 20) : ipv6At(v, 8), port };
  return null;
}

/** `10.0.0.1:5000`, `[fd00::1]:80`, or `?`. */
export function endpointText(e: Endpoint | null): string {
  if (!e) return '?';
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

/** A map key for a local → remote 4-tuple. */
export function tupleKey(local: Endpoint, remote: Endpoint): string {
  return `${local.addr}|${local.port}|${remote.addr}|${remote.port}`;
}
