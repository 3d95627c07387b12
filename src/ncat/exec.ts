/**
 * `-e` / `-c`: a program attached to a connection. Like ncat (its `netexec`), the program
 * gets pipes, not the socket: ncat relays socket → program stdin and program stdout →
 * socket (applying `--crlf` to the program's output), and the relay ends — closing the
 * socket — as soon as either the connection or the program's output ends. The program's
 * stderr is ncat's stderr, and it learns the peer from NCAT_* environment variables.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket as DgramSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { splitCommandLine } from './cmdline-split.js';
import { strerror } from './errno-text.js';
import { CrlfTranslator } from './line-endings.js';
import type { ExecSpec } from './options.js';
import { closeAfterFlush, FlowGate, type Session } from './session.js';

/** The connection a program is attached to, exported to it as NCAT_* variables. */
export interface ConnectionInfo {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly proto: 'TCP' | 'UDP';
}

/** NCAT_* information about a connected stream socket. */
export function streamConnectionInfo(socket: Socket): ConnectionInfo {
  return {
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    proto: 'TCP',
  };
}

/** The largest datagram ncat sends from one read (its 8 KiB read buffer). */
const MAX_DATAGRAM = 8192;

/** Sends `chunk` as datagrams of at most 8 KiB; `onSent` runs once per datagram. Returns how many. */
export function sendDatagrams(socket: DgramSocket, chunk: Buffer, onSent: () => void): number {
  let count = 0;
  for (let off = 0; off < chunk.length; off += MAX_DATAGRAM) {
    count++;
    socket.send(chunk.subarray(off, off + MAX_DATAGRAM), onSent);
  }
  return count;
}

type Program = ChildProcessByStdio<Writable, Readable, null>;

/**
 * Starts the `-e`/`-c` program for one connection. `-c` runs `/bin/sh -c COMMAND`; `-e`
 * splits COMMAND like ncat and executes the first word as a path (no PATH search, as
 * ncat's execv), so `-e cat` fails the way it does with ncat. A program that cannot be
 * started reports `exec: REASON` on stderr and looks like one that printed nothing.
 */
function startProgram(session: Session, exec: ExecSpec, info: ConnectionInfo): Program {
  const env = {
    ...process.env,
    NCAT_REMOTE_ADDR: info.remoteAddress,
    NCAT_REMOTE_PORT: String(info.remotePort),
    NCAT_LOCAL_ADDR: info.localAddress,
    NCAT_LOCAL_PORT: String(info.localPort),
    NCAT_PROTO: info.proto,
  };
  let file: string;
  let args: string[];
  let argv0: string;
  if (exec.mode === 'shell') {
    session.log.debug(`Executing with shell: ${exec.command}`);
    [file, args, argv0] = ['/bin/sh', ['-c', exec.command], 'sh'];
  } else {
    session.log.debug(`Executing: ${exec.command}`);
    const words = splitCommandLine(exec.command);
    argv0 = words[0] ?? '';
    file = argv0.includes('/') ? argv0 : `./${argv0}`;
    args = words.slice(1);
  }
  const child = spawn(file, args, { argv0, env, stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('error', (err) => session.io.writeError(`exec: ${strerror(err)}\n`));
  // The program may exit before reading all we relay; its closed stdin is not our error.
  child.stdin.on('error', () => {});
  // Our exit must not wait for programs still running; they see end-of-file on stdin.
  child.unref();
  return child;
}

/**
 * ncat's child reports a failed exec and exits a moment later, and ncat relays what the
 * peer sent meanwhile; ending our relay at once would close the socket with that data
 * unread, which the kernel turns into a reset instead of ncat's orderly close.
 */
function afterFailedStart(finish: () => void): () => void {
  return () => void setTimeout(finish, 10);
}

/** A started program and the end of its relay. */
interface ProgramRelay {
  readonly child: Program;
  /** Ends the relay (once): the program's stdin gets end-of-file, its output is dropped. */
  finish(): void;
  readonly over: boolean;
}

/**
 * Starts the program for one connection and wires what every relay shares: each read of
 * its output, `--crlf`-translated, goes to `sendOutput`; the end of that output, a failed
 * start or the end of the session finishes the relay, and then `close` runs (once).
 */
function startRelay(session: Session, exec: ExecSpec, info: ConnectionInfo, sendOutput: (chunk: Buffer) => void, close: () => void): ProgramRelay {
  const child = startProgram(session, exec, info);
  const crlf = session.options.crlf ? new CrlfTranslator() : undefined;
  let over = false;
  const finish = (): void => {
    if (over) return;
    over = true;
    undoCleanup();
    child.stdin.end();
    child.stdout.destroy();
    close();
  };
  const undoCleanup = session.defer(finish);
  child.on('error', afterFailedStart(finish));
  child.stdout.on('data', (chunk: Buffer) => sendOutput(crlf ? crlf.translate(chunk) : chunk));
  child.stdout.on('end', finish);
  child.stdout.on('error', finish);
  return {
    child,
    finish,
    get over() {
      return over;
    },
  };
}

/**
 * Relays between the stream `socket` and a new program until either side ends, then
 * closes the socket. Resolves when the relay is over (the program may still be running).
 */
export function relayStreamToProgram(session: Session, exec: ExecSpec, socket: Socket, info: ConnectionInfo): Promise<void> {
  return new Promise((resolve) => {
    const socketGate = new FlowGate(socket);
    const sendOutput = (out: Buffer): void => {
      if (!socket.destroyed && !socket.write(out)) {
        childGate.hold('socket');
        socket.once('drain', () => childGate.release('socket'));
      }
    };
    const { child, finish } = startRelay(session, exec, info, sendOutput, () => void closeAfterFlush(socket).then(resolve));
    const childGate = new FlowGate(child.stdout);
    socket.on('data', (chunk: Buffer) => {
      if (!child.stdin.write(chunk)) {
        socketGate.hold('program');
        child.stdin.once('drain', () => socketGate.release('program'));
      }
    });
    socket.on('end', finish);
    socket.on('error', finish);
    socket.resume();
  });
}

/**
 * The same for a connected UDP socket: each datagram goes to the program's stdin, each
 * read of its output (at most 8 KiB) becomes one datagram. An empty datagram ends the
 * relay, as a zero-length read does in ncat.
 */
export function relayDatagramsToProgram(session: Session, exec: ExecSpec, socket: DgramSocket, info: ConnectionInfo, first?: Buffer): Promise<void> {
  return new Promise((resolve) => {
    let sending = 0;
    const closeSocket = (): void => {
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve();
    };
    const onSent = (): void => {
      if (--sending === 0 && relay.over) closeSocket();
    };
    const sendOutput = (out: Buffer): void => void (sending += sendDatagrams(socket, out, onSent));
    const relay = startRelay(session, exec, info, sendOutput, () => {
      if (sending === 0) closeSocket();
    });
    const { child, finish } = relay;
    const onDatagram = (msg: Buffer): void => {
      if (msg.length === 0) return finish();
      child.stdin.write(msg);
    };
    socket.on('message', onDatagram);
    socket.on('error', finish);
    if (first) onDatagram(first);
  });
}
