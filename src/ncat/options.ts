/**
 * ncat's command line: the same options, spellings, defaults, checks and messages as
 * nmap's ncat 7.93 (`ncat_main.c`), for the options tracewire's ncat implements. Options
 * that ncat has but we do not (SSL, proxies, brokering, Unix sockets, ...) are recognised
 * and refused with one clear line, so nobody mistakes them for silently working.
 *
 * Parsing has two phases, as in ncat: the options (this file's `parseNcatCommand`), then,
 * after the `-v` banner is printed, the operands and the option combinations
 * (`checkNcatCommand`). Both throw NcatExit with ncat's words.
 */
import { NcatExit } from './exit.js';
import { GetoptError, scanOptions, type LongOption } from './getopt.js';
import { parseTimeSpec } from './time-spec.js';

/** ncat's default port when none is given (`DEFAULT_NCAT_PORT`). */
export const DEFAULT_PORT = 31337;
/** ncat's default simultaneous-connection limit in listen mode (`DEFAULT_MAX_CONNS`). */
export const DEFAULT_MAX_CONNS = 100;

export type AddressFamily = 4 | 6 | 'any';

/** What to run on each connection instead of using stdin/stdout (`-e`, `-c`). */
export interface ExecSpec {
  /** `plain`: split like ncat and exec without PATH search (`-e`); `shell`: `/bin/sh -c` (`-c`). */
  readonly mode: 'plain' | 'shell';
  readonly command: string;
}

/** Everything the command line asks for, after both phases. */
export interface NcatOptions {
  family: AddressFamily;
  udp: boolean;
  listen: boolean;
  keepOpen: boolean;
  /** Host to connect to, or address to listen on; undefined = any (listen mode only). */
  host: string | undefined;
  port: number;
  sourceAddress: string | undefined;
  sourcePort: number | undefined;
  noDns: boolean;
  /** `-v` count: 1 = verbose; each further `-v` is one debug level (ncat's o.debug). */
  verbosity: number;
  /** `-w`: connect timeout in ms; 0 = the kernel's. */
  connectTimeoutMs: number;
  /** `-i`: idle timeout in ms; 0 = none. */
  idleTimeoutMs: number;
  /** `-d`: pause after each read in ms; 0 = none. */
  delayMs: number;
  sendOnly: boolean;
  recvOnly: boolean;
  noShutdown: boolean;
  crlf: boolean;
  zeroIo: boolean;
  exec: ExecSpec | undefined;
  /** `-m`: simultaneous connections allowed in listen mode with `-k`. */
  maxConns: number;
  /** `-o`: file that receives a copy of all data sent and received. */
  outputFile: string | undefined;
  appendOutput: boolean;
  /** Operands left for the second phase (host and/or port). */
  operands: string[];
}

export type NcatCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly options: NcatOptions; readonly maxConnsGiven: boolean };

// ncat 7.93's getopt string and long options, in ncat's order: abbreviations and their
// ambiguity messages depend on both.
const SHORT_OPTIONS = '46UCc:e:g:G:i:km:hp:d:lo:x:ts:uvw:nz';
const alias = (name: string, hasArg: boolean, letter: string): LongOption => ({ name, hasArg, key: letter, identity: letter });
const longOnly = (name: string, hasArg: boolean): LongOption => ({ name, hasArg, key: name, identity: '0' });
const flag = (name: string): LongOption => ({ name, hasArg: false, key: name, identity: `flag:${name}` });
const LONG_OPTIONS: readonly LongOption[] = [
  alias('4', false, '4'), alias('6', false, '6'), alias('unixsock', false, 'U'), longOnly('vsock', false),
  alias('crlf', false, 'C'), alias('g', true, 'g'), alias('G', true, 'G'), alias('exec', true, 'e'),
  alias('sh-exec', true, 'c'), longOnly('lua-exec', true), longOnly('lua-exec-internal', true),
  alias('max-conns', true, 'm'), alias('help', false, 'h'), alias('delay', true, 'd'), alias('listen', false, 'l'),
  alias('output', true, 'o'), alias('hex-dump', true, 'x'), longOnly('append-output', false),
  alias('idle-timeout', true, 'i'), alias('keep-open', false, 'k'), flag('recv-only'),
  alias('source-port', true, 'p'), alias('source', true, 's'), flag('send-only'), flag('no-shutdown'),
  longOnly('broker', false), longOnly('chat', false), longOnly('talk', false), longOnly('deny', true),
  longOnly('denyfile', true), longOnly('allow', true), longOnly('allowfile', true), alias('telnet', false, 't'),
  alias('udp', false, 'u'), longOnly('sctp', false), longOnly('version', false), alias('verbose', false, 'v'),
  alias('wait', true, 'w'), alias('nodns', false, 'n'), longOnly('proxy', true), longOnly('proxy-type', true),
  longOnly('proxy-auth', true), longOnly('proxy-dns', true), longOnly('nsock-engine', true), longOnly('test', false),
  flag('ssl'), longOnly('ssl-cert', true), longOnly('ssl-key', true), longOnly('ssl-verify', false),
  longOnly('ssl-trustfile', true), longOnly('ssl-ciphers', true), longOnly('ssl-servername', true), longOnly('ssl-alpn', true),
];

// ncat features outside what tracewire's ncat implements; keyed by LongOption.key.
const UNSUPPORTED: Record<string, string> = {
  U: 'Unix domain sockets (-U)', vsock: 'vsock sockets (--vsock)', g: 'source routing (-g)', G: 'source routing (-G)',
  'lua-exec': 'Lua scripts (--lua-exec)', 'lua-exec-internal': 'Lua scripts (--lua-exec)', x: 'hex dumps (-x)',
  broker: 'connection brokering (--broker)', chat: 'chat mode (--chat)', talk: 'chat mode (--talk)',
  deny: 'access control (--deny)', denyfile: 'access control (--denyfile)', allow: 'access control (--allow)',
  allowfile: 'access control (--allowfile)', t: 'Telnet negotiation (-t)', sctp: 'SCTP (--sctp)',
  proxy: 'proxies (--proxy)', 'proxy-type': 'proxies (--proxy-type)', 'proxy-auth': 'proxies (--proxy-auth)',
  'proxy-dns': 'proxies (--proxy-dns)', ssl: 'SSL (--ssl)', 'ssl-cert': 'SSL (--ssl-cert)', 'ssl-key': 'SSL (--ssl-key)',
  'ssl-verify': 'SSL (--ssl-verify)', 'ssl-trustfile': 'SSL (--ssl-trustfile)', 'ssl-ciphers': 'SSL (--ssl-ciphers)',
  'ssl-servername': 'SSL (--ssl-servername)', 'ssl-alpn': 'SSL (--ssl-alpn)',
};

const TRY_HELP = "Try `--help' or man(1) ncat for more information, usage options and help.";

/** C's atoi: leading white space, optional sign, digits; anything else reads as 0. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Phase one: reads the options of `argv` (the arguments after `ncat`) in order, as ncat's
 * getopt loop does, so `-h` or `--version` win over anything after them. Throws NcatExit
 * for an invalid option or value.
 */
export function parseNcatCommand(argv: readonly string[]): NcatCommand {
  let scan;
  let scanError: GetoptError | undefined;
  try {
    scan = scanOptions(argv, SHORT_OPTIONS, LONG_OPTIONS);
  } catch (err) {
    if (!(err instanceof GetoptError)) throw err;
    scanError = err;
    // Process what came before the bad option first, as getopt hands them over in order.
    scan = scanPrefixBeforeError(argv);
  }
  const o: NcatOptions = {
    family: 'any', udp: false, listen: false, keepOpen: false, host: undefined, port: DEFAULT_PORT,
    sourceAddress: undefined, sourcePort: undefined, noDns: false, verbosity: 0, connectTimeoutMs: 0,
    idleTimeoutMs: 0, delayMs: 0, sendOnly: false, recvOnly: false, noShutdown: false, crlf: false,
    zeroIo: false, exec: undefined, maxConns: -1, outputFile: undefined, appendOutput: false,
    operands: scan.operands,
  };
  let sourcePort = -1;
  for (const { key, value = '', spelling } of scan.options) {
    if (Object.hasOwn(UNSUPPORTED, key)) throw NcatExit.quit(`${UNSUPPORTED[key]} is not supported by tracewire ncat.`);
    switch (key) {
      case '4': o.family = 4; break;
      case '6': o.family = 6; break;
      case 'C': o.crlf = true; break;
      case 'c':
      case 'e':
        if (o.exec) throw NcatExit.quit('Only one of --exec, --sh-exec, and --lua-exec is allowed.');
        o.exec = { mode: key === 'c' ? 'shell' : 'plain', command: value };
        break;
      case 'k': o.keepOpen = true; break;
      case 'm': o.maxConns = atoi(value); break;
      case 'd': o.delayMs = parseTimeSpec(value, '-d delay'); break;
      case 'o': o.outputFile = value; break;
      case 'append-output': o.appendOutput = true; break;
      case 'p': sourcePort = parseSourcePort(value); break;
      case 'i': o.idleTimeoutMs = parseTimeSpec(value, '-i timeout'); break;
      case 's': o.sourceAddress = value; break;
      case 'l': o.listen = true; break;
      case 'u': o.udp = true; break;
      case 'v': o.verbosity++; break;
      case 'n': o.noDns = true; break;
      case 'w': o.connectTimeoutMs = parseTimeSpec(value, '-w timeout'); break;
      case 'z': o.zeroIo = true; break;
      case 'recv-only': o.recvOnly = true; break;
      case 'send-only': o.sendOnly = true; break;
      case 'no-shutdown': o.noShutdown = true; break;
      case 'h': return { kind: 'help' };
      case 'version': return { kind: 'version' };
      // ncat's nsock engine choice and self-test switch change nothing observable here.
      case 'nsock-engine': case 'test': break;
      default: throw NcatExit.quit(`Unrecognised option ${spelling}.`);
    }
  }
  if (scanError) throw NcatExit.quit(`${scanError.message}. ${TRY_HELP}`);
  if (sourcePort > 65535) throw NcatExit.quit(`Invalid source port ${sourcePort}.`);
  if (sourcePort >= 0) o.sourcePort = sourcePort;
  const maxConnsGiven = o.maxConns !== -1;
  if (!maxConnsGiven) o.maxConns = DEFAULT_MAX_CONNS;
  return { kind: 'run', options: o, maxConnsGiven };
}

/** The options before the first bad one, so they take effect (or win, like -h) first. */
function scanPrefixBeforeError(argv: readonly string[]): { options: ReturnType<typeof scanOptions>['options']; operands: string[] } {
  for (let n = argv.length - 1; n >= 0; n--) {
    try {
      return scanOptions(argv.slice(0, n), SHORT_OPTIONS, LONG_OPTIONS);
    } catch {
      // keep shortening until the prefix scans cleanly
    }
  }
  return { options: [], operands: [] };
}

/** `-p`: ncat reads it with strtoul, so `-1` becomes 4294967295 and is refused later. */
function parseSourcePort(text: string): number {
  const m = /^\s*([+-]?)(\d+)$/.exec(text);
  if (!m) throw NcatExit.quit(`Invalid source port number "${text}".`);
  const n = Number(m[2]);
  return m[1] === '-' && n > 0 ? 2 ** 32 - n : n;
}

/**
 * Phase two, run after the verbose banner: the operands (`[host] [port]`), the default
 * port and the option combinations ncat refuses, in ncat's order. `warn` receives ncat's
 * non-fatal warnings as full lines. Fills `options.host` and `options.port`.
 */
export function checkNcatCommand(command: Extract<NcatCommand, { kind: 'run' }>, warn: (line: string) => void): NcatOptions {
  const o = command.options;
  if (o.zeroIo) {
    if (o.listen) throw NcatExit.quit("Services designed for LISTENING can't be used with -z");
    if (o.exec) throw NcatExit.quit("Command execution can't be done along with option -z.");
    if (!o.idleTimeoutMs && o.udp) o.idleTimeoutMs = 2000;
  }
  if (o.sourceAddress !== undefined && o.listen) {
    throw NcatExit.quit('-l and -s are incompatible.  Specify the address and port to bind to like you would a host to connect to.');
  }
  const operands = [...o.operands];
  if (operands.length === 0) {
    if (!o.listen) throw NcatExit.quit('You must specify a host to connect to.');
  } else if (!/^\d*$/.test(operands[0]!)) {
    o.host = operands.shift();
  } else if (!o.listen) {
    throw NcatExit.quit('You must specify a host to connect to.');
  }
  const portGivenAsSource = o.listen && o.sourcePort !== undefined;
  if (operands.length > 1 || (portGivenAsSource && operands.length === 1)) {
    const all = [...(portGivenAsSource ? [String(o.sourcePort)] : []), ...operands];
    throw NcatExit.quit(`Got more than one port specification: ${all.join(' ')}.`);
  }
  if (operands.length === 1) {
    const text = operands[0]!;
    // strtol with a full-match check: white space and '+' lead, nothing may trail.
    const m = /^\s*\+?(\d*)$/.exec(text);
    const port = m ? Number(m[1] || '0') : NaN;
    if (!(port >= 0 && port <= 65535)) throw NcatExit.quit(`Invalid port number "${text}".`);
    o.port = port;
  }
  // `ncat -l -p PORT` is `ncat -l PORT` (nc compatibility). ncat 7.93 loses the port when
  // an address is given too (`-l -p 5000 127.0.0.1` listens on 31337); we honour it.
  if (portGivenAsSource) {
    o.port = o.sourcePort!;
    o.sourcePort = undefined;
  }
  if (o.udp && o.keepOpen && !o.exec) {
    throw NcatExit.quit('UDP mode does not support the -k or --keep-open options, except with --exec or --sh-exec.');
  }
  if (!o.listen) {
    if (command.maxConnsGiven) throw NcatExit.quit("Invalid option combination: `--max-conns' with connect.");
    if (o.keepOpen) throw NcatExit.quit("Invalid option combination: `--keep-open' with connect.");
  } else if (command.maxConnsGiven && !o.keepOpen) {
    warn('Ncat: Warning: Maximum connections ignored, since it does not take effect without -k or --broker.');
  }
  return o;
}
