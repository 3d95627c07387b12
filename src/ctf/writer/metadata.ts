/**
 * The CTF 1.8 metadata of an LTTng kernel trace, written as lttng-modules 2.13 writes it
 * (same type aliases, trace/env/clock blocks, packet context, event headers, stream and
 * event declarations), and packetised into 4 KiB metadata packets like LTTng's metadata
 * stream.
 */
import { writeFileSync } from 'node:fs';
import { fieldsTsdl, type CtfField } from './types.js';
import type { EventHeaderType } from './stream-writer.js';

export interface MetadataClock {
  /** Clock name; LTTng kernel traces use `monotonic`. */
  readonly name: string;
  /** Clock UUID (LTTng uses the boot id); omitted when unknown. */
  readonly uuid?: string;
  readonly description: string;
  readonly freq: bigint;
  /** Clock value at the Unix epoch offset: realtime = offset + value (in clock cycles). */
  readonly offset: bigint;
}

export interface MetadataEventClass {
  readonly name: string;
  readonly id: number;
  readonly fields: readonly CtfField[];
}

export interface LttngMetadataOptions {
  /** Trace UUID, canonical text form. */
  readonly uuid: string;
  /** The env block, in order (string values are quoted, numbers are not). */
  readonly env: ReadonlyArray<readonly [string, string | number]>;
  readonly clock: MetadataClock;
  readonly headerType: EventHeaderType;
  /** Stream event context fields (`lttng add-context`), if any. */
  readonly eventContext?: readonly CtfField[];
  readonly events: readonly MetadataEventClass[];
  readonly streamId?: number;
}

/** Escapes a value for a TSDL string literal, as lttng-modules' print_escaped_ctf_string. */
export function escapeTsdlString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The metadata text (TSDL). */
export function buildLttngMetadata(o: LttngMetadataOptions): string {
  const streamId = o.streamId ?? 0;
  const env = o.env.map(([k, v]) => (typeof v === 'number' ? `\t${k} = ${v};\n` : `\t${k} = "${escapeTsdlString(v)}";\n`)).join('');
  const clockName = o.clock.name;
  const parts: string[] = [
    'typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n',
    'typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n',
    'typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n',
    'typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n',
    'typealias integer { size = 64; align = 8; signed = false; } := unsigned long;\n',
    'typealias integer { size = 5; align = 1; signed = false; } := uint5_t;\n',
    'typealias integer { size = 27; align = 1; signed = false; } := uint27_t;\n',
    '\n',
    'trace {\n',
    '\tmajor = 1;\n',
    '\tminor = 8;\n',
    `\tuuid = "${o.uuid}";\n`,
    '\tbyte_order = le;\n',
    '\tpacket.header := struct {\n',
    '\t\tuint32_t magic;\n',
    '\t\tuint8_t  uuid[16];\n',
    '\t\tuint32_t stream_id;\n',
    '\t\tuint64_t stream_instance_id;\n',
    '\t};\n',
    '};\n\n',
    `env {\n${env}};\n\n`,
    'clock {\n',
    `\tname = "${escapeTsdlString(clockName)}";\n`,
    o.clock.uuid ? `\tuuid = "${o.clock.uuid}";\n` : '',
    `\tdescription = "${escapeTsdlString(o.clock.description)}";\n`,
    `\tfreq = ${o.clock.freq}; /* Frequency, in Hz */\n`,
    '\t/* clock value offset from Epoch is: offset * (1/freq) */\n',
    `\toffset = ${o.clock.offset};\n`,
    '};\n\n',
    `typealias integer {\n\tsize = 27; align = 1; signed = false;\n\tmap = clock.${clockName}.value;\n} := uint27_clock_monotonic_t;\n\n`,
    `typealias integer {\n\tsize = 32; align = 8; signed = false;\n\tmap = clock.${clockName}.value;\n} := uint32_clock_monotonic_t;\n\n`,
    `typealias integer {\n\tsize = 64; align = 8; signed = false;\n\tmap = clock.${clockName}.value;\n} := uint64_clock_monotonic_t;\n\n`,
    'struct packet_context {\n',
    '\tuint64_clock_monotonic_t timestamp_begin;\n',
    '\tuint64_clock_monotonic_t timestamp_end;\n',
    '\tuint64_t content_size;\n',
    '\tuint64_t packet_size;\n',
    '\tuint64_t packet_seq_num;\n',
    '\tunsigned long events_discarded;\n',
    '\tuint32_t cpu_id;\n',
    '};\n\n',
    'struct event_header_compact {\n',
    '\tenum : uint5_t { compact = 0 ... 30, extended = 31 } id;\n',
    '\tvariant <id> {\n',
    '\t\tstruct {\n',
    '\t\t\tuint27_clock_monotonic_t timestamp;\n',
    '\t\t} compact;\n',
    '\t\tstruct {\n',
    '\t\t\tuint32_t id;\n',
    '\t\t\tuint64_clock_monotonic_t timestamp;\n',
    '\t\t} extended;\n',
    '\t} v;\n',
    '} align(8);\n\n',
    'struct event_header_large {\n',
    '\tenum : uint16_t { compact = 0 ... 65534, extended = 65535 } id;\n',
    '\tvariant <id> {\n',
    '\t\tstruct {\n',
    '\t\t\tuint32_clock_monotonic_t timestamp;\n',
    '\t\t} compact;\n',
    '\t\tstruct {\n',
    '\t\t\tuint32_t id;\n',
    '\t\t\tuint64_clock_monotonic_t timestamp;\n',
    '\t\t} extended;\n',
    '\t} v;\n',
    '} align(8);\n\n',
    'stream {\n',
    `\tid = ${streamId};\n`,
    `\tevent.header := struct event_header_${o.headerType};\n`,
    '\tpacket.context := struct packet_context;\n',
  ];
  if (o.eventContext && o.eventContext.length > 0) {
    parts.push('\tevent.context := struct {\n', fieldsTsdl(o.eventContext, 2), '\t};\n');
  }
  parts.push('};\n\n');
  for (const ev of o.events) {
    parts.push(
      'event {\n',
      `\tname = "${escapeTsdlString(ev.name)}";\n`,
      `\tid = ${ev.id};\n`,
      `\tstream_id = ${streamId};\n`,
      '\tfields := struct {\n',
      fieldsTsdl(ev.fields, 2),
      '\t};\n',
      '};\n\n',
    );
  }
  return parts.join('');
}

const METADATA_MAGIC = 0x75d11d57;
const METADATA_HEADER = 37;
const METADATA_PACKET = 4096;

/** Parses `xxxxxxxx-xxxx-...` into 16 bytes. */
export function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`invalid UUID '${uuid}'`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/**
 * Splits TSDL text into LTTng metadata packets: a 37-byte header (magic, UUID, checksum,
 * content and packet size in bits, compression/encryption/checksum schemes, CTF 1.8) and
 * up to 4059 bytes of text each, the last one zero-padded to 4 KiB.
 */
export function packetizeMetadata(text: string, uuid: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const perPacket = METADATA_PACKET - METADATA_HEADER;
  const count = Math.max(1, Math.ceil(body.length / perPacket));
  const out = Buffer.alloc(count * METADATA_PACKET);
  const id = uuidBytes(uuid);
  for (let i = 0; i < count; i++) {
    const at = i * METADATA_PACKET;
    const chunk = body.subarray(i * perPacket, (i + 1) * perPacket);
    out.writeUInt32LE(METADATA_MAGIC, at);
    out.set(id, at + 4);
    out.writeUInt32LE(0, at + 20);
    out.writeUInt32LE((METADATA_HEADER + chunk.length) * 8, at + 24);
    out.writeUInt32LE(METADATA_PACKET * 8, at + 28);
    out.writeUInt8(0, at + 32);
    out.writeUInt8(0, at + 33);
    out.writeUInt8(0, at + 34);
    out.writeUInt8(1, at + 35);
    out.writeUInt8(8, at + 36);
    chunk.copy(out, at + METADATA_HEADER);
  }
  return out;
}

/** Writes `path` (a trace's `metadata` file) as packetised metadata. */
export function writeLttngMetadata(path: string, text: string, uuid: string): void {
  writeFileSync(path, packetizeMetadata(text, uuid));
}
