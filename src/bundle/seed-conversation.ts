/**
 * The seed experiment's conversation, run between two network namespaces that already
 * exist: an ncat server (`ncat --listen ADDR PORT`) in one, a client in the other. The
 * server sends a greeting typed on its stdin ("Hello"), the client answers with a line,
 * then the client disconnects — with a reset like the seed's (RST,ACK), or a normal close
 * (FIN). Each step waits for the previous one to be visible, with small pauses so that the
 * server is back in `select` before the next event arrives: the recorded story then shows
 * every block and every wakeup separately, as in the seed.
 *
 * This module sets up nothing network-related (no namespace, no link, no address): the
 * caller owns those (tests, `tracewire demo`). Every process it starts is tracked by PID
 * and killed on every path, also when the caller's AbortSignal fires.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TracewireError } from '../base/errors.js';

export interface SeedConversationOptions {
  /** Namespace (name under /run/netns) of the server. */
  readonly serverNetns: string;
  /** Namespace of the client. */
  readonly clientNetns: string;
  /** Address the server listens on (an address of the server namespace). */
  readonly serverAddress: string;
  /** Port (default 5000, like the seed). */
  readonly port?: number;
  /**
   * The ncat to run: argv prefix (default `['ncat']`, Debian's nmap ncat). `tracewire
   * ncat` works too: `[process.execPath, 'bin/tracewire.js', 'ncat']`.
   */
  readonly ncat?: readonly string[];
  /** What the server "types" (default `Hello\n`, 6 bytes like the seed). */
  readonly greeting?: string;
  /** The client's line (default `Hi from the client\n`). */
  readonly clientLine?: string;
  /**
   * How the client leaves: `rst` (default) aborts the connection (SO_LINGER 0 → RST,ACK,
   * like the seed's disconnect), `fin` closes it normally (the client is an ncat killed
   * with SIGTERM, the kernel sends FIN).
   */
  readonly teardown?: 'rst' | 'fin';
  /** Pause between steps, ms (default 150). */
  readonly pauseMs?: number;
  /** Upper bound for the whole conversation, ms (default 20 000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface SeedConversationResult {
  /** PID of the server ncat (the process the story is about). */
  readonly serverPid: number;
  readonly clientPid: number;
  /** What the server printed on stdout (the client's line). */
  readonly serverReceived: string;
  /** What the client received (the greeting). */
  readonly clientReceived: string;
  /** The server's exit status (ncat exits when the client is gone), or null if killed. */
  readonly serverExit: number | null;
  readonly teardown: 'rst' | 'fin';
}

/**
 * The client used for the `rst` teardown: connects, waits for the greeting, sends its
 * line, waits, then resets the connection. `resetAndDestroy()` closes with SO_LINGER 0,
 * which is what makes the kernel send RST instead of FIN.
 */
const RESET_CLIENT = `
const net = require('node:net');
const [host, port, line, pause] = process.argv.slice(1);
const sock = net.connect({ host, port: Number(port) });
let got = '';
sock.on('connect', () => process.stderr.write('connected ' + sock.localPort + '\\n'));
sock.on('data', (d) => {
  got += d.toString();
  if (!got.includes('\\n')) return;
  process.stdout.write(got);
  sock.removeAllListeners('data');
  setTimeout(() => {
    sock.write(line);
    setTimeout(() => { sock.resetAndDestroy(); process.stderr.write('reset\\n'); setTimeout(() => process.exit(0), 50); }, Number(pause));
  }, Number(pause));
});
sock.on('error', (e) => { process.stderr.write('client error ' + e.message + '\\n'); process.exit(1); });
setTimeout(() => process.exit(3), 15000);
`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class Processes {
  private readonly live = new Set<ChildProcess>();

  start(netns: string, argv: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.live.add(child);
    child.on('exit', () => this.live.delete(child));
    child.on('error', () => this.live.delete(child));
    child.stdin?.on('error', () => {});
    return child;
  }

  killAll(): void {
    for (const c of this.live) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { out: () => out, err: () => err };
}

/** Polls `check` every 20 ms until it returns true; throws after `ms`. */
async function waitUntil(what: string, ms: number, check: () => boolean, deadline: () => void): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    deadline();
    if (Date.now() > end) throw new TracewireError(`seed conversation: timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** True when something listens on `port` in `netns` (ss from iproute2). */
function listening(netns: string, port: number): boolean {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'ss', '-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

/** True when `netns` has an established TCP connection to `port`. */
function established(netns: string, port: number): boolean {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'ss', '-Htn', 'state', 'established', `dport = :${port}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

function exitOf(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * Runs the conversation and resolves when the server has exited (or was killed after the
 * time limit). Throws a TracewireError when a step does not happen in time (the server
 * does not listen, the client does not connect…); processes are killed in every case.
 */
export async function runSeedConversation(options: SeedConversationOptions): Promise<SeedConversationResult> {
  const port = options.port ?? 5000;
  const ncat = options.ncat ?? ['ncat'];
  const greeting = options.greeting ?? 'Hello\n';
  const line = options.clientLine ?? 'Hi from the client\n';
  const teardown = options.teardown ?? 'rst';
  const pause = options.pauseMs ?? 150;
  const timeout = options.timeoutMs ?? 20_000;
  const started = Date.now();
  const procs = new Processes();
  const onAbort = () => procs.killAll();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const deadline = () => {
    if (options.signal?.aborted) throw new TracewireError('seed conversation: aborted');
    if (Date.now() - started > timeout) throw new TracewireError('seed conversation: took too long');
  };
  try {
    const server = procs.start(options.serverNetns, [...ncat, '--listen', options.serverAddress, String(port)]);
    const serverIo = collect(server);
    await waitUntil(`the server to listen on ${options.serverAddress}:${port}`, 5000, () => listening(options.serverNetns, port) || server.exitCode !== null, deadline);
    if (server.exitCode !== null) throw new TracewireError(`seed conversation: the server exited (${server.exitCode}): ${serverIo.err().trim()}`);
    // Let the server settle in select() before the SYN arrives.
    await sleep(pause);

    let client: ChildProcess;
    let clientIo: { out: () => string; err: () => string };
    if (teardown === 'rst') {
      client = procs.start(options.clientNetns, [process.execPath, '-e', RESET_CLIENT, options.serverAddress, String(port), line, String(pause)]);
      clientIo = collect(client);
      await waitUntil('the client to connect', 5000, () => clientIo.err().includes('connected') || client.exitCode !== null, deadline);
    } else {
      client = procs.start(options.clientNetns, [...ncat, options.serverAddress, String(port)]);
      clientIo = collect(client);
      await waitUntil('the client to connect', 5000, () => established(options.clientNetns, port) || client.exitCode !== null, deadline);
    }
    if (client.exitCode !== null) throw new TracewireError(`seed conversation: the client exited (${client.exitCode}): ${clientIo.err().trim()}`);
    await sleep(pause);

    // The server "types" its greeting.
    server.stdin!.write(greeting);
    await waitUntil('the client to receive the greeting', 5000, () => clientIo.out().includes(greeting.trim()), deadline);
    if (teardown === 'fin') {
      await sleep(pause);
      client.stdin!.write(line);
    }
    await waitUntil("the server to receive the client's line", 5000, () => serverIo.out().includes(line.trim()), deadline);
    if (teardown === 'fin') {
      await sleep(pause);
      client.kill('SIGTERM');
    }
    const clientExit = exitOf(client, 5000);
    const serverExit = await exitOf(server, 5000);
    await clientExit;
    return {
      serverPid: server.pid!,
      clientPid: client.pid!,
      serverReceived: serverIo.out(),
      clientReceived: clientIo.out(),
      serverExit,
      teardown,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    procs.killAll();
  }
}
