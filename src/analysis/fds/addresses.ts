/**
 * Socket addresses as the kernel events carry them, and their printable forms
 * (`127.0.0.1:5000`, `[::1]:5000`, like ss and Wireshark).
 *
 * Encodings met:
 * - ftrace `sock`/`tcp` events and tracewire's state dump: `family` 2/10, `sport`/`dport`
 *   in host order, `saddr`/`daddr` as 4 bytes and `saddr_v6`/`daddr_v6` as 16 bytes;
 * - `tcp_probe`, `tcp_send_reset`: a 28-byte `struct sockaddr_in6` / `sockaddr_in` copy
 *   (family little-endian, port and address in network order);
 * - LTTng's connect/accept system call fields: `family`, `dport`/`sport`, `v4addr` as 4
 *   bytes and `v6addr` as 8 16-bit words, all already in numeric order.
 */
import { formatIpv6At } from '../../base/ip-text.js';

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

/** One end of a socket. */
export interface Endpoint {
  readonly family: number;
  /** Dotted IPv4 or RFC 5952 IPv6 text. */
  readonly address: string;
  readonly port: number;
}

/** `127.0.0.1:5000` or `[::1]:5000`. */
export function formatEndpoint(e: Endpoint): string {
  return e.family === AF_INET6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function formatIpv4(b: ArrayLike<number>, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * RFC 5952 text of the 16 address bytes at `at`, as the dissectors print it; an
 * IPv4-mapped address (::ffff:a.b.c.d) prints its IPv4 part dotted, as ss does.
 */
function formatIpv6Bytes(b: ArrayLike<number>, at = 0): string {
  let mapped = b[at + 10] === 0xff && b[at + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = b[at + i] === 0;
  if (mapped) return `::ffff:${formatIpv4(b, at + 12)}`;
  return formatIpv6At(Uint8Array.from({ length: 16 }, (_, i) => b[at + i]!), 0);
}

/** The same for 8 16-bit groups (LTTng's `v6addr`). */
function formatIpv6Words(w: readonly number[]): string {
  return formatIpv6Bytes(w.flatMap((x) => [(x >> 8) & 0xff, x & 0xff]));
}

function bytesOf(v: unknown): number[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;
}

/**
 * The local and remote endpoints of a socket event in the ftrace field layout
 * (`family`, `sport`, `dport`, `saddr`, `daddr`, `saddr_v6`, `daddr_v6`), or null when the
 * event has no address fields.
 */
export function eventEndpoints(p: Readonly<Record<string, unknown>>): { local: Endpoint; remote: Endpoint } | null {
  const family = p.family;
  const sport = p.sport;
  const dport = p.dport;
  if (typeof family !== 'number' || typeof sport !== 'number' || typeof dport !== 'number') return null;
  if (family === AF_INET) {
    const s = bytesOf(p.saddr);
    const d = bytesOf(p.daddr);
    // tcp_probe-style events carry whole sockaddrs in saddr/daddr: not this layout
    if (!s || !d || s.length !== 4 || d.length !== 4) return null;
    return { local: { family, address: formatIpv4(s), port: sport }, remote: { family, address: formatIpv4(d), port: dport } };
  }
  if (family === AF_INET6) {
    const s = bytesOf(p.saddr_v6);
    const d = bytesOf(p.daddr_v6);
    if (!s || !d || s.length !== 16 || d.length !== 16) return null;
    return { local: { family, address: formatIpv6Bytes(s), port: sport }, remote: { family, address: formatIpv6Bytes(d), port: dport } };
  }
  return null;
}

/** A 28-byte kernel sockaddr copy (tcp_probe's `saddr`/`daddr`), or null. */
export function sockaddrEndpoint(v: unknown): Endpoint | null {
  const b = bytesOf(v);
  if (!b || b.length < 16) return null;
  const family = b[0]! | (b[1]! << 8);
  const port = (b[2]! << 8) | b[3]!;
  if (family === AF_INET) return { family, address: formatIpv4(b, 4), port };
  if (family === AF_INET6 && b.length >= 24) return { family, address: formatIpv6Bytes(b, 8), port };
  return null;
}

/** LTTng's connect/accept fields (`family`, `dport` or `sport`, `v4addr`, `v6addr`), or null. */
export function lttngSyscallEndpoint(p: Readonly<Record<string, unknown>>, portField: 'dport' | 'sport'): Endpoint | null {
  const family = p.family;
  const port = p[portField];
  if (typeof family !== 'number' || typeof port !== 'number') return null;
  if (family === AF_INET) {
    const a = bytesOf(p.v4addr);
    if (!a || a.length !== 4) return null;
    return { family, address: formatIpv4(a), port };
  }
  if (family === AF_INET6) {
    const a = bytesOf(p.v6addr);
    if (!a || a.length !== 8) return null;
    return { family, address: formatIpv6Words(a), port };
  }
  return null;
}

/** True for 0.0.0.0 / :: (a wildcard bind). */
export function isWildcard(e: Endpoint): boolean {
  return e.address === '0.0.0.0' || e.address === '::';
}

/** Family names for output. */
export function familyName(family: number): string {
  switch (family) {
    case AF_UNIX:
      return 'unix';
    case AF_INET:
      return 'inet';
    case AF_INET6:
      return 'inet6';
    case AF_NETLINK:
      return 'netlink';
    case -1:
      return 'unknown';
    default:
      return `family ${family}`;
  }
}
