/**
 * Packet indexes: LTTng's index/*.idx files agree with the packets they describe (our
 * own index, built from the packet headers, must be identical), inconsistent index files
 * are ignored, and seeking with an index (`--begin`) gives exactly the records a full
 * read filtered by time gives — with LTTng's index, with our own, and across losses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { outputDir, runCli, sharedTraces } from '../support/env.js';
import { openTraceCollection, readLttngIndex, scanPacketIndex, type PacketIndex, type PacketIndexEntry } from '../../src/ctf/index.js';
import type { TraceMessage } from '../../src/model/trace-event.js';
import { writeKitchenSink } from './support/ctf1-synthetic.js';

const work = join(outputDir, `ctf-index-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const withIndex = ['lttng/many-threads', 'babeltrace/succeed/multi-domains', 'babeltrace/succeed/trace-with-index', 'babeltrace/succeed/2packets'].map((p) => join(sharedTraces, p));
const skip = withIndex.every(existsSync) ? undefined : `needs the shared traces under ${sharedTraces}`;

test("LTTng index files describe exactly the packets our own index reads from the headers", { skip }, () => {
  let files = 0;
  for (const dir of withIndex) {
    const tc = openTraceCollection([dir]);
    for (const [i, t] of tc.ctfTraces.entries()) {
      for (const s of t.streams) {
        for (const f of s.files) {
          const size = statSync(f).size;
          const lttng: PacketIndex | null = readLttngIndex(f, size);
          if (!lttng) throw new assert.AssertionError({ message: `${f}: index absent or inconsistent` });
          const ours = scanPacketIndex(f, t.decoders, t.uuidBytes, s.streamClass.id);
          assert.equal(ours.entries.length, lttng.entries.length, f);
          for (let k = 0; k < ours.entries.length; k++) {
            const a: PacketIndexEntry = ours.entries[k]!;
            const b: PacketIndexEntry = lttng.entries[k]!;
            assert.deepEqual(
              [a.offset, a.packetBytes, a.contentBits, a.beginCycles, a.endCycles, a.eventsDiscarded, a.streamClassId],
              [b.offset, b.packetBytes, b.contentBits, b.beginCycles, b.endCycles, b.eventsDiscarded, b.streamClassId],
              `${f} packet ${k}`,
            );
            if (b.seqNum !== null) assert.equal(a.seqNum, b.seqNum);
            if (b.streamInstanceId !== null) assert.equal(a.streamInstanceId, b.streamInstanceId);
          }
          files++;
        }
        // the collection API gives the same, per stream
        const api = tc.packetIndex(i).find((x) => x.stream === s.info)!;
        assert.equal(api.files[0]!.source, 'lttng-index');
      }
    }
  }
  assert.ok(files >= 20, `${files} stream files checked`);
});

test('an index that contradicts its stream file is ignored (our own index is used)', { skip }, () => {
  const dir = join(work, 'bad-index');
  cpSync(join(sharedTraces, 'babeltrace/succeed/trace-with-index'), dir, { recursive: true });
  const idxDir = join(dir, 'index');
  const idx = readdirSync(idxDir).find((f) => f.endsWith('.idx'))!;
  const stream = join(dir, basename(idx, '.idx'));
  const bytes = Buffer.from(readFileSync(join(idxDir, idx)));
  bytes.writeBigUInt64BE(1n, 16); // first packet's offset: not where the packet is
  writeFileSync(join(idxDir, idx), bytes);
  assert.equal(readLttngIndex(stream, statSync(stream).size), null);
  const tc = openTraceCollection([dir]);
  const entry = tc.packetIndex(0).flatMap((x) => x.files).find((f) => f.file === stream)!;
  assert.equal(entry.source, 'scan');
  assert.equal(entry.entries[0]!.offset, 0);
  // the index of babeltrace2's fail suite that claims more bytes than the file has
  const failing = join(sharedTraces, 'babeltrace/fail/invalid-packet-size/trace');
  if (existsSync(failing)) assert.equal(readLttngIndex(join(failing, 'channel0_3'), statSync(join(failing, 'channel0_3')).size), null);
});

/** Records of `dir` from a full read, kept when at or after `begin` (the --begin rule). */
function filtered(all: string[], begin: bigint): string[] {
  return all.filter((l) => {
    const m = /^\{"ts":(-?\d+)/.exec(l) ?? /"begin":(-?\d+)/.exec(l);
    return m !== null && BigInt(m[1]!) >= begin;
  });
}

async function checkSeek(dir: string, fractions: number[]): Promise<void> {
  const all = await runCli(['events', '--format', 'jsonl', dir], { timeoutMs: 120_000 });
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.split('\n').filter(Boolean);
  const times = lines.map((l) => /^\{"ts":(-?\d+)/.exec(l)).filter((m) => m !== null).map((m) => BigInt(m[1]!));
  for (const f of fractions) {
    const begin = times[Math.floor(f * (times.length - 1))]!;
    const part = await runCli(['events', '--format', 'jsonl', '--begin', begin.toString(), dir], { timeoutMs: 120_000 });
    assert.equal(part.code, 0, part.stderr);
    const got = part.stdout.split('\n').filter(Boolean);
    const want = filtered(lines, begin);
    assert.equal(got.length, want.length, `${dir} --begin ${begin}`);
    assert.deepEqual([...got].sort(), [...want].sort(), `${dir} --begin ${begin}`);
  }
}

test('--begin seeks with the LTTng index and returns what a full read returns', { skip, timeout: 300_000 }, async () => {
  await checkSeek(join(sharedTraces, 'lttng/many-threads'), [0.3, 0.97]);
  await checkSeek(join(sharedTraces, 'babeltrace/succeed/multi-domains'), [0.5]);
});

test('--begin seeks with our own index (no index files) across lost events and packets', async () => {
  const dir = join(work, 'kitchen-sink');
  writeKitchenSink(dir);
  await checkSeek(dir, [0.1, 0.5, 0.7, 0.95]);
  // and on a real LTTng trace with its index directory removed
  if (!skip) {
    const noIndex = join(work, 'many-threads-no-index');
    mkdirSync(noIndex, { recursive: true });
    const src = join(sharedTraces, 'lttng/many-threads');
    for (const f of readdirSync(src)) if (statSync(join(src, f)).isFile()) copyFileSync(join(src, f), join(noIndex, f));
    await checkSeek(noIndex, [0.6]);
  }
});

test('per-trace iteration with a time window returns the same events as the merged one', { skip }, () => {
  const tc = openTraceCollection([join(sharedTraces, 'babeltrace/succeed/multi-domains')]);
  assert.equal(tc.traces.length, 2);
  const all = [...tc.messages()];
  const ts = (m: TraceMessage) => (m.kind === 'event' ? m.ts : m.begin!);
  const mid = ts(all[Math.floor(all.length / 2)]!);
  const end = ts(all[Math.floor((all.length * 3) / 4)]!);
  const merged = [...tc.messages({ begin: mid, end })];
  const perTrace = tc.traces.flatMap((t) => [...tc.traceMessages(t, { begin: mid, end })]);
  assert.equal(perTrace.length, merged.length);
  assert.ok(merged.every((m) => ts(m) >= mid && ts(m) <= end));
  for (const t of tc.traces) {
    const own = [...tc.traceMessages(t, { begin: mid, end })];
    assert.ok(own.every((m) => m.trace === t));
    for (let i = 1; i < own.length; i++) assert.ok(ts(own[i - 1]!) <= ts(own[i]!));
  }
});
