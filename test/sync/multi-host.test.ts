/**
 * Three hosts with known clocks, recorded as tracewire bundles whose captures hold the
 * packets each host sent and received (written with our pcapng writer, read back with
 * our pcapng reader and dissectors): A talks to B, B talks to C, A never talks to C, so
 * C can only be synchronised through B (the spanning tree composes the pair transforms).
 * Host C's capture is a Linux cooked (SLL2) capture whose packet type gives the
 * direction; A's and B's are Ethernet captures where the host's addresses decide it.
 * Each bundle has its own pcap → trace clock offset, which must be applied.
 *
 * Then the --sync helpers on the scp traces: the synchronised merge of a collection and
 * reading a saved `tracewire sync --format json`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePcapng, type WriterFrame } from '../../src/pcap/index.js';
import { LinkType } from '../../src/pcap/link-types.js';
import { openTraceCollection } from '../../src/ctf/index.js';
import { applyTransform, computeSync, openSyncHosts, readSyncFile, syncedMessages, timelineSync } from '../../src/analysis/sync/index.js';
import { outputDir, runCli, sharedTraces } from '../support/env.js';

const NS = 1_000_000_000n;

/** A host clock: local = true·(1 + ppm·1e-6) + offset. */
interface Clock {
  readonly ppm: bigint;
  readonly offsetNs: bigint;
}
const local = (c: Clock, trueNs: bigint) => trueNs + (trueNs * c.ppm) / 1_000_000n + c.offsetNs;

interface Host {
  readonly name: string;
  readonly ip: number[];
  readonly clock: Clock;
  readonly cooked: boolean;
  readonly pcapToTrace: bigint;
  readonly frames: WriterFrame[];
}

function ipv4Tcp(src: number[], dst: number[], sport: number, dport: number, seq: number, ack: number, flags: number, payload: number): Uint8Array {
  const ip = new Uint8Array(40 + payload);
  const v = new DataView(ip.buffer);
  ip[0] = 0x45;
  v.setUint16(2, 40 + payload);
  v.setUint16(6, 0x4000);
  ip[8] = 64;
  ip[9] = 6;
  ip.set(src, 12);
  ip.set(dst, 16);
  v.setUint16(20, sport);
  v.setUint16(22, dport);
  v.setUint32(24, seq >>> 0);
  v.setUint32(28, ack >>> 0);
  ip[32] = 0x50;
  ip[33] = flags;
  v.setUint16(34, 512);
  return ip;
}

function frame(h: Host, ip: Uint8Array, outgoing: boolean): Uint8Array {
  if (h.cooked) {
    const f = new Uint8Array(20 + ip.length);
    f[0] = 0x08; // protocol 0x0800
    f[9] = 1; // ARPHRD_ETHER
    f[10] = outgoing ? 4 : 0; // PACKET_OUTGOING / PACKET_HOST
    f[11] = 6;
    f.set(ip, 20);
    return f;
  }
  const f = new Uint8Array(14 + ip.length);
  f[12] = 0x08;
  f.set(ip, 14);
  return f;
}

test('three hosts, two pairs: transforms recovered through the spanning tree, captures on their bundle clocks', () => {
  const dir = join(outputDir, `sync-multi-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const hosts: Host[] = [
    { name: 'alpha', ip: [10, 77, 9, 1], clock: { ppm: 0n, offsetNs: 0n }, cooked: false, pcapToTrace: 1_000n * NS, frames: [] },
    { name: 'bravo', ip: [10, 77, 9, 2], clock: { ppm: 50n, offsetNs: 2_500_000_000n }, cooked: false, pcapToTrace: -3n * NS, frames: [] },
    { name: 'charlie', ip: [10, 77, 9, 3], clock: { ppm: -30n, offsetNs: -1_700_000_000n }, cooked: true, pcapToTrace: 17n, frames: [] },
  ];
  let seed = 42;
  const delay = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 30_000n + BigInt(seed % 270_000);
  };
  const t0 = 1_750_000_000n * NS;
  let seq = 1000;
  const send = (from: Host, to: Host, at: bigint) => {
    seq += 100;
    const ip = ipv4Tcp(from.ip, to.ip, 40000, 5000, seq, seq * 7, 0x18, 100);
    const arrive = at + delay();
    // Capture time = the host's trace clock + its pcap offset.
    from.frames.push({ interfaceId: 0, data: frame(from, ip, true), ts: local(from.clock, at) + from.pcapToTrace });
    to.frames.push({ interfaceId: 0, data: frame(to, ip, false), ts: local(to.clock, arrive) + to.pcapToTrace });
    // A retransmission of an older segment that the receiver never sees: must not disturb anything.
    if (seq % 1700 === 0) from.frames.push({ interfaceId: 0, data: frame(from, ipv4Tcp(from.ip, to.ip, 40000, 5000, seq - 100, (seq - 100) * 7, 0x18, 100), true), ts: local(from.clock, at + 1000n) + from.pcapToTrace });
  };
  const [a, b, c] = hosts as [Host, Host, Host];
  for (let i = 0n; i < 400n; i++) {
    const t = t0 + i * 5_000_000n;
    send(a, b, t);
    send(b, a, t + 1_000_000n);
    send(b, c, t + 2_000_000n);
    send(c, b, t + 3_000_000n);
  }
  const inputs: string[] = [];
  for (const h of hosts) {
    const bdir = join(dir, h.name);
    mkdirSync(bdir, { recursive: true });
    h.frames.sort((x, y) => (x.ts! < y.ts! ? -1 : 1));
    writePcapng(join(bdir, 'capture.pcapng'), [{ linkType: h.cooked ? LinkType.LINUX_SLL2 : LinkType.ETHERNET, name: 'eth0' }], h.frames);
    writeFileSync(
      join(bdir, 'bundle.json'),
      JSON.stringify({
        format: 'tracewire-bundle',
        version: 1,
        host: { hostname: h.name },
        clocks: { pcap_to_trace_offset_ns: String(h.pcapToTrace) },
        netns: [{ name: 'host', inum: 1, interfaces: [{ ifindex: 2, name: 'eth0', addresses: [`${h.ip.join('.')}/24`] }] }],
        capture: { file: 'capture.pcapng', tool: 'tcpdump', interfaces: [], packets: h.frames.length, dropped: 0 },
      }),
    );
    inputs.push(bdir);
  }

  const r = computeSync(openSyncHosts(inputs));
  assert.equal(r.matches, 1600);
  assert.deepEqual(
    r.pairs.map((p) => [r.hosts[p.a]!.host.name, r.hosts[p.b]!.host.name, p.state.quality, p.state.matches]),
    [
      ['alpha', 'bravo', 'accurate', 800],
      ['bravo', 'charlie', 'accurate', 800],
    ],
  );
  assert.deepEqual(
    r.hosts.map((h) => [h.host.name, h.quality, h.path.map((i) => r.hosts[i]!.host.name).join('>')]),
    [
      ['alpha', 'reference', 'alpha'],
      ['bravo', 'accurate', 'alpha>bravo'],
      ['charlie', 'accurate', 'alpha>bravo>charlie'],
    ],
  );
  // Every host's clock maps back to alpha's (= true time) within its stated uncertainty.
  for (const h of r.hosts) {
    const clock = hosts[h.index]!.clock;
    const bound = (h.uncertaintyNs ?? 0) + 2;
    assert.ok(bound < 300_000, `${h.host.name}: uncertainty ${bound} ns`);
    for (const t of [t0, t0 + NS, t0 + 1_995_000_000n]) {
      const err = Number(applyTransform(local(clock, t), h.transform) - t);
      assert.ok(Math.abs(err) <= bound, `${h.host.name} at ${t}: error ${err} ns, bound ${bound} ns`);
    }
  }
  // The reference can be any host; transforms then map onto its clock.
  const viaC = computeSync(openSyncHosts(inputs), { reference: 'charlie' });
  const alphaOnC = viaC.hosts[0]!;
  assert.equal(alphaOnC.path.length, 3);
  const err = Number(applyTransform(t0, alphaOnC.transform) - local(c.clock, t0));
  assert.ok(Math.abs(err) <= (alphaOnC.uncertaintyNs ?? 0) + 2, `alpha on charlie's clock: ${err} ns`);
  rmSync(dir, { recursive: true, force: true });
});

test('--sync helpers: synchronised merge of a collection, and a saved sync file', async () => {
  const dir = join(sharedTraces, 'lttng', 'synctraces');
  const paths = [join(dir, 'scp_dest'), join(dir, 'scp_src')];
  const sync = timelineSync(paths);
  assert.equal(sync.result!.matches, 46);
  const tc = openTraceCollection(paths);
  const vm1 = tc.traces.find((t) => t.hostname === 'VM1')!;
  const vm1Transform = sync.transformOf(vm1);
  let count = 0;
  let last = -1n;
  let checked = 0;
  for (const { message, ts } of syncedMessages(tc, sync)) {
    count++;
    assert.ok(ts >= last, 'synchronised time never goes back');
    last = ts;
    if (message.kind === 'event' && message.trace.hostname === 'VM1' && checked < 1000) {
      assert.equal(ts, applyTransform(message.ts, vm1Transform));
      checked++;
    }
  }
  let plain = 0;
  for (const m of tc.messages()) if (m) plain++;
  assert.equal(count, plain, 'every message once');

  // A saved JSON gives the same transforms (to the printed precision: identical ns here).
  const saved = join(outputDir, `sync-saved-${process.pid}.json`);
  const res = await runCli(['sync', ...paths, '--format', 'json']);
  assert.equal(res.code, 0, res.stderr);
  writeFileSync(saved, res.stdout);
  const fromFile = timelineSync(paths, saved);
  assert.equal(fromFile.result, null);
  for (const ts of [1361214076535112167n, 1361214090000000000n]) assert.equal(fromFile.applierFor(vm1)(ts), sync.applierFor(vm1)(ts));
  assert.equal(readSyncFile(saved).size, 2);
  rmSync(saved, { force: true });
});
