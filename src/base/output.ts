/**
 * Fast line output for commands that print millions of records. Text is gathered into
 * large chunks and written synchronously to the file descriptor, so memory stays bounded
 * and nothing is lost at exit. A closed pipe (`| head`) ends the process quietly.
 */
import { writeSync } from 'node:fs';

const CHUNK = 1 << 16;

export class LineWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd = 1) {}

  /** Appends `text` (callers add their own newlines). */
  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    writeFully(this.fd, buf);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `buf`, waiting out EAGAIN on non-blocking pipes; exits 0 on EPIPE. */
export function writeFully(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') process.exit(0);
      throw err;
    }
  }
}
