/**
 * tracewire against tshark 4.0 on every shared capture and on captures made here in
 * network namespaces:
 * - `packets --format jsonl` vs pcap-oracle, frame by frame: every field but tcp.analysis
 *   equal on every frame, tcp.analysis agreeing on ≥ 99% of frames (disagreements are
 *   printed as diagnostics);
 * - `packets` text vs `tshark -r` (identical on our captures, which carry no
 *   application protocol tracewire does not dissect);
 * - `conversations` vs `tshark -q -z conv,tcp` and `conv,udp` (identical);
 * - `follow` (ascii and hex) vs `tshark -q -z follow,tcp,…` (identical);
 * - `--filter` vs `tshark -Y` (the same frames).
 */
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, needsCommands, outputDir, runCli, runCommand, sharedCaptures } from '../support/env.js';
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

/** Equality of two long outputs, reporting the first line that differs. */
function assertSameLines(a: string, b: string, what: string): void {
  const la = a.split('\n'),
    lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) assert.fail(`${what}: line ${i + 1} differs\n  ours   ${la[i]}\n  tshark ${lb[i]}`);
  }
}

const OUR_PROTOCOLS = new Set(['TCP', 'MPTCP', 'UDP', 'ICMP', 'ICMPv6', 'ARP', 'IPv4', 'IPv6']);

/**
 * Text lines must be identical, except where tshark went on to an application protocol
 * (chosen by port, e.g. an ephemeral port that happens to be PMPROXY's): there the columns
 * up to the protocol must still match.
 */
function assertTextLikeTshark(a: string, b: string): void {
  const la = a.split('\n'),
    lb = b.split('\n');
  assert.equal(la.length, lb.length, 'as many lines as tshark');
  let appLayer = 0;
  let analysis = 0;
  for (let i = 0; i < la.length; i++) {
    if (la[i] === lb[i]) continue;
    // A port's application dissector asked TCP to reassemble: tshark marks the segment.
    if (lb[i] === `${la[i]} [TCP segment of a reassembled PDU]`) {
      appLayer++;
      continue;
    }
    const m = /^(.*? → .*?) (\S+) \d+ /.exec(lb[i]!);
    if (m && !OUR_PROTOCOLS.has(m[2]!) && la[i]!.startsWith(`${m[1]} `)) {
      appLayer++;
      continue;
    }
    // tcp.analysis may disagree on a few frames (the issue's ≥ 99 %; the one disagreement
    // seen, Out-Of-Order for a frame stamped before its predecessor where Wireshark's
    // unsigned delay says Retransmission, is fixed and in tcp-edge-cases): the rest of the
    // line must agree
    const noAnalysis = (l: string) => l.replace(/ \[TCP [^\]]*\]/g, '');
    if (noAnalysis(la[i]!) === noAnalysis(lb[i]!)) {
      analysis++;
      continue;
    }
    assert.fail(`text line ${i + 1} differs\n  ours   ${la[i]}\n  tshark ${lb[i]}`);
  }
  assert.ok(appLayer <= la.length / 100, `${appLayer} lines were dissected by tshark as application protocols`);
  assert.ok(analysis <= la.length / 100, `${analysis} lines differ in their TCP analysis label`);
}

async function tshark(args: string[]): Promise<string> {
  const r = await runCommand('tshark', args, { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function ours(args: string[]): Promise<string> {
  const r = await runCli(args, { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Conversations (TCP and UDP) and Follow TCP Stream (first and last stream, ascii and hex) as tshark prints them. */
async function assertCommands(file: string): Promise<void> {
  assertSameLines(await ours(['conversations', file, '--type', 'tcp']), await tshark(['-r', file, '-q', '-z', 'conv,tcp']), 'conv,tcp');
  assertSameLines(await ours(['conversations', file, '--type', 'udp']), await tshark(['-r', file, '-q', '-z', 'conv,udp']), 'conv,udp');
  const streams = (await ours(['packets', file, '--format', 'jsonl'])).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { tcp: { stream: number | null } | null }).tcp?.stream ?? -1);
  const max = Math.max(-1, ...streams);
  for (const n of max >= 0 ? [...new Set([0, max])] : []) {
    assert.equal(await ours(['follow', file, '--stream', String(n)]), await tshark(['-r', file, '-q', '-z', `follow,tcp,ascii,${n}`]), `follow ascii ${n}`);
    assert.equal(await ours(['follow', file, '--stream', String(n), '--hex']), await tshark(['-r', file, '-q', '-z', `follow,tcp,hex,${n}`]), `follow hex ${n}`);
  }
}

const FILTERS = [
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.analysis.retransmission || tcp.analysis.duplicate_ack',
  'tcp.len > 100 and not tcp.analysis.flags',
  'ip.addr == 10.77.0.0/16 && udp',
  'ipv6 && tcp.port in {40301, 40302, 40000..40100}',
  'frame.len >= 1000 or icmp or icmpv6',
  'tcp.stream == 3 || tcp.window_size < 1000',
  '!tcp && !udp',
];

async function assertFilters(file: string): Promise<void> {
  for (const f of FILTERS) {
    const mine = (await ours(['packets', file, '--format', 'jsonl', '--filter', f])).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { frame: number }).frame);
    const theirs = (await tshark(['-r', file, '-Y', f, '-T', 'fields', '-e', 'frame.number'])).split('\n').filter(Boolean).map(Number);
    if (!f.includes('tcp.analysis')) {
      assert.deepEqual(mine, theirs, `filter ${f}`);
      continue;
    }
    // filters on tcp.analysis inherit its tolerated disagreements (≤ 1 % of the frames)
    const a = new Set(mine);
    const b = new Set(theirs);
    const differ = [...a].filter((n) => !b.has(n)).length + [...b].filter((n) => !a.has(n)).length;
    assert.ok(differ <= Math.max(1, theirs.length / 100), `filter ${f}: ${differ} frames differ`);
  }
}

describe('agreement with tshark on the shared captures', { skip: needsCommands('tshark') }, () => {
  for (const file of capturesIn(sharedCaptures)) {
    test(file.slice(sharedCaptures.length + 1), async (t) => {
      await assertAgreement(t, file);
      await assertCommands(file);
    });
  }
});

const labSkip = !isRoot ? 'needs root (network namespaces)' : needsCommands('tshark', 'tcpdump', 'dumpcap', 'nft', 'ip', 'python3');

describe('agreement with tshark on captures made here', { skip: labSkip, concurrency: false }, () => {
  const dir = join(outputDir, `packets-captures-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [ScenarioName, string, string[]][] = [
    ['lossy', 'lossy bulk transfer (nftables numgen random drop, 3%)', ['lost_segment', 'duplicate_ack', 'retransmission']],
    ['ipv6', 'IPv6: bulk, short connections, UDP with fragments, ICMPv6 unreachable', []],
    ['short', 'thousands of short connections and reused ports (Linux cooked v2, ns)', ['reused_ports']],
    ['stall', 'zero-window stall and keep-alives', ['zero_window', 'window_update', 'keep_alive', 'keep_alive_ack']],
    ['udp', 'UDP with IP fragments and ICMP port unreachable', []],
    ['mptcp', 'multipath TCP over two links (Linux cooked v2)', []],
  ];
  for (const [name, title, flags] of cases) {
    test(title, { timeout: 120_000 }, async (t) => {
      const file = await makeCapture(name, dir);
      await assertAgreement(t, file, flags);
      assertTextLikeTshark(await ours(['packets', file]), await tshark(['-r', file]));
      await assertCommands(file);
      await assertFilters(file);
    });
  }
});
