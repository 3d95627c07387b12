/**
 * Decoding of a packet's header and context: which stream class it belongs to, its
 * sizes, times and counters, with every sanity check that protects the event decoder
 * (magic number, metadata UUID, content ≤ packet size, packet within the file).
 */
import { FormatError } from '../../base/errors.js';
import type { FieldMap } from '../../model/trace-event.js';
import type { DecodeState } from '../decode/decode-state.js';
import type { StreamClassDecoders, TraceDecoders } from '../decode/trace-decoders.js';
import type { FileWindow } from './file-window.js';

const CTF_MAGIC = 0xc1fc1fc1;
/** Packets larger than this are refused: positions are tracked in 32-bit-safe bit counts. */
const MAX_PACKET_BYTES = 2 ** 29;
/** First read for a packet's header and context. */
const PRELUDE_BYTES = 64 * 1024;

export interface PacketPrelude {
  readonly streamClassId: number;
  readonly decoders: StreamClassDecoders;
  /** Packet context fields in the user-visible form, or null. */
  readonly context: FieldMap | null;
  readonly packetBytes: number;
  readonly contentBits: number;
  /** Bit position where the events start. */
  readonly eventsStart: number;
  /**
   * Set when the file ends inside this packet: only this many bytes of it exist. The
   * events that fit are still decoded; then the stream reports the truncation.
   */
  readonly truncatedTo: number | null;
}

function positionInFile(st: DecodeState, off: number): number {
  return off + Math.floor(st.p / 8);
}

/**
 * Decodes the header and context of the packet at file offset `off` into `st` (role values
 * land in st.beginTs, st.discarded, …) and returns its layout. On return, unless
 * `wholePacket` is false (indexing reads only preludes), `st.b`/`st.dv` cover the whole
 * packet and `st.p` is at the first event. Throws FormatError.
 */
export function readPacketPrelude(win: FileWindow, off: number, st: DecodeState, trace: TraceDecoders, defaultStreamClass: number, wholePacket = true): PacketPrelude {
  const file = win.path;
  const remaining = win.size - off;
  st.file = file;
  let winLen = Math.min(remaining, PRELUDE_BYTES);
  let streamClassId: number;
  let context: FieldMap | null;
  let decoders: StreamClassDecoders | undefined;
  // Retry with the whole rest of the file in the (rare) case the prelude is larger than 64 KiB.
  for (;;) {
    setView(st, win, win.ensure(off, winLen), winLen, off);
    st.p = 0;
    st.resetPacketRoles();
    try {
      if (trace.packetHeader) trace.packetHeader(st);
      if (st.p > st.end) throw new RangeError('header');
      checkMagicAndUuid(st, file, off);
      streamClassId = st.streamClassId === -1 ? defaultStreamClass : Number(st.streamClassId);
      decoders = trace.streamClass(streamClassId);
      if (!decoders) throw new FormatError(file, off, `packet header names stream class ${String(st.streamClassId)}, which the metadata does not declare`);
      context = decoders.packetContext ? (decoders.packetContext(st) as FieldMap | null) : null;
      if (st.p > st.end) throw new RangeError('context');
      break;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      if (winLen >= remaining) throw new FormatError(file, off, `truncated packet: its header and context need more than the ${remaining} bytes left in the file`);
      winLen = remaining;
    }
  }

  let packetBits = st.packetSize;
  let contentBits = st.contentSize;
  if (packetBits === -1) packetBits = contentBits !== -1 ? contentBits : remaining * 8;
  if (contentBits === -1) contentBits = packetBits;
  if (typeof packetBits === 'bigint' || packetBits > MAX_PACKET_BYTES * 8) throw new FormatError(file, off, `packet size ${packetBits} bits is too large (damaged packet context?)`);
  if (typeof contentBits === 'bigint' || contentBits > packetBits) throw new FormatError(file, off, `packet content size ${contentBits} bits exceeds the packet size ${packetBits} bits`);
  if (packetBits === 0 || packetBits % 8 !== 0) throw new FormatError(file, off, `invalid packet size ${packetBits} bits (must be a positive multiple of 8)`);
  if (st.p > contentBits) throw new FormatError(file, positionInFile(st, off), `packet header and context (${st.p} bits) exceed the packet content size (${contentBits} bits)`);
  const packetBytes = packetBits / 8;
  const eventsStart = st.p;
  if (wholePacket) {
    const available = Math.min(packetBytes, remaining);
    setView(st, win, win.ensure(off, available), available, off);
    st.p = eventsStart;
    st.end = Math.min(contentBits, available * 8);
  }
  return { streamClassId, decoders, context, packetBytes, contentBits, eventsStart, truncatedTo: packetBytes > remaining ? remaining : null };
}

function checkMagicAndUuid(st: DecodeState, file: string, off: number): void {
  if (st.magic !== -1 && st.magic !== CTF_MAGIC) throw new FormatError(file, off, `bad packet magic number 0x${Number(st.magic).toString(16)} (expected 0xc1fc1fc1): not a CTF packet, or damaged data`);
  if (st.uuidMismatch !== -1) throw new FormatError(file, off + st.uuidMismatch, 'packet UUID differs from the trace UUID in the metadata');
}

function setView(st: DecodeState, win: FileWindow, idx: number, len: number, off: number): void {
  const buf = win.buf;
  st.b = buf.subarray(idx, idx + len);
  st.dv = new DataView(buf.buffer, buf.byteOffset + idx, len);
  st.end = len * 8;
  st.packetOffset = off;
}
