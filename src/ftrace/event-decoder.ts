/**
 * Generic decoding of one ftrace record (the payload of a ring-buffer data record) into
 * named field values, driven by the event's `format`. Used to check the raw decoder
 * against the kernel's own text rendering and wherever a plain view of an ftrace event is
 * needed; the CTF conversion uses the specialised programs of `lttng-mapping.ts` instead.
 */
import { FormatError } from '../base/errors.js';
import type { FieldMap, FieldValue } from '../model/trace-event.js';
import type { EventFormat, FormatField } from './format.js';

/** The fields every record starts with. */
export interface CommonFields {
  readonly type: number;
  readonly flags: number;
  readonly preemptCount: number;
  readonly pid: number;
}

export interface DecodedRecord {
  readonly format: EventFormat;
  readonly common: CommonFields;
  readonly fields: FieldMap;
}

const SAFE = 2n ** 53n;

function intValue(view: DataView, at: number, size: number, signed: boolean): FieldValue {
  switch (size) {
    case 1:
      return signed ? view.getInt8(at) : view.getUint8(at);
    case 2:
      return signed ? view.getInt16(at, true) : view.getUint16(at, true);
    case 4:
      return signed ? view.getInt32(at, true) : view.getUint32(at, true);
    default: {
      const v = signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
      return v >= -SAFE && v <= SAFE ? Number(v) : v;
    }
  }
}

/** Text up to the first NUL (or the end) of `bytes[at, at+len)`, as UTF-8. */
export function cText(bytes: Uint8Array, at: number, len: number): string {
  let end = at;
  const limit = Math.min(bytes.length, at + len);
  while (end < limit && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, end - at).toString('utf8');
}

/**
 * Where a `__data_loc` / `__rel_loc` field's data is: `[start, start+length)` within the
 * record. Throws FormatError when it points outside the record.
 */
export function dynamicLocation(view: DataView, recordAt: number, recordLength: number, field: FormatField, source: string): { start: number; length: number } {
  const loc = view.getUint32(recordAt + field.offset, true);
  let offset = loc & 0xffff;
  const length = loc >>> 16;
  if (field.layout.kind === 'dynamic' && field.layout.relative) offset += field.offset + 4;
  if (offset + length > recordLength) {
    throw new FormatError(source, recordAt + field.offset, `${field.name}: dynamic data [${offset}, +${length}) outside the ${recordLength}-byte record`);
  }
  return { start: recordAt + offset, length };
}

/** Decodes one field of the record at `recordAt`. */
export function decodeField(bytes: Uint8Array, view: DataView, recordAt: number, recordLength: number, field: FormatField, source: string): FieldValue {
  const at = recordAt + field.offset;
  const l = field.layout;
  if (field.offset + (l.kind === 'dynamic' ? 4 : field.size) > recordLength) {
    throw new FormatError(source, at, `field ${field.name} runs past the ${recordLength}-byte record`);
  }
  switch (l.kind) {
    case 'int':
      return intValue(view, at, l.size, l.signed);
    case 'text':
      return cText(bytes, at, l.size);
    case 'array': {
      const out: FieldValue[] = [];
      for (let i = 0; i < l.count; i++) out.push(intValue(view, at + i * l.elementSize, l.elementSize, l.signed));
      return out;
    }
    case 'dynamic': {
      const loc = dynamicLocation(view, recordAt, recordLength, field, source);
      if (l.text) return cText(bytes, loc.start, loc.length);
      const out: FieldValue[] = [];
      const n = Math.floor(loc.length / l.elementSize);
      for (let i = 0; i < n; i++) out.push(intValue(view, loc.start + i * l.elementSize, l.elementSize, l.signed));
      return out;
    }
    case 'bytes':
      return Array.from(bytes.subarray(at, at + l.size));
  }
}

/** Reads the common fields (type, flags, preempt count, pid) at `recordAt`. */
export function readCommon(view: DataView, recordAt: number): CommonFields {
  return {
    type: view.getUint16(recordAt, true),
    flags: view.getUint8(recordAt + 2),
    preemptCount: view.getUint8(recordAt + 3),
    pid: view.getInt32(recordAt + 4, true),
  };
}

/**
 * Decodes the record `bytes[recordAt, recordAt+recordLength)` with the format its
 * `common_type` selects in `formats`. Returns undefined for an unknown type (an event
 * enabled by someone else or a format not loaded).
 */
export function decodeRecord(bytes: Uint8Array, recordAt: number, recordLength: number, formats: ReadonlyMap<number, EventFormat>, source = 'ftrace record'): DecodedRecord | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (recordLength < 8) throw new FormatError(source, recordAt, `record of ${recordLength} bytes is shorter than its common fields`);
  const common = readCommon(view, recordAt);
  const format = formats.get(common.type);
  if (!format) return undefined;
  const fields: FieldMap = {};
  for (const f of format.fields) fields[f.name] = decodeField(bytes, view, recordAt, recordLength, f, source);
  return { format, common, fields };
}
