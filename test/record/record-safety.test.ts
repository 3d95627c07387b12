/**
 * The recorder's safety promises, each on a real recording:
 * - not root, or no tracefs → one line on stderr, exit status 2, nothing left behind;
 * - SIGINT and SIGTERM → tracing off, instance removed, tcpdump stopped, a complete and
 *   readable bundle, the command interrupted;
 * - SIGKILL → the instance and tcpdump outlive the recorder; the next `tracewire record`
 *   finds the stale instance, stops tcpdump, removes the instance and finishes the dead
 *   run's bundle (`complete: false`, `stop_reason: "recovered"`), readable;
 * - a full disk → the recording stops by itself and leaves a valid bundle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctfOracle, needsCommands, needsRootTracefs, repoRoot, runCli, runCommand, tracefsDir } from '../support/env.js';
import { babeltrace2, bundleOf, removeDir, scratchDir } from './helpers.js';

const skip = needsRootTracefs() ?? needsCommands('tcpdump', 'babeltrace2', 'setpriv', 'unshare');
const cli = join(repoRoot, 'bin', 'tracewire.js');

function startRecorder(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, 'record', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  // 'exit', not 'close': after a kill -9 the command keeps the recorder's stdio pipes open.
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  return { child, stderr: () => err, exited };
}

/** Waits until the recorder has tracing, capture and state dump in place. */
async function waitReady(bundleDir: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(join(bundleDir, '.ftrace', 'statedump.json'))) {
      await new Promise((r) => setTimeout(r, 500)); // let the command start
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`recorder not ready after ${timeoutMs} ms`);
}

function tcpdumpsFor(bundleDir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith('tcpdump') && cmd.includes(bundleDir)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function ourInstances(): string[] {
  return readdirSync(join(tracefsDir!, 'instances')).filter((n) => n.startsWith('tracewire-'));
}

test('without root: one line, exit 2', { skip, timeout: 60_000 }, async () => {
  const r = await runCommand('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'record', '-o', '/tmp/never-created', '--', 'true']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^tracewire: recording kernel events needs root/);
  assert.ok(!existsSync('/tmp/never-created'));
});

test('without tracefs: one line, exit 2', { skip, timeout: 60_000 }, async () => {
  // A private mount namespace where tmpfs hides the tracefs mounts.
  const hide = 'mount -t tmpfs none /sys/kernel/tracing; if [ -d /sys/kernel/debug/tracing ]; then mount -t tmpfs none /sys/kernel/debug/tracing; fi';
  const r = await runCommand('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${hide}; exec "$0" "$@"`, process.execPath, cli, 'record', '--', 'true']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^tracewire: tracefs is not mounted/);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} stops the recording cleanly: instance removed, capture stopped, bundle readable`, { skip, timeout: 120_000 }, async (t) => {
    const dir = scratchDir(signal.toLowerCase());
    t.after(() => removeDir(dir));
    const bundleDir = join(dir, 'b');
    const rec = startRecorder(['-q', '-o', bundleDir, '--', 'sleep', '30']);
    await waitReady(bundleDir);
    const live = ourInstances();
    assert.ok(live.length >= 1, 'an instance exists while recording');
    assert.ok(tcpdumpsFor(bundleDir).length === 1, 'tcpdump runs while recording');
    rec.child.kill(signal);
    const code = await rec.exited;
    assert.equal(code, 128 + (signal === 'SIGINT' ? 2 : 15), `sleep ends by ${signal} then SIGINT; stderr: ${rec.stderr()}`);
    const b = bundleOf(bundleDir);
    assert.equal(b.complete, true);
    assert.equal(b.stop_reason, 'signal');
    assert.ok(!existsSync(join(tracefsDir!, 'instances', b.tracer.instance!)), 'instance removed');
    assert.ok(!existsSync(join(tracefsDir!, 'instances', `${b.tracer.instance!}-own`)), 'own-context instance removed');
    assert.deepEqual(tcpdumpsFor(bundleDir), [], 'tcpdump stopped');
    assert.ok(!existsSync(join(bundleDir, '.ftrace')), 'spool removed');
    const bt = await babeltrace2(join(bundleDir, 'kernel'));
    assert.equal(bt.code, 0, bt.stderr);
    assert.equal(bt.stderr, '');
    assert.match(bt.stdout, /syscall_entry_clock_nanosleep|sched_switch/);
  });
}

test('kill -9: the next run removes the stale instance, stops its tcpdump and finishes its bundle', { skip, timeout: 180_000 }, async (t) => {
  const dir = scratchDir('kill9');
  let sleeper: number | null = null;
  t.after(() => {
    if (sleeper) spawnSync('kill', ['-9', String(sleeper)]);
    removeDir(dir);
  });
  const first = join(dir, 'killed');
  // A few events only: the stale instance keeps recording until the next run finds it.
  // sched_process_fork also makes an own-context instance (the fork of `sleep` is there).
  const rec = startRecorder(['-q', '-o', first, '--events', 'none,sched:sched_switch,sched:sched_process_exit,sched:sched_process_fork', '--', 'sleep', '30']);
  await waitReady(first);
  const session = JSON.parse(readFileSync(join(first, '.ftrace', 'session.json'), 'utf8')) as { instance: string; command: { pid: number }; recorder: { pid: number } };
  sleeper = session.command.pid;
  assert.ok(existsSync(join(tracefsDir!, 'instances', `${session.instance}-own`)), 'an own-context instance while recording');
  // Pages read are written to the spool within half a second, so a SIGKILL loses at most that.
  const ownSpool = join(first, '.ftrace', 'own');
  for (let i = 0; i < 100 && !(existsSync(ownSpool) && readdirSync(ownSpool).length > 0); i++) await new Promise((res) => setTimeout(res, 50));
  assert.ok(readdirSync(ownSpool).length > 0, 'the own-context pages reached the spool before the kill');
  // a page read just before the kill is written within half a second: give that time
  // (else the fork of `sleep` can be in a page read but not yet written — lost by design)
  await new Promise((res) => setTimeout(res, 1000));
  rec.child.kill('SIGKILL');
  await rec.exited;
  // Another recorder starting on this machine right now may clean it up first; that is fine.
  const left = existsSync(join(tracefsDir!, 'instances', session.instance));
  t.diagnostic(`after kill -9: instance ${left ? 'left behind' : 'already cleaned by another run'}, ${tcpdumpsFor(first).length} tcpdump`);

  const second = join(dir, 'next');
  const r = await runCli(['record', '-q', '--no-capture', '--events', 'none,sched:sched_switch', '-o', second, '--', 'true'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  for (let i = 0; i < 300 && !existsSync(join(first, 'bundle.json')); i++) await new Promise((res) => setTimeout(res, 100));
  assert.ok(!existsSync(join(tracefsDir!, 'instances', session.instance)), 'stale instance removed');
  assert.ok(!existsSync(join(tracefsDir!, 'instances', `${session.instance}-own`)), 'stale own-context instance removed');
  assert.deepEqual(tcpdumpsFor(first), [], 'stale tcpdump stopped');
  assert.ok(!existsSync(join('/run/tracewire', `${session.instance}.json`)), 'state file removed');

  const b = bundleOf(first);
  assert.equal(b.complete, false);
  assert.equal(b.stop_reason, 'recovered');
  assert.match(b.error ?? '', /died/);
  assert.ok(b.events.written > 0);
  const bt = await babeltrace2(join(first, 'kernel'));
  assert.equal(bt.code, 0, bt.stderr);
  assert.match(bt.stdout, /lttng_statedump_process_state/);
  // The own-context instance's pages were recovered too: the recorder's fork of `sleep`.
  assert.match(bt.stdout, new RegExp(`sched_process_fork: .*tid = ${session.recorder.pid},.*child_tid = ${sleeper}\\b`));
  assert.ok(b.capture.file === 'capture.pcapng', `capture recovered: ${b.capture.error}`);
  assert.equal(bundleOf(second).complete, true);
});

test('a full disk stops the recording and leaves a valid bundle', { skip: skip ?? needsCommands('dd'), timeout: 180_000 }, async (t) => {
  const dir = scratchDir('diskfull');
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tracewire-test', mnt]);
  t.after(() => {
    spawnSync('umount', ['-l', mnt]);
    removeDir(dir);
  });
  const bundleDir = join(mnt, 'b');
  // Millions of one-byte reads and writes: far more events than 24 MiB can hold.
  const r = await runCli(['record', '-q', '-o', bundleDir, '--duration', '60', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=20000000'], { timeoutMs: 150_000 });
  const b = bundleOf(bundleDir);
  assert.equal(b.stop_reason, 'disk-full', `stderr: ${r.stderr}`);
  assert.equal(b.complete, true);
  assert.ok(b.events.written > 1000, `${b.events.written} events kept`);
  assert.ok(!existsSync(join(tracefsDir!, 'instances', b.tracer.instance!)), 'instance removed');
  assert.deepEqual(tcpdumpsFor(bundleDir), []);
  const bt = await babeltrace2(join(bundleDir, 'kernel'));
  assert.equal(bt.code, 0, bt.stderr);
  assert.match(bt.stdout, /syscall_entry_read/);
});

test('lost events are counted, located and reported: bundle, CTF discarded events, stderr', { skip: skip ?? needsCommands('dd'), timeout: 120_000 }, async (t) => {
  const dir = scratchDir('lost');
  t.after(() => removeDir(dir));
  const bundleDir = join(dir, 'b');
  // A 1 MiB buffer read only every 3 s while dd makes a million syscalls: the kernel must overwrite.
  const r = await runCli(['record', '--no-capture', '--buffer-size', '1', '-o', bundleDir, '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=400000'], {
    timeoutMs: 120_000,
    env: { ...process.env, TRACEWIRE_RECORD_POLL_MS: '3000' },
  });
  assert.equal(r.code, 0, r.stderr);
  const b = bundleOf(bundleDir);
  assert.ok(b.lost_events > 1000, `lost ${b.lost_events}`);
  assert.equal(Object.values(b.events.per_cpu).reduce((s, c) => s + c.lost, 0), b.lost_events);
  assert.match(r.stderr, new RegExp(`the kernel lost ${b.lost_events} events`));
  const oracle = await runCommand(ctfOracle, [join(bundleDir, 'kernel')], { timeoutMs: 120_000 });
  assert.equal(oracle.code, 0, oracle.stderr);
  const discarded = oracle.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { discarded_events?: number }).reduce((sum, r) => sum + (r.discarded_events ?? 0), 0);
  assert.equal(discarded, b.lost_events, 'CTF discarded events add up to lost_events');
  const bt = await babeltrace2(join(bundleDir, 'kernel'));
  assert.equal(bt.code, 0, bt.stderr);
  assert.match(bt.stderr, /Tracer discarded \d+ events/);
});
