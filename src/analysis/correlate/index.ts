/**
 * Packet ↔ kernel correlation of a dataset, and the kernel pass it shares with the
 * wakeup chains.
 *
 * ```ts
 * const ds = openDataset(['bundle-dir']);
 * const { correlation, wakeups } = analyzeDataset(ds);
 * const fc = correlation.frames.get(5);       // frame #5
 * fc.anchor?.event;                             // net_dev_queue / net_if_receive_skb
 * fc.origin;                                    // sendto(4) by ncat, or softirq NET_RX…
 * fc.owner;                                     // { pid, comm, fd, how }
 * correlation.eventFrames.get(eventKey(ref));   // frames of a kernel event
 * ```
 */
import type { Dataset, DatasetFrame } from '../../bundle/types.js';
import type { ThreadInfo } from './context.js';
import { namesOfRole, type EventRole } from './event-names.js';
import { matchFrames, type MatchResult } from './frame-matcher.js';
import { runKernelPass } from './kernel-pass.js';
import { SyscallLog } from './syscall-log.js';
import type { KernelModel } from '../kernel/index.js';
import { SkbJourneyCollector, type TcpKernelEvent } from './skb-journeys.js';
import { addressFromFields, ownerAt, sockaddrFromBytes, SocketTracker } from './socket-tracker.js';
import { contextKey, dropReasonName } from './util.js';
import {
  eventKey,
  type Correlation,
  type DropRecord,
  type EventRef,
  type FrameCorrelation,
  type PacketOrigin,
  type PacketOwner,
  type RetransmitRecord,
  type SkbHop,
  type SocketRecord,
  type SocketStateChange,
  type UnmatchedEvent,
} from './types.js';
import { BlockedIntervalCollector } from '../wakeup/blocked-intervals.js';
import { explainWakeups } from '../wakeup/chains.js';
import type { WakeupChain } from '../wakeup/types.js';

export * from './types.js';
export type { ExecContext, IrqInstance, SoftirqInstance, SoftirqRaiser, SyscallInProgress, ThreadInfo } from './context.js';
export { softirqName, tcpStateName, SOFTIRQ_NET_RX, TCP_STATES } from './event-names.js';
export { endpointText, ownerAt } from './socket-tracker.js';
export { contextKey } from './util.js';
export type { SubjectActivity, SyscallLog, SyscallRecord } from './syscall-log.js';

/** Everything the one kernel pass and the matching produce. */
export interface DatasetAnalysis {
  readonly dataset: Dataset;
  readonly correlation: Correlation;
  /** Blocked intervals of wait-type syscalls that ended, with their wakeup and its cause. */
  readonly wakeups: readonly WakeupChain[];
  /** Threads seen: tid → pid, comm. */
  readonly threads: ReadonlyMap<number, ThreadInfo>;
  /** Every socket-buffer event, in time order. */
  readonly hops: readonly SkbHop[];
  /** Counts of the kernel pass, or null without a kernel trace. */
  readonly trace: { readonly events: number; readonly discarded: number; readonly firstTs: bigint | null; readonly lastTs: bigint | null } | null;
  /**
   * The kernel analysis's model, built on the same pass (threads, CPUs, IRQs, wakeups; fd
   * tables in `kernelModel.fds`), or null without a single kernel trace.
   */
  readonly kernelModel: KernelModel | null;
  /** Every system call, exec and exit of the trace (a story's subject reads its own here). */
  readonly syscalls: SyscallLog | null;
}

function hasRole(ds: Dataset, role: EventRole): boolean {
  return namesOfRole(role).some((n) => ds.kernelEventNames.has(n));
}

/** Device names of each namespace (bundle table). */
function devicesByNetns(ds: Dataset): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const ns of ds.netns) m.set(ns.name, new Set(ns.interfaces.map((i) => i.name)));
  return m;
}

function sameEndpoint(a: { addr: string; port: number } | null, addr: string | null, port: number): boolean {
  return !!a && a.addr === addr && a.port === port;
}

/** Sorted-by-time lists per context key. */
class ByContext<T extends { ts: bigint }> {
  private readonly m = new Map<string, T[]>();
  add(key: string, v: T): void {
    const l = this.m.get(key);
    if (l) l.push(v);
    else this.m.set(key, [v]);
  }
  sort(): void {
    for (const l of this.m.values()) l.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  }
  /** Items with from < ts ≤ to (from/to null = unbounded). */
  range(key: string, from: bigint | null, to: bigint | null): T[] {
    const l = this.m.get(key);
    if (!l) return [];
    return l.filter((v) => (from === null || v.ts > from) && (to === null || v.ts <= to));
  }
  list(key: string): readonly T[] {
    return this.m.get(key) ?? [];
  }
}

/**
 * Runs the kernel pass (sockets, socket buffers, blocked intervals) and matches every
 * frame of the capture to its kernel events. Works with a kernel trace alone (no frames:
 * the sockets, journeys and wakeups remain) and with a capture alone (every frame
 * unmatched, with the reason).
 */
export function analyzeDataset(ds: Dataset): DatasetAnalysis {
  const journeys = new SkbJourneyCollector();
  const sockets = new SocketTracker();
  const blocked = new BlockedIntervalCollector();
  const syscalls = new SyscallLog();
  const scan = ds.kernel ? runKernelPass(ds.kernel, [journeys, sockets, blocked, syscalls]) : null;
  const notes: string[] = [];

  const devices = devicesByNetns(ds);
  const slack = BigInt(Math.max(50_000, ds.clockUncertaintyNs * 2 + 20_000));
  const inferred = inferDirections(ds.frames, sockets.result());
  const match: MatchResult = matchFrames(ds.frames, journeys.hops, (ns) => (ns ? (devices.get(ns) ?? null) : null), { slackNs: slack, maxDelayNs: 50_000_000n }, inferred);

  const socketList = sockets.result();
  pruneForeignCopies(journeys.journeys, match, ds, sockets);

  // Indexes by execution context (softirq run, IRQ run, or thread + syscall).
  const changesByCtx = new ByContext<{ ts: bigint; socket: SocketRecord; change: SocketStateChange }>();
  for (const s of socketList) for (const c of s.states) changesByCtx.add(contextKey(c.ctx), { ts: c.ts, socket: s, change: c });
  changesByCtx.sort();
  const tcpByCtx = new ByContext<{ ts: bigint; ev: TcpKernelEvent }>();
  for (const t of journeys.tcpEvents) tcpByCtx.add(contextKey(t.ctx), { ts: t.event.ts, ev: t });
  tcpByCtx.sort();
  const anchorsByCtx = new ByContext<SkbHop>();
  for (const h of match.anchors) anchorsByCtx.add(contextKey(h.ctx), h);
  anchorsByCtx.sort();
  const wakingsBySoftirq = new ByContext<{ ts: bigint; tid: number; event: EventRef }>();
  for (const w of journeys.interruptWakings) if (w.ctx.softirq) wakingsBySoftirq.add(`s${w.ctx.softirq.id}`, { ts: w.event.ts, tid: w.tid, event: w.event });
  wakingsBySoftirq.sort();

  const frames = new Map<number, FrameCorrelation>();
  for (const f of ds.frames) {
    const hop = match.matches.get(f.number) ?? null;
    const fc: FrameCorrelation = {
      frame: f.number,
      matched: hop !== null,
      reason: null,
      anchor: hop,
      journey: hop ? (journeys.journeys[hop.journey] ?? null) : null,
      delayNs: hop ? f.ts - hop.ts : null,
      origin: null,
      irq: null,
      softirq: null,
      stateChanges: [],
      tcpEvents: [],
      socketId: null,
      owner: null,
      woke: [],
      sameSkbFrames: [],
      events: [],
    };
    if (hop) {
      fc.journey!.frames.push(f.number);
      describeKernelSide(f, fc, hop, { changesByCtx, tcpByCtx, anchorsByCtx, wakingsBySoftirq });
    }
    attribute(f, fc, sockets);
    frames.set(f.number, fc);
  }
  for (const fc of frames.values()) {
    if (fc.journey) fc.sameSkbFrames = fc.journey.frames.filter((n) => n !== fc.frame);
    if (fc.anchor) {
      // Each event has one EventRef object: identity is enough to avoid duplicates.
      const cited = new Set<EventRef>();
      for (const h of fc.journey!.hops) cited.add(h.event);
      for (const c of fc.stateChanges) cited.add(c.change.event);
      for (const e of fc.tcpEvents) cited.add(e);
      for (const w of fc.woke) cited.add(w.event);
      if (fc.softirq) {
        cited.add(fc.softirq.entryEvent);
        if (fc.softirq.exitEvent) cited.add(fc.softirq.exitEvent);
      }
      if (fc.irq) cited.add(fc.irq.entryEvent);
      fc.events = [...cited].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    }
  }

  // Unmatched frames and events, with the reason.
  const traceFirst = scan?.firstTs ?? null;
  const traceLast = scan?.lastTs ?? null;
  const unmatchedFrames: Array<{ frame: number; reason: string }> = [];
  for (const f of ds.frames) {
    const fc = frames.get(f.number)!;
    if (fc.matched) continue;
    fc.reason = frameReason(f, ds, match, traceFirst, traceLast, scan?.discarded ?? 0);
    unmatchedFrames.push({ frame: f.number, reason: fc.reason });
  }
  const unmatchedEvents = ds.frames.length || ds.capturePath ? unmatchedAnchors(ds, match, devices, journeys.journeys) : [];

  const retransmissions = linkRetransmissions(journeys.tcpEvents, frames, ds, sockets, anchorsByCtx);
  const drops = collectDrops(journeys.journeys.flatMap((j) => j.hops.filter((h) => h.kind === 'free')), journeys.journeys);

  // event → frames is for the UI's highlighting: built on first use.
  let eventFrames: Map<string, number[]> | null = null;
  const buildEventFrames = (): Map<string, number[]> => {
    if (eventFrames) return eventFrames;
    eventFrames = new Map();
    for (const fc of frames.values()) {
      for (const e of fc.events) {
        const k = eventKey(e);
        const l = eventFrames.get(k);
        if (l) l.push(fc.frame);
        else eventFrames.set(k, [fc.frame]);
      }
    }
    return eventFrames;
  };

  if (!ds.kernel) notes.push('no kernel trace: frames cannot be tied to kernel events');
  if (!ds.capturePath) notes.push('no capture: kernel packet events cannot be tied to frames');
  if (ds.kernel && !match.sendKind) notes.push('no net_dev_queue/net_dev_xmit events: sent packets cannot be tied to the kernel (enable net_dev_queue, net_dev_xmit)');
  if (ds.kernel && !match.receiveKind) notes.push('no net_if_receive_skb/netif_rx events: received packets cannot be tied to the kernel (enable net_if_receive_skb, netif_rx)');
  if (ds.kernel && !hasRole(ds, 'sock_set_state')) notes.push('no inet_sock_set_state events: TCP state changes and socket 4-tuples come only from the state dump and syscalls (enable sock:inet_sock_set_state)');
  if (scan?.damage && !ds.damage.includes(scan.damage)) ds.damage.push(scan.damage);
  for (const d of ds.damage) notes.push(`damaged input, read up to the damage: ${d}`);
  if (scan && scan.discarded) notes.push(`the tracer lost ${scan.discarded} events: some frames or wakeups may lack their kernel side`);
  if (ds.bundle?.capture.dropped) notes.push(`the capture dropped ${ds.bundle.capture.dropped} packets`);

  const tcpFrames = ds.frames.filter((f) => f.transport === 'tcp');
  const correlation: Correlation = {
    frames,
    get eventFrames() {
      return buildEventFrames();
    },
    unmatchedFrames,
    unmatchedEvents,
    journeys: journeys.journeys,
    sockets: socketList,
    retransmissions,
    drops,
    softirqs: scan?.tracker.softirqs ?? [],
    irqs: scan?.tracker.irqs ?? [],
    stats: {
      frames: ds.frames.length,
      framesMatched: ds.frames.length - unmatchedFrames.length,
      tcpFrames: tcpFrames.length,
      tcpFramesMatched: tcpFrames.filter((f) => frames.get(f.number)!.matched).length,
      deviceEvents: match.anchors.length,
      deviceEventsMatched: match.anchors.length - unmatchedEvents.length,
    },
    notes,
  };
  const wakeups = explainWakeups(blocked.intervals, correlation, journeys.hops);
  return {
    dataset: ds,
    correlation,
    wakeups,
    threads: scan?.tracker.threads ?? new Map(),
    hops: journeys.hops,
    trace: scan ? { events: scan.events, discarded: scan.discarded, firstTs: scan.firstTs, lastTs: scan.lastTs } : null,
    kernelModel: scan?.model ?? null,
    syscalls: scan ? syscalls : null,
  };
}

/**
 * A buffer's address is reused once TCP frees it without a tracepoint (most received
 * segments), so a later copy to user space at that address may be another buffer — a
 * unix socket's, say. A copy stays in a journey only when its bytes can come from the
 * packet: a TCP/UDP frame with at least that much payload, read through an inet socket.
 */
function pruneForeignCopies(journeys: SkbJourneyCollector['journeys'], match: MatchResult, ds: Dataset, sockets: SocketTracker): void {
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
function inferDirections(frames: readonly DatasetFrame[], sockets: readonly SocketRecord[]): Map<number, 'in' | 'out'> {
  const local = new Set<string>();
  const localAddr = new Set<string>();
  for (const s of sockets) {
    if (!s.local || s.local.addr === '?' || s.local.addr === '0.0.0.0' || s.local.addr === '::') continue;
    local.add(`${s.local.addr}|${s.local.port}`);
    localAddr.add(s.local.addr);
  }
  const out = new Map<number, 'in' | 'out'>();
  for (const f of frames) {
    if (f.direction !== null || !f.src || !f.dst) continue;
    const fromUs = local.has(`${f.src}|${f.sport}`) || (localAddr.has(f.src) && !localAddr.has(f.dst));
    const toUs = local.has(`${f.dst}|${f.dport}`) || (localAddr.has(f.dst) && !localAddr.has(f.src));
    if (fromUs && !toUs) out.set(f.number, 'out');
    else if (toUs && !fromUs) out.set(f.number, 'in');
  }
  return out;
}

/** The correlation alone (see analyzeDataset). */
export function correlate(ds: Dataset): Correlation {
  return analyzeDataset(ds).correlation;
}

interface Indexes {
  readonly changesByCtx: ByContext<{ ts: bigint; socket: SocketRecord; change: SocketStateChange }>;
  readonly tcpByCtx: ByContext<{ ts: bigint; ev: TcpKernelEvent }>;
  readonly anchorsByCtx: ByContext<SkbHop>;
  readonly wakingsBySoftirq: ByContext<{ ts: bigint; tid: number; event: EventRef }>;
}

/** Origin/IRQ/softirq, state changes, TCP events and wakeups around a matched frame. */
function describeKernelSide(f: DatasetFrame, fc: FrameCorrelation, hop: SkbHop, ix: Indexes): void {
  const ctx = hop.ctx;
  const key = contextKey(ctx);
  const anchors = ix.anchorsByCtx.list(key);
  const at = anchors.indexOf(hop);
  const prev = at > 0 ? anchors[at - 1]!.ts : null;
  const next = at >= 0 && at + 1 < anchors.length ? anchors[at + 1]!.ts : null;
  fc.softirq = ctx.softirq;
  const sent = hop.kind === 'queue' || hop.kind === 'xmit';
  if (sent) {
    fc.origin = originOf(ctx);
    // State changes that led to this packet (connect → SYN_SENT, close → FIN_WAIT1…).
    for (const c of ix.changesByCtx.range(key, prev, hop.ts)) {
      if (sameEndpoint(c.socket.local, f.src, f.sport) && sameEndpoint(c.socket.remote, f.dst, f.dport)) fc.stateChanges.push({ socketId: c.socket.id, change: c.change });
    }
  } else {
    // On veth and loopback the same buffer was queued by the sender: that is its origin.
    const queued = fc.journey?.hops.find((h) => h.kind === 'queue' && h.ts <= hop.ts);
    if (queued) fc.origin = originOf(queued.ctx);
    fc.irq = ctx.softirq?.raisedBy?.kind === 'irq' ? ctx.softirq.raisedBy.irq : ctx.irq;
    for (const c of ix.changesByCtx.range(key, hop.ts - 1n, next)) {
      if (sameEndpoint(c.socket.local, f.dst, f.dport) && sameEndpoint(c.socket.remote, f.src, f.sport)) fc.stateChanges.push({ socketId: c.socket.id, change: c.change });
    }
    if (ctx.softirq) for (const w of ix.wakingsBySoftirq.range(`s${ctx.softirq.id}`, hop.ts, next)) fc.woke.push({ tid: w.tid, event: w.event });
  }
  // TCP events about this packet: in the same context, from this anchor to the next one.
  const skbs = new Set(fc.journey ? [fc.journey.skb] : []);
  for (const t of ix.tcpByCtx.range(key, sent ? prev : hop.ts - 1n, next)) {
    const e = t.ev;
    if (e.skb && skbs.has(e.skb)) fc.tcpEvents.push(e.event);
    else if (tcpEventMatches(e, f, sent)) fc.tcpEvents.push(e.event);
  }
}

/** What produced a packet queued in context `ctx`. */
export function originOf(ctx: SkbHop['ctx']): PacketOrigin {
  if (ctx.kind === 'softirq' && ctx.softirq) return { kind: 'softirq', softirq: ctx.softirq };
  if (ctx.kind === 'irq' && ctx.irq) return { kind: 'irq', irq: ctx.irq };
  if (ctx.syscall) {
    const fd = Number(ctx.syscall.args.fd);
    return { kind: 'syscall', syscall: ctx.syscall.name, fd: Number.isFinite(fd) ? fd : null, tid: ctx.tid, pid: ctx.pid, comm: ctx.comm, entryTs: ctx.syscall.entryTs };
  }
  return { kind: 'task', tid: ctx.tid, pid: ctx.pid, comm: ctx.comm };
}

/** Whether a TCP event's 4-tuple is this frame's (local = source for sent frames). */
function tcpEventMatches(e: TcpKernelEvent, f: DatasetFrame, sent: boolean): boolean {
  const p = e.payload;
  let saddr: string | null;
  let daddr: string | null;
  let sport: number;
  let dport: number;
  if (p.sport !== undefined && p.dport !== undefined) {
    const family = Number(p.family);
    saddr = addressFromFields(family, p.saddr, p.saddr_v6);
    daddr = addressFromFields(family, p.daddr, p.daddr_v6);
    sport = Number(p.sport);
    dport = Number(p.dport);
  } else {
    // tcp_send_reset, tcp_probe: struct sockaddr_in/in6 as bytes.
    const src = sockaddrFromBytes(p.saddr);
    const dst = sockaddrFromBytes(p.daddr);
    if (!src || !dst) return false;
    [saddr, sport, daddr, dport] = [src.addr, src.port, dst.addr, dst.port];
  }
  if (sent) return saddr === f.src && sport === f.sport && daddr === f.dst && dport === f.dport;
  return saddr === f.dst && sport === f.dport && daddr === f.src && dport === f.sport;
}

/** The process and fd a frame belongs to, through its socket's 4-tuple. */
function attribute(f: DatasetFrame, fc: FrameCorrelation, tracker: SocketTracker): void {
  if (f.transport !== 'tcp' && f.transport !== 'udp') return;
  // The socket on this side of the link: source for sent frames, destination for received.
  const out = f.direction === 'out' || (f.direction === null && (fc.anchor?.kind === 'queue' || fc.anchor?.kind === 'xmit'));
  const local = out ? { addr: f.src ?? '', port: f.sport } : { addr: f.dst ?? '', port: f.dport };
  const remote = out ? { addr: f.dst ?? '', port: f.dport } : { addr: f.src ?? '', port: f.sport };
  let socket: SocketRecord | null = null;
  let how = 'socket 4-tuple';
  // Strongest for a received packet: its buffer read by a recv syscall.
  const copy = out ? undefined : fc.journey?.hops.find((h) => h.kind === 'copy' && h.ctx.syscall);
  if (copy && copy.ctx.syscall && copy.ctx.pid !== null) {
    const fd = Number(copy.ctx.syscall.args.fd);
    if (Number.isFinite(fd)) {
      const s = tracker.socketOfFdAt(copy.ctx.pid, fd, copy.ts);
      fc.owner = { pid: copy.ctx.pid, comm: copy.ctx.comm, fd, socketId: s?.id ?? -1, how: `buffer read by ${copy.ctx.syscall.name}(${fd})` };
      if (s) fc.socketId = s.id;
      return;
    }
  }
  // A sent packet: the socket of the syscall's fd.
  if (out && fc.origin?.kind === 'syscall' && fc.origin.pid !== null && fc.origin.fd !== null) {
    const s = tracker.socketOfFdAt(fc.origin.pid, fc.origin.fd, f.ts);
    if (s && sameEndpoint(s.local, local.addr, local.port)) socket = s;
  }
  // tcp_probe names the socket a received segment reached.
  const probe = out ? undefined : fc.journey?.hops.find((h) => h.kind === 'probe' && h.skaddr);
  if (!socket && probe?.skaddr) socket = tracker.socketAtSk(probe.skaddr, probe.ts);
  if (!socket && fc.stateChanges.length) socket = tracker.byId(fc.stateChanges[0]!.socketId);
  if (!socket) socket = pickAlive(tracker.byEndpoints(local, remote), f.ts);
  if (!socket && f.transport === 'tcp') {
    // Handshake before the child socket exists (SYN in, SYN-ACK out): the listening socket.
    socket = pickAlive(tracker.listenersFor(local), f.ts);
    how = 'listening socket';
  }
  if (!socket) {
    if (fc.origin?.kind === 'syscall' && fc.origin.pid !== null && fc.origin.fd !== null) {
      fc.owner = { pid: fc.origin.pid, comm: fc.origin.comm, fd: fc.origin.fd, socketId: -1, how: `sent by ${fc.origin.syscall}(${fc.origin.fd})` };
    }
    return;
  }
  fc.socketId = socket.id;
  let b = ownerAt(socket, f.ts);
  if (!b && socket.listener !== null) {
    // Handshake packets before accept(): the listening socket's owner.
    const l = tracker.byId(socket.listener);
    b = l ? ownerAt(l, f.ts) : null;
    if (b) how = 'listening socket (before accept)';
  }
  if (!b && socket.owners.length) {
    // Sent or received while no fd named it (after close, before accept): the nearest owner.
    b = socket.owners.reduce((best, o) => (absDiff(o.from, f.ts) < absDiff(best.from, f.ts) ? o : best));
    how = b.to !== null && b.to < f.ts ? 'socket 4-tuple (after close)' : 'socket 4-tuple (before accept)';
  }
  if (b) fc.owner = { pid: b.pid, comm: b.comm, fd: b.fd, socketId: socket.id, how } satisfies PacketOwner;
}

function absDiff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

function pickAlive(list: readonly SocketRecord[], ts: bigint): SocketRecord | null {
  let best: SocketRecord | null = null;
  // The newest socket with this 4-tuple that existed at ts (ports are reused).
  for (const s of list) if (s.firstTs <= ts && (best === null || s.firstTs > best.firstTs)) best = s;
  return best;
}

function frameReason(f: DatasetFrame, ds: Dataset, m: MatchResult, first: bigint | null, last: bigint | null, discarded: number): string {
  if (!ds.kernel) return 'no kernel trace';
  if (f.network === 'other') return 'not an IP or ARP frame';
  const kind = f.direction === 'out' ? m.sendKind : f.direction === 'in' ? m.receiveKind : (m.sendKind ?? m.receiveKind);
  if (!kind) return f.direction === 'out' ? 'net_dev_queue not enabled in the trace' : f.direction === 'in' ? 'net_if_receive_skb/netif_rx not enabled in the trace' : 'no device events in the trace';
  if (first !== null && last !== null && (f.ts < first || f.ts > last)) return 'outside the kernel trace window';
  const name = kind === 'queue' ? 'net_dev_queue' : kind === 'xmit' ? 'net_dev_xmit' : kind === 'receive' ? 'net_if_receive_skb' : kind === 'gro' ? 'napi_gro_receive_entry' : 'netif_rx';
  return `no ${name}${f.device ? ` on ${f.device}` : ''} of ${f.l3Len >= 0 ? `${f.l3Len} bytes (+ link header)` : `${f.len} bytes`} near the capture time${discarded ? ' (the tracer lost events)' : ''}`;
}

function unmatchedAnchors(ds: Dataset, m: MatchResult, devices: Map<string, Set<string>>, journeys: Correlation['journeys']): UnmatchedEvent[] {
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
  const first = ds.frames.length ? ds.frames.reduce((a, f) => (f.ts < a ? f.ts : a), ds.frames[0]!.ts) : null;
  const last = ds.frames.length ? ds.frames.reduce((a, f) => (f.ts > a ? f.ts : a), ds.frames[0]!.ts) : null;
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

function linkRetransmissions(tcpEvents: readonly TcpKernelEvent[], frames: Map<number, FrameCorrelation>, ds: Dataset, sockets: SocketTracker, anchorsByCtx: ByContext<SkbHop>): RetransmitRecord[] {
  const out: RetransmitRecord[] = [];
  const frameOfHop = new Map<SkbHop, number>();
  for (const fc of frames.values()) if (fc.anchor) frameOfHop.set(fc.anchor, fc.frame);
  for (const t of tcpEvents) {
    if (t.role !== 'tcp_retransmit' && t.role !== 'tcp_retransmit_synack') continue;
    const p = t.payload;
    const family = Number(p.family);
    const localAddr = addressFromFields(family, p.saddr, p.saddr_v6);
    const remoteAddr = addressFromFields(family, p.daddr, p.daddr_v6);
    const local = localAddr && p.sport !== undefined ? { addr: localAddr, port: Number(p.sport) } : null;
    const remote = remoteAddr && p.dport !== undefined ? { addr: remoteAddr, port: Number(p.dport) } : null;
    const socket = t.skaddr ? sockets.socketAtSk(t.skaddr, t.event.ts) : null;
    // The retransmitted copy is queued in the same context just before (or after) the event.
    let frame: number | null = null;
    let bestGap: bigint | null = null;
    for (const h of anchorsByCtx.list(contextKey(t.ctx))) {
      if (h.kind !== 'queue') continue;
      const gap = absDiff(h.ts, t.event.ts);
      if (gap > 2_000_000n) continue;
      const n = frameOfHop.get(h);
      if (n === undefined) continue;
      const f = ds.frames[n - 1];
      if (!f || (local && (f.src !== local.addr || f.sport !== local.port)) || (remote && (f.dst !== remote.addr || f.dport !== remote.port))) continue;
      if (bestGap === null || gap < bestGap) {
        bestGap = gap;
        frame = n;
      }
    }
    if (frame !== null) frames.get(frame)!.tcpEvents.push(t.event);
    out.push({ event: t.event, socketId: socket?.id ?? null, local, remote, frame, ctx: t.ctx });
  }
  return out;
}

function collectDrops(frees: readonly SkbHop[], journeys: Correlation['journeys']): DropRecord[] {
  const out: DropRecord[] = [];
  for (const h of frees) {
    const name = dropReasonName(h.reason);
    if (name === null) continue;
    out.push({ event: h.event, reason: name, frames: journeys[h.journey]?.frames ?? [] });
  }
  return out;
}
