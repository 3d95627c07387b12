/**
 * What every ncat mode shares: the options, the I/O, the log, the end of the run (one
 * exit status, every resource released exactly once, in reverse order), flow control on
 * readable streams and the idle timer.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { strerror } from './errno-text.js';
import { NcatExit } from './exit.js';
import { CrlfTranslator } from './line-endings.js';
import type { NcatIo } from './io.js';
import type { NcatLog } from './log.js';
import type { NcatOptions } from './options.js';

export class Session {
  /** Resolves with the exit status once the run has ended and everything is released. */
  readonly done: Promise<number>;
  /** When the run started, for the `-v` summary line. */
  readonly startedAt = process.hrtime.bigint();
  private readonly cleanups = new Set<() => void>();
  private resolveDone!: (status: number) => void;
  private finished = false;
  private input: Readable | undefined;
  private outputLogFd: number | undefined;

  constructor(readonly options: NcatOptions, readonly io: NcatIo, readonly log: NcatLog) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (options.outputFile !== undefined) {
      try {
        this.outputLogFd = openSync(options.outputFile, options.appendOutput ? 'a' : 'w', 0o664);
      } catch (err) {
        throw NcatExit.quit(`Unable to open "${options.outputFile}" for writing: ${strerror(err)}.`);
      }
      const fd = this.outputLogFd;
      this.defer(() => closeSync(fd));
    }
  }

  /** True once `end` ran; event handlers that fire late check it and do nothing. */
  get ended(): boolean {
    return this.finished;
  }

  /**
   * Registers `cleanup` to run when the session ends (last registered runs first).
   * Returns a function that unregisters it, for resources released earlier.
   */
  defer(cleanup: () => void): () => void {
    if (this.finished) {
      cleanup();
      return () => {};
    }
    const entry = (): void => cleanup();
    this.cleanups.add(entry);
    return () => this.cleanups.delete(entry);
  }

  /** A timer that is cleared when the session ends. */
  timer(ms: number, callback: () => void): NodeJS.Timeout {
    let undo = (): void => {};
    const t = setTimeout(() => {
      undo();
      callback();
    }, ms);
    undo = this.defer(() => clearTimeout(t));
    return t;
  }

  /**
   * Ends the run with `status`, printing `line` (a full `Ncat: ...` line) first when given.
   * Runs the cleanups, releases stdin and resolves `done`. Later calls do nothing, so the
   * first reason to stop wins, as with ncat's exit().
   */
  end(status: number, line?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (line) this.log.line(line);
    for (const cleanup of [...this.cleanups].reverse()) {
      try {
        cleanup();
      } catch {
        // a failing cleanup must not keep the others from running
      }
    }
    this.cleanups.clear();
    this.io.release();
    this.resolveDone(status);
  }

  /** Ends the run as `exit` says (status and ncat's line). */
  fail(exit: NcatExit): void {
    this.end(exit.status, exit.line);
  }

  /** ncat's stdin, opened on first use. */
  openInput(): Readable {
    if (!this.input) {
      this.input = this.io.openInput();
      const input = this.input;
      this.defer(() => {
        input.removeAllListeners('data');
        input.pause();
      });
    }
    return this.input;
  }

  /**
   * Reads ncat's stdin for sending, as every mode does: each read is `--crlf`-translated,
   * logged to `-o` and handed to `send`, then held for the `-d` delay. `onRead` runs first
   * on every read (activity for `-i`), also with `--recv-only`, where ncat still reads
   * stdin (and sees its end) but sends nothing. A read error ends the run with its reason
   * unless `onError` is given. Returns the input's gate, open.
   */
  readInput(handlers: { send(chunk: Buffer, gate: FlowGate): void; onEnd(): void; onRead?(): void; onError?(err: Error): void }): FlowGate {
    const input = this.openInput();
    const gate = new FlowGate(input);
    const crlf = this.options.crlf ? new CrlfTranslator() : undefined;
    input.on('data', (data: Buffer | string) => {
      handlers.onRead?.();
      if (this.options.recvOnly) return;
      const raw = typeof data === 'string' ? Buffer.from(data) : data;
      const chunk = crlf ? crlf.translate(raw) : raw;
      this.logData(chunk);
      handlers.send(chunk, gate);
      this.delayAfterRead(gate);
    });
    input.once('end', () => {
      this.log.debug('EOF on stdin');
      handlers.onEnd();
    });
    input.on('error', handlers.onError ?? ((err) => this.end(1, `Ncat: ${strerror(err)}.`)));
    gate.open();
    return gate;
  }

  /** Writes received data to stdout, holding `source` while the output is congested. */
  deliver(chunk: Buffer, source: FlowGate): void {
    this.logData(chunk);
    if (!this.io.writeOutput(chunk)) {
      source.hold('output');
      this.io.onOutputDrain(() => source.release('output'));
    }
  }

  /** Appends session data to the `-o` file (ncat logs both directions into one file). */
  logData(chunk: Uint8Array): void {
    if (this.outputLogFd === undefined) return;
    let off = 0;
    while (off < chunk.length) off += writeSync(this.outputLogFd, chunk, off, chunk.length - off);
  }

  /** Seconds since the start, as ncat's summary prints them (`%.2f`). */
  elapsedSeconds(): string {
    return (Number(process.hrtime.bigint() - this.startedAt) / 1e9).toFixed(2);
  }

  /** After each read ncat sleeps `-d` ms; holding the source that long has the same effect. */
  delayAfterRead(source: FlowGate): void {
    if (this.options.delayMs <= 0) return;
    source.hold('delay');
    this.timer(this.options.delayMs, () => source.release('delay'));
  }
}

/**
 * Pauses a readable stream while any reason holds it (output congested, peer congested,
 * `-d` delay, no client yet) and resumes it when the last reason is released.
 */
export class FlowGate {
  private readonly reasons = new Set<string>();

  constructor(private readonly stream: { pause(): unknown; resume(): unknown }) {}

  hold(reason: string): void {
    this.reasons.add(reason);
    this.stream.pause();
  }

  release(reason: string): void {
    if (this.reasons.delete(reason) && this.reasons.size === 0) this.stream.resume();
  }

  /** Starts the flow now if nothing holds it. */
  open(): void {
    if (this.reasons.size === 0) this.stream.resume();
  }
}

/**
 * ncat's `-i`: the run ends when nothing has been read for `ms`. `refresh` restarts the
 * wait (on every read); `stop` disarms it (listen mode while no client is connected).
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly session: Session, private readonly ms: number, private readonly expire: () => void) {
    session.defer(() => this.stop());
  }

  refresh(): void {
    if (this.ms <= 0 || this.session.ended) return;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.expire(), this.ms);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Listen mode's `-i`: ncat's select() restarts its timeout after every event, but only
 * waits with one while a client is connected; a single client given to `-e`/`-c` is
 * served by ncat's relay, which has no idle timeout at all. Returns the function to call
 * on every read and whenever `connections()` changes.
 */
export function listenIdleTimer(session: Session, connections: () => number): () => void {
  const o = session.options;
  const idle = new IdleTimer(session, o.idleTimeoutMs, () => session.fail(NcatExit.quit(`Idle timeout expired (${o.idleTimeoutMs} ms).`)));
  const applies = !(o.exec && !o.keepOpen);
  return () => {
    if (connections() > 0 && applies) idle.refresh();
    else idle.stop();
  };
}

/**
 * Closes `socket` after the data already written to it has reached the kernel (ncat
 * writes synchronously, so its close never drops accepted data), then destroys it.
 */
export function closeAfterFlush(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const done = (): void => {
      socket.destroy();
      resolve();
    };
    if (socket.writableLength === 0) return done();
    socket.once('close', () => resolve());
    if (socket.writableEnded) socket.once('finish', done);
    else socket.once('drain', done);
  });
}
