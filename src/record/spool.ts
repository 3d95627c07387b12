/**
 * Moving ring-buffer pages from the kernel to disk while recording, and reading them
 * back for conversion.
 *
 * While the workload runs, the recorder only copies pages: each `per_cpu/cpuN/
 * trace_pipe_raw` is read non-blocking (one page per read) and the used part of every
 * page is appended to a spool segment `cpuN.SSSS.raw` as `[u32 length][page bytes]`.
 * Decoding to CTF happens after the run, so the recorder costs the workload as little CPU
 * as possible. Segments are small enough to be deleted as conversion consumes them, which
 * lets a bundle be finished even on a nearly full disk.
 */
import { closeSync, constants, ftruncateSync, openSync, readdirSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../base/errors.js';
import { readPageHeader, type PageLayout } from '../ftrace/ring-buffer.js';
import { DiskFullError } from '../ctf/writer/stream-writer.js';

const SEGMENT_BYTES = 2 << 20;
const FLUSH_BYTES = 1 << 20;
/**
 * Longest time read pages wait in memory. A recorder killed with SIGKILL loses what it
 * had not written; the next run recovers only the spool and the kernel's buffers, so a
 * quiet CPU's pages must not sit in memory for long.
 */
export const SPOOL_MAX_AGE_MS = 500;

/** Counts of what went through one CPU's reader. */
export interface CpuCounters {
  pages: number;
  bytes: number;
  records: number;
  /** Lost events the pages reported with a count. */
  lost: number;
  /** Pages that reported a loss without a count. */
  lossesWithoutCount: number;
  /** Events read from the kernel but not stored because the disk was full. */
  dropped: number;
}

/** Counts the data records of a page without decoding them (for live progress). */
export function countRecords(page: Uint8Array, layout: PageLayout, dataLength: number, view = new DataView(page.buffer, page.byteOffset, page.byteLength)): number {
  let pos = layout.dataOffset;
  const end = layout.dataOffset + dataLength;
  let n = 0;
  while (pos + 4 <= end) {
    const word = view.getUint32(pos, true);
    const typeLen = word & 0x1f;
    if (typeLen === layout.paddingType) {
      if (word >>> 5 === 0 || pos + 8 > end) break;
      pos += 4 + view.getUint32(pos + 4, true);
    } else if (typeLen === layout.timeExtendType || typeLen === layout.timeStampType) {
      pos += 8;
    } else if (typeLen === 0) {
      if (pos + 8 > end) break;
      pos += 4 + view.getUint32(pos + 4, true);
      n++;
    } else {
      pos += 4 + typeLen * 4;
      n++;
    }
  }
  return n;
}

/** Appends pages of one CPU to its spool segments. */
export class SpoolWriter {
  private segment = 0;
  private fd = -1;
  private segmentBytes = 0;
  /** Pages waiting to be written, length-prefixed, in one preallocated buffer. */
  private readonly pending = Buffer.alloc(FLUSH_BYTES + 65536);
  private pendingBytes = 0;
  private pendingRecords = 0;
  /** When the oldest queued page was queued (performance.now() ms), or -1. */
  private pendingSince = -1;
  private full = false;
  /** Events not stored because the disk was full. */
  droppedRecords = 0;

  /** New segments are numbered after any `cpuN.*.raw` already in `dir` (resuming a spool). */
  constructor(private readonly dir: string, readonly cpu: number) {
    this.segment = spoolSegments(dir, cpu).length;
  }

  /** Queues one page (already trimmed) holding `records` events; writes when enough is queued. */
  append(page: Uint8Array, records: number): void {
    if (this.full) {
      this.droppedRecords += records;
      return;
    }
    if (this.pendingBytes + 4 + page.length > this.pending.length) this.flush();
    if (this.pendingBytes === 0) this.pendingSince = performance.now();
    this.pending.writeUInt32LE(page.length, this.pendingBytes);
    this.pending.set(page, this.pendingBytes + 4);
    this.pendingBytes += 4 + page.length;
    this.pendingRecords += records;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  /**
   * Writes what is queued. On a full disk the batch is taken back whole (the segment is
   * cut to where it was), its events are counted as dropped, later pages are dropped too,
   * and DiskFullError is thrown once.
   */
  flush(): void {
    if (this.pendingBytes === 0 || this.full) return;
    this.pendingSince = -1;
    if (this.fd < 0 || this.segmentBytes >= SEGMENT_BYTES) this.nextSegment();
    const length = this.pendingBytes;
    const records = this.pendingRecords;
    this.pendingBytes = 0;
    this.pendingRecords = 0;
    let off = 0;
    try {
      while (off < length) off += writeSync(this.fd, this.pending, off, length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      ftruncateSync(this.fd, this.segmentBytes);
      this.full = true;
      this.droppedRecords += records;
      throw new DiskFullError(segmentPath(this.dir, this.cpu, this.segment));
    }
    this.segmentBytes += length;
  }

  /** Writes what is queued if it has waited `maxAgeMs` or more. Throws DiskFullError like flush. */
  flushIfOlder(maxAgeMs: number, now = performance.now()): void {
    if (this.pendingSince >= 0 && now - this.pendingSince >= maxAgeMs) this.flush();
  }

  close(): void {
    try {
      this.flush();
    } finally {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
    }
  }

  private nextSegment(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.segment++;
    }
    this.fd = openSync(segmentPath(this.dir, this.cpu, this.segment), 'wx');
    this.segmentBytes = 0;
  }
}

function segmentPath(dir: string, cpu: number, segment: number): string {
  return join(dir, `cpu${cpu}.${String(segment).padStart(4, '0')}.raw`);
}

/**
 * Reads one CPU's `trace_pipe_raw` without blocking and spools its pages. A read returns
 * at most one page; an empty buffer answers EAGAIN.
 */
export class CpuReader {
  private readonly fd: number;
  private readonly page: Buffer;
  private readonly view: DataView;
  readonly counters: CpuCounters = { pages: 0, bytes: 0, records: 0, lost: 0, lossesWithoutCount: 0, dropped: 0 };

  constructor(pipePath: string, readonly cpu: number, private readonly layout: PageLayout, private readonly spool: SpoolWriter) {
    this.fd = openSync(pipePath, constants.O_RDONLY | constants.O_NONBLOCK);
    this.page = Buffer.alloc(layout.dataOffset + layout.dataSize);
    this.view = new DataView(this.page.buffer, this.page.byteOffset, this.page.byteLength);
  }

  /**
   * Reads every page available now (at most `maxPages`); returns how many were read.
   * Throws DiskFullError when the spool cannot be written.
   */
  drain(maxPages = 4096): number {
    let n = 0;
    while (n < maxPages) {
      let got: number;
      try {
        got = readSync(this.fd, this.page, 0, this.page.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') break;
        if (code === 'EINTR') continue;
        throw err;
      }
      if (got <= 0) break;
      const header = got === this.page.length ? readPageHeader(this.page, this.layout, `cpu${this.cpu}/trace_pipe_raw`) : readPageHeader(this.page.subarray(0, got), this.layout, `cpu${this.cpu}/trace_pipe_raw`);
      const used = Math.min(got, this.layout.dataOffset + header.dataLength + (header.missedCount !== null ? this.layout.commitSize : 0));
      const records = countRecords(this.page, this.layout, header.dataLength, this.view);
      this.counters.pages++;
      this.counters.bytes += used;
      this.counters.records += records;
      if (header.missedEvents) {
        if (header.missedCount !== null) this.counters.lost += header.missedCount;
        else this.counters.lossesWithoutCount++;
      }
      n++;
      try {
        this.spool.append(this.page.subarray(0, used), records);
      } finally {
        this.counters.dropped = this.spool.droppedRecords;
      }
    }
    return n;
  }

  close(): void {
    closeSync(this.fd);
    this.counters.dropped = this.spool.droppedRecords;
  }
}

/** The spool segments of `cpu` in `dir`, in order. */
export function spoolSegments(dir: string, cpu: number): string[] {
  const re = new RegExp(`^cpu${cpu}\\.(\\d+)\\.raw$`);
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** CPUs that have spool segments in `dir`. */
export function spooledCpus(dir: string): number[] {
  const cpus = new Set<number>();
  for (const f of readdirSync(dir)) {
    const m = /^cpu(\d+)\.\d+\.raw$/.exec(f);
    if (m) cpus.add(Number(m[1]));
  }
  return [...cpus].sort((a, b) => a - b);
}

/**
 * Iterates the spooled pages of one CPU. With `deleteConsumed`, each segment file is
 * deleted once all its pages were handed out (to free disk space during conversion).
 * Throws FormatError for a truncated record (the last one, if the recorder was killed
 * mid-write, is skipped instead).
 */
export function* readSpool(dir: string, cpu: number, deleteConsumed = false): Generator<Uint8Array> {
  for (const file of spoolSegments(dir, cpu)) {
    const data = readFileSync(file);
    let pos = 0;
    while (pos + 4 <= data.length) {
      const len = data.readUInt32LE(pos);
      if (len === 0 || len > 1 << 20) throw new FormatError(file, pos, `bad spooled page length ${len}`);
      if (pos + 4 + len > data.length) break; // torn final write
      yield data.subarray(pos + 4, pos + 4 + len);
      pos += 4 + len;
    }
    if (deleteConsumed) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  }
}
