/**
 * Connect mode over TCP (`ncat HOST PORT`), with ncat 7.93's behaviour:
 * - tries the resolved addresses in order; `-w` bounds each attempt (`Ncat: TIMEOUT.`);
 *   a failure of the last one prints the reason (`Ncat: Connection refused.`), status 1;
 * - stdin → socket and socket → stdout; end of stdin shuts down the write side (unless
 *   `--no-shutdown`); end of the socket closes stdout; the run ends when both directions
 *   are over (`--send-only`: at end of stdin; `--recv-only`: at end of the socket);
 * - a reset or a failed write ends the run with the reason, status 1;
 * - `-i` ends an idle run with status 1; `-v` prints the byte counts at the end.
 */
import { Socket } from 'node:net';
import { formatEndpoint, type ResolvedAddress } from './address.js';
import { strerror } from './errno-text.js';
import { relayStreamToProgram, streamConnectionInfo } from './exec.js';
import { closeAfterFlush, FlowGate, IdleTimer, type Session } from './session.js';

/**
 * Connects to the first reachable address of `targets` (port `session.options.port`),
 * optionally from `source`, and runs the session over the connection. The outcome is
 * reported through `session.done`.
 */
export function runTcpConnect(session: Session, targets: readonly ResolvedAddress[], source?: ResolvedAddress): void {
  const o = session.options;
  const attempt = (index: number): void => {
    const target = targets[index]!;
    const socket = new Socket({ allowHalfOpen: true });
    // Nothing is read before we know what the connection is for (--send-only never reads).
    socket.pause();
    const undoCleanup = session.defer(() => socket.destroy());
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const failed = (reason: string): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      socket.destroy();
      undoCleanup();
      if (session.ended) return;
      if (index + 1 < targets.length) {
        session.log.info(`Connection to ${target.address} failed: ${reason}.`);
        session.log.info('Trying next address...');
        attempt(index + 1);
      } else {
        session.end(1, !o.zeroIo || session.log.verbose ? `Ncat: ${reason}.` : undefined);
      }
    };
    socket.on('error', (err) => failed(strerror(err)));
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      socket.removeAllListeners('error');
      session.log.info(`Connected to ${formatEndpoint(socket.remoteAddress ?? target.address, socket.remotePort ?? o.port)}.`);
      connected(session, socket);
    });
    if (o.connectTimeoutMs > 0) timer = setTimeout(() => failed('TIMEOUT'), o.connectTimeoutMs);
    socket.connect({
      host: target.address,
      port: o.port,
      family: target.family,
      ...(source ? { localAddress: source.address } : {}),
      ...(o.sourcePort !== undefined ? { localPort: o.sourcePort } : {}),
    });
  };
  attempt(0);
}

/** The session over an established connection. */
function connected(session: Session, socket: Socket): void {
  const o = session.options;
  let sent = 0;
  let received = 0;
  // A direction we do not use counts as already over.
  let socketEof = o.sendOnly;
  let inputEof = o.recvOnly;

  const finishOk = (): void => {
    if (session.ended) return;
    void closeAfterFlush(socket).then(() => {
      session.log.info(`${sent} bytes sent, ${received} bytes received in ${session.elapsedSeconds()} seconds.`);
      session.end(0);
    });
  };
  const maybeDone = (): void => {
    if (socketEof && inputEof) finishOk();
  };

  if (o.exec) {
    // The relay owns the socket; like ncat's, it ends quietly with status 0.
    void relayStreamToProgram(session, o.exec, socket, streamConnectionInfo(socket)).then(() => session.end(0));
    return;
  }
  socket.on('error', (err: NodeJS.ErrnoException) => session.end(1, `Ncat: ${strerror(err)}.`));
  if (o.zeroIo) return finishOk();

  const idle = new IdleTimer(session, o.idleTimeoutMs, () => session.end(1, `Ncat: Idle timeout expired (${o.idleTimeoutMs} ms).`));
  idle.refresh();

  if (!o.sendOnly) {
    const socketGate = new FlowGate(socket);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      session.deliver(chunk, socketGate);
      idle.refresh();
      session.delayAfterRead(socketGate);
    });
    socket.on('end', () => {
      session.log.debug('Connection closed by peer.', 2);
      session.io.closeOutput();
      socketEof = true;
      if (o.recvOnly) finishOk();
      else maybeDone();
    });
    socketGate.open();
  }

  if (!o.recvOnly) {
    session.readInput({
      onRead: () => idle.refresh(),
      send(chunk, gate) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          gate.hold('socket');
          socket.once('drain', () => gate.release('socket'));
        }
      },
      onEnd() {
        if (!o.noShutdown) socket.end();
        inputEof = true;
        // With --send-only nothing more can happen once stdin is over.
        if (o.sendOnly) finishOk();
        else maybeDone();
      },
    });
  }
  maybeDone();
}
