/**
 * ARP lines as tshark 4.0 prints them: protocol by opcode (ARP, RARP, DRARP, Inverse
 * ARP), gratuitous requests and replies, RFC 5227 probes and announcements, and
 * Wireshark's duplicate IP address detection (sender and reply target, the first owner
 * kept, the last check deciding, multicast and zero addresses ignored) — line for line
 * against `tshark -r` on a crafted capture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType } from '../../src/pcap/index.js';
import { needsCommands, outputDir, runCli, runCommand } from '../support/env.js';
import { concat, pcapFile, writeBytes, type RawFrame } from './support/craft.js';

const mac = (s: string) => Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
const ip = (s: string) => Uint8Array.from(s.split('.').map(Number));
const A = '00:11:22:00:00:0a',
  B = '00:11:22:00:00:0b',
  C = '00:11:22:00:00:0c',
  Z = '00:00:00:00:00:00',
  BC = 'ff:ff:ff:ff:ff:ff';

function arp(op: number, sha: string, spa: string, tha: string, tpa: string, dst = BC, src = sha): Uint8Array {
  const head = Uint8Array.of(0, 1, 8, 0, 6, 4, op >> 8, op & 0xff);
  return concat(mac(dst), mac(src), Uint8Array.of(8, 6), head, mac(sha), ip(spa), mac(tha), ip(tpa));
}

test('ARP opcodes, gratuitous ARP, probes, announcements and duplicate addresses read like tshark', { skip: needsCommands('tshark') }, async () => {
  const packets = [
    arp(1, A, '10.0.0.1', Z, '10.0.0.2'), // request
    arp(2, B, '10.0.0.2', A, '10.0.0.1', A), // reply
    arp(1, A, '10.0.0.1', Z, '10.0.0.1'), // announcement
    arp(1, A, '10.0.0.1', BC, '10.0.0.1'), // gratuitous request
    arp(2, A, '10.0.0.1', BC, '10.0.0.1'), // gratuitous reply
    arp(1, C, '0.0.0.0', Z, '10.0.0.3'), // probe
    arp(1, C, '10.0.0.1', Z, '10.0.0.2'), // 10.0.0.1 from a second MAC: duplicate
    arp(2, B, '10.0.0.2', C, '10.0.0.1', C), // the reply's target claims 10.0.0.1: duplicate
    arp(1, A, '10.0.0.1', Z, '10.0.0.2'), // the owner again: fine
    arp(2, C, '10.0.0.2', A, '10.0.0.1', A), // duplicate sender, but the target check (fine) decides
    arp(2, C, '10.0.0.2', C, '10.0.0.2', BC), // gratuitous reply of a duplicate: reported once
    arp(2, BC, '10.0.0.2', A, '10.0.0.1', A, B), // a broadcast sender MAC is not an owner
    arp(3, A, '10.0.0.1', A, '0.0.0.0'), // RARP
    arp(4, B, '10.0.0.2', A, '10.0.0.9'),
    arp(5, A, '10.0.0.1', A, '0.0.0.0'), // DRARP
    arp(7, A, '10.0.0.1', A, '0.0.0.0'),
    arp(8, A, '10.0.0.1', A, '0.0.0.0'), // Inverse ARP
    arp(9, B, '10.0.0.2', A, '10.0.0.1'),
    arp(10, A, '10.0.0.1', A, '0.0.0.0'), // NAK
    arp(14, A, '10.0.0.1', A, '0.0.0.0'), // MARS
    arp(0, A, '10.0.0.1', A, '0.0.0.0'), // reserved
    arp(300, A, '10.0.0.1', A, '0.0.0.0'), // unknown
  ];
  const dir = join(outputDir, `arp-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const frames: RawFrame[] = packets.map((data, i) => ({ sec: 1_700_000_000 + i, frac: 0, data }));
    const file = writeBytes(join(dir, 'arp.pcap'), pcapFile({ linkType: LinkType.ETHERNET, frames }));
    const ours = await runCli(['packets', file]);
    const theirs = await runCommand('tshark', ['-r', file]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.ok((ours.stdout.match(/duplicate use of/g) ?? []).length >= 2, 'the capture exercises duplicate detection');
    assert.match(ours.stdout, /ARP Announcement for 10\.0\.0\.1[\s\S]*\(ARP Probe\)[\s\S]*RARP[\s\S]*Inverse ARP[\s\S]*MARS JOIN/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
