/**
 * What the correlation works out around the frame matching: directions of frames the
 * capture does not state, copies to user space that cannot belong to a journey, why a
 * frame or a device event stayed unmatched, which captured frame a retransmission is,
 * and the packets the kernel dropped.
 */
import type { Dataset, DatasetFrame } from '../../bundle/types.js';
import type { ByContext } from './by-context.js';
import type { MatchResult } from './frame-matcher.js';
import type { SocketLookup } from './frame-side.js';
import type { SkbJourneyCollector, TcpKernelEvent } from './skb-journeys.js';
import type { DropRecord, EventRef, RetransmitRecord, SkbHop, SkbJourney, SocketRecord, UnmatchedEvent } from './types.js';
import { dropReasonName } from './util.js';

/** How far a retransmitted copy may be queued from its tcp_retransmit_skb (ns). */
const RETRANSMIT_GAP_NS = 2_000_000n;

function absDiff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

/**
 * A buffer's address is reused once TCP frees it without a tracepoint (most received
 * segments), so a later copy to user space at that address may be another buffer — a
 * unix socket's, say. A copy stays in a journey only when its bytes can come from the
 * packet: a TCP/UDP frame with at least that much payload, read through an inet socket.
 */
export function pruneForeignCopies(journeys: SkbJourneyCollector['journeys'], match: MatchResult, ds: Dataset, sockets: SocketLookup): void {
  const frameOf = new Map<SkbHop, DatasetFrame>();
  for (const [n, h] of match.matches) frameOf.set(h, ds.frames[n - 1]!);
  for (const j of journeys) {
    const copyAt = j.hops.findIndex((h) => h.kind === 'copy');
    if (copyAt < 0) continue;
    const copy = j.hops[copyAt]!;
    let payload = -1;
    for (const h of j.hops) {
      const f = frameOf.get(h);
      if (!f) continue;
      payload = Math.max(payload, f.tcp ? f.tcp.payload : f.transport === 'udp' && f.l3Len > 28 ? f.l3Len - 28 : 0);
    }
    const fd = copy.ctx.syscall ? Number(copy.ctx.syscall.args.fd) : NaN;
    const s = copy.ctx.pid !== null && Number.isFinite(fd) ? sockets.socketOfFdAt(copy.ctx.pid, fd, copy.ts) : null;
    const foreignSocket = s !== null && s.family !== 2 && s.family !== 10 && s.family !== 0;
    const tooBig = payload >= 0 && (copy.len ?? 0) > payload;
    if (foreignSocket || tooBig || (payload === 0 && frameOf.size > 0 && j.hops.some((h) => frameOf.has(h)))) {
      for (const h of j.hops.slice(copyAt)) h.journey = -1;
      j.hops.length = copyAt;
    }
  }
}

/**
 * Directions of frames whose capture does not say (an Ethernet capture outside a
 * bundle): a frame from a socket's local endpoint was sent, one to it received.
 */
export function inferDirections(frames: readonly DatasetFrame[], sockets: readonly SocketRecord[]): Map<number, 'in' | 'out'> {
  const out = new Map<number, 'in' | 'out'>();
  if (!frames.some((f) => f.direction === null)) return out;
  const local = new Set<string>();
  const localAddr = new Set<string>();
  for (const s of sockets) {
    if (!s.local || s.local.addr === '?' || s.local.addr === '0.0.0.0' || s.local.addr === '::') continue;
    local.add(`${s.local.addr}|${s.local.port}`);
    localAddr.add(s.local.addr);
  }
  for (const f of frames) {
    if (f.direction !== null || !f.src || !f.dst) continue;
    const fromUs = local.has(`${f.src}|${f.sport}`) || (localAddr.has(f.src) && !localAddr.has(f.dst));
    const toUs = local.has(`${f.dst}|${f.dport}`) || (localAddr.has(f.dst) && !localAddr.has(f.src));
    if (fromUs && !toUs) out.set(f.number, 'out');
    else if (toUs && !fromUs) out.set(f.number, 'in');
  }
  return out;
}

/** Why frame `f` has no capture-point event. */
export function frameReason(f: DatasetFrame, ds: Dataset, m: MatchResult, first: bigint | null, last: bigint | null, discarded: number): string {
  if (!ds.kernel) return 'no kernel trace';
  if (f.network === 'other') return 'not an IP or ARP frame';
  const kind = f.direction === 'out' ? m.sendKind : f.direction === 'in' ? m.receiveKind : (m.sendKind ?? m.receiveKind);
  if (!kind) return f.direction === 'out' ? 'net_dev_queue not enabled in the trace' : f.direction === 'in' ? 'net_if_receive_skb/netif_rx not enabled in the trace' : 'no device events in the trace';
  if (first !== null && last !== null && (f.ts < first || f.ts > last)) return 'outside the kernel trace window';
  const name = kind === 'queue' ? 'net_dev_queue' : kind === 'xmit' ? 'net_dev_xmit' : kind === 'receive' ? 'net_if_receive_skb' : kind === 'gro' ? 'napi_gro_receive_entry' : 'netif_rx';
  return `no ${name}${f.device ? ` on ${f.device}` : ''} of ${f.l3Len >= 0 ? `${f.l3Len} bytes (+ link header)` : `${f.len} bytes`} near the capture time${discarded ? ' (the tracer lost events)' : ''}`;
}

/** Capture-point events no frame shows, with the reason (device not captured, outside the window, …). */
export function unmatchedAnchors(ds: Dataset, m: MatchResult, devices: Map<string, Set<string>>, journeys: readonly SkbJourney[]): UnmatchedEvent[] {
  const used = new Set(m.matches.values());
  const captured = new Set<string>();
  let capturesAll = false;
  for (const i of ds.captureInterfaces) {
    if (i.device === 'any') {
      const devs = i.netns ? devices.get(i.netns) : undefined;
      if (devs) for (const d of devs) captured.add(d);
      else capturesAll = true;
    } else if (i.device) captured.add(i.device);
    else capturesAll = true;
  }
  let first: bigint | null = null;
  let last: bigint | null = null;
  for (const f of ds.frames) {
    if (first === null || f.ts < first) first = f.ts;
    if (last === null || f.ts > last) last = f.ts;
  }
  const out: UnmatchedEvent[] = [];
  for (const h of m.anchors) {
    if (used.has(h)) continue;
    // The packet was captured at another point of its way (the other end of a veth pair,
    // or loopback, where libpcap's `any` keeps only the incoming copy): not missing.
    if (journeys[h.journey]?.frames.length) continue;
    let reason: string;
    if (h.dev && !capturesAll && !captured.has(h.dev)) reason = `device ${h.dev} was not captured`;
    else if (first === null || last === null || h.ts < first - 1_000_000n || h.ts > last + 1_000_000n) reason = 'outside the capture window';
    else if (ds.bundle?.capture.dropped) reason = `no frame: the capture dropped ${ds.bundle.capture.dropped} packets`;
    else reason = 'no frame of this length on this device at this time';
    out.push({ event: h.event, dev: h.dev, len: h.len, reason });
  }
  return out;
}

/**
 * The retransmissions the kernel reported (tcp_retransmit_skb/_synack), each tied to the
 * captured frame of the retransmitted copy — the net_dev_queue of the same 4-tuple in the
 * same context, nearest in time. `frameEvents` receives the event per frame.
 */
export function linkRetransmissions(tcpEvents: readonly TcpKernelEvent[], frameOfHop: ReadonlyMap<SkbHop, number>, ds: Dataset, sockets: SocketLookup, anchorsByCtx: ByContext<SkbHop>, frameEvents: Map<number, EventRef[]>): RetransmitRecord[] {
  const out: RetransmitRecord[] = [];
  for (const t of tcpEvents) {
    if (t.role !== 'tcp_retransmit' && t.role !== 'tcp_retransmit_synack') continue;
    const { local, remote } = t;
    const socket = t.skaddr ? sockets.socketAtSk(t.skaddr, t.ts) : null;
    // The retransmitted copy is queued in the same context just before (or after) the event.
    let frame: number | null = null;
    let bestGap: bigint | null = null;
    for (const h of anchorsByCtx.range(t.ctx.key, t.ts - RETRANSMIT_GAP_NS - 1n, t.ts + RETRANSMIT_GAP_NS)) {
      if (h.kind !== 'queue') continue;
      const gap = absDiff(h.ts, t.ts);
      const n = frameOfHop.get(h);
      if (n === undefined) continue;
      const f = ds.frames[n - 1];
      if (!f || (local && (f.src !== local.addr || f.sport !== local.port)) || (remote && (f.dst !== remote.addr || f.dport !== remote.port))) continue;
      if (bestGap === null || gap < bestGap) {
        bestGap = gap;
        frame = n;
      }
    }
    if (frame !== null) {
      const l = frameEvents.get(frame);
      if (l) l.push(t.event);
      else frameEvents.set(frame, [t.event]);
    }
    out.push({ event: t.event, socketId: socket?.id ?? null, local, remote, frame, ctx: t.ctx });
  }
  return out;
}

/** Frees with a drop reason (kfree_skb), with the frames of the dropped buffer; `kernelRelease` as for dropReasonName. */
export function collectDrops(journeys: readonly SkbJourney[], kernelRelease: string | null): DropRecord[] {
  const out: DropRecord[] = [];
  for (const j of journeys) {
    for (const h of j.hops) {
      if (h.kind !== 'free') continue;
      const name = dropReasonName(h.reason, kernelRelease);
      if (name === null) continue;
      out.push({ event: h.event, reason: name, frames: journeys[h.journey]?.frames ?? [] });
    }
  }
  return out;
}
