/**
 * Builders of CTF 2 test traces (no CTF 2 trace exists on this machine and babeltrace2
 * 2.0 cannot read them). Each builder writes a trace directory following CTF2-SPEC-2.0
 * and returns the events a correct reader must produce, computed from the values
 * written — not from tracewire's reader.
 *
 *  - `lttng-ust`: the dialect LTTng 2.14 writes for user-space traces: absolute field
 *    locations, LTTng compact event header (5-bit id, 27-bit timestamp, extended form),
 *    two streams, discarded events, a lost packet, a 27-bit timestamp wrap, and payloads
 *    with every field class LTTng emits plus booleans, optionals, LEB128 integers, BLOBs.
 *  - `relative-be`: big-endian data, relative field locations (with `null` = parent
 *    structure), bit-packed fields, UTF-16 strings, a 1 kHz clock with no origin,
 *    16-bit wrapping timestamps and packetized metadata (CTF2-PMETA).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitWriter } from './bit-writer.js';

export interface ExpectedEvent {
  name: string;
  ts: bigint | null;
  cycles: bigint | null;
  stream: number;
  cpu: number | null;
  context: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface ExpectedDiscarded {
  kind: 'discarded_events' | 'discarded_packets';
  count: number;
  stream: number;
  begin: bigint;
  end: bigint;
}

export interface Fixture {
  events: ExpectedEvent[];
  discarded: ExpectedDiscarded[];
}

const RS = '\x1e';
const UUID = [0x4c, 0x71, 0x0d, 0x8e, 0x0e, 0x23, 0x4b, 0x6a, 0x9a, 0x33, 0x27, 0x85, 0x3c, 0x80, 0x01, 0x5f];
const UUID_TEXT = '4c710d8e-0e23-4b6a-9a33-27853c80015f';

function metadata(fragments: object[]): string {
  return fragments.map((f) => `${RS}${JSON.stringify(f, null, 2)}\n`).join('');
}

const u = (length: number, extra: object = {}) => ({ type: 'fixed-length-unsigned-integer', length, 'byte-order': 'little-endian', alignment: 8, 'preferred-display-base': 10, ...extra });
const s = (length: number, extra: object = {}) => ({ type: 'fixed-length-signed-integer', length, 'byte-order': 'little-endian', alignment: 8, 'preferred-display-base': 10, ...extra });
const member = (name: string, fc: object | string) => ({ name, 'field-class': fc });
const loc = (origin: string, ...path: Array<string | null>) => ({ origin, path });

// ---------------------------------------------------------------------------------------
// lttng-ust dialect

const OFFSET_S = 1_700_000_000n;
const OFFSET_CYCLES = 123_456_789n;
const toNs = (cycles: bigint) => OFFSET_S * 1_000_000_000n + OFFSET_CYCLES + cycles;

interface UstEvent {
  id: number;
  name: string;
  cycles: bigint;
  vpid: number;
  vtid: number;
  payload: Record<string, unknown>;
  write: (w: BitWriter) => void;
}

function writeCompactHeader(w: BitWriter, id: number, cycles: bigint, prevCycles: bigint): void {
  w.align(8);
  // the compact form can only say the low 27 bits: use it when no more than one 27-bit wrap happened
  const compact = id < 31 && cycles - prevCycles < 1n << 27n && cycles >= prevCycles;
  if (compact) {
    w.uint(id, 5, 'le', 1);
    w.uint(cycles & ((1n << 27n) - 1n), 27, 'le', 1);
  } else {
    w.uint(31, 5, 'le', 1);
    w.uint(id, 32, 'le', 8); // the extended struct is byte-aligned: 3 bits of padding first
    w.uint(cycles, 64, 'le', 8);
  }
}

/** Writes the LTTng-2.14-like CTF 2 trace into `dir`. */
export function writeLttngUstCtf2(dir: string): Fixture {
  mkdirSync(dir, { recursive: true });
  const pktCtx = {
    type: 'structure',
    'member-classes': [
      member('timestamp_begin', u(64, { roles: ['default-clock-timestamp'] })),
      member('timestamp_end', u(64, { roles: ['packet-end-default-clock-timestamp'] })),
      member('content_size', u(64, { roles: ['packet-content-length'] })),
      member('packet_size', u(64, { roles: ['packet-total-length'] })),
      member('packet_seq_num', u(64, { roles: ['packet-sequence-number'] })),
      member('events_discarded', u(64, { roles: ['discarded-event-record-counter-snapshot'] })),
      member('cpu_id', u(32)),
    ],
  };
  const header = {
    type: 'structure',
    'minimum-alignment': 8,
    'member-classes': [
      member('id', { type: 'fixed-length-unsigned-integer', length: 5, 'byte-order': 'little-endian', mappings: { compact: [[0, 30]], extended: [[31, 31]] }, roles: ['event-record-class-id'] }),
      member('v', {
        type: 'variant',
        'selector-field-location': loc('event-record-header', 'id'),
        options: [
          { name: 'compact', 'selector-field-ranges': [[0, 30]], 'field-class': { type: 'structure', 'member-classes': [member('timestamp', { type: 'fixed-length-unsigned-integer', length: 27, 'byte-order': 'little-endian', roles: ['default-clock-timestamp'] })] } },
          { name: 'extended', 'selector-field-ranges': [[31, 31]], 'field-class': { type: 'structure', 'member-classes': [member('id', 'u32-erc-id'), member('timestamp', 'u64-ts')] } },
        ],
      }),
    ],
  };
  const text = metadata([
    { type: 'preamble', version: 2, uuid: UUID },
    { type: 'field-class-alias', name: 'u32-erc-id', 'field-class': u(32, { roles: ['event-record-class-id'] }) },
    { type: 'field-class-alias', name: 'u64-ts', 'field-class': u(64, { roles: ['default-clock-timestamp'] }) },
    {
      type: 'trace-class',
      environment: { hostname: 'tw-ctf2', domain: 'ust', tracer_name: 'lttng-ust', tracer_major: 2, tracer_minor: 14, tracer_patchlevel: 0, tracer_buffering_scheme: 'uid' },
      namespace: 'lttng.org,2009',
      name: '',
      uid: UUID_TEXT,
      'packet-header-field-class': {
        type: 'structure',
        'member-classes': [
          member('magic', u(32, { alignment: 32, 'preferred-display-base': 16, roles: ['packet-magic-number'] })),
          member('uuid', { type: 'static-length-blob', length: 16, roles: ['metadata-stream-uuid'] }),
          member('stream_id', u(32, { roles: ['data-stream-class-id'] })),
          member('stream_instance_id', u(64, { roles: ['data-stream-id'] })),
        ],
      },
    },
    { type: 'clock-class', id: 'monotonic', name: 'monotonic', uid: '0e9a3c2b-8d1f-4e60-a7b5-6c4d3e2f1a09', description: 'Monotonic Clock', frequency: 1_000_000_000, origin: 'unix-epoch', 'offset-from-origin': { seconds: Number(OFFSET_S), cycles: Number(OFFSET_CYCLES) } },
    {
      type: 'data-stream-class',
      id: 0,
      'default-clock-class-id': 'monotonic',
      'packet-context-field-class': pktCtx,
      'event-record-header-field-class': header,
      'event-record-common-context-field-class': { type: 'structure', 'member-classes': [member('vpid', s(32)), member('vtid', s(32))] },
    },
    {
      type: 'event-record-class',
      id: 0,
      'data-stream-class-id': 0,
      name: 'tw:basic',
      attributes: { 'lttng.org,2009': { 'log-level': 'info' } },
      'payload-field-class': {
        type: 'structure',
        'member-classes': [
          member('u8', u(8)),
          member('s16', s(16)),
          member('hex32', u(32, { 'preferred-display-base': 16 })),
          member('s64', s(64)),
          member('big', u(64)),
          member('msg', { type: 'null-terminated-string' }),
          member('dbl', { type: 'fixed-length-floating-point-number', length: 64, 'byte-order': 'little-endian', alignment: 8 }),
          member('flt', { type: 'fixed-length-floating-point-number', length: 32, 'byte-order': 'little-endian', alignment: 8 }),
        ],
      },
    },
    {
      type: 'event-record-class',
      id: 1,
      'data-stream-class-id': 0,
      name: 'tw:arrays',
      'payload-field-class': {
        type: 'structure',
        'member-classes': [
          member('_seq_length', u(32)),
          member('seq', { type: 'dynamic-length-array', 'element-field-class': u(16), 'length-field-location': loc('event-record-payload', '_seq_length') }),
          member('arr', { type: 'static-length-array', length: 3, 'element-field-class': s(8) }),
          member('name', { type: 'static-length-string', length: 8 }),
          member('_text_length', u(8)),
          member('text', { type: 'dynamic-length-string', 'length-field-location': loc('event-record-payload', '_text_length') }),
          member('blob', { type: 'static-length-blob', length: 4 }),
        ],
      },
    },
    {
      type: 'event-record-class',
      id: 2,
      'data-stream-class-id': 0,
      name: 'tw:variant',
      'payload-field-class': {
        type: 'structure',
        'member-classes': [
          member('tag', u(8, { mappings: { A: [[0, 0]], B: [[1, 2]] } })),
          member('v', {
            type: 'variant',
            'selector-field-location': loc('event-record-payload', 'tag'),
            options: [
              { name: 'A', 'selector-field-ranges': [[0, 0]], 'field-class': u(32) },
              { name: 'B', 'selector-field-ranges': [[1, 2]], 'field-class': { type: 'null-terminated-string' } },
            ],
          }),
          member('has', { type: 'fixed-length-boolean', length: 8, 'byte-order': 'little-endian', alignment: 8 }),
          member('opt', { type: 'optional', 'selector-field-location': loc('event-record-payload', 'has'), 'field-class': u(16) }),
          member('state', s(8, { mappings: { DOWN: [[-1, -1]], UP: [[1, 1]] } })),
        ],
      },
    },
    {
      type: 'event-record-class',
      id: 40,
      'data-stream-class-id': 0,
      name: 'tw:extended',
      'payload-field-class': {
        type: 'structure',
        'member-classes': [member('vl', { type: 'variable-length-unsigned-integer' }), member('vs', { type: 'variable-length-signed-integer' }), member('flags', { type: 'fixed-length-bit-map', length: 8, 'byte-order': 'little-endian', alignment: 8, flags: { A: [[0, 0]], B: [[1, 1]] } })],
      },
    },
  ]);
  writeFileSync(join(dir, 'metadata'), text);

  const ev = (id: number, name: string, cycles: bigint, vtid: number, payload: Record<string, unknown>, write: (w: BitWriter) => void): UstEvent => ({ id, name, cycles, vpid: 4242, vtid, payload, write });
  const basic = (cycles: bigint, vtid: number, k: number) =>
    ev(0, 'tw:basic', cycles, vtid, { u8: 200 + k, s16: -300 - k, hex32: 0xdeadbe00 + k, s64: -(2 ** 40) - k, big: 18446744073709551000n + BigInt(k), msg: `hello ${k}`, dbl: 2.5 + k, flt: 0.5 }, (w) => {
      w.uint(200 + k, 8).uint(-300 - k, 16).uint(0xdeadbe00 + k, 32).uint(-(2 ** 40) - k, 64).uint(18446744073709551000n + BigInt(k), 64).cstring(`hello ${k}`).f64(2.5 + k).f32(0.5);
    });
  const arrays = (cycles: bigint, vtid: number) =>
    ev(1, 'tw:arrays', cycles, vtid, { _seq_length: 3, seq: [1, 65535, 7], arr: [-1, 0, 127], name: 'abc', _text_length: 5, text: 'héllo'.slice(0, 4), blob: [0xde, 0xad, 0xbe, 0xef] }, (w) => {
      w.uint(3, 32).uint(1, 16).uint(65535, 16).uint(7, 16).uint(-1, 8).uint(0, 8).uint(127, 8);
      w.raw([...Buffer.from('abc'), 0, 0x41, 0x42, 0, 0]); // static-length-string: text stops at the first NUL
      w.uint(5, 8).raw(Buffer.from('héll')); // 5 bytes of UTF-8 ("é" is 2 bytes)
      w.raw([0xde, 0xad, 0xbe, 0xef]);
    });
  const variant = (cycles: bigint, vtid: number, tag: number) =>
    ev(2, 'tw:variant', cycles, vtid, { tag, v: tag === 0 ? 123456 : 'opt-B', has: tag !== 0, opt: tag !== 0 ? 77 : null, state: tag === 0 ? -1 : 1 }, (w) => {
      w.uint(tag, 8);
      if (tag === 0) w.uint(123456, 32);
      else w.cstring('opt-B');
      w.uint(tag !== 0 ? 1 : 0, 8);
      if (tag !== 0) w.uint(77, 16);
      w.uint(tag === 0 ? -1 : 1, 8);
    });
  const extended = (cycles: bigint, vtid: number) =>
    ev(40, 'tw:extended', cycles, vtid, { vl: 300, vs: -70000, flags: 3 }, (w) => {
      w.leb128(300, false).leb128(-70000, true).uint(3, 8);
    });

  // stream 0 (cpu 0): three packets; packet 2 reports 3 discarded events; packet 3 comes after a lost packet
  const base0 = 5_000_000_000n;
  // low 27 bits just below 2^27: the next compact timestamp (+0x20) wraps once
  const wrapA = ((base0 >> 27n) + 1n) * (1n << 27n) - 16n;
  const stream0: UstEvent[][] = [
    [basic(base0 + 100n, 11, 0), arrays(base0 + 250n, 11), variant(wrapA, 11, 0), variant(wrapA + 0x20n, 11, 1)],
    [extended(wrapA + 0x40n + (1n << 28n), 11), basic(wrapA + 0x60n + (1n << 28n), 11, 1)],
    [basic(base0 + 900_000_000n, 12, 2)],
  ];
  const stream1: UstEvent[][] = [[basic(base0 + 150n, 21, 3), variant(base0 + 400n, 21, 2)], [arrays(base0 + 700_000_000n, 21)]];

  const writeStream = (file: string, instance: number, cpu: number, packets: UstEvent[][], seqNums: number[], discarded: number[]): void => {
    const bufs: Buffer[] = [];
    let prev = 0n;
    packets.forEach((events, k) => {
      const w = new BitWriter();
      w.uint(0xc1fc1fc1, 32).raw(UUID).uint(0, 32).uint(instance, 64);
      const begin = events[0]!.cycles - 10n;
      const end = events[events.length - 1]!.cycles + 10n;
      w.uint(begin, 64).uint(end, 64);
      const sizesAt = w.pos;
      w.uint(0, 64).uint(0, 64).uint(seqNums[k]!, 64).uint(discarded[k]!, 64).uint(cpu, 32);
      prev = begin;
      for (const e of events) {
        writeCompactHeader(w, e.id, e.cycles, prev);
        prev = e.cycles;
        w.uint(e.vpid, 32).uint(e.vtid, 32);
        e.write(w);
      }
      const content = w.pos;
      w.align(8);
      const total = Math.ceil(w.pos / 8 / 256) * 256 * 8;
      while (w.pos < total) w.uint(0, 8);
      w.patch(sizesAt, content, 64);
      w.patch(sizesAt + 64, total, 64);
      bufs.push(w.buffer());
    });
    writeFileSync(join(dir, file), Buffer.concat(bufs));
  };
  writeStream('chan_0', 0, 0, stream0, [0, 1, 3], [0, 3, 3]);
  writeStream('chan_1', 1, 1, stream1, [0, 1], [0, 0]);

  const events: ExpectedEvent[] = [];
  const add = (list: UstEvent[][], stream: number, cpu: number) => {
    for (const p of list) for (const e of p) events.push({ name: e.name, ts: toNs(e.cycles), cycles: e.cycles, stream, cpu, context: { vpid: e.vpid, vtid: e.vtid }, payload: e.payload });
  };
  add(stream0, 0, 0);
  add(stream1, 1, 1);
  events.sort((a, b) => (a.ts! < b.ts! ? -1 : a.ts! > b.ts! ? 1 : a.stream - b.stream));
  const p0end = stream0[0]![stream0[0]!.length - 1]!.cycles + 10n;
  const p1end = stream0[1]![stream0[1]!.length - 1]!.cycles + 10n;
  const p2begin = stream0[2]![0]!.cycles - 10n;
  const p2end = stream0[2]![0]!.cycles + 10n;
  const discarded: ExpectedDiscarded[] = [
    { kind: 'discarded_events', count: 3, stream: 0, begin: toNs(p0end), end: toNs(p1end) },
    { kind: 'discarded_packets', count: 1, stream: 0, begin: toNs(p1end), end: toNs(p2begin) },
  ];
  void p2end;
  return { events, discarded };
}

// ---------------------------------------------------------------------------------------
// relative locations, big-endian, packetized metadata

const ub = (length: number, extra: object = {}) => ({ type: 'fixed-length-unsigned-integer', length, 'byte-order': 'big-endian', alignment: length % 8 === 0 ? 8 : 1, ...extra });

/** Writes the big-endian, relative-location CTF 2 trace into `dir`. */
export function writeRelativeBeCtf2(dir: string): Fixture {
  mkdirSync(dir, { recursive: true });
  const text = metadata([
    { type: 'preamble', version: 2 },
    { type: 'trace-class', environment: { hostname: 'be-host', tracer_name: 'handmade' }, 'packet-header-field-class': { type: 'structure', 'member-classes': [member('magic', ub(32, { roles: ['packet-magic-number'] })), member('stream_id', ub(8, { roles: ['data-stream-class-id'] }))] } },
    { type: 'clock-class', id: 'slow', frequency: 1000, 'offset-from-origin': { seconds: 10, cycles: 250 } },
    {
      type: 'data-stream-class',
      id: 3,
      'default-clock-class-id': 'slow',
      'packet-context-field-class': {
        type: 'structure',
        'member-classes': [member('size', ub(32, { roles: ['packet-total-length'] })), member('content', ub(32, { roles: ['packet-content-length'] })), member('begin', ub(32, { roles: ['default-clock-timestamp'] }))],
      },
      'event-record-header-field-class': { type: 'structure', 'member-classes': [member('id', ub(8, { roles: ['event-record-class-id'] })), member('ts', ub(16, { roles: ['default-clock-timestamp'] }))] },
    },
    {
      type: 'event-record-class',
      id: 0,
      'data-stream-class-id': 3,
      name: 'be:relative',
      'payload-field-class': {
        type: 'structure',
        'member-classes': [
          member('hdr', { type: 'structure', 'member-classes': [member('n', ub(8)), member('flags', ub(3)), member('level', ub(13))] }),
          member('items', {
            type: 'dynamic-length-array',
            'length-field-location': { path: ['hdr', 'n'] },
            'element-field-class': { type: 'structure', 'member-classes': [member('k', ub(8)), member('vlen', ub(8)), member('v', { type: 'dynamic-length-string', 'length-field-location': { path: ['vlen'] } })] },
          }),
          member('sel', { type: 'structure', 'member-classes': [member('inner', { type: 'optional', 'selector-field-location': { path: [null, 'hdr', 'flags'] }, 'selector-field-ranges': [[1, 7]], 'field-class': ub(32) })] }),
        ],
      },
    },
    {
      type: 'event-record-class',
      id: 1,
      'data-stream-class-id': 3,
      name: 'be:utf16',
      'payload-field-class': { type: 'structure', 'member-classes': [member('s', { type: 'null-terminated-string', encoding: 'utf-16le' }), member('f', { type: 'fixed-length-floating-point-number', length: 64, 'byte-order': 'big-endian', alignment: 8 })] },
    },
  ]);
  // CTF2-PMETA: the JSON text sequence in packets with the 37-byte header (major 2)
  const content = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let off = 0; off < content.length; off += 700) {
    const body = content.subarray(off, off + 700);
    const h = Buffer.alloc(37);
    h.writeUInt32LE(0x75d11d57, 0);
    h.writeUInt32LE((37 + body.length) * 8, 24);
    h.writeUInt32LE((37 + body.length + 3) * 8, 28);
    h[35] = 2;
    chunks.push(h, body, Buffer.alloc(3));
  }
  writeFileSync(join(dir, 'metadata'), Buffer.concat(chunks));

  const w = new BitWriter();
  const cycles = [65530n, 65540n, 65600n, 70000n];
  w.uint(0xc1fc1fc1, 32, 'be').uint(3, 8, 'be');
  const sizesAt = w.pos;
  w.uint(0, 32, 'be').uint(0, 32, 'be').uint(65500, 32, 'be');
  const events: ExpectedEvent[] = [];
  const nsOf = (c: bigint) => 10_000_000_000n + 250_000_000n + c * 1_000_000n;
  // event 0: two items, optional present
  w.uint(0, 8, 'be').uint(cycles[0]! & 0xffffn, 16, 'be');
  w.uint(2, 8, 'be').uint(5, 3, 'be', 1).uint(4000, 13, 'be', 1);
  w.uint(1, 8, 'be').uint(3, 8, 'be').raw(Buffer.from('one'));
  w.uint(2, 8, 'be').uint(0, 8, 'be');
  w.uint(0xcafe, 32, 'be');
  events.push({ name: 'be:relative', ts: nsOf(cycles[0]!), cycles: cycles[0]!, stream: 0, cpu: null, context: {}, payload: { hdr: { n: 2, flags: 5, level: 4000 }, items: [{ k: 1, vlen: 3, v: 'one' }, { k: 2, vlen: 0, v: '' }], sel: { inner: 0xcafe } } });
  // event 1: 16-bit timestamp wrapped (65540 & 0xffff = 4)
  w.uint(1, 8, 'be').uint(cycles[1]! & 0xffffn, 16, 'be');
  w.raw([...Buffer.from('Zürich ✓', 'utf16le'), 0, 0]).f64(-1.25, 'be');
  events.push({ name: 'be:utf16', ts: nsOf(cycles[1]!), cycles: cycles[1]!, stream: 0, cpu: null, context: {}, payload: { s: 'Zürich ✓', f: -1.25 } });
  // event 2: no items, optional absent (flags 0)
  w.uint(0, 8, 'be').uint(cycles[2]! & 0xffffn, 16, 'be');
  w.uint(0, 8, 'be').uint(0, 3, 'be', 1).uint(1, 13, 'be', 1);
  events.push({ name: 'be:relative', ts: nsOf(cycles[2]!), cycles: cycles[2]!, stream: 0, cpu: null, context: {}, payload: { hdr: { n: 0, flags: 0, level: 1 }, items: [], sel: { inner: null } } });
  // event 3
  w.uint(1, 8, 'be').uint(cycles[3]! & 0xffffn, 16, 'be');
  w.raw([0, 0]).f64(1e300, 'be');
  events.push({ name: 'be:utf16', ts: nsOf(cycles[3]!), cycles: cycles[3]!, stream: 0, cpu: null, context: {}, payload: { s: '', f: 1e300 } });
  const contentBits = w.pos;
  w.align(8);
  while (w.pos % (64 * 8) !== 0) w.uint(0xaa, 8);
  w.patch(sizesAt, w.pos, 32, 'be');
  w.patch(sizesAt + 32, contentBits, 32, 'be');
  writeFileSync(join(dir, 'stream'), w.buffer());
  return { events, discarded: [] };
}
