/**
 * Where ncat's data comes from and goes to. The command uses the process's own stdin,
 * stdout and stderr (`processIo`); a program embedding ncat can hand in streams
 * (`streamIo`). Both share one small contract so the modes never touch `process`.
 */
import { closeSync, createReadStream, fstatSync, openSync, writeSync } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { writeFully } from '../base/output.js';

export interface NcatIo {
  /** The data to send (ncat's stdin). Opened on first call only: ncat does not touch its
   *  stdin before it needs it (listen mode waits for a client; `-e` never reads it). */
  openInput(): Readable;
  /** Writes received data (ncat's stdout). Returns false when the caller should stop
   *  reading until `onOutputDrain` calls back. */
  writeOutput(chunk: Uint8Array): boolean;
  onOutputDrain(callback: () => void): void;
  /** Signals end of output. ncat closes stdout when the connection's read side ends, so a
   *  pipeline reading it (`ncat host port | sha256sum`) finishes even while stdin is open. */
  closeOutput(): void;
  /** Diagnostics (ncat's stderr); `text` holds whole lines. */
  writeError(text: string): void;
  /** Lets go of stdin at the end so nothing keeps the process alive. */
  release(): void;
}

/** The process's fds 0, 1 and 2. Output is written synchronously, like ncat's write(2). */
export function processIo(): NcatIo {
  let input: Readable | undefined;
  let outputClosed = false;
  return {
    openInput() {
      input ??= openStdin();
      return input;
    },
    writeOutput(chunk) {
      if (!outputClosed) writeFully(1, chunk);
      return true;
    },
    onOutputDrain(callback) {
      queueMicrotask(callback);
    },
    closeOutput() {
      if (outputClosed) return;
      outputClosed = true;
      // A terminal has nobody waiting for end-of-file; a pipe or file does.
      if (isatty(1)) return;
      try {
        closeSync(1);
      } catch {
        return;
      }
      // Occupy descriptor 1 again (open returns the lowest free one) so that no socket
      // opened later becomes "stdout" for code that still writes to fd 1.
      const fd = openSync('/dev/null', 'w');
      if (fd !== 1) closeSync(fd);
    },
    writeError(text) {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      try {
        while (off < buf.length) off += writeSync(2, buf, off, buf.length - off);
      } catch {
        // stderr gone (closed pipe): diagnostics are best effort, like ncat's.
      }
    },
    release() {
      input?.destroy();
    },
  };
}

/**
 * fd 0 as a stream. A regular file is read in 1 MiB blocks from its current offset
 * (`process.stdin` would take 64 KiB per thread-pool round trip, a third of the speed);
 * pipes, sockets and terminals are `process.stdin`.
 */
function openStdin(): Readable {
  let isFile = false;
  try {
    isFile = fstatSync(0).isFile();
  } catch {
    // fd 0 not usable as a file: let process.stdin deal with it
  }
  return isFile ? createReadStream('', { fd: 0, highWaterMark: 1 << 20, autoClose: false }) : process.stdin;
}

/** Streams supplied by an embedding program; all optional (no stdin = empty input). */
export interface NcatStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

/** An NcatIo over caller-owned streams; `release` leaves them open for the caller. */
export function streamIo(streams: NcatStreams): NcatIo {
  const { stdin, stdout, stderr } = streams;
  return {
    openInput: () => stdin ?? Readable.from([]),
    writeOutput: (chunk) => (stdout ? stdout.write(chunk) : true),
    onOutputDrain(callback) {
      if (stdout) stdout.once('drain', callback);
      else queueMicrotask(callback);
    },
    closeOutput() {
      stdout?.end();
    },
    writeError(text) {
      stderr?.write(text);
    },
    release() {},
  };
}
