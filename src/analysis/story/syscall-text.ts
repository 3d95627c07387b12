/**
 * System calls as a person reads them: `socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3`,
 * `setsockopt(3, SOL_SOCKET, SO_REUSEADDR)`, `fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK)`, errors
 * as `-104 ECONNRESET`, and every file descriptor followed by what it names at that
 * moment (`3 = listen 10.0.0.1:5000`, `4 = 10.0.0.2:48464`, `0 = stdin`).
 */
import type { FieldMap, FieldValue } from '../../model/trace-event.js';
import { fieldNumber } from '../../model/trace-event.js';

const FAMILIES: Record<number, string> = { 0: 'AF_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET' };
const SOCK_TYPES: Record<number, string> = { 1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 5: 'SOCK_SEQPACKET' };
const PROTOCOLS: Record<number, string> = { 0: '0', 6: 'IPPROTO_TCP', 17: 'IPPROTO_UDP', 1: 'IPPROTO_ICMP', 58: 'IPPROTO_ICMPV6' };
const LEVELS: Record<number, string> = { 1: 'SOL_SOCKET', 0: 'SOL_IP', 6: 'SOL_TCP', 41: 'SOL_IPV6', 17: 'SOL_UDP' };
const SOL_SOCKET_OPTS: Record<number, string> = { 1: 'SO_DEBUG', 2: 'SO_REUSEADDR', 16: 'SO_PASSCRED', 17: 'SO_PEERCRED', 3: 'SO_TYPE', 4: 'SO_ERROR', 6: 'SO_BROADCAST', 7: 'SO_SNDBUF', 8: 'SO_RCVBUF', 9: 'SO_KEEPALIVE', 13: 'SO_LINGER', 15: 'SO_REUSEPORT', 20: 'SO_RCVTIMEO', 21: 'SO_SNDTIMEO', 25: 'SO_BINDTODEVICE' };
const TCP_OPTS: Record<number, string> = { 1: 'TCP_NODELAY', 2: 'TCP_MAXSEG', 3: 'TCP_CORK', 4: 'TCP_KEEPIDLE', 5: 'TCP_KEEPINTVL', 6: 'TCP_KEEPCNT', 9: 'TCP_DEFER_ACCEPT', 12: 'TCP_QUICKACK', 23: 'TCP_FASTOPEN' };
const IPV6_OPTS: Record<number, string> = { 26: 'IPV6_V6ONLY' };
const FCNTL_CMDS: Record<number, string> = { 0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 1030: 'F_DUPFD_CLOEXEC' };
const O_FLAGS: ReadonlyArray<[number, string]> = [
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o4010000, 'O_SYNC'],
  [0o20000, 'O_ASYNC'],
  [0o40000, 'O_DIRECT'],
  [0o100000, 'O_LARGEFILE'],
  [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'],
];
const SHUT: Record<number, string> = { 0: 'SHUT_RD', 1: 'SHUT_WR', 2: 'SHUT_RDWR' };

/** Linux errno names (x86/generic numbering) for the errors a network program meets. */
const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 4: 'EINTR', 5: 'EIO', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 17: 'EEXIST', 22: 'EINVAL', 24: 'EMFILE', 25: 'ENOTTY', 32: 'EPIPE',
  88: 'ENOTSOCK', 95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH', 103: 'ECONNABORTED', 104: 'ECONNRESET', 105: 'ENOBUFS',
  106: 'EISCONN', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH', 114: 'EALREADY', 115: 'EINPROGRESS', 512: 'ERESTARTSYS', 514: 'ERESTARTNOHAND', 516: 'ERESTART_RESTARTBLOCK',
};

/** `ECONNRESET` for -104 (Linux x86 numbering), `errno N` when unknown. */
export function errnoName(ret: number): string {
  return ERRNO[-ret] ?? `errno ${-ret}`;
}

/** `= 3`, `= -104 ECONNRESET`, `(no return seen)`. */
export function returnText(ret: number | null): string {
  if (ret === null) return '(did not return in the trace)';
  return ret < 0 ? `= ${ret} ${errnoName(ret)}` : `= ${ret}`;
}

function num(v: FieldValue | undefined): number {
  return fieldNumber(v);
}

function oFlags(v: number): string {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR'][v & 3] ?? `${v & 3}`;
  const rest = O_FLAGS.filter(([bit]) => (v & bit) === bit).map(([, n]) => n);
  return [acc, ...rest].join('|');
}

function socketType(v: number): string {
  const base = SOCK_TYPES[v & 0xf] ?? `${v & 0xf}`;
  const extra = [(v & 0o4000) !== 0 ? 'SOCK_NONBLOCK' : '', (v & 0o2000000) !== 0 ? 'SOCK_CLOEXEC' : ''].filter(Boolean);
  return [base, ...extra].join('|');
}

function sockopt(level: number, name: number): string {
  const table = level === 1 ? SOL_SOCKET_OPTS : level === 6 ? TCP_OPTS : level === 41 ? IPV6_OPTS : {};
  return `${LEVELS[level] ?? level}, ${table[name] ?? name}`;
}

/**
 * The call as text, without its return value. `fd(n)` names a descriptor (`3 = listen
 * 10.0.0.1:5000`); `fdSet(nfds)` describes the descriptors a select/poll watched.
 */
export function callText(name: string, args: FieldMap, fd: (n: number) => string, fdSet: (nfds: number) => string): string {
  const a = args;
  const f = (k: string) => fd(num(a[k]));
  switch (name) {
    case 'socket':
      return `socket(${FAMILIES[num(a.family)] ?? num(a.family)}, ${socketType(num(a.type))}, ${PROTOCOLS[num(a.protocol)] ?? num(a.protocol)})`;
    case 'setsockopt':
    case 'getsockopt':
      return `${name}(${f('fd')}, ${sockopt(num(a.level), num(a.optname))})`;
    case 'bind':
    case 'connect':
    case 'getsockname':
    case 'getpeername':
      return `${name}(${f('fd')})`;
    case 'listen':
      return `listen(${f('fd')}, backlog ${num(a.backlog)})`;
    case 'accept':
    case 'accept4':
      return `${name}(${f('fd')})`;
    case 'fcntl': {
      const cmd = num(a.cmd);
      const arg = num(a.arg);
      const cmdName = FCNTL_CMDS[cmd] ?? `cmd ${cmd}`;
      if (cmd === 4) return `fcntl(${f('fd')}, F_SETFL, ${oFlags(arg)})`;
      if (cmd === 2) return `fcntl(${f('fd')}, F_SETFD, ${arg & 1 ? 'FD_CLOEXEC' : '0'})`;
      if (cmd === 0 || cmd === 1030) return `fcntl(${f('fd')}, ${cmdName}, ${arg})`;
      return `fcntl(${f('fd')}, ${cmdName})`;
    }
    case 'select':
    case 'pselect6':
    case '_newselect':
      return `${name}(nfds ${num(a.n)}: ${fdSet(num(a.n))})`;
    case 'poll':
    case 'ppoll':
      return `${name}(${num(a.nfds)} fd${num(a.nfds) === 1 ? '' : 's'}${a.timeout_msecs !== undefined ? `, timeout ${num(a.timeout_msecs)} ms` : ''})`;
    case 'epoll_wait':
    case 'epoll_pwait':
    case 'epoll_pwait2':
      return `${name}(${f('epfd')}, max ${num(a.maxevents)} events${a.timeout !== undefined ? `, timeout ${num(a.timeout)} ms` : ''})`;
    case 'read':
    case 'recvfrom':
    case 'recv':
      return `${name}(${f('fd')}, ${num(a.count ?? a.size ?? a.len)} bytes max)`;
    case 'write':
    case 'sendto':
    case 'send':
      return `${name}(${f('fd')}, ${num(a.count ?? a.len)} bytes)`;
    case 'recvmsg':
    case 'sendmsg':
    case 'readv':
    case 'writev':
    case 'close':
      return `${name}(${f('fd')})`;
    case 'shutdown':
      return `shutdown(${f('fd')}, ${SHUT[num(a.how)] ?? num(a.how)})`;
    case 'dup':
      return `dup(${fd(num(a.fildes))})`;
    case 'dup2':
    case 'dup3':
      return `${name}(${fd(num(a.oldfd))}, ${num(a.newfd)})`;
    case 'exit_group':
    case 'exit':
      return `${name}(${num(a.error_code)})`;
    case 'execve':
      return 'execve()';
    default: {
      const shown = Object.entries(a)
        .filter(([k]) => k !== '__syscall_nr')
        .slice(0, 3)
        .map(([k, v]) => (k === 'fd' ? fd(num(v)) : `${k}=${typeof v === 'bigint' || typeof v === 'number' ? v : JSON.stringify(v)}`));
      return `${name}(${shown.join(', ')})`;
    }
  }
}
