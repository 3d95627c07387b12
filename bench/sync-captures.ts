/**
 * Speed of `tracewire sync` on two bundles whose captures hold N segments each way
 * (default 250,000 → 1,000,000 frames in all), with known clocks (host B 35 ppm fast
 * and 1.5 s ahead), against the least a tshark-based matcher must do in the same run:
 * `tshark -r CAPTURE -T fields` extracting addresses, ports, seq, ack and flags of both
 * captures (no matching, no hull). Also checks the transform found against the truth.
 *
 *   node --import tsx bench/sync-captures.ts [--segments N] [--runs R]
 *
 * Needs tshark. Inputs are built under bench/output/sync-captures/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writePcapng, type WriterFrame } from '../src/pcap/index.js';
import { LinkType } from '../src/pcap/link-types.js';
import { applyTransform, parseRational } from '../src/analysis/sync/index.js';
import { timeCommand } from './support/run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'output', 'sync-captures');
const tracewire = join(root, 'bin', 'tracewire.js');
const { values } = parseArgs({ options: { segments: { type: 'string' }, runs: { type: 'string' } } });
const segments = Math.max(10_000, Number(values.segments ?? 250_000));
const runs = Math.max(1, Number(values.runs ?? 3));
const NS = 1_000_000_000n;
const onB = (t: bigint) => t + (t * 35n) / 1_000_000n + 1_500_000_000n;

function frame(src: number[], dst: number[], seq: number, ack: number, flags: number): Uint8Array {
  const f = new Uint8Array(14 + 40);
  const v = new DataView(f.buffer);
  f[12] = 0x08;
  f.set([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, ...src, ...dst], 14);
  v.setUint16(34, 40000);
  v.setUint16(36, 5000);
  v.setUint32(38, seq >>> 0);
  v.setUint32(42, ack >>> 0);
  f[46] = 0x50;
  f[47] = flags;
  return f;
}

function build(): [string, string] {
  rmSync(outDir, { recursive: true, force: true });
  const a: WriterFrame[] = [];
  const b: WriterFrame[] = [];
  const ipA = [10, 77, 8, 1];
  const ipB = [10, 77, 8, 2];
  const t0 = 1_760_000_000n * NS;
  let seed = 11;
  const delay = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 20_000n + BigInt(seed % 100_000);
  };
  for (let i = 0; i < segments; i++) {
    const t = t0 + BigInt(i) * 200_000n;
    const f1 = frame(ipA, ipB, i * 1000, i * 3, 0x18);
    a.push({ interfaceId: 0, data: f1, ts: t });
    b.push({ interfaceId: 0, data: f1, ts: onB(t + delay()) });
    const back = t + 100_000n;
    const f2 = frame(ipB, ipA, i * 3 + 7, i * 1000 + 1, 0x10);
    b.push({ interfaceId: 0, data: f2, ts: onB(back) });
    a.push({ interfaceId: 0, data: f2, ts: back + delay() });
  }
  const dirs: string[] = [];
  for (const [name, frames, ip] of [['a', a, ipA], ['b', b, ipB]] as const) {
    const dir = join(outDir, name);
    mkdirSync(dir, { recursive: true });
    frames.sort((x, y) => (x.ts! < y.ts! ? -1 : 1));
    writePcapng(join(dir, 'capture.pcapng'), [{ linkType: LinkType.ETHERNET }], frames);
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify({ format: 'tracewire-bundle', version: 1, host: { hostname: `bench-${name}` }, clocks: { pcap_to_trace_offset_ns: '0' }, netns: [{ name: 'host', inum: 1, interfaces: [{ ifindex: 2, name: 'eth0', addresses: [`${ip.join('.')}/24`] }] }], capture: { file: 'capture.pcapng', tool: 'tcpdump', interfaces: [], packets: frames.length, dropped: 0 } }));
    dirs.push(dir);
  }
  return dirs as [string, string];
}

function fail(msg: string): never {
  process.stderr.write(`bench/sync-captures: ${msg}\n`);
  process.exit(2);
}

const timed = (cmd: string, args: string[]) => timeCommand(cmd, args, fail, { keepStdout: true });

const [dirA, dirB] = build();
if (spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write('bench/sync-captures: needs tshark\n');
  process.exit(2);
}
const best = (f: () => number) => Math.min(...Array.from({ length: runs }, f));
let json = '';
const ours = best(() => {
  const r = timed(tracewire, ['sync', dirA, dirB, '--format', 'json']);
  json = r.stdout;
  return r.seconds;
});
const fields = ['-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', 'tcp.flags'];
const peer = best(() => timed('tshark', ['-n', '-r', join(dirA, 'capture.pcapng'), ...fields]).seconds + timed('tshark', ['-n', '-r', join(dirB, 'capture.pcapng'), ...fields]).seconds);

const j = JSON.parse(json) as { matches: number; transforms: { host: string; slope_decimal: string; offset_decimal: string; quality: string; uncertainty_ns: number }[] };
const tb = j.transforms.find((t) => t.host === 'bench-b')!;
const tr = { slope: parseRational(tb.slope_decimal)!, offset: parseRational(tb.offset_decimal)! };
const t = 1_760_000_000n * NS + BigInt(segments) * 100_000n;
const err = Number(applyTransform(onB(t), tr) - t);
const frames = segments * 4;
console.log(`sync of 2 captures, ${frames.toLocaleString('en-US')} frames, ${j.matches.toLocaleString('en-US')} matches, ${tb.quality}, error at mid-range ${err} ns (uncertainty ${tb.uncertainty_ns.toFixed(0)} ns)`);
console.log(`  tracewire sync                  ${ours.toFixed(2)} s  (${Math.round(frames / ours).toLocaleString('en-US')} frames/s)`);
console.log(`  tshark -T fields (keys only)    ${peer.toFixed(2)} s`);
console.log(`  ratio tshark / tracewire        ${(peer / ours).toFixed(1)}×`);
