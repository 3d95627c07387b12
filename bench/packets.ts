/**
 * Packet-side speed, measured against the peer tools in the same run:
 *
 *   tracewire conversations --type tcp   vs  tshark -q -z conv,tcp   (target ≥ 10×)
 *   tracewire packets --format jsonl     vs  tcpdump -nn -r          (target: faster)
 *
 * The capture is made here: a bounded request/response and bulk workload over the
 * loopback device of a private network namespace, captured by tcpdump (snap length 96)
 * into bench/output/packets-loopback.pcap, until it holds at least 300,000 packets
 * (default 1,000,000 — larger captures let start-up costs fade). Both conversation
 * outputs are also compared: they must be identical.
 *
 *   node --import tsx bench/packets.ts [--packets N] [--runs R] [--keep]
 *
 * Needs root (network namespace), tcpdump and tshark. `--keep` reuses an existing capture.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openCapture } from '../src/pcap/index.js';
import { timeCommand } from './support/run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'output');
const capturePath = join(outDir, 'packets-loopback.pcap');
const tracewire = join(root, 'bin', 'tracewire.js');

const { values } = parseArgs({
  options: { packets: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean' } },
});
const wantPackets = Math.max(300_000, Number(values.packets ?? 1_000_000));
const runs = Math.max(1, Number(values.runs ?? 3));

function fail(msg: string): never {
  process.stderr.write(`bench/packets: ${msg}\n`);
  process.exit(2);
}

function countPackets(path: string): number {
  const cap = openCapture(path);
  let n = 0;
  for (const _ of cap.frames()) n++;
  return n;
}

async function waitForText(child: ReturnType<typeof spawn>, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" from tcpdump: ${seen}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`tcpdump exited: ${seen}`)));
  });
}

/** Captures one round of the workload into `file`; returns nothing, throws on failure. */
async function captureRound(file: string, conns: number, rounds: number): Promise<void> {
  const ns = `tw-bench-pk${process.pid}`;
  const run = (args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  };
  run(['netns', 'add', ns]);
  const pids: number[] = [];
  try {
    run(['-n', ns, 'link', 'set', 'lo', 'up']);
    const dump = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'lo', '-s', '96', '-B', '65536', '-Z', 'root', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    pids.push(dump.pid!);
    await waitForText(dump, 'listening on');
    const work = spawn('ip', ['netns', 'exec', ns, process.execPath, join(root, 'bench', 'packets-workload.mjs'), '40100', String(conns), String(rounds)], { stdio: 'inherit' });
    pids.push(work.pid!);
    const code = await new Promise<number>((r) => work.once('exit', (c) => r(c ?? 1)));
    if (code !== 0) throw new Error(`workload exited with ${code}`);
    await new Promise((r) => setTimeout(r, 500));
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited */
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

async function makeCapture(): Promise<number> {
  if (values.keep && existsSync(capturePath)) return countPackets(capturePath);
  if (process.getuid?.() !== 0) fail('needs root to create a network namespace for the loopback capture');
  for (const tool of ['tcpdump', 'tshark']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) fail(`needs ${tool}`);
  mkdirSync(outDir, { recursive: true });
  const conns = 16;
  // About three packets per round trip (request, reply, some delayed ACKs).
  let rounds = Math.ceil(wantPackets / conns / 2.2);
  for (let attempt = 0; attempt < 3; attempt++) {
    await captureRound(capturePath, conns, rounds);
    const n = countPackets(capturePath);
    if (n >= wantPackets) return n;
    rounds = Math.ceil((rounds * wantPackets * 1.2) / Math.max(n, 1));
  }
  fail(`could not capture ${wantPackets} packets`);
}

/** Best wall time (ms) of `runs` runs of a command with stdout sent to /dev/null. */
function time(cmd: string, args: string[]): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, timeCommand(cmd, args, fail).seconds * 1000);
  return best;
}

function output(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) fail('build first (node scripts/build.mjs)');
  const packets = await makeCapture();
  const mb = statSync(capturePath).size / 1e6;
  console.log(`capture: ${capturePath} — ${packets.toLocaleString('en-US')} packets, ${mb.toFixed(1)} MB (best of ${runs} runs each)`);

  const ours = output(tracewire, ['conversations', capturePath, '--type', 'tcp']);
  const theirs = output('tshark', ['-r', capturePath, '-q', '-z', 'conv,tcp']).replace(/^Running as user.*\n/m, '');
  const same = ours === theirs;

  const rows: [string, number][] = [];
  const tsharkConv = time('tshark', ['-r', capturePath, '-q', '-z', 'conv,tcp']);
  const ourConv = time(tracewire, ['conversations', capturePath, '--type', 'tcp']);
  const tcpdumpRead = time('tcpdump', ['-nn', '-r', capturePath]);
  const ourJsonl = time(tracewire, ['packets', capturePath, '--format', 'jsonl']);
  rows.push(['tshark -q -z conv,tcp', tsharkConv], ['tracewire conversations --type tcp', ourConv], ['tcpdump -nn -r', tcpdumpRead], ['tracewire packets --format jsonl', ourJsonl]);
  for (const [name, ms] of rows) {
    console.log(`${name.padEnd(36)} ${(ms / 1000).toFixed(3).padStart(8)} s  ${Math.round(packets / (ms / 1000)).toLocaleString('en-US').padStart(12)} packets/s`);
  }
  const convRatio = tsharkConv / ourConv;
  const jsonlRatio = tcpdumpRead / ourJsonl;
  console.log(`conversations vs tshark:  ${convRatio.toFixed(1)}× faster (target ≥ 10×) ${convRatio >= 10 ? 'OK' : 'BELOW TARGET'}; output ${same ? 'identical' : 'DIFFERS'}`);
  console.log(`packets jsonl vs tcpdump: ${jsonlRatio.toFixed(2)}× (target > 1×) ${jsonlRatio > 1 ? 'OK' : 'BELOW TARGET'}`);
}

main().catch((err: unknown) => fail((err as Error).message));
