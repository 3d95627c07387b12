/**
 * Field tables: every dissector declares its fields (filter name, type, description and
 * a small reader). The tables feed the display filter and the UI's detail view; names
 * follow Wireshark's so filters read the same (`tcp.port == 5000 && tcp.flags.syn`).
 */
import { u16, u32 } from './bytes.js';
import type { PacketSummary } from './summary.js';

/** Value types of fields. Addresses: ipv4 = 32-bit number, ipv6/ether = bytes. */
export type FieldType = 'uint' | 'bool' | 'ipv4' | 'ipv6' | 'ether' | 'string' | 'bytes' | 'float' | 'protocol';

export type FieldValue = number | boolean | string | Uint8Array;

/** A field read from one layer of a protocol. */
export interface LayerFieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  /**
   * Reads the field from the layer at index `layer` of `s` (its bytes are
   * `s.layerBuf[layer]` from `s.layerOffset[layer]`, captured up to `s.layerEnd[layer]`).
   * Returns undefined when absent; an array for fields with several values per layer
   * (e.g. `ip.addr`).
   */
  readonly get: (s: PacketSummary, layer: number) => FieldValue | FieldValue[] | undefined;
}

/** The fields of one protocol, applied to each of its layers in a frame. */
export interface ProtocolFields {
  /** `Proto` id of the layers the fields are read from. */
  readonly proto: number;
  readonly fields: readonly LayerFieldDef[];
}

/** `f(v)` when a field read found `v`; undefined when it did not. */
export function mapField<T extends FieldValue>(v: number | undefined, f: (v: number) => T): T | undefined {
  return v === undefined ? undefined : f(v);
}

/** Bytes of layer `layer` from `rel` for `n` bytes, or undefined when not captured. */
export function layerBytes(s: PacketSummary, layer: number, rel: number, n: number): Uint8Array | undefined {
  const b = s.layerBuf[layer]!;
  const o = s.layerOffset[layer]! + rel;
  if (o + n > s.layerEnd[layer]!) return undefined;
  return b.subarray(o, o + n);
}

/** Unsigned big-endian integer of `n` (1, 2 or 4) bytes at `rel` in a layer, or undefined. */
export function layerUint(s: PacketSummary, layer: number, rel: number, n: 1 | 2 | 4): number | undefined {
  const b = s.layerBuf[layer]!;
  const o = s.layerOffset[layer]! + rel;
  if (o + n > s.layerEnd[layer]!) return undefined;
  if (n === 1) return b[o]!;
  return n === 2 ? u16(b, o) : u32(b, o);
}
