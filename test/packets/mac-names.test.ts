/**
 * Ethernet address names in the Source/Destination columns, as tshark shows them
 * (src/dissect/mac-names.ts): thousands of addresses drawn from Wireshark's own manuf
 * and wka files — whole-address names, masked ranges of every length (/25, /28, /36,
 * /40, /44, …, with host parts full of zeros, where the longest matching mask decides),
 * OUIs with the group bit set, duplicate lines — plus random addresses, compared column
 * by column with `tshark -r`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType } from '../../src/pcap/index.js';
import { needsCommands, outputDir, runCli, runCommand } from '../support/env.js';
import { concat, pcapFile, writeBytes, type RawFrame } from './support/craft.js';

const dataDir = '/usr/share/wireshark';
const skip = needsCommands('tshark') ?? (existsSync(join(dataDir, 'manuf')) ? undefined : `needs Wireshark's ${dataDir}/manuf (Debian package wireshark-common)`);

/** Entries of a Wireshark name file: address bytes and mask (bits). */
function entries(file: string): Array<{ bytes: number[]; bits: number }> {
  const out: Array<{ bytes: number[]; bits: number }> = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([0-9A-Fa-f]{1,2}(?:[:.-][0-9A-Fa-f]{1,2}){2,5})(?:\/(\d+))?\s+\S/.exec(raw.split('#')[0]!);
    if (!m) continue;
    const bytes = m[1]!.split(/[:.-]/).map((x) => parseInt(x, 16));
    out.push({ bytes: [...bytes, 0, 0, 0, 0, 0, 0].slice(0, 6), bits: m[2] ? Number(m[2]) : bytes.length * 8 });
  }
  return out;
}

test('Ethernet address names agree with tshark on addresses from manuf, wka and at random', { skip }, async () => {
  const dir = join(outputDir, `mac-names-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    let seed = 20261125;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const hostByte = () => [0, 0, 0, 1, 0xff, rand(256)][rand(6)]!;
    const pools = [entries(join(dataDir, 'manuf')), entries(join(dataDir, 'wka'))];
    const macs: number[][] = [];
    for (const [pool, n] of [[pools[0]!, 1500], [pools[1]!, 900]] as const) {
      for (let i = 0; i < n; i++) {
        const e = pool[rand(pool.length)]!;
        macs.push(e.bytes.map((b, k) => {
          const fixed = Math.max(0, Math.min(8, e.bits - k * 8));
          const keep = (0xff << (8 - fixed)) & 0xff;
          return (b & keep) | (hostByte() & ~keep & 0xff);
        }));
      }
    }
    for (let i = 0; i < 300; i++) macs.push(Array.from({ length: 6 }, () => rand(256)));
    macs.push([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0, 0, 0]);
    // source and destination: the address and the next one; a local experimental EtherType
    const frames: RawFrame[] = macs.map((m, i) => ({ sec: 1_700_000_000, frac: i, data: concat(Uint8Array.from(macs[(i + 1) % macs.length]!), Uint8Array.from(m), Uint8Array.of(0x88, 0xb5), new Uint8Array(46)) }));
    const file = writeBytes(join(dir, 'macs.pcap'), pcapFile({ linkType: LinkType.ETHERNET, frames }));
    const ours = await runCli(['packets', file]);
    const theirs = await runCommand('tshark', ['-r', file]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(theirs.code, 0, theirs.stderr);
    // the address columns: everything up to the protocol column (tshark names 0x88b5 in Info)
    const columns = (out: string) => out.trimEnd().split('\n').map((l) => / 0x88b5 /.test(l) ? l.slice(0, l.indexOf(' 0x88b5 ')) : l);
    const a = columns(ours.stdout);
    const b = columns(theirs.stdout);
    assert.equal(a.length, macs.length);
    const differ = a.map((l, i) => [l, b[i]] as const).filter(([x, y]) => x !== y);
    assert.deepEqual(differ.slice(0, 10), [], `${differ.length} of ${a.length} lines differ`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
