/**
 * Unit tests of the TSDL front end (lexer → parser → resolver) on tricky metadata:
 * typealias/typedef chains and scoping, enumerations (implicit values, ranges, negative
 * values, quoted labels), variant tag paths, bit-packed and aligned layouts, byte orders,
 * env/clock/callsite blocks, and error positions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTsdl } from '../../src/ctf/metadata/tsdl-resolver.js';
import { tokenize } from '../../src/ctf/metadata/tsdl-lexer.js';
import { decodeMetadata } from '../../src/ctf/metadata/metadata-file.js';
import { MetadataError } from '../../src/ctf/metadata/metadata-error.js';
import type { EventClass, FieldClass, StructClass, TraceClass } from '../../src/ctf/metadata/model.js';
import { FormatError } from '../../src/base/errors.js';

const PRELUDE = `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
trace { major = 1; minor = 8; byte_order = le; };
`;

function eventOf(tc: TraceClass, name: string): EventClass {
  for (const sc of tc.streamClasses.values()) for (const ec of sc.eventClasses.values()) if (ec.name === name) return ec;
  throw new Error(`no event ${name}`);
}

function member(s: StructClass | null, name: string): FieldClass {
  const m = s?.members.find((x) => x.name === name);
  if (!m) throw new Error(`no member ${name}`);
  return m.fc;
}

/** Resolves PRELUDE + `body` and returns the payload of event `e`. */
function payload(body: string, prelude = PRELUDE): StructClass {
  return eventOf(resolveTsdl(prelude + body), 'e').payload!;
}

function metadataError(text: string): MetadataError {
  try {
    resolveTsdl(text);
  } catch (err) {
    assert.ok(err instanceof MetadataError, `expected MetadataError, got ${String(err)}`);
    return err;
  }
  throw new assert.AssertionError({ message: 'metadata was accepted' });
}

test('lexer: comments, hex/octal integers, escapes in strings, line numbers', () => {
  const toks = tokenize('/* c */ a = 0x1F; // line\n b = 017; c = -5; d = "x\\"y\\n"; unsigned long e;');
  const simple = toks.map((t) => (t.kind === 'int' ? `int:${t.value}` : `${t.kind}:${t.text}`));
  assert.deepEqual(simple, [
    'ident:a', 'punct:=', 'int:31', 'punct:;',
    'ident:b', 'punct:=', 'int:15', 'punct:;',
    'ident:c', 'punct:=', 'punct:-', 'int:5', 'punct:;',
    'ident:d', 'punct:=', 'string:x"y\n', 'punct:;',
    'ident:unsigned', 'ident:long', 'ident:e', 'punct:;',
    'eof:',
  ]);
  assert.equal(toks.find((t) => t.text === 'b')!.line, 2);
});

test('typealias chains, typedefs and multi-word alias names resolve to the base integer', () => {
  const p = payload(`
typealias uint32_t := u32_alias;
typedef u32_alias u32_typedef;
typealias integer { size = 64; align = 8; signed = true; base = hex; } := long long int;
typealias long long int := i64_again;
event { name = "e"; fields := struct { u32_typedef a; long long int b; i64_again c; }; };`);
  const a = member(p, 'a');
  const b = member(p, 'b');
  const c = member(p, 'c');
  assert.ok(a.kind === 'int' && a.size === 32 && !a.signed);
  assert.ok(b.kind === 'int' && b.size === 64 && b.signed && b.base === 16);
  assert.deepEqual(c, b);
});

test('typealias scoping: an alias declared inside a struct shadows the outer one only there', () => {
  const p = payload(`
typealias integer { size = 16; align = 8; signed = false; } := small;
event { name = "e"; fields := struct {
  struct { typealias integer { size = 4; align = 1; signed = false; } := small; small inner; } s;
  small outer;
}; };`);
  const s = member(p, 's');
  assert.ok(s.kind === 'struct');
  const inner = member(s, 'inner');
  const outer = member(p, 'outer');
  assert.ok(inner.kind === 'int' && inner.size === 4);
  assert.ok(outer.kind === 'int' && outer.size === 16);
});

test('named structures and variants are declared once and reused; untagged variants get their tag at use', () => {
  const p = payload(`
struct pair { uint8_t x; uint8_t y; };
variant choice { uint8_t small; uint32_t big; };
event { name = "e"; fields := struct {
  struct pair first;
  struct pair second;
  enum : uint8_t { small, big } sel;
  variant choice <sel> v;
}; };`);
  assert.deepEqual(member(p, 'first'), member(p, 'second'));
  const v = member(p, 'v');
  assert.ok(v.kind === 'variant');
  assert.deepEqual(v.tagRef.path, ['sel']);
  assert.deepEqual(
    v.options.map((o) => [o.name, o.ranges]),
    [
      ['small', [[0, 0]]],
      ['big', [[1, 1]]],
    ],
  );
});

test('enumerations: implicit values continue after explicit ones, ranges, negatives, quoted labels, default int container', () => {
  const p = payload(`
typealias integer { size = 32; align = 8; signed = true; } := int;
event { name = "e"; fields := struct {
  enum : integer { size = 8; align = 8; signed = true; } { NEG = -3, ZERO, ONE, TEN = 10 ... 19, "with space", LAST = 0x7f, } a;
  enum { X, Y = 4, Z } b;
}; };`);
  const a = member(p, 'a');
  assert.ok(a.kind === 'int' && a.signed && a.size === 8);
  assert.deepEqual(
    a.mappings!.map((m) => [m.label, m.ranges]),
    [
      ['NEG', [[-3, -3]]],
      ['ZERO', [[-2, -2]]],
      ['ONE', [[-1, -1]]],
      ['TEN', [[10, 19]]],
      ['with space', [[20, 20]]],
      ['LAST', [[127, 127]]],
    ],
  );
  const b = member(p, 'b');
  assert.ok(b.kind === 'int' && b.size === 32 && b.signed, 'an enum without container uses the `int` alias');
  assert.deepEqual(
    b.mappings!.map((m) => [m.label, m.ranges[0]]),
    [
      ['X', [0, 0]],
      ['Y', [4, 4]],
      ['Z', [5, 5]],
    ],
  );
});

test('variant tags: relative (with leading underscore), nested outwards, and absolute across scopes', () => {
  const tc = resolveTsdl(
    PRELUDE +
      `
stream {
  event.header := struct { uint32_t id; };
  event.context := struct { enum : uint8_t { A, B } kind; };
};
event { name = "e"; fields := struct {
  enum : uint8_t { INT, STR } _tag;
  variant <_tag> { uint32_t INT; string STR; } rel;
  struct { variant <_tag> { uint8_t INT; string STR; } deep; } outer;
  variant <stream.event.context.kind> { uint8_t A; uint32_t B; } abs;
  uint8_t n;
  uint8_t seq[stream.event.header.id];
  uint8_t seq2[n];
}; };`,
  );
  const p = eventOf(tc, 'e').payload!;
  const rel = member(p, 'rel');
  const deep = member(member(p, 'outer') as StructClass, 'deep');
  const abs = member(p, 'abs');
  assert.ok(rel.kind === 'variant' && deep.kind === 'variant' && abs.kind === 'variant');
  assert.equal(rel.tagField, member(p, 'tag'));
  assert.equal(deep.tagField, member(p, 'tag'));
  assert.equal(abs.tagRef.scope, 'event-common-context');
  assert.equal(abs.tagField, member(tc.streamClasses.get(0)!.eventCommonContext, 'kind'));
  const seq = member(p, 'seq');
  assert.ok(seq.kind === 'sequence' && seq.lengthRef.scope === 'event-header');
  assert.equal(seq.lengthField, member(tc.streamClasses.get(0)!.eventHeader, 'id'));
  // the referenced fields get stored-value slots, distinct per field
  const slots = [rel.tagField!, abs.tagField!, seq.lengthField!, (member(p, 'seq2') as { lengthField: { storeSlot: number } }).lengthField].map((f) => f.storeSlot);
  assert.ok(slots.every((s) => s >= 0));
  assert.equal(new Set(slots).size, 4);
});

test('variant and sequence reference errors name the path and the line', () => {
  const e1 = metadataError(PRELUDE + `event { name = "e"; fields := struct {\n  variant <nope> { uint8_t a; } v;\n}; };`);
  assert.match(e1.message, /nope/);
  const e2 = metadataError(PRELUDE + `event { name = "e"; fields := struct {\n  string s;\n  uint8_t a[s];\n}; };`);
  assert.match(e2.message, /\bs\b/);
  // the length must be decoded before the sequence
  const e3 = metadataError(PRELUDE + `event { name = "e"; fields := struct {\n  uint8_t a[n];\n  uint8_t n;\n}; };`);
  assert.match(e3.message, /\bn\b/);
});

test('alignment: structures align on their most aligned member, align(N) raises it, integers may be bit-packed', () => {
  const p = payload(`
event { name = "e"; fields := struct {
  integer { size = 3; align = 1; signed = false; } a;
  integer { size = 13; align = 1; signed = true; } b;
  struct { uint8_t x; integer { size = 64; align = 64; signed = false; } y; } s;
  struct { uint8_t z; } align(32) t;
  floating_point { exp_dig = 11; mant_dig = 53; align = 16; } d;
  uint8_t arr[3];
}; };`);
  assert.equal(member(p, 'a').align, 1);
  assert.equal(member(p, 'b').align, 1);
  assert.equal(member(p, 's').align, 64);
  assert.equal(member(p, 't').align, 32);
  const d = member(p, 'd');
  assert.ok(d.kind === 'float' && d.size === 64 && d.align === 16);
  const arr = member(p, 'arr');
  assert.ok(arr.kind === 'array' && arr.length === 3 && arr.align === 8);
  assert.equal(p.align, 64);
});

test('byte orders: native follows the trace, network is big-endian, explicit orders are kept', () => {
  const tc = resolveTsdl(`/* CTF 1.8 */
trace { major = 1; minor = 8; byte_order = be; };
typealias integer { size = 32; align = 8; signed = false; } := u32;
typealias integer { size = 32; align = 8; signed = false; byte_order = native; } := u32n;
typealias integer { size = 16; align = 8; signed = false; byte_order = network; } := u16net;
typealias integer { size = 16; align = 8; signed = false; byte_order = le; } := u16le;
event { name = "e"; fields := struct { u32 a; u32n b; u16net c; u16le d; floating_point { exp_dig = 8; mant_dig = 24; align = 8; } f; }; };`);
  const p = eventOf(tc, 'e').payload!;
  assert.equal(tc.byteOrder, 'be');
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'f'].map((n) => (member(p, n) as { byteOrder: string }).byteOrder),
    ['be', 'be', 'be', 'le', 'be'],
  );
});

test('text arrays and sequences: 8-bit UTF8-encoded integers are strings', () => {
  const p = payload(`
event { name = "e"; fields := struct {
  uint8_t n;
  integer { size = 8; align = 8; signed = false; encoding = UTF8; } name[16];
  integer { size = 8; align = 8; signed = false; encoding = ASCII; } dyn[n];
  uint8_t raw[4];
}; };`);
  const name = member(p, 'name');
  const dyn = member(p, 'dyn');
  const raw = member(p, 'raw');
  assert.ok(name.kind === 'array' && name.isText);
  assert.ok(dyn.kind === 'sequence' && dyn.isText);
  assert.ok(raw.kind === 'array' && !raw.isText);
});

test('env, clocks (offset_s, offset normalised below freq, negative offset_s), callsite and event attributes', () => {
  const tc = resolveTsdl(
    PRELUDE +
      `
env { hostname = "h"; vpid = 42; neg = -1; };
clock { name = slow; uuid = "01234567-89ab-cdef-0123-456789abcdef"; description = "d"; freq = 1000; offset_s = 1; offset = 2500; precision = 3; absolute = true; };
clock { name = before_epoch; freq = 1000000000; offset_s = -10; };
typealias integer { size = 64; align = 8; signed = false; map = clock.slow.value; } := ts_t;
callsite { name = "e"; func = "f"; file = "x.c"; line = 7; ip = 0xffffffff81000000; };
stream { packet.context := struct { ts_t timestamp_begin; }; event.header := struct { uint32_t id; ts_t timestamp; }; };
event { name = "e"; id = 3; loglevel = 13; model.emf.uri = "u"; custom_attr = "kept"; fields := struct { uint8_t x; }; };`,
  );
  assert.equal(tc.env.hostname, 'h');
  assert.equal(tc.env.vpid, 42);
  assert.equal(tc.env.neg, -1);
  const slow = tc.clocks.find((c) => c.name === 'slow')!;
  assert.deepEqual(
    { s: slow.offsetSeconds, c: slow.offsetCycles, f: slow.freq, p: slow.precision, a: slow.absolute, u: slow.uuid, d: slow.description },
    { s: 3n, c: 500n, f: 1000, p: 3, a: true, u: '01234567-89ab-cdef-0123-456789abcdef', d: 'd' },
  );
  assert.equal(tc.clocks.find((c) => c.name === 'before_epoch')!.offsetSeconds, -10n);
  const sc = tc.streamClasses.get(0)!;
  assert.equal(sc.defaultClock, slow);
  const ts = member(sc.eventHeader, 'timestamp');
  assert.ok(ts.kind === 'int' && ts.mappedClock === slow);
  assert.deepEqual(tc.callsites, [{ name: 'e', func: 'f', file: 'x.c', line: 7, ip: 0xffffffff81000000n }]);
  const ec = eventOf(tc, 'e');
  assert.equal(ec.id, 3);
  assert.equal(ec.logLevel, 13);
  assert.equal(ec.emfUri, 'u');
});

test('several stream classes; events without stream_id belong to the only stream', () => {
  const tc = resolveTsdl(
    PRELUDE.replace('byte_order = le;', 'byte_order = le; packet.header := struct { uint32_t magic; uint8_t stream_id; };') +
      `
stream { id = 0; event.header := struct { uint32_t id; }; };
stream { id = 7; event.header := struct { uint8_t id; }; };
event { name = "a"; id = 0; stream_id = 0; };
event { name = "b"; id = 0; stream_id = 7; };`,
  );
  assert.deepEqual([...tc.streamClasses.keys()].sort(), [0, 7]);
  assert.equal(eventOf(tc, 'b').streamClassId, 7);
  const single = resolveTsdl(PRELUDE + `stream { event.header := struct { uint32_t id; }; }; event { name = "x"; id = 1; };`);
  assert.equal(eventOf(single, 'x').streamClassId, 0);
});

test('syntax and semantic errors carry the line and the byte offset in the file', () => {
  const text = PRELUDE + 'event {\n  name = "e";\n  fields := struct { uint8_t a; uint8_t a; };\n};\n';
  const dup = metadataError(text);
  assert.match(dup.message, /line 7/);
  assert.match(dup.message, /duplicate|already/i);
  const syntax = metadataError(PRELUDE + 'event { name = "e" fields := struct { }; };');
  assert.match(syntax.message, /line 5/);
  const unknown = metadataError(PRELUDE + 'event { name = "e"; fields := struct { no_such_type a; }; };');
  assert.match(unknown.message, /no_such_type/);
  // through the file reader: FormatError with the byte offset (UTF-8 bytes before the error count)
  const withUtf8 = `/* CTF 1.8 — é */\n${PRELUDE.slice(PRELUDE.indexOf('\n') + 1)}event { name = "e"; fields := struct { bogus_t a; }; };`;
  try {
    decodeMetadata('/x/metadata', Buffer.from(withUtf8, 'utf8'));
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof FormatError);
    const byteOffset = Buffer.byteLength(withUtf8.slice(0, withUtf8.indexOf('bogus_t')), 'utf8');
    assert.match(err.message, new RegExp(`/x/metadata.*\\b${byteOffset}\\b`));
  }
});

test('integer size limits and invalid attribute values are rejected', () => {
  assert.match(metadataError(PRELUDE + 'event { name = "e"; fields := struct { integer { size = 65; align = 8; signed = false; } a; }; };').message, /65/);
  assert.match(metadataError(PRELUDE + 'event { name = "e"; fields := struct { integer { size = 8; align = 3; signed = false; } a; }; };').message, /align/);
  assert.match(metadataError(PRELUDE + 'clock { name = c; freq = 0; };').message, /frequency/);
});

test('event blocks are set aside and parsed one by one: braces in strings and comments, error lines inside events', () => {
  const tc = resolveTsdl(
    PRELUDE +
      `stream { event.header := struct { uint8_t id; }; };
event { name = "brace } in name"; /* } { */ id = 0; // }
  fields := struct { integer { size = 8; align = 8; signed = false; } a; integer { size = 8; align = 8; signed = false; } b; }; };
event { name = "second"; id = 1; fields := struct { integer { size = 8; align = 8; signed = false; } c; }; };`,
  );
  assert.deepEqual(
    [...tc.streamClasses.get(0)!.eventClasses.values()].map((e) => [e.name, e.payload!.members.map((m) => m.name)]),
    [
      ['brace } in name', ['a', 'b']],
      ['second', ['c']],
    ],
  );
  // identical attribute lists are shared by the parser; the field classes are not
  const [a, b] = eventOf(tc, 'brace } in name').payload!.members.map((m) => m.fc);
  assert.deepEqual(a, b);
  assert.notEqual(a, b);
  const err = metadataError(PRELUDE + 'event { name = "ok"; id = 0; };\nevent {\n  name = "bad";\n  fields := struct { uint8_t x; ] };\n};');
  assert.match(err.message, /line 8:/);
  assert.match(metadataError(PRELUDE + 'event { name = "open"; fields := struct { uint8_t x; };').message, /unterminated|'}'/);
});
