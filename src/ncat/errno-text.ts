/**
 * glibc's strerror() wording for the errors a netcat meets. ncat prints these words
 * (`Ncat: Connection refused.`), and Node only gives the code (`ECONNREFUSED`), so the
 * table makes our messages the same as ncat's.
 */
const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EAGAIN: 'Resource temporarily unavailable',
  EBADF: 'Bad file descriptor',
  ECONNABORTED: 'Software caused connection abort',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTDOWN: 'Host is down',
  EHOSTUNREACH: 'No route to host',
  EINVAL: 'Invalid argument',
  EIO: 'Input/output error',
  EISDIR: 'Is a directory',
  EMFILE: 'Too many open files',
  EMSGSIZE: 'Message too long',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ENOBUFS: 'No buffer space available',
  ENOENT: 'No such file or directory',
  ENOEXEC: 'Exec format error',
  ENOMEM: 'Cannot allocate memory',
  ENOTCONN: 'Transport endpoint is not connected',
  ENOTDIR: 'Not a directory',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EPROTONOSUPPORT: 'Protocol not supported',
  ETIMEDOUT: 'Connection timed out',
  // Node refuses some things the kernel would try (a UDP connect to port 0).
  ERR_SOCKET_BAD_PORT: 'Invalid argument',
};

/** strerror() text for a Node system error (`err.code`), else the error's own message. */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && Object.hasOwn(STRERROR, code)) return STRERROR[code]!;
  if (err instanceof Error) return err.message.replace(/^[A-Z]+: /, '');
  return String(err);
}
