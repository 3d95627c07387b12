/**
 * `tracewire record` options and the programmatic `record()` API: event selection
 * (`--events` with ftrace and LTTng names, removal, `none`), `--duration` without a
 * command, bad options as one line with exit 2, `--tracer lttng` refusing with its reason
 * here, and `record({ workload })` — an async workload, onReady before it, an AbortSignal,
 * and a workload that throws (the bundle is still finished and the instance removed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { needsCommands, needsRootTracefs, runCli, tracefsDir } from '../support/env.js';
import { record } from '../../src/record/index.js';
import { babeltrace2, bundleOf, oracleRecords, removeDir, scratchDir } from './helpers.js';

const skip = needsRootTracefs() ?? needsCommands('babeltrace2', 'tcpdump');

test('bad options: one line on stderr, exit 2', async () => {
  for (const args of [['--bogus'], ['--duration', 'x', '--', 'true'], ['--buffer-size', '0', '--', 'true'], ['--tracer', 'perf', '--', 'true']]) {
    const r = await runCli(['record', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^tracewire: record: /);
  }
  const help = await runCli(['record', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Default events[\s\S]*syscalls:\*[\s\S]*sched:sched_switch/);
});

test('--events: unknown names are refused; LTTng names, removal and none select the set', { skip, timeout: 120_000 }, async (t) => {
  const dir = scratchDir('events');
  t.after(() => removeDir(dir));
  const bad = await runCli(['record', '-o', join(dir, 'never'), '--events', 'sched:no_such_event', '--', 'true']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^tracewire: record: --events: no event 'sched:no_such_event'/);
  assert.ok(!existsSync(join(dir, 'never')));

  const b1 = join(dir, 'only');
  const r = await runCli(['record', '-q', '--no-capture', '-o', b1, '--events', 'none,sched:sched_switch,net_if_receive_skb,syscall_entry_connect,syscall_exit_connect', '--', 'sh', '-c', 'ncat -z 127.0.0.1 9 || true'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const bundle = bundleOf(b1);
  assert.deepEqual([...bundle.events.enabled].sort(), ['net:netif_receive_skb', 'sched:sched_switch', 'syscalls:sys_enter_connect', 'syscalls:sys_exit_connect']);
  const oracle = await oracleRecords(join(b1, 'kernel'));
  assert.equal(oracle.code, 0, oracle.stderr);
  const names = new Set(oracle.records.map((x) => x.event as string).filter((n) => !n.includes('statedump')));
  assert.ok([...names].every((n) => ['sched_switch', 'net_if_receive_skb', 'syscall_entry_connect', 'syscall_exit_connect'].includes(n)), [...names].join());
  assert.ok(names.has('sched_switch') && names.has('syscall_entry_connect'));

  const b2 = join(dir, 'nosys');
  const r2 = await runCli(['record', '-q', '--no-capture', '-o', b2, '--events', '-syscalls:*', '--', 'true'], { timeoutMs: 60_000 });
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok(!bundleOf(b2).events.enabled.some((e) => e.startsWith('syscalls:')));
  assert.ok(bundleOf(b2).events.enabled.includes('sched:sched_switch'));
});

test('--duration without a command records for that long', { skip, timeout: 60_000 }, async (t) => {
  const dir = scratchDir('duration');
  t.after(() => removeDir(dir));
  const r = await runCli(['record', '-q', '--no-capture', '--duration', '0.5', '-o', join(dir, 'b')], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const b = bundleOf(join(dir, 'b'));
  assert.equal(b.stop_reason, 'duration');
  assert.equal(b.command, null);
  assert.ok(b.time.duration_s >= 0.5 && b.time.duration_s < 5, String(b.time.duration_s));
});

test('--tracer lttng says in one line why it cannot run here', { skip: needsRootTracefs() ?? needsCommands('lttng'), timeout: 60_000 }, async () => {
  const probe = spawnSync('lttng', ['list', '-k'], { encoding: 'utf8' });
  if (probe.status === 0) return; // LTTng's kernel tracer works on this machine: nothing to refuse
  const r = await runCli(['record', '--tracer', 'lttng', '-o', '/tmp/tracewire-never', '--', 'true']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^tracewire: --tracer lttng: .*(lttng-modules|modules|lttng list -k).*use the default --tracer ftrace$/m);
  assert.ok(!existsSync('/tmp/tracewire-never'));
});

test('record() runs a workload, calls onReady first, stops on an AbortSignal', { skip, timeout: 120_000 }, async (t) => {
  const dir = scratchDir('api');
  t.after(() => removeDir(dir));
  const order: string[] = [];
  const controller = new AbortController();
  const result = await record({
    outDir: join(dir, 'b'),
    capture: false,
    signal: controller.signal,
    onReady: () => {
      order.push('ready');
    },
    workload: async () => {
      order.push('workload');
      setTimeout(() => controller.abort(), 300);
      await new Promise((r) => setTimeout(r, 5000));
    },
  });
  assert.deepEqual(order, ['ready', 'workload']);
  assert.equal(result.bundle.stop_reason, 'signal');
  assert.ok(result.bundle.time.duration_s < 4);
  assert.equal(result.capturePath, null);
  assert.match(result.summary, /events .* 0 lost/);
  assert.ok(!existsSync(join(tracefsDir!, 'instances', result.bundle.tracer.instance!)));
  const bt = await babeltrace2(result.kernelDir);
  assert.equal(bt.code, 0, bt.stderr);
  assert.equal(bt.stderr, '');
});

test('record() finishes the bundle and removes the instance when the workload throws', { skip, timeout: 120_000 }, async (t) => {
  const dir = scratchDir('api-throw');
  t.after(() => removeDir(dir));
  const result = await record({
    outDir: join(dir, 'b'),
    capture: false,
    workload: async () => {
      await new Promise((r) => setTimeout(r, 100));
      throw new Error('boom');
    },
  });
  assert.equal(result.bundle.stop_reason, 'error');
  assert.match(result.bundle.error ?? '', /workload failed: boom/);
  assert.equal(result.bundle.complete, true);
  assert.ok(!existsSync(join(tracefsDir!, 'instances', result.bundle.tracer.instance!)));
  const bt = await babeltrace2(result.kernelDir);
  assert.equal(bt.code, 0, bt.stderr);
});
