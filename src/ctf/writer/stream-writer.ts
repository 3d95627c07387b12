/**
 * Writes one CTF 1.8 data stream in lttng-modules' kernel layout: packets made of the
 * packet header (magic, trace UUID, stream id, stream instance id), the packet context
 * (timestamp_begin/end, content/packet size, packet_seq_num, events_discarded, cpu_id) and
 * events with LTTng's compact or large event header. One writer per CPU.
 *
 * Packets are built in memory and written whole, so a file on disk always ends at a
 * packet boundary: a full disk (ENOSPC) truncates the file back to the last complete
 * packet and throws DiskFullError, leaving a readable stream.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { ByteWriter } from './byte-writer.js';

export const CTF_MAGIC = 0xc1fc1fc1;

/** LTTng's event header flavours: compact (5-bit id, 27-bit time) or large (16/32). */
export type EventHeaderType = 'compact' | 'large';

/** The disk filled up while writing; what was written before is complete and readable. */
export class DiskFullError extends Error {
  override readonly name = 'DiskFullError';
  constructor(readonly path: string) {
    super(`${path}: no space left on device`);
  }
}

/** One packet's entry in the LTTng index file (`index/<stream>.idx`). */
export interface PacketIndexEntry {
  readonly offset: number;
  readonly packetSizeBits: number;
  readonly contentSizeBits: number;
  readonly timestampBegin: bigint;
  readonly timestampEnd: bigint;
  readonly eventsDiscarded: bigint;
  readonly streamId: number;
  readonly streamInstanceId: number;
  readonly packetSeqNum: number;
}

export interface StreamWriterOptions {
  /** File to create (e.g. `kernel/channel0_0`). */
  readonly path: string;
  /** The trace UUID, 16 bytes. */
  readonly uuid: Uint8Array;
  /** Stream class id (`stream { id = ... }`). */
  readonly streamId: number;
  /** Stream instance id (LTTng uses the CPU number). */
  readonly streamInstanceId: number;
  readonly cpuId: number;
  readonly headerType: EventHeaderType;
  /** Upper bound of a packet in bytes (LTTng's sub-buffer size). */
  readonly maxPacketSize?: number;
  /**
   * Called when a write finds the disk full; returning true (space was freed) retries the
   * write once, false makes the writer throw DiskFullError.
   */
  readonly onDiskFull?: () => boolean;
}

const PAGE = 4096;
/** Packet header (32) + packet context (52) bytes. */
const PACKET_PREAMBLE = 84;
/** No single event is larger than this (a ring-buffer page plus header and context). */
const MAX_EVENT_BYTES = 8192;

export class CtfStreamWriter {
  private readonly fd: number;
  private readonly packet = new ByteWriter(1 << 20);
  private readonly maxPacketSize: number;
  private fileOffset = 0;
  private seq = 0;
  private discarded = 0n;
  private packetEvents = 0;
  private packetBegin = 0n;
  private lastTs = 0n;
  private started = false;
  private closed = false;
  /** Events whose timestamp went backwards and were clamped to the previous one. */
  clampedTimestamps = 0;
  eventCount = 0;
  /** Events of the packet that could not be written (full disk). */
  unwrittenEvents = 0;
  readonly index: PacketIndexEntry[] = [];

  constructor(private readonly opts: StreamWriterOptions) {
    this.fd = openSync(opts.path, 'w');
    this.maxPacketSize = Math.max(opts.maxPacketSize ?? 1 << 20, 4 * MAX_EVENT_BYTES);
  }

  /** Total events lost so far (the cumulative `events_discarded` counter). */
  get eventsDiscarded(): bigint {
    return this.discarded;
  }

  /**
   * Starts an event of class `id` at clock value `ts` and returns the buffer to write its
   * context and payload into (packed, little-endian). Call `endEvent()` afterwards.
   * Timestamps must not decrease; one that does is clamped to the previous value.
   */
  beginEvent(id: number, ts: bigint): ByteWriter {
    if (this.closed) throw new Error('stream writer is closed');
    if (this.started && ts < this.lastTs) {
      ts = this.lastTs;
      this.clampedTimestamps++;
    }
    if (!this.started || this.packet.length + MAX_EVENT_BYTES > this.maxPacketSize) {
      if (this.started) this.flushPacket(this.lastTs);
      this.openPacket(ts);
    }
    const prev = this.packetEvents === 0 ? this.packetBegin : this.lastTs;
    this.writeEventHeader(id, ts, ts - prev);
    this.lastTs = ts;
    this.packetEvents++;
    this.eventCount++;
    return this.packet;
  }

  /** Ends the event started by `beginEvent`. */
  endEvent(): void {
    // Nothing to patch: packets are sized when flushed. Kept for symmetry and clarity.
  }

  /** A position to roll back to if the next event cannot be completed. */
  mark(): { length: number; events: number; lastTs: bigint; total: number } {
    return { length: this.packet.length, events: this.packetEvents, lastTs: this.lastTs, total: this.eventCount };
  }

  /**
   * Drops what was written since `mark()` (an event whose payload turned out corrupt).
   * Only valid while no packet was flushed in between (beginEvent flushes before it
   * writes, so a mark taken right before beginEvent stays valid unless a new packet was
   * opened — in that case the rolled-back packet is simply empty).
   */
  rollback(m: { length: number; events: number; lastTs: bigint; total: number }): void {
    if (this.packet.length >= m.length && this.packetEvents >= m.events) {
      this.packet.truncate(m.length);
      this.packetEvents = m.events;
      this.lastTs = m.lastTs;
    } else {
      // A packet was opened by the aborted event: drop the event, keep the empty packet.
      this.packet.truncate(PACKET_PREAMBLE);
      this.packetEvents = 0;
    }
    this.eventCount = m.total;
  }

  /**
   * Records that `count` events were lost at time `ts` (before the next event written).
   * The current packet is closed so the loss sits between two packets, where CTF readers
   * report it (`events_discarded` grows from one packet to the next).
   */
  addDiscarded(count: number | bigint, ts: bigint): void {
    if (count === 0 || count === 0n) return;
    if (!this.started) {
      // Readers report a loss as the difference with the previous packet: open an empty
      // first packet so there is one.
      this.openPacket(ts);
    }
    if (ts < this.lastTs) ts = this.lastTs;
    this.flushPacket(ts);
    this.discarded += BigInt(count);
    this.openPacket(ts);
  }

  /** Writes the last packet (ending at `endTs` if later than the last event) and closes the file. */
  close(endTs?: bigint): void {
    if (this.closed) return;
    if (!this.started) this.openPacket(endTs ?? 0n);
    const end = endTs !== undefined && endTs > this.lastTs ? endTs : this.lastTs;
    try {
      this.flushPacket(end);
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }

  /** Closes the file without writing the packet under construction (after DiskFullError). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private openPacket(ts: bigint): void {
    this.packet.truncate(0);
    this.packet.zeros(PACKET_PREAMBLE);
    this.packetEvents = 0;
    this.packetBegin = ts;
    if (!this.started) this.lastTs = ts;
    this.started = true;
  }

  private writeEventHeader(id: number, ts: bigint, delta: bigint): void {
    const w = this.packet;
    if (this.opts.headerType === 'large') {
      if (id < 65535 && delta < 0x1_0000_0000n) {
        w.u16(id);
        w.u32(Number(ts & 0xffff_ffffn));
      } else {
        w.u16(65535);
        w.u32(id);
        w.u64(ts);
      }
    } else if (id < 31 && delta < 0x800_0000n) {
      // 5-bit id in the low bits, then 27 bits of timestamp, little-endian bit order.
      w.u32(id | (Number(ts & 0x7ff_ffffn) << 5));
    } else {
      w.u8(31);
      w.u32(id);
      w.u64(ts);
    }
  }

  private flushPacket(endTs: bigint): void {
    const w = this.packet;
    const contentBytes = w.length;
    const packetBytes = Math.ceil(contentBytes / PAGE) * PAGE;
    const begin = this.packetBegin;
    const end = endTs < begin ? begin : endTs;
    // Packet header.
    w.patchU32(0, CTF_MAGIC);
    w.bytes().set(this.opts.uuid.subarray(0, 16), 4);
    w.patchU32(20, this.opts.streamId);
    w.patchU64(24, BigInt(this.opts.streamInstanceId));
    // Packet context.
    w.patchU64(32, begin);
    w.patchU64(40, end);
    w.patchU64(48, BigInt(contentBytes * 8));
    w.patchU64(56, BigInt(packetBytes * 8));
    w.patchU64(64, BigInt(this.seq));
    w.patchU64(72, this.discarded);
    w.patchU32(80, this.opts.cpuId);
    w.zeros(packetBytes - contentBytes);
    const bytes = w.bytes();
    for (let attempt = 0; ; attempt++) {
      let written = 0;
      try {
        while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.fileOffset + written);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        ftruncateSync(this.fd, this.fileOffset);
        if (attempt > 0 || !this.opts.onDiskFull?.()) {
          // Keep the packet as it was, so a later close() can still write it.
          w.truncate(contentBytes);
          this.unwrittenEvents = this.packetEvents;
          throw new DiskFullError(this.opts.path);
        }
      }
    }
    this.unwrittenEvents = 0;
    this.index.push({
      offset: this.fileOffset,
      packetSizeBits: packetBytes * 8,
      contentSizeBits: contentBytes * 8,
      timestampBegin: begin,
      timestampEnd: end,
      eventsDiscarded: this.discarded,
      streamId: this.opts.streamId,
      streamInstanceId: this.opts.streamInstanceId,
      packetSeqNum: this.seq,
    });
    this.fileOffset += packetBytes;
    this.seq++;
    w.truncate(0);
    this.packetEvents = 0;
    this.lastTs = end;
  }
}
