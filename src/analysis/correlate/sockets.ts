/**
 * Sockets as the correlation needs them, from the kernel analysis's fd tables
 * (src/analysis/fds): that tracker decides which socket every fd, kernel address and
 * socket event belongs to — fds from socket()/accept()/dup()/fork()/the state dump,
 * 4-tuples and TCP states from inet_sock_set_state, the accept queue, address reuse —
 * and the correlation hangs its own facts on the same identities during the same pass:
 * each TCP state change with the execution context it happened in (the softirq that
 * processed a packet, the syscall that connected), the events naming the socket, and the
 * capture-style text of its endpoints (an IPv4-mapped IPv6 address is the IPv4 address the
 * frames show).
 *
 * After the pass it answers the frame side's questions (SocketLookup): the socket of an
 * fd at a time, of a kernel address at a time, of a 4-tuple, the listeners of a port.
 */
import type { TraceEvent } from '../../model/trace-event.js';
import { AF_INET, AF_INET6, AF_UNIX } from '../fds/addresses.js';
import type { FdRecord, SocketRecord as FdSocket } from '../fds/fd-records.js';
import type { FdTracker, SocketObserver } from '../fds/fd-tracker.js';
import { IPPROTO_TCP, IPPROTO_UDP, TCP_LISTEN } from '../fds/tcp-states.js';
import type { KernelModel } from '../kernel/model.js';
import { EventKind } from '../kernel/vocabulary.js';
import type { ContextView, ExecContext, KernelCollector } from './context.js';
import { captureEndpoint, tupleKey } from './endpoints.js';
import type { SocketLookup } from './frame-side.js';
import { addressText } from './skb-journeys.js';
import { eventRefOf, type Endpoint, type EventRef, type FdBinding, type SocketRecord, type SocketStateChange } from './types.js';

/**
 * A TCP state change (inet_sock_set_state) with where it happened; its EventRef is made
 * on first use, and `socket` is its socket once the pass has settled identities.
 */
export class StateChange implements SocketStateChange {
  private ref: EventRef | null = null;
  socket: SocketRecord | null = null;
  constructor(
    readonly ts: bigint,
    readonly from: number,
    readonly to: number,
    private readonly name: string,
    private readonly cpu: number | null,
    readonly ctx: ExecContext,
  ) {}
  get event(): EventRef {
    return (this.ref ??= eventRefOf(this.ts, this.name, this.cpu, this.ctx.tid));
  }
}

/** The correlation's facts about one of the fd tracker's socket records. */
interface Facts {
  readonly states: StateChange[];
  /** The events naming the socket (a state change stands for its own event). */
  readonly events: Array<EventRef | StateChange>;
  first: bigint;
  last: bigint;
}

/** A socket event seen by the view, waiting for the fd tracker to say whose it is. */
interface Pending {
  readonly kind: EventKind;
  readonly ts: bigint;
  readonly event: EventRef | null;
  readonly change: StateChange | null;
}

/** System calls whose event names the socket of their `fd` argument (and their returned fd's, for socket and accept). */
const FD_SYSCALLS = new Set(['connect', 'bind', 'listen', 'shutdown', 'setsockopt', 'getsockopt', 'getsockname', 'getpeername', 'close']);
const NEW_FD_SYSCALLS = new Set(['socket', 'accept', 'accept4']);

const WILDCARDS = new Set(['0.0.0.0', '::']);

function protocolText(s: FdSocket): string {
  if (s.family === AF_UNIX) return 'unix';
  if (s.family !== AF_INET && s.family !== AF_INET6) return 'other';
  if (s.protocol === IPPROTO_TCP || (s.type === 1 && s.protocol <= 0)) return 'tcp';
  if (s.protocol === IPPROTO_UDP || (s.type === 2 && s.protocol <= 0)) return 'udp';
  if (s.type === 3) return 'raw';
  return 'other';
}

/** How an fd came to name its socket, in the correlation's words. */
function howOf(r: FdRecord): string {
  switch (r.origin) {
    case 'syscall':
      return r.openedBy === 'accept4' ? 'accept' : r.openedBy || 'socket';
    case 'seen':
      return 'io';
    default:
      return r.origin;
  }
}

/** The fields of a SocketRecord other than its events. */
type SocketFields = Omit<SocketRecord, 'events' | 'eventCount'>;

/** A socket of the correlation: the fd tables' identity with the correlation's facts. */
class CorrelatedSocket implements SocketRecord {
  readonly id: number;
  skaddr: string | null;
  family: number;
  protocol: string;
  local: Endpoint | null;
  remote: Endpoint | null;
  state: number;
  readonly states: StateChange[];
  listener: number | null;
  acceptedTs: bigint | null;
  readonly owners: FdBinding[];
  inode: number | null;
  firstTs: bigint;
  lastTs: bigint;
  private cited: EventRef[] | null = null;

  constructor(
    private readonly sources: ReadonlyArray<EventRef | StateChange>,
    f: SocketFields & { readonly states: StateChange[] },
  ) {
    this.id = f.id;
    this.skaddr = f.skaddr;
    this.family = f.family;
    this.protocol = f.protocol;
    this.local = f.local;
    this.remote = f.remote;
    this.state = f.state;
    this.states = f.states;
    this.listener = f.listener;
    this.acceptedTs = f.acceptedTs;
    this.owners = f.owners;
    this.inode = f.inode;
    this.firstTs = f.firstTs;
    this.lastTs = f.lastTs;
  }

  get eventCount(): number {
    return this.sources.length;
  }

  /** The events naming it, in time order (made on first use). */
  get events(): EventRef[] {
    return (this.cited ??= this.sources.map((e) => (e instanceof StateChange ? e.event : e)));
  }
}

function byTs<T extends { readonly ts: bigint }>(a: T, b: T): number {
  return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0;
}

function lowerBoundBy<T>(list: readonly T[], ts: bigint, key: (v: T) => bigint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(list[mid]!) <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The collector that ties the correlation's socket facts to the fd tracker's sockets (see the module comment). */
export class SocketView implements KernelCollector, SocketObserver, SocketLookup {
  private fds: FdTracker | null = null;
  /** Every TCP state change tied to a socket, in time order. */
  readonly changes: StateChange[] = [];
  private readonly facts = new Map<FdSocket, Facts>();
  private pending: Pending | null = null;
  /** Events of syscalls that made an fd, resolved once the tracker has made it. */
  private deferred: Array<{ pid: number; fd: number; event: EventRef; ts: bigint }> = [];
  private list: SocketRecord[] = [];
  private readonly byIdMap = new Map<number, SocketRecord>();
  private readonly bySkText = new Map<string, SocketRecord[]>();
  private readonly byTuple = new Map<string, SocketRecord[]>();
  private readonly listenersByPort = new Map<number, SocketRecord[]>();
  private readonly byFd = new Map<string, Array<{ b: FdBinding; s: SocketRecord }>>();

  attachFds(fds: FdTracker): void {
    this.fds = fds;
    fds.observer = this;
  }

  private factsOf(s: FdSocket): Facts {
    let f = this.facts.get(s);
    if (!f) this.facts.set(s, (f = { states: [], events: [], first: -1n, last: -1n }));
    return f;
  }

  private touch(f: Facts, ts: bigint): void {
    if (f.first < 0n || ts < f.first) f.first = ts;
    if (ts > f.last) f.last = ts;
  }

  private flushDeferred(): void {
    const fds = this.fds!;
    for (const d of this.deferred) {
      const s = fds.socketOfFd(d.pid, d.fd);
      if (!s) continue;
      const f = this.factsOf(s);
      f.events.push(d.event);
      this.touch(f, d.ts);
    }
    this.deferred.length = 0;
  }

  onEvent(ev: TraceEvent, kind: EventKind, view: ContextView): void {
    if (!this.fds) return;
    if (this.deferred.length) this.flushDeferred();
    switch (kind) {
      case EventKind.INET_SOCK_SET_STATE: {
        const p = ev.payload;
        const change = new StateChange(ev.ts, typeof p.oldstate === 'number' ? p.oldstate : -1, typeof p.newstate === 'number' ? p.newstate : -1, ev.name, ev.cpu, view.context());
        this.pending = { kind, ts: ev.ts, event: null, change };
        return;
      }
      case EventKind.TCP_RECEIVE_RESET:
      case EventKind.TCP_SEND_RESET:
      case EventKind.TCP_DESTROY_SOCK:
      case EventKind.TCP_RETRANSMIT:
        this.pending = { kind, ts: ev.ts, event: eventRefOf(ev.ts, ev.name, ev.cpu, view.tid), change: null };
        return;
      case EventKind.SOCK_SEND_LENGTH:
      case EventKind.SOCK_RECV_LENGTH:
      case EventKind.TCP_PROBE:
        this.pending = { kind, ts: ev.ts, event: null, change: null };
        return;
      case EventKind.SYSCALL_EXIT:
        this.syscallExit(ev, view);
        return;
      default:
        return;
    }
  }

  /** Socket syscalls name their socket (its creation, accept, connect, close…). */
  private syscallExit(ev: TraceEvent, view: ContextView): void {
    // Most calls are none of these: decided from the event's name, before anything else.
    const named = view.syscallName(ev);
    if (named !== '' && !NEW_FD_SYSCALLS.has(named) && !FD_SYSCALLS.has(named)) return;
    const sc = view.syscall;
    const tid = view.tid;
    if (!sc || tid === null) return;
    const ret = typeof ev.payload.ret === 'number' ? ev.payload.ret : NaN;
    if (!(ret >= 0)) return;
    const pid = view.pid ?? tid;
    const event = eventRefOf(ev.ts, ev.name, ev.cpu, tid);
    if (NEW_FD_SYSCALLS.has(sc.name)) {
      // The tracker makes the fd in this very event: look it up at the next one.
      this.deferred.push({ pid, fd: ret, event, ts: ev.ts });
      return;
    }
    if (!FD_SYSCALLS.has(sc.name)) return;
    const fd = sc.args.fd;
    const s = typeof fd === 'number' ? this.fds!.socketOfFd(pid, fd) : null;
    if (!s) return;
    const f = this.factsOf(s);
    f.events.push(event);
    this.touch(f, ev.ts);
  }

  socketEvent(s: FdSocket, kind: EventKind): void {
    const p = this.pending;
    this.pending = null;
    if (!p || p.kind !== kind) return;
    const f = this.factsOf(s);
    this.touch(f, p.ts);
    if (p.change) {
      f.states.push(p.change);
      this.changes.push(p.change);
      f.events.push(p.change);
    } else if (p.event) f.events.push(p.event);
  }

  /** Builds the sockets once the pass is over (`model` converts times and names processes). */
  finish(view: ContextView): void {
    const fds = this.fds;
    const model = view.model;
    if (!fds || !model) return;
    if (this.deferred.length) this.flushDeferred();
    this.build(fds, model);
  }

  private build(fds: FdTracker, model: KernelModel): void {
    const toNs = (rel: number) => model.toNs(rel);
    const names = model.fds;
    // Facts of merged records belong to their survivor.
    const merged = new Map<FdSocket, Facts[]>();
    for (const [s, f] of this.facts) {
      const into = fds.survivor(s);
      const l = merged.get(into);
      if (l) l.push(f);
      else merged.set(into, [f]);
    }
    const owners = new Map<FdSocket, FdBinding[]>();
    for (const r of fds.fds) {
      if (!r.file.socket) continue;
      const s = fds.survivor(r.file.socket);
      const from = toNs(r.seenTime);
      const b: FdBinding = { pid: r.pid, fd: r.fd, comm: names?.processNameAt(r.pid, from) || null, from, to: r.closeTime === r.closeTime ? toNs(r.closeTime) : null, how: howOf(r), event: null };
      const l = owners.get(s);
      if (l) l.push(b);
      else owners.set(s, [b]);
    }
    const records = new Map<FdSocket, SocketRecord>();
    for (const s of fds.sockets) {
      if (s.mergedInto) continue;
      const fs = merged.get(s) ?? [];
      const states = fs.length === 1 ? fs[0]!.states : fs.flatMap((f) => f.states).sort(byTs);
      const events = fs.length === 1 ? fs[0]!.events : fs.flatMap((f) => f.events).sort(byTs);
      const own = owners.get(s) ?? [];
      let first: bigint | null = s.created === s.created ? toNs(s.created) : null;
      let last: bigint | null = null;
      const see = (t: bigint) => {
        if (first === null || t < first) first = t;
        if (last === null || t > last) last = t;
      };
      for (const f of fs) {
        if (f.first >= 0n) see(f.first);
        if (f.last >= 0n) see(f.last);
      }
      for (const o of own) {
        see(o.from);
        if (o.to !== null) see(o.to);
      }
      if (first === null) continue; // nothing in the trace shows it at a time
      const addrs = [...s.kernelAddresses];
      const rec = new CorrelatedSocket(events, {
        id: s.id,
        skaddr: addrs.length ? addressText(addrs[addrs.length - 1]!) : null,
        family: s.family < 0 ? 0 : s.family,
        protocol: protocolText(s),
        local: captureEndpoint(s.local),
        remote: captureEndpoint(s.remote),
        state: s.state,
        states,
        listener: null,
        acceptedTs: s.acceptTime === s.acceptTime ? toNs(s.acceptTime) : null,
        owners: own,
        inode: s.inode || null,
        firstTs: first,
        lastTs: last ?? first,
      });
      for (const c of states) c.socket = rec;
      records.set(s, rec);
    }
    for (const [s, rec] of records) {
      const l = s.listener ? records.get(fds.survivor(s.listener)) : undefined;
      if (l && l !== rec) rec.listener = l.id;
    }
    this.index([...records.entries()]);
  }

  private index(entries: Array<[FdSocket, SocketRecord]>): void {
    this.list = entries.map(([, r]) => r).sort((a, b) => a.id - b.id);
    for (const [s, r] of entries) {
      this.byIdMap.set(r.id, r);
      for (const a of s.kernelAddresses) {
        const k = addressText(a);
        const l = this.bySkText.get(k);
        if (l) l.push(r);
        else this.bySkText.set(k, [r]);
      }
      if (r.local && r.remote && r.remote.port !== 0) {
        const k = tupleKey(r.local, r.remote);
        const l = this.byTuple.get(k);
        if (l) l.push(r);
        else this.byTuple.set(k, [r]);
      }
      if (r.local && (r.state === TCP_LISTEN || r.states.some((c) => c.to === TCP_LISTEN))) {
        const l = this.listenersByPort.get(r.local.port);
        if (l) l.push(r);
        else this.listenersByPort.set(r.local.port, [r]);
      }
      for (const b of r.owners) {
        const k = `${b.pid}/${b.fd}`;
        const l = this.byFd.get(k);
        if (l) l.push({ b, s: r });
        else this.byFd.set(k, [{ b, s: r }]);
      }
    }
    for (const l of this.bySkText.values()) l.sort((x, y) => (x.firstTs < y.firstTs ? -1 : x.firstTs > y.firstTs ? 1 : 0));
    for (const l of this.byFd.values()) l.sort((x, y) => (x.b.from < y.b.from ? -1 : x.b.from > y.b.from ? 1 : 0));
  }

  /** Every socket the pass saw, by id. */
  result(): SocketRecord[] {
    return this.list;
  }

  byId(id: number): SocketRecord | null {
    return this.byIdMap.get(id) ?? null;
  }

  socketOfFdAt(pid: number, fd: number, ts: bigint): SocketRecord | null {
    // Sorted by start: the last binding that started by ts, if it had not ended.
    const list = this.byFd.get(`${pid}/${fd}`);
    if (!list) return null;
    const lo = lowerBoundBy(list, ts, (x) => x.b.from);
    for (let i = lo - 1; i >= 0 && i >= lo - 4; i--) {
      const { b, s } = list[i]!;
      if (b.to === null || b.to >= ts) return s;
    }
    return null;
  }

  socketAtSk(sk: string, ts: bigint): SocketRecord | null {
    // The newest socket at that address born by ts (addresses are reused), else the first.
    const list = this.bySkText.get(sk);
    if (!list) return null;
    const lo = lowerBoundBy(list, ts, (s) => s.firstTs);
    return list[Math.max(lo - 1, 0)] ?? null;
  }

  byEndpoints(local: Endpoint, remote: Endpoint): readonly SocketRecord[] {
    return this.byTuple.get(tupleKey(local, remote)) ?? [];
  }

  listenersFor(local: Endpoint): SocketRecord[] {
    return (this.listenersByPort.get(local.port) ?? []).filter((s) => s.local !== null && (s.local.addr === local.addr || WILDCARDS.has(s.local.addr)));
  }
}
