/**
 * Stories without a live recording: from the shared LTTng traces alone (kernel-only, no
 * packets), from the shared captures alone (packets only), and the CLI's contract on bad
 * input. Checked against babeltrace2 (every cited event exists) and tshark (frames).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsCommands, repoRoot, runCli, sharedCaptures, sharedTraces } from '../support/env.js';
import { babeltraceEventKeys, eventKeyForOracle, flagNames, tsharkTcpFrames } from './oracles.js';
import { buildDataset } from '../../src/bundle/index.js';
import { analyze, buildStory, buildStoryFromAnalysis, parseConnArg } from '../../src/analysis/story/index.js';
import { assignSeedItems } from '../../src/analysis/story/seed-map.js';
import { callText, returnText } from '../../src/analysis/story/syscall-text.js';

const manyThreads = join(sharedTraces, 'lttng', 'many-threads');

describe('kernel-only stories (shared LTTng traces, no capture)', { skip: needsCommands('babeltrace2') }, () => {
  test('many-threads: a connection told from syscalls and wakeups alone, each event real', async () => {
    const ds = buildDataset([manyThreads]);
    const a = analyze(ds);
    const story = buildStoryFromAnalysis(a, {});
    assert.ok(story.connection, 'a connection is chosen');
    assert.ok(story.subject, 'a process is followed');
    assert.ok(story.steps.length >= 4, story.steps.map((s) => s.title).join('\n'));
    const accept = story.steps.find((s) => /^accept4?\(/.test(s.title));
    assert.ok(accept, 'the server side of the connection: its accept');
    // The wait before the accept ends with a wakeup by the connecting thread.
    const wake = story.steps.find((s) => s.kind === 'wakeup' && s.ts <= accept.ts);
    assert.ok(wake, 'what woke the server');
    assert.match(wake.title, /in connect\(\)/);
    const keys = await babeltraceEventKeys(manyThreads);
    for (const s of story.steps) for (const e of s.events) assert.ok(keys.has(eventKeyForOracle(e)), `step ${s.n}: ${eventKeyForOracle(e)}`);
    assert.ok(story.limitations.some((l) => /net_dev_queue/.test(l)), 'names the device events to enable');
    assert.ok(story.limitations.some((l) => /No packet capture/.test(l)));
    assert.ok(story.otherConnections.length > 0);
    assert.ok(a.wakeups.length > 0, 'wakeup chains from kernel events alone');
    for (const w of a.wakeups) assert.ok(w.waker === null || keys.has(eventKeyForOracle(w.waker.event)));
    // A wakeup from an idle CPU names that CPU's idle task.
    const idle = a.wakeups.filter((w) => w.waker?.ctx.tid === 0);
    assert.ok(idle.length > 0, 'some wakeups come from an idle CPU');
    for (const w of idle) assert.equal(w.waker!.ctx.comm, `swapper/${w.waker!.ctx.cpu}`);
  });

  test('--wakeups lists every wakeup chain with its waker; --unmatched says why there are no frames', async () => {
    const r = await runCli(['story', manyThreads, '--wakeups', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const chains = JSON.parse(r.stdout) as Array<{ syscall: string; waker: { kind: string; cpu: number } | null; cause: { text: string } }>;
    assert.ok(chains.length > 0);
    for (const c of chains) assert.ok(c.waker === null || ['task', 'irq', 'softirq'].includes(c.waker.kind));
    assert.ok(chains.some((c) => c.syscall === 'epoll_wait' && c.waker?.kind === 'task'));
    const u = await runCli(['story', manyThreads, '--unmatched']);
    assert.match(u.stdout, /note: no capture/);
  });

  test('synctraces (no syscalls): no story, and it says what to enable', () => {
    const story = buildStory(buildDataset([join(sharedTraces, 'lttng', 'synctraces', 'scp_src')]));
    assert.equal(story.steps.length, 0);
    assert.ok(story.limitations.some((l) => /System calls were not traced.*--syscall -a/.test(l)), story.limitations.join('\n'));
  });

  test('a userspace-only trace (hello-lost): no story, and it says why', () => {
    const story = buildStory(buildDataset([join(sharedTraces, 'lttng', 'hello-lost')]));
    assert.equal(story.connection, null);
    assert.ok(story.limitations.some((l) => /userspace \(LTTng-UST\) trace/.test(l)), story.limitations.join('\n'));
  });

  test('--pid follows a given process; --format json is the Story object', async () => {
    const first = buildStory(buildDataset([manyThreads]));
    const pid = first.otherConnections.flatMap((c) => c.processes).find((p) => p.pid !== first.subject?.pid)?.pid;
    assert.ok(pid !== undefined);
    const r = await runCli(['story', manyThreads, '--pid', String(pid), '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { subject: { pid: number }; steps: Array<{ n: number; relNs: number; events: unknown[]; frames: number[] }>; limitations: string[] };
    assert.equal(doc.subject.pid, pid);
    for (const s of doc.steps) assert.ok(Array.isArray(s.events) && Array.isArray(s.frames) && typeof s.relNs === 'number');
  });
});

describe('the committed sample bundle (samples/seed-demo)', () => {
  const sample = join(repoRoot, 'samples', 'seed-demo');

  test('a socket is shared only through fork: anonymous unix sockets keep their identity when the kernel reuses their address', () => {
    const a = analyze(buildDataset([sample]));
    const parent = new Map<number, number>();
    for (const t of a.kernelModel!.threads()) if (t.pid !== null && t.ppid !== null && t.pid === t.tid) parent.set(t.pid, t.ppid);
    const ancestorOrSelf = (anc: number, pid: number) => {
      for (let p: number | undefined = pid, n = 0; p !== undefined && n < 64; p = parent.get(p), n++) if (p === anc) return true;
      return false;
    };
    const shared = a.correlation.sockets.filter((s) => new Set(s.owners.map((o) => o.pid)).size > 1);
    assert.ok(shared.some((s) => s.protocol === 'unix'), 'the sample has unix sockets shared by several processes (stdio of spawned commands)');
    for (const s of shared) {
      const pids = [...new Set(s.owners.map((o) => o.pid))];
      // One holder is the ancestor of all the others: they inherited it from there.
      assert.ok(pids.some((r) => pids.every((p) => ancestorOrSelf(r, p))), `socket ${s.id} (${s.protocol}) held by unrelated processes: ${s.owners.map((o) => `${o.comm}[${o.pid}] fd ${o.fd}`).join(', ')}`);
    }
    const demo = JSON.parse(readFileSync(join(sample, 'demo.json'), 'utf8')) as { server: { pid: number }; client: { pid: number; address: string } };
    // The demo resets the connection with `ss -K` (a netlink request): the client's TCP
    // socket stays the client ncat's alone, in the correlation and in the fd tables.
    const client = a.correlation.sockets.find((s) => s.protocol === 'tcp' && s.local?.addr === demo.client.address && s.remote?.port === 5000)!;
    assert.deepEqual([...new Set(client.owners.map((o) => o.pid))], [demo.client.pid]);
    const fdSocket = a.kernelModel!.fds!.socketOf(demo.client.pid, client.owners[0]!.fd, client.owners[0]!.from)!;
    assert.equal(fdSocket.protocol, 'tcp');
    assert.deepEqual([...new Set(fdSocket.fds.map((f) => f.comm))], ['ncat'], 'no ss netlink fd merged into the TCP socket');
    const story = buildStoryFromAnalysis(a, {});
    for (const c of story.otherConnections) {
      if (!c.processes.some((p) => p.pid === demo.server.pid)) continue;
      assert.ok(c.processes.every((p) => p.comm !== 'sh' && p.comm !== 'cat'), `the server ncat listed with unrelated shell processes: ${c.summary}`);
    }
  });
});

describe('capture-only stories (shared captures, no kernel trace)', { skip: needsCommands('tshark') }, () => {
  test('seed-ncat.pcapng: handshake, data, ACK and teardown with tshark’s frame numbers', async () => {
    const file = join(sharedCaptures, 'seed-ncat.pcapng');
    const frames = await tsharkTcpFrames(file);
    const story = buildStory(buildDataset([file]));
    assert.equal(story.steps.length, frames.length);
    const byFrame = (n: number) => story.steps.find((s) => s.frames[0] === n)!;
    const syn = frames.find((f) => flagNames(f.flags).join(',') === 'SYN')!;
    assert.match(byFrame(syn.number).title, /SYN arrives/);
    assert.equal(story.connection?.local?.port, syn.dport, 'the SYN’s destination is the server side');
    const synAck = frames.find((f) => flagNames(f.flags).join(',') === 'SYN,ACK')!;
    assert.match(byFrame(synAck.number).title, /SYN-ACK/);
    assert.match(byFrame(synAck.number + 1).title, /handshake completes/);
    const data = frames.find((f) => f.len > 0)!;
    assert.match(byFrame(data.number).title, new RegExp(`data sent \\(${data.len} bytes\\)`));
    const rst = frames.find((f) => flagNames(f.flags).includes('RST'))!;
    assert.match(byFrame(rst.number).title, /resets the connection/);
    assert.ok(story.limitations.some((l) => /No kernel trace/.test(l)));
  });

  test('lossy-transfer.pcapng: retransmissions stand out, routine segments are condensed', async () => {
    const file = join(sharedCaptures, 'lossy-transfer.pcapng');
    const frames = await tsharkTcpFrames(file);
    const story = buildStory(buildDataset([file]));
    assert.ok(story.steps.length < frames.length / 2, `${story.steps.length} steps for ${frames.length} frames`);
    assert.ok(story.steps.some((s) => /^retransmission: /.test(s.title)));
    assert.ok(story.steps.some((s) => /the same again/.test(s.title)));
    const told = new Set(story.steps.flatMap((s) => s.frames));
    for (const n of told) assert.ok(frames.some((f) => f.number === n), `frame #${n}`);
  });

  test('export needs a capture; packets on a plain capture has no process column', async () => {
    const r = await runCli(['packets', join(sharedCaptures, 'seed-ncat.pcapng'), '-c', '1']);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /\[\d+\] fd/);
    const e = await runCli(['export', manyThreads, '-o', '/dev/null']);
    assert.equal(e.code, 2);
    assert.match(e.stderr, /no capture to export/);
  });
});

describe('story CLI: bad input is one line and exit 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no input', ['story'], /expected BUNDLE/],
    ['missing path', ['story', '/nonexistent/bundle'], /no such file/],
    ['bad format', ['story', manyThreads, '--format', 'html'], /--format must be one of/],
    ['bad port', ['story', manyThreads, '--port', 'x'], /--port needs/],
    ['bad conn', ['story', manyThreads, '--conn', '1.2.3.4'], /--conn needs ADDR:PORT-ADDR:PORT/],
    ['unknown connection', ['story', manyThreads, '--conn', '10.0.0.1:1-10.0.0.2:2'], /no connection 10\.0\.0\.1:1-10\.0\.0\.2:2/],
    ['not a trace', ['story', join(sharedCaptures, '..', 'seed', '000_973a6ee016fef6d9.txt')], /neither a capture/],
    ['export without -o', ['export', manyThreads], /-o OUT\.pcapng is required/],
  ];
  for (const [name, args, re] of cases) {
    test(name, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    });
  }
});

describe('story building blocks', () => {
  test('--conn parsing (IPv4, IPv6 in brackets)', () => {
    assert.deepEqual(parseConnArg('10.0.0.1:5000-10.0.0.2:48464'), [
      { addr: '10.0.0.1', port: 5000 },
      { addr: '10.0.0.2', port: 48464 },
    ]);
    assert.deepEqual(parseConnArg('[fd00::1]:80-[fd00::2]:4000')[1], { addr: 'fd00::2', port: 4000 });
  });

  test('syscalls read like the seed: socket, setsockopt, fcntl, errors', () => {
    const fd = (n: number) => (n === 3 ? '3 = listen 10.0.0.1:5000' : String(n));
    assert.equal(callText('socket', { family: 2, type: 1, protocol: 6 }, fd, () => ''), 'socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)');
    assert.equal(callText('setsockopt', { fd: 3, level: 1, optname: 2 }, fd, () => ''), 'setsockopt(3 = listen 10.0.0.1:5000, SOL_SOCKET, SO_REUSEADDR)');
    assert.equal(callText('fcntl', { fd: 3, cmd: 4, arg: 0o4002 }, fd, () => ''), 'fcntl(3 = listen 10.0.0.1:5000, F_SETFL, O_RDWR|O_NONBLOCK)');
    assert.equal(returnText(-104), '= -104 ECONNRESET');
    assert.equal(returnText(4), '= 4');
  });

  test('seed mapping follows the server’s life', () => {
    const seq = ['exec', 'call:socket', 'call:setsockopt', 'call:bind', 'call:listen', 'call:fcntl', 'block:pselect6', 'syn', 'wakeup:pselect6:ack', 'return:pselect6', 'call:accept4', 'call:close', 'block:pselect6', 'call:read', 'call:fcntl', 'call:sendto', 'block:pselect6', 'rst', 'wakeup:pselect6:rst', 'return:pselect6', 'call:recvfrom', 'call:close', 'exit'];
    const titles: Record<number, string> = { 11: 'close(3 = listen 10.0.0.1:5000) = 0', 13: 'read(0 = stdin) = 6' };
    const got = assignSeedItems(seq.map((tag, i) => ({ tag, title: titles[i] ?? tag })));
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 17, 18, 19, 20, 21]);
  });
});
