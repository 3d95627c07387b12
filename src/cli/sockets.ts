/**
 * `tracewire sockets TRACE` — every socket file descriptor of a kernel trace, resolved to
 * its inode, local and remote address and port, and the TCP states it went through: the
 * seed author's `ls -l /proc/PID/fd` → inode → /proc/net/tcp lookup, done from the trace
 * for every process and every moment.
 */
import { SYNC_FILE_HELP, SYNC_FILE_OPTION } from './sync-option.js';
import { choiceOption, intOption, parseCommandArgs } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { toJson } from '../base/json.js';
import { LineWriter } from '../base/output.js';
import { formatTimeOfDay } from '../base/time.js';
import type { SocketInfo } from '../analysis/fds/fd-model.js';
import { openKernelModel } from './stats.js';

export const help = `Usage: tracewire sockets TRACE... [--format text|json] [--pid PID] [--all] [--fds] [--begin T] [--end T]

Lists the sockets of a kernel trace (an LTTng trace or a tracewire bundle) with the file
descriptors that referred to them: per process and fd, the socket's family and protocol,
inode, local → remote address:port, and its TCP states with the time each began.

How a socket is resolved (shown as "evidence" in JSON):
  statedump              fds open before the trace (lttng_statedump_file_descriptor,
                         socket:[inode]) and tracewire's socket tables (/proc/net/*)
  inet_sock_set_state    TCP state changes with addresses; inside connect/listen/close
                         on an fd they name that fd's socket
  sock_send_length, sock_recv_length
                         sends and receives inside a system call on an fd (fd → socket)
  tcp_probe, tcp_retransmit_skb, tcp_*_reset, tcp_destroy_sock
  connect-args, accept-args
                         the addresses LTTng records in connect/accept
  accept-queue           the established connection accept() returned (FIFO order),
                         when no event named it directly

Options:
  --format text|json  output format (default text). JSON: {"sockets": [{"id", "family",
                      "protocol", "inode", "local", "remote", "unixPath", "netNs",
                      "states": [{"ts", "state"}], "createdTs", "destroyedTs",
                      "bytesSent", "bytesReceived", "retransmits", "resetsSent",
                      "resetsReceived", "kernelAddresses", "evidence",
                      "fds": [{"pid", "comm", "fd", "openTs", "closeTs"}]}]}
  --pid PID           only sockets that process PID had an fd on
  --all               also sockets never tied to an fd (connections not accepted, …)
  --fds               list every fd of every process (files, pipes, … too) instead
  --begin T, --end T  only events in this window (see \`tracewire stats --help\`)
${SYNC_FILE_HELP}
  -h, --help          this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('sockets', argv, {
    format: { type: 'string' },
    pid: { type: 'string' },
    all: { type: 'boolean' },
    fds: { type: 'boolean' },
    begin: { type: 'string' },
    end: { type: 'string' },
    ...SYNC_FILE_OPTION,
  });
  if (positionals.length === 0) throw new UsageError('sockets: give a kernel trace directory (see `tracewire sockets --help`)');
  const format = choiceOption('sockets', 'format', values.format, ['text', 'json'] as const, 'text');
  const pid = intOption('sockets', 'pid', values.pid);
  const model = openKernelModel('sockets', positionals, values.begin, values.end, values['sync-file']);
  const fdModel = model.fds!;
  const out = new LineWriter();
  try {
    if (values.fds) {
      const fds = fdModel.fds(pid === undefined ? {} : { pid });
      if (format === 'json') out.write(`${toJson({ fds })}\n`);
      else {
        out.write(`${'PID'.padStart(7)} ${'FD'.padStart(5)} ${'KIND'.padEnd(10)} ${'ORIGIN'.padEnd(10)} ${'OPENED'.padEnd(18)} ${'CLOSED'.padEnd(18)} PATH\n`);
        for (const f of fds) {
          const opened = f.openTs === null ? 'before trace' : formatTimeOfDay(f.openTs);
          const closed = f.closeTs === null ? '-' : formatTimeOfDay(f.closeTs);
          out.write(`${String(f.pid).padStart(7)} ${String(f.fd).padStart(5)} ${f.kind.padEnd(10)} ${f.origin.padEnd(10)} ${opened.padEnd(18)} ${closed.padEnd(18)} ${f.path}${f.cloexec ? ' (cloexec)' : ''}\n`);
        }
      }
      return 0;
    }
    let sockets = fdModel.sockets({ all: values.all === true });
    if (pid !== undefined) sockets = sockets.filter((s) => s.fds.some((f) => f.pid === pid));
    if (format === 'json') out.write(`${toJson({ sockets })}\n`);
    else writeText(out, sockets);
  } finally {
    out.flush();
  }
  return 0;
}

function writeText(out: LineWriter, sockets: readonly SocketInfo[]): void {
  out.write(`${'PID'.padStart(7)} ${'COMM'.padEnd(16)} ${'FD'.padStart(4)} ${'PROTO'.padEnd(6)} ${'LOCAL'.padEnd(28)} ${'REMOTE'.padEnd(28)} ${'INODE'.padStart(9)}  STATES\n`);
  const rows: Array<{ key: [number, number, number]; text: string }> = [];
  for (const s of sockets) {
    const states = s.states.map((st) => `${st.state}@${formatTimeOfDay(st.ts)}`).join(' → ');
    const local = s.local ?? (s.unixPath ? s.unixPath : '-');
    const remote = s.remote ?? '-';
    const proto = s.family === 'unix' ? 'unix' : s.protocol;
    const fds = s.fds.length ? s.fds : [{ pid: -1, comm: '', fd: -1, openTs: null, closeTs: null }];
    for (const f of fds) {
      const text = `${(f.pid >= 0 ? String(f.pid) : '-').padStart(7)} ${(f.comm || '?').slice(0, 16).padEnd(16)} ${(f.fd >= 0 ? String(f.fd) : '-').padStart(4)} ${proto.padEnd(6)} ${local.padEnd(28)} ${remote.padEnd(28)} ${(s.inode === null ? '-' : String(s.inode)).padStart(9)}  ${states}\n`;
      rows.push({ key: [f.pid, f.fd, s.id], text });
    }
  }
  rows.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
  for (const r of rows) out.write(r.text);
}
