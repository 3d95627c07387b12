/**
 * The kernel side of each frame: where the packet was produced or processed (its
 * syscall, softirq or IRQ), the TCP state changes and TCP events it caused or
 * accompanied, the threads it woke, and the process and fd it belongs to.
 *
 * A frame's match (its capture-point event and sk_buff journey) is known for every frame
 * after the matching; the rest is worked out the first time someone asks about that
 * frame. A story reads a few hundred frames of one connection, the UI a few on screen:
 * neither pays for the other ninety thousand. Whoever reads them all (the packets
 * table's process column, export) pays the same as an eager pass.
 */
import type { DatasetFrame } from '../../bundle/types.js';
import type { ByContext } from './by-context.js';
import type { TcpKernelEvent } from './skb-journeys.js';
import type { IrqInstance, SoftirqInstance } from './context.js';
import type { EventRef, FdBinding, FrameCorrelation, PacketOrigin, PacketOwner, SkbHop, SkbJourney, SocketRecord, SocketStateChange } from './types.js';

/** What the frame side asks of the socket table. */
export interface SocketLookup {
  /** The socket `pid` held as `fd` at `ts`. */
  socketOfFdAt(pid: number, fd: number, ts: bigint): SocketRecord | null;
  /** The socket that had kernel address `sk` at `ts`. */
  socketAtSk(sk: string, ts: bigint): SocketRecord | null;
  byId(id: number): SocketRecord | null;
  /** Sockets with this exact local → remote 4-tuple. */
  byEndpoints(local: { addr: string; port: number }, remote: { addr: string; port: number }): readonly SocketRecord[];
  /** Listening sockets (ever) on `local`'s port with its address or a wildcard. */
  listenersFor(local: { addr: string; port: number }): readonly SocketRecord[];
}

/** A state change with its socket (null when the pass could not settle it). */
export interface OwnedStateChange extends SocketStateChange {
  readonly socket: SocketRecord | null;
}

/** The indexes, built once after the matching, that every frame's description reads. */
export interface FrameSideIndexes {
  readonly frames: readonly DatasetFrame[];
  readonly changesByCtx: ByContext<OwnedStateChange>;
  readonly tcpByCtx: ByContext<TcpKernelEvent>;
  /** Capture-point events (anchors of both directions) per context. */
  readonly anchorsByCtx: ByContext<SkbHop>;
  readonly wakingsBySoftirq: ByContext<{ ts: bigint; tid: number; event: EventRef }>;
  readonly sockets: SocketLookup;
  /** Retransmission events tied to a frame after the matching (tcp_retransmit_skb…), by frame. */
  readonly retransmitEvents: ReadonlyMap<number, EventRef[]>;
}

/** The lazily described part of a frame. */
interface Described {
  origin: PacketOrigin | null;
  irq: IrqInstance | null;
  softirq: SoftirqInstance | null;
  stateChanges: Array<{ socketId: number; change: SocketStateChange }>;
  tcpEvents: EventRef[];
  socketId: number | null;
  owner: PacketOwner | null;
  woke: Array<{ tid: number; event: EventRef }>;
}

function sameEndpoint(a: { addr: string; port: number } | null, addr: string | null, port: number): boolean {
  return !!a && a.addr === addr && a.port === port;
}

function byTime(a: EventRef, b: EventRef): number {
  return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0;
}

/** One frame's correlation (see FrameCorrelation); its kernel side is described on first use. */
export class FrameSide implements FrameCorrelation {
  /** Why it has no capture-point event, when it has none (set after the matching). */
  reason: string | null = null;
  private described: Described | null = null;
  private cited: EventRef[] | null = null;

  constructor(
    readonly frame: number,
    readonly anchor: SkbHop | null,
    readonly journey: SkbJourney | null,
    private readonly ix: FrameSideIndexes,
  ) {}

  /** frame time − anchor time (ns), or null. */
  get delayNs(): bigint | null {
    return this.anchor ? this.ix.frames[this.frame - 1]!.ts - this.anchor.ts : null;
  }

  get matched(): boolean {
    return this.anchor !== null;
  }

  private get d(): Described {
    return (this.described ??= describe(this, this.ix));
  }

  get origin(): PacketOrigin | null {
    return this.d.origin;
  }
  get irq(): IrqInstance | null {
    return this.d.irq;
  }
  get softirq(): SoftirqInstance | null {
    return this.d.softirq;
  }
  get stateChanges(): Array<{ socketId: number; change: SocketStateChange }> {
    return this.d.stateChanges;
  }
  get tcpEvents(): EventRef[] {
    return this.d.tcpEvents;
  }
  get socketId(): number | null {
    return this.d.socketId;
  }
  get owner(): PacketOwner | null {
    return this.d.owner;
  }
  get woke(): Array<{ tid: number; event: EventRef }> {
    return this.d.woke;
  }

  get sameSkbFrames(): number[] {
    return this.journey ? this.journey.frames.filter((n) => n !== this.frame) : [];
  }

  /** Every kernel event cited, in time order (one EventRef object per event: identity dedupes). */
  get events(): EventRef[] {
    if (this.cited) return this.cited;
    if (!this.anchor) return (this.cited = []);
    const d = this.d;
    const cited = new Set<EventRef>();
    for (const h of this.journey!.hops) cited.add(h.event);
    for (const c of d.stateChanges) cited.add(c.change.event);
    for (const e of d.tcpEvents) cited.add(e);
    for (const w of d.woke) cited.add(w.event);
    if (d.softirq) {
      cited.add(d.softirq.entryEvent);
      if (d.softirq.exitEvent) cited.add(d.softirq.exitEvent);
    }
    if (d.irq) cited.add(d.irq.entryEvent);
    return (this.cited = [...cited].sort(byTime));
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
  const l = e.local;
  const r = e.remote;
  if (!l || !r) return false;
  if (sent) return l.addr === f.src && l.port === f.sport && r.addr === f.dst && r.port === f.dport;
  return l.addr === f.dst && l.port === f.dport && r.addr === f.src && r.port === f.sport;
}

function describe(fc: FrameSide, ix: FrameSideIndexes): Described {
  const f = ix.frames[fc.frame - 1]!;
  const d: Described = { origin: null, irq: null, softirq: null, stateChanges: [], tcpEvents: [], socketId: null, owner: null, woke: [] };
  const hop = fc.anchor;
  if (hop) describeKernelSide(f, fc, hop, d, ix);
  const extra = ix.retransmitEvents.get(fc.frame);
  if (extra) for (const e of extra) if (!d.tcpEvents.includes(e)) d.tcpEvents.push(e);
  attribute(f, fc, d, ix.sockets);
  return d;
}

/** Origin/IRQ/softirq, state changes, TCP events and wakeups around a matched frame. */
function describeKernelSide(f: DatasetFrame, fc: FrameSide, hop: SkbHop, d: Described, ix: FrameSideIndexes): void {
  const ctx = hop.ctx;
  const key = ctx.key;
  // The neighbouring capture points in the same context bound what belongs to this packet.
  const around = ix.anchorsByCtx.neighbours(key, hop);
  const prev = around.prev?.ts ?? null;
  const next = around.next?.ts ?? null;
  d.softirq = ctx.softirq;
  const sent = hop.kind === 'queue' || hop.kind === 'xmit';
  if (sent) {
    d.origin = originOf(ctx);
    // State changes that led to this packet (connect → SYN_SENT, close → FIN_WAIT1…).
    for (const c of ix.changesByCtx.range(key, prev, hop.ts)) {
      const s = c.socket;
      if (s && sameEndpoint(s.local, f.src, f.sport) && sameEndpoint(s.remote, f.dst, f.dport)) d.stateChanges.push({ socketId: s.id, change: c });
    }
  } else {
    // On veth and loopback the same buffer was queued by the sender: that is its origin.
    const queued = fc.journey?.hops.find((h) => h.kind === 'queue' && h.ts <= hop.ts);
    if (queued) d.origin = originOf(queued.ctx);
    d.irq = ctx.softirq?.raisedBy?.kind === 'irq' ? ctx.softirq.raisedBy.irq : ctx.irq;
    for (const c of ix.changesByCtx.range(key, hop.ts - 1n, next)) {
      const s = c.socket;
      if (s && sameEndpoint(s.local, f.dst, f.dport) && sameEndpoint(s.remote, f.src, f.sport)) d.stateChanges.push({ socketId: s.id, change: c });
    }
    if (ctx.softirq) for (const w of ix.wakingsBySoftirq.range(`s${ctx.softirq.id}`, hop.ts, next)) d.woke.push({ tid: w.tid, event: w.event });
  }
  // TCP events about this packet: in the same context, from this anchor to the next one.
  const from = sent ? prev : hop.ts - 1n;
  const skb = fc.journey?.skb ?? null;
  // tcp_probe is a hop of this very buffer (its 4-tuple is its socket's, whichever way
  // the segment went: only the buffer ties it).
  for (const h of fc.journey?.hops ?? []) {
    if (h.kind === 'probe' && h.ctx.key === key && (from === null || h.ts > from) && (next === null || h.ts <= next)) d.tcpEvents.push(h.event);
  }
  for (const e of ix.tcpByCtx.range(key, from, next)) {
    if ((e.skb && e.skb === skb) || tcpEventMatches(e, f, sent)) d.tcpEvents.push(e.event);
  }
}

/** A socket that listened (TCP state LISTEN, 10). */
function isListener(s: SocketRecord): boolean {
  return s.states.some((c) => c.to === 10);
}

function absDiff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

/** The newest socket with this 4-tuple that existed at ts (ports are reused). */
function pickAlive(list: readonly SocketRecord[], ts: bigint): SocketRecord | null {
  let best: SocketRecord | null = null;
  for (const s of list) if (s.firstTs <= ts && (best === null || s.firstTs > best.firstTs)) best = s;
  return best;
}

/** The binding of `socket` active at `ts`, or null. */
export function ownerAt(socket: SocketRecord, ts: bigint): FdBinding | null {
  let best: FdBinding | null = null;
  for (const b of socket.owners) if (b.from <= ts && (b.to === null || b.to >= ts)) best = b;
  return best;
}

/** The process and fd a frame belongs to, through its socket's 4-tuple (exported for tests). */
export function attribute(f: DatasetFrame, fc: FrameSide, d: Described, tracker: SocketLookup): void {
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
      d.owner = { pid: copy.ctx.pid, comm: copy.ctx.comm, fd, socketId: s?.id ?? -1, how: `buffer read by ${copy.ctx.syscall.name}(${fd})` };
      if (s) d.socketId = s.id;
      return;
    }
  }
  const origin = d.origin;
  // A sent packet: the socket of the syscall's fd — unless that is a listening socket: a
  // segment sent from inside accept() or close() of a listener (the kernel acknowledging
  // what waited on its backlog) belongs to a connection, found by its 4-tuple below.
  if (out && origin?.kind === 'syscall' && origin.pid !== null && origin.fd !== null) {
    const s = tracker.socketOfFdAt(origin.pid, origin.fd, f.ts);
    if (s && sameEndpoint(s.local, local.addr, local.port) && !isListener(s)) socket = s;
  }
  // tcp_probe names the socket a received segment reached.
  const probe = out ? undefined : fc.journey?.hops.find((h) => h.kind === 'probe' && h.skaddr);
  if (!socket && probe?.skaddr) socket = tracker.socketAtSk(probe.skaddr, probe.ts);
  if (!socket && d.stateChanges.length) socket = tracker.byId(d.stateChanges[0]!.socketId);
  if (!socket) socket = pickAlive(tracker.byEndpoints(local, remote), f.ts);
  if (!socket && f.transport === 'tcp') {
    // Handshake before the child socket exists (SYN in, SYN-ACK out): the listening socket.
    socket = pickAlive(tracker.listenersFor(local), f.ts);
    how = 'listening socket';
  }
  if (!socket) {
    if (origin?.kind === 'syscall' && origin.pid !== null && origin.fd !== null) {
      d.owner = { pid: origin.pid, comm: origin.comm, fd: origin.fd, socketId: -1, how: `sent by ${origin.syscall}(${origin.fd})` };
    }
    return;
  }
  d.socketId = socket.id;
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
  if (b) d.owner = { pid: b.pid, comm: b.comm, fd: b.fd, socketId: socket.id, how } satisfies PacketOwner;
}
