/**
 * The seed experiment, recorded live: an ncat server (`ncat --listen ADDR 5000`) in one
 * network namespace, a client in another, joined by a veth pair; the server types
 * "Hello", the client answers with a line and resets the connection (RST, like the
 * seed). Checked against tshark and babeltrace2:
 * - every TCP frame is correlated to its net_dev_queue / net_if_receive_skb, on the right
 *   device, and every cited kernel event exists in babeltrace2's output;
 * - the server's wakeup before accept is attributed to the softirq NET_RX that processed
 *   the client's final handshake ACK (that frame);
 * - `packets` shows the process column, `export` writes process/fd comments tshark reads;
 * - the story holds every item of the seed's list with the right fds, addresses, frames.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needsCommands, needsRootTracefs, runCli } from '../support/env.js';
import { StoryLab } from './lab.js';
import { babeltraceEventKeys, eventKeyForOracle, flagNames, tsharkTcpFrames, type TsharkFrame } from './oracles.js';
import { runSeedConversation, type SeedConversationResult } from '../../src/bundle/index.js';
import { buildDataset, type Dataset } from '../../src/bundle/index.js';
import { analyze, buildStoryFromAnalysis, type Story } from '../../src/analysis/story/index.js';
import type { DatasetAnalysis } from '../../src/analysis/correlate/index.js';
import type { RecordResult } from '../../src/record/index.js';
import { analyzeKernel } from '../../src/analysis/kernel/index.js';

const skip = needsRootTracefs() ?? needsCommands('ncat', 'tshark', 'babeltrace2', 'nft');

describe('the seed experiment, recorded live (veth, ncat, RST)', { skip }, () => {
  let lab: StoryLab;
  let rec: RecordResult;
  let conv: SeedConversationResult;
  let ds: Dataset;
  let a: DatasetAnalysis;
  let story: Story;
  let frames: TsharkFrame[];
  let oracleEvents: Set<string>;
  /** Server-side frames (captured in the server's namespace), by role. */
  let serverSide: TsharkFrame[];
  let clientPort: number;

  before(async () => {
    lab = StoryLab.create();
    rec = await lab.record('seed', async () => {
      conv = await runSeedConversation({ serverNetns: lab.server, clientNetns: lab.client, serverAddress: lab.serverAddress, teardown: 'rst' });
    });
    ds = buildDataset([rec.bundleDir]);
    a = analyze(ds);
    story = buildStoryFromAnalysis(a, {});
    frames = await tsharkTcpFrames(join(rec.bundleDir, 'capture.pcapng'));
    oracleEvents = await babeltraceEventKeys(rec.kernelDir);
    const serverIface = rec.bundle.capture.interfaces.find((i) => i.netns === lab.server)!.id;
    serverSide = frames.filter((f) => f.iface === serverIface);
    clientPort = serverSide.find((f) => f.dport === 5000)!.sport;
  });
  after(() => lab?.destroy());

  test('the conversation happened as in the seed', () => {
    assert.equal(conv.clientReceived, 'Hello\n');
    assert.match(conv.serverReceived, /Hi from the client/);
    const names = serverSide.map((f) => flagNames(f.flags).join(','));
    assert.deepEqual(names.slice(0, 3), ['SYN', 'SYN,ACK', 'ACK']);
    assert.ok(names.includes('RST,ACK'), `server side frames: ${names.join(' ')}`);
  });

  test('every TCP frame of the veth recording is correlated to its device event', () => {
    assert.ok(frames.length >= 14, `${frames.length} TCP frames`);
    assert.equal(a.correlation.stats.tcpFrames, frames.length);
    for (const f of frames) {
      const fc = a.correlation.frames.get(f.number)!;
      assert.ok(fc.matched, `frame #${f.number} not matched: ${fc.reason}`);
      const df = ds.frames[f.number - 1]!;
      const anchor = fc.anchor!;
      assert.equal(anchor.event.name, df.direction === 'out' ? 'net_dev_queue' : 'net_if_receive_skb', `frame #${f.number}`);
      assert.equal(anchor.dev, df.device, `frame #${f.number} device`);
      const ipLen = df.l3Len;
      assert.ok(anchor.len === ipLen || anchor.len === ipLen + 14, `frame #${f.number}: event len ${anchor.len} vs IP length ${ipLen}`);
      // A veth crossing is one sk_buff: the frame at the other end shares the journey.
      assert.equal(fc.sameSkbFrames.length, 1, `frame #${f.number} other end: ${fc.sameSkbFrames}`);
      for (const e of fc.events) assert.ok(oracleEvents.has(eventKeyForOracle(e)), `frame #${f.number}: ${eventKeyForOracle(e)} not in babeltrace2's output`);
      // Each event is cited once (a tcp_probe is both a hop of the buffer and a TCP event).
      assert.equal(new Set(fc.events.map(eventKeyForOracle)).size, fc.events.length, `frame #${f.number} cites an event twice`);
    }
    assert.equal(a.correlation.unmatchedEvents.filter((u) => /tws/.test(u.dev ?? '')).length, 0, JSON.stringify(a.correlation.unmatchedEvents.slice(0, 3), (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  });

  test('received frames carry their softirq NET_RX (no hard IRQ on veth), sent ones their origin', () => {
    for (const f of serverSide) {
      const fc = a.correlation.frames.get(f.number)!;
      const df = ds.frames[f.number - 1]!;
      if (df.direction === 'in') {
        assert.equal(fc.softirq?.vec, 3, `frame #${f.number} softirq`);
        assert.equal(fc.irq, null, `frame #${f.number}: veth has no hard IRQ`);
        assert.equal(fc.softirq!.raisedBy?.kind, 'task');
      } else {
        assert.ok(fc.origin, `frame #${f.number} origin`);
      }
    }
    const hello = serverSide.find((f) => f.len === 6 && f.sport === 5000)!;
    const origin = a.correlation.frames.get(hello.number)!.origin!;
    assert.equal(origin.kind, 'syscall');
    assert.equal(origin.kind === 'syscall' && origin.syscall, 'sendto');
    assert.equal(origin.kind === 'syscall' && origin.pid, conv.serverPid);
    assert.equal(origin.kind === 'syscall' && origin.fd, 4);
    const synAck = serverSide.find((f) => flagNames(f.flags).join(',') === 'SYN,ACK')!;
    assert.equal(a.correlation.frames.get(synAck.number)!.origin?.kind, 'softirq', 'the SYN-ACK is sent by the kernel in softirq');
  });

  test("the server's accept wakeup is attributed to the softirq that processed the client's final ACK", () => {
    const finalAck = serverSide.find((f) => flagNames(f.flags).join(',') === 'ACK' && f.seq === 1 && f.ack === 1 && f.dport === 5000)!;
    const acceptCall = story.steps.find((s) => s.seedItem === 10)!;
    // the wakeup that ended the server's select: the last one before accept that a packet
    // caused (other softirqs — timers, RCU — may wake the server too: flaky before)
    const wake = a.wakeups.filter((w) => w.pid === conv.serverPid && w.exitTs !== null && w.exitTs < acceptCall.ts && w.exitTs > acceptCall.ts - 1_000_000_000n && w.waker?.ctx.kind === 'softirq' && w.cause.kind === 'packet').at(-1);
    assert.ok(wake, 'a wakeup of the server before accept');
    assert.equal(wake.waker!.ctx.softirq!.vec, 3);
    assert.equal(wake.cause.kind, 'packet');
    assert.equal(wake.cause.frame, finalAck.number);
    const fc = a.correlation.frames.get(finalAck.number)!;
    assert.equal(fc.softirq, wake.waker!.ctx.softirq, 'the same softirq run processed the ACK and woke the server');
    assert.ok(fc.stateChanges.some((c) => c.change.from === 3 && c.change.to === 1), 'SYN_RECV → ESTABLISHED');
    assert.ok(oracleEvents.has(eventKeyForOracle(wake.waker!.event)));
  });

  test('packets are attributed to the process and fd through the 4-tuple', async () => {
    for (const f of serverSide) {
      const fc = a.correlation.frames.get(f.number)!;
      assert.equal(fc.owner?.pid, conv.serverPid, `frame #${f.number}`);
      const handshake = flagNames(f.flags).includes('SYN') || (f.seq === 1 && f.ack === 1 && f.len === 0 && f.dport === 5000);
      assert.equal(fc.owner?.fd, handshake ? 3 : 4, `frame #${f.number} fd (${fc.owner?.how})`);
    }
    const clientSide = frames.filter((f) => !serverSide.includes(f));
    for (const f of clientSide) assert.equal(a.correlation.frames.get(f.number)!.owner?.pid, conv.clientPid, `client frame #${f.number}`);
    const r = await runCli(['packets', rec.bundleDir]);
    assert.equal(r.code, 0, r.stderr);
    const hello = serverSide.find((f) => f.len === 6)!;
    const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith(`${hello.number} `))!;
    assert.match(line, new RegExp(`ncat\\[${conv.serverPid}\\] fd 4`));
  });

  test('the sockets agree with the kernel analysis’s fd tables (src/analysis/fds)', () => {
    const fds = analyzeKernel(ds.kernel!, { statistics: false }).fds!;
    const checks: Array<[number, number]> = [
      [conv.serverPid, 3],
      [conv.serverPid, 4],
    ];
    const client = a.correlation.sockets.find((s) => s.owners.some((o) => o.pid === conv.clientPid) && s.remote?.port === 5000)!;
    checks.push([conv.clientPid, client.owners.find((o) => o.pid === conv.clientPid)!.fd]);
    for (const [pid, fd] of checks) {
      const mine = a.correlation.sockets.find((s) => s.owners.some((o) => o.pid === pid && o.fd === fd) && s.protocol === 'tcp')!;
      const binding = mine.owners.find((o) => o.pid === pid && o.fd === fd)!;
      const theirs = fds.socketOf(pid, fd, binding.from + 1n);
      assert.ok(theirs, `fd ${fd} of ${pid} unknown to the kernel analysis`);
      assert.equal(theirs.local, `${mine.local!.addr}:${mine.local!.port}`, `local of ${pid}/${fd}`);
      assert.equal(theirs.remote, mine.remote ? `${mine.remote.addr}:${mine.remote.port}` : null, `remote of ${pid}/${fd}`);
    }
  });

  test('export writes pcapng comments with the process and fd (tshark reads them)', async () => {
    const out = join(rec.bundleDir, '..', 'annotated.pcapng');
    const r = await runCli(['export', rec.bundleDir, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const exported = await tsharkTcpFrames(out);
    assert.equal(exported.length, frames.length);
    for (const f of exported) {
      const fc = a.correlation.frames.get(f.number)!;
      assert.match(f.comment, new RegExp(`process=${fc.owner!.comm} pid=${fc.owner!.pid} fd=${fc.owner!.fd}`), `frame #${f.number}: ${f.comment}`);
      assert.match(f.comment, /kernel: net_(dev_queue|if_receive_skb) /);
    }
  });

  test('the story holds every step of the seed list, with fds, addresses and frames', () => {
    const server = lab.serverAddress;
    const client = lab.clientAddress;
    assert.equal(story.subject?.pid, conv.serverPid);
    assert.equal(story.connection?.local?.addr, server);
    assert.equal(story.connection?.remote?.port, clientPort);
    const bySeed = (n: number) => story.steps.filter((s) => s.seedItem === n);
    for (let n = 1; n <= 21; n++) assert.ok(bySeed(n).length, `seed item ${n} missing:\n${story.steps.map((s) => `${s.n} [${s.seedItem ?? ''}] ${s.title}`).join('\n')}`);
    const one = (n: number) => bySeed(n)[0]!;
    assert.match(one(1).title, /ncat/);
    assert.match(one(2).title, /^socket\(AF_INET, SOCK_STREAM, IPPROTO_TCP\) = 3/);
    assert.match(one(3).title, /setsockopt\(3 = listen .*SO_REUSEADDR/);
    assert.match(one(4).title, new RegExp(`bind\\(3\\) = 0 → ${server}:5000`));
    assert.match(one(5).title, new RegExp(`listen\\(3 = listen ${server}:5000`));
    assert.match(one(5).text, /CLOSE → LISTEN/);
    assert.match(one(7).title, /select.*3 = listen.*blocks/);
    const syn = serverSide.find((f) => flagNames(f.flags).join(',') === 'SYN')!;
    const synAck = serverSide.find((f) => flagNames(f.flags).join(',') === 'SYN,ACK')!;
    const finalAck = serverSide.find((f) => flagNames(f.flags).join(',') === 'ACK' && f.seq === 1 && f.ack === 1 && f.dport === 5000)!;
    const item8 = bySeed(8);
    assert.ok(item8.some((s) => s.kind === 'packet' && s.frames.includes(syn.number) && /SYN arrives/.test(s.title) && /softirq NET_RX on CPU \d/.test(s.text)));
    assert.ok(item8.some((s) => s.frames.includes(synAck.number) && /SYN-ACK/.test(s.title) && /no system call of ncat/.test(s.text)));
    assert.ok(item8.some((s) => s.frames.includes(finalAck.number) && /handshake completes/.test(s.title) && /SYN_RECV → ESTABLISHED/.test(s.text)));
    assert.ok(item8.some((s) => s.kind === 'wakeup' && s.frames.includes(finalAck.number) && /softirq NET_RX/.test(s.title)));
    assert.match(one(9).title, /select returns 1|pselect6 returns 1/);
    assert.match(one(10).title, new RegExp(`accept4?\\(3 = listen ${server}:5000\\) → 4 = ${client}:${clientPort}`));
    assert.ok(one(10).latencyNs! > 0n && one(10).frames.includes(syn.number), 'SYN → accept latency');
    assert.match(one(11).title, new RegExp(`close\\(3 = listen ${server}:5000\\)`));
    assert.match(one(12).title, new RegExp(`0 = stdin.*4 = ${client}:${clientPort}.*blocks`));
    assert.match(one(13).title, /^read\(0 = stdin.*\) = 6/);
    assert.match(one(14).title, /^fcntl\(4 = /);
    const hello = serverSide.find((f) => f.len === 6 && f.sport === 5000)!;
    assert.match(one(15).title, new RegExp(`sendto\\(4 = ${client}:${clientPort}, 6 bytes\\) = 6 → net_dev_queue → net_dev_xmit → frame #${hello.number} \\[PSH,ACK\\] len 6`));
    assert.ok(one(15).latencyNs! > 0n && one(15).latencyNs! < 1_000_000_000n);
    assert.match(one(16).title, /blocks/);
    const rst = serverSide.find((f) => flagNames(f.flags).includes('RST'))!;
    assert.ok(bySeed(17).some((s) => s.frames.includes(rst.number) && /RST/.test(s.title)));
    assert.ok(bySeed(17).some((s) => s.kind === 'wakeup' && s.frames.includes(rst.number)));
    assert.match(one(18).title, /returns 1/);
    assert.match(one(19).title, /^recvfrom\(4 = .*= -104 ECONNRESET/);
    assert.match(one(20).title, new RegExp(`^close\\(4 = ${client}:${clientPort}\\) = 0`));
    assert.match(one(21).title, /^exit_group\(/);
    // The peer's ACK of "Hello" (ACK 7) is told, and the client's line read with its latency.
    const ack7 = serverSide.find((f) => f.ack === 7 && f.len === 0 && f.dport === 5000 && flagNames(f.flags).join(',') === 'ACK')!;
    assert.ok(story.steps.some((s) => s.frames.includes(ack7.number) && /acknowledges/.test(s.title) && /not woken/.test(s.text)));
    const line = serverSide.find((f) => f.dport === 5000 && f.len > 0)!;
    const recv = story.steps.find((s) => /^recvfrom\(4 = .*\) = \d+ ← frame/.test(s.title))!;
    assert.ok(recv.frames.includes(line.number) && recv.latencyNs! > 0n);
    assert.ok(story.latencies.syn_to_accept_ns! > 0n && story.latencies.send_to_wire_ns! > 0n && story.latencies.wire_to_recv_ns! > 0n);
  });

  test('every step cites real events (babeltrace2) and frames (tshark), in time order', () => {
    const numbers = new Set(frames.map((f) => f.number));
    let last = -1n;
    for (const s of story.steps) {
      assert.ok(s.relNs >= last, `step ${s.n} goes back in time`);
      last = s.relNs;
      if (s.kind !== 'note') assert.ok(s.events.length > 0, `step ${s.n} cites no event`);
      for (const e of s.events) assert.ok(oracleEvents.has(eventKeyForOracle(e)), `step ${s.n}: ${eventKeyForOracle(e)}`);
      for (const n of s.frames) assert.ok(numbers.has(n), `step ${s.n}: frame #${n}`);
    }
  });

  test('the kernel trace alone (no capture) still tells the story from kernel events', () => {
    const ka = analyze(buildDataset([rec.kernelDir]));
    // The machine's other connections are in the trace too: the seed's is still the most complete.
    assert.equal(buildStoryFromAnalysis(ka, {}).connection?.local?.addr, lab.serverAddress);
    const k = buildStoryFromAnalysis(ka, { port: 5000 });
    assert.equal(k.subject?.pid, conv.serverPid);
    const titles = k.steps.map((s) => s.title).join('\n');
    assert.match(titles, new RegExp(`accept4?\\(3 = listen ${lab.serverAddress}:5000\\) → 4 = ${lab.clientAddress}:${clientPort}`));
    assert.match(titles, /a packet arrives: \d+ bytes on \S+ \(not captured\) — LISTEN → SYN_RECV, SYN_RECV → ESTABLISHED/);
    assert.match(titles, /sendto\(4 = .*, 6 bytes\) = 6 → net_dev_queue → net_dev_xmit \(\d+ bytes on \S+, not captured\)/);
    assert.match(titles, /a packet arrives: .* — ESTABLISHED → CLOSE/);
    assert.ok(k.steps.some((s) => s.kind === 'wakeup' && /softirq NET_RX/.test(s.title)));
    for (let n = 1; n <= 21; n++) if (![8, 17].includes(n)) assert.ok(k.steps.some((s) => s.seedItem === n), `seed item ${n}`);
    assert.ok(k.limitations.some((l) => /No packet capture/.test(l)));
  });

  test('tracewire story prints the same story as text, markdown and JSON', async () => {
    const text = await runCli(['story', rec.bundleDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /accept4?\(3 = listen/);
    assert.match(text.stdout, /events: \d\d:\d\d:\d\d\.\d{9} /);
    const md = await runCli(['story', rec.bundleDir, '--format', 'markdown']);
    assert.match(md.stdout, /^# Story of /);
    const json = await runCli(['story', rec.bundleDir, '--format', 'json', '--port', '5000']);
    const doc = JSON.parse(json.stdout) as { steps: Array<{ n: number; title: string; events: Array<{ ts: number | string; name: string; cpu: number }> }>; connection: { id: string } };
    assert.equal(doc.steps.length, story.steps.length);
    assert.equal(doc.steps[0]!.title, story.steps[0]!.title);
    const byConn = await runCli(['story', rec.bundleDir, '--conn', `${lab.clientAddress}:${clientPort}-${lab.serverAddress}:5000`, '--format', 'json']);
    assert.equal((JSON.parse(byConn.stdout) as { connection: { id: string } }).connection.id, doc.connection.id);
    const byPid = await runCli(['story', rec.bundleDir, '--pid', String(conv.clientPid)]);
    assert.equal(byPid.code, 0, byPid.stderr);
    assert.match(byPid.stdout, new RegExp(`Following .*pid ${conv.clientPid}`));
    const none = await runCli(['story', rec.bundleDir, '--port', '1']);
    assert.equal(none.code, 2);
    assert.equal(none.stderr.trim().split('\n').length, 1);
  });
});
