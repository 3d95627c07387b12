/**
 * The seed's terminal session, scripted: on the server host `ncat --listen ADDR 5000`, on
 * the client host `ncat ADDR 5000`; "Hello" typed on the server side (6 bytes with its
 * newline, frame 4 of the seed's capture), a line typed on the client side, then the
 * client side disconnects with a reset (the seed's RST,ACK).
 *
 * How the reset is made. Neither ncat resets on its own: killed with Ctrl-C or a signal,
 * both nmap's ncat and ours let the kernel close the socket normally, and a socket closed
 * with nothing unread goes out with FIN. An RST is what a client host sends when the
 * connection is aborted — by a program that set SO_LINGER to 0, by closing with unread
 * data, or by the host itself. The demo asks the client host's kernel to abort the
 * connection: `ss -K` (SOCK_DESTROY → tcp_abort) sends RST,ACK with the last
 * acknowledgement, exactly the seed's frame 6, whichever ncat is the client; the client
 * ncat then sees ECONNABORTED and exits. Kernels built without CONFIG_INET_DIAG_DESTROY
 * refuse `ss -K`; the client is then terminated (FIN) and the result says so.
 *
 * Every step waits for the previous one to be visible (the server listening, the
 * connection established, the greeting printed by the client…), then pauses briefly so
 * the server is back in select() before the next event arrives: each block and each
 * wakeup of the seed's list then shows up on its own. Every wait is bounded; every
 * process is tracked by PID and killed on every path, also when `signal` aborts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TracewireError } from '../base/errors.js';
import type { DemoLab } from './lab.js';
import { ProcessTracker, type TrackedProcess } from './processes.js';

export interface SeedSessionOptions {
  readonly lab: DemoLab;
  /** Argv prefix of the ncat to run on both hosts (e.g. `['ncat']` or tracewire's). */
  readonly ncat: readonly string[];
  /** The ncat's environment (default: this process's). */
  readonly ncatEnv?: NodeJS.ProcessEnv;
  /** Port (default 5000, the seed's). */
  readonly port?: number;
  /** What the server "types" (default `Hello\n`: 6 bytes, as in the seed). */
  readonly greeting?: string;
  /** The client's line (default `Hi from the client\n`). */
  readonly clientLine?: string;
  /** Pause after each step so the server blocks again before the next (default 250 ms). */
  readonly pauseMs?: number;
  /** Bound for each wait (default 8 s). */
  readonly stepTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** One line per step, for the progress on stderr. */
  readonly onStep?: (line: string) => void;
  /** Receives each process as it starts (the demo records their PIDs for cleanup checks). */
  readonly tracker?: ProcessTracker;
}

export interface SeedSessionResult {
  /** PID of the server ncat: the process whose story is told. */
  readonly serverPid: number;
  readonly clientPid: number;
  /** `rst` when the client host reset the connection, `fin` when it could only close it. */
  readonly teardown: 'rst' | 'fin';
  /** What the client printed (the greeting) and the server printed (the client's line). */
  readonly clientReceived: string;
  readonly serverReceived: string;
  /** Exit status of the server (ncat: 1 after a reset, 0 after FIN), null if it was killed. */
  readonly serverExit: number | null;
  readonly clientExit: number | null;
  /** The server's stderr (ncat's messages, e.g. `Ncat: Connection reset by peer.`). */
  readonly serverMessages: string;
  readonly greeting: string;
  readonly clientLine: string;
  readonly port: number;
}

const POLL_MS = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `ss ARGS` inside `netns`; returns stdout ('' on failure). Bounded. */
function ss(netns: string, args: readonly string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'ss', ...args], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout : '';
}

/** `10.77.0.1`, 5000 → `01004D0A:1388`: an IPv4 endpoint as /proc/net/tcp writes it. */
function procNetEndpoint(address: string, port: number): string {
  const hex = address
    .split('.')
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .reverse()
    .join('');
  return `${hex}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

const TCP_ESTABLISHED = '01';
const TCP_LISTEN = '0A';

/**
 * True when the network namespace of process `pid` has a TCP socket in `state` with local
 * (or remote) endpoint `endpoint`. Reads /proc/PID/net/tcp — the namespace's table — rather
 * than running `ss`: polling must not add processes to the trace it is recording.
 */
function hasTcpSocket(pid: number, state: string, endpoint: string, side: 'local' | 'remote'): boolean {
  let table: string;
  try {
    table = readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
  } catch {
    return false;
  }
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    if (f[3] === state && f[side === 'local' ? 1 : 2] === endpoint) return true;
  }
  return false;
}

/**
 * Runs the session and resolves once the server ncat has exited (ncat exits when its
 * only client leaves). Throws a TracewireError naming the step that did not happen in
 * time (with the process's own message when it died); processes are killed in any case.
 */
export async function runSeedSession(options: SeedSessionOptions): Promise<SeedSessionResult> {
  const { lab, ncat } = options;
  const port = options.port ?? 5000;
  const greeting = options.greeting ?? 'Hello\n';
  const clientLine = options.clientLine ?? 'Hi from the client\n';
  const pause = options.pauseMs ?? 250;
  const stepMs = options.stepTimeoutMs ?? 8000;
  const tracker = options.tracker ?? new ProcessTracker();
  const say = options.onStep ?? (() => {});
  const server = lab.server;
  const client = lab.client;
  const onAbort = () => tracker.killAll();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const checkAbort = () => {
    if (options.signal?.aborted) throw new TracewireError('demo: interrupted');
  };
  const pauseStep = async () => {
    checkAbort();
    await sleep(pause);
    checkAbort();
  };
  const waitFor = async (what: string, ready: () => boolean, proc?: TrackedProcess) => {
    const end = Date.now() + stepMs;
    for (;;) {
      checkAbort();
      if (ready()) return;
      if (proc?.exited()) {
        const msg = proc.stderr().trim().split('\n').at(-1);
        throw new TracewireError(`demo: waiting for ${what}, ${proc === srv ? 'the server' : 'the client'} ncat exited (${proc.exitCode()})${msg ? `: ${msg}` : ''}`);
      }
      if (Date.now() > end) throw new TracewireError(`demo: timed out after ${stepMs / 1000} s waiting for ${what}`);
      await sleep(POLL_MS);
    }
  };
  let srv: TrackedProcess | undefined;
  try {
    const listenArgs = ['--listen', server.address, String(port)];
    srv = tracker.start(lab.execArgv(server, [...ncat, ...listenArgs]), options.ncatEnv);
    const s = srv;
    say(`server host ${server.netns}: ncat ${listenArgs.join(' ')}  (pid ${s.pid})`);
    const serverEndpoint = procNetEndpoint(server.address, port);
    await waitFor(`the server to listen on ${server.address}:${port}`, () => hasTcpSocket(s.pid, TCP_LISTEN, serverEndpoint, 'local'), s);
    await pauseStep();

    const connectArgs = [server.address, String(port)];
    const cli = tracker.start(lab.execArgv(client, [...ncat, ...connectArgs]), options.ncatEnv);
    say(`client host ${client.netns}: ncat ${connectArgs.join(' ')}  (pid ${cli.pid})`);
    const established = () => hasTcpSocket(cli.pid, TCP_ESTABLISHED, serverEndpoint, 'remote');
    await waitFor('the connection to be established', established, cli);
    // The server wakes from select() and accepts; give it time to block again.
    await pauseStep();

    say(`server types ${JSON.stringify(greeting)} (${Buffer.byteLength(greeting)} bytes)`);
    s.write(greeting);
    await waitFor('the client to print the greeting', () => cli.stdout().includes(greeting.trim()), cli);
    await pauseStep();

    say(`client types ${JSON.stringify(clientLine)} (${Buffer.byteLength(clientLine)} bytes)`);
    cli.write(clientLine);
    await waitFor("the server to print the client's line", () => s.stdout().includes(clientLine.trim()), s);
    await pauseStep();

    let teardown: 'rst' | 'fin' = 'rst';
    const killed = ss(client.netns, ['-K', '-Htn', 'state', 'established', `dst ${server.address}`, `dport = :${port}`]);
    if (killed.trim() !== '' && !established()) {
      say('client host aborts the connection (ss -K): its kernel sends RST,ACK');
    } else {
      teardown = 'fin';
      say('this kernel cannot abort sockets (ss -K needs CONFIG_INET_DIAG_DESTROY): the client ncat is terminated instead (FIN, not the seed\'s RST)');
      cli.child.kill('SIGTERM');
    }
    const serverExit = await s.waitExit(stepMs);
    const clientExit = await cli.waitExit(stepMs);
    say(`server ncat exited with status ${serverExit ?? 'killed'}${s.stderr().trim() ? ` (${s.stderr().trim().split('\n').at(-1)})` : ''}`);
    return {
      serverPid: s.pid,
      clientPid: cli.pid,
      teardown,
      clientReceived: cli.stdout(),
      serverReceived: s.stdout(),
      serverExit,
      clientExit,
      serverMessages: s.stderr(),
      greeting,
      clientLine,
      port,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    tracker.killAll();
  }
}
