/**
 * The trace class model that both metadata front ends produce: TSDL (CTF 1.8, see
 * `tsdl-parser.ts` + `tsdl-resolver.ts`) and JSON fragments (CTF 2, see `../ctf2/`).
 * The decoder generator (`../decode/codegen.ts`) only ever sees this model, so a CTF 1.8
 * trace and a CTF 2 trace with the same layout decode through the same code.
 *
 * Conventions: sizes and alignments are in bits; names are the display names (CTF 1.8
 * identifiers lose one leading underscore, as babeltrace2 does); `raw` keeps the original.
 */

export type ByteOrder = 'le' | 'be';

/**
 * What an integer field means to the reader rather than to the user (CTF 2 "roles";
 * derived from well-known field names in CTF 1.8). Fields with a role are consumed by
 * the reader and, like in babeltrace2, left out of the decoded field values.
 */
export type FieldRole =
  | 'magic'
  | 'metadata-uuid'
  | 'stream-class-id'
  | 'stream-instance-id'
  | 'packet-total-size'
  | 'packet-content-size'
  | 'packet-begin-timestamp'
  | 'packet-end-timestamp'
  | 'discarded-events-snapshot'
  | 'packet-seq-num'
  | 'event-class-id';

/** A clock, with its offset normalised as babeltrace2 does (0 ≤ offsetCycles < freq). */
export interface ClockClass {
  readonly name: string;
  readonly uuid: string | null;
  readonly description: string | null;
  /** Ticks per second. */
  readonly freq: number;
  readonly precision: number;
  readonly offsetSeconds: bigint;
  readonly offsetCycles: bigint;
  /** True when the origin is the Unix epoch (CTF 2 `origin: "unix-epoch"`, CTF 1.8 `absolute`). */
  readonly absolute: boolean;
}

/** One label of an enumeration: every integer in one of `ranges` maps to `label`. */
export interface EnumMapping {
  readonly label: string;
  /** Inclusive [lower, upper] pairs; bigint when beyond 2^53. */
  readonly ranges: ReadonlyArray<readonly [number | bigint, number | bigint]>;
}

interface FieldClassBase {
  /** Alignment in bits (1 = bit-packed). */
  align: number;
  /** Whether the decoded value appears in the event's fields (babeltrace2's "in IR"). */
  inIr: boolean;
}

/** Fixed-length integer or enumeration (CTF 1.8 `integer`/`enum`, CTF 2 fixed-length-*-integer). */
export interface IntegerClass extends FieldClassBase {
  readonly kind: 'int';
  size: number;
  signed: boolean;
  byteOrder: ByteOrder;
  /** Preferred display base: 2, 8, 10 or 16. */
  base: number;
  /** `utf8` marks byte elements of text arrays/sequences. */
  encoding: 'none' | 'utf8';
  mappedClock: ClockClass | null;
  role: FieldRole | null;
  /** Enumeration labels, or null for a plain integer. */
  mappings: EnumMapping[] | null;
  /** Index in the stream's stored-value array when a sequence or variant refers to it, else -1. */
  storeSlot: number;
}

/** CTF 2 variable-length (LEB128) integer or enumeration. */
export interface VarIntClass extends FieldClassBase {
  readonly kind: 'varint';
  signed: boolean;
  base: number;
  mappings: EnumMapping[] | null;
  role: FieldRole | null;
  mappedClock: ClockClass | null;
  storeSlot: number;
}

export interface FloatClass extends FieldClassBase {
  readonly kind: 'float';
  size: 32 | 64;
  byteOrder: ByteOrder;
}

/** CTF 2 fixed-length boolean: true when any bit is set. */
export interface BoolClass extends FieldClassBase {
  readonly kind: 'bool';
  size: number;
  byteOrder: ByteOrder;
  storeSlot: number;
}

/** CTF 2 fixed-length bit array / bit map: decoded as an unsigned integer. */
export interface BitArrayClass extends FieldClassBase {
  readonly kind: 'bits';
  size: number;
  byteOrder: ByteOrder;
}

/** Character encoding of a string field (CTF 1.8 strings are UTF-8). */
export type StringEncoding = 'utf-8' | 'utf-16be' | 'utf-16le' | 'utf-32be' | 'utf-32le';

/** Null-terminated string. */
export interface StringClass extends FieldClassBase {
  readonly kind: 'string';
  encoding?: StringEncoding;
}

/** CTF 2 static-length string: `length` bytes, text up to the first NUL. */
export interface StaticStringClass extends FieldClassBase {
  readonly kind: 'static-string';
  length: number;
  encoding?: StringEncoding;
}

/** CTF 2 dynamic-length string: byte count taken from another field. */
export interface DynamicStringClass extends FieldClassBase {
  readonly kind: 'dynamic-string';
  lengthRef: FieldRef;
  lengthField: LengthFieldClass | null;
  encoding?: StringEncoding;
}

/** CTF 2 BLOB: bytes, decoded as an array of byte values. */
export interface BlobClass extends FieldClassBase {
  readonly kind: 'blob';
  /** Static length in bytes, or -1 when `lengthRef` gives it. */
  length: number;
  lengthRef: FieldRef | null;
  lengthField: LengthFieldClass | null;
  role: FieldRole | null;
}

export interface StructMember {
  /** Display name (CTF 1.8: one leading underscore removed). */
  readonly name: string;
  /** Name as written in the metadata. */
  readonly raw: string;
  readonly fc: FieldClass;
}

export interface StructClass extends FieldClassBase {
  readonly kind: 'struct';
  members: StructMember[];
}

export interface ArrayClass extends FieldClassBase {
  readonly kind: 'array';
  length: number;
  elem: FieldClass;
  /** Byte array with UTF-8 encoding: decoded as a string up to the first NUL. */
  isText: boolean;
}

export interface SequenceClass extends FieldClassBase {
  readonly kind: 'sequence';
  lengthRef: FieldRef;
  lengthField: LengthFieldClass | null;
  elem: FieldClass;
  isText: boolean;
}

export interface VariantOption {
  readonly name: string;
  readonly raw: string;
  readonly fc: FieldClass;
  /** Selector values choosing this option (filled at resolution for CTF 1.8). */
  ranges: Array<readonly [number | bigint, number | bigint]>;
}

export interface VariantClass extends FieldClassBase {
  readonly kind: 'variant';
  tagRef: FieldRef;
  tagField: IntegerClass | VarIntClass | null;
  options: VariantOption[];
}

/** CTF 2 optional: present when the selector (boolean or integer in ranges) says so. */
export interface OptionalClass extends FieldClassBase {
  readonly kind: 'optional';
  selectorRef: FieldRef;
  selectorField: IntegerClass | VarIntClass | BoolClass | null;
  /** Integer selector ranges, or null for a boolean selector. */
  ranges: Array<readonly [number | bigint, number | bigint]> | null;
  fc: FieldClass;
}

export type LengthFieldClass = IntegerClass | VarIntClass;

export type FieldClass =
  | IntegerClass
  | VarIntClass
  | FloatClass
  | BoolClass
  | BitArrayClass
  | StringClass
  | StaticStringClass
  | DynamicStringClass
  | BlobClass
  | StructClass
  | ArrayClass
  | SequenceClass
  | VariantClass
  | OptionalClass;

/** The dynamic scopes of CTF, in the order they are decoded. */
export type ScopeName =
  | 'packet-header'
  | 'packet-context'
  | 'event-header'
  | 'event-common-context'
  | 'event-specific-context'
  | 'event-payload';

export const SCOPE_ORDER: readonly ScopeName[] = ['packet-header', 'packet-context', 'event-header', 'event-common-context', 'event-specific-context', 'event-payload'];

/**
 * A reference from a sequence/variant/optional to the field holding its length/tag.
 * `scope` is set for absolute references; `path` elements are member names, and for
 * CTF 2 relative references `null` means "parent structure".
 */
export interface FieldRef {
  readonly scope: ScopeName | null;
  readonly path: ReadonlyArray<string | null>;
  /** The reference as written, for messages. */
  readonly text: string;
  /** CTF 2 relative locations start at the containing structure; CTF 1.8 relative paths search outwards. */
  readonly style: 'tsdl' | 'ctf2';
  /** Character offset of the reference in the metadata text (TSDL), for error messages. */
  readonly offset?: number;
}

export interface EventClass {
  readonly id: number;
  readonly name: string;
  readonly streamClassId: number;
  specificContext: StructClass | null;
  payload: StructClass | null;
  /** TSDL `loglevel`, when given. */
  readonly logLevel: number | null;
  readonly emfUri: string | null;
  /** Extra attributes of the declaration (CTF 2 namespace/uid, TSDL unknown keys). */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface StreamClass {
  readonly id: number;
  packetContext: StructClass | null;
  eventHeader: StructClass | null;
  eventCommonContext: StructClass | null;
  readonly eventClasses: Map<number, EventClass>;
  /** The clock the timestamps of this stream's events and packets refer to. */
  defaultClock: ClockClass | null;
  /** Packet context has `events_discarded` (a discarded-event counter snapshot). */
  hasDiscardedEvents: boolean;
  /** Packet context has `packet_seq_num`. */
  hasPacketSeqNum: boolean;
  packetsHaveBeginTime: boolean;
  packetsHaveEndTime: boolean;
}

/** A TSDL `callsite` block: where an event is emitted in the source. */
export interface Callsite {
  readonly name: string;
  readonly func: string | null;
  readonly file: string | null;
  readonly line: number | null;
  readonly ip: number | bigint | null;
}

/** Everything a metadata stream describes. */
export interface TraceClass {
  /** 1 for CTF 1.8 (TSDL), 2 for CTF 2 (JSON). */
  readonly ctfMajor: 1 | 2;
  /** Trace UUID as 32 lowercase hex digits with dashes, or null. */
  uuid: string | null;
  readonly byteOrder: ByteOrder;
  packetHeader: StructClass | null;
  readonly env: Record<string, string | number>;
  readonly clocks: ClockClass[];
  readonly streamClasses: Map<number, StreamClass>;
  readonly callsites: Callsite[];
  /** Number of stored-value slots the decoders need (lengths, tags, selectors). */
  storedValueCount: number;
  /**
   * The key of the metadata cache entry this model was loaded from or stored under (the
   * same for every recording of the same declarations), or undefined: what is derived
   * from the model alone may be cached under it (the counting programs).
   */
  modelKey?: string;
}

/** Number of event classes plus stream classes: babeltrace2 keeps the largest of same-UUID metadata. */
export function classCount(tc: TraceClass): number {
  let n = tc.streamClasses.size;
  for (const sc of tc.streamClasses.values()) n += sc.eventClasses.size;
  return n;
}

/** A JS number when |v| ≤ 2^53, else the bigint (the FieldValue rule of the shared model). */
export function normaliseInteger(v: bigint): number | bigint {
  return v >= -9007199254740992n && v <= 9007199254740992n ? Number(v) : v;
}
