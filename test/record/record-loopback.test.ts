/**
 * `tracewire record` end to end on loopback, as root: a TCP listener is started BEFORE
 * the recording (so only the state dump knows its socket), and the recorded command
 * connects to it and sends a line. The bundle must be complete and readable by every
 * real consumer: babeltrace2 and babeltrace without a warning, ctf-oracle, and the
 * lttng-analyses tools (which need the trace in a `kernel/` directory and read the
 * tracer version from its metadata). The command's output and exit status pass through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsCommands, needsRootTracefs, runCli, runCommand, tracefsDir, waitForListening } from '../support/env.js';
import { babeltrace1, babeltrace2, bundleOf, eventsNamed, oracleRecords, removeDir, scratchDir } from './helpers.js';

const skip = needsRootTracefs() ?? needsCommands('ncat', 'tcpdump', 'babeltrace2', 'babeltrace', 'lttng-syscallstats', 'tshark');

test('record on loopback: bundle, passthrough, readers without warnings, state dump resolves an fd opened before', { skip, timeout: 300_000 }, async (t) => {
  const dir = scratchDir('loopback');
  const port = 30000 + (process.pid % 20000);
  // The listener exists before the recording: its socket is known only from the state dump.
  const listener = spawn('ncat', ['-l', '127.0.0.1', String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let received = '';
  listener.stdout.on('data', (d: Buffer) => {
    received += d.toString();
    if (received.includes('\n')) writeFileSync(join(dir, 'listener-got-it'), '');
  });
  t.after(() => {
    listener.kill('SIGKILL');
    removeDir(dir);
  });
  await waitForListening(port);
  // The command waits (bounded, 10 s) until the listener has printed the line, so the
  // listener's accept and read finish inside the recording even on a loaded machine
  // (lttng-analyses lists a thread only when it sees a whole system call).
  const got = join(dir, 'listener-got-it');
  const script = `read line; echo "stdin:$line"; sleep 0.2; printf 'hello tracewire\\n' | ncat 127.0.0.1 ${port}; i=0; while [ ! -e ${got} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo done-out; echo done-err >&2; exit 7`;
  const r = await runCli(['record', '-o', join(dir, 'b'), '--', 'sh', '-c', script], { timeoutMs: 120_000, input: 'from-stdin\n' });
  const bundleDir = join(dir, 'b');
  assert.equal(r.code, 7, `exit status passes through (stderr: ${r.stderr})`);
  assert.equal(r.stdout, 'stdin:from-stdin\ndone-out\n', 'stdin and stdout pass through untouched');
  assert.match(r.stderr, /^done-err$/m, 'stderr passes through');
  assert.match(r.stderr, /tracewire: recorded .*: .* events .* 0 lost/);
  assert.equal(received, 'hello tracewire\n');

  // No spool or temporary file is left in the bundle, and the instance is gone.
  assert.deepEqual(readdirSync(bundleDir).sort(), ['bundle.json', 'capture.pcapng', 'kernel']);
  const b = bundleOf(bundleDir);
  assert.ok(b.tracer.instance && !existsSync(join(tracefsDir!, 'instances', b.tracer.instance)), 'tracefs instance removed');
  assert.equal(b.complete, true);
  assert.equal(b.stop_reason, 'command-exited');
  assert.equal(b.lost_events, 0);
  assert.equal(b.command?.exit_code, 7);
  assert.deepEqual(b.command?.argv, ['sh', '-c', script]);
  assert.equal(b.tracer.name, 'ftrace');
  assert.ok(b.events.enabled.includes('sched:sched_switch') && b.events.enabled.includes('syscalls:sys_enter_connect'));
  assert.ok(BigInt(b.time.end_monotonic_ns) > BigInt(b.time.start_monotonic_ns));
  assert.ok(Math.abs(Number(BigInt(b.clocks.realtime_offset_ns.start) - BigInt(b.clocks.realtime_offset_ns.end))) < 1_000_000, 'clock offset stable');
  assert.ok(b.capture.packets >= 6, `captured ${b.capture.packets} packets`);
  assert.equal(b.netns[0]?.name, 'host');
  assert.ok(b.netns[0]!.interfaces.some((i) => i.name === 'lo' && i.addresses.includes('127.0.0.1/8')));

  const kernel = join(bundleDir, 'kernel');
  const bt2 = await babeltrace2(kernel);
  assert.equal(bt2.code, 0, bt2.stderr);
  assert.equal(bt2.stderr, '', 'babeltrace2 reads the trace without a warning');
  const bt1 = await babeltrace1(kernel);
  assert.equal(bt1.code, 0, bt1.stderr);
  assert.equal(bt1.stderr, '', 'babeltrace 1 reads the trace without a warning');
  assert.match(bt2.stdout, /syscall_entry_connect: .*\{ cpu_id = \d+ \}, \{ pid = \d+, tid = \d+, procname = "ncat"/);

  const oracle = await oracleRecords(kernel);
  assert.equal(oracle.code, 0, oracle.stderr);
  assert.equal(oracle.records.length, b.events.written, 'every event written is read back');
  const names = new Set(oracle.records.map((x) => x.event as string));
  for (const n of ['sched_switch', 'sched_waking', 'sched_process_fork', 'sched_process_exec', 'syscall_entry_connect', 'syscall_exit_connect', 'syscall_entry_accept', 'net_dev_queue', 'net_dev_xmit', 'net_if_receive_skb', 'inet_sock_set_state', 'skb_consume', 'irq_softirq_entry', 'lttng_statedump_process_state', 'lttng_statedump_file_descriptor', 'tracewire_statedump_inet_sock']) {
    assert.ok(names.has(n) || (n === 'syscall_entry_accept' && names.has('syscall_entry_accept4')), `no ${n} event`);
  }
  // LTTng vocabulary: ids are tids, priorities are prio - 100, syscall ints are their C type.
  const sw = eventsNamed(oracle.records, 'sched_switch')[0]!.payload as Record<string, unknown>;
  assert.deepEqual(Object.keys(sw), ['prev_comm', 'prev_tid', 'prev_prio', 'prev_state', 'next_comm', 'next_tid', 'next_prio']);
  assert.ok((sw.prev_prio as number) < 100);
  const connect = eventsNamed(oracle.records, 'syscall_entry_connect').find((e) => (e.context as Record<string, unknown>).procname === 'ncat')!;
  assert.ok(connect, 'ncat connect recorded');
  const exits = eventsNamed(oracle.records, 'syscall_exit_connect');
  assert.ok(exits.every((e) => 'ret' in (e.payload as object)));

  // The state dump resolves the listener's fd: fd → socket:[inode] → 127.0.0.1:port LISTEN.
  const fdEvents = eventsNamed(oracle.records, 'lttng_statedump_file_descriptor').filter((e) => (e.payload as Record<string, unknown>).pid === listener.pid);
  const sockets = fdEvents.map((e) => e.payload as Record<string, unknown>).filter((p) => /^socket:\[\d+\]$/.test(p.filename as string));
  assert.ok(sockets.length >= 1, 'listener socket fd in the state dump');
  const inodes = new Set(sockets.map((p) => Number(/\d+/.exec(p.filename as string)![0])));
  const rows = eventsNamed(oracle.records, 'tracewire_statedump_inet_sock').map((e) => e.payload as Record<string, unknown>).filter((p) => inodes.has(p.inode as number));
  assert.ok(rows.some((p) => p.sport === port && p.state === 10 && (p.saddr as number[]).join('.') === '127.0.0.1'), 'inode → 127.0.0.1:port LISTEN');
  const proc = eventsNamed(oracle.records, 'lttng_statedump_process_state').map((e) => e.payload as Record<string, unknown>).find((p) => p.tid === listener.pid);
  assert.equal(proc?.name, 'ncat');
  // …and the accept on that fd during the recording is by the same task.
  const listenFd = sockets.find((p) => rows.some((row) => row.inode === Number(/\d+/.exec(p.filename as string)![0])))!.fd;
  const accepts = oracle.records.filter((e) => /^syscall_entry_accept4?$/.test(e.event as string) && (e.context as Record<string, unknown>).tid === listener.pid);
  assert.ok(accepts.some((e) => (e.payload as Record<string, unknown>).fd === listenFd), 'accept on the pre-existing listening fd');

  // The capture is a valid pcapng with the exchange.
  const tshark = await runCommand('tshark', ['-r', join(bundleDir, 'capture.pcapng'), '-Y', `tcp.port == ${port}`, '-T', 'fields', '-e', 'tcp.flags.str']);
  assert.equal(tshark.code, 0, tshark.stderr);
  assert.ok(tshark.stdout.split('\n').filter(Boolean).length >= 6);

  // lttng-analyses run on the bundle (they find kernel/ below it) and list the ncats' system
  // calls. They name a thread after its first sched_switch and never update the name at
  // exec (the client ncat shows as `sh`), print `?` for a pid they learnt no pid for, and
  // attribute a system call to the task their own sched_switch bookkeeping says is on the
  // CPU. On CI the listener's row was once missing while our trace has its accept (checked
  // above), so the row of either ncat is accepted; the message says what our trace holds.
  const clientTid = (connect.context as Record<string, unknown>).tid as number;
  const rowOf = (tid: number) => `\\((${tid}|\\?), TID: ${tid}\\)`;
  const ncatRow = new RegExp(`Per-TID syscalls statistics[\\s\\S]*(ncat|${rowOf(listener.pid!)}|${rowOf(clientTid)})`);
  const inTrace = (tid: number) => ({
    syscalls: oracle.records.filter((e) => /^syscall_exit_/.test(e.event as string) && (e.context as Record<string, unknown>).tid === tid).length,
    switchesIn: eventsNamed(oracle.records, 'sched_switch').filter((e) => (e.payload as Record<string, unknown>).next_tid === tid).length,
  });
  const traceHolds = JSON.stringify({ listener: { tid: listener.pid, ...inTrace(listener.pid!) }, client: { tid: clientTid, ...inTrace(clientTid) } });
  for (const [tool, expect] of [['lttng-syscallstats', ncatRow], ['lttng-irqstats', /Timerange/], ['lttng-schedtop', /Scheduling top/]] as const) {
    const a = await runCommand(tool, ['--no-progress', bundleDir], { timeoutMs: 120_000 });
    assert.equal(a.code, 0, `${tool}: ${a.stderr}`);
    assert.match(a.stdout, expect, `${tool} output (our trace: ${traceHolds})`);
    assert.doesNotMatch(`${a.stdout}${a.stderr}`, /Error|Traceback/);
  }
});
