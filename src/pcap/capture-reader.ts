/**
 * What the pcap and pcapng readers share: the file they read, frame numbering, the
 * one-shot `frames()` iterator over their `next()`, and byte-order-aware word reads.
 */
import type { ChunkedFile } from './chunked-file.js';
import type { CapturedFrame } from './types.js';

/** The comment list of a frame without comments (shared, never mutated). */
export const NO_COMMENTS: readonly string[] = Object.freeze([]);

/** Unsigned 16-bit word at `b[p]`, little-endian when `le`. */
export function readU16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
}

/** Unsigned 32-bit word at `b[p]`, little-endian when `le`. */
export function readU32(b: Uint8Array, p: number, le: boolean): number {
  return le ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0 : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Base of the capture readers: subclasses implement `next()` and number frames with `frameNumber`. */
export abstract class CaptureReader {
  /** Number of the frame read last (frames are numbered from 1). */
  protected frameNumber = 0;
  private started = false;

  constructor(
    readonly path: string,
    protected readonly file: ChunkedFile,
  ) {}

  /** The next frame, or null at the end (the file is then closed). */
  abstract next(): CapturedFrame | null;

  *frames(): Iterable<CapturedFrame> {
    if (this.started) throw new Error('frames() can be iterated only once');
    this.started = true;
    try {
      for (let f = this.next(); f !== null; f = this.next()) yield f;
    } finally {
      this.file.close();
    }
  }

  close(): void {
    this.file.close();
  }
}
