/**
 * FdModel: the finished fd tables and sockets of a kernel trace, with bigint times.
 * `tracewire sockets` prints `sockets()`; the story and the UI resolve "fd 5 of pid 4242
 * at time t" with `fdAt()` / `socketOf()`.
 */
import { familyName, formatEndpoint } from './addresses.js';
import type { FdRecord, SocketRecord } from './fd-records.js';
import type { FdTracker } from './fd-tracker.js';
import { protocolName, tcpStateName } from './tcp-states.js';

/** One fd lifetime. */
export interface FdInfo {
  readonly pid: number;
  readonly fd: number;
  /** `file`, `socket`, `pipe`, `eventfd`, `epoll`, `device`, … or `unknown`. */
  readonly kind: string;
  /** Path or kernel name (`socket:[1234]`), or ''. */
  readonly path: string;
  readonly cloexec: boolean;
  /** `statedump`, `syscall`, `inherited` (fork), `dup`, `inferred` (lowest free fds), `seen` (first used). */
  readonly origin: string;
  /** The system call that made it (`openat`, `accept4`, `fork`, …), or ''. */
  readonly openedBy: string;
  readonly openerTid: number | null;
  /** When it was opened, or null when before the trace. */
  readonly openTs: bigint | null;
  /** When the trace first showed it. */
  readonly seenTs: bigint;
  readonly closeTs: bigint | null;
  /** `close`, `dup2`, `exec` (close-on-exec), `exit`, … or ''. */
  readonly closedBy: string;
  /** The socket it refers to, or null. */
  readonly socketId: number | null;
}

/** A socket and everything the trace says about it. */
export interface SocketInfo {
  readonly id: number;
  /** `inet`, `inet6`, `unix`, `netlink`, … */
  readonly family: string;
  /** `tcp`, `udp`, `stream`, `dgram`, … */
  readonly protocol: string;
  readonly inode: number | null;
  /** `127.0.0.1:5000`, `[::1]:5000`, or null when unknown. */
  readonly local: string | null;
  readonly remote: string | null;
  readonly unixPath: string | null;
  readonly netNs: number | null;
  /** TCP states in order: `state` entered at `ts`. */
  readonly states: ReadonlyArray<{ readonly ts: bigint; readonly state: string }>;
  readonly createdTs: bigint | null;
  readonly destroyedTs: bigint | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly retransmits: number;
  readonly resetsSent: number;
  readonly resetsReceived: number;
  /** Kernel `struct sock` addresses (hex). */
  readonly kernelAddresses: readonly string[];
  /** How it was resolved (statedump, inet_sock_set_state, sock_send_length, accept-queue, …). */
  readonly evidence: readonly string[];
  /** The fds that referred to it, with their process names. */
  readonly fds: ReadonlyArray<{ readonly pid: number; readonly comm: string; readonly fd: number; readonly openTs: bigint | null; readonly closeTs: bigint | null }>;
}

export class FdModel {
  private bySocket: Map<SocketRecord, FdRecord[]> | null = null;

  constructor(
    private readonly tracker: FdTracker,
    private readonly toNs: (rel: number) => bigint,
    private readonly toRel: (ns: bigint) => number,
    /** The name of process `pid` at relative time `t` ('' when unknown). */
    private readonly processName: (pid: number, t: number) => string,
  ) {}

  private opt(rel: number): bigint | null {
    return rel === rel ? this.toNs(rel) : null;
  }

  private fdInfo(r: FdRecord): FdInfo {
    const s = r.file.socket ? this.resolve(r.file.socket) : null;
    return {
      pid: r.pid,
      fd: r.fd,
      kind: r.file.kind,
      path: r.file.path || (s?.inode ? `socket:[${s.inode}]` : ''),
      cloexec: r.cloexec,
      origin: r.origin,
      openedBy: r.openedBy,
      openerTid: r.openerTid >= 0 ? r.openerTid : null,
      openTs: this.opt(r.openTime),
      seenTs: this.toNs(r.seenTime),
      closeTs: this.opt(r.closeTime),
      closedBy: r.closedBy,
      socketId: s ? s.id : null,
    };
  }

  private resolve(s: SocketRecord): SocketRecord {
    while (s.mergedInto) s = s.mergedInto;
    return s;
  }

  /** Every fd lifetime, optionally of one process and/or one kind. */
  fds(filter: { pid?: number; kind?: string } = {}): FdInfo[] {
    const out: FdInfo[] = [];
    for (const r of this.tracker.fds) {
      if (filter.pid !== undefined && r.pid !== filter.pid) continue;
      if (filter.kind !== undefined && r.file.kind !== filter.kind) continue;
      out.push(this.fdInfo(r));
    }
    return out;
  }

  /** The processes (table keys) that had fds. */
  processes(): number[] {
    return [...new Set(this.tracker.fds.map((r) => r.pid))].sort((a, b) => a - b);
  }

  /** The fds of `pid` open at time `ts`, by fd number. */
  openAt(pid: number, ts: bigint): FdInfo[] {
    const t = this.toRel(ts);
    return this.tracker.fds
      .filter((r) => r.pid === pid && r.seenTime <= t && !(r.closeTime <= t))
      .sort((a, b) => a.fd - b.fd)
      .map((r) => this.fdInfo(r));
  }

  /** Every lifetime of fd `fd` in `pid`'s table, oldest first. */
  lifetimes(pid: number, fd: number): FdInfo[] {
    return this.tracker.fds.filter((r) => r.pid === pid && r.fd === fd).map((r) => this.fdInfo(r));
  }

  /** Fd `fd` of `pid` at time `ts` (default: its last lifetime), or null. */
  fdAt(pid: number, fd: number, ts?: bigint): FdInfo | null {
    let best: FdRecord | null = null;
    const t = ts === undefined ? Infinity : this.toRel(ts);
    for (const r of this.tracker.fds) {
      if (r.pid !== pid || r.fd !== fd) continue;
      const from = r.openTime === r.openTime ? r.openTime : -Infinity;
      if (ts !== undefined && (from > t || r.closeTime <= t)) continue;
      best = r;
    }
    return best ? this.fdInfo(best) : null;
  }

  /** The socket of fd `fd` of `pid` (at `ts`, or its last lifetime), or null. */
  socketOf(pid: number, fd: number, ts?: bigint): SocketInfo | null {
    const f = this.fdAt(pid, fd, ts);
    return f?.socketId != null ? this.socket(f.socketId) : null;
  }

  /** The socket with state-dump inode `inode`, or null. */
  socketByInode(inode: number): SocketInfo | null {
    const s = this.tracker.sockets.find((x) => !x.mergedInto && x.inode === inode);
    return s ? this.socketInfo(s) : null;
  }

  /** Socket `id` (ids of merged records resolve to the survivor). */
  socket(id: number): SocketInfo {
    const s = this.tracker.sockets[id];
    if (!s) throw new RangeError(`no socket ${id}`);
    return this.socketInfo(this.resolve(s));
  }

  /**
   * The sockets: by default those an fd referred to (what `tracewire sockets` lists);
   * `all` adds the kernel-side ones never tied to an fd (children not accepted, …).
   */
  sockets(opts: { all?: boolean } = {}): SocketInfo[] {
    return this.tracker.sockets.filter((s) => !s.mergedInto && (opts.all || s.files.length > 0)).map((s) => this.socketInfo(s));
  }

  private socketInfo(s: SocketRecord): SocketInfo {
    if (!this.bySocket) {
      this.bySocket = new Map();
      for (const r of this.tracker.fds) {
        if (!r.file.socket) continue;
        const key = this.resolve(r.file.socket);
        let list = this.bySocket.get(key);
        if (!list) this.bySocket.set(key, (list = []));
        list.push(r);
      }
    }
    const fds = (this.bySocket.get(s) ?? []).map((r) => {
        const at = r.openTime === r.openTime ? r.openTime : r.seenTime;
        return { pid: r.pid, comm: this.processName(r.pid, at), fd: r.fd, openTs: this.opt(r.openTime), closeTs: this.opt(r.closeTime) };
      });
    return {
      id: s.id,
      family: familyName(s.family),
      protocol: protocolName(s.protocol, s.type),
      inode: s.inode || null,
      local: s.local ? formatEndpoint(s.local) : null,
      remote: s.remote ? formatEndpoint(s.remote) : null,
      unixPath: s.unixPath || null,
      netNs: s.netNs || null,
      states: s.states.map((st) => ({ ts: this.toNs(st.time), state: tcpStateName(st.state) })),
      createdTs: this.opt(s.created),
      destroyedTs: this.opt(s.destroyed),
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      retransmits: s.retransmits,
      resetsSent: s.resetsSent,
      resetsReceived: s.resetsReceived,
      kernelAddresses: [...s.kernelAddresses].map((a) => `0x${a.toString(16)}`),
      evidence: [...s.evidence].sort(),
      fds,
    };
  }

  /** The name of process `pid` at time `ts` (its leader's name then), '' when unknown. */
  processNameAt(pid: number, ts: bigint): string {
    return this.processName(pid, this.toRel(ts));
  }

  /** The tracker behind the tables (for analyses of this package's own pass). */
  get records(): FdTracker {
    return this.tracker;
  }

  /** `{"sockets": [...]}` (what `tracewire sockets --format json` prints). */
  toJSON(): object {
    return { sockets: this.sockets() };
  }
}
