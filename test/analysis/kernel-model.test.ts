/**
 * The kernel state model on the real LTTng traces of the shared directory:
 * - lttng/many-threads (lttng-modules 2.8: syscall_entry_*, irq_softirq_*, sched_waking,
 *   state dump without fds, no context fields);
 * - lttng/synctraces (lttng-modules 2.1: softirq_*, sched_wakeup, state dump with fds,
 *   two hosts, timestamps going backwards between streams — babeltrace2 refuses them);
 * - lttng/hello-lost (a UST trace with 967,700 lost events: not a kernel trace);
 * plus the naming generations no shared trace has (sys_* / exit_syscall, netif_*),
 * fed through the builder.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TracewireError } from '../../src/base/errors.js';
import { analyzeKernel, analyzeKernelAsync, classifyEvent, EventKind, KernelModelBuilder, kernelTraceOf, RowState, type AnalysisProgress, type KernelModel } from '../../src/analysis/kernel/index.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import type { FieldMap, TraceEvent, TraceInfo } from '../../src/model/trace-event.js';
import { sharedTraces } from '../support/env.js';
import { checkCpuThreadAgreement, checkModel } from './support/model-checks.js';

const lttng = join(sharedTraces, 'lttng');

test('every LTTng naming generation is recognised', () => {
  const cases: Array<[string, EventKind, string]> = [
    ['sys_open', EventKind.SYSCALL_ENTRY, 'open'],
    ['exit_syscall', EventKind.SYSCALL_EXIT, ''],
    ['syscall_entry_openat', EventKind.SYSCALL_ENTRY, 'openat'],
    ['syscall_exit_openat', EventKind.SYSCALL_EXIT, 'openat'],
    ['compat_syscall_entry_read', EventKind.SYSCALL_ENTRY, 'read'],
    ['compat_sys_read', EventKind.SYSCALL_ENTRY, 'read'],
    ['syscall_entry_unknown', EventKind.SYSCALL_ENTRY, 'unknown'],
    ['softirq_entry', EventKind.SOFTIRQ_ENTRY, ''],
    ['irq_softirq_entry', EventKind.SOFTIRQ_ENTRY, ''],
    ['softirq_raise', EventKind.SOFTIRQ_RAISE, ''],
    ['irq_softirq_exit', EventKind.SOFTIRQ_EXIT, ''],
    ['netif_receive_skb', EventKind.NET_RECEIVE, ''],
    ['net_if_receive_skb', EventKind.NET_RECEIVE, ''],
    ['netif_rx', EventKind.NET_RX, ''],
    ['sched_waking', EventKind.SCHED_WAKING, ''],
    ['sched_wakeup', EventKind.SCHED_WAKEUP, ''],
    ['sched_wakeup_new', EventKind.SCHED_WAKEUP_NEW, ''],
    ['lttng_statedump_process_state', EventKind.STATEDUMP_PROCESS_STATE, ''],
    ['lttng_statedump_file_descriptor', EventKind.STATEDUMP_FILE_DESCRIPTOR, ''],
    ['inet_sock_set_state', EventKind.INET_SOCK_SET_STATE, ''],
    ['kmem_kmalloc', EventKind.IGNORED, ''],
  ];
  for (const [name, kind, syscall] of cases) {
    const c = classifyEvent(name);
    assert.equal(c.kind, kind, name);
    assert.equal(c.syscall, syscall, name);
  }
  assert.equal(classifyEvent('compat_sys_read').compat, true);
});

describe('lttng/many-threads (lttng-modules 2.8)', () => {
  let model: KernelModel;
  before(() => {
    model = analyzeKernel(openTraceCollection([join(lttng, 'many-threads')]));
  });

  test('rows are well formed, per kind, and no thread runs on two CPUs at once', () => {
    const n = checkModel(model);
    assert.ok(n > 200_000, `${n} intervals`);
    assert.ok(checkCpuThreadAgreement(model) > 1000, 'CPU and thread rows agree');
    assert.deepEqual(model.cpus(), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('threads: fork, exec-less renames, pids, state dump names and kernel threads', () => {
    const s = model.summary();
    assert.equal(s.events, 240_644);
    const threads = model.threads();
    // 8,003 sched_process_fork and 8,003 sched_process_exit events in the trace
    assert.equal(threads.filter((t) => t.forkTs !== null).length, 8003);
    assert.equal(threads.filter((t) => t.exitTs !== null).length, 8003);
    const main = model.threadsByTid(2673);
    assert.equal(main.length, 1);
    assert.equal(main[0]!.pid, 2673);
    assert.equal(main[0]!.ppid, 2656);
    assert.equal(main[0]!.parentTid, 2656);
    assert.deepEqual(
      main[0]!.names.map((n) => n.name),
      ['genKernelTraces', 'multithread'],
    );
    // a thread of that process (CLONE_THREAD): same pid, renamed by prctl
    const worker = model.threadsByTid(2871)[0]!;
    assert.equal(worker.pid, 2673);
    assert.equal(worker.ppid, 2656);
    assert.deepEqual(
      worker.names.map((n) => n.name),
      ['multithread', 'fluffy'],
    );
    assert.equal(model.threadsOfProcess(2673).length, 8001);
    // the state dump names threads and says which are kernel threads
    const kworker = model.threadsByTid(4)[0]!;
    assert.equal(kworker.name, 'kworker/0:0');
    assert.equal(kworker.kernelThread, true);
    const kworkerRow = model.intervalList(kworker.rowIndex);
    assert.ok(kworkerRow.some((i) => i.code === RowState.RUN_KERNEL), 'kworker runs in the kernel');
    assert.ok(!kworkerRow.some((i) => i.code === RowState.RUN_USER), 'a kernel thread never runs in user mode');
    assert.ok(model.statedump, 'the trace has a state dump');
  });

  test('thread states follow the events: syscalls by name, blocked, waiting for a CPU', () => {
    const th = model.threadsByTid(2673)[0]!;
    const row = model.intervalList(th.rowIndex);
    const syscalls = row.filter((i) => i.code === RowState.RUN_SYSCALL);
    const names = new Set(syscalls.map((i) => model.name(i.value)));
    for (const n of ['clone', 'open', 'close', 'write', 'futex', 'mmap']) assert.ok(names.has(n), `in ${n}`);
    assert.ok(row.some((i) => i.code === RowState.BLOCKED && i.label.startsWith('blocked (S) in futex')), 'blocked in futex');
    assert.ok(row.some((i) => i.code === RowState.WAIT_CPU), 'waits for a CPU');
    // a child thread starts waiting for a CPU at its fork, then returns from clone()
    const child = model.threadsByTid(2871)[0]!;
    const first = model.intervalList(child.rowIndex).slice(0, 2);
    assert.equal(first[0]!.code, RowState.WAIT_CPU);
    assert.equal(first[0]!.start, child.forkTs);
    assert.equal(first[1]!.label, 'syscall clone');
  });

  test('wakeups: sched_waking + sched_wakeup pairs are one wakeup, with waker context and latency', () => {
    const w = model.wakeups();
    // 6,743 sched_waking (each followed by its sched_wakeup), plus one sched_wakeup whose
    // sched_waking came before the trace
    assert.equal(w.filter((x) => x.kind === 'sched_waking').length, 6743);
    assert.equal(w.length, 6744);
    const contexts = new Set(w.map((x) => x.context));
    for (const c of ['thread', 'softirq', 'irq', 'idle']) assert.ok(contexts.has(c), `a wakeup from ${c} context`);
    for (const x of w.filter((y) => y.scheduledTs !== null && !y.spurious)) assert.ok(x.scheduledTs! >= x.ts, `wakeup ${x.index} scheduled after it`);
    // the latencies of lttng-schedtop's first entry
    const top = model.sched!.top(1)[0]!;
    const mine = model.wakeups({ targetUid: model.threadsByTid(top.wakee.tid)[0]!.uid }).find((x) => x.ts === top.wakeup_ts);
    assert.ok(mine, 'the top latency is a recorded wakeup');
    assert.equal(mine.scheduledTs, top.switch_ts);
  });

  test('IRQ and softirq rows: lines and vectors per CPU, raised then running', () => {
    const irqs = model.rows('irq');
    assert.ok(irqs.some((r) => r.label === 'IRQ 28 eno1 (CPU 0)'), 'IRQ rows are labelled');
    const hard = model.irqs!.hard().find((h) => h.irq === 26)!;
    const count = irqs.filter((r) => r.irq === 26).reduce((a, r) => a + r.intervalCount, 0);
    assert.equal(count, hard.count);
    const netRx = model.rows('softirq').filter((r) => r.vec === 3);
    const states = netRx.flatMap((r) => model.intervalList(r.index).map((i) => i.state));
    assert.equal(states.filter((s) => s === 'softirq').length, 8);
    assert.equal(states.filter((s) => s === 'softirq_raised').length, 8);
  });

  test('level of detail: a 1 ms-per-pixel query merges to about one interval per pixel', () => {
    const th = model.threadsByTid(2673)[0]!;
    const full = model.intervals(th.rowIndex, model.beginNs, model.endNs);
    const span = Number(model.endNs - model.beginNs);
    for (const res of [1e3, 1e5, 1e6, 1e7]) {
      const s = model.intervals(th.rowIndex, model.beginNs, model.endNs, res);
      assert.ok(s.length <= (2 * span) / res + 2, `${s.length} intervals at ${res} ns/px`);
      let merged = 0;
      for (let i = 0; i < s.length; i++) {
        merged += s.merged[i]!;
        if (i > 0) assert.ok(s.start[i]! >= s.end[i - 1]!, 'sorted, not overlapping');
      }
      assert.equal(merged, full.length, `every recorded interval accounted for at ${res} ns/px`);
    }
    // a window query returns what overlaps it, and stateAt agrees
    const mid = model.beginNs + BigInt(Math.floor(span / 2));
    const win = model.intervalList(th.rowIndex, mid, mid + 1_000_000n);
    assert.ok(win.length > 0 && win[0]!.start <= mid && win.at(-1)!.end >= mid + 1_000_000n, 'the window is covered');
    for (const i of win) assert.deepEqual(model.stateAt(th.rowIndex, i.start), i);
    // CPU rows expand to the running thread's own states at any resolution
    const cpu = model.rows('cpu')[4]!;
    const coarse = model.intervalList(cpu.index, model.beginNs, model.endNs, 1e6);
    assert.ok(coarse.length > 100 && coarse.length < 1000, `${coarse.length} CPU intervals at 1 ms/px`);
    assert.ok(coarse.some((i) => i.state === 'syscall'), 'CPU rows show system calls');
  });
});

describe('a kernel trace without its state dump', () => {
  test('many-threads from after its state dump: threads come from the scheduler events alone', () => {
    const tc = openTraceCollection([join(lttng, 'many-threads')]);
    const full = analyzeKernel(tc, { fds: false });
    const from = full.statedump!.end! + 1n;
    const model = analyzeKernel(tc, { begin: from, fds: false });
    assert.equal(model.statedump, null);
    checkModel(model);
    const main = model.threadsByTid(2673)[0]!;
    assert.equal(main.name, 'multithread', 'named by sched_switch');
    assert.equal(model.threadsByTid(2871)[0]!.pid, 2673, 'pid from the fork event');
    // what only the dump told: kworker/0:0 (tid 4) is not known to be a kernel thread
    const kworker = model.threadsByTid(4)[0];
    assert.ok(!kworker || kworker.kernelThread === false, 'no state dump, no kernel-thread flag');
    assert.ok(model.syscalls!.total().total > 60_000, 'system calls counted');
  });
});

describe('one pass with progress', () => {
  test('progress reports events and bytes, monotonic, ending with everything read', () => {
    const seen: AnalysisProgress[] = [];
    const model = analyzeKernel(openTraceCollection([join(lttng, 'many-threads')]), { progressInterval: 20_000, onProgress: (p) => seen.push(p) });
    assert.equal(seen.length, 13);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i]!.events > seen[i - 1]!.events, 'events grow');
      assert.ok(seen[i]!.bytesDone >= seen[i - 1]!.bytesDone, 'bytes grow');
    }
    const last = seen.at(-1)!;
    assert.deepEqual(last, { events: 240_644, bytesDone: last.bytesTotal, bytesTotal: last.bytesTotal, done: true });
    assert.ok(last.bytesTotal > 7_000_000, `${last.bytesTotal} bytes of stream files`);
    assert.ok(seen[5]!.bytesDone > 0 && seen[5]!.bytesDone < last.bytesTotal, 'bytes part way');
    assert.equal(model.eventCount, 240_644);
  });

  test('the asynchronous pass gives the same model, and stops when aborted', async () => {
    const tc = openTraceCollection([join(lttng, 'many-threads')]);
    const model = await analyzeKernelAsync(tc, { yieldInterval: 10_000 });
    const sync = analyzeKernel(tc);
    assert.deepEqual(model.summary(), sync.summary());
    assert.deepEqual(model.syscalls!.total(), sync.syscalls!.total());
    const ac = new AbortController();
    const p = analyzeKernelAsync(tc, { yieldInterval: 10_000, signal: ac.signal, progressInterval: 10_000, onProgress: (x) => x.events >= 50_000 && ac.abort(new Error('stop')) });
    await assert.rejects(p, /stop/);
  });
});

describe('lttng/synctraces (lttng-modules 2.1, two hosts)', () => {
  test('two kernel traces in one directory: the analysis asks which one', () => {
    const tc = openTraceCollection([join(lttng, 'synctraces')]);
    assert.throws(() => kernelTraceOf(tc), (e: unknown) => e instanceof TracewireError && /several kernel traces/.test((e as Error).message));
  });

  for (const host of ['scp_dest', 'scp_src']) {
    test(`${host}: old names (softirq_*, sched_wakeup), state dump with fds, timestamps going backwards`, () => {
      const model = analyzeKernel(openTraceCollection([join(lttng, 'synctraces', host)]));
      checkModel(model);
      const soft = model.irqs!.soft();
      const timer = soft.find((v) => v.vec === 1)!;
      assert.ok(timer.count > 1000, 'TIMER softirqs under their 2.1 names');
      const kinds = new Set(model.wakeups().map((w) => w.kind));
      assert.ok(model.wakeups().length > 100, 'wakeups');
      assert.ok(kinds.has('sched_wakeup') && !kinds.has('sched_waking'), `2.1 has no sched_waking: ${[...kinds]}`);
      // the state dump lists every process and its fds (pid, fd, filename: 2.1's layout)
      const init = model.threadsByTid(1)[0]!;
      assert.equal(init.name, 'systemd');
      const fds = model.fds!.fds({ pid: 1 });
      assert.ok(fds.length >= 3, 'init has fds');
      assert.deepEqual(
        fds.slice(0, 3).map((f) => [f.fd, f.path, f.origin]),
        [
          [0, '/dev/null', 'statedump'],
          [1, '/dev/null', 'statedump'],
          [2, '/dev/null', 'statedump'],
        ],
      );
      assert.ok(model.fds!.fds({ kind: 'socket' }).length > 0, 'sockets in the state dump');
    });
  }
});

describe('lttng/hello-lost (UST, 967,700 lost events)', () => {
  test('is not a kernel trace: the analysis says so in one sentence', () => {
    const tc = openTraceCollection([join(lttng, 'hello-lost')]);
    assert.throws(() => analyzeKernel(tc), (e: unknown) => e instanceof TracewireError && /no kernel trace to analyse: .*hello-lost \(ust domain\)/.test((e as Error).message));
  });

  test('lost events are recorded per CPU and make the CPU unknown until the next switch', () => {
    const tc = openTraceCollection([join(lttng, 'hello-lost')]);
    const builder = new KernelModelBuilder({ trace: tc.traces[0] });
    for (const m of tc.messages()) builder.consume(m);
    const model = builder.finish();
    const lost = model.lostEvents();
    assert.equal(lost.length, 562);
    assert.equal(
      lost.reduce((a, l) => a + (l.count ?? 0), 0),
      967_700,
    );
    const cpus = new Set(lost.map((l) => l.cpu));
    assert.deepEqual([...cpus], [2]);
    const row = model.intervalList(model.rows('cpu').find((r) => r.cpu === 2)!.index);
    assert.ok(row.length > 0 && row.every((i) => i.state === 'unknown'), 'CPU 2 is unknown after its losses');
  });
});

/** A synthetic kernel event (the fields a tracer of that generation writes). */
function ev(ts: bigint, name: string, cpu: number, payload: FieldMap, context: FieldMap = {}): TraceEvent {
  const trace: TraceInfo = { index: 0, path: 'synthetic', env: {}, hostname: 'synthetic', domain: 'kernel' };
  return { kind: 'event', ts, cycles: ts, name, cpu, streamClassId: 0, streamId: cpu, trace, context, payload };
}

describe('naming generations no shared trace has', () => {
  test('LTTng < 2.6: sys_* entries and exit_syscall (the exit names no call)', () => {
    const b = new KernelModelBuilder();
    const t = 1_000_000n;
    b.consume(ev(t, 'sched_switch', 0, { prev_comm: 'swapper/0', prev_tid: 0, prev_prio: 20, prev_state: 0, next_comm: 'cat', next_tid: 42, next_prio: 20 }));
    b.consume(ev(t + 100n, 'sys_open', 0, { filename: '/etc/passwd', flags: 0, mode: 0 }));
    b.consume(ev(t + 900n, 'exit_syscall', 0, { ret: 3 }));
    b.consume(ev(t + 1000n, 'sys_read', 0, { fd: 3, buf: 0, count: 10 }));
    b.consume(ev(t + 1500n, 'softirq_raise', 0, { vec: 3 }));
    b.consume(ev(t + 1600n, 'softirq_entry', 0, { vec: 3 }));
    b.consume(ev(t + 1700n, 'netif_receive_skb', 0, { skbaddr: 0xffff880012345678n, len: 60, name: 'eth0' }));
    b.consume(ev(t + 1800n, 'softirq_exit', 0, { vec: 3 }));
    b.consume(ev(t + 2000n, 'exit_syscall', 0, { ret: 10 }));
    b.consume(ev(t + 3000n, 'sched_switch', 0, { prev_comm: 'cat', prev_tid: 42, prev_prio: 20, prev_state: 1, next_comm: 'swapper/0', next_tid: 0, next_prio: 20 }));
    const model = b.finish();
    const th = model.threadsByTid(42)[0]!;
    assert.deepEqual(
      model.intervalList(th.rowIndex).map((i) => [Number(i.start - t), Number(i.end - t), i.label]),
      [
        [0, 100, 'user'],
        [100, 900, 'syscall open'],
        [900, 1000, 'user'],
        [1000, 1600, 'syscall read'],
        [1600, 1800, 'softirq NET_RX'],
        [1800, 2000, 'syscall read'],
        [2000, 3000, 'user'],
      ],
    );
    assert.equal(model.netEvents.length, 1);
    assert.equal(model.netEvents.devices[model.netEvents.device[0]!], 'eth0');
  });

  test('net_if_receive_skb (2.13 names) lands in the same log', () => {
    const b = new KernelModelBuilder();
    b.consume(ev(10n, 'net_if_receive_skb', 1, { skbaddr: 1n, len: 1500, name: 'lo' }));
    b.consume(ev(20n, 'net_dev_queue', 1, { skbaddr: 2n, len: 74, name: 'lo' }));
    const model = b.finish();
    assert.deepEqual(Array.from(model.netEvents.kind.subarray(0, 2)), [0, 2]);
  });
});
