/**
 * `tracewire stats` and `tracewire sockets` as a user meets them: the JSON shapes, the
 * text tables, time windows, and one clear line on stderr with exit status 2 for every
 * kind of bad input (no trace, a UST trace, two hosts, damaged or truncated data, bad
 * flags).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { outputDir, runCli, sharedTraces } from '../support/env.js';

const lttng = join(sharedTraces, 'lttng');
const manyThreads = join(lttng, 'many-threads');

/** Asserts exit status 2 with exactly one line on stderr matching `re`. */
function failsWith(r: { code: number; stderr: string; stdout: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
}

test('stats syscalls --format json: the shape of the issue, per thread and per process', async () => {
  const r = await runCli(['stats', 'syscalls', manyThreads, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    time_range: { begin: number; end: string | number };
    per_tid: Array<{ tid: number; pid: number | null; comm: string; total: number; syscalls: Array<Record<string, unknown>> }>;
    per_pid: Array<{ pid: number | null; tids: number[]; total: number }>;
    total: { total: number };
  };
  const first = doc.per_tid[0]!;
  assert.deepEqual([first.tid, first.pid, first.comm, first.total], [2673, 2673, 'genKernelTraces', 49486]);
  assert.deepEqual(Object.keys(first.syscalls[0]!), ['name', 'count', 'min_ns', 'avg_ns', 'max_ns', 'stdev_ns', 'returns']);
  assert.deepEqual(first.syscalls[0], { name: 'close', count: 8004, min_ns: 106, avg_ns: 204.3280859570215, max_ns: 8303, stdev_ns: first.syscalls[0]!.stdev_ns, returns: { success: 8004 } });
  const futex = first.syscalls.find((s) => s.name === 'futex')!;
  assert.deepEqual(futex.returns, { success: 5373, EAGAIN: 57 });
  // fewer than 3 samples: no standard deviation (as lttng-syscallstats)
  assert.equal(first.syscalls.find((s) => s.name === 'read')!.stdev_ns, null);
  const proc = doc.per_pid.find((p) => p.pid === 2673)!;
  assert.equal(proc.tids.length, 8001);
  assert.equal(
    doc.per_tid.reduce((a, t) => a + t.total, 0),
    doc.total.total,
  );
  assert.equal(String(doc.time_range.end), '1457113583227228162');
});

test('stats syscalls text, and --begin/--end restrict the window', async () => {
  const all = await runCli(['stats', 'syscalls', manyThreads]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^Timerange: \[17:46:22\.794565804, 17:46:23\.227228162\] UTC\nPer-TID system call statistics \(µs\)\ngenKernelTraces \(2673, TID: 2673\) +Count +Min +Average +Max +Stdev +Return values\n - close +8004 +0\.106 +0\.204 +8\.303 +0\.113 +success: 8004\n/);
  assert.match(all.stdout, /\nTotal system calls: 70056\n$/);
  const part = await runCli(['stats', 'syscalls', manyThreads, '--begin', '17:46:23', '--end', '1457113583100000000']);
  assert.equal(part.code, 0, part.stderr);
  assert.match(part.stdout, /^Timerange: \[17:46:23\.\d+, 17:46:23\.0\d+\] UTC\n/);
  const n = Number(/Total system calls: (\d+)/.exec(part.stdout)![1]);
  assert.ok(n > 0 && n < 70056, `${n} calls in the window`);
});

test('stats irq and stats sched: text tables and JSON', async () => {
  const irq = await runCli(['stats', 'irq', manyThreads]);
  assert.equal(irq.code, 0, irq.stderr);
  assert.match(irq.stdout, /\n26: <0000:00:1f\.2> +141 +1\.826 +2\.193 +4\.169 +0\.380\n/);
  assert.match(irq.stdout, /\n3: <NET_RX> +8 +2\.855 +10\.609 +24\.898 +8\.375 \| +8 +0\.482 /);
  const sched = await runCli(['stats', 'sched', manyThreads, '--format', 'json', '--top', '3']);
  assert.equal(sched.code, 0, sched.stderr);
  const doc = JSON.parse(sched.stdout) as { total: { count: number }; top: Array<{ latency_ns: number; wakee: { tid: number; comm: string }; waker: unknown }>; per_prio: Array<{ prio: number }> };
  assert.equal(doc.top.length, 3);
  assert.deepEqual(doc.top[0], { ...doc.top[0], latency_ns: 315435, wakee: { tid: 197, pid: 197, comm: 'kworker/5:1H' }, waker: null });
  assert.ok(doc.total.count > 6000, 'samples');
  assert.deepEqual(
    doc.per_prio.map((p) => p.prio),
    [-100, -6, 0, 9, 20],
  );
  const text = await runCli(['stats', 'sched', manyThreads, '--top', '1']);
  assert.match(text.stdout, /\nLargest scheduling latencies\n.*\n17:46:23\.073692329 +17:46:23\.074007764 +315\.435 +0 +5 +kworker\/5:1H \(197\) +unknown \(N\/A\)\n$/);
});

test('sockets on an LTTng 2.1 trace: state-dump socket fds by inode', async () => {
  const r = await runCli(['sockets', join(lttng, 'synctraces', 'scp_dest'), '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { sockets: Array<{ inode: number | null; evidence: string[]; fds: Array<{ pid: number; comm: string; fd: number }> }> };
  assert.ok(doc.sockets.length > 50, `${doc.sockets.length} sockets`);
  const init = doc.sockets.find((s) => s.fds.some((f) => f.pid === 1 && f.fd === 7))!;
  assert.equal(init.inode, 5443);
  assert.deepEqual(init.evidence, ['statedump']);
  assert.equal(init.fds[0]!.comm, 'systemd');
  const fds = await runCli(['sockets', join(lttng, 'synctraces', 'scp_dest'), '--fds', '--pid', '1']);
  assert.match(fds.stdout, /\n +1 +0 device +statedump +before trace +- +\/dev\/null\n/);
});

test('bad input: one line on stderr, exit status 2', async () => {
  failsWith(await runCli(['stats']), /^tracewire: stats: say which statistics: syscalls, irq or sched/);
  failsWith(await runCli(['stats', 'memory', manyThreads]), /^tracewire: stats: unknown statistics 'memory'/);
  failsWith(await runCli(['stats', 'irq']), /^tracewire: stats: give a kernel trace directory/);
  failsWith(await runCli(['stats', 'irq', manyThreads, '--format', 'xml']), /^tracewire: stats: --format must be one of text, json/);
  failsWith(await runCli(['stats', 'irq', manyThreads, '--begin', 'yesterday']), /^tracewire: stats: --begin 'yesterday' is not a time/);
  failsWith(await runCli(['sockets', manyThreads, '--pid', 'init']), /^tracewire: sockets: --pid needs a non-negative integer/);
  failsWith(await runCli(['sockets']), /^tracewire: sockets: give a kernel trace directory/);
  failsWith(await runCli(['stats', 'syscalls', join(lttng, 'hello-lost')]), /^tracewire: no kernel trace to analyse: .*hello-lost \(ust domain\)$/);
  failsWith(await runCli(['stats', 'syscalls', join(lttng, 'synctraces')]), /^tracewire: several kernel traces \(.*scp_dest, .*scp_src\): give one trace directory$/);
  failsWith(await runCli(['sockets', '/nonexistent/trace']), /^tracewire: .*nonexistent/);
  failsWith(await runCli(['stats', 'irq', join(sharedTraces, 'babeltrace', 'fail', 'metadata-syntax-error')]), /metadata at byte \d+: invalid metadata/);
});

test('a truncated kernel trace: one line naming the file and offset, exit status 2', async () => {
  const dir = join(outputDir, 'analysis', 'many-threads-truncated');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(manyThreads)) if (f !== 'index') copyFileSync(join(manyThreads, f), join(dir, f));
  const victim = join(dir, 'channel0_3');
  truncateSync(victim, Math.floor(statSync(victim).size / 2) + 13);
  const r = await runCli(['stats', 'syscalls', dir]);
  failsWith(r, /channel0_3.* at byte \d+: /);
});
