/**
 * Packets and kernel events on one clock. Two network namespaces joined by a veth pair;
 * an ncat server in one, a client in the other sending data both ways; recorded with
 * `--netns A --netns B`. Every TCP frame tcpdump captured on the veth link must match one
 * kernel event of the same packet — net_dev_xmit on the sending veth (frame length, MAC
 * header included) or net_if_receive_skb on the receiving one (length without the MAC
 * header) — within 100 µs once the pcap timestamp is put on the trace clock with the
 * bundle's offset. The bundle's netns map names the interfaces the frames came from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needsCommands, needsRootTracefs, runCli, runCommand } from '../support/env.js';
import { pcapToTraceOffset } from '../../src/record/bundle.js';
import { bundleOf, makeNetnsPair, oracleRecords, removeDir, scratchDir } from './helpers.js';

const skip = needsRootTracefs() ?? needsCommands('ncat', 'tcpdump', 'tshark', 'ip');
const WINDOW_NS = 100_000n;

function epochNs(text: string): bigint {
  const [s, frac = ''] = text.split('.');
  return BigInt(s!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

test('every TCP frame captured on a veth link matches its net_dev_xmit / net_if_receive_skb within 100 µs', { skip, timeout: 300_000 }, async (t) => {
  const pair = makeNetnsPair('veth');
  const dir = scratchDir('veth');
  t.after(() => {
    pair.cleanup();
    removeDir(dir);
  });
  const port = 31000 + (process.pid % 20000);
  // The server answers with 30 KB after reading the request; the client sends 20 KB.
  const script = [
    `ip netns exec ${pair.a} ncat -l ${pair.addrA} ${port} -c 'head -c 20000 > /dev/null; head -c 30000 /dev/zero' &`,
    'sleep 0.4',
    `head -c 20000 /dev/zero | ip netns exec ${pair.b} ncat ${pair.addrA} ${port} > /dev/null`,
    'wait',
  ].join('\n');
  const bundleDir = join(dir, 'b');
  const r = await runCli(['record', '-q', '-o', bundleDir, '--netns', pair.a, '--netns', pair.b, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const b = bundleOf(bundleDir);
  assert.equal(b.lost_events, 0);
  assert.deepEqual(b.capture.interfaces.map((i) => i.pcapngName).sort(), [`any@${pair.a}`, `any@${pair.b}`, 'any@host'].sort());
  const nsA = b.netns.find((n) => n.name === pair.a);
  const nsB = b.netns.find((n) => n.name === pair.b);
  assert.ok(nsA && nsB, 'both namespaces in the bundle');
  assert.ok(nsA.interfaces.some((i) => i.name === pair.vethA && i.addresses.includes(`${pair.addrA}/24`)));
  assert.ok(nsB.interfaces.some((i) => i.name === pair.vethB && i.addresses.includes(`${pair.addrB}/24`)));
  const ifname = new Map<string, Map<number, string>>([
    [`any@${pair.a}`, new Map(nsA.interfaces.map((i) => [i.ifindex, i.name]))],
    [`any@${pair.b}`, new Map(nsB.interfaces.map((i) => [i.ifindex, i.name]))],
  ]);

  const frames = await runCommand('tshark', ['-r', join(bundleDir, 'capture.pcapng'), '-Y', `tcp.port == ${port}`, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.time_epoch', '-e', 'frame.interface_name', '-e', 'sll.ifindex', '-e', 'sll.pkttype', '-e', 'ip.len']);
  assert.equal(frames.code, 0, frames.stderr);
  const offset = pcapToTraceOffset(b);
  const captured = frames.stdout.split('\n').filter(Boolean).map((line) => {
    const [time, iface, ifindex, pkttype, ipLen] = line.split('\t') as [string, string, string, string, string];
    const dev = ifname.get(iface)?.get(Number(ifindex));
    return { ts: epochNs(time) - offset, iface, dev, outgoing: pkttype === '4', ipLen: Number(ipLen) };
  });
  assert.ok(captured.length >= 12, `captured ${captured.length} TCP frames`);
  assert.ok(captured.every((c) => c.dev === pair.vethA || c.dev === pair.vethB), 'frames were on the veth link');
  assert.ok(captured.some((c) => c.outgoing) && captured.some((c) => !c.outgoing), 'both directions of the tap');

  const oracle = await oracleRecords(join(bundleDir, 'kernel'));
  assert.equal(oracle.code, 0, oracle.stderr);
  interface NetEvent { ts: bigint; name: string; dev: string; len: number; used: boolean }
  const events: NetEvent[] = oracle.records
    .filter((e) => e.event === 'net_dev_xmit' || e.event === 'net_if_receive_skb')
    .map((e) => {
      const p = e.payload as Record<string, unknown>;
      return { ts: BigInt(e.ts as number | string), name: e.event as string, dev: p.name as string, len: p.len as number, used: false };
    })
    .filter((e) => e.dev === pair.vethA || e.dev === pair.vethB);
  const unmatched: string[] = [];
  let worst = 0n;
  for (const c of captured) {
    // Sent frames carry the 14-byte Ethernet header in the skb; received ones had it pulled.
    const want = c.outgoing ? { name: 'net_dev_xmit', len: c.ipLen + 14 } : { name: 'net_if_receive_skb', len: c.ipLen };
    let best: NetEvent | undefined;
    let bestDelta = 0n;
    for (const e of events) {
      if (e.used || e.name !== want.name || e.dev !== c.dev || e.len !== want.len) continue;
      const d = e.ts > c.ts ? e.ts - c.ts : c.ts - e.ts;
      if (d <= WINDOW_NS && (!best || d < bestDelta)) {
        best = e;
        bestDelta = d;
      }
    }
    if (!best) unmatched.push(`${c.outgoing ? 'out' : 'in'} ${c.dev} ip.len=${c.ipLen} at ${c.ts}`);
    else {
      best.used = true;
      if (bestDelta > worst) worst = bestDelta;
    }
  }
  assert.deepEqual(unmatched, [], `frames without a kernel event within 100 µs (of ${captured.length})`);
  t.diagnostic(`${captured.length} frames matched; worst |Δ| = ${worst} ns`);
});
