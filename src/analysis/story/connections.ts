/**
 * The connections a dataset holds — from the kernel's sockets (4-tuples, owners) and the
 * capture's TCP streams — and which one a story is about: the one the user named
 * (`--conn`, `--port`, `--pid`), else the most interesting one (a handshake, data both
 * ways and a teardown seen, an accept in the trace, packets captured).
 */
import { UsageError } from '../../base/errors.js';
import type { DatasetFrame } from '../../bundle/types.js';
import type { DatasetAnalysis } from '../correlate/index.js';
import { endpointText } from '../correlate/endpoints.js';
import type { Endpoint, SocketRecord } from '../correlate/types.js';
import type { ConnectionRef, StoryFilter } from './types.js';

const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;

/** A connection with the material the story needs. */
export interface ConnectionInfo {
  ref: ConnectionRef;
  /** Sockets of both ends (and the listener the server end came from). */
  readonly sockets: SocketRecord[];
  /** Frames of the connection, all captures. */
  readonly frames: number[];
}

function canonical(a: Endpoint, b: Endpoint): string {
  const ka = endpointText(a);
  const kb = endpointText(b);
  return ka < kb ? `${ka}-${kb}` : `${kb}-${ka}`;
}

/** Parses `A:P-B:P` (IPv6 in brackets: `[::1]:80-[::1]:5000`). */
export function parseConnArg(text: string): [Endpoint, Endpoint] {
  const ep = '(\\[[^\\]]+\\]|[^\\s:\\-\\[\\]]+):(\\d+)';
  const m = new RegExp(`^${ep}-${ep}$`).exec(text.trim());
  if (!m) throw new UsageError(`story: --conn needs ADDR:PORT-ADDR:PORT, got '${text}'`);
  const strip = (s: string) => s.replace(/^\[|\]$/g, '');
  return [
    { addr: strip(m[1]!), port: Number(m[2]) },
    { addr: strip(m[3]!), port: Number(m[4]) },
  ];
}

/** Every connection of the dataset, most interesting first. */
export function listConnections(a: DatasetAnalysis): ConnectionInfo[] {
  const byKey = new Map<string, ConnectionInfo>();
  const ds = a.dataset;
  const corr = a.correlation;
  const get = (key: string, protocol: string, local: Endpoint | null, remote: Endpoint | null): ConnectionInfo => {
    let c = byKey.get(key);
    if (!c) {
      c = {
        ref: { id: key, protocol, local, remote, tcpStream: null, frames: 0, processes: [], firstTs: null, lastTs: null, score: 0, summary: '' },
        sockets: [],
        frames: [],
      };
      byKey.set(key, c);
    }
    return c;
  };
  const byId = new Map(corr.sockets.map((s) => [s.id, s] as const));
  // Kernel sockets with a full 4-tuple.
  for (const s of corr.sockets) {
    if ((s.protocol === 'tcp' || s.protocol === 'udp') && s.local && s.remote && s.remote.port !== 0 && s.local.addr !== '?') {
      const c = get(`${s.protocol}:${canonical(s.local, s.remote)}`, s.protocol, s.local, s.remote);
      c.sockets.push(s);
      if (s.listener !== null) {
        const l = byId.get(s.listener);
        if (l && !c.sockets.includes(l)) c.sockets.push(l);
      }
    }
  }
  // Captured TCP/UDP conversations (a TCP stream is one 4-tuple: looked up once).
  const ofStream = new Map<number, ConnectionInfo>();
  for (const f of ds.frames) {
    if ((f.transport !== 'tcp' && f.transport !== 'udp') || !f.src || !f.dst || f.sport < 0) continue;
    let c = f.tcp ? ofStream.get(f.tcp.stream) : undefined;
    if (!c) {
      const src = { addr: f.src, port: f.sport };
      const dst = { addr: f.dst, port: f.dport };
      c = get(`${f.transport}:${canonical(src, dst)}`, f.transport, src, dst);
      if (f.tcp) ofStream.set(f.tcp.stream, c);
    }
    c.frames.push(f.number);
    if (f.tcp && c.ref.tcpStream === null) c.ref = { ...c.ref, tcpStream: f.tcp.stream };
  }
  // Sockets without addresses (AF_UNIX, or a kernel trace without socket events) that a
  // process used: one "connection" per socket.
  for (const s of corr.sockets) {
    if (s.local && s.remote && s.remote.port !== 0) continue;
    // Netlink, packet and other non-stream sockets are tools' plumbing, not connections.
    if (s.family === 16 || s.family === 17 || s.protocol === 'raw') continue;
    if (s.states.some((c) => c.to === 10)) continue; // listeners alone are not connections
    const owner = s.owners[0];
    if (!owner || s.eventCount < 2) continue;
    const label = s.protocol === 'unix' ? 'unix' : s.protocol;
    const c = get(`${label}:${owner.comm ?? 'pid'}[${owner.pid}]/fd${owner.fd}@${s.firstTs}`, label, s.local, s.remote);
    c.sockets.push(s);
  }
  const out = [...byKey.values()].map((c) => finishRef(c, a));
  out.sort((x, y) => y.ref.score - x.ref.score || ((x.ref.firstTs ?? 0n) < (y.ref.firstTs ?? 0n) ? -1 : 1));
  return out;
}

function finishRef(c: ConnectionInfo, a: DatasetAnalysis): ConnectionInfo {
  const ds = a.dataset;
  let first: bigint | null = null;
  let last: bigint | null = null;
  const see = (t: bigint) => {
    if (first === null || t < first) first = t;
    if (last === null || t > last) last = t;
  };
  // One walk over the frames: times, flags, who sent data, matches, the first SYN.
  let nFrames = 0;
  let flags = 0;
  let matched = 0;
  let syn: DatasetFrame | null = null;
  const payloadDirs = new Set<string>();
  for (const n of c.frames) {
    const f = ds.frames[n - 1];
    if (!f) continue;
    nFrames++;
    see(f.ts);
    const t = f.tcp;
    if (t) {
      flags |= t.flags;
      if (t.payload > 0) payloadDirs.add(`${f.src}:${f.sport}`);
      if (!syn && t.flags & SYN && !(t.flags & 0x10)) syn = f;
    }
    if (a.correlation.frames.get(n)?.matched) matched++;
  }
  for (const s of c.sockets) {
    if (s.states.some((x) => x.to === 10) && c.sockets.length > 1) continue;
    see(s.firstTs);
    see(s.lastTs);
  }
  const processes: Array<{ pid: number; comm: string | null; fd: number; role: 'server' | 'client' | 'peer' }> = [];
  for (const s of c.sockets) {
    if (s.states.some((x) => x.to === 10) && s.listener === null && c.sockets.some((o) => o.listener === s.id)) continue;
    for (const o of s.owners) {
      if (processes.some((p) => p.pid === o.pid && p.fd === o.fd)) continue;
      const role = s.listener !== null || o.how === 'accept' ? 'server' : o.how === 'connect' || s.states.some((x) => x.to === 2) ? 'client' : 'peer';
      // named as the process is known at the end (after an exec), like the story's subject,
      // not by the program that opened the fd (a launcher, a shell)
      processes.push({ pid: o.pid, comm: a.threads.get(o.pid)?.comm ?? o.comm, fd: o.fd, role });
    }
  }
  processes.sort((x, y) => (x.role === 'server' ? -1 : 0) - (y.role === 'server' ? -1 : 0));
  // Interest: a full life seen (handshake, data both ways, teardown), the server side in
  // the trace, packets tied to kernel events.
  let score = Math.min(nFrames, 200) / 10;
  if (flags & SYN) score += 10;
  if (flags & (FIN | RST)) score += 10;
  score += payloadDirs.size * 5;
  if (processes.some((p) => p.role === 'server')) score += 20;
  if (processes.length) score += 10;
  if (c.sockets.some((s) => s.states.length)) score += 5;
  // Its whole life in the trace, as the kernel saw it (matters most without a capture):
  // the handshake, an accept, and the close.
  const states = new Set(c.sockets.flatMap((s) => s.states.map((x) => x.to)));
  if (states.has(2) || states.has(3)) score += 10;
  if (c.sockets.some((s) => s.acceptedTs !== null)) score += 5;
  if (states.has(7) || states.has(8) || states.has(4)) score += 10;
  score += Math.min(c.sockets.reduce((n, s) => n + s.eventCount, 0), 50) / 10;
  score += Math.min(matched, 100) / 20;
  // The subject side: the server's socket when there is one.
  const server = c.sockets.find((s) => s.listener !== null && s.local && s.remote);
  // Without a server socket in the trace, the end that received the first SYN is the server.
  const synFrame = syn as DatasetFrame | null;
  const local = server?.local ?? (synFrame ? { addr: synFrame.dst!, port: synFrame.dport } : c.ref.local);
  const remote = server?.remote ?? (synFrame ? { addr: synFrame.src!, port: synFrame.sport } : c.ref.remote);
  const who = processes.map((p) => `${p.comm ?? '?'}[${p.pid}] fd ${p.fd}${p.role !== 'peer' ? ` (${p.role})` : ''}`).join(', ');
  const frames = `${nFrames} frame${nFrames === 1 ? '' : 's'}`;
  // a socket without both ends (unix, netlink, a listener alone) is named by its kind only
  const summary =
    local && remote
      ? `${endpointText(local)} ↔ ${endpointText(remote)} ${c.ref.protocol.toUpperCase()}${c.ref.tcpStream !== null ? ` stream ${c.ref.tcpStream}` : ''}, ${frames}${who ? `, ${who}` : ''}`
      : `${c.ref.protocol} socket${local ? ` ${endpointText(local)}` : ''}${nFrames ? `, ${frames}` : ''}${who ? `, ${who}` : ''}`;
  c.ref = { ...c.ref, local, remote, frames: nFrames, processes, firstTs: first, lastTs: last, score: Math.round(score * 10) / 10, summary };
  return c;
}

/**
 * The connection a story should be about, and the others. Throws UsageError when a filter
 * matches nothing (naming what exists).
 */
export function pickConnection(all: ConnectionInfo[], filter: StoryFilter): { chosen: ConnectionInfo | null; others: ConnectionInfo[] } {
  let candidates = all;
  if (filter.conn) {
    const [a, b] = parseConnArg(filter.conn);
    const key = canonical(a, b);
    candidates = candidates.filter((c) => c.ref.id.endsWith(`:${key}`));
    if (!candidates.length) throw new UsageError(`story: no connection ${filter.conn}; connections: ${all.slice(0, 5).map((c) => c.ref.summary).join('; ') || 'none'}`);
  }
  if (filter.port !== undefined) {
    candidates = candidates.filter((c) => c.ref.local?.port === filter.port || c.ref.remote?.port === filter.port);
    if (!candidates.length) throw new UsageError(`story: no connection with port ${filter.port}`);
  }
  if (filter.pid !== undefined) {
    const withPid = candidates.filter((c) => c.ref.processes.some((p) => p.pid === filter.pid));
    // A process may have no connection in the trace: its story is still told.
    if (withPid.length) candidates = withPid;
    else if (filter.conn || filter.port !== undefined) throw new UsageError(`story: process ${filter.pid} holds no such connection`);
    else candidates = [];
  }
  const chosen = candidates[0] ?? null;
  return { chosen, others: all.filter((c) => c !== chosen) };
}
