/**
 * Damaged input. File-level damage (bad magic, a record or block running past the end,
 * absurd or inconsistent lengths) ends with exit status 2 and ONE stderr line naming the
 * byte offset — after every good frame before it was printed. Frame-level damage marks
 * that frame malformed and reading goes on. Random corruption never crashes or hangs.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../src/base/errors.js';
import { infoText } from '../../src/analysis/tcp/packet-columns.js';
import { packetRecordJson } from '../../src/analysis/tcp/packet-record.js';
import { PacketStream } from '../../src/analysis/tcp/packet-stream.js';
import { LinkType, openCapture } from '../../src/pcap/index.js';
import { needsCommands, outputDir, runCli, runCommand } from '../support/env.js';
import { compareWithOracle } from './support/oracle.js';
import { concat, ethernet, ipv4, opt, pcapFile, PcapngBuilder, tcp, writeBytes, type RawFrame } from './support/craft.js';

const dir = join(outputDir, `packets-bad-${process.pid}`);
mkdirSync(dir, { recursive: true });
after(() => rmSync(dir, { recursive: true, force: true }));

function frames(n: number): RawFrame[] {
  const out: RawFrame[] = [];
  for (let i = 0; i < n; i++) {
    const p = ipv4({ src: '10.77.203.1', dst: '10.77.203.2', proto: 6 }, tcp({ sport: 40000, dport: 40080, seq: 1000 + i * 10, ack: 1, flags: 0x18, win: 500, payload: 10 }));
    out.push({ sec: 1_700_000_000, frac: i, data: ethernet(0x0800, p) });
  }
  return out;
}

async function expectFileError(file: string, pattern: RegExp, framesBefore: number): Promise<void> {
  const r = await runCli(['packets', file, '--format', 'jsonl'], { timeoutMs: 20_000 });
  assert.equal(r.code, 2, `exit status (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `exactly one error line, got: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /internal error| {4}at /);
  assert.equal(r.stdout.split('\n').filter(Boolean).length, framesBefore, 'the good frames before the damage are printed');
}

describe('file-level damage', () => {
  test('not a capture', async () => {
    await expectFileError(writeBytes(join(dir, 'text.pcap'), new TextEncoder().encode('hello, this is not a capture file\n')), /at byte 0: not a pcap or pcapng file \(magic 0x6c6c6568\)/, 0);
  });

  test('empty file', async () => {
    await expectFileError(writeBytes(join(dir, 'empty.pcap'), new Uint8Array(0)), /at byte 0: file too short/, 0);
  });

  test('pcap cut inside a packet', async () => {
    const full = pcapFile({ linkType: LinkType.ETHERNET, frames: frames(8) });
    const recordSize = 16 + frames(1)[0]!.data.length;
    const sixth = 24 + 5 * recordSize;
    await expectFileError(writeBytes(join(dir, 'cut.pcap'), full.subarray(0, sixth + 16 + 10)), new RegExp(`at byte ${sixth}: file ends inside a packet`), 5);
  });

  test('pcap cut inside a record header', async () => {
    const full = pcapFile({ linkType: LinkType.ETHERNET, frames: frames(3) });
    await expectFileError(writeBytes(join(dir, 'cut-header.pcap'), full.subarray(0, full.length - frames(1)[0]!.data.length - 6)), /file ends inside a record header/, 2);
  });

  test('pcap record with an absurd length', async () => {
    const bytes = pcapFile({ linkType: LinkType.ETHERNET, frames: frames(4) });
    const third = 24 + 2 * (16 + frames(1)[0]!.data.length);
    new DataView(bytes.buffer).setUint32(third + 8, 0x7fffffff, true);
    await expectFileError(writeBytes(join(dir, 'absurd.pcap'), bytes), new RegExp(`at byte ${third}: record of 2147483647 captured bytes is bigger than the maximum`), 2);
  });

  const p = ethernet(0x0800, ipv4({ src: '10.77.203.1', dst: '10.77.203.2', proto: 6 }, tcp({ sport: 1, dport: 2, seq: 3, flags: 2, win: 4 })));
  const good = () => new PcapngBuilder(true).section().iface(LinkType.ETHERNET).packet(0, 1n, p).packet(0, 2n, p);

  test('pcapng block running past the end of the file', async () => {
    const bytes = good().packet(0, 3n, p).bytes();
    await expectFileError(writeBytes(join(dir, 'past-end.pcapng'), bytes.subarray(0, bytes.length - 8)), /runs past the end of the file/, 2);
  });

  test('pcapng absurd block length', async () => {
    const bytes = concat(good().bytes(), Uint8Array.from([6, 0, 0, 0, 0, 0, 0, 0xf0]));
    await expectFileError(writeBytes(join(dir, 'absurd.pcapng'), bytes), /block total length 4026531840 is absurd/, 2);
  });

  test('pcapng block length not a multiple of 4', async () => {
    const bytes = concat(good().bytes(), Uint8Array.from([6, 0, 0, 0, 30, 0, 0, 0]), new Uint8Array(22));
    const offset = good().bytes().length + 4;
    await expectFileError(writeBytes(join(dir, 'odd.pcapng'), bytes), new RegExp(`at byte ${offset}: block total length 30 is invalid`), 2);
  });

  test('pcapng trailing length that disagrees', async () => {
    const bytes = good().bytes();
    bytes[bytes.length - 4]! ^= 0x04;
    await expectFileError(writeBytes(join(dir, 'trailer.pcapng'), bytes), /trailing length \d+ differs from its leading length/, 1);
  });

  test('pcapng packet of an undeclared interface', async () => {
    const bytes = good().packet(3, 9n, p).bytes();
    await expectFileError(writeBytes(join(dir, 'iface.pcapng'), bytes), /packet refers to interface 3, but the section declares 1/, 2);
  });

  test('pcapng with a bad byte-order magic', async () => {
    const bytes = good().bytes();
    bytes[8] = 0x99;
    await expectFileError(writeBytes(join(dir, 'bom.pcapng'), bytes), /at byte 8: bad byte-order magic/, 0);
  });

  test('a directory that is not a bundle, and a missing file', async () => {
    let r = await runCli(['packets', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /directory has no capture\.pcapng/);
    r = await runCli(['packets', join(dir, 'nope.pcap')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /nope\.pcap: no such file or directory$/);
  });

  test('conversations and follow also stop with one line', async () => {
    const file = writeBytes(join(dir, 'conv-cut.pcap'), pcapFile({ linkType: LinkType.ETHERNET, frames: frames(5) }).subarray(0, 200));
    for (const args of [['conversations', file], ['follow', file, '--stream', '0']]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /at byte \d+: file ends inside/);
    }
  });
});

describe('frame-level damage', { skip: needsCommands('tshark') }, () => {
  test('malformed frames are marked and reading goes on, agreeing with tshark', async () => {
    const c = { src: '10.77.204.1', dst: '10.77.204.2', proto: 6 };
    const s = { src: '10.77.204.2', dst: '10.77.204.1', proto: 6 };
    const pkts: Uint8Array[] = [
      ethernet(0x0800, ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 100, flags: 0x02, win: 64240, options: [...opt.mss(1460), ...opt.ws(7)] }))),
      ethernet(0x0800, ipv4(s, tcp({ sport: 40080, dport: 40000, seq: 900, ack: 101, flags: 0x12, win: 64240, options: [...opt.mss(1460), ...opt.ws(7)] }))),
      // IPv4 header length 8 (< 20): bogus.
      (() => {
        const e = ethernet(0x0800, ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 101, ack: 901, flags: 0x10, win: 500 })));
        e[14] = 0x42;
        return e;
      })(),
      // IPv4 total length smaller than the header.
      ethernet(0x0800, ipv4({ ...c, totalLength: 12 }, tcp({ sport: 40000, dport: 40080, seq: 101, ack: 901, flags: 0x10, win: 500 }))),
      // TCP data offset 3 (12 bytes): bogus.
      ethernet(0x0800, ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 101, ack: 901, flags: 0x18, win: 500, payload: 20, dataOffsetWords: 3 }))),
      // TCP option with a length running past the header.
      ethernet(0x0800, ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 101, ack: 901, flags: 0x18, win: 500, payload: 5, options: [8, 40, 1, 2] }))),
      // Only 10 bytes of TCP header in the packet.
      ethernet(0x0800, ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 106, ack: 901, flags: 0x10, win: 500 })).subarray(0, 30)),
      // A good segment afterwards.
      ethernet(0x0800, ipv4(s, tcp({ sport: 40080, dport: 40000, seq: 901, ack: 106, flags: 0x18, win: 500, payload: 7 }))),
    ];
    const raw: RawFrame[] = pkts.map((data, i) => ({ sec: 1_700_000_000, frac: i * 10, data }));
    // A frame cut by the snap length inside the TCP options, and one whose captured length exceeds its wire length.
    const syn2 = ethernet(0x0800, ipv4(c, tcp({ sport: 40001, dport: 40080, seq: 5, flags: 0x02, win: 64240, options: [...opt.mss(1460), ...opt.sackPerm(), ...opt.ts(1, 0), ...opt.ws(7)] })));
    raw.push({ sec: 1_700_000_001, frac: 0, data: syn2.subarray(0, 60), len: syn2.length });
    raw.push({ sec: 1_700_000_001, frac: 5, data: pkts[7]!, len: 40 });
    const file = writeBytes(join(dir, 'malformed-frames.pcap'), pcapFile({ linkType: LinkType.ETHERNET, frames: raw }));
    const text = await runCli(['packets', file]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines.length, raw.length);
    // the text is tshark's, line for line: its wording of bogus lengths, "[Malformed Packet]"
    // where a header is cut short, "[Packet size limited during capture]" where the snap
    // length cut it
    const theirs = await runCommand('tshark', ['-r', file]);
    assert.equal(theirs.code, 0, theirs.stderr);
    const tlines = theirs.stdout.trim().split('\n');
    for (let i = 0; i < lines.length; i++) if (i !== 9) assert.equal(lines[i], tlines[i], `frame ${i + 1}`);
    assert.match(lines[2]!, /IPv4 54 Bogus IP header length \(8, must be at least 20\)$/);
    assert.match(lines[4]!, /Win=64000, bogus TCP header length \(12, must be at least 20\)$/);
    assert.match(lines[6]!, /40000 → 40080\[Malformed Packet\]$/);
    assert.match(lines[8]!, /\[Packet size limited during capture\]/);
    // a record whose captured length exceeds its wire length: tshark shows it as is, we mark it
    assert.match(lines[9]!, /\[Malformed Packet\]$/);
    const r = await compareWithOracle(file);
    assert.equal(r.frames, raw.length);
    assert.equal(r.fieldMismatchCount, 0, JSON.stringify(r.fieldMismatches, null, 1));
    assert.equal(r.analysisAgreement, 1, JSON.stringify(r.analysisMismatches));
  });
});

describe('random corruption', () => {
  const base = new PcapngBuilder(true).section([[1, 'fuzz']]).iface(LinkType.ETHERNET, [[9, [9]]]);
  frames(12).forEach((f, i) => base.packet(0, BigInt(1_700_000_000_000_000_000n) + BigInt(i), f.data, [[1, `c${i}`]]));
  const good = base.bytes();
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const mutate = (): Uint8Array => {
    const bytes = good.slice();
    const flips = 1 + Math.floor(rand() * 6);
    for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    return bytes;
  };

  test('300 corrupted files read in-process: only FormatErrors, never anything else', () => {
    for (let k = 0; k < 300; k++) {
      const file = writeBytes(join(dir, 'fuzz-inproc.pcapng'), mutate());
      try {
        const stream = new PacketStream(openCapture(file));
        for (let p = stream.next(); p !== null; p = stream.next()) {
          packetRecordJson(p.frame, p.summary, p.tcp);
          infoText(p);
        }
      } catch (err) {
        assert.ok(err instanceof FormatError, `variant ${k}: ${(err as Error).stack}`);
      }
    }
  });

  test('corrupted files through the CLI: exit 0 or 2, at most one error line', async () => {
    for (let k = 0; k < 6; k++) {
      const file = writeBytes(join(dir, `fuzz-${k}.pcapng`), mutate());
      for (const args of [['packets', file], ['packets', file, '--format', 'jsonl'], ['conversations', file]]) {
        const r = await runCli(args, { timeoutMs: 20_000 });
        assert.ok(r.code === 0 || r.code === 2, `${args.join(' ')} (fuzz ${k}) exited ${r.code}: ${r.stderr}`);
        assert.ok(r.stderr.trim().split('\n').filter(Boolean).length <= 1, `one error line at most: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /internal error/);
      }
    }
  });
});
