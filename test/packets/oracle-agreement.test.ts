/**
 * `tracewire packets --format jsonl` against pcap-oracle (tshark 4.0), frame by frame, on
 * every shared capture and on captures made here in network namespaces: every field but
 * tcp.analysis must be equal on every frame, and tcp.analysis must agree on ≥ 99% of
 * frames (disagreements are printed as diagnostics).
 */
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, needsCommands, outputDir, sharedCaptures } from '../support/env.js';
import { compareWithOracle } from './support/oracle.js';
import { makeCapture, type ScenarioName } from './support/scenarios.js';

function capturesIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...capturesIn(p));
    else if (/\.(pcap|pcapng|cap)$/.test(e)) out.push(p);
  }
  return out.sort();
}

async function assertAgreement(t: TestContext, file: string, expectFlags: string[] = []): Promise<void> {
  const r = await compareWithOracle(file);
  t.diagnostic(`${file}: ${r.frames} frames, analysis agreement ${(r.analysisAgreement * 100).toFixed(2)}%, flags ${JSON.stringify(r.flagCounts)}`);
  for (const m of r.analysisMismatches) t.diagnostic(`analysis differs in frame ${m.frame}: ours ${JSON.stringify(m.ours)}, tshark ${JSON.stringify(m.theirs)}`);
  assert.equal(r.fieldMismatchCount, 0, `field mismatches:\n${r.fieldMismatches.map((m) => `frame ${m.frame}\n  ours   ${m.ours}\n  tshark ${m.theirs}`).join('\n')}`);
  assert.ok(r.analysisAgreement >= 0.99, `tcp.analysis agrees on ${(r.analysisAgreement * 100).toFixed(2)}% of frames (< 99%)`);
  for (const f of expectFlags) assert.ok((r.flagCounts[f] ?? 0) > 0, `the capture should exercise tcp.analysis.${f} (tshark saw ${JSON.stringify(r.flagCounts)})`);
}

describe('agreement with pcap-oracle on the shared captures', { skip: needsCommands('tshark') }, () => {
  for (const file of capturesIn(sharedCaptures)) {
    test(file.slice(sharedCaptures.length + 1), async (t) => assertAgreement(t, file));
  }
});

const labSkip = !isRoot ? 'needs root (network namespaces)' : needsCommands('tshark', 'tcpdump', 'dumpcap', 'nft', 'ip');

describe('agreement with pcap-oracle on captures made here', { skip: labSkip, concurrency: false }, () => {
  const dir = join(outputDir, `packets-captures-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [ScenarioName, string, string[]][] = [
    ['lossy', 'lossy bulk transfer (nftables numgen random drop, 3%)', ['lost_segment', 'duplicate_ack', 'retransmission']],
    ['ipv6', 'IPv6: bulk, short connections, UDP with fragments, ICMPv6 unreachable', []],
    ['short', 'thousands of short connections and reused ports (Linux cooked v2, ns)', ['reused_ports']],
    ['stall', 'zero-window stall and keep-alives', ['zero_window', 'window_update', 'keep_alive', 'keep_alive_ack']],
    ['udp', 'UDP with IP fragments and ICMP port unreachable', []],
  ];
  for (const [name, title, flags] of cases) {
    test(title, { timeout: 120_000 }, async (t) => {
      const file = await makeCapture(name, dir);
      await assertAgreement(t, file, flags);
    });
  }
});
