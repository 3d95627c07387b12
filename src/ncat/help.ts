/**
 * `tracewire ncat --help`, in the layout of ncat's own help so its users find their way,
 * listing what this implementation supports.
 */
import { readFileSync } from 'node:fs';

/** The ncat release whose behaviour we follow. */
export const NCAT_COMPAT_VERSION = '7.93';

/** tracewire's version, from package.json (read only when a banner is printed). */
export function tracewireVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The `-v` banner's text after `Ncat: ` (ncat: `Version 7.93 ( https://nmap.org/ncat )`). */
export function bannerText(): string {
  return `Version ${NCAT_COMPAT_VERSION}-compatible ( tracewire ${tracewireVersion()} ncat )`;
}

export const NCAT_HELP = `tracewire ncat — a netcat compatible with Ncat ${NCAT_COMPAT_VERSION} ( https://nmap.org/ncat )
Usage: tracewire ncat [options] [hostname] [port]

Options taking a time assume seconds. Append 'ms' for milliseconds,
's' for seconds, 'm' for minutes, or 'h' for hours (e.g. 500ms).
  -4                         Use IPv4 only
  -6                         Use IPv6 only
  -C, --crlf                 Use CRLF for EOL sequence
  -c, --sh-exec <command>    Executes the given command via /bin/sh
  -e, --exec <command>       Executes the given command
  -m, --max-conns <n>        Maximum <n> simultaneous connections
  -h, --help                 Display this help screen
  -d, --delay <time>         Wait between read/writes
  -o, --output <filename>    Dump session data to a file
  -i, --idle-timeout <time>  Idle read/write timeout
  -p, --source-port port     Specify source port to use
  -s, --source addr          Specify source address to use (doesn't affect -l)
  -l, --listen               Bind and listen for incoming connections
  -k, --keep-open            Accept multiple connections in listen mode
  -n, --nodns                Do not resolve hostnames via DNS
  -u, --udp                  Use UDP instead of default TCP
  -v, --verbose              Set verbosity level (can be used several times)
  -w, --wait <time>          Connect timeout
  -z                         Zero-I/O mode, report connection status only
      --append-output        Append rather than clobber specified output files
      --send-only            Only send data, ignoring received; quit on EOF
      --recv-only            Only receive data, never send anything
      --no-shutdown          Continue half-duplex when receiving EOF on stdin
      --version              Display Ncat's version information and exit

Listen:   tracewire ncat -l [address] port      (or: -l -p port, --listen address port)
Connect:  tracewire ncat host port
Exit status: 0 success, 1 network error (refused, reset, timeout), 2 usage or local error.
Not implemented (refused with a message): SSL, proxies, --broker/--chat, -U, --vsock,
--sctp, -t, -g/-G, -x, --allow/--deny, --lua-exec.
`;
