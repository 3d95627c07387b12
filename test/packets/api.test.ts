/**
 * The public API the correlation and UI code builds on: openCapture/frames, dissectFrame
 * and the flat summary, the streaming TcpAnalyzer with its conversation totals, the
 * display filter, and the packet commands' options (bundle directories, --count,
 * --help, bad flags).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture, LinkType } from '../../src/pcap/index.js';
import { dissectFrame, Dissector, Proto, formatIpv6At, parseIpv6 } from '../../src/dissect/index.js';
import { TcpAnalyzer, TcpExpert, analysisNames, packetFields, PacketStream, type AnalyzedPacket } from '../../src/analysis/tcp/index.js';
import { compileFilter, FilterError } from '../../src/filter/index.js';
import { outputDir, runCli, sharedCaptures } from '../support/env.js';
import { ethernet, ipv4, ipv6, opt, tcp, udp } from './support/craft.js';

const seed = join(sharedCaptures, 'seed-ncat.pcapng');

describe('openCapture and frames', () => {
  test('interfaces and frames of the seed capture', () => {
    const cap = openCapture(seed);
    assert.equal(cap.interfaces[0]!.linkType, LinkType.ETHERNET);
    const frames = [...cap.frames()];
    assert.equal(frames.length, 7);
    assert.equal(frames[0]!.number, 1);
    assert.equal(frames[0]!.ts, 1_795_607_085_799_694_211n);
    assert.equal(frames[0]!.caplen, frames[0]!.data.length);
    assert.deepEqual(frames[0]!.comments, []);
    assert.throws(() => [...cap.frames()], /only once/);
  });
});

describe('dissectFrame', () => {
  test('layers and fields of a TCP SYN with options', () => {
    const syn = ethernet(0x0800, ipv4({ src: '10.77.220.1', dst: '10.77.220.2', proto: 6, id: 77, ttl: 61 }, tcp({ sport: 40000, dport: 5000, seq: 123, flags: 0x02, win: 64240, options: [...opt.mss(1460), ...opt.sackPerm(), ...opt.ts(11, 0), ...opt.ws(10)] })), [5]);
    const d = dissectFrame({ data: syn }, LinkType.ETHERNET);
    assert.deepEqual(
      d.layers.map((l) => l.protocol),
      ['eth', 'vlan', 'ip', 'tcp'],
    );
    const ip = d.layers[2]!.fields;
    assert.equal(ip['ip.src'], 0x0a4ddc01);
    assert.equal(ip['ip.ttl'], 61);
    assert.equal(ip['ip.id'], 77);
    const t = d.layers[3]!.fields;
    assert.equal(t['tcp.srcport'], 40000);
    assert.equal(t['tcp.flags.syn'], true);
    assert.equal(t['tcp.flags.ack'], false);
    assert.equal(t['tcp.options.mss_val'], 1460);
    assert.equal(t['tcp.options.wscale.shift'], 10);
    assert.equal(t['tcp.options.timestamp.tsval'], 11);
    const s = d.summary;
    assert.equal(s.vlanId, 5);
    assert.equal(s.srcAddress, '10.77.220.1');
    assert.equal(s.dstPort, 5000);
    assert.equal(s.tcpSeq, 123);
    assert.equal(s.tcpPayloadLength, 0);
    assert.equal(s.ipId, 77);
    assert.equal(d.malformed, null);
  });

  test('IPv6 addresses print as inet_ntop does', () => {
    for (const text of ['fe80::1', '::1', '::', '2001:db8::8:800:200c:417a', '::ffff:10.1.2.3', '::10.1.2.3', '1:0:0:1::1', 'fd77:0:0:5::2']) {
      assert.equal(formatIpv6At(parseIpv6(text)!, 0), text);
    }
    const d = dissectFrame({ data: ethernet(0x86dd, ipv6('fd77:0:0:5::1', 'fd77:0:0:5::2', 17, udp(1, 2, 3))) }, LinkType.ETHERNET);
    assert.equal(d.summary.srcAddress, 'fd77:0:0:5::1');
    assert.equal(d.summary.transport, Proto.UDP);
  });

  test('a damaged frame yields what is present and a reason', () => {
    const full = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sport: 1, dport: 2, seq: 3, flags: 0x10, win: 4 })));
    const d = dissectFrame({ data: full.subarray(0, 38), len: full.length }, LinkType.ETHERNET);
    assert.equal(d.truncated, true);
    assert.equal(d.summary.srcPort, 1);
    assert.equal(d.layers.at(-1)!.protocol, 'tcp');
    const e = dissectFrame({ data: full.subarray(0, 38) }, LinkType.ETHERNET);
    assert.match(e.malformed ?? '', /TCP header cut short/);
  });
});

describe('TcpAnalyzer', () => {
  test('streams, relative numbers and conversation totals of the seed capture', () => {
    const cap = openCapture(seed);
    const dissector = new Dissector();
    const analyzer = new TcpAnalyzer();
    const seen: [number, number, number, string[]][] = [];
    for (const f of cap.frames()) {
      const s = dissector.decode(f, cap.interfaces[f.interfaceId]!.linkType);
      const r = analyzer.analyze(f, s);
      seen.push([r.stream, r.seq, r.payloadLength, analysisNames(r.expert)]);
    }
    assert.deepEqual(seen[3], [0, 1, 6, []]);
    assert.equal(analyzer.streamCount, 1);
    const c = analyzer.conversations[0]!;
    assert.equal(c.addressA, '10.231.0.2');
    assert.equal(c.portB, 5000);
    assert.equal(c.framesAtoB, 5);
    assert.equal(c.framesBtoA, 2);
    assert.equal(c.payloadBtoA, 6);
    assert.equal(c.retransmissions, 0);
    assert.equal(c.handshakeRttNs, 51_904);
    assert.ok(c.synSeen && c.finSeen && c.rstSeen);
    assert.equal(c.durationNs, 1_956_689_108);
  });

  test('expert flag names follow tshark (fast retransmission is also a retransmission)', () => {
    assert.deepEqual(analysisNames(TcpExpert.FAST_RETRANSMISSION | TcpExpert.ACK_LOST_SEGMENT), ['ack_lost_segment', 'fast_retransmission', 'retransmission']);
  });
});

describe('display filter', () => {
  const run = (text: string) => {
    const f = compileFilter<AnalyzedPacket>(text, (n) => packetFields().get(n));
    const out: number[] = [];
    const stream = new PacketStream(openCapture(seed));
    for (let p = stream.next(); p; p = stream.next()) if (f(p)) out.push(p.frame.number);
    return out;
  };

  test('the issue example and boolean fields', () => {
    assert.deepEqual(run('tcp.port == 5000 && tcp.flags.syn'), [1, 2]);
    assert.deepEqual(run('tcp.flags.syn && !tcp.flags.ack'), [1]);
    assert.deepEqual(run('tcp.flags.reset'), [7]);
  });

  test('comparisons, sets, ranges, addresses, contains, matches', () => {
    assert.deepEqual(run('tcp.len > 0'), [4]);
    assert.deepEqual(run('tcp.len >= 6 or frame.number in {1, 6..7}'), [1, 4, 6, 7]);
    assert.deepEqual(run('ip.src == 10.231.0.1'), [2, 4]);
    assert.deepEqual(run('ip.addr == 10.231.0.0/24').length, 7);
    assert.deepEqual(run('ip.addr != 10.231.0.1'), []);
    assert.deepEqual(run('tcp contains "Hello"'), [4]);
    assert.deepEqual(run('tcp.payload contains 48:65'), [4]);
    assert.deepEqual(run('frame.protocols matches "tcp$"').length, 7);
    assert.deepEqual(run('tcp.stream eq 0 and tcp.seq == 1 and tcp.ack == 7'), [5, 6]);
    assert.deepEqual(run('udp'), []);
    assert.deepEqual(run('not (tcp.srcport == 5000)'), [1, 3, 5, 6, 7]);
    assert.deepEqual(run('tcp.srcport == tcp.dstport'), []);
  });

  test('errors name the column', () => {
    assert.throws(() => run('tcp.port == '), (e: Error) => e instanceof FilterError && /expected a value at column 13/.test(e.message));
    assert.throws(() => run('tcp.prot == 1'), /unknown field 'tcp.prot' at column 1/);
    assert.throws(() => run('ip.src == 300.1.1.1'), /is not an IPv4 address/);
    assert.throws(() => run('(tcp'), /missing '\)'/);
    assert.throws(() => run('tcp.len == "x'), /unterminated string/);
  });
});

describe('packet commands', () => {
  test('--help documents the filter language, formats and damage handling', async () => {
    const r = await runCli(['packets', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--format jsonl/);
    assert.match(r.stdout, /tcp\.port == 5000 && tcp\.flags\.syn/);
    for (const cmd of ['conversations', 'follow']) {
      const h = await runCli([cmd, '--help']);
      assert.equal(h.code, 0);
      assert.match(h.stdout, new RegExp(`Usage: tracewire ${cmd}`));
    }
  });

  test('a bundle directory, --count and --filter', async () => {
    const dir = join(outputDir, `packets-bundle-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      copyFileSync(seed, join(dir, 'capture.pcapng'));
      const r = await runCli(['packets', dir, '--count', '2']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, 2);
      assert.match(r.stdout, /60438 → 5000 \[SYN\] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=2782849424 TSecr=0 WS=1024/);
      const f = await runCli(['packets', dir, '--filter', 'tcp.len > 0', '--format', 'jsonl']);
      assert.equal(f.stdout.trim().split('\n').length, 1);
      const c = await runCli(['conversations', dir, '--format', 'jsonl']);
      const rec = JSON.parse(c.stdout.trim()) as Record<string, unknown>;
      assert.equal(rec.type, 'tcp');
      assert.equal(rec.handshake_rtt_ns, 51904);
      assert.equal(rec.payload_b_to_a, 6);
      const fo = await runCli(['follow', dir, '--stream', '0', '--raw', '1']);
      assert.equal(fo.stdout, 'Hello\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad flags and filters are one line and exit 2', async () => {
    for (const args of [
      ['packets', seed, '--format', 'xml'],
      ['packets', seed, '--filter', 'tcp.port =='],
      ['packets'],
      ['packets', seed, '--bogus'],
      ['follow', seed],
      ['follow', seed, '--stream', '9'],
      ['conversations', seed, '--type', 'sctp'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
