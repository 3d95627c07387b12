/**
 * Socket addresses of kernel events in the capture's words: the correlation compares them
 * with frames, so an IPv4-mapped IPv6 address (a dual-stack socket carrying IPv4) is its
 * IPv4 address — the frames on the wire are IPv4. The events' address fields are read by
 * the fd tables' parser (src/analysis/fds/addresses.ts, `ss`-style text); this turns its
 * endpoints into the capture's.
 */
import type { Endpoint as FdEndpoint } from '../fds/addresses.js';
import type { Endpoint } from './types.js';

/** An endpoint as the capture shows it: `::ffff:a.b.c.d` is `a.b.c.d`. */
export function captureEndpoint(e: FdEndpoint | null): Endpoint | null {
  if (!e) return null;
  const a = e.address;
  return { addr: a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a, port: e.port };
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
