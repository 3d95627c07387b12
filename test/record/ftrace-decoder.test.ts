/**
 * Unit tests of the ftrace format parser and ring-buffer page decoder on the kernel's own
 * format files (test/fixtures/record/tracefs) and on hand-built pages that exercise what a
 * short real recording rarely shows: time extends, absolute time stamps (including the
 * top bits the ring buffer does not store), discarded-event padding, end-of-page padding,
 * lost-event flags with and without a count, long records (type_len 0) and
 * `__data_loc` / `__rel_loc` dynamic fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../support/env.js';
import { parseEventFormat, type EventFormat } from '../../src/ftrace/format.js';
import { DEFAULT_PAGE_LAYOUT, decodePage, parsePageLayout, readPageHeader } from '../../src/ftrace/ring-buffer.js';
import { decodeRecord } from '../../src/ftrace/event-decoder.js';
import { FormatError } from '../../src/base/errors.js';

const dir = join(fixturesDir, 'record', 'tracefs');
const fmt = (name: string, system: string): EventFormat => parseEventFormat(readFileSync(join(dir, `${name}.format`), 'utf8'), name, system);

test('header_page and header_event give the 64-bit page layout', () => {
  const layout = parsePageLayout(readFileSync(join(dir, 'header_page'), 'utf8'), readFileSync(join(dir, 'header_event'), 'utf8'));
  assert.deepEqual(layout, DEFAULT_PAGE_LAYOUT);
});

test('format files: fixed arrays, text, pointers, __data_loc strings and syscall slots', () => {
  const sw = fmt('sched_sched_switch', 'sched');
  assert.equal(sw.name, 'sched_switch');
  assert.equal(sw.commonFields.length, 4);
  assert.deepEqual(sw.fields.map((f) => f.name), ['prev_comm', 'prev_pid', 'prev_prio', 'prev_state', 'next_comm', 'next_pid', 'next_prio']);
  assert.deepEqual(sw.fields[0]!.layout, { kind: 'text', size: 16 });
  assert.deepEqual(sw.fields[3]!.layout, { kind: 'int', size: 8, signed: true, pointer: false });
  const fork = fmt('sched_sched_process_fork', 'sched');
  assert.deepEqual(fork.fields[0]!.layout, { kind: 'dynamic', relative: false, text: true, elementSize: 1, signed: true });
  const open = fmt('syscalls_sys_enter_openat', 'syscalls');
  const filename = open.fields.find((f) => f.name === 'filename')!;
  assert.equal(filename.type, 'const char *');
  assert.deepEqual(filename.layout, { kind: 'int', size: 8, signed: false, pointer: true });
  const sock = fmt('sock_inet_sock_set_state', 'sock');
  assert.deepEqual(sock.fields.find((f) => f.name === 'saddr_v6')!.layout, { kind: 'array', count: 16, elementSize: 1, signed: false });
  const probe = fmt('tcp_tcp_probe', 'tcp');
  assert.equal(probe.fields.find((f) => f.name === 'saddr')!.size, 28);
});

test('a malformed format file is one FormatError naming the file', () => {
  assert.throws(() => parseEventFormat('hello\n', 'x/format'), (e: unknown) => e instanceof FormatError && /x\/format/.test(e.message));
  assert.throws(() => parseEventFormat('name: a\nID: 3\nformat:\n\tfield:int x;\toffset:zz;\n', 'y/format'), FormatError);
});

/** Builds a page: header (timestamp, commit with flags), then the given record words. */
function page(ts: bigint, body: Buffer, flags = 0, missed?: bigint): Uint8Array {
  const p = Buffer.alloc(4096);
  p.writeBigUInt64LE(ts, 0);
  p.writeUInt32LE((body.length | flags) >>> 0, 8);
  body.copy(p, 16);
  if (missed !== undefined) p.writeBigUInt64LE(missed, 16 + body.length);
  return p;
}

const hdr = (typeLen: number, delta: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(((delta << 5) | typeLen) >>> 0, 0);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
};

/** A small event record (common fields + one u32), 12 bytes → type_len 3. */
function record(type: number, pid: number, value: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(type, 0);
  b.writeInt32LE(pid, 4);
  b.writeUInt32LE(value, 8);
  return b;
}

function collect(p: Uint8Array) {
  const out: { ts: bigint; at: number; len: number }[] = [];
  const h = decodePage(p, DEFAULT_PAGE_LAYOUT, (ts, at, len) => out.push({ ts, at, len }));
  return { h, out };
}

test('deltas, time extends, absolute stamps and padding give each record its time', () => {
  const body = Buffer.concat([
    hdr(3, 10), record(1, 100, 1), // ts+10
    hdr(3, 5), record(1, 100, 2), // +5
    hdr(30, (1 << 27) - 1), u32(3), // time extend: (3 << 27) | (2^27 - 1)
    hdr(3, 0), record(1, 100, 3),
    hdr(29, 7), u32(16), Buffer.alloc(12), // a discarded event: skipped, delta not applied (as the kernel's reader)
    hdr(3, 2), record(1, 100, 4),
    hdr(31, 123), u32(4), // absolute: (4 << 27) | 123
    hdr(3, 1), record(1, 100, 5),
    hdr(29, 0), // end-of-page padding: stops here
    hdr(3, 1), record(1, 100, 6),
  ]);
  const base = 1_000_000n;
  const { out } = collect(page(base, body));
  const ext = (3n << 27n) | ((1n << 27n) - 1n);
  assert.deepEqual(out.map((r) => r.ts), [base + 10n, base + 15n, base + 15n + ext, base + 17n + ext, (4n << 27n) + 123n + 1n]);
  assert.ok(out.every((r) => r.len === 12));
});

test('absolute time stamps regain the top bits the ring buffer drops', () => {
  const current = (0x1fn << 59n) | 1000n; // top bits set
  const body = Buffer.concat([hdr(3, 0), record(1, 1, 0), hdr(31, 0), u32(8), hdr(3, 0), record(1, 1, 0)]);
  const { out } = collect(page(current, body));
  assert.equal(out[1]!.ts, (0x1fn << 59n) | (8n << 27n) | ((current & ~(0x1fn << 59n)) > (8n << 27n) ? 1n << 59n : 0n));
});

test('long records (type_len 0) carry their length in array[0]', () => {
  const payload = Buffer.alloc(200);
  payload.writeUInt16LE(9, 0);
  const body = Buffer.concat([hdr(0, 4), u32(payload.length + 4), payload, hdr(3, 1), record(1, 2, 3)]);
  const { out } = collect(page(0n, body));
  assert.deepEqual(out.map((r) => [r.ts, r.at, r.len]), [[4n, 24, 200], [5n, 16 + 8 + 200 + 4, 12]]);
});

test('lost events: the flag alone, and the flag with the stored count', () => {
  const body = Buffer.concat([hdr(3, 1), record(1, 1, 1)]);
  const counted = readPageHeader(page(0n, body, 0xc000_0000, 1234n), DEFAULT_PAGE_LAYOUT);
  assert.deepEqual([counted.missedEvents, counted.missedCount, counted.dataLength], [true, 1234, 16]);
  const flagged = readPageHeader(page(0n, body, 0x8000_0000), DEFAULT_PAGE_LAYOUT);
  assert.deepEqual([flagged.missedEvents, flagged.missedCount], [true, null]);
  const none = readPageHeader(page(0n, body), DEFAULT_PAGE_LAYOUT);
  assert.deepEqual([none.missedEvents, none.missedCount], [false, null]);
});

test('a record running past the page data is a FormatError at its offset', () => {
  const body = Buffer.concat([hdr(3, 1), record(1, 1, 1), hdr(20, 1), Buffer.alloc(8)]);
  assert.throws(() => collect(page(0n, body)), (e: unknown) => e instanceof FormatError && /at byte 32/.test(e.message));
  const p = page(0n, Buffer.alloc(0));
  Buffer.from(p.buffer).writeUInt32LE(5000, 8);
  assert.throws(() => collect(p), FormatError);
});

test('__data_loc and __rel_loc fields decode to their strings and arrays', () => {
  const format = parseEventFormat(
    [
      'name: dyn_test',
      'ID: 77',
      'format:',
      '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;',
      '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;',
      '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;',
      '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;',
      '',
      '\tfield:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;',
      '\tfield:__rel_loc char[] rel;\toffset:12;\tsize:4;\tsigned:0;',
      '\tfield:__data_loc u32[] ids;\toffset:16;\tsize:4;\tsigned:0;',
      '',
      'print fmt: "%s", __get_str(name)',
    ].join('\n'),
    'dyn_test/format',
    'test',
  );
  const rec = Buffer.alloc(44);
  rec.writeUInt16LE(77, 0);
  rec.writeInt32LE(42, 4);
  rec.writeUInt32LE((4 << 16) | 20, 8); // "eth0" NUL-less length 4 at 20
  rec.write('eth0', 20);
  rec.writeUInt32LE((5 << 16) | (24 - 16), 12); // relative to the end of the field (offset 16)
  rec.write('veth\0', 24);
  rec.writeUInt32LE((8 << 16) | 32, 16);
  rec.writeUInt32LE(7, 32);
  rec.writeUInt32LE(0xffffffff, 36);
  const d = decodeRecord(rec, 0, rec.length, new Map([[77, format]]));
  assert.ok(d);
  assert.equal(d.common.pid, 42);
  assert.deepEqual(d.fields, { name: 'eth0', rel: 'veth', ids: [7, 4294967295] });
  rec.writeUInt32LE((40 << 16) | 20, 8);
  assert.throws(() => decodeRecord(rec, 0, rec.length, new Map([[77, format]])), FormatError);
});
