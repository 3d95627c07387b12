/**
 * The common record of a kernel or userspace trace event, as every trace reader (CTF 1.8,
 * CTF 2) produces it and every analysis consumes it. Field values follow babeltrace2's
 * model, so `tracewire events --format jsonl` can print them exactly like ctf-oracle.
 */

/**
 * A decoded field value. Integers (and enumerations, which are integers) are `number`
 * when |v| ≤ 2^53 and `bigint` beyond; use `fieldNumber`/`fieldKey` to read them. Strings
 * are text, floats are numbers, structures are objects, arrays and sequences are arrays
 * (byte arrays stay arrays of numbers), a variant is its selected option's value, an
 * absent optional is null.
 */
export type FieldValue = number | bigint | string | boolean | null | FieldValue[] | FieldMap;
export interface FieldMap {
  [name: string]: FieldValue;
}

/** One trace in a collection: where it is and what its metadata says about its origin. */
export interface TraceInfo {
  /** Index in the collection, stable for a given set of input paths. */
  readonly index: number;
  /** Directory holding the trace's metadata file. */
  readonly path: string;
  /** The metadata `env` block (hostname, domain, tracer_name, kernel_release, …). */
  readonly env: Readonly<Record<string, string | number>>;
  /** Host name from env, or the directory name when the trace has none. */
  readonly hostname: string;
  /** `kernel`, `ust`, or '' when unknown. */
  readonly domain: string;
}

export interface TraceEvent {
  readonly kind: 'event';
  /** Nanoseconds from the clock's origin (clock offset applied), like babeltrace's ns_from_origin. */
  readonly ts: bigint;
  /** The raw clock value (cycles) the timestamp was built from. */
  readonly cycles: bigint;
  /** Event class name, e.g. `sched_switch`, `syscall_entry_accept4`. */
  readonly name: string;
  /** `cpu_id` from the packet context, or null when the stream has none. */
  readonly cpu: number | null;
  readonly streamClassId: number;
  readonly streamId: number;
  readonly trace: TraceInfo;
  /** Stream event context and event context fields, merged (e.g. LTTng's `tid`, `procname`). */
  readonly context: FieldMap;
  readonly payload: FieldMap;
}

/** Events or whole packets the tracer lost, reported where the loss is known. */
export interface DiscardedRecord {
  readonly kind: 'discarded_events' | 'discarded_packets';
  /** How many were lost, or null when the trace only says that some were. */
  readonly count: number | null;
  readonly trace: TraceInfo;
  readonly streamId: number;
  readonly cpu: number | null;
  /** Time range of the loss, when the stream has a clock. */
  readonly begin: bigint | null;
  readonly end: bigint | null;
}

export type TraceMessage = TraceEvent | DiscardedRecord;

/** An integer field as a JS number (exact up to 2^53; beyond, the nearest double). */
export function fieldNumber(v: FieldValue | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return NaN;
}

/** An integer field as an exact map key (kernel addresses exceed 2^53). */
export function fieldKey(v: FieldValue | undefined): string {
  return typeof v === 'bigint' || typeof v === 'number' ? v.toString() : String(v);
}

/** An integer field as an exact bigint. */
export function fieldBigInt(v: FieldValue | undefined): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}
