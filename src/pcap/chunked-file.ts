/**
 * Sequential, bounds-aware access to a file in large chunks. Readers ask for `n` bytes
 * at the current position with `ensure(n)`; the bytes are then in `buf[pos .. pos+n)`.
 *
 * Every refill allocates a NEW buffer (the unread tail is copied over), so views handed
 * out earlier (frame data) stay valid for as long as someone holds them, and memory is
 * bounded by the chunk size plus what the caller retains.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 4 << 20;

export class ChunkedFile {
  /** Current chunk; valid bytes are `[0, end)`. */
  buf: Uint8Array = new Uint8Array(0);
  /** Read position inside `buf`. */
  pos = 0;
  /** Number of valid bytes in `buf`. */
  end = 0;
  /** File offset of `buf[0]`. */
  base = 0;
  /** File size in bytes at open time. */
  readonly size: number;
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const st = fstatSync(this.fd);
    if (st.isDirectory()) {
      closeSync(this.fd);
      this.fd = null;
      const err = new Error(`EISDIR: ${path}`) as NodeJS.ErrnoException;
      err.code = 'EISDIR';
      err.path = path;
      throw err;
    }
    this.size = st.size;
  }

  /** File offset of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes available in the buffer from the read position. */
  get available(): number {
    return this.end - this.pos;
  }

  /** Bytes left in the file from the read position. */
  get remainingInFile(): number {
    return this.size - this.offset;
  }

  /**
   * Makes `n` bytes available at `pos`. Returns false when the file ends first; then
   * `available` says how many bytes there were.
   */
  ensure(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.fd === null) return false;
    const keep = this.end - this.pos;
    const fileLeft = this.size - (this.base + this.end);
    const want = Math.max(n, Math.min(CHUNK, keep + fileLeft));
    const next = new Uint8Array(Math.max(want, keep));
    if (keep > 0) next.set(this.buf.subarray(this.pos, this.end), 0);
    let filled = keep;
    let filePos = this.base + this.end;
    while (filled < next.length) {
      const got = readSync(this.fd, next, filled, next.length - filled, filePos);
      if (got <= 0) break;
      filled += got;
      filePos += got;
    }
    this.base += this.pos;
    this.buf = next;
    this.pos = 0;
    this.end = filled;
    return this.end >= n;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
