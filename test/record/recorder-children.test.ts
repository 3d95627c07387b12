/**
 * Processes the recorder starts are known from their first instant.
 *
 * The recorder's own threads are excluded from the main tracefs instance, and a fork
 * fires in the parent's context: without the own-context instance (src/record/
 * own-context.ts) the recorded command, a workload's processes and the recorder's helpers
 * showed up with only a `sched_wakeup_new` — no parent, no inherited fd table. Checked
 * here with the kernel analysis (`analyzeKernel`, `model.fds`) and with Babeltrace 2
 * (ctf-oracle):
 *
 * 1. `tracewire record -- sh -c …` with the recorder's stdin on /etc/hostname: the
 *    command's fork (parent = the recorder) is in the trace, its fd 0 is inherited from the
 *    recorder's state-dump table, and `exec 7<&0` makes fd 7 resolve to /etc/hostname —
 *    also in the children the shell forks. Output and exit status still pass through.
 * 2. `record({ workload })` starting ncat in two network namespaces through `ip netns
 *    exec` (what `tracewire demo` does): both ncat processes have their fork, parent and
 *    exec, and no event is recorded twice.
 * 3. The state dump is not atomic (0.1–0.8 s): tracing is on before it begins, and every
 *    task created while it runs — by a busy forker, by the recorder's own helpers — has
 *    its fork event; every task with events after the dump began is in the dump or forked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ctfOracle, needsCommands, needsRootTracefs, repoRoot, runCommand } from '../support/env.js';
import { record } from '../../src/record/index.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import { analyzeKernel } from '../../src/analysis/kernel/index.js';
import { isDeadPrevState } from '../../src/analysis/kernel/states.js';
import { bundleOf, makeNetnsPair, removeDir, scratchDir } from './helpers.js';

const skip = needsRootTracefs() ?? needsCommands('babeltrace2', 'ncat', 'ip', 'tcpdump');

interface OracleEvent {
  ts: bigint;
  event: string;
  cpu: number;
  context: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** ctf-oracle's events, with `ts` kept exact (it exceeds 2^53). */
async function oracleEvents(kernelDir: string): Promise<OracleEvent[]> {
  const r = await runCommand(ctfOracle, [kernelDir], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const out: OracleEvent[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{"ts":')) continue;
    const exact = /^\{"ts":(-?\d+)/.exec(line)![1]!;
    const e = JSON.parse(line) as Omit<OracleEvent, 'ts'>;
    out.push({ ...e, ts: BigInt(exact) });
  }
  return out;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

test('record -- COMMAND: the command has its fork, its parent and its inherited fds (fd 7 → /etc/hostname)', { skip, timeout: 300_000 }, async (t) => {
  const dir = scratchDir('children-cli');
  t.after(() => removeDir(dir));
  const bundleDir = join(dir, 'b');
  // fd 7 is a dup of fd 0, which the command inherits from the recorder (stdin on
  // /etc/hostname, known from the state dump); fd 8 is opened during the recording.
  const script = 'exec 7<&0; exec 8</etc/hostname; sleep 0.2; cat /proc/self/fd/7 >/dev/null; readlink /proc/self/fd/7; exit 3';
  const r = await runCommand('sh', ['-c', 'exec "$0" "$@" </etc/hostname', process.execPath, join(repoRoot, 'bin', 'tracewire.js'), 'record', '-q', '--no-capture', '-o', bundleDir, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
  assert.equal(r.code, 3, `exit status passes through (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '/etc/hostname\n', 'stdout passes through');
  const b = bundleOf(bundleDir);
  assert.equal(b.lost_events, 0);
  assert.equal(b.error, undefined);
  const cmd = b.command!.pid!;
  const rec = b.tracer.recorder!;
  assert.ok(rec.excluded_tids.includes(rec.pid), 'the recorder excluded its own threads');
  assert.ok(rec.own_context_events.includes('sched:sched_process_fork'));

  // Babeltrace 2: the fork, in the recorder's context, before anything the command did.
  const events = await oracleEvents(join(bundleDir, 'kernel'));
  const forks = events.filter((e) => e.event === 'sched_process_fork' && num(e.payload.child_tid) === cmd);
  assert.equal(forks.length, 1, 'exactly one fork of the command');
  const fork = forks[0]!;
  assert.equal(num(fork.payload.parent_tid), rec.pid);
  assert.equal(num(fork.payload.parent_pid), rec.pid);
  assert.equal(num(fork.context.tid), rec.pid, 'recorded in the recorder’s context');
  const newtask = events.find((e) => e.event === 'task_newtask' && num(e.payload.pid) === cmd);
  assert.ok(newtask && num(newtask.context.tid) === rec.pid, 'task_newtask of the command');
  const first = events.find((e) => num(e.context.tid) === cmd);
  assert.ok(first && first.ts > fork.ts, 'the fork comes before the command’s first event');
  const exec = events.find((e) => e.event === 'sched_process_exec' && num(e.context.tid) === cmd);
  assert.match(String(exec?.payload.filename), /\/sh$/);
  const recorderFds = events.filter((e) => e.event === 'lttng_statedump_file_descriptor' && num(e.payload.pid) === rec.pid);
  assert.equal(recorderFds.find((e) => num(e.payload.fd) === 0)?.payload.filename, '/etc/hostname', 'the recorder’s fd 0 in the state dump');
  // …but not its own close-on-exec fds, which change unseen and no child program inherits.
  assert.deepEqual(recorderFds.filter((e) => num(e.payload.fd) > 2 && (num(e.payload.flags) & 0o2000000) !== 0).map((e) => e.payload.filename), []);
  assert.ok(!recorderFds.some((e) => String(e.payload.filename).includes('trace_pipe_raw')));

  // The kernel analysis: parent, inherited fd 0, fd 7 = dup of it, and the children.
  const model = analyzeKernel(openTraceCollection([bundleDir]));
  const [th] = model.threadsByTid(cmd);
  assert.ok(th, 'the command is a known thread');
  assert.equal(th.ppid, rec.pid, 'known parent (the recorder)');
  assert.equal(th.parentTid, rec.pid);
  assert.equal(th.forkTs, fork.ts, 'born at its fork');
  const fds = model.fds!;
  const fd0 = fds.lifetimes(cmd, 0)[0];
  assert.equal(fd0?.origin, 'inherited');
  assert.equal(fd0?.path, '/etc/hostname');
  const fd7 = fds.lifetimes(cmd, 7);
  assert.ok(fd7.some((f) => f.path === '/etc/hostname' && f.origin === 'dup'), `fd 7 resolves to /etc/hostname: ${JSON.stringify(fd7, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  const fd8 = fds.lifetimes(cmd, 8);
  assert.ok(fd8.some((f) => f.kind === 'file'), 'fd 8 is a file opened during the recording');
  // The shell's children inherit fd 7 through forks the main instance records.
  const children = model.threads().filter((x) => x.ppid === cmd && x.execs.some((e) => /\/(cat|readlink)$/.test(e.filename)));
  assert.equal(children.length, 2, 'cat and readlink are known children of the command');
  for (const c of children) {
    const inherited = fds.lifetimes(c.tid, 7)[0];
    assert.equal(inherited?.path, '/etc/hostname', `fd 7 of ${c.name}`);
    assert.equal(inherited?.origin, 'inherited');
  }
});

test('record({ workload }): processes started in network namespaces have their fork, parent and exec; nothing twice', { skip, timeout: 300_000 }, async (t) => {
  const pair = makeNetnsPair('kids');
  const dir = scratchDir('children-workload');
  t.after(() => {
    pair.cleanup();
    removeDir(dir);
  });
  const port = 32000 + (process.pid % 20000);
  const pids: number[] = [];
  const run = (argv: string[], input?: string) =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      pids.push(child.pid!);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code ?? -1);
      });
      child.stdin.on('error', () => {});
      if (input !== undefined) child.stdin.end(input);
    });
  let statuses: number[] = [];
  const result = await record({
    outDir: join(dir, 'b'),
    netns: [pair.a, pair.b],
    captureHost: false,
    workload: async () => {
      const server = run(['ip', 'netns', 'exec', pair.a, 'ncat', '-l', pair.addrA, String(port)]);
      await new Promise((r) => setTimeout(r, 400));
      const client = run(['ip', 'netns', 'exec', pair.b, 'ncat', pair.addrA, String(port)], 'hello from the workload\n');
      statuses = await Promise.all([client, server]);
    },
  });
  assert.deepEqual(statuses, [0, 0], 'both ncat ran and exited');
  const b = result.bundle;
  assert.equal(b.lost_events, 0);
  assert.equal(b.stop_reason, 'command-exited');
  const events = await oracleEvents(result.kernelDir);
  for (const pid of pids) {
    const fork = events.filter((e) => e.event === 'sched_process_fork' && num(e.payload.child_tid) === pid);
    assert.equal(fork.length, 1, `fork of ${pid}`);
    assert.equal(num(fork[0]!.payload.parent_tid), process.pid, 'forked by the recorder (this process)');
    const execs = events.filter((e) => e.event === 'sched_process_exec' && num(e.context.tid) === pid).map((e) => String(e.payload.filename));
    assert.ok(execs.some((f) => f.endsWith('/ip')) && execs.some((f) => f.endsWith('/ncat')), `ip then ncat: ${execs.join(', ')}`);
  }
  const model = analyzeKernel(openTraceCollection([result.bundleDir]));
  // Only the recorder's inheritable fds are in the dump: its stdio pipes for the children,
  // made after the dump on numbers it may have closed and reused, never resolve to a
  // stale file of the dump.
  const recorderPaths = new Set(events.filter((e) => e.event === 'lttng_statedump_file_descriptor' && num(e.payload.pid) === process.pid).map((e) => String(e.payload.filename)));
  for (const pid of pids) {
    const [th] = model.threadsByTid(pid);
    assert.ok(th, `ncat ${pid} known`);
    assert.equal(th.ppid, process.pid);
    assert.notEqual(th.forkTs, null);
    assert.equal(th.name, 'ncat');
    const stdin = model.fds!.lifetimes(pid, 0).at(-1)!;
    assert.equal(stdin.origin, 'dup', 'fd 0 is the pipe dup2()ed before exec');
    assert.ok(stdin.path === '' || !recorderPaths.has(stdin.path), `fd 0 of ncat is not a stale fd of the recorder: ${stdin.path}`);
  }
  // The two instances split events with neither gap nor overlap: no event twice.
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const e of events) {
    if (e.event.startsWith('lttng_statedump') || e.event.startsWith('tracewire_statedump')) continue;
    const key = `${e.ts}|${e.cpu}|${e.event}|${JSON.stringify(e.context)}|${JSON.stringify(e.payload)}`;
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  assert.deepEqual(twice.slice(0, 5), [], `${twice.length} events recorded twice`);
});

test('state dump: tracing is on before it begins; tasks created while it runs are not lost', { skip, timeout: 300_000 }, async (t) => {
  const dir = scratchDir('children-dump');
  // A busy forker across the start of the recording (bounded: 10,000 forks, ~30 s).
  const forker = spawn('sh', ['-c', 'i=0; while [ $i -lt 10000 ]; do /bin/sleep 0.002; i=$((i+1)); done'], { stdio: 'ignore' });
  t.after(() => {
    forker.kill('SIGKILL');
    removeDir(dir);
  });
  await new Promise((r) => setTimeout(r, 200));
  const result = await record({ outDir: join(dir, 'b'), capture: false, durationMs: 800 });
  forker.kill('SIGKILL');
  const b = result.bundle;
  assert.equal(b.lost_events, 0);
  const events = await oracleEvents(result.kernelDir);
  const dumpStart = events.find((e) => e.event === 'lttng_statedump_start')!.ts;
  const dumpEnd = events.find((e) => e.event === 'lttng_statedump_end')!.ts;
  t.diagnostic(`state dump: ${Number(dumpEnd - dumpStart) / 1e6} ms, ${events.length} events`);
  const kernelEvents = events.filter((e) => !e.event.startsWith('lttng_statedump') && !e.event.startsWith('tracewire_statedump'));
  // Tracing is on before /proc is read: the dump's first process entry comes after kernel
  // events (at the least, the fork of the dump's own network-namespace reader).
  const firstProcess = events.find((e) => e.event === 'lttng_statedump_process_state')!.ts;
  assert.ok(kernelEvents[0]!.ts < firstProcess, 'kernel events were recorded before /proc was read');
  const forkerForks = kernelEvents.filter((e) => e.event === 'sched_process_fork' && num(e.payload.parent_tid) === forker.pid);
  assert.ok(forkerForks.some((e) => e.ts >= dumpStart && e.ts <= dumpEnd), 'the forker forked during the dump');

  const dumped = new Set(events.filter((e) => e.event === 'lttng_statedump_process_state').map((e) => num(e.payload.tid)));
  const forkedAt = new Map<number, bigint>();
  for (const e of kernelEvents) if (e.event === 'sched_process_fork') forkedAt.set(num(e.payload.child_tid), e.ts);
  // Every task created during the recording (sched_wakeup_new — which the kernel's pid
  // filter always let through) has its fork, before its first event of its own.
  const firstEvent = new Map<number, bigint>();
  for (const e of kernelEvents) {
    const tid = num(e.context.tid);
    if (!firstEvent.has(tid)) firstEvent.set(tid, e.ts);
  }
  const created = kernelEvents.filter((e) => e.event === 'sched_wakeup_new').map((e) => ({ tid: num(e.payload.tid), ts: e.ts }));
  const duringDump = created.filter((c) => c.ts >= dumpStart && c.ts <= dumpEnd);
  assert.ok(duringDump.length > 0, 'tasks were created during the dump');
  // (A task forked just before tracing began can be woken just after: it is in the dump.)
  const noFork = created.filter((c) => !forkedAt.has(c.tid) && !(dumped.has(c.tid) && c.ts < firstProcess)).map((c) => c.tid);
  assert.deepEqual(noFork, [], 'tasks created without a fork event');
  const late = created.filter((c) => (firstEvent.get(c.tid) ?? c.ts) < forkedAt.get(c.tid)!).map((c) => c.tid);
  assert.deepEqual(late, [], 'tasks with events before their fork');
  const recorderChildren = created.filter((c) => kernelEvents.some((e) => e.event === 'sched_process_fork' && num(e.payload.child_tid) === c.tid && num(e.payload.parent_tid) === process.pid));
  assert.ok(recorderChildren.some((c) => c.ts >= dumpStart && c.ts <= dumpEnd), 'the state dump’s own helpers have their forks');
  // Every task with events after the dump began is in the dump or was forked, unless it
  // existed before tracing and ended before the dump reached it: its exit is recorded, or
  // — when tracing began in the tail of its exit, after sched_process_exit (CI caught one:
  // a `true` migrated mid-exit, woke its parent and switched out dead) — its last switch
  // out of the CPU says it is dead.
  const exitedBeforeEnd = new Set(kernelEvents.filter((e) => e.ts <= dumpEnd && (e.event === 'sched_process_exit' || (e.event === 'sched_switch' && isDeadPrevState(num(e.payload.prev_state))))).map((e) => num(e.context.tid)));
  const unknown = [...firstEvent.keys()].filter((tid) => tid !== 0 && !dumped.has(tid) && !forkedAt.has(tid) && !exitedBeforeEnd.has(tid));
  assert.deepEqual(unknown, [], 'tasks neither in the state dump nor forked');
  // The analysis agrees: each forker child it saw has the forker as parent.
  const model = analyzeKernel(openTraceCollection([result.bundleDir]), { statistics: false, fds: false });
  const kids = model.threads().filter((x) => forkerForks.some((f) => num(f.payload.child_tid) === x.tid));
  assert.ok(kids.length > 0 && kids.every((k) => k.ppid === forker.pid), 'the forker’s children have their parent');
});
