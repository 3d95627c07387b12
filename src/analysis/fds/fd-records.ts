/**
 * The records of the fd analysis: a file descriptor lifetime (FdRecord) points to an
 * open file description (OpenFile, shared by dup() and fork() copies, as in the kernel),
 * which for a socket points to a SocketRecord: what the trace tells about that socket
 * (inode, kernel address, family, endpoints, TCP states over time, traffic).
 * Times are the model's relative nanoseconds.
 */
import type { Endpoint } from './addresses.js';

/** How a socket's identity or addresses were learnt (shown as `evidence`). */
export type SocketEvidence =
  | 'statedump'
  | 'socket'
  | 'accept'
  | 'accept-queue'
  | 'connect-args'
  | 'accept-args'
  | 'inet_sock_set_state'
  | 'sock_send_length'
  | 'sock_recv_length'
  | 'tcp_probe'
  | 'tcp_retransmit_skb'
  | 'tcp_send_reset'
  | 'tcp_receive_reset'
  | 'tcp_destroy_sock'
  | 'socket-syscall-use';

export class SocketRecord {
  family = -1;
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3, … or -1. */
  type = -1;
  /** IPPROTO_TCP 6, IPPROTO_UDP 17, … or -1 (0 = the family's default). */
  protocol = -1;
  inode = 0;
  /** Kernel `struct sock` addresses seen for it (events' skaddr / sk). */
  readonly kernelAddresses = new Set<bigint>();
  local: Endpoint | null = null;
  remote: Endpoint | null = null;
  /** AF_UNIX path (state dump), or ''. */
  unixPath = '';
  netNs = 0;
  /** TCP states, in time order: `state` entered at `time`, coming from `from` (-1 unknown). */
  readonly states: Array<{ time: number; state: number; from: number }> = [];
  created = NaN;
  destroyed = NaN;
  bytesSent = 0;
  bytesReceived = 0;
  retransmits = 0;
  resetsSent = 0;
  resetsReceived = 0;
  readonly evidence = new Set<SocketEvidence>();
  /** The file descriptions referring to it. */
  readonly files: OpenFile[] = [];
  /** Child sockets established on this listener, not yet accepted (FIFO). */
  readonly acceptQueue: SocketRecord[] = [];
  /** True once an accept() took it (or it was bound to an fd otherwise). */
  claimed = false;
  /** The listening socket a connection came from (its child, until accept() takes it). */
  listener: SocketRecord | null = null;
  /** When accept() returned it (relative ns), NaN otherwise. */
  acceptTime = NaN;
  /** When this record was merged into another, the survivor. */
  mergedInto: SocketRecord | null = null;

  constructor(readonly id: number) {}

  /** The current TCP state number, or -1. */
  get state(): number {
    const n = this.states.length;
    return n === 0 ? -1 : this.states[n - 1]!.state;
  }

  /** Records a TCP state from `time` on. */
  enter(time: number, state: number, from: number): void {
    const n = this.states.length;
    if (n > 0 && this.states[n - 1]!.state === state) return;
    this.states.push({ time, state, from });
  }
}

/** What an fd refers to (an open file description), shared by dup() and fork() copies. */
export class OpenFile {
  /** `file`, `socket`, `pipe`, `eventfd`, `epoll`, `timerfd`, `signalfd`, `inotify`, `memfd`, `pidfd`, `device`, `anon`, `unknown`. */
  kind: string;
  /** Path or kernel name (`/etc/passwd`, `pipe:[1234]`, `socket:[5678]`), or ''. */
  path: string;
  socket: SocketRecord | null = null;
  constructor(kind: string, path: string) {
    this.kind = kind;
    this.path = path;
  }
}

/** How an fd came to be known. */
export type FdOrigin = 'statedump' | 'syscall' | 'inherited' | 'dup' | 'inferred' | 'seen';

/** One file descriptor lifetime in one process's table. */
export class FdRecord {
  /** Close time (relative ns), NaN while open. */
  closeTime = NaN;
  /** How it closed: `close`, `dup2`, `exec` (close-on-exec), `exit`, or ''. */
  closedBy = '';

  constructor(
    readonly id: number,
    /** The table: the process id (or the tid when the process is unknown). */
    readonly pid: number,
    readonly fd: number,
    public file: OpenFile,
    /** Open time (relative ns); NaN when opened before the trace. */
    readonly openTime: number,
    /** When the trace first showed it (open, state dump, or first use). */
    readonly seenTime: number,
    public cloexec: boolean,
    readonly origin: FdOrigin,
    /** The system call that made it (`openat`, `accept4`, `dup2`, …), or ''. */
    readonly openedBy: string,
    /** tid of the thread that made it, or -1. */
    readonly openerTid: number,
  ) {}
}
