/**
 * Packet ↔ kernel correlation and story, on a busy bundle: how long tracewire takes to
 * tie every frame to its kernel events, find every wakeup and tell the story, against
 * what a person runs to read the same two files by hand — babeltrace2 over the kernel
 * trace plus tshark over the capture (the seed's Trace Compass + Wireshark, in text).
 *
 * The bundle is recorded here (root, tracefs): bench/record-workload.mjs runs N loopback
 * connect / send / close cycles under `tracewire record` (default 3,000 cycles).
 *
 *   node --import tsx bench/story.ts [--cycles N] [--keep]
 * Output: times, events/s, frames matched, and the ratio (peers ÷ tracewire).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDataset } from '../src/bundle/index.js';
import { analyze, buildStoryFromAnalysis } from '../src/analysis/story/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const cyclesAt = args.indexOf('--cycles');
const cycles = cyclesAt >= 0 ? Number(args[cyclesAt + 1]) : 3000;
const keep = args.includes('--keep');

if (process.getuid?.() !== 0) {
  process.stderr.write('bench/story: needs root (it records its own bundle)\n');
  process.exit(2);
}
const out = join(root, 'bench', 'output', `story-${process.pid}`);
mkdirSync(join(root, 'bench', 'output'), { recursive: true });
const bundle = join(out, 'bundle');

function seconds(cmd: string, argv: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr?.toString().slice(0, 400)}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

try {
  const rec = spawnSync(process.execPath, [join(root, 'bin', 'tracewire.js'), 'record', '-q', '-o', bundle, '--', process.execPath, join(root, 'bench', 'record-workload.mjs'), String(cycles)], { encoding: 'utf8' });
  if (rec.status !== 0) throw new Error(`record failed: ${rec.stderr}`);

  const t0 = process.hrtime.bigint();
  const ds = buildDataset([bundle]);
  const a = analyze(ds);
  const tAnalysis = Number(process.hrtime.bigint() - t0) / 1e9;
  const story = buildStoryFromAnalysis(a, {});
  const tTotal = Number(process.hrtime.bigint() - t0) / 1e9;
  const cli = seconds(join(root, 'bin', 'tracewire.js'), ['story', bundle, '--format', 'json']);

  const bt = seconds('babeltrace2', [join(bundle, 'kernel')]);
  const ts = seconds('tshark', ['-r', join(bundle, 'capture.pcapng')]);
  const peers = bt + ts;
  const st = a.correlation.stats;
  console.log(`bundle: ${cycles} loopback connections, ${a.trace?.events ?? 0} kernel events, ${st.frames} frames`);
  console.log(`correlation: ${st.tcpFramesMatched}/${st.tcpFrames} TCP frames matched, ${st.deviceEventsMatched}/${st.deviceEvents} device events, ${a.wakeups.length} wakeup chains, ${a.correlation.sockets.length} sockets`);
  console.log(`tracewire analysis (dataset + one kernel pass + matching): ${tAnalysis.toFixed(2)} s (${Math.round((a.trace?.events ?? 0) / tAnalysis)} events/s)`);
  console.log(`tracewire analysis + story (${story.steps.length} steps): ${tTotal.toFixed(2)} s; \`tracewire story\` CLI: ${cli.toFixed(2)} s`);
  console.log(`peers: babeltrace2 ${bt.toFixed(2)} s + tshark ${ts.toFixed(2)} s = ${peers.toFixed(2)} s (text only, no correlation)`);
  console.log(`ratio (peers ÷ tracewire story CLI): ${(peers / cli).toFixed(2)}×`);
} finally {
  if (!keep) rmSync(out, { recursive: true, force: true });
}
