/**
 * Listen mode over TCP (`ncat -l [ADDR] PORT`), with ncat 7.93's behaviour:
 * - binds (SO_REUSEADDR, backlog 10) and prints `Listening on ADDR:PORT`;
 * - without `-k`, the first client is the only one: the listening sockets are closed
 *   right after accepting it (the seed's step 11), and the run ends when that client
 *   leaves — status 0 on its end-of-file, 1 on an error such as a reset;
 * - with `-k`, clients come and go; stdin is read only while at least one is connected and
 *   each read is sent to all of them; end of stdin shuts down their write sides;
 * - `-e`/`-c` attach a program to each client instead of stdin/stdout;
 * - `-i` counts only while clients are connected and ends the run with status 2.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { formatEndpoint, type ResolvedAddress } from './address.js';
import { strerror } from './errno-text.js';
import { relayStreamToProgram, streamConnectionInfo } from './exec.js';
import { NcatExit } from './exit.js';
import { closeAfterFlush, FlowGate, listenIdleTimer, type Session } from './session.js';

/** ncat's listen(2) backlog. */
const BACKLOG = 10;

/** Binds `address` on the session's port; rejects with the Node error. */
function bindServer(session: Session, address: ResolvedAddress): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    server.once('error', reject);
    server.listen({ host: address.address, port: session.options.port, backlog: BACKLOG, ipv6Only: address.family === 6 }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

/**
 * Binds every address of `addresses` (ncat's order), then serves clients as the options
 * say until the run ends. Throws NcatExit (status 2) when a bind fails.
 */
export async function runTcpListen(session: Session, addresses: readonly ResolvedAddress[]): Promise<void> {
  const o = session.options;
  const servers: Server[] = [];
  session.defer(() => servers.forEach((s) => s.close()));
  for (const address of addresses) {
    let server: Server;
    try {
      server = await bindServer(session, address);
    } catch (err) {
      // A kernel without IPv6 cannot make the socket at all; ncat then skips that address.
      if ((err as NodeJS.ErrnoException).code === 'EAFNOSUPPORT' && addresses.length > 1) {
        session.log.debug(`do_listen("${address.address}"): ${strerror(err)}`);
        continue;
      }
      throw NcatExit.quit(`bind to ${formatEndpoint(address.address, o.port)}: ${strerror(err)}.`);
    }
    servers.push(server);
    // A failed accept(2) (e.g. out of descriptors) is not the end of the run, as in ncat.
    server.on('error', (err) => session.log.debug(`Error in accept: ${strerror(err)}`));
    const bound = server.address();
    const port = bound && typeof bound === 'object' ? bound.port : o.port;
    session.log.info(`Listening on ${formatEndpoint(address.address, port)}`);
  }
  if (servers.length === 0) throw NcatExit.quit('Unable to open any listening sockets.');

  // Each client has its own reason to hold stdin while its send buffer is full.
  const clients = new Map<Socket, string>();
  let clientCount = 0;
  let connections = 0;
  let acceptedOne = false;
  let inputEof = false;
  let inputGate: FlowGate | undefined;
  const activity = listenIdleTimer(session, () => connections);

  const forget = (socket: Socket): void => {
    const key = clients.get(socket);
    if (key === undefined) return;
    clients.delete(socket);
    inputGate?.release(key);
  };
  const connectionGone = (socket: Socket | undefined, status: number): void => {
    if (socket) forget(socket);
    connections--;
    if (connections === 0) inputGate?.hold('no-clients');
    activity();
    if (!o.keepOpen) session.end(status);
  };

  const startInput = (): void => {
    if (inputGate || inputEof) {
      inputGate?.release('no-clients');
      return;
    }
    inputGate = session.readInput({
      onRead: activity,
      send(chunk, gate) {
        for (const [client, key] of clients) {
          if (!client.write(chunk)) {
            gate.hold(key);
            client.once('drain', () => gate.release(key));
          }
        }
      },
      onEnd() {
        inputEof = true;
        if (o.sendOnly) {
          // Nothing more will happen; let what was sent reach the kernel, then stop.
          void Promise.all([...clients.keys()].map(closeAfterFlush)).then(() => session.end(0));
          return;
        }
        if (!o.noShutdown) for (const client of clients.keys()) client.end();
      },
      onError(err) {
        session.log.debug(`Error reading from stdin: ${strerror(err)}`);
        session.end(1);
      },
    });
  };

  const serveClient = (socket: Socket): void => {
    clients.set(socket, `client-${++clientCount}`);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      session.log.debug(`Closing connection (${strerror(err)}).`);
      socket.destroy();
      if (clients.has(socket)) connectionGone(socket, 1);
    });
    if (!o.sendOnly) {
      const gate = new FlowGate(socket);
      socket.on('data', (chunk: Buffer) => {
        activity();
        session.deliver(chunk, gate);
        session.delayAfterRead(gate);
      });
      socket.on('end', () => {
        session.log.debug('Closing connection.');
        if (!clients.has(socket)) return;
        forget(socket);
        void closeAfterFlush(socket).then(() => connectionGone(undefined, 0));
      });
      gate.open();
    }
    startInput();
  };

  const onConnection = (socket: Socket): void => {
    socket.on('error', () => {});
    if (session.ended || (!o.keepOpen && acceptedOne)) {
      // Accepted in the same batch as the one client of a run without -k: ncat would have
      // closed its listening socket before accepting it.
      socket.destroy();
      return;
    }
    const remote = socket.remoteAddress ?? '';
    session.log.info(`Connection from ${remote}.`);
    if (!o.keepOpen) {
      acceptedOne = true;
      for (const server of servers) server.close();
    }
    session.log.info(`Connection from ${formatEndpoint(remote, socket.remotePort ?? 0)}.`);
    if (connections >= o.maxConns) {
      session.log.info(`New connection denied: connection limit reached (${connections})`);
      socket.destroy();
      return;
    }
    connections++;
    activity();
    if (o.exec) {
      void relayStreamToProgram(session, o.exec, socket, streamConnectionInfo(socket)).then(() => connectionGone(undefined, 0));
      return;
    }
    serveClient(socket);
  };

  for (const server of servers) server.on('connection', onConnection);
  session.defer(() => clients.forEach((_key, client) => client.destroy()));
}
