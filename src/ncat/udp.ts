/**
 * UDP (`-u`), with ncat 7.93's behaviour. UDP has no connection, so ncat makes one:
 * - connect mode connects the socket to the target, sends each read of stdin (at most
 *   8 KiB) as one datagram and prints each datagram received; end of stdin ends the run;
 *   an ICMP error (`Ncat: Connection refused.`) ends it with status 1;
 * - listen mode waits for the first datagram, prints `Connection from ADDR.`, connects the
 *   socket to its sender and from then on talks only to it; end of stdin stops sending but
 *   does not end the run (there is no end-of-file in UDP), only `-i` or an error does;
 * - `-k` (allowed only with `-e`/`-c`) opens a fresh listening socket for the next peer
 *   each time one is taken, and prints `Listening on` again, as ncat does.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { formatEndpoint, type ResolvedAddress } from './address.js';
import { strerror } from './errno-text.js';
import { relayDatagramsToProgram, sendDatagrams, type ConnectionInfo } from './exec.js';
import { NcatExit } from './exit.js';
import { FlowGate, IdleTimer, listenIdleTimer, type Session } from './session.js';

function newSocket(session: Session, family: 4 | 6): Socket {
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: family === 6 });
  session.defer(() => closeQuietly(socket));
  return socket;
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

function bind(socket: Socket, address: string | undefined, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, ...(address !== undefined ? { address } : {}) }, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
}

function connect(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      socket.connect(port, address, (err?: Error) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}

function connectionInfo(socket: Socket): ConnectionInfo {
  const local = socket.address();
  const remote = socket.remoteAddress();
  return { localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port, proto: 'UDP' };
}

// Datagrams have no flow control; received ones are written as they come.
const NO_GATE = new FlowGate({ pause() {}, resume() {} });

/** UDP connect mode towards the first of `targets` that accepts a connect(2). */
export async function runUdpConnect(session: Session, targets: readonly ResolvedAddress[], source?: ResolvedAddress): Promise<void> {
  const o = session.options;
  let socket: Socket | undefined;
  for (let i = 0; i < targets.length && !socket; i++) {
    const target = targets[i]!;
    const candidate = newSocket(session, target.family);
    try {
      if (source || o.sourcePort !== undefined) await bind(candidate, source?.address, o.sourcePort ?? 0);
      await connect(candidate, target.address, o.port);
      socket = candidate;
    } catch (err) {
      closeQuietly(candidate);
      if (i + 1 < targets.length) {
        session.log.info(`Connection to ${target.address} failed: ${strerror(err)}.`);
        session.log.info('Trying next address...');
        continue;
      }
      return session.end(1, `Ncat: ${strerror(err)}.`);
    }
  }
  if (!socket) return;
  const udp = socket;
  const remote = udp.remoteAddress();
  session.log.info(`Connected to ${formatEndpoint(remote.address, remote.port)}.`);

  if (o.exec) {
    await relayDatagramsToProgram(session, o.exec, udp, connectionInfo(udp));
    return session.end(0);
  }

  let sent = 0;
  let received = 0;
  let inFlight = 0;
  let inputOver = false;
  const finishOk = (): void => {
    session.log.info(`${sent} bytes sent, ${received} bytes received in ${session.elapsedSeconds()} seconds.`);
    session.end(0);
  };
  const onSent = (): void => {
    if (--inFlight === 0 && inputOver) finishOk();
  };
  udp.on('error', (err) => {
    if (!o.zeroIo || session.log.verbose) session.end(1, `Ncat: ${strerror(err)}.`);
    else session.end(1);
  });

  if (o.zeroIo) {
    // -z: one NUL datagram; silence until the idle timeout (2 s by default) means success.
    const idle = new IdleTimer(session, o.idleTimeoutMs, () => {
      session.log.info('UDP packet sent successfully');
      finishOk();
    });
    udp.on('message', (msg) => (received += msg.length));
    sent += 1;
    udp.send(Buffer.alloc(1), () => idle.refresh());
    return;
  }

  const idle = new IdleTimer(session, o.idleTimeoutMs, () => session.end(1, `Ncat: Idle timeout expired (${o.idleTimeoutMs} ms).`));
  idle.refresh();
  if (!o.sendOnly) {
    udp.on('message', (msg) => {
      received += msg.length;
      session.deliver(msg, NO_GATE);
      idle.refresh();
    });
  }
  if (!o.recvOnly) {
    session.readInput({
      onRead: () => idle.refresh(),
      send(chunk) {
        sent += chunk.length;
        inFlight += sendDatagrams(udp, chunk, onSent);
      },
      onEnd() {
        inputOver = true;
        if (inFlight === 0) finishOk();
      },
    });
  }
}

/** UDP listen mode on `addresses`; throws NcatExit (status 2) when a bind fails. */
export async function runUdpListen(session: Session, addresses: readonly ResolvedAddress[]): Promise<void> {
  const o = session.options;
  const listening = new Set<Socket>();
  let connections = 0;
  const activity = listenIdleTimer(session, () => connections);

  const openListener = async (address: ResolvedAddress, port: number): Promise<void> => {
    const socket = newSocket(session, address.family);
    try {
      await bind(socket, address.address, port);
    } catch (err) {
      closeQuietly(socket);
      throw NcatExit.quit(`bind to ${formatEndpoint(address.address, port)}: ${strerror(err)}.`);
    }
    listening.add(socket);
    session.log.info(`Listening on ${formatEndpoint(address.address, socket.address().port)}`);
    const onFirst = (msg: Buffer, rinfo: RemoteInfo): void => {
      socket.removeListener('message', onFirst);
      listening.delete(socket);
      void takePeer(socket, address, msg, rinfo).catch((err: unknown) => {
        if (err instanceof NcatExit) session.fail(err);
        else session.end(1, `Ncat: ${strerror(err)}.`);
      });
    };
    socket.on('message', onFirst);
    socket.on('error', (err) => {
      if (listening.has(socket)) session.end(1, `Ncat: ${strerror(err)}.`);
    });
  };

  /** The first datagram on `socket` makes its sender the peer ("connection"). */
  const takePeer = async (socket: Socket, address: ResolvedAddress, first: Buffer, rinfo: RemoteInfo): Promise<void> => {
    if (connections >= o.maxConns) {
      session.log.info(`New connection denied: connection limit reached (${connections})`);
      listening.add(socket);
      socket.on('message', function again(msg, info) {
        socket.removeListener('message', again);
        listening.delete(socket);
        void takePeer(socket, address, msg, info);
      });
      return;
    }
    session.log.info(`Connection from ${rinfo.address}.`);
    // Datagrams that arrive while connect(2) is under way belong to the new peer.
    const early: Buffer[] = [];
    const keepEarly = (msg: Buffer): void => void early.push(msg);
    socket.on('message', keepEarly);
    if (o.keepOpen) {
      await openListener(address, socket.address().port);
    } else {
      for (const other of listening) closeQuietly(other);
      listening.clear();
    }
    await connect(socket, rinfo.address, rinfo.port);
    socket.removeListener('message', keepEarly);
    connections++;
    activity();
    if (o.exec) {
      const relay = relayDatagramsToProgram(session, o.exec, socket, connectionInfo(socket), first);
      for (const msg of early) socket.emit('message', msg, rinfo);
      await relay;
      connections--;
      activity();
      if (!o.keepOpen) session.end(0);
      return;
    }
    servePeer(socket, [first, ...early]);
  };

  const servePeer = (socket: Socket, pending: Buffer[]): void => {
    socket.on('error', (err) => session.end(1, `Ncat: ${strerror(err)}.`));
    socket.on('message', (msg: Buffer) => {
      activity();
      if (!o.sendOnly) session.deliver(msg, NO_GATE);
    });
    if (!o.sendOnly) for (const msg of pending) session.deliver(msg, NO_GATE);
    session.readInput({
      onRead: activity,
      send: (chunk) => void sendDatagrams(socket, chunk, () => {}),
      // No end-of-file travels over UDP: end of stdin only stops the sending.
      onEnd() {},
    });
  };

  for (const address of addresses) {
    try {
      await openListener(address, o.port);
    } catch (err) {
      if (err instanceof NcatExit && /Address family not supported/.test(err.line) && addresses.length > 1) continue;
      throw err;
    }
  }
  if (listening.size === 0) throw NcatExit.quit('Unable to open any listening sockets.');
}
