/**
 * lttng-modules ≥ 2.9 `net_dev_queue` / `net_if_receive_skb` events with copied network
 * and transport headers (written by support/netdev-ctf.ts in that layout; babeltrace2 is
 * the oracle that the traces decode to the fields we key on): IPv4 and IPv6 segments,
 * two hosts with known clocks; then a host with such a trace synchronised with a host
 * whose packets come from a tracewire bundle's capture (both give `ip` keys).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyTransform, computeSync, eventPacketIdentity, openSyncHosts } from '../../src/analysis/sync/index.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import type { FieldMap, TraceEvent } from '../../src/model/trace-event.js';
import { writePcapng } from '../../src/pcap/index.js';
import { LinkType } from '../../src/pcap/link-types.js';
import { ctfOracle, needsCommands, outputDir } from '../support/env.js';
import { writeNetdevTrace, type NetdevEvent } from './support/netdev-ctf.js';

const NS = 1_000_000_000n;

function ipv4(src: number[], dst: number[]): Uint8Array {
  return new Uint8Array([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, ...src, ...dst]);
}
function ipv6(src: number, dst: number): Uint8Array {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[5] = 20;
  h[6] = 6;
  h[7] = 64;
  h.set([0xfd, 0x77, 0, 9], 8);
  h[23] = src;
  h.set([0xfd, 0x77, 0, 9], 24);
  h[39] = dst;
  return h;
}
function tcp(sport: number, dport: number, seq: number, ack: number, flags: number): Uint8Array {
  const t = new Uint8Array(20);
  const v = new DataView(t.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, ack >>> 0);
  t[12] = 0x50;
  t[13] = flags;
  v.setUint16(14, 1024);
  return t;
}

/** Host B's clock: 20 ppm fast and 4.25 s ahead of host A's (= true time). */
const onB = (t: bigint) => t + (t * 20n) / 1_000_000n + 4_250_000_000n;
const T0 = 1_720_000_000n * NS;

/** Segments both ways, IPv4 and IPv6, with delays of 40-240 µs. */
function traffic(): { a: NetdevEvent[]; b: NetdevEvent[] } {
  const a: NetdevEvent[] = [];
  const b: NetdevEvent[] = [];
  let seed = 3;
  const delay = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 40_000n + BigInt(seed % 200_000);
  };
  for (let i = 0; i < 300; i++) {
    const t = T0 + BigInt(i) * 3_000_000n;
    const v6 = i % 3 === 0;
    const ipAB = v6 ? ipv6(1, 2) : ipv4([10, 77, 9, 1], [10, 77, 9, 2]);
    const ipBA = v6 ? ipv6(2, 1) : ipv4([10, 77, 9, 2], [10, 77, 9, 1]);
    const seg1 = tcp(41000, 7000, 100 + i * 50, 9000 + i * 10, 0x18);
    const seg2 = tcp(7000, 41000, 9000 + i * 10, 150 + i * 50, 0x10);
    a.push({ ts: t, send: true, ip: ipAB, tcp: seg1 });
    b.push({ ts: onB(t + delay()), send: false, ip: ipAB, tcp: seg1 });
    const back = t + 1_000_000n;
    b.push({ ts: onB(back), send: true, ip: ipBA, tcp: seg2 });
    a.push({ ts: back + delay(), send: false, ip: ipBA, tcp: seg2 });
  }
  const order = (x: NetdevEvent, y: NetdevEvent) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0);
  return { a: a.sort(order), b: b.sort(order) };
}

test('net_dev_queue/net_if_receive_skb with headers: keys agree with babeltrace2, clocks recovered', { skip: needsCommands('babeltrace2') }, () => {
  const dir = join(outputDir, `sync-netdev-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const { a, b } = traffic();
  writeNetdevTrace(join(dir, 'host-a'), 'nd-a', 'aaaaaaaa-0000-4000-8000-000000000001', a);
  writeNetdevTrace(join(dir, 'host-b'), 'nd-b', 'bbbbbbbb-0000-4000-8000-000000000002', b);

  // babeltrace2 decodes the same header fields, hence the same keys, event for event.
  for (const host of ['host-a', 'host-b']) {
    const oracle = spawnSync(ctfOracle, [join(dir, host)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(oracle.status, 0, oracle.stderr);
    const theirs = oracle.stdout.trim().split('\n').map((line) => {
      const e = JSON.parse(line) as { event: string; payload: FieldMap };
      return eventPacketIdentity({ name: e.event, payload: e.payload } as TraceEvent);
    });
    const ours: unknown[] = [];
    const tc = openTraceCollection([join(dir, host)]);
    for (const m of tc.messages()) if (m.kind === 'event') ours.push(eventPacketIdentity(m));
    assert.equal(ours.length, 600);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.every((k) => k !== null));
  }
  const keys = new Set<string>();
  for (const m of openTraceCollection([join(dir, 'host-a')]).messages()) if (m.kind === 'event') keys.add(eventPacketIdentity(m)!.key);
  assert.ok(keys.has('10.77.9.1.41000>10.77.9.2.7000 150 9010 24'), [...keys].slice(0, 3).join(' | '));
  assert.ok(keys.has('fd77:9:0:0:0:0:0:1.41000>fd77:9:0:0:0:0:0:2.7000 100 9000 24'));

  const r = computeSync(openSyncHosts([join(dir, 'host-a'), join(dir, 'host-b')]));
  assert.equal(r.matches, 600);
  const hb = r.hosts[1]!;
  assert.equal(hb.quality, 'accurate');
  const bound = hb.uncertaintyNs! + 1;
  for (const t of [T0, T0 + 500_000_000n, T0 + 897_000_000n]) {
    const err = Number(applyTransform(onB(t), hb.transform) - t);
    assert.ok(Math.abs(err) <= bound, `error ${err} ns at ${t}, bound ${bound}`);
  }

  // Host B again, now as a tracewire bundle whose capture (Ethernet, pcap clock 2 s ahead
  // of its trace clock) holds the same packets: kernel-header keys match capture keys.
  const bundle = join(dir, 'bundle-b');
  mkdirSync(bundle, { recursive: true });
  const pcapAhead = 2n * NS;
  writePcapng(
    join(bundle, 'capture.pcapng'),
    [{ linkType: LinkType.ETHERNET }],
    b.map((e) => {
      const ether = new Uint8Array(14 + e.ip.length + e.tcp.length);
      ether.set(e.ip.length === 20 ? [0x08, 0x00] : [0x86, 0xdd], 12);
      ether.set(e.ip, 14);
      ether.set(e.tcp, 14 + e.ip.length);
      return { interfaceId: 0, data: ether, ts: e.ts + pcapAhead };
    }),
  );
  writeFileSync(
    join(bundle, 'bundle.json'),
    JSON.stringify({
      format: 'tracewire-bundle',
      version: 1,
      host: { hostname: 'nd-b' },
      clocks: { pcap_to_trace_offset_ns: String(pcapAhead) },
      netns: [{ name: 'host', inum: 1, interfaces: [{ ifindex: 2, name: 'eth0', addresses: ['10.77.9.2/24', 'fd77:9::2/64'] }] }],
      capture: { file: 'capture.pcapng', tool: 'tcpdump', interfaces: [], packets: b.length, dropped: 0 },
    }),
  );
  const mixed = computeSync(openSyncHosts([join(dir, 'host-a'), bundle]));
  assert.equal(mixed.matches, 600);
  assert.equal(mixed.hosts[1]!.quality, 'accurate');
  const same = (x: bigint) => applyTransform(x, mixed.hosts[1]!.transform) === applyTransform(x, hb.transform);
  assert.ok(same(onB(T0)) && same(onB(T0 + 800_000_000n)), 'the capture gives the same transform as the kernel headers');
  rmSync(dir, { recursive: true, force: true });
});
