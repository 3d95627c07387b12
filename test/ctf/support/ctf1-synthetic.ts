/**
 * Synthetic CTF 1.8 traces for tests: TSDL written by hand to exercise the tricky parts
 * of the format (typealias chains, typedefs, enumerations with ranges and implicit
 * values, relative and absolute variant tags across scopes, sequences sized from other
 * scopes, bit fields crossing bytes in both byte orders, 40/64-bit integers beyond 2^53,
 * big-endian floats, 27-bit timestamp wraps, a 1 MHz clock with offset_s + offset, lost
 * events and packets, callsites, env), and packets written with BitWriter. babeltrace2
 * reads them too, so the tests compare tracewire with ctf-oracle on them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitWriter } from './bit-writer.js';

const UUID = [0x2a, 0x64, 0x22, 0xd0, 0x6c, 0xee, 0x11, 0xe0, 0x8c, 0x08, 0xcb, 0x07, 0xd7, 0xb3, 0xa5, 0x64];

/**
 * The kitchen-sink TSDL. babeltrace2 only accepts a single identifier between `variant <…>`
 * and resolves relative paths within the current scope, so the babeltrace-compatible
 * flavour uses relative tags only; with `absoluteTags` the `variants` event also has a
 * variant tagged from the stream event context and one tagged by an `event.fields.` path
 * (tracewire-only: the tests check those values explicitly).
 */
export function kitchenSinkTsdl(absoluteTags: boolean): string {
  const byCtx = absoluteTags
    ? `
		variant <stream.event.context.ctx_tag> {
			uint8_t A;
			uint16_t B;
			uint32_t C;
			string E;
		} by_ctx;`
    : '';
  const again = absoluteTags ? 'event.fields._tag' : '_tag';
  return `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias uint32_t := u32_alias;
typedef u32_alias u32_typedef;
typealias integer { size = 32; align = 8; signed = true; } := int;

trace {
	major = 1;
	minor = 8;
	uuid = "2a6422d0-6cee-11e0-8c08-cb07d7b3a564";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t  uuid[16];
		uint32_t stream_id;
	};
};

env {
	hostname = "synth";
	domain = "ust";
	negative = -5;
	tracer_name = "handmade";
	tracer_major = 1;
};

clock {
	name = mhz;
	description = "1 MHz clock";
	freq = 1000000;
	offset_s = 1600000000;
	offset = 2500000;
	precision = 10;
	absolute = TRUE;
};

typealias integer { size = 27; align = 1; signed = false; map = clock.mhz.value; } := uint27_clock_t;
typealias integer { size = 64; align = 8; signed = false; map = clock.mhz.value; } := uint64_clock_t;

callsite {
	name = "bitfields";
	func = "emit_bitfields";
	file = "synth.c";
	line = 42;
	ip = 0x401000;
};

stream {
	id = 0;
	packet.context := struct {
		uint64_clock_t timestamp_begin;
		uint64_clock_t timestamp_end;
		uint64_t content_size;
		uint64_t packet_size;
		uint64_t packet_seq_num;
		uint64_t events_discarded;
		uint32_t cpu_id;
	};
	event.header := struct {
		enum : integer { size = 5; align = 1; signed = false; } { compact = 0 ... 30, extended = 31 } id;
		variant <id> {
			struct { uint27_clock_t timestamp; } compact;
			struct { uint32_t id; uint64_clock_t timestamp; } extended;
		} v;
	} align(8);
	event.context := struct {
		uint8_t ctx_len;
		uint16_t _ctx_seq[ ctx_len ];
		enum : uint8_t { A, B = 5, C, "D d" = 10 ... 20, E = 21 ... 30 } ctx_tag;
	};
};

event {
	name = "bitfields";
	id = 0;
	stream_id = 0;
	loglevel = 3;
	model.emf.uri = "https://example.com/bitfields";
	fields := struct {
		integer { size = 3; align = 1; signed = false; } a;
		integer { size = 11; align = 1; signed = true; } b;
		integer { size = 7; align = 1; signed = false; } c;
		integer { size = 13; align = 1; signed = false; base = 2; } d;
		integer { size = 7; align = 8; signed = false; byte_order = be; } e;
		integer { size = 9; align = 1; signed = true; byte_order = be; } f;
		integer { size = 64; align = 8; signed = true; } big_neg;
		uint64_t big_pos;
		integer { size = 40; align = 8; signed = false; base = 16; } forty;
		integer { size = 33; align = 1; signed = true; base = 8; } odd33;
		floating_point { exp_dig = 8; mant_dig = 24; byte_order = be; align = 8; } f32be;
		floating_point { exp_dig = 11; mant_dig = 53; align = 64; } f64;
		u32_typedef via_typedef;
	};
};

event {
	name = "variants";
	id = 1;
	stream_id = 0;
	fields := struct {
		enum : uint8_t { INT, STR, PAIR = 2 ... 3 } _tag;
		variant <_tag> {
			uint32_t INT;
			string STR;
			struct { uint8_t x; uint8_t y; } PAIR;
		} relative;${byCtx}
		variant <${again}> {
			uint8_t INT;
			string STR;
			uint16_t PAIR;
		} again;
		struct {
			enum : uint8_t { X = 1, Y } inner_tag;
			variant <inner_tag> { uint8_t X; uint32_t Y; } inner_v;
		} nested;
	};
};

event {
	name = "sequences";
	id = 2;
	stream_id = 0;
	context := struct { uint8_t n; };
	fields := struct {
		uint8_t len;
		uint32_t values[len];
		string names[len];
		uint8_t by_ctx[event.context.n];
		uint16_t by_stream_ctx[stream.event.context.ctx_len];
		struct { uint8_t k; integer { size = 16; align = 16; signed = true; } v; } pairs[2];
		uint8_t grid[2][3];
		integer { size = 8; align = 8; signed = false; encoding = UTF8; } text[6];
		integer { size = 8; align = 8; signed = false; encoding = UTF8; } dyntext[len];
	};
};

event {
	name = "extended";
	id = 40;
	stream_id = 0;
	fields := struct { int value; };
};
`;
}

interface SynthEvent {
  id: number;
  cycles: bigint;
  ctx: { seq: number[]; tag: number };
  write: (w: BitWriter) => void;
  /** Specific context writer (sequences). */
  spec?: (w: BitWriter) => void;
}

function header(w: BitWriter, id: number, cycles: bigint, prev: bigint): void {
  w.align(8);
  if (id < 31 && cycles >= prev && cycles - prev < 1n << 27n) {
    w.uint(id, 5, 'le', 1);
    w.uint(cycles & ((1n << 27n) - 1n), 27, 'le', 1);
  } else {
    w.uint(31, 5, 'le', 1);
    w.uint(id, 32, 'le', 8);
    w.uint(cycles, 64, 'le', 8);
  }
}

function bitfields(cycles: bigint, k: number): SynthEvent {
  return {
    id: 0,
    cycles,
    ctx: { seq: [k, 1000 + k], tag: [0, 5, 6, 12][k % 4]! },
    write: (w) => {
      w.align(64); // a structure is aligned on its most aligned member (f64)
      w.uint(5, 3, 'le', 1).uint(-1000 + k, 11, 'le', 1).uint(99, 7, 'le', 1).uint(0x1abc, 13, 'le', 1);
      w.uint(0x55, 7, 'be', 8).uint(-200, 9, 'be', 1);
      w.uint(-(2n ** 62n) - BigInt(k), 64, 'le', 8).uint(2n ** 63n + 12345n + BigInt(k), 64, 'le', 8);
      w.uint(0xfedcba9876n, 40, 'le', 8).uint(-(2n ** 32n) + 7n, 33, 'le', 1);
      w.f32(3.25 + k, 'be').uint(0, 0);
      w.align(64);
      w.f64(-1 / 3, 'le').uint(0xcafe0000 + k, 32, 'le', 8);
    },
  };
}

function variantsEvent(cycles: bigint, tag: number, ctxTag: number, absoluteTags: boolean): SynthEvent {
  return {
    id: 1,
    cycles,
    ctx: { seq: [], tag: ctxTag },
    write: (w) => {
      w.uint(tag, 8);
      if (tag === 0) w.uint(0xabcdef01, 32);
      else if (tag === 1) w.cstring('chosen string');
      else w.uint(7, 8).uint(9, 8);
      if (absoluteTags) {
        if (ctxTag === 0) w.uint(200, 8);
        else if (ctxTag === 5) w.uint(60000, 16);
        else if (ctxTag === 6) w.uint(4000000000, 32);
        else w.cstring(`ctx ${ctxTag}`);
      }
      if (tag === 0) w.uint(17, 8);
      else if (tag === 1) w.cstring('abs');
      else w.uint(65000, 16);
      w.uint(tag % 2 === 0 ? 1 : 2, 8);
      if (tag % 2 === 0) w.uint(3, 8);
      else w.uint(123456789, 32);
    },
  };
}

function sequences(cycles: bigint, len: number): SynthEvent {
  return {
    id: 2,
    cycles,
    ctx: { seq: [4, 5, 6], tag: 5 },
    spec: (w) => w.uint(2, 8),
    write: (w) => {
      w.align(16); // the `pairs` structures are 16-bit aligned, and so is the payload
      w.uint(len, 8);
      for (let i = 0; i < len; i++) w.uint(i * 1000000, 32);
      for (let i = 0; i < len; i++) w.cstring(`name${i}`);
      w.uint(11, 8).uint(22, 8);
      for (let i = 0; i < 3; i++) w.uint(100 + i, 16);
      w.align(16);
      w.uint(1, 8).uint(-2, 16, 'le', 16).uint(3, 8).uint(-4, 16, 'le', 16);
      for (let i = 0; i < 6; i++) w.uint(i, 8);
      w.raw([...Buffer.from('hi'), 0, 0x7a, 0x7a, 0x7a]);
      w.raw(Buffer.from('abcdefghijklmnop'.slice(0, len)));
    },
  };
}

function extended(cycles: bigint, v: number): SynthEvent {
  return { id: 40, cycles, ctx: { seq: [], tag: 0 }, write: (w) => w.uint(v, 32) };
}

/**
 * Writes the kitchen-sink trace: two streams (no stream_instance_id: ids come from file
 * order), several packets, a 27-bit timestamp wrap, 5 lost events and one lost packet.
 */
export function writeKitchenSink(dir: string, absoluteTags = false): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metadata'), kitchenSinkTsdl(absoluteTags));
  const variants = (cycles: bigint, tag: number, ctxTag: number) => variantsEvent(cycles, tag, ctxTag, absoluteTags);
  const base = 3_000_000_000n;
  const wrap = ((base >> 27n) + 1n) * (1n << 27n) - 8n;
  const stream0: SynthEvent[][] = [
    [bitfields(base + 10n, 0), variants(base + 20n, 0, 0), variants(base + 30n, 1, 5), sequences(base + 40n, 3), bitfields(wrap, 1), variants(wrap + 16n, 2, 6)],
    [variants(wrap + 100n, 3, 25), extended(wrap + 200n, -7), sequences(wrap + 300n, 0)],
    [bitfields(wrap + (5n << 27n), 2), extended(wrap + (5n << 27n) + 1n, 2 ** 31 - 1)],
  ];
  const stream1: SynthEvent[][] = [[variants(base + 25n, 1, 21), sequences(base + 35n, 5)], [bitfields(base + 50_000_000n, 3)]];
  const write = (file: string, cpu: number, packets: SynthEvent[][], seq: number[], discarded: number[]) => {
    const out: Buffer[] = [];
    packets.forEach((events, k) => {
      const w = new BitWriter();
      w.uint(0xc1fc1fc1, 32).raw(UUID).uint(0, 32);
      const begin = events[0]!.cycles - 5n;
      const end = events[events.length - 1]!.cycles + 5n;
      w.uint(begin, 64).uint(end, 64);
      const sizes = w.pos;
      w.uint(0, 64).uint(0, 64).uint(seq[k]!, 64).uint(discarded[k]!, 64).uint(cpu, 32);
      let prev = begin;
      for (const e of events) {
        header(w, e.id, e.cycles, prev);
        prev = e.cycles;
        w.uint(e.ctx.seq.length, 8);
        for (const x of e.ctx.seq) w.uint(x, 16);
        w.uint(e.ctx.tag, 8);
        e.spec?.(w);
        e.write(w);
      }
      const content = w.pos;
      w.align(8);
      while (w.pos % (512 * 8) !== 0) w.uint(0, 8);
      w.patch(sizes, content, 64);
      w.patch(sizes + 64, w.pos, 64);
      out.push(w.buffer());
    });
    writeFileSync(join(dir, file), Buffer.concat(out));
  };
  write('chan_0', 0, stream0, [0, 1, 3], [0, 5, 5]);
  write('chan_1', 1, stream1, [0, 1], [0, 0]);
}

export const BIG_ENDIAN_TSDL = `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 32; signed = false; byte_order = native; } := uint32_t;
typealias integer { size = 16; align = 16; signed = true; byte_order = le; } := le_int16_t;

trace {
	major = 1;
	minor = 8;
	byte_order = be;
};

event {
	name = "only";
	fields := struct {
		uint32_t counter;
		le_int16_t little;
		integer { size = 12; align = 1; signed = true; } packed;
		integer { size = 4; align = 1; signed = false; } nibble;
		string msg;
		floating_point { exp_dig = 11; mant_dig = 53; align = 8; } dbl;
	};
};
`;

/** A big-endian trace without packet header, context, event header, clock or stream block. */
export function writeBigEndianMinimal(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metadata'), BIG_ENDIAN_TSDL);
  const w = new BitWriter();
  for (let i = 0; i < 3; i++) {
    w.uint(0x01020304 + i, 32, 'be', 32).uint(-2 - i, 16, 'le', 16).uint(-2000 + i, 12, 'be', 1).uint(9 + i, 4, 'be', 1);
    w.cstring(`big endian ${i}`).f64(1e-7 * (i + 1), 'be');
  }
  writeFileSync(join(dir, 'stream'), w.buffer());
}

/**
 * Variants whose options a decoded value alone could be mistaken for (the reader does not
 * record which option was chosen, so the formatters pick the first option the value fits):
 * a hexadecimal integer before a float, a float before a 64-bit integer, and two structures
 * with different members. All fields are byte-aligned.
 */
export const VARIANT_SHAPES_TSDL = `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias floating_point { exp_dig = 11; mant_dig = 53; align = 8; } := double;

trace {
	major = 1;
	minor = 8;
	byte_order = le;
};

event {
	name = "shapes";
	fields := struct {
		enum : uint8_t { HEX, FLT } num_tag;
		variant <num_tag> {
			integer { size = 32; align = 8; signed = false; base = hex; } HEX;
			double FLT;
		} num;
		enum : uint8_t { DBL, BIG } wide_tag;
		variant <wide_tag> {
			double DBL;
			uint64_t BIG;
		} wide;
		enum : uint8_t { ONE, TWO, THREE } pair_tag;
		variant <pair_tag> {
			struct { uint8_t a; } ONE;
			struct { uint8_t b; uint8_t c; } TWO;
			struct { uint8_t a; uint8_t d; } THREE;
		} pair;
	};
};
`;

/**
 * Events reaching each option of each variant of VARIANT_SHAPES_TSDL (no packet header or
 * clock), and a third whose values fit an earlier option by shape alone: a whole-valued
 * double after the integer option, a small 64-bit integer after the double option, and
 * { a, d } after the structure { a }.
 */
export function writeVariantShapes(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metadata'), VARIANT_SHAPES_TSDL);
  const w = new BitWriter();
  for (const second of [false, true]) {
    w.uint(second ? 1 : 0, 8);
    if (second) w.f64(2.5);
    else w.uint(0xdeadbeef, 32);
    w.uint(second ? 1 : 0, 8);
    if (second) w.uint(2n ** 64n - 3n, 64);
    else w.f64(-0.125);
    w.uint(second ? 1 : 0, 8);
    if (second) w.uint(7, 8).uint(9, 8);
    else w.uint(42, 8);
  }
  w.uint(1, 8).f64(2);
  w.uint(1, 8).uint(5, 64);
  w.uint(2, 8).uint(5, 8).uint(6, 8);
  writeFileSync(join(dir, 'stream'), w.buffer());
}
