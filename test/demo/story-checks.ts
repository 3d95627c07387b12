/**
 * What a story of the seed experiment must show, checked against the capture as tshark
 * reads it: the handshake frames (SYN, SYN-ACK, ACK) with their numbers, accept and the
 * wakeup that led to it, "Hello" (6 bytes) out and the client's line in, the client's
 * RST, the close and exit_group, and file descriptors resolved to addresses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { oracleFrames, parseStorySteps, stepMatching, TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN, type OracleFrame } from './support.js';

export interface SeedStoryFacts {
  readonly serverPid: number;
  readonly clientPort: number;
  readonly steps: number;
}

const SERVER = '10.77.0.1';
const CLIENT = '10.77.0.2';

function frame(frames: readonly OracleFrame[], n: number): OracleFrame {
  const f = frames.find((x) => x.frame === n);
  assert.ok(f, `frame #${n} is in the capture`);
  return f;
}

function assertTcp(f: OracleFrame, from: 'server' | 'client', flags: number, payload: number, what: string): void {
  assert.ok(f.tcp, `${what}: frame #${f.frame} is TCP`);
  assert.equal(f.tcp.flags & 0x3f, flags, `${what}: frame #${f.frame} has flags 0x${flags.toString(16)} (tshark: 0x${f.tcp.flags.toString(16)})`);
  assert.equal(f.tcp.payload, payload, `${what}: frame #${f.frame} carries ${payload} bytes`);
  const [src, sport, dst, dport] = from === 'server' ? [SERVER, 5000, CLIENT, f.dport] : [CLIENT, f.sport, SERVER, 5000];
  assert.deepEqual([f.src, f.sport, f.dst, f.dport], [src, sport, dst, dport], `${what}: frame #${f.frame} goes ${from} → other`);
}

/**
 * Checks the text story `tracewire demo` printed for the bundle in `bundleDir`. `flavour`
 * says which ncat ran: nmap's waits in (p)select and sends with sendto/recvfrom, ours (on
 * Node) in epoll_pwait with write/read.
 */
export async function checkSeedStory(story: string, bundleDir: string, flavour: 'tracewire' | 'nmap', clientLineBytes = 19): Promise<SeedStoryFacts> {
  const demo = JSON.parse(readFileSync(join(bundleDir, 'demo.json'), 'utf8')) as { server: { pid: number; exit_code: number }; teardown: string; completed: boolean; ncat: string };
  assert.equal(demo.completed, true, 'demo.json: the session completed');
  assert.equal(demo.teardown, 'rst', 'demo.json: the client host reset the connection');
  assert.equal(demo.ncat, flavour);
  assert.equal(demo.server.exit_code, 1, 'ncat exits with 1 after a reset');

  const header = /^Story of 10\.77\.0\.1:5000 ↔ 10\.77\.0\.2:(\d+) TCP/m.exec(story);
  assert.ok(header, `the story is about 10.77.0.1:5000 ↔ the client:\n${story.slice(0, 400)}`);
  const clientPort = Number(header[1]);
  assert.match(story, new RegExp(`^Following ncat \\(pid ${demo.server.pid}\\b`, 'm'), 'the story follows the server ncat');
  const steps = parseStorySteps(story);
  const frames = await oracleFrames(join(bundleDir, 'capture.pcapng'));
  const at = (re: RegExp) => stepMatching(steps, re);

  // The server's set-up, with the listening socket resolved to its address.
  const socket = at(/^socket\(AF_INET, SOCK_STREAM/);
  const listen = at(/^listen\(\d+ = listen 10\.77\.0\.1:5000\b/);
  at(/^bind\(\d+\).*10\.77\.0\.1:5000/);
  assert.ok(socket.n < listen.n);
  const firstBlock = at(flavour === 'nmap' ? /^p?select6?\(.*= listen 10\.77\.0\.1:5000.*\) blocks/ : /^epoll_pwait\(.*\) blocks/);
  assert.ok(firstBlock.n > listen.n);
  // A wait that returned at once says what its return value says (a story once called a
  // poll returning 0 "something was ready").
  for (const s of steps.filter((x) => /^(p?select6?|e?poll|ppoll|epoll_pwait2?)\(.*\) = -?\d+/.test(x.title))) {
    const ret = Number(/\) = (-?\d+)/.exec(s.title)![1]);
    if (ret === 0) assert.match(s.text, /nothing was ready/, `step ${s.n}: ${s.text}`);
    else if (ret > 0) assert.match(s.text, /ready at once/, `step ${s.n}: ${s.text}`);
  }

  // The handshake: three frames, numbered as tshark numbers them.
  const syn = at(/^SYN arrives: frame #(\d+) 10\.77\.0\.2:\d+ → 10\.77\.0\.1:5000 \[SYN\]/);
  const synAck = at(/^the kernel answers SYN-ACK: frame #(\d+) 10\.77\.0\.1:5000 → 10\.77\.0\.2:\d+ \[SYN,ACK\]/);
  const ack = at(/^the handshake completes: frame #(\d+) 10\.77\.0\.2:\d+ → 10\.77\.0\.1:5000 \[ACK\]/);
  const num = (s: { title: string }) => Number(/frame #(\d+)/.exec(s.title)![1]);
  assertTcp(frame(frames, num(syn)), 'client', TCP_SYN, 0, 'SYN');
  assertTcp(frame(frames, num(synAck)), 'server', TCP_SYN | TCP_ACK, 0, 'SYN-ACK');
  assertTcp(frame(frames, num(ack)), 'client', TCP_ACK, 0, 'handshake ACK');
  assert.match(synAck.text, /no system call of ncat/, 'the SYN-ACK is sent by the kernel, not ncat');
  assert.ok(firstBlock.n < syn.n && syn.n < synAck.n && synAck.n < ack.n);

  // accept, and the wakeup that led to it: the handshake's last ACK in softirq NET_RX.
  const wake = at(new RegExp(`^wakeup: frame #${num(ack)} processed by softirq NET_RX`));
  const accept = at(/^accept4?\(\d+ = listen 10\.77\.0\.1:5000\) → \d+ = 10\.77\.0\.2:(\d+)/);
  assert.equal(Number(/10\.77\.0\.2:(\d+)/.exec(accept.title)![1]), clientPort, 'accept returns the client connection');
  assert.ok(ack.n < wake.n && wake.n < accept.n, 'handshake → wakeup → accept');
  const closeListen = at(/^close\(\d+ = listen 10\.77\.0\.1:5000\)/);
  assert.ok(closeListen.n > accept.n, 'ncat closes its listening socket after accept');

  // "Hello": read from stdin, sent on the connection, frame numbers from the capture.
  at(/^read\(0 = stdin.*\) = 6\b/);
  const send = at(flavour === 'nmap' ? /^sendto\(\d+ = 10\.77\.0\.2:\d+, 6 bytes\) = 6 .*frame #(\d+) \[PSH,ACK\] len 6/ : /^write\(\d+ = 10\.77\.0\.2:\d+, 6 bytes\) = 6 .*frame #(\d+) \[PSH,ACK\] len 6/);
  assertTcp(frame(frames, num(send)), 'server', TCP_PSH | TCP_ACK, 6, 'Hello');
  const peerAck = at(/^the peer acknowledges \(ACK 7\): frame #(\d+)/);
  assertTcp(frame(frames, num(peerAck)), 'client', TCP_ACK, 0, 'ACK of Hello');
  assert.equal(frame(frames, num(peerAck)).tcp!.ack, 7);

  // The client's line, received and read.
  const arrives = at(new RegExp(`^data arrives \\(${clientLineBytes} bytes\\): frame #(\\d+)`));
  assertTcp(frame(frames, num(arrives)), 'client', TCP_PSH | TCP_ACK, clientLineBytes, "the client's line");
  const recv = at(new RegExp(`^(recvfrom|read)\\(\\d+ = 10\\.77\\.0\\.2:\\d+, \\d+ bytes max\\) = ${clientLineBytes} ← frame #${num(arrives)}`));
  assert.ok(send.n < arrives.n && arrives.n < recv.n);

  // Teardown: the client's RST,ACK wakes ncat, whose read fails; close; exit_group.
  const rst = at(/^the peer resets the connection \(RST\): frame #(\d+) 10\.77\.0\.2:\d+ → 10\.77\.0\.1:5000 \[RST,ACK\]/);
  assertTcp(frame(frames, num(rst)), 'client', TCP_RST | TCP_ACK, 0, 'RST');
  assert.equal(frame(frames, num(rst)).tcp!.ack, 7, 'RST,ACK acknowledges up to byte 7, as in the seed');
  const wakeRst = at(new RegExp(`^wakeup: frame #${num(rst)} processed by softirq NET_RX`));
  const reset = at(/^(recvfrom|read)\(\d+ = 10\.77\.0\.2:\d+.*\) = -104 ECONNRESET/);
  // when the kernel took the reset, as a duration (it was once a raw nanosecond count)
  assert.match(reset.text, /tcp_receive_reset [\d.]+ (ns|µs|ms|s) before this call/, reset.text);
  const closeConn = steps.find((s) => s.n > reset.n && /^close\(\d+ = 10\.77\.0\.2:\d+\)/.test(s.title));
  assert.ok(closeConn, 'ncat closes the connection after the reset');
  const exit = at(/^exit_group\(1\)/);
  assert.ok(recv.n < rst.n && rst.n < wakeRst.n && wakeRst.n < reset.n && reset.n < closeConn.n && closeConn.n < exit.n, 'RST → wakeup → ECONNRESET → close → exit_group');

  // Seed item numbers: the walkthrough's mapping is in the story itself.
  for (const item of [2, 3, 4, 5, 7, 8, 10, 11, 13, 15, 17, 20, 21]) assert.match(story, new RegExp(`\\[seed ${item}\\]`), `a step maps to the seed's item ${item}`);
  // the other connections: alike ones counted on one line, sockets without ends by their kind
  const others = /^Other connections \((\d+);.*\n((?: {2}.*\n)*)/m.exec(story);
  if (others) {
    const lines = others[2]!.trimEnd().split('\n');
    assert.equal(new Set(lines).size, lines.length, `no line twice:\n${others[2]}`);
    assert.ok(lines.every((l) => !/^ {2}\w+ socket \w+, 0 frames/.test(l)), `sockets without ends are named by their kind:\n${others[2]}`);
  }
  return { serverPid: demo.server.pid, clientPort, steps: steps.length };
}
