/**
 * The CTF writer against babeltrace2 (ctf-oracle) and babeltrace 1: traces with every
 * field kind the recorder writes, both LTTng event header flavours (compact when a
 * stream has fewer than 31 event classes, large otherwise), timestamp gaps that need the
 * extended header, many packets, and lost events. The readers must accept the traces
 * without a warning (except the loss warning when events were lost) and give back exactly
 * the values written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { needsCommands } from '../support/env.js';
import { buildLttngMetadata, uuidBytes, writeLttngMetadata } from '../../src/ctf/writer/metadata.js';
import { CtfStreamWriter, type EventHeaderType } from '../../src/ctf/writer/stream-writer.js';
import { writePacketIndex } from '../../src/ctf/writer/index-file.js';
import { int, textArray, type CtfField } from '../../src/ctf/writer/types.js';
import { babeltrace1, babeltrace2, oracleRecords, removeDir, scratchDir } from './helpers.js';

const UUID = '6f1c3c1e-2b0e-4c59-9f8e-0d4b6a7c8e91';
const OFFSET = 1_700_000_000_000_000_000n;

const FIELDS: CtfField[] = [
  { name: 'comm', type: textArray(16) },
  { name: 'tid', type: int.s32 },
  { name: 'small', type: int.s8 },
  { name: 'port', type: int.u16 },
  { name: 'big', type: int.u64 },
  { name: 'addr', type: int.hex64 },
  { name: 'negative', type: int.s64 },
  { name: 'net_order', type: { kind: 'integer', size: 32, signed: false, base: 16, bigEndian: true } },
  { name: 'name', type: { kind: 'string' } },
  { name: 'saddr', type: { kind: 'array', element: int.u8, length: 4 } },
  { name: 'ids_length', type: int.u32 },
  { name: 'ids', type: { kind: 'sequence', element: int.s32, lengthField: 'ids_length' } },
];

function writeTrace(dir: string, headerType: EventHeaderType, classes: number, opts: { losses: boolean }): { expected: Record<string, unknown>[]; lost: number } {
  mkdirSync(join(dir, 'index'), { recursive: true });
  const events = Array.from({ length: classes }, (_, i) => ({ name: `test_event_${i}`, id: i, fields: i === 0 ? FIELDS : [{ name: 'value', type: int.u32 }] }));
  writeLttngMetadata(
    join(dir, 'metadata'),
    buildLttngMetadata({
      uuid: UUID,
      env: [['hostname', 'writer-test'], ['domain', 'kernel'], ['tracer_name', 'lttng-modules'], ['tracer_major', 2], ['tracer_minor', 13], ['tracer_patchlevel', 0]],
      clock: { name: 'monotonic', description: 'Monotonic Clock', freq: 1_000_000_000n, offset: OFFSET },
      headerType,
      eventContext: [{ name: 'tid', type: int.s32 }, { name: 'procname', type: textArray(16) }],
      events,
    }),
    UUID,
  );
  const expected: Record<string, unknown>[] = [];
  let lost = 0;
  for (const cpu of [0, 1]) {
    const w = new CtfStreamWriter({ path: join(dir, `channel0_${cpu}`), uuid: uuidBytes(UUID), streamId: 0, streamInstanceId: cpu, cpuId: cpu, headerType, maxPacketSize: 32 * 1024 });
    let ts = 5_000_000_000n + BigInt(cpu);
    for (let i = 0; i < 3000; i++) {
      // Mostly small steps, sometimes gaps beyond 2^27 and 2^32 ns (extended headers).
      ts += i % 500 === 499 ? 6_000_000_000n : i % 97 === 0 ? 200_000_000n : 1_234n;
      if (opts.losses && i === 1500) {
        w.addDiscarded(17, ts);
        lost += 17;
      }
      const id = i % classes;
      const out = w.beginEvent(id, ts);
      out.i32(1000 + cpu);
      out.fixedText(`proc${cpu}`, 16);
      const context = { tid: 1000 + cpu, procname: `proc${cpu}` };
      if (id === 0) {
        out.fixedText(`comm-${i}`, 16);
        out.i32(-i);
        out.u8(-5 & 0xff);
        out.u16(i & 0xffff);
        out.u64(18_000_000_000_000_000_000n);
        out.u64(0xffff_8881_4023_40c0n);
        out.u64(-(2n ** 40n));
        out.u32be(0x7f000001);
        out.text(`name ${i} ü`);
        out.copy(Uint8Array.from([10, 77, cpu, i & 0xff]), 0, 4);
        out.u32(i % 3);
        for (let k = 0; k < i % 3; k++) out.i32(k - 1);
        expected.push({
          cpu,
          cycles: Number(ts),
          event: 'test_event_0',
          context,
          payload: {
            comm: `comm-${i}`,
            tid: i === 0 ? 0 : -i,
            small: -5,
            port: i & 0xffff,
            big: '18000000000000000000',
            addr: (0xffff_8881_4023_40c0n).toString(),
            negative: -(2 ** 40),
            net_order: 0x7f000001,
            name: `name ${i} ü`,
            saddr: [10, 77, cpu, i & 0xff],
            ids_length: i % 3,
            ids: Array.from({ length: i % 3 }, (_, k) => k - 1),
          },
        });
      } else {
        out.u32(i);
        expected.push({ cpu, cycles: Number(ts), event: `test_event_${id}`, context, payload: { value: i } });
      }
    }
    w.close(ts + 10n);
    writePacketIndex(join(dir, 'index', `channel0_${cpu}.idx`), w.index);
    assert.ok(w.index.length >= 3, `several packets (${w.index.length})`);
  }
  return { expected, lost };
}

for (const [headerType, classes] of [['compact', 3], ['large', 40]] as const) {
  test(`${headerType} event headers: babeltrace2 and babeltrace read every value back, without a warning`, { skip: needsCommands('babeltrace2', 'babeltrace'), timeout: 120_000 }, async () => {
    const dir = scratchDir(`ctfw-${headerType}`);
    try {
      const { expected } = writeTrace(dir, headerType, classes, { losses: false });
      const bt2 = await babeltrace2(dir);
      assert.equal(bt2.code, 0, bt2.stderr);
      assert.equal(bt2.stderr, '', 'babeltrace2 warns');
      const bt1 = await babeltrace1(dir);
      assert.equal(bt1.code, 0, bt1.stderr);
      assert.equal(bt1.stderr, '', 'babeltrace warns');
      const oracle = await oracleRecords(dir);
      assert.equal(oracle.code, 0, oracle.stderr);
      const got = oracle.records.map((r) => ({ cpu: r.cpu, cycles: r.cycles, event: r.event, context: r.context, payload: r.payload }));
      const key = (r: Record<string, unknown>) => `${r.cycles}/${r.cpu}`;
      const want = [...expected].sort((a, b) => (key(a) < key(b) ? -1 : 1));
      assert.equal(got.length, want.length);
      const byKey = new Map(got.map((g) => [key(g), g]));
      for (const w of want) assert.deepEqual(byKey.get(key(w)), w);
      const ts = oracle.records.map((r) => r.ts as number | string);
      assert.equal(BigInt(ts[0]!), OFFSET + BigInt(oracle.records[0]!.cycles as number), 'clock offset applied');
    } finally {
      removeDir(dir);
    }
  });
}

test('lost events become a discarded-events record at the place of the loss', { skip: needsCommands('babeltrace2'), timeout: 120_000 }, async () => {
  const dir = scratchDir('ctfw-lost');
  try {
    const { lost } = writeTrace(dir, 'large', 40, { losses: true });
    const oracle = await oracleRecords(dir);
    assert.equal(oracle.code, 0, oracle.stderr);
    const discarded = oracle.records.filter((r) => 'discarded_events' in r);
    assert.equal(discarded.length, 2);
    assert.equal(discarded.reduce((s, r) => s + (r.discarded_events as number), 0), lost);
    const bt2 = await babeltrace2(dir);
    assert.match(bt2.stderr, /Tracer discarded 17 events/);
  } finally {
    removeDir(dir);
  }
});
