/**
 * Packet indexes: where each packet of a data stream file starts, how big it is and what
 * time range and loss counters it covers — enough to seek to a time without decoding
 * the packets before it.
 *
 * LTTng writes one next to each stream file (`index/<stream>.idx`, CTF index 1.0/1.1:
 * a 16-byte header then fixed-size big-endian entries). Like babeltrace2, tracewire uses
 * it when present and valid, and otherwise builds its own by reading only each packet's
 * header and context (a few bytes per packet, however large the packets are). An index
 * file that contradicts its stream file (non-contiguous offsets, sizes beyond the file,
 * content larger than the packet) is ignored, as babeltrace2 does, and the packets
 * themselves decide; a data file's damage is then reported by the reader.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readFileIf } from '../../base/read-file-if.cjs';
import { DecodeState } from '../decode/decode-state.js';
import type { TraceDecoders } from '../decode/trace-decoders.js';
import { FileWindow } from './file-window.js';
import { readPacketPrelude } from './packet-prelude.js';

/** One packet of a stream file. Counters and times are raw (cycles), null when absent. */
export interface PacketIndexEntry {
  /** Byte offset of the packet in its file. */
  readonly offset: number;
  readonly packetBytes: number;
  readonly contentBits: number;
  readonly beginCycles: bigint | null;
  readonly endCycles: bigint | null;
  /** The `events_discarded` counter snapshot. */
  readonly eventsDiscarded: bigint | null;
  readonly seqNum: bigint | null;
  readonly streamClassId: number;
  readonly streamInstanceId: bigint | null;
}

/** The packets of one stream file, and where their description came from. */
export interface PacketIndex {
  readonly file: string;
  /** `lttng-index`: the tracer's index/*.idx file; `scan`: built by reading packet headers. */
  readonly source: 'lttng-index' | 'scan';
  readonly entries: readonly PacketIndexEntry[];
}

const INDEX_MAGIC = 0xc1f1dcc1;
const HEADER_BYTES = 16;
const ENTRY_V1_0 = 7 * 8;
const ENTRY_V1_1 = 9 * 8;

/** Path of the LTTng index of `streamFile`. */
export function lttngIndexPath(streamFile: string): string {
  return join(dirname(streamFile), 'index', `${basename(streamFile)}.idx`);
}

/** The content of the index file at `path`, or null when there is none (or it is huge). */
function readIndexFile(path: string): Buffer | null {
  // an index holds ~72 bytes per packet: anything huge is not an index
  return readFileIf(path, (st) => st.size <= 256 * 1024 * 1024);
}

/**
 * Reads and checks the LTTng index of `streamFile` (of `fileSize` bytes). Returns null
 * when there is none or when it is not consistent with the file (then the caller scans).
 */
export function readLttngIndex(streamFile: string, fileSize: number): PacketIndex | null {
  const buf = readIndexFile(lttngIndexPath(streamFile));
  if (!buf || buf.length < HEADER_BYTES) return null;
  if (buf.readUInt32BE(0) !== INDEX_MAGIC || buf.readUInt32BE(4) !== 1) return null;
  const minor = buf.readUInt32BE(8);
  const entryLen = buf.readUInt32BE(12);
  if (entryLen < ENTRY_V1_0) return null;
  const hasV11 = minor >= 1 && entryLen >= ENTRY_V1_1;
  const count = Math.floor((buf.length - HEADER_BYTES) / entryLen);
  const entries: PacketIndexEntry[] = [];
  let expected = 0;
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * entryLen;
    const u64 = (k: number) => buf.readBigUInt64BE(at + 8 * k);
    const offset = u64(0);
    const packetBits = u64(1);
    const contentBits = u64(2);
    if (packetBits === 0n || packetBits % 8n !== 0n || contentBits > packetBits) return null;
    if (offset !== BigInt(expected)) return null;
    const packetBytes = Number(packetBits / 8n);
    if (expected + packetBytes > fileSize) return null;
    expected += packetBytes;
    entries.push({
      offset: Number(offset),
      packetBytes,
      contentBits: Number(contentBits),
      beginCycles: u64(3),
      endCycles: u64(4),
      eventsDiscarded: u64(5),
      streamClassId: Number(u64(6)),
      streamInstanceId: hasV11 ? u64(7) : null,
      seqNum: hasV11 ? u64(8) : null,
    });
  }
  if (expected !== fileSize) return null;
  return { file: streamFile, source: 'lttng-index', entries };
}

const big = (v: number | bigint): bigint | null => (v === -1 ? null : BigInt(v));

/**
 * Builds the index of `file` by reading each packet's header and context only. Throws
 * FormatError where a packet header is damaged (like the reader would).
 */
export function scanPacketIndex(file: string, decoders: TraceDecoders, uuidBytes: Uint8Array | null, defaultStreamClass: number): PacketIndex {
  const win = new FileWindow(file, 64 * 1024);
  const st = new DecodeState(decoders.tc.storedValueCount);
  st.uuidBytes = uuidBytes;
  const entries: PacketIndexEntry[] = [];
  try {
    let off = 0;
    while (off < win.size) {
      const pre = readPacketPrelude(win, off, st, decoders, defaultStreamClass, false);
      entries.push({
        offset: off,
        packetBytes: pre.packetBytes,
        contentBits: pre.contentBits,
        beginCycles: big(st.beginTs),
        endCycles: big(st.endTs),
        eventsDiscarded: big(st.discarded),
        seqNum: big(st.seqNum),
        streamClassId: pre.streamClassId,
        streamInstanceId: big(st.streamInstanceId),
      });
      off += pre.packetBytes;
    }
  } finally {
    win.close();
  }
  return { file, source: 'scan', entries };
}

/** The index of `file`: LTTng's when present and consistent, else a scan of the packets. */
export function packetIndex(file: string, decoders: TraceDecoders, uuidBytes: Uint8Array | null, defaultStreamClass: number): PacketIndex {
  let size = -1;
  try {
    size = statSync(file).size;
  } catch {
    // the scan opens the file and reports why it cannot
  }
  return (size >= 0 ? readLttngIndex(file, size) : null) ?? scanPacketIndex(file, decoders, uuidBytes, defaultStreamClass);
}
