/**
 * Decoder for the kernel's per-CPU ring-buffer pages, exactly as `per_cpu/cpuN/
 * trace_pipe_raw` hands them out. The layout comes from `events/header_page` (page
 * timestamp, commit word, data area) and `events/header_event` (the 32-bit record header
 * with its 5-bit type_len and 27-bit time delta, and the special types: padding 29,
 * time extend 30, absolute time stamp 31, data records up to 28).
 *
 * A page is: u64 timestamp (time of the first record), the commit word (bytes of data,
 * plus two flags in bits 31/30: events were lost before this page / their count is
 * stored right after the data), then records. Each record's time is the previous one's
 * plus its delta; time extends carry larger deltas, absolute time stamps reset the base.
 */
import { FormatError } from '../base/errors.js';

export interface PageLayout {
  readonly timestampOffset: number;
  readonly commitOffset: number;
  /** Size of the commit word (`local_t`): also the size of the stored lost-event count. */
  readonly commitSize: number;
  readonly dataOffset: number;
  /** Capacity of the data area (page size minus header). */
  readonly dataSize: number;
  readonly paddingType: number;
  readonly timeExtendType: number;
  readonly timeStampType: number;
  readonly maxDataTypeLen: number;
}

/** Flags in the commit word (kernel RB_MISSED_EVENTS / RB_MISSED_STORED). */
const MISSED_EVENTS = 0x8000_0000;
const MISSED_STORED = 0x4000_0000;
const COMMIT_LENGTH_MASK = 0x3fff_ffff;
/** Top bits of absolute time stamps the ring buffer does not store (kernel TS_MSB). */
const TS_MSB = 0xf8n << 56n;

/** The layout of a 64-bit kernel's pages, used when header files are unavailable. */
export const DEFAULT_PAGE_LAYOUT: PageLayout = {
  timestampOffset: 0,
  commitOffset: 8,
  commitSize: 8,
  dataOffset: 16,
  dataSize: 4080,
  paddingType: 29,
  timeExtendType: 30,
  timeStampType: 31,
  maxDataTypeLen: 28,
};

/**
 * Reads the page layout from the texts of `events/header_page` and `events/header_event`.
 * Throws FormatError (naming `file`) when a required line is missing.
 */
export function parsePageLayout(headerPage: string, headerEvent: string, file = 'events/header_page'): PageLayout {
  const field = (name: string): { offset: number; size: number } => {
    const m = new RegExp(`field:\\s*[^;]*\\b${name};\\s*offset:(\\d+);\\s*size:(\\d+);`).exec(headerPage);
    if (!m) throw new FormatError(file, undefined, `no '${name}' field in header_page`);
    return { offset: Number(m[1]), size: Number(m[2]) };
  };
  const ts = field('timestamp');
  const commit = field('commit');
  const data = field('data');
  const typeOf = (label: string, fallback: number): number => {
    const m = new RegExp(`${label}\\s*:\\s*type\\s*==\\s*(\\d+)`).exec(headerEvent);
    return m ? Number(m[1]) : fallback;
  };
  const maxLen = /data max type_len\s*==\s*(\d+)/.exec(headerEvent);
  return {
    timestampOffset: ts.offset,
    commitOffset: commit.offset,
    commitSize: commit.size,
    dataOffset: data.offset,
    dataSize: data.size,
    paddingType: typeOf('padding', 29),
    timeExtendType: typeOf('time_extend', 30),
    timeStampType: typeOf('time_stamp', 31),
    maxDataTypeLen: maxLen ? Number(maxLen[1]) : 28,
  };
}

/** What the page header says. */
export interface PageHeader {
  readonly timestamp: bigint;
  /** Bytes of record data after the header. */
  readonly dataLength: number;
  /** Events were lost (overwritten or dropped) between the previous page and this one. */
  readonly missedEvents: boolean;
  /** How many, when the kernel had room to store the count; null otherwise. */
  readonly missedCount: number | null;
}

/** Reads a page header. `page` may be shorter than a full page (trimmed copies). */
export function readPageHeader(page: Uint8Array, layout: PageLayout, source = 'ring buffer page'): PageHeader {
  if (page.length < layout.dataOffset) throw new FormatError(source, 0, `page of ${page.length} bytes is shorter than its header`);
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const timestamp = view.getBigUint64(layout.timestampOffset, true);
  const commit = view.getUint32(layout.commitOffset, true);
  const dataLength = commit & COMMIT_LENGTH_MASK;
  if (dataLength > layout.dataSize || layout.dataOffset + dataLength > page.length) {
    throw new FormatError(source, layout.commitOffset, `commit length ${dataLength} exceeds the page`);
  }
  const missedEvents = (commit & MISSED_EVENTS) !== 0;
  let missedCount: number | null = null;
  if (missedEvents && (commit & MISSED_STORED) !== 0) {
    const at = layout.dataOffset + dataLength;
    if (at + layout.commitSize <= page.length) {
      missedCount = layout.commitSize === 8 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true);
    }
  }
  return { timestamp, dataLength, missedEvents, missedCount };
}

/**
 * The bytes to keep of a page read from trace_pipe_raw: header, data and the stored
 * lost-event count, without the zero fill after them.
 */
export function usedPageBytes(page: Uint8Array, layout: PageLayout): number {
  const h = readPageHeader(page, layout);
  return Math.min(page.length, layout.dataOffset + h.dataLength + (h.missedCount !== null ? layout.commitSize : 0));
}

/**
 * Called for each data record: `ts` is its absolute timestamp (trace clock), and the
 * record's payload (starting with the `common_type` field) is `page[offset, offset+length)`.
 * `length` includes the kernel's alignment padding.
 */
export type RecordVisitor = (ts: bigint, offset: number, length: number) => void;

/**
 * Walks the records of one page in order, calling `visit` for each data record, and
 * returns the header. Time extends, absolute time stamps and discarded-event padding are
 * applied; the padding that fills the end of a page stops the walk. Throws FormatError
 * when a record runs past the data (a corrupt page).
 */
export function decodePage(page: Uint8Array, layout: PageLayout, visit: RecordVisitor, source = 'ring buffer page'): PageHeader {
  const header = readPageHeader(page, layout, source);
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let base = header.timestamp;
  // Deltas within a page are summed as a double (exact far beyond a page's time span)
  // and added to the bigint base only when a record is reported.
  let acc = 0;
  let pos = layout.dataOffset;
  const end = layout.dataOffset + header.dataLength;
  while (pos + 4 <= end) {
    const word = view.getUint32(pos, true);
    const typeLen = word & 0x1f;
    const delta = word >>> 5;
    if (typeLen === layout.paddingType) {
      if (delta === 0) break; // the rest of the page is padding
      if (pos + 8 > end) throw new FormatError(source, pos, 'truncated padding record');
      // A discarded event: the kernel's reader skips it without applying its delta.
      pos += 4 + view.getUint32(pos + 4, true);
      continue;
    }
    if (typeLen === layout.timeExtendType || typeLen === layout.timeStampType) {
      if (pos + 8 > end) throw new FormatError(source, pos, 'truncated time record');
      const value = (BigInt(view.getUint32(pos + 4, true)) << 27n) | BigInt(delta);
      if (typeLen === layout.timeExtendType) {
        base += BigInt(acc) + value;
      } else {
        // Absolute stamps keep only 59 bits; the top bits come from the current time.
        const current = base + BigInt(acc);
        let abs = value;
        if (current & TS_MSB) {
          abs |= current & TS_MSB;
          if (abs < current) abs += 1n << 59n;
        }
        base = abs;
      }
      acc = 0;
      pos += 8;
      continue;
    }
    let dataAt: number;
    let dataLength: number;
    if (typeLen === 0) {
      if (pos + 8 > end) throw new FormatError(source, pos, 'truncated record header');
      const len = view.getUint32(pos + 4, true);
      dataAt = pos + 8;
      dataLength = len - 4;
      if (len < 4) throw new FormatError(source, pos, `record length ${len} is too small`);
    } else {
      dataAt = pos + 4;
      dataLength = typeLen * 4;
    }
    if (dataAt + dataLength > end) throw new FormatError(source, pos, `record of ${dataLength} bytes runs past the page data`);
    acc += delta;
    visit(acc === 0 ? base : base + BigInt(acc), dataAt, dataLength);
    pos = dataAt + dataLength;
  }
  return header;
}
