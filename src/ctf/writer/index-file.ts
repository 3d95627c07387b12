/**
 * LTTng's packet index files (`index/<stream>.idx`, CTF index format 1.1): a header then
 * one fixed-size entry per packet, all big-endian. Readers use them to seek without
 * scanning; babeltrace2 checks them against the stream files.
 */
import { writeFileSync } from 'node:fs';
import type { PacketIndexEntry } from './stream-writer.js';

const INDEX_MAGIC = 0xc1f1dcc1;
const HEADER_SIZE = 16;
const ENTRY_SIZE = 72;

/** Serialises the index entries of one stream. */
export function encodePacketIndex(entries: readonly PacketIndexEntry[]): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE + ENTRY_SIZE * entries.length);
  buf.writeUInt32BE(INDEX_MAGIC, 0);
  buf.writeUInt32BE(1, 4);
  buf.writeUInt32BE(1, 8);
  buf.writeUInt32BE(ENTRY_SIZE, 12);
  let at = HEADER_SIZE;
  for (const e of entries) {
    buf.writeBigUInt64BE(BigInt(e.offset), at);
    buf.writeBigUInt64BE(BigInt(e.packetSizeBits), at + 8);
    buf.writeBigUInt64BE(BigInt(e.contentSizeBits), at + 16);
    buf.writeBigUInt64BE(e.timestampBegin, at + 24);
    buf.writeBigUInt64BE(e.timestampEnd, at + 32);
    buf.writeBigUInt64BE(e.eventsDiscarded, at + 40);
    buf.writeBigUInt64BE(BigInt(e.streamId), at + 48);
    buf.writeBigUInt64BE(BigInt(e.streamInstanceId), at + 56);
    buf.writeBigUInt64BE(BigInt(e.packetSeqNum), at + 64);
    at += ENTRY_SIZE;
  }
  return buf;
}

/** Writes the index file of one stream. */
export function writePacketIndex(path: string, entries: readonly PacketIndexEntry[]): void {
  writeFileSync(path, encodePacketIndex(entries));
}
