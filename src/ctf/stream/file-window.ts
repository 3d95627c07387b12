/**
 * A read window over one data stream file: big sequential reads into one reusable buffer,
 * so memory per stream stays at one window (or one packet, when a packet is larger)
 * whatever the file size.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Where a window's buffer comes from: a buffer of at least n bytes (the previous one is no longer used). */
export type WindowAllocator = (n: number) => Buffer;

const ownBuffer: WindowAllocator = (n) => Buffer.allocUnsafeSlow(n);

export class FileWindow {
  readonly size: number;
  buf: Buffer;
  /** File offset of buf[0]. */
  private start = 0;
  /** Valid bytes in buf. */
  private len = 0;
  private fd: number;

  constructor(
    readonly path: string,
    private readonly capacity: number,
    private readonly allocate: WindowAllocator = ownBuffer,
  ) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
    this.buf = allocate(Math.max(1, Math.min(capacity, this.size)));
  }

  /**
   * Makes the file bytes [off, off + n) available and returns their index in `buf`.
   * Reads ahead up to the window capacity. `off + n` must not exceed the file size.
   */
  ensure(off: number, n: number): number {
    if (off >= this.start && off + n <= this.start + this.len) return off - this.start;
    const want = Math.max(n, Math.min(this.capacity, this.size - off));
    if (want > this.buf.length) this.buf = this.allocate(want);
    let got = 0;
    while (got < want) {
      const r = readSync(this.fd, this.buf, got, want - got, off + got);
      if (r === 0) break;
      got += r;
    }
    this.start = off;
    this.len = got;
    return 0;
  }

  /** Bytes available from `off` in the window after ensure(off, ...) (≥ n). */
  available(off: number): number {
    return this.start + this.len - off;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
