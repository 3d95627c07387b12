/**
 * File descriptor tables and sockets, tracked on the kernel model's pass (a
 * KernelListener). Per process, the fd table is built from:
 * - the state dump (`lttng_statedump_file_descriptor`: fds open before the trace; joined
 *   to processes by `pid` or, from lttng-modules 2.12, by `file_table_address`);
 * - system calls that make fds (open*, creat, socket, socketpair, accept*, dup*,
 *   fcntl(F_DUPFD*), pipe*, eventfd*, epoll_create*, timerfd_create, signalfd*,
 *   inotify_init*, memfd_create, pidfd_open, …) and that close them (close, close_range,
 *   dup2/dup3 over an open fd);
 * - fork (a new process gets a copy of the table; a thread shares it), exec (close-on-exec
 *   fds close), exit of the last thread (everything closes).
 *
 * Each socket fd is resolved to a SocketRecord: inode (state dump `socket:[N]`), kernel
 * address (`skaddr`/`sk` of sock and tcp events), family/protocol, local and remote
 * endpoints and TCP states over time, from:
 * - tracewire's state-dump socket tables (inode → endpoints and state);
 * - `inet_sock_set_state` (skaddr → endpoints, state changes) — when it fires inside a
 *   system call on an fd (connect, listen, close, shutdown), that fd is the socket;
 * - `sock_send_length` / `sock_recv_length` inside a system call on an fd (fd → sk), and
 *   tcp_probe / tcp_retransmit_skb / tcp_*_reset / tcp_destroy_sock (sk → endpoints);
 * - LTTng's connect/accept system call fields (family, port, address) when recorded;
 * - the accept queue: a child socket that reached ESTABLISHED on a listener is what the
 *   next accept() on that listener returns (FIFO) — an inference, replaced as soon as an
 *   event inside a system call on the accepted fd shows its real kernel address.
 */
import type { FieldMap } from '../../model/trace-event.js';
import type { EventSite, KernelListener } from '../kernel/listener.js';
import type { ThreadRecord } from '../kernel/thread-record.js';
import { EventKind } from '../kernel/vocabulary.js';
import { AF_INET, AF_INET6, AF_UNIX, eventEndpoints, isWildcard, lttngSyscallEndpoint, sockaddrEndpoint, type Endpoint } from './addresses.js';
import { FdRecord, OpenFile, SocketRecord, type FdOrigin } from './fd-records.js';
import { IPPROTO_TCP, IPPROTO_UDP, TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_RECV } from './tcp-states.js';

const O_CLOEXEC = 0o2000000;
const EBADF = 9;
const F_DUPFD = 0;
const F_SETFD = 2;
const F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
const CLOSE_RANGE_CLOEXEC = 4;

type Handler = (th: ThreadRecord, name: string, args: FieldMap | null, exit: FieldMap, ret: number, entry: number, t: number) => void;

/** System calls that return a new fd of a kind, and the flag argument/bit meaning close-on-exec. */
const NEW_FD_CALLS: Readonly<Record<string, { kind: string; flagArg?: string; cloexecBit?: number; always?: boolean }>> = {
  eventfd: { kind: 'eventfd' },
  eventfd2: { kind: 'eventfd', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  epoll_create: { kind: 'epoll' },
  epoll_create1: { kind: 'epoll', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  timerfd_create: { kind: 'timerfd', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  signalfd: { kind: 'signalfd' },
  signalfd4: { kind: 'signalfd', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  inotify_init: { kind: 'inotify' },
  inotify_init1: { kind: 'inotify', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  fanotify_init: { kind: 'fanotify', flagArg: 'flags', cloexecBit: 1 },
  memfd_create: { kind: 'memfd', flagArg: 'flags', cloexecBit: 1 },
  memfd_secret: { kind: 'memfd', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  userfaultfd: { kind: 'userfaultfd', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  perf_event_open: { kind: 'perf_event', flagArg: 'flags', cloexecBit: 8 },
  pidfd_open: { kind: 'pidfd', always: true },
  pidfd_getfd: { kind: 'unknown', always: true },
  io_uring_setup: { kind: 'io_uring' },
  fsopen: { kind: 'fs_context', flagArg: 'flags', cloexecBit: 1 },
  fsmount: { kind: 'mount', flagArg: 'flags', cloexecBit: 1 },
  fspick: { kind: 'fs_context', flagArg: 'flags', cloexecBit: 1 },
  open_tree: { kind: 'mount', flagArg: 'flags', cloexecBit: O_CLOEXEC },
  mq_open: { kind: 'mqueue', flagArg: 'oflag', cloexecBit: O_CLOEXEC },
  landlock_create_ruleset: { kind: 'landlock', always: true },
  seccomp: { kind: 'unknown' },
};

/** System calls that change the TCP state of the socket of their `fd` argument. */
const STATE_CHANGING_CALLS = new Set(['connect', 'listen', 'close', 'shutdown', 'sendto', 'sendmsg', 'sendmmsg']);

/** System calls whose `fd` argument is a socket when they succeed. */
const SOCKET_USE_CALLS = new Set([
  'bind', 'listen', 'getsockname', 'getpeername', 'setsockopt', 'getsockopt', 'shutdown', 'recvfrom', 'recvmsg', 'recvmmsg', 'sendto', 'sendmsg', 'sendmmsg',
]);

/** The kind of an fd from its /proc-style name. */
function kindOfPath(path: string): string {
  if (path.startsWith('socket:[')) return 'socket';
  if (path.startsWith('pipe:[')) return 'pipe';
  if (path.startsWith('anon_inode:')) {
    const what = path.slice('anon_inode:'.length).replace(/^\[|\]$/g, '');
    if (what === 'eventpoll') return 'epoll';
    if (what === 'eventfd' || what === 'timerfd' || what === 'signalfd' || what === 'inotify' || what === 'pidfd' || what === 'io_uring' || what === 'userfaultfd') return what;
    if (what.startsWith('perf_event')) return 'perf_event';
    return 'anon';
  }
  if (path.startsWith('/memfd:')) return 'memfd';
  if (path.startsWith('/dev/')) return 'device';
  if (path === '') return 'unknown';
  return 'file';
}

/** `socket:[1234]` → 1234, else 0. */
function socketInode(path: string): number {
  const m = /^socket:\[(\d+)\]$/.exec(path);
  return m ? Number(m[1]) : 0;
}

function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  return 0n;
}

function intArg(args: FieldMap | null, name: string): number {
  const v = args?.[name];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : NaN;
}

/**
 * Told, during the pass, which socket record each socket event resolved to — so that an
 * analysis on the same pass (the packet ↔ kernel correlation) can hang its own facts on
 * the same identity instead of tracking sockets a second time.
 */
export interface SocketObserver {
  /** `kind` (inet_sock_set_state, sock_*_length, tcp_*) was about socket `s`. */
  socketEvent(s: SocketRecord, kind: EventKind): void;
}

export class FdTracker implements KernelListener {
  /** See SocketObserver; null when nobody asks. */
  observer: SocketObserver | null = null;
  /** Every fd lifetime, in order of appearance. */
  readonly fds: FdRecord[] = [];
  /** Every socket record (merged ones have `mergedInto`). */
  readonly sockets: SocketRecord[] = [];
  /** Open fds per table (process id). */
  private readonly tables = new Map<number, Map<number, FdRecord>>();
  private readonly openCount = new Map<OpenFile, number>();
  private readonly bySk = new Map<bigint, SocketRecord>();
  private readonly byInode = new Map<number, SocketRecord>();
  private readonly byTuple = new Map<string, SocketRecord>();
  private readonly listening = new Set<SocketRecord>();
  private readonly inferred = new WeakSet<OpenFile>();
  private readonly fileTablePid = new Map<bigint, number>();
  private readonly processThreads = new Map<number, Set<number>>();
  /**
   * Tables known in full (listed by the state dump, or forked from such a table): only
   * there may a call that does not say which fds it made (pipe, socketpair on tracers that
   * record no result array) be resolved to the lowest free numbers, as the kernel picks.
   */
  private readonly complete = new Set<number>();
  private readonly handlers: Array<Handler | null | undefined> = [];

  /** `names` is the model's live name table (system call names by id). */
  constructor(private readonly names: readonly string[]) {}

  // ---------------------------------------------------------------- tables

  private pidOf(th: ThreadRecord): number {
    return th.pid >= 0 ? th.pid : th.tid;
  }

  private table(pid: number): Map<number, FdRecord> {
    let t = this.tables.get(pid);
    if (!t) this.tables.set(pid, (t = new Map()));
    return t;
  }

  private addThread(pid: number, tid: number): void {
    let s = this.processThreads.get(pid);
    if (!s) this.processThreads.set(pid, (s = new Set()));
    s.add(tid);
  }

  private openFd(pid: number, fd: number, file: OpenFile, t: number, openTime: number, cloexec: boolean, origin: FdOrigin, openedBy: string, tid: number): FdRecord {
    const table = this.table(pid);
    const old = table.get(fd);
    if (old) this.closeRecord(table, old, t, 'reused');
    const r = new FdRecord(this.fds.length, pid, fd, file, openTime, t, cloexec, origin, openedBy, tid);
    this.fds.push(r);
    table.set(fd, r);
    this.openCount.set(file, (this.openCount.get(file) ?? 0) + 1);
    if (file.socket) file.socket.claimed = true;
    return r;
  }

  private closeRecord(table: Map<number, FdRecord>, r: FdRecord, t: number, how: string): void {
    r.closeTime = t;
    r.closedBy = how;
    table.delete(r.fd);
    this.openCount.set(r.file, (this.openCount.get(r.file) ?? 1) - 1);
  }

  private closeFd(pid: number, fd: number, t: number, how: string): void {
    const table = this.tables.get(pid);
    const r = table?.get(fd);
    if (table && r) this.closeRecord(table, r, t, how);
  }

  private closeAll(pid: number, t: number, how: string, onlyCloexec: boolean): void {
    const table = this.tables.get(pid);
    if (!table) return;
    for (const r of [...table.values()]) if (!onlyCloexec || r.cloexec) this.closeRecord(table, r, t, how);
  }

  /** The open fd `fd` of `pid`; created as `seen` (opened before the trace) when unknown. */
  private seenFd(pid: number, fd: number, t: number, kind: string, tid: number): FdRecord {
    const r = this.tables.get(pid)?.get(fd);
    if (r) {
      if (r.file.kind === 'unknown' && kind !== 'unknown') r.file.kind = kind;
      return r;
    }
    return this.openFd(pid, fd, new OpenFile(kind, ''), t, NaN, false, 'seen', '', tid);
  }

  /**
   * The lowest `n` fd numbers free in `pid`'s table (the kernel allocates the lowest), or
   * none when the table is not known in full.
   */
  private lowestFree(pid: number, n: number): number[] {
    if (!this.complete.has(pid)) return [];
    const table = this.tables.get(pid);
    const out: number[] = [];
    for (let fd = 0; out.length < n; fd++) if (!table?.has(fd)) out.push(fd);
    return out;
  }

  // ---------------------------------------------------------------- sockets

  private newSocket(t: number): SocketRecord {
    const s = new SocketRecord(this.sockets.length);
    s.created = t;
    this.sockets.push(s);
    return s;
  }

  private resolve(s: SocketRecord): SocketRecord {
    while (s.mergedInto) s = s.mergedInto;
    return s;
  }

  /** The record `s` was merged into (itself when it was not). */
  survivor(s: SocketRecord): SocketRecord {
    return this.resolve(s);
  }

  /** The socket `pid` holds as `fd` now (during the pass), or null. */
  socketOfFd(pid: number, fd: number): SocketRecord | null {
    const f = this.tables.get(pid)?.get(fd)?.file.socket;
    return f ? this.resolve(f) : null;
  }

  private socketByInode(inode: number, t: number): SocketRecord {
    let s = this.byInode.get(inode);
    if (s) return this.resolve(s);
    s = this.newSocket(NaN);
    s.inode = inode;
    this.byInode.set(inode, s);
    void t;
    return s;
  }

  private isOpen(s: SocketRecord): boolean {
    for (const f of s.files) if ((this.openCount.get(f) ?? 0) > 0) return true;
    return false;
  }

  /** A record whose kernel socket is gone (destroyed, or closed with no fd left). */
  private isStale(s: SocketRecord): boolean {
    if (s.destroyed === s.destroyed) return true;
    return s.files.length > 0 && !this.isOpen(s) && (s.state === TCP_CLOSE || s.state === -1);
  }

  /** The socket at kernel address `sk`, unless that record is stale. */
  private socketAt(sk: bigint): SocketRecord | null {
    const s = this.bySk.get(sk);
    if (!s) return null;
    const r = this.resolve(s);
    return this.isStale(r) ? null : r;
  }

  private attachSk(s: SocketRecord, sk: bigint): void {
    if (sk === 0n) return;
    s.kernelAddresses.add(sk);
    this.bySk.set(sk, s);
  }

  private setProtocol(s: SocketRecord, family: unknown, protocol: unknown): void {
    if (typeof family === 'number' && family > 0 && s.family < 0) s.family = family;
    if (typeof protocol === 'number' && protocol > 0 && s.protocol <= 0) {
      s.protocol = protocol;
      if (s.type < 0 && (s.family === AF_INET || s.family === AF_INET6)) s.type = protocol === IPPROTO_TCP ? 1 : protocol === IPPROTO_UDP ? 2 : 3;
    }
  }

  private setEndpoints(s: SocketRecord, local: Endpoint | null, remote: Endpoint | null): void {
    if (local && local.port > 0 && (!s.local || s.local.port === 0 || (isWildcard(s.local) && !isWildcard(local)) || s.local.port !== local.port)) s.local = local;
    if (remote && remote.port > 0 && !isWildcard(remote)) s.remote = remote;
    if (s.family < 0 && (local ?? remote)) s.family = (local ?? remote)!.family;
  }

  private enterState(s: SocketRecord, t: number, state: number, from: number): void {
    s.enter(t, state, from);
    if (state === TCP_LISTEN) this.listening.add(s);
    else this.listening.delete(s);
  }

  /** Binds `file` (an fd's open file) to socket `s`, merging what each knew. */
  private link(file: OpenFile, s: SocketRecord): SocketRecord {
    s = this.resolve(s);
    file.kind = 'socket';
    const cur = file.socket ? this.resolve(file.socket) : null;
    if (cur === s) return s;
    if (cur === null) {
      file.socket = s;
      s.files.push(file);
      s.claimed = true;
      return s;
    }
    if (this.inferred.has(file)) {
      // the accept-queue guess was wrong: the event on the fd names the real socket
      this.inferred.delete(file);
      const i = cur.files.indexOf(file);
      if (i >= 0) cur.files.splice(i, 1);
      cur.claimed = cur.files.length > 0;
      file.socket = s;
      s.files.push(file);
      s.claimed = true;
      return s;
    }
    return this.merge(cur, s);
  }

  /** Merges `from` into `into` (two records found to be one socket). */
  private merge(into: SocketRecord, from: SocketRecord): SocketRecord {
    into = this.resolve(into);
    from = this.resolve(from);
    if (into === from) return into;
    from.mergedInto = into;
    if (into.family < 0) into.family = from.family;
    if (into.type < 0) into.type = from.type;
    if (into.protocol <= 0) into.protocol = from.protocol;
    if (!into.inode && from.inode) {
      into.inode = from.inode;
      this.byInode.set(from.inode, into);
    }
    for (const sk of from.kernelAddresses) this.attachSk(into, sk);
    this.setEndpoints(into, from.local, from.remote);
    if (!into.remote && from.remote) into.remote = from.remote;
    if (!into.unixPath) into.unixPath = from.unixPath;
    if (!into.netNs) into.netNs = from.netNs;
    if (from.states.length) {
      const all = [...into.states, ...from.states].sort((a, b) => a.time - b.time);
      into.states.length = 0;
      for (const st of all) into.enter(st.time, st.state, st.from);
      if (into.state === TCP_LISTEN) this.listening.add(into);
      else this.listening.delete(into);
    }
    this.listening.delete(from);
    if (!(into.created <= from.created)) into.created = from.created === from.created ? from.created : into.created;
    if (into.destroyed !== into.destroyed) into.destroyed = from.destroyed;
    into.bytesSent += from.bytesSent;
    into.bytesReceived += from.bytesReceived;
    into.retransmits += from.retransmits;
    into.resetsSent += from.resetsSent;
    into.resetsReceived += from.resetsReceived;
    for (const e of from.evidence) into.evidence.add(e);
    for (const f of from.files) {
      f.socket = into;
      if (!into.files.includes(f)) into.files.push(f);
    }
    into.claimed = into.claimed || from.claimed;
    into.listener ??= from.listener;
    if (into.acceptTime !== into.acceptTime) into.acceptTime = from.acceptTime;
    for (const c of from.acceptQueue) into.acceptQueue.push(c);
    return into;
  }

  /**
   * The open file of the fd the current system call works on, when the event fired in
   * that call's own context (not in an interrupt over it).
   */
  private syscallFile(site: EventSite): OpenFile | null {
    const th = site.thread;
    if (th === null || site.inInterrupt || th.sysName < 0 || th.sysArgs === null) return null;
    const fd = th.sysArgs.fd;
    if (typeof fd !== 'number' || fd < 0) return null;
    return this.seenFd(this.pidOf(th), fd, site.time, 'socket', th.tid).file;
  }

  /**
   * The fd whose socket a TCP state change inside the current system call is about: only
   * calls that change their own socket's state (connect, listen, close, shutdown, a
   * sendmsg with TCP Fast Open) name it — a state change inside another call belongs to
   * another socket (`ss -K` destroys a connection from inside its netlink sendmsg).
   */
  private stateChangeFile(site: EventSite): OpenFile | null {
    const th = site.thread;
    if (th === null || th.sysName < 0 || !STATE_CHANGING_CALLS.has(this.names[th.sysName] ?? '')) return null;
    const file = this.syscallFile(site);
    const known = file?.socket ? this.resolve(file.socket).family : -1;
    return known < 0 || known === AF_INET || known === AF_INET6 ? file : null;
  }

  private listenerFor(child: SocketRecord): SocketRecord | null {
    const local = child.local;
    if (!local) return null;
    let best: SocketRecord | null = null;
    for (const l of this.listening) {
      const ll = l.local;
      if (!ll || ll.port !== local.port) continue;
      if (ll.address === local.address) return l;
      if (isWildcard(ll) && (ll.family === local.family || ll.family === AF_INET6)) best = l;
    }
    return best;
  }

  // ---------------------------------------------------------------- listener hooks

  fork(parent: ThreadRecord, child: ThreadRecord, t: number, sharesFiles: boolean): void {
    const childPid = this.pidOf(child);
    this.addThread(childPid, child.tid);
    if (sharesFiles) return;
    // a reused pid: whatever its old table held is gone
    this.closeAll(childPid, t, 'exit', false);
    if (this.complete.has(this.pidOf(parent))) this.complete.add(childPid);
    else this.complete.delete(childPid);
    const src = this.tables.get(this.pidOf(parent));
    if (!src) return;
    for (const r of src.values()) this.openFd(childPid, r.fd, r.file, t, t, r.cloexec, 'inherited', 'fork', child.tid);
  }

  exec(th: ThreadRecord, t: number): void {
    this.closeAll(this.pidOf(th), t, 'exec', true);
  }

  threadExit(th: ThreadRecord, t: number): void {
    const pid = this.pidOf(th);
    const set = this.processThreads.get(pid);
    if (set) {
      set.delete(th.tid);
      if (set.size > 0) return;
      this.processThreads.delete(pid);
    } else if (th.tid !== pid) return;
    this.closeAll(pid, t, 'exit', false);
  }

  syscallExit(th: ThreadRecord, nameId: number, entry: number, exit: number, ret: number, _countable: boolean, args: FieldMap | null, exitArgs: FieldMap): void {
    const handlers = this.handlers;
    let h = nameId < handlers.length ? handlers[nameId] : undefined;
    if (h === undefined) {
      while (handlers.length <= nameId) handlers.push(undefined);
      h = handlers[nameId] = this.handlerFor(this.names[nameId] ?? '');
    }
    if (h !== null) h(th, this.names[nameId]!, args, exitArgs, ret, entry, exit);
  }

  event(kind: EventKind, p: FieldMap, site: EventSite): void {
    switch (kind) {
      case EventKind.STATEDUMP_PROCESS_STATE:
        return this.statedumpProcess(p);
      case EventKind.STATEDUMP_FILE_DESCRIPTOR:
        return this.statedumpFd(p, site.time);
      case EventKind.STATEDUMP_INET_SOCK:
        return this.statedumpInet(p, site.time);
      case EventKind.STATEDUMP_UNIX_SOCK:
        return this.statedumpUnix(p, site.time);
      case EventKind.INET_SOCK_SET_STATE:
        return this.setState(p, site);
      case EventKind.SOCK_SEND_LENGTH:
      case EventKind.SOCK_RECV_LENGTH:
        return this.sockLength(p, site, kind === EventKind.SOCK_SEND_LENGTH);
      case EventKind.TCP_PROBE:
      case EventKind.TCP_RETRANSMIT:
      case EventKind.TCP_SEND_RESET:
      case EventKind.TCP_RECEIVE_RESET:
      case EventKind.TCP_DESTROY_SOCK:
        return this.tcpEvent(kind, p, site);
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- state dump

  private statedumpProcess(p: FieldMap): void {
    const tid = p.tid;
    const pid = p.pid;
    if (typeof tid !== 'number' || typeof pid !== 'number') return;
    this.addThread(pid, tid);
    this.complete.add(pid);
    const fta = p.file_table_address;
    if (fta !== undefined) this.fileTablePid.set(toBig(fta), pid);
  }

  private statedumpFd(p: FieldMap, t: number): void {
    let pid: number | undefined = typeof p.pid === 'number' ? p.pid : undefined;
    if (pid === undefined && p.file_table_address !== undefined) pid = this.fileTablePid.get(toBig(p.file_table_address));
    const fd = p.fd;
    if (pid === undefined || typeof fd !== 'number') return;
    const path = typeof p.filename === 'string' ? p.filename : '';
    const flags = typeof p.flags === 'number' ? p.flags : 0;
    const inode = socketInode(path);
    const existing = this.tables.get(pid)?.get(fd);
    if (existing) {
      if (!existing.file.path) existing.file.path = path;
      if (existing.file.kind === 'unknown' || existing.file.kind === 'socket') existing.file.kind = kindOfPath(path);
      if (inode) this.link(existing.file, this.socketByInode(inode, t));
      return;
    }
    const file = new OpenFile(kindOfPath(path), path);
    if (inode) {
      const s = this.socketByInode(inode, t);
      s.evidence.add('statedump');
      file.socket = s;
      s.files.push(file);
    }
    this.openFd(pid, fd, file, t, NaN, (flags & O_CLOEXEC) !== 0, 'statedump', '', -1);
  }

  private statedumpInet(p: FieldMap, t: number): void {
    const inode = typeof p.inode === 'number' ? p.inode : Number(toBig(p.inode));
    if (!inode) return;
    const s = this.socketByInode(inode, t);
    s.evidence.add('statedump');
    const protocol = p.protocol;
    this.setProtocol(s, p.family, protocol);
    const eps = eventEndpoints(p);
    if (eps) this.setEndpoints(s, eps.local, eps.remote);
    if (typeof p.net_ns_inum === 'number') s.netNs = p.net_ns_inum;
    if (protocol === IPPROTO_TCP && typeof p.state === 'number' && s.states.length === 0) this.enterState(s, t, p.state, -1);
    this.attachSk(s, toBig(p.skaddr));
    if (eps && eps.local.port > 0) this.byTuple.set(tupleKey(s.protocol, eps.local, eps.remote), s);
  }

  private statedumpUnix(p: FieldMap, t: number): void {
    const inode = typeof p.inode === 'number' ? p.inode : Number(toBig(p.inode));
    if (!inode) return;
    const s = this.socketByInode(inode, t);
    s.evidence.add('statedump');
    s.family = AF_UNIX;
    if (typeof p.type === 'number') s.type = p.type;
    if (typeof p.path === 'string') s.unixPath = p.path;
    if (typeof p.net_ns_inum === 'number') s.netNs = p.net_ns_inum;
  }

  // ---------------------------------------------------------------- socket events

  private setState(p: FieldMap, site: EventSite): void {
    const sk = toBig(p.skaddr);
    const oldState = typeof p.oldstate === 'number' ? p.oldstate : -1;
    const newState = typeof p.newstate === 'number' ? p.newstate : -1;
    const eps = eventEndpoints(p);
    const file = this.stateChangeFile(site);
    let s: SocketRecord | null = null;
    if (file?.socket && this.resolve(file.socket).kernelAddresses.has(sk)) s = this.resolve(file.socket);
    if (!s) {
      s = this.socketAt(sk);
      // a socket starting afresh at an address a closed socket had (the kernel reuses memory)
      if (s && oldState === TCP_CLOSE && newState !== TCP_CLOSE && s.state === TCP_CLOSE) s = null;
    }
    if (!s && eps) {
      const key = tupleKey(typeof p.protocol === 'number' ? p.protocol : -1, eps.local, eps.remote);
      const fromDump = this.byTuple.get(key);
      if (fromDump) {
        this.byTuple.delete(key);
        s = this.resolve(fromDump);
      }
    }
    if (!s) s = this.newSocket(site.time);
    this.attachSk(s, sk);
    if (file) s = this.link(file, s);
    this.setProtocol(s, p.family, p.protocol);
    if (eps) this.setEndpoints(s, eps.local, eps.remote);
    s.evidence.add('inet_sock_set_state');
    if (newState >= 0) this.enterState(s, site.time, newState, oldState);
    // a connection's child socket is cloned from its listener (LISTEN → SYN_RECV)
    if (oldState === TCP_LISTEN && newState === TCP_SYN_RECV && !s.listener) s.listener = this.listenerFor(s);
    if (!file && !s.claimed && newState === TCP_ESTABLISHED && oldState === TCP_SYN_RECV) {
      const listener = this.listenerFor(s);
      if (listener && !listener.acceptQueue.includes(s)) listener.acceptQueue.push(s);
      s.listener ??= listener;
    }
    this.observer?.socketEvent(s, EventKind.INET_SOCK_SET_STATE);
  }

  private sockLength(p: FieldMap, site: EventSite, send: boolean): void {
    const sk = toBig(p.sk ?? p.skaddr);
    const file = this.syscallFile(site);
    let s = this.socketAt(sk);
    if (file) {
      if (s) s = this.link(file, s);
      else {
        s = file.socket ? this.resolve(file.socket) : this.link(file, this.newSocket(NaN));
        this.attachSk(s, sk);
      }
    } else if (!s) {
      s = this.newSocket(site.time);
      this.attachSk(s, sk);
    }
    this.setProtocol(s, p.family, p.protocol);
    const ret = p.ret;
    if (typeof ret === 'number' && ret > 0) {
      if (send) s.bytesSent += ret;
      else s.bytesReceived += ret;
    }
    s.evidence.add(send ? 'sock_send_length' : 'sock_recv_length');
    this.observer?.socketEvent(s, send ? EventKind.SOCK_SEND_LENGTH : EventKind.SOCK_RECV_LENGTH);
  }

  private tcpEvent(kind: EventKind, p: FieldMap, site: EventSite): void {
    const sk = toBig(p.skaddr);
    if (sk === 0n) return;
    let s = this.socketAt(sk);
    if (!s) {
      if (kind === EventKind.TCP_DESTROY_SOCK) return;
      s = this.newSocket(site.time);
      this.attachSk(s, sk);
    }
    let eps = eventEndpoints(p);
    if (!eps) {
      const local = sockaddrEndpoint(p.saddr);
      const remote = sockaddrEndpoint(p.daddr);
      if (local && remote) eps = { local, remote };
    }
    if (eps) this.setEndpoints(s, eps.local, eps.remote);
    if (s.protocol <= 0) this.setProtocol(s, eps?.local.family ?? p.family, IPPROTO_TCP);
    switch (kind) {
      case EventKind.TCP_PROBE:
        s.evidence.add('tcp_probe');
        break;
      case EventKind.TCP_RETRANSMIT:
        s.retransmits++;
        s.evidence.add('tcp_retransmit_skb');
        break;
      case EventKind.TCP_SEND_RESET:
        s.resetsSent++;
        s.evidence.add('tcp_send_reset');
        break;
      case EventKind.TCP_RECEIVE_RESET:
        s.resetsReceived++;
        s.evidence.add('tcp_receive_reset');
        break;
      case EventKind.TCP_DESTROY_SOCK:
        s.destroyed = site.time;
        s.evidence.add('tcp_destroy_sock');
        break;
      default:
        break;
    }
    this.observer?.socketEvent(s, kind);
  }

  // ---------------------------------------------------------------- system calls

  private handlerFor(name: string): Handler | null {
    switch (name) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat':
      case 'open_by_handle_at':
        return (th, n, args, _x, ret, entry, t) => {
          if (ret < 0) return;
          const path = typeof args?.filename === 'string' ? args.filename : '';
          let flags = intArg(args, 'flags');
          if (n === 'openat2' || n === 'creat' || flags !== flags) flags = 0;
          this.openFd(this.pidOf(th), ret, new OpenFile(path ? kindOfPath(path) : 'file', path), t, entry === entry ? entry : t, (flags & O_CLOEXEC) !== 0, 'syscall', n, th.tid);
        };
      case 'socket':
        return (th, n, args, _x, ret, entry, t) => {
          if (ret < 0) return;
          const s = this.newSocket(entry === entry ? entry : t);
          s.evidence.add('socket');
          const family = intArg(args, 'family');
          const type = intArg(args, 'type');
          let protocol = intArg(args, 'protocol');
          if (family === family) s.family = family;
          if (type === type) s.type = type & 0xf;
          if (protocol === 0 && (family === AF_INET || family === AF_INET6)) protocol = s.type === 1 ? IPPROTO_TCP : s.type === 2 ? IPPROTO_UDP : 0;
          if (protocol === protocol) s.protocol = protocol;
          const file = new OpenFile('socket', '');
          file.socket = s;
          s.files.push(file);
          this.openFd(this.pidOf(th), ret, file, t, s.created, type === type && (type & O_CLOEXEC) !== 0, 'syscall', n, th.tid);
        };
      case 'socketpair':
        return (th, n, args, x, ret, entry, t) => {
          if (ret < 0) return;
          const pid = this.pidOf(th);
          const given = Array.isArray(x.usockvec) ? (x.usockvec as unknown[]).filter((v): v is number => typeof v === 'number') : [];
          const fds = given.length === 2 ? given : this.lowestFree(pid, 2);
          const type = intArg(args, 'type');
          for (const fd of fds) {
            const s = this.newSocket(entry === entry ? entry : t);
            s.family = intArg(args, 'family') || AF_UNIX;
            if (type === type) s.type = type & 0xf;
            s.evidence.add('socket');
            const file = new OpenFile('socket', '');
            file.socket = s;
            s.files.push(file);
            this.openFd(pid, fd, file, t, s.created, type === type && (type & O_CLOEXEC) !== 0, given.length === 2 ? 'syscall' : 'inferred', n, th.tid);
          }
        };
      case 'accept':
      case 'accept4':
        return (th, n, args, x, ret, entry, t) => this.accept(th, n, args, x, ret, entry, t);
      case 'connect':
        return (th, _n, args, _x, _ret, _entry, t) => {
          const fd = intArg(args, 'fd');
          if (!(fd >= 0)) return;
          const r = this.seenFd(this.pidOf(th), fd, t, 'socket', th.tid);
          const s = r.file.socket ? this.resolve(r.file.socket) : this.link(r.file, this.newSocket(NaN));
          const remote = args ? lttngSyscallEndpoint(args, 'dport') : null;
          if (remote) {
            s.remote = remote;
            if (s.family < 0) s.family = remote.family;
            s.evidence.add('connect-args');
          }
        };
      case 'dup':
        return (th, n, args, _x, ret, _entry, t) => {
          if (ret < 0) return;
          this.duplicate(th, n, intArg(args, 'fildes') >= 0 ? intArg(args, 'fildes') : intArg(args, 'oldfd'), ret, false, t);
        };
      case 'dup2':
      case 'dup3':
        return (th, n, args, _x, ret, _entry, t) => {
          if (ret < 0) return;
          const oldfd = intArg(args, 'oldfd');
          const cloexec = n === 'dup3' && (intArg(args, 'flags') & O_CLOEXEC) !== 0;
          if (oldfd === ret) return;
          this.closeFd(this.pidOf(th), ret, t, n);
          this.duplicate(th, n, oldfd, ret, cloexec, t);
        };
      case 'fcntl':
      case 'fcntl64':
        return (th, n, args, _x, ret, _entry, t) => {
          if (ret < 0) return;
          const cmd = intArg(args, 'cmd');
          if (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC) this.duplicate(th, n, intArg(args, 'fd'), ret, cmd === F_DUPFD_CLOEXEC, t);
          else if (cmd === F_SETFD) {
            const fd = intArg(args, 'fd');
            const r = this.tables.get(this.pidOf(th))?.get(fd);
            const arg = intArg(args, 'arg');
            if (r && arg === arg) r.cloexec = (arg & FD_CLOEXEC) !== 0;
          }
        };
      case 'pipe':
      case 'pipe2':
        return (th, n, args, x, ret, entry, t) => {
          if (ret < 0) return;
          const pid = this.pidOf(th);
          const given = Array.isArray(x.fildes) ? (x.fildes as unknown[]).filter((v): v is number => typeof v === 'number') : [];
          const fds = given.length === 2 ? given : this.lowestFree(pid, 2);
          const cloexec = n === 'pipe2' && (intArg(args, 'flags') & O_CLOEXEC) !== 0;
          for (const fd of fds) this.openFd(pid, fd, new OpenFile('pipe', ''), t, entry === entry ? entry : t, cloexec, given.length === 2 ? 'syscall' : 'inferred', n, th.tid);
        };
      case 'close':
        return (th, n, args, _x, ret, _entry, t) => {
          // Linux releases the fd even when close() reports an error, except EBADF
          if (ret === -EBADF) return;
          const fd = intArg(args, 'fd');
          if (fd >= 0) this.closeFd(this.pidOf(th), fd, t, n);
        };
      case 'close_range':
        return (th, n, args, _x, ret, _entry, t) => {
          if (ret < 0) return;
          const first = intArg(args, 'fd');
          const last = intArg(args, 'max_fd');
          const flags = intArg(args, 'flags');
          const table = this.tables.get(this.pidOf(th));
          if (!table || !(first >= 0)) return;
          for (const r of [...table.values()]) {
            if (r.fd < first || (last === last && last >= 0 && r.fd > last)) continue;
            if (flags & CLOSE_RANGE_CLOEXEC) r.cloexec = true;
            else this.closeRecord(table, r, t, n);
          }
        };
      case 'signalfd':
      case 'signalfd4':
        return (th, n, args, _x, ret, entry, t) => {
          if (ret < 0 || intArg(args, 'ufd') >= 0) return; // an existing signalfd was updated
          this.openFd(this.pidOf(th), ret, new OpenFile('signalfd', ''), t, entry === entry ? entry : t, n === 'signalfd4' && (intArg(args, 'flags') & O_CLOEXEC) !== 0, 'syscall', n, th.tid);
        };
      default: {
        const spec = NEW_FD_CALLS[name];
        if (spec) {
          return (th, n, args, _x, ret, entry, t) => {
            if (ret < 0) return;
            const flags = spec.flagArg ? intArg(args, spec.flagArg) : 0;
            const cloexec = spec.always === true || (spec.cloexecBit !== undefined && flags === flags && (flags & spec.cloexecBit) !== 0);
            this.openFd(this.pidOf(th), ret, new OpenFile(spec.kind, ''), t, entry === entry ? entry : t, cloexec, 'syscall', n, th.tid);
          };
        }
        if (SOCKET_USE_CALLS.has(name)) {
          return (th, _n, args, _x, ret, _entry, t) => {
            const fd = intArg(args, 'fd');
            if (ret < 0 || !(fd >= 0)) return;
            const r = this.seenFd(this.pidOf(th), fd, t, 'socket', th.tid);
            if (!r.file.socket) this.link(r.file, this.newSocket(NaN)).evidence.add('socket-syscall-use');
          };
        }
        return null;
      }
    }
  }

  private duplicate(th: ThreadRecord, how: string, oldfd: number, newfd: number, cloexec: boolean, t: number): void {
    const pid = this.pidOf(th);
    const src = oldfd >= 0 ? this.seenFd(pid, oldfd, t, 'unknown', th.tid) : null;
    this.openFd(pid, newfd, src ? src.file : new OpenFile('unknown', ''), t, t, cloexec, 'dup', how, th.tid);
  }

  private accept(th: ThreadRecord, n: string, args: FieldMap | null, x: FieldMap, ret: number, entry: number, t: number): void {
    if (ret < 0) return;
    const pid = this.pidOf(th);
    const lfd = intArg(args, 'fd');
    const listener = lfd >= 0 ? this.seenFd(pid, lfd, t, 'socket', th.tid) : null;
    const ls = listener?.file.socket ? this.resolve(listener.file.socket) : listener ? this.link(listener.file, this.newSocket(NaN)) : null;
    const remote = lttngSyscallEndpoint(x, 'sport') ?? (args ? lttngSyscallEndpoint(args, 'sport') : null);
    const file = new OpenFile('socket', '');
    // the kernel's child socket, established before accept() returned it
    let child: SocketRecord | null = null;
    if (ls) {
      const q = ls.acceptQueue;
      for (let i = 0; i < q.length; i++) {
        const c = this.resolve(q[i]!);
        if (c.claimed || c.files.length > 0) {
          q.splice(i--, 1);
          continue;
        }
        if (remote && c.remote && (c.remote.port !== remote.port || c.remote.address !== remote.address)) continue;
        child = c;
        q.splice(i, 1);
        break;
      }
    }
    let s: SocketRecord;
    if (child) {
      s = child;
      if (!remote) this.inferred.add(file);
      s.evidence.add(remote ? 'accept-args' : 'accept-queue');
    } else {
      s = this.newSocket(entry === entry ? entry : t);
      s.evidence.add('accept');
      if (ls) {
        s.family = ls.family;
        s.type = ls.type;
        s.protocol = ls.protocol;
        if (ls.local && !isWildcard(ls.local)) s.local = ls.local;
      }
      if (remote) {
        s.remote = remote;
        if (s.family < 0) s.family = remote.family;
        s.evidence.add('accept-args');
      }
    }
    file.socket = s;
    s.files.push(file);
    s.claimed = true;
    s.acceptTime = t;
    s.listener ??= ls;
    const cloexec = n === 'accept4' && (intArg(args, 'flags') & O_CLOEXEC) !== 0;
    this.openFd(pid, ret, file, t, entry === entry ? entry : t, cloexec, 'syscall', n, th.tid);
  }
}

function tupleKey(protocol: number, local: Endpoint, remote: Endpoint): string {
  return `${protocol}|${local.address}|${local.port}|${remote.address}|${remote.port}`;
}
