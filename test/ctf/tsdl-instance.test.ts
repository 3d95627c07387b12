/**
 * The split of TSDL metadata into what recordings share (declarations) and what each has
 * of its own (UUID, env, clocks), for the metadata cache (src/ctf/metadata/tsdl-instance.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitTsdlInstance } from '../../src/ctf/metadata/tsdl-instance.js';

const tsdl = (uuid: string, host: string, offset: number, lengthFromEnv = false) => `/* CTF 1.8 */
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
trace {
	major = 1; minor = 8;
	uuid = "${uuid}";
	byte_order = le;
	packet.header := struct { uint32_t magic; };
};
env { hostname = "${host}"; note = "a } in a string"; n = 3; };
clock { name = "monotonic"; freq = 1000000000; offset = ${offset}; /* } */ };
stream { event.header := struct { uint32_t id; }; };
event { name = "a"; id = 0; fields := struct { uint32_t x[${lengthFromEnv ? 'env.n' : '2'}]; }; };
event { name = "b"; id = 1; fields := struct { string s; }; };
`;

test('two recordings share their declarations, not their UUID, env or clocks', () => {
  const a = splitTsdlInstance(tsdl('2a6422d0-6cee-11e0-8c08-cb07d7b3a564', 'one', 100))!;
  const b = splitTsdlInstance(tsdl('7b6422d0-6cee-11e0-8c08-cb07d7b3a564', 'other', 2000))!;
  assert.ok(a && b);
  assert.equal(a.declarations, b.declarations);
  assert.doesNotMatch(a.declarations, /uuid|hostname|offset/);
  assert.match(a.declarations, /\0env\0\n\0clock\0\nstream/, 'env and clock leave a marker where they were');
  assert.match(a.declarations, /name = "a"/);
  // the skeleton: everything but the event blocks
  assert.doesNotMatch(a.skeleton, /event \{/);
  assert.match(a.skeleton, /uuid = "2a6422d0-6cee-11e0-8c08-cb07d7b3a564"/);
  assert.match(a.skeleton, /hostname = "one"/);
  assert.match(a.skeleton, /offset = 100/);
  assert.match(a.skeleton, /stream \{ event\.header/);
});

test('different declarations, lengths read from env, and text that does not lex are not shared', () => {
  const a = splitTsdlInstance(tsdl('2a6422d0-6cee-11e0-8c08-cb07d7b3a564', 'one', 100))!;
  const other = splitTsdlInstance(tsdl('2a6422d0-6cee-11e0-8c08-cb07d7b3a564', 'one', 100).replace('string s;', 'string t;'))!;
  assert.notEqual(other.declarations, a.declarations);
  assert.equal(splitTsdlInstance(tsdl('2a6422d0-6cee-11e0-8c08-cb07d7b3a564', 'one', 100, true)), null, 'an array length from env.n');
  assert.equal(splitTsdlInstance('trace { uuid = "x"; '), null, 'unterminated block');
  assert.equal(splitTsdlInstance('env { a = "unterminated string; };'), null);
});
