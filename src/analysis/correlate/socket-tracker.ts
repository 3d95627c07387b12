/**
 * Sockets as kernel events reveal them, and which process and file descriptor held each
 * one when. This is what packet attribution needs: from a frame's 4-tuple to the socket
 * (inet_sock_set_state carries the socket's address and 4-tuple), and from the socket to
 * `pid`/`fd`:
 *
 * - `listen(fd)` / `connect(fd)`: the CLOSE → LISTEN / CLOSE → SYN_SENT change happens
 *   inside the syscall, on the calling thread;
 * - `accept(fd)` returning n: the oldest established child of fd's listening socket that
 *   no accept returned yet (children are the LISTEN → SYN_RECV changes on the listener's
 *   port);
 * - `sock_send_length` / `sock_recv_length` inside a syscall on fd name the socket;
 * - `socket()` creates the fd before any of these (merged when the socket shows up);
 * - the state dump's fds (`socket:[inode]`) and tracewire's socket table for sockets
 *   older than the trace; `dup*`, `fcntl(F_DUPFD)`, `fork` and `close` follow the fds.
 */
import { fieldNumber, type TraceEvent } from '../../model/trace-event.js';
import type { ContextView, KernelCollector } from './context.js';
import { TCP_CLOSE, TCP_LISTEN, TCP_SYN_RECV } from './event-names.js';
import { EventKind } from '../kernel/vocabulary.js';
import { addressText } from './skb-journeys.js';
import { addressFromFields, sockaddrFromBytes, tupleKey } from './endpoints.js';
import type { SocketLookup } from './frame-side.js';
import { eventRefOf, type Endpoint, type EventRef, type FdBinding, type SocketRecord } from './types.js';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

/** Syscalls whose `fd` argument is the socket a sock_send/recv_length inside them is about. */
const IO_SYSCALLS = new Set(['sendto', 'sendmsg', 'sendmmsg', 'recvfrom', 'recvmsg', 'recvmmsg', 'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'send', 'recv', 'splice', 'sendfile64', 'sendfile']);

function protocolName(family: number, type: number, proto: number): string {
  if (family === AF_UNIX) return 'unix';
  if (family !== AF_INET && family !== AF_INET6) return 'other';
  const t = type & 0xf;
  if (proto === 6 || (t === 1 && proto === 0)) return 'tcp';
  if (proto === 17 || (t === 2 && proto === 0)) return 'udp';
  if (t === 3) return 'raw';
  return 'other';
}

interface FdEntry {
  binding: FdBinding;
  socket: SocketRecord;
  /** Closed by execve (SOCK_CLOEXEC, accept4/dup3 O_CLOEXEC, F_DUPFD_CLOEXEC). */
  cloexec: boolean;
}

const O_CLOEXEC = 0x80000;

/** Whether an fd-only record (from socket()) can be the socket `s` revealed later. */
function compatible(fdOnly: SocketRecord, s: SocketRecord): boolean {
  if (fdOnly.family && s.family && fdOnly.family !== s.family) {
    // AF_INET6 sockets carry IPv4 traffic too.
    if (!(fdOnly.family === AF_INET6 && s.family === AF_INET)) return false;
  }
  return fdOnly.protocol === s.protocol || fdOnly.protocol === 'other' || s.protocol === 'other';
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** The collector that builds SocketRecords and their fd bindings during the kernel pass (see the module comment). */
export class SocketTracker implements KernelCollector, SocketLookup {
  readonly sockets: SocketRecord[] = [];
  private readonly bySk = new Map<string, SocketRecord>();
  /** Sockets that listened, by port (ever: listenersFor answers for any time). */
  private readonly listenersByPort = new Map<number, SocketRecord[]>();
  /** Children of each listener (by listener id), in creation order: the accept queue. */
  private readonly acceptQueue = new Map<number, SocketRecord[]>();
  private readonly skHistory = new Map<string, SocketRecord[]>();
  private readonly byInode = new Map<number, SocketRecord>();
  private readonly byTuple = new Map<string, SocketRecord[]>();
  private readonly fdTables = new Map<number, Map<number, FdEntry>>();
  private readonly merged = new Set<number>();
  /** LTTng ≥ 2.12 state dumps link fds to processes by file table address. */
  private readonly fileTables = new Map<string, number>();
  /** Socket ids some accept() already returned. */
  private readonly accepted = new Set<number>();

  private create(ts: bigint, family: number, protocol: string): SocketRecord {
    const s: SocketRecord = {
      id: this.sockets.length,
      skaddr: null,
      family,
      protocol,
      local: null,
      remote: null,
      state: -1,
      states: [],
      listener: null,
      acceptedTs: null,
      owners: [],
      inode: null,
      firstTs: ts,
      lastTs: ts,
      events: [],
    };
    this.sockets.push(s);
    return s;
  }

  private setSk(s: SocketRecord, sk: string): void {
    s.skaddr = sk;
    this.bySk.set(sk, s);
    const h = this.skHistory.get(sk) ?? [];
    h.push(s);
    this.skHistory.set(sk, h);
  }

  /** The socket that had address `sk` at `ts` (addresses are reused), after the scan. */
  socketAtSk(sk: string, ts: bigint): SocketRecord | null {
    // Records of one address are created in time order: binary search the last one born by ts.
    const list = this.skHistory.get(sk);
    if (!list) return null;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.firstTs <= ts) lo = mid + 1;
      else hi = mid;
    }
    for (let i = Math.max(lo - 1, 0); i >= 0; i--) if (!this.merged.has(list[i]!.id)) return list[i]!;
    for (const s of list) if (!this.merged.has(s.id)) return s;
    return null;
  }

  private setTuple(s: SocketRecord, local: Endpoint | null, remote: Endpoint | null): void {
    if (local && (!s.local || s.local.port === 0 || WILDCARDS.has(s.local.addr))) s.local = local;
    if (remote && remote.port !== 0 && (!s.remote || s.remote.port === 0)) s.remote = remote;
    if (s.local && s.remote && s.remote.port !== 0) {
      const k = tupleKey(s.local, s.remote);
      const list = this.byTuple.get(k) ?? [];
      if (!list.includes(s)) list.push(s);
      this.byTuple.set(k, list);
    }
  }

  private table(pid: number): Map<number, FdEntry> {
    let t = this.fdTables.get(pid);
    if (!t) this.fdTables.set(pid, (t = new Map()));
    return t;
  }

  /**
   * Records that `pid` holds `s` as `fd` from `ts`. `fresh` says the fd was just created
   * (socket, accept, dup): an older binding of that number is stale (closed without our
   * seeing it, e.g. close-on-exec). Otherwise (listen, connect, I/O) the fd existed, and
   * an fd-only record from socket() is this same socket, merged into it.
   */
  private bind(pid: number, fd: number, s: SocketRecord, ts: bigint, how: string, comm: string | null, event: EventRef | null, fresh = false, cloexec = false): void {
    const t = this.table(pid);
    const cur = t.get(fd);
    if (cur && cur.socket === s) return;
    if (cur) {
      if (!fresh && cur.socket.skaddr === null && !this.merged.has(cur.socket.id) && s !== cur.socket && compatible(cur.socket, s)) {
        // The fd's socket() record was this socket all along.
        this.merge(s, cur.socket);
        return;
      }
      cur.binding.to = ts;
    }
    const binding: FdBinding = { pid, fd, comm, from: ts, to: null, how, event };
    s.owners.push(binding);
    t.set(fd, { binding, socket: s, cloexec });
  }

  private unbind(pid: number, fd: number, ts: bigint): void {
    const t = this.fdTables.get(pid);
    const cur = t?.get(fd);
    if (!cur) return;
    cur.binding.to = ts;
    t!.delete(fd);
  }

  /** Folds `from` (an fd-only record from socket()) into `into`. */
  private merge(into: SocketRecord, from: SocketRecord): void {
    if (into === from) return;
    this.merged.add(from.id);
    if (!into.family) into.family = from.family;
    if (into.protocol === 'other') into.protocol = from.protocol;
    if (from.firstTs < into.firstTs) into.firstTs = from.firstTs;
    into.owners.unshift(...from.owners);
    into.events.unshift(...from.events);
    if (into.inode === null) into.inode = from.inode;
    for (const t of this.fdTables.values()) for (const e of t.values()) if (e.socket === from) e.socket = into;
  }

  /** The live record of a socket address, or null. */
  socketOfSk(sk: string): SocketRecord | null {
    return this.bySk.get(sk) ?? null;
  }

  /** The socket `pid` holds as `fd` now (during the scan). */
  socketOfFd(pid: number, fd: number): SocketRecord | null {
    return this.fdTables.get(pid)?.get(fd)?.socket ?? null;
  }

  private pidOf(view: ContextView): { tid: number | null; pid: number | null; comm: string | null } {
    const tid = view.tid;
    return { tid, pid: view.pid ?? tid, comm: view.comm };
  }

  onEvent(ev: TraceEvent, kind: EventKind, view: ContextView): void {
    if (kind === EventKind.SYSCALL_EXIT) {
      this.onSyscallExit(ev, view);
      return;
    }
    const p = ev.payload;
    switch (kind) {
      case EventKind.INET_SOCK_SET_STATE:
        this.onStateChange(ev, view);
        return;
      case EventKind.SOCK_SEND_LENGTH:
      case EventKind.SOCK_RECV_LENGTH: {
        const sk = addressText(p.sk);
        if (!sk) return;
        const { pid, comm, tid } = this.pidOf(view);
        let s = this.bySk.get(sk);
        const family = fieldNumber(p.family);
        if (!s) {
          s = this.create(ev.ts, family, protocolName(family, 0, fieldNumber(p.protocol)));
          this.setSk(s, sk);
        }
        s.lastTs = ev.ts;
        const sc = tid === null ? null : view.syscall;
        if (pid !== null && sc && IO_SYSCALLS.has(sc.name)) {
          const fd = fieldNumber(sc.args.fd);
          if (!Number.isNaN(fd)) this.bind(pid, fd, s, sc.entryTs, 'io', comm, eventRefOf(ev.ts, ev.name, ev.cpu, tid));
        }
        return;
      }
      case EventKind.TCP_PROBE: {
        const sk = addressText(p.skaddr);
        const s = sk ? this.bySk.get(sk) : undefined;
        if (s && (!s.local || !s.remote)) this.setTuple(s, sockaddrFromBytes(p.saddr), sockaddrFromBytes(p.daddr));
        return;
      }
      case EventKind.TCP_RECEIVE_RESET:
      case EventKind.TCP_SEND_RESET:
      case EventKind.TCP_DESTROY_SOCK:
      case EventKind.TCP_RETRANSMIT:
      case EventKind.TCP_RETRANSMIT_SYNACK: {
        const sk = addressText(p.skaddr);
        const s = sk ? this.bySk.get(sk) : undefined;
        if (!s) return;
        s.events.push(eventRefOf(ev.ts, ev.name, ev.cpu, view.tid));
        s.lastTs = ev.ts;
        if (kind === EventKind.TCP_DESTROY_SOCK) this.bySk.delete(sk);
        return;
      }
      case EventKind.SCHED_PROCESS_FORK: {
        const parentPid = fieldNumber(p.parent_pid);
        const childPid = fieldNumber(p.child_pid);
        const childTid = fieldNumber(p.child_tid);
        const parent = Number.isNaN(parentPid) ? view.pidOf(fieldNumber(p.parent_tid)) : parentPid;
        const child = Number.isNaN(childPid) ? childTid : childPid;
        if (parent === null || Number.isNaN(child) || parent === child) return;
        const t = this.fdTables.get(parent);
        if (!t) return;
        const comm = typeof p.child_comm === 'string' ? p.child_comm : null;
        for (const [fd, e] of t) this.bind(child, fd, e.socket, ev.ts, 'inherited', comm, null, true, e.cloexec);
        return;
      }
      case EventKind.SCHED_PROCESS_EXIT: {
        const tid = fieldNumber(p.tid);
        const pid = view.pidOf(tid) ?? tid;
        if (pid !== tid) return;
        const t = this.fdTables.get(pid);
        if (!t) return;
        for (const e of t.values()) e.binding.to = ev.ts;
        this.fdTables.delete(pid);
        return;
      }
      case EventKind.SCHED_PROCESS_EXEC: {
        // execve closes the close-on-exec descriptors.
        const tid = view.tid;
        const pid = view.pid ?? tid;
        const t = pid === null ? undefined : this.fdTables.get(pid);
        if (!t) return;
        for (const [fd, e] of [...t]) if (e.cloexec) this.unbind(pid!, fd, ev.ts);
        return;
      }
      case EventKind.STATEDUMP_PROCESS_STATE: {
        const fta = p.file_table_address;
        if (fta !== undefined) this.fileTables.set(addressText(fta), fieldNumber(p.pid));
        return;
      }
      case EventKind.STATEDUMP_FILE_DESCRIPTOR:
        this.onStatedumpFd(ev);
        return;
      case EventKind.STATEDUMP_INET_SOCK:
        this.onStatedumpSock(ev);
        return;
      default:
        return;
    }
  }

  private onStateChange(ev: TraceEvent, view: ContextView): void {
    const p = ev.payload;
    const sk = addressText(p.skaddr);
    if (!sk) return;
    const from = fieldNumber(p.oldstate);
    const to = fieldNumber(p.newstate);
    const family = fieldNumber(p.family);
    const proto = fieldNumber(p.protocol);
    const local = { addr: addressFromFields(family, p.saddr, p.saddr_v6) ?? '?', port: fieldNumber(p.sport) };
    const remote = { addr: addressFromFields(family, p.daddr, p.daddr_v6) ?? '?', port: fieldNumber(p.dport) };
    let s = this.bySk.get(sk);
    // Socket addresses are reused: a socket leaving CLOSE, or a child cloned from a
    // listener (LISTEN → SYN_RECV), is a new socket even at a known address.
    const isNew = !s || (from === TCP_CLOSE && (s.state === TCP_CLOSE || s.protocol !== 'tcp')) || (from === TCP_LISTEN && to === TCP_SYN_RECV && s.state !== TCP_LISTEN);
    if (!s || isNew) {
      s = this.create(ev.ts, family, proto === 6 || Number.isNaN(proto) ? 'tcp' : protocolName(family, 0, proto));
      this.setSk(s, sk);
      if (from === TCP_LISTEN && to === TCP_SYN_RECV) s.listener = this.findListener(local)?.id ?? null;
    }
    this.setTuple(s, local, to === TCP_LISTEN ? null : remote);
    const ctx = view.context();
    const event = eventRefOf(ev.ts, ev.name, ev.cpu, ctx.tid);
    s.states.push({ ts: ev.ts, from, to, event, ctx });
    s.events.push(event);
    s.state = to;
    if (to === TCP_LISTEN && s.local) {
      const l = this.listenersByPort.get(s.local.port) ?? [];
      if (!l.includes(s)) l.push(s);
      this.listenersByPort.set(s.local.port, l);
    }
    if (s.listener !== null && from === TCP_LISTEN) {
      const q = this.acceptQueue.get(s.listener) ?? [];
      q.push(s);
      this.acceptQueue.set(s.listener, q);
    }
    s.lastTs = ev.ts;
    // listen() and connect() change the state inside the syscall: that names the fd.
    const sc = ctx.kind === 'task' ? ctx.syscall : null;
    if (sc && (sc.name === 'listen' || sc.name === 'connect') && ctx.tid !== null) {
      const fd = fieldNumber(sc.args.fd);
      const pid = ctx.pid ?? ctx.tid;
      if (!Number.isNaN(fd)) this.bind(pid, fd, s, sc.entryTs, sc.name, ctx.comm, event);
    }
  }

  private findListener(local: Endpoint): SocketRecord | null {
    let wildcard: SocketRecord | null = null;
    for (const s of this.listenersByPort.get(local.port) ?? []) {
      if (s.state !== TCP_LISTEN || !s.local || s.local.port !== local.port) continue;
      if (s.local.addr === local.addr) return s;
      if (WILDCARDS.has(s.local.addr)) wildcard = s;
    }
    return wildcard;
  }

  private onSyscallExit(ev: TraceEvent, view: ContextView): void {
    const tid = view.tid;
    if (tid === null) return;
    const sc = view.syscall;
    if (!sc) return;
    const ret = fieldNumber(ev.payload.ret);
    if (Number.isNaN(ret) || ret < 0) return;
    const pid = view.pid ?? tid;
    const comm = view.comm;
    const a = sc.args;
    const event = eventRefOf(ev.ts, ev.name, ev.cpu, tid);
    switch (sc.name) {
      case 'socket': {
        const family = fieldNumber(a.family);
        const type = fieldNumber(a.type);
        const s = this.create(sc.entryTs, family, protocolName(family, type, fieldNumber(a.protocol)));
        s.events.push(event);
        this.bind(pid, ret, s, ev.ts, 'socket', comm, event, true, (type & O_CLOEXEC) !== 0);
        return;
      }
      case 'accept':
      case 'accept4': {
        const lfd = fieldNumber(a.fd);
        const listener = this.socketOfFd(pid, lfd);
        let child: SocketRecord | null = null;
        if (listener) {
          const queue = this.acceptQueue.get(listener.id) ?? [];
          // Accepted children leave the front of the queue; a child still in SYN_RECV waits.
          while (queue.length && (this.accepted.has(queue[0]!.id) || this.merged.has(queue[0]!.id))) queue.shift();
          child = queue.find((s) => !this.accepted.has(s.id) && !this.merged.has(s.id) && s.state !== TCP_SYN_RECV) ?? null;
        }
        if (!child) {
          // No state events (older LTTng): what the syscall itself says (LTTng decodes the peer address).
          const family = fieldNumber(ev.payload.family);
          child = this.create(ev.ts, listener?.family ?? (Number.isNaN(family) ? 0 : family), listener?.protocol ?? 'other');
          if (listener) child.listener = listener.id;
          if (listener?.local) child.local = listener.local;
          const peer = addressFromFields(family, ev.payload.v4addr, ev.payload.v6addr);
          const port = fieldNumber(ev.payload.sport);
          if (peer && !Number.isNaN(port)) this.setTuple(child, null, { addr: peer, port });
        }
        this.accepted.add(child.id);
        child.acceptedTs = ev.ts;
        child.events.push(event);
        this.bind(pid, ret, child, ev.ts, 'accept', comm, event, true, sc.name === 'accept4' && (fieldNumber(a.flags) & O_CLOEXEC) !== 0);
        return;
      }
      case 'connect':
      case 'bind': {
        // LTTng decodes the sockaddr of connect/bind (family, port, address).
        const s = this.socketOfFd(pid, fieldNumber(a.fd));
        if (!s) return;
        s.events.push(event);
        const family = fieldNumber(a.family);
        const addr = addressFromFields(family, a.v4addr, a.v6addr);
        const port = fieldNumber(sc.name === 'connect' ? a.dport : a.sport);
        if (addr && !Number.isNaN(port)) this.setTuple(s, sc.name === 'bind' ? { addr, port } : null, sc.name === 'connect' ? { addr, port } : null);
        return;
      }
      case 'listen':
      case 'shutdown':
      case 'setsockopt':
      case 'getsockopt':
      case 'getsockname':
      case 'getpeername': {
        const s = this.socketOfFd(pid, fieldNumber(a.fd));
        s?.events.push(event);
        return;
      }
      case 'close': {
        const fd = fieldNumber(a.fd);
        const s = this.socketOfFd(pid, fd);
        if (s) {
          s.events.push(event);
          s.lastTs = ev.ts;
        }
        this.unbind(pid, fd, ev.ts);
        return;
      }
      case 'dup':
      case 'dup2':
      case 'dup3':
      case 'fcntl': {
        if (sc.name === 'fcntl') {
          const cmd = fieldNumber(a.cmd);
          if (cmd !== 0 && cmd !== 1030) return;
        }
        const oldfd = fieldNumber(a.fildes ?? a.oldfd ?? a.fd);
        const s = this.socketOfFd(pid, oldfd);
        const cloexec = (sc.name === 'fcntl' && fieldNumber(a.cmd) === 1030) || (sc.name === 'dup3' && (fieldNumber(a.flags) & O_CLOEXEC) !== 0);
        if (s && ret !== oldfd) this.bind(pid, ret, s, ev.ts, 'dup', comm, event, true, cloexec);
        else if (!s && ret !== oldfd) this.unbind(pid, ret, ev.ts);
        return;
      }
      default:
        return;
    }
  }

  private onStatedumpFd(ev: TraceEvent): void {
    const p = ev.payload;
    const name = typeof p.filename === 'string' ? p.filename : '';
    const m = /^socket:\[(\d+)\]$/.exec(name);
    if (!m) return;
    let pid = fieldNumber(p.pid);
    if (Number.isNaN(pid) && p.file_table_address !== undefined) pid = this.fileTables.get(addressText(p.file_table_address)) ?? NaN;
    if (Number.isNaN(pid)) return;
    const inode = Number(m[1]);
    let s = this.byInode.get(inode);
    if (!s) {
      s = this.create(ev.ts, 0, 'other');
      s.inode = inode;
      this.byInode.set(inode, s);
    }
    const flags = fieldNumber(p.flags);
    this.bind(pid, fieldNumber(p.fd), s, ev.ts, 'statedump', null, eventRefOf(ev.ts, ev.name, ev.cpu, null), true, !Number.isNaN(flags) && (flags & O_CLOEXEC) !== 0);
  }

  private onStatedumpSock(ev: TraceEvent): void {
    const p = ev.payload;
    const inode = fieldNumber(p.inode);
    const family = fieldNumber(p.family);
    const proto = fieldNumber(p.protocol);
    let s = this.byInode.get(inode);
    if (!s) {
      s = this.create(ev.ts, family, protocolName(family, 0, proto));
      s.inode = inode;
      if (inode) this.byInode.set(inode, s);
    }
    s.family = family;
    s.protocol = protocolName(family, 0, proto);
    const state = fieldNumber(p.state);
    if (!Number.isNaN(state)) s.state = state;
    const sk = p.skaddr !== undefined ? addressText(p.skaddr) : '';
    if (sk && sk !== '0x0') this.setSk(s, sk);
    const local = { addr: addressFromFields(family, p.saddr, p.saddr_v6) ?? '?', port: fieldNumber(p.sport) };
    const remote = { addr: addressFromFields(family, p.daddr, p.daddr_v6) ?? '?', port: fieldNumber(p.dport) };
    this.setTuple(s, local, remote.port ? remote : null);
  }

  private fdHistory: Map<string, Array<{ b: FdBinding; s: SocketRecord }>> | null = null;

  /** The socket `pid` held as `fd` at `ts` (after the scan). */
  socketOfFdAt(pid: number, fd: number, ts: bigint): SocketRecord | null {
    if (!this.fdHistory) {
      this.fdHistory = new Map();
      for (const s of this.result()) {
        for (const b of s.owners) {
          const k = `${b.pid}/${b.fd}`;
          const l = this.fdHistory.get(k) ?? [];
          l.push({ b, s });
          this.fdHistory.set(k, l);
        }
      }
      for (const l of this.fdHistory.values()) l.sort((x, y) => (x.b.from < y.b.from ? -1 : x.b.from > y.b.from ? 1 : 0));
    }
    // Sorted by start: the last binding that started by ts, if it had not ended.
    const list = this.fdHistory.get(`${pid}/${fd}`);
    if (!list) return null;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.b.from <= ts) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && i >= lo - 4; i--) {
      const { b, s } = list[i]!;
      if (b.to === null || b.to >= ts) return s;
    }
    return null;
  }

  /** The sockets (merged records left out), after the scan. */
  result(): SocketRecord[] {
    return this.sockets.filter((s) => !this.merged.has(s.id));
  }

  /** Sockets with this exact local → remote 4-tuple. */
  byEndpoints(local: Endpoint, remote: Endpoint): readonly SocketRecord[] {
    return (this.byTuple.get(tupleKey(local, remote)) ?? []).filter((s) => !this.merged.has(s.id));
  }

  /** Listening sockets (ever) on `local`'s port with its address or a wildcard. */
  listenersFor(local: Endpoint): SocketRecord[] {
    return (this.listenersByPort.get(local.port) ?? []).filter((s) => !this.merged.has(s.id) && s.local !== null && (s.local.addr === local.addr || WILDCARDS.has(s.local.addr)));
  }

  /** Socket `id` (after the scan), or null for a record merged into another. */
  byId(id: number): SocketRecord | null {
    const s = this.sockets[id];
    return s && !this.merged.has(id) ? s : null;
  }
}
