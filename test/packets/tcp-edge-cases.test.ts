/**
 * Hand-built TCP situations that real test traffic rarely produces — zero-window probes
 * and their ACKs, keep-alives, window full/update, fast and spurious retransmissions,
 * out-of-order segments, lost and ACKed-unseen segments, reused ports, a retransmitted
 * SYN after a RST, a capture that starts mid-stream, one-sided window scaling, fragmented
 * segments, ICMP errors quoting TCP, IPv6 extension headers and jumbograms, IPv4 source
 * routes — each checked frame by frame against pcap-oracle, and checked to really
 * exercise the expert flags it is about.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType } from '../../src/pcap/index.js';
import { needsCommands, outputDir } from '../support/env.js';
import { compareWithOracle } from './support/oracle.js';
import { concat, ethernet, icmp, ipv4, ipv6, ipv6Ext, ipv6Fragment, opt, pcapFile, tcp, writeBytes, type RawFrame, type TcpSpec } from './support/craft.js';

const dir = join(outputDir, `packets-edge-${process.pid}`);
mkdirSync(dir, { recursive: true });
after(() => { if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

const A = '10.77.210.1',
  B = '10.77.210.2';

/** Builds frames at given times (µs since an epoch second) from A or B. */
class Script {
  readonly frames: RawFrame[] = [];
  constructor(
    private readonly a = A,
    private readonly b = B,
  ) {}
  at(us: number, fromA: boolean, spec: TcpSpec): this {
    const p = ipv4({ src: fromA ? this.a : this.b, dst: fromA ? this.b : this.a, proto: 6, id: this.frames.length + 1 }, tcp(spec));
    return this.raw(us, ethernet(0x0800, p, [], !fromA));
  }
  raw(us: number, data: Uint8Array, len?: number): this {
    this.frames.push({ sec: 1_700_000_000 + Math.floor(us / 1e6), frac: us % 1e6, data, len });
    return this;
  }
}

const SYN = 0x02,
  ACK = 0x10,
  PSH = 0x08,
  FIN = 0x01,
  RST = 0x04;

/** Handshake without window scaling: client ISN 1000, server ISN 5000. */
function handshake(s: Script, port = 40000, t = 0, ws = false): Script {
  const o = ws ? [...opt.mss(1460), ...opt.ws(2)] : opt.mss(1460);
  return s
    .at(t, true, { sport: port, dport: 40080, seq: 1000, flags: SYN, win: 8000, options: o })
    .at(t + 100, false, { sport: 40080, dport: port, seq: 5000, ack: 1001, flags: SYN | ACK, win: 8000, options: o })
    .at(t + 200, true, { sport: port, dport: 40080, seq: 1001, ack: 5001, flags: ACK, win: 8000 });
}

async function check(name: string, s: Script, expect: string[], linkType: number = LinkType.ETHERNET): Promise<void> {
  const file = writeBytes(join(dir, `${name}.pcap`), pcapFile({ linkType, frames: s.frames }));
  const r = await compareWithOracle(file);
  assert.equal(r.frames, s.frames.length);
  assert.equal(r.fieldMismatchCount, 0, JSON.stringify(r.fieldMismatches, null, 1));
  assert.equal(r.analysisAgreement, 1, JSON.stringify(r.analysisMismatches));
  for (const f of expect) assert.ok((r.flagCounts[f] ?? 0) > 0, `expected tcp.analysis.${f}; tshark saw ${JSON.stringify(r.flagCounts)}`);
}

describe('TCP analysis edge cases against pcap-oracle', { skip: needsCommands('tshark') }, () => {
  test('zero window, zero-window probe and its ACK, window update, window full', async () => {
    const s = handshake(new Script());
    s.at(1000, true, { sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: PSH | ACK, win: 8000, payload: 1000 })
      .at(1100, false, { sport: 40080, dport: 40000, seq: 5001, ack: 2001, flags: ACK, win: 0 })
      .at(300_000, true, { sport: 40000, dport: 40080, seq: 2001, ack: 5001, flags: ACK, win: 8000, payload: 1 })
      .at(300_100, false, { sport: 40080, dport: 40000, seq: 5001, ack: 2001, flags: ACK, win: 0 })
      .at(900_000, false, { sport: 40080, dport: 40000, seq: 5001, ack: 2001, flags: ACK, win: 3000 })
      .at(900_100, true, { sport: 40000, dport: 40080, seq: 2001, ack: 5001, flags: PSH | ACK, win: 8000, payload: 3000 })
      .at(900_200, false, { sport: 40080, dport: 40000, seq: 5001, ack: 5001, flags: ACK, win: 8000 });
    await check('zero-window', s, ['zero_window', 'zero_window_probe', 'zero_window_probe_ack', 'window_update', 'window_full']);
  });

  test('keep-alive and keep-alive ACK', async () => {
    const s = handshake(new Script());
    s.at(1000, true, { sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: PSH | ACK, win: 8000, payload: 10 })
      .at(1100, false, { sport: 40080, dport: 40000, seq: 5001, ack: 1011, flags: ACK, win: 8000 })
      .at(5_000_000, true, { sport: 40000, dport: 40080, seq: 1010, ack: 5001, flags: ACK, win: 8000 })
      .at(5_000_100, false, { sport: 40080, dport: 40000, seq: 5001, ack: 1011, flags: ACK, win: 8000 })
      .at(6_000_000, true, { sport: 40000, dport: 40080, seq: 1010, ack: 5001, flags: ACK, win: 8000, payload: 1 });
    await check('keep-alive', s, ['keep_alive', 'keep_alive_ack']);
  });

  test('duplicate ACKs, fast retransmission, retransmission, spurious retransmission, out-of-order, lost and ACKed-unseen segments', async () => {
    const s = handshake(new Script());
    let t = 1000;
    const data = (seq: number, len = 100) => s.at((t += 100), true, { sport: 40000, dport: 40080, seq, ack: 5001, flags: ACK, win: 8000, payload: len });
    const ack = (a: number) => s.at((t += 100), false, { sport: 40080, dport: 40000, seq: 5001, ack: a, flags: ACK, win: 8000 });
    data(1001);
    data(1101); // 1201 is lost
    data(1301);
    ack(1101);
    ack(1201);
    ack(1201);
    ack(1201);
    data(1201); // fast retransmission
    ack(1401);
    t += 300_000;
    data(1301); // spurious: already acknowledged
    data(1401);
    data(1601); // 1501 missing: previous segment not captured
    data(1501); // out of order (arrives late but within the threshold)
    ack(1701);
    t += 500_000;
    data(1601); // plain retransmission, long after
    ack(2001); // acknowledges data never seen
    await check('retransmissions', s, ['duplicate_ack', 'fast_retransmission', 'retransmission', 'spurious_retransmission', 'out_of_order', 'lost_segment', 'ack_lost_segment']);
  });

  test('a segment stamped a microsecond before the previous one: a retransmission, not out-of-order (unsigned time, as Wireshark)', async () => {
    // seen in a lossy capture: tcpdump stamped frame N+1 1 µs before frame N; Wireshark's
    // guint64 delay is then huge, so the late segment is no out-of-order one
    const s = handshake(new Script());
    s.at(1000, true, { sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: ACK, win: 8000, payload: 100 })
      .at(1100, false, { sport: 40080, dport: 40000, seq: 5001, ack: 1101, flags: ACK, win: 8000 })
      .at(1201, true, { sport: 40000, dport: 40080, seq: 1201, ack: 5001, flags: ACK, win: 8000, payload: 100 }) // 1101 not captured
      .at(1200, true, { sport: 40000, dport: 40080, seq: 1101, ack: 5001, flags: ACK, win: 8000, payload: 100 }) // earlier stamp
      .at(1300, true, { sport: 40000, dport: 40080, seq: 1301, ack: 5001, flags: ACK, win: 8000, payload: 100 })
      .at(1301, true, { sport: 40000, dport: 40080, seq: 1401, ack: 5001, flags: ACK, win: 8000, payload: 100 })
      .at(1302, true, { sport: 40000, dport: 40080, seq: 1601, ack: 5001, flags: ACK, win: 8000, payload: 100 }) // 1501 not captured
      .at(1303, true, { sport: 40000, dport: 40080, seq: 1501, ack: 5001, flags: ACK, win: 8000, payload: 100 }); // late, within the threshold
    await check('time-backwards', s, ['retransmission', 'out_of_order', 'lost_segment']);
  });

  test('reused ports, a retransmitted SYN, a RST and a SYN/ACK with a new sequence number', async () => {
    const s = handshake(new Script());
    s.at(1000, true, { sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: FIN | ACK, win: 8000 })
      .at(1100, false, { sport: 40080, dport: 40000, seq: 5001, ack: 1002, flags: FIN | ACK, win: 8000 })
      .at(1200, true, { sport: 40000, dport: 40080, seq: 1002, ack: 5002, flags: ACK, win: 8000 })
      // the same ports again, new ISN: a new stream
      .at(2_000_000, true, { sport: 40000, dport: 40080, seq: 90000, flags: SYN, win: 8000, options: opt.mss(1460) })
      .at(2_000_100, false, { sport: 40080, dport: 40000, seq: 0, ack: 90001, flags: RST | ACK, win: 0 })
      .at(3_000_000, true, { sport: 40000, dport: 40080, seq: 90000, flags: SYN, win: 8000, options: opt.mss(1460) })
      .at(3_000_100, false, { sport: 40080, dport: 40000, seq: 70000, ack: 90001, flags: SYN | ACK, win: 8000, options: opt.mss(1460) })
      .at(3_000_200, false, { sport: 40080, dport: 40000, seq: 71000, ack: 90001, flags: SYN | ACK, win: 8000, options: opt.mss(1460) })
      .at(3_000_300, true, { sport: 40000, dport: 40080, seq: 90001, ack: 71001, flags: ACK, win: 8000 });
    await check('reused-ports', s, ['reused_ports', 'retransmission']);
  });

  test('a capture that starts mid-stream, and one-sided window scaling', async () => {
    const s = new Script();
    s.at(0, true, { sport: 40001, dport: 40080, seq: 777_000, ack: 888_000, flags: PSH | ACK, win: 200, payload: 50 })
      .at(100, false, { sport: 40080, dport: 40001, seq: 888_000, ack: 777_050, flags: ACK, win: 300 })
      .at(1000, true, { sport: 40002, dport: 40080, seq: 1000, flags: SYN, win: 8000, options: [...opt.mss(1460), ...opt.ws(4)] })
      .at(1100, false, { sport: 40080, dport: 40002, seq: 5000, ack: 1001, flags: SYN | ACK, win: 8000, options: opt.mss(1460) })
      .at(1200, true, { sport: 40002, dport: 40080, seq: 1001, ack: 5001, flags: ACK, win: 100 })
      .at(2000, true, { sport: 40003, dport: 40080, seq: 1000, flags: SYN, win: 8000, options: [...opt.mss(1460), ...opt.ws(4)] })
      .at(2100, false, { sport: 40080, dport: 40003, seq: 5000, ack: 1001, flags: SYN | ACK, win: 8000, options: [...opt.mss(1460), ...opt.ws(6)] })
      .at(2200, true, { sport: 40003, dport: 40080, seq: 1001, ack: 5001, flags: ACK, win: 100 })
      .at(2300, false, { sport: 40080, dport: 40003, seq: 5001, ack: 1001, flags: ACK, win: 100 });
    await check('mid-stream', s, []);
  });

  test('a TCP segment in IPv4 fragments, and a first fragment cut by the snap length', async () => {
    const s = handshake(new Script());
    const seg = tcp({ sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: PSH | ACK, win: 8000, payload: 2000 });
    const h = { src: A, dst: B, proto: 6, id: 4242 };
    s.raw(1000, ethernet(0x0800, ipv4({ ...h, frag: 0x2000, totalLength: 20 + 1480 }, seg.subarray(0, 1480))))
      .raw(1100, ethernet(0x0800, ipv4({ ...h, frag: 1480 / 8, totalLength: 20 + seg.length - 1480 }, seg.subarray(1480))));
    const seg2 = tcp({ sport: 40000, dport: 40080, seq: 3021, ack: 5001, flags: PSH | ACK, win: 8000, payload: 2000 });
    const first = ethernet(0x0800, ipv4({ ...h, id: 4243, frag: 0x2000, totalLength: 20 + 1480 }, seg2.subarray(0, 1480)));
    s.raw(2000, first.subarray(0, 200), first.length);
    await check('fragments', s, []);
  });

  test('ICMP and ICMPv6 errors quoting TCP segments', async () => {
    const s = handshake(new Script());
    const quoted = ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: PSH | ACK, win: 8000, payload: 20 }));
    s.raw(1000, ethernet(0x0800, ipv4({ src: B, dst: A, proto: 1 }, icmp(3, 3, quoted))));
    const quotedSyn = ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 40009, dport: 40080, seq: 1, flags: SYN, win: 8000 }));
    s.raw(1100, ethernet(0x0800, ipv4({ src: '10.77.210.254', dst: A, proto: 1 }, icmp(11, 0, quotedSyn))));
    const q6 = ipv6('fd77::1', 'fd77::2', 6, tcp({ sport: 40010, dport: 40080, seq: 9, ack: 1, flags: ACK, win: 100, payload: 8 }));
    s.raw(1200, ethernet(0x86dd, ipv6('fd77::2', 'fd77::1', 58, icmp(1, 4, q6))));
    await check('icmp-errors', s, []);
  });

  test('IPv6 extension headers, fragments and a jumbogram', async () => {
    const s = new Script();
    const t6 = (spec: TcpSpec) => tcp(spec);
    const hbh = (next: number, p: Uint8Array) => ipv6Ext(next, [5, 2, 0, 0], p); // router alert
    const dst = (next: number, p: Uint8Array) => ipv6Ext(next, [1, 2, 0, 0], p); // PadN
    const routing = (next: number, p: Uint8Array) => concat(Uint8Array.from([next, 2, 0, 0, 0, 0, 0, 0]), new Uint8Array(16), p);
    s.raw(0, ethernet(0x86dd, ipv6('fd77::1', 'fd77::2', 0, hbh(60, dst(43, routing(6, t6({ sport: 40000, dport: 40080, seq: 1, flags: SYN, win: 100 })))))));
    s.raw(100, ethernet(0x86dd, ipv6('fd77::2', 'fd77::1', 6, t6({ sport: 40080, dport: 40000, seq: 9, ack: 2, flags: SYN | ACK, win: 100 }))));
    const big = t6({ sport: 40000, dport: 40080, seq: 2, ack: 10, flags: ACK | PSH, win: 100, payload: 1800 });
    s.raw(200, ethernet(0x86dd, ipv6('fd77::1', 'fd77::2', 44, ipv6Fragment(6, 0, true, 77, big.subarray(0, 1232)))));
    s.raw(300, ethernet(0x86dd, ipv6('fd77::1', 'fd77::2', 44, ipv6Fragment(6, 1232, false, 77, big.subarray(1232)))));
    const jumbo = t6({ sport: 40000, dport: 40080, seq: 1822, ack: 10, flags: ACK, win: 100, payload: 70000 });
    const jumboOpt = [0xc2, 4, ...[0, 0, 0, 0].map((_, i) => ((jumbo.length + 8) >>> (24 - 8 * i)) & 0xff)];
    s.raw(400, ethernet(0x86dd, ipv6('fd77::1', 'fd77::2', 0, ipv6Ext(6, jumboOpt, jumbo), 0)));
    await check('ipv6-extensions', s, []);
  });

  test('IPv4 loose source route: the final hop is the destination', async () => {
    const s = new Script();
    const lsrr = [131, 11, 4, 10, 77, 210, 9, 10, 77, 210, 3];
    s.at(0, true, { sport: 40000, dport: 40080, seq: 1, flags: SYN, win: 100 });
    s.frames.pop();
    s.raw(0, ethernet(0x0800, ipv4({ src: A, dst: '10.77.210.9', proto: 6, options: lsrr }, tcp({ sport: 40000, dport: 40080, seq: 1, flags: SYN, win: 100 }))));
    s.raw(100, ethernet(0x0800, ipv4({ src: '10.77.210.3', dst: A, proto: 6 }, tcp({ sport: 40080, dport: 40000, seq: 9, ack: 2, flags: SYN | ACK, win: 100 }))));
    await check('source-route', s, []);
  });

  test('options cut by the snap length and bogus header lengths', async () => {
    const s = new Script();
    const syn = ethernet(0x0800, ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 40020, dport: 40080, seq: 1, flags: SYN, win: 100, options: [...opt.mss(1460), ...opt.sackPerm(), ...opt.ts(1, 0), ...opt.ws(3)] })));
    s.raw(0, syn.subarray(0, 58), syn.length);
    s.at(100, false, { sport: 40080, dport: 40020, seq: 9, ack: 2, flags: SYN | ACK, win: 100, options: [...opt.mss(1460), ...opt.ws(3)] });
    s.at(200, true, { sport: 40020, dport: 40080, seq: 2, ack: 10, flags: ACK, win: 100 });
    s.at(300, false, { sport: 40080, dport: 40020, seq: 10, ack: 2, flags: ACK | PSH, win: 100, payload: 10, dataOffsetWords: 4 });
    s.at(400, true, { sport: 40020, dport: 40080, seq: 2, ack: 20, flags: ACK, win: 100, options: [...opt.ts(5, 6), ...opt.sack([[30, 40]])] });
    s.at(500, true, { sport: 40020, dport: 40080, seq: 2, ack: 20, flags: ACK, win: 100, options: [1, 1, 5, 8, 0, 0, 0, 1, 0, 0] });
    await check('snap-cut', s, []);
  });
});

describe('tunnels against pcap-oracle', { skip: needsCommands('tshark') }, () => {
  test('IP in IP, IPv6 in IPv4, IPv4 in IPv6 and GRE carrying TCP', async () => {
    const s = new Script();
    const seg = (sport: number, flags: number, seq: number, ack?: number) => tcp({ sport, dport: 40080, seq, ack, flags, win: 100, payload: flags & 0x08 ? 10 : 0 });
    const inner4 = (p: Uint8Array) => ipv4({ src: '10.78.1.1', dst: '10.78.1.2', proto: 6 }, p);
    const outer4 = (proto: number, p: Uint8Array) => ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto }, p);
    const gre = (type: number, p: Uint8Array, key = false) => concat(Uint8Array.from(key ? [0x20, 0, type >> 8, type & 0xff, 0, 0, 0, 7] : [0, 0, type >> 8, type & 0xff]), p);
    s.raw(0, ethernet(0x0800, outer4(4, inner4(seg(40001, SYN, 1)))));
    s.raw(100, ethernet(0x0800, outer4(4, inner4(seg(40001, PSH | ACK, 2, 5)))));
    s.raw(200, ethernet(0x0800, outer4(41, ipv6('fd78::1', 'fd78::2', 6, seg(40002, SYN, 1)))));
    s.raw(300, ethernet(0x86dd, ipv6('fd77::1', 'fd77::2', 4, inner4(seg(40003, SYN, 1)))));
    s.raw(400, ethernet(0x0800, outer4(47, gre(0x0800, inner4(seg(40004, SYN, 1))))));
    s.raw(500, ethernet(0x0800, outer4(47, gre(0x0800, inner4(seg(40004, PSH | ACK, 2, 5)), true))));
    s.raw(600, ethernet(0x0800, outer4(47, gre(0x6558, ethernet(0x0800, inner4(seg(40005, SYN, 1)))))));
    await check('tunnels', s, []);
  });
});
