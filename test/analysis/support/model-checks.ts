/**
 * Structural checks of a KernelModel that must hold on any trace: every row is a sorted
 * list of well-formed, non-overlapping intervals inside the trace; each row kind only
 * holds its own states; a thread never runs on two CPUs at once, and what a CPU row says
 * it runs agrees with that thread's row.
 */
import assert from 'node:assert/strict';
import { RowState, type KernelModel } from '../../../src/analysis/kernel/index.js';

const THREAD_STATES = new Set<number>([RowState.UNKNOWN, RowState.RUN_USER, RowState.RUN_SYSCALL, RowState.RUN_KERNEL, RowState.IRQ, RowState.SOFTIRQ, RowState.WAIT_CPU, RowState.BLOCKED]);
const CPU_STATES = new Set<number>([RowState.UNKNOWN, RowState.RUN_USER, RowState.RUN_SYSCALL, RowState.RUN_KERNEL, RowState.IRQ, RowState.SOFTIRQ, RowState.IDLE, RowState.RUNNING]);
const RUNNING = new Set<number>([RowState.RUN_USER, RowState.RUN_SYSCALL, RowState.RUN_KERNEL]);

/** Asserts the invariants; returns how many intervals were checked. */
export function checkModel(model: KernelModel): number {
  let checked = 0;
  const runningOn = new Map<number, Array<[number, number, number]>>();
  for (const row of model.rows()) {
    const s = model.intervals(row.index, model.beginNs, model.endNs);
    // (CPU rows are stored coarse and expanded: more intervals come back than are stored)
    if (row.kind !== 'cpu') assert.equal(s.length, row.intervalCount, `${row.label}: all intervals returned`);
    const allowed = row.kind === 'thread' ? THREAD_STATES : row.kind === 'cpu' ? CPU_STATES : row.kind === 'irq' ? new Set([RowState.IRQ]) : new Set([RowState.SOFTIRQ, RowState.SOFTIRQ_RAISED]);
    let prevEnd = -Infinity;
    for (let i = 0; i < s.length; i++) {
      const a = s.start[i]!;
      const b = s.end[i]!;
      assert.ok(a < b, `${row.label} #${i}: start ${a} < end ${b}`);
      assert.ok(a >= prevEnd, `${row.label} #${i}: starts ${a} before the previous end ${prevEnd}`);
      assert.ok(a >= 0 && model.baseNs + BigInt(b) <= model.endNs, `${row.label} #${i}: inside the trace`);
      assert.ok(allowed.has(s.state[i]!), `${row.label} #${i}: state ${s.state[i]} on a ${row.kind} row`);
      prevEnd = b;
      if (row.kind === 'cpu' && RUNNING.has(s.state[i]!)) {
        const tid = s.aux[i]!;
        let l = runningOn.get(tid);
        if (!l) runningOn.set(tid, (l = []));
        l.push([a, b, row.cpu!]);
      }
      checked++;
    }
  }
  for (const [tid, spans] of runningOn) {
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `tid ${tid} runs on CPU ${spans[i - 1]![2]} and CPU ${spans[i]![2]} at once`);
  }
  return checked;
}

/** For a sample of CPU-row running intervals, the thread's own row says it runs there. */
export function checkCpuThreadAgreement(model: KernelModel, samples = 2000): number {
  let n = 0;
  for (const row of model.rows('cpu')) {
    const s = model.intervals(row.index, model.beginNs, model.endNs);
    const step = Math.max(1, Math.floor(s.length / samples));
    for (let i = 0; i < s.length; i += step) {
      if (!RUNNING.has(s.state[i]!)) continue;
      const mid = model.baseNs + BigInt(Math.floor((s.start[i]! + s.end[i]!) / 2));
      const threads = model.threadsByTid(s.aux[i]!).filter((t) => {
        const r = model.row(t.rowIndex);
        return r.first !== null && r.first <= mid && r.last! > mid;
      });
      assert.equal(threads.length, 1, `one thread ${s.aux[i]} alive at ${mid}`);
      const st = model.stateAt(threads[0]!.rowIndex, mid);
      assert.ok(st, `thread ${s.aux[i]} has a state at ${mid}`);
      assert.equal(st.code, s.state[i], `thread ${s.aux[i]} state at ${mid}`);
      assert.equal(st.aux, row.cpu, `thread ${s.aux[i]} runs on CPU ${row.cpu}`);
      n++;
    }
  }
  return n;
}
