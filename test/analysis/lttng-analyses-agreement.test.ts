/**
 * tracewire's kernel statistics against lttng-analyses 0.6.1 (the Debian package), field by
 * field, on the real LTTng trace `lttng/many-threads` (lttng-modules 2.8, 240,644 events,
 * 8,000 threads). Where lttng-analyses is wrong the comparison says so and checks our value
 * against the truth instead.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeKernel, type KernelModel } from '../../src/analysis/kernel/index.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import { needsCommands, outputDir, sharedTraces } from '../support/env.js';
import { parseIrqStats, parseSchedEvents, parseSchedStats, parseSyscallStats, runMi, withLegacySoftirqNames } from './support/lttng-analyses.js';

const trace = join(sharedTraces, 'lttng', 'many-threads');
const skip = needsCommands('lttng-syscallstats-mi', 'lttng-irqstats-mi', 'lttng-schedstats-mi', 'lttng-schedtop-mi');

/** Equal up to float rounding (Python's statistics.stdev is exact-then-rounded; ours is Welford). */
function near(actual: number | null, expected: number | null, what: string): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, what);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

describe('agreement with lttng-analyses on lttng/many-threads', { skip }, () => {
  let model: KernelModel;
  before(() => {
    model = analyzeKernel(openTraceCollection([trace]));
  });

  test('syscalls: every thread and system call — count, min, avg, max, stdev, return values', async () => {
    const theirs = parseSyscallStats(await runMi('lttng-syscallstats-mi', trace));
    const ours = new Map(model.syscalls!.perThread().map((t) => [t.tid, t]));
    assert.equal(theirs.length, 8030);
    assert.equal(ours.size, theirs.length, 'same threads with system calls');
    let rows = 0;
    for (const t of theirs) {
      const o = ours.get(t.tid);
      assert.ok(o, `thread ${t.tid} (${t.comm})`);
      assert.equal(o.comm, t.comm, `comm of ${t.tid}`);
      if (t.pid !== null) assert.equal(o.pid, t.pid, `pid of ${t.tid}`);
      assert.equal(o.syscalls.length, t.syscalls.length, `system calls of ${t.tid}`);
      const byName = new Map(o.syscalls.map((s) => [s.name, s]));
      for (const s of t.syscalls) {
        const x = byName.get(s.name);
        const what = `${t.tid} ${s.name}`;
        assert.ok(x, what);
        assert.equal(x.count, s.count, `${what} count`);
        assert.equal(x.min_ns, s.min, `${what} min`);
        assert.equal(x.max_ns, s.max, `${what} max`);
        near(x.avg_ns, s.avg, `${what} avg`);
        near(x.stdev_ns, s.stdev, `${what} stdev`);
        // lttng-analyses bug: a return value's first occurrence is counted twice
        // (`return_count[key] = 1` then `+= 1`), so every count it prints is one too high.
        const corrected = Object.fromEntries(Object.entries(s.returns).map(([k, v]) => [k, v - 1]));
        assert.deepEqual(x.returns, corrected, `${what} returns`);
        assert.equal(Object.values(x.returns).reduce((a, b) => a + b, 0), x.count, `${what}: returns add up to the count`);
        rows++;
      }
    }
    assert.equal(rows, 16236, "(tid, system call) rows compared");
  });

  test('hard IRQs: per line count and duration statistics', async () => {
    const theirs = parseIrqStats(await runMi('lttng-irqstats-mi', trace)).filter((r) => r.hard);
    const ours = model.irqs!.hard();
    assert.deepEqual(
      ours.map((h) => h.irq),
      theirs.map((h) => h.nr),
    );
    for (const [i, t] of theirs.entries()) {
      const o = ours[i]!;
      assert.equal(o.name, t.name);
      assert.equal(o.count, t.count);
      assert.equal(o.min_ns, t.min);
      assert.equal(o.max_ns, t.max);
      near(o.avg_ns, t.avg, `irq ${t.nr} avg`);
      near(o.stdev_ns, t.stdev, `irq ${t.nr} stdev`);
    }
  });

  test('softirqs: lttng-analyses misses irq_softirq_* events; with the old names it agrees with us', async () => {
    // On the trace as recorded, lttng-analyses reports no softirq at all: it only knows
    // the softirq_* names of lttng-modules < 2.7. This is its bug, not a quiet trace:
    const asRecorded = parseIrqStats(await runMi('lttng-irqstats-mi', trace)).filter((r) => !r.hard);
    assert.equal(asRecorded.length, 0);
    const ours = model.irqs!.soft();
    assert.deepEqual(
      ours.map((v) => v.vec),
      [1, 3, 4, 7, 9],
    );
    // The same trace with the three event names rewritten to the old generation:
    const renamed = withLegacySoftirqNames(trace, join(outputDir, 'analysis', 'many-threads-legacy-softirq'));
    const theirs = parseIrqStats(await runMi('lttng-irqstats-mi', renamed)).filter((r) => !r.hard);
    assert.deepEqual(
      theirs.map((v) => v.nr),
      ours.map((v) => v.vec),
    );
    for (const [i, t] of theirs.entries()) {
      const o = ours[i]!;
      const what = `softirq ${t.nr}`;
      assert.equal(`${o.name}_SOFTIRQ`, t.name.replace('BLOCK_IOPOLL', 'IRQ_POLL'));
      assert.equal(o.count, t.count, `${what} count`);
      assert.equal(o.min_ns, t.min, `${what} min`);
      assert.equal(o.max_ns, t.max, `${what} max`);
      near(o.avg_ns, t.avg, `${what} avg`);
      near(o.stdev_ns, t.stdev, `${what} stdev`);
      assert.equal(o.raise.count, t.raise!.count, `${what} raise count`);
      if (t.raise!.count > 0) {
        assert.equal(o.raise.min_ns, t.raise!.min, `${what} raise min`);
        assert.equal(o.raise.max_ns, t.raise!.max, `${what} raise max`);
        near(o.raise.avg_ns, t.raise!.avg, `${what} raise avg`);
        near(o.raise.stdev_ns, t.raise!.stdev, `${what} raise stdev`);
      }
    }
    // and our model reads the renamed copy exactly like the original
    const again = analyzeKernel(openTraceCollection([renamed]), { fds: false });
    assert.deepEqual(again.irqs!.soft(), ours);
  });

  test('scheduling latency per thread (lttng-schedstats)', async () => {
    const theirs = parseSchedStats(await runMi('lttng-schedstats-mi', trace));
    const ours = new Map(model.sched!.perThread().map((t) => [t.tid, t]));
    assert.equal(theirs.length, 418);
    assert.equal(ours.size, theirs.length);
    let sameName = 0;
    for (const t of theirs) {
      const o = ours.get(t.tid);
      const what = `tid ${t.tid}`;
      assert.ok(o, what);
      assert.equal(o.count, t.count, `${what} count`);
      assert.equal(o.min_ns, t.min, `${what} min`);
      assert.equal(o.max_ns, t.max, `${what} max`);
      near(o.avg_ns, t.avg, `${what} avg`);
      near(o.stdev_ns, t.stdev, `${what} stdev`);
      if (o.comm === t.comm) sameName++;
    }
    // lttng-analyses only updates a name from sched_switch's next_comm, so a thread renamed
    // while running (prctl) keeps its old name there; we also read prev_comm. Two threads
    // of this trace differ for that reason ("fluffy", renamed from "multithread").
    assert.ok(sameName >= theirs.length - 2, `${sameName}/${theirs.length} names agree`);
  });

  test('largest scheduling latencies (lttng-schedtop): wakee, waker, times, CPU, priority', async () => {
    const theirs = parseSchedEvents(await runMi('lttng-schedtop-mi', trace, ['--limit', '30']));
    const ours = model.sched!.top(30);
    assert.equal(theirs.length, 30);
    for (const [i, t] of theirs.entries()) {
      const o = ours[i]!;
      const what = `top ${i}`;
      assert.equal(o.latency_ns, t.latency, `${what} latency`);
      assert.equal(o.wakeup_ts, t.wakeup, `${what} wakeup`);
      assert.equal(o.switch_ts, t.switchTs, `${what} switch`);
      assert.equal(o.cpu, t.cpu, `${what} cpu`);
      assert.equal(o.prio, t.prio, `${what} prio`);
      assert.equal(o.wakee.tid, t.wakee.tid, `${what} wakee`);
      assert.equal(o.waker?.tid ?? null, t.waker?.tid ?? null, `${what} waker`);
    }
  });
});
