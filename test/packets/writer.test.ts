/**
 * pcapng writer: read → write → read gives identical frames and interfaces; tshark reads
 * what we write (same pcap-oracle records as the original); packet comments carry
 * per-packet annotations such as the process that sent a packet.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture, PcapngWriter, writePcapng, LinkType, type CapturedFrame } from '../../src/pcap/index.js';
import { needsCommands, outputDir, pcapOracle, runCommand, sharedCaptures } from '../support/env.js';
import { ethernet, ipv4, opt, PcapngBuilder, tcp, writeBytes } from './support/craft.js';

const dir = join(outputDir, `packets-writer-${process.pid}`);
mkdirSync(dir, { recursive: true });
after(() => rmSync(dir, { recursive: true, force: true }));

function captures(d: string): string[] {
  return readdirSync(d)
    .flatMap((e) => (statSync(join(d, e)).isDirectory() ? captures(join(d, e)) : /\.pcap(ng)?$/.test(e) ? [join(d, e)] : []))
    .sort();
}

function frameView(f: CapturedFrame) {
  return { number: f.number, ts: f.ts, caplen: f.caplen, len: f.len, interfaceId: f.interfaceId, data: Buffer.from(f.data).toString('hex'), comments: [...f.comments], flags: f.flags, options: (f.otherOptions ?? []).map((o) => [o.code, Buffer.from(o.value).toString('hex')]) };
}

function roundTrip(src: string, out: string) {
  const a = openCapture(src);
  const framesA = [...a.frames()];
  writePcapng(out, a.interfaces, framesA, { comments: a.sectionComments });
  const b = openCapture(out);
  const framesB = [...b.frames()];
  return { a, b, framesA, framesB };
}

describe('read → write → read', () => {
  for (const src of captures(sharedCaptures)) {
    test(src.slice(sharedCaptures.length + 1), async () => {
      const out = join(dir, `rt-${src.replace(/\W+/g, '_')}.pcapng`);
      const { a, b, framesA, framesB } = roundTrip(src, out);
      assert.equal(framesB.length, framesA.length);
      assert.deepEqual(framesB.map(frameView), framesA.map(frameView));
      assert.deepEqual(
        b.interfaces.map((i) => [i.linkType, i.snapLen, i.tsResolution, i.tsOffset, i.name, [...i.comments]]),
        a.interfaces.map((i) => [i.linkType, i.snapLen, i.tsResolution, i.tsOffset, i.name, [...i.comments]]),
      );
      if (!needsCommands('tshark')) {
        const [ro, rw] = await Promise.all([runCommand(pcapOracle, [src]), runCommand(pcapOracle, [out])]);
        assert.equal(rw.code, 0, rw.stderr);
        assert.equal(rw.stdout, ro.stdout, 'tshark reads the written file to the same records');
      }
    });
  }

  test('a multi-section, multi-interface file with options and comments', () => {
    const p = ipv4({ src: '10.77.201.1', dst: '10.77.201.2', proto: 6 }, tcp({ sport: 40000, dport: 40080, seq: 1, flags: 0x02, win: 1000, options: opt.mss(1460) }));
    const src = writeBytes(
      join(dir, 'multi.pcapng'),
      new Uint8Array([
        ...new PcapngBuilder(true)
          .section([[1, 'one']])
          .iface(LinkType.ETHERNET, [
            [2, 'eth0'],
            [1, 'iface comment'],
            [9, [0x89]],
            [14, [5, 0, 0, 0, 0, 0, 0, 0]],
            [12, 'Linux 6'],
          ])
          .packet(0, 123456789012n, ethernet(0x0800, p), [
            [1, 'c1'],
            [2, [2, 0, 0, 0]],
            [4, [7, 0, 0, 0, 0, 0, 0, 0]],
          ])
          .bytes(),
        ...new PcapngBuilder(false)
          .section([[1, 'two']])
          .iface(LinkType.RAW, [[9, [3]]])
          .packet(0, 1_700_000_000_123n, p, [[1, 'c2']])
          .bytes(),
      ]),
    );
    const { a, b, framesA, framesB } = roundTrip(src, join(dir, 'multi-out.pcapng'));
    assert.deepEqual(framesB.map(frameView), framesA.map(frameView));
    assert.deepEqual(b.sectionComments, ['one', 'two']);
    assert.equal(b.interfaces[0]!.name, 'eth0');
    assert.equal(b.interfaces[0]!.os, 'Linux 6');
    assert.equal(b.interfaces[0]!.tsResolution, 0x89);
    assert.equal(b.interfaces[0]!.tsOffset, 5n);
    assert.deepEqual(b.interfaces[0]!.comments, ['iface comment']);
    assert.equal(b.interfaces[1]!.linkType, LinkType.RAW);
    assert.equal(a.interfaces.length, 2);
  });
});

describe('annotations', () => {
  test('packet comments written by PcapngWriter are read back and shown by tshark', async () => {
    const out = join(dir, 'annotated.pcapng');
    const w = new PcapngWriter(out, { comments: ['exported by tracewire'], application: 'tracewire test' });
    const eth = w.addInterface({ linkType: LinkType.ETHERNET, name: 'veth-a', snapLen: 262144 });
    const raw = w.addInterface({ linkType: LinkType.RAW, name: 'tun0', tsResolution: 6 });
    const syn = ipv4({ src: '10.77.202.1', dst: '10.77.202.2', proto: 6 }, tcp({ sport: 40000, dport: 5000, seq: 7, flags: 0x02, win: 64240 }));
    w.writeFrame({ interfaceId: eth, ts: 1_700_000_000_000_000_001n, data: ethernet(0x0800, syn), comments: ['process=ncat pid=4242 fd=5'] });
    w.writeFrame({ interfaceId: raw, tsSec: 1_700_000_000, tsNsec: 250_000_000, data: syn, comments: ['process=ncat pid=4242 fd=5', 'second note'] });
    w.writeFrame({ interfaceId: raw, ts: 1_700_000_001_000_000_000n, data: syn.subarray(0, 30), len: syn.length });
    w.close();
    const cap = openCapture(out);
    const frames = [...cap.frames()];
    assert.equal(frames.length, 3);
    assert.deepEqual(frames[0]!.comments, ['process=ncat pid=4242 fd=5']);
    assert.deepEqual(frames[1]!.comments, ['process=ncat pid=4242 fd=5', 'second note']);
    assert.equal(frames[0]!.ts, 1_700_000_000_000_000_001n);
    assert.equal(frames[1]!.ts, 1_700_000_000_250_000_000n);
    assert.equal(frames[2]!.caplen, 30);
    assert.equal(frames[2]!.len, syn.length);
    assert.deepEqual(cap.sectionComments, ['exported by tracewire']);
    assert.deepEqual(
      cap.interfaces.map((i) => [i.linkType, i.name]),
      [
        [LinkType.ETHERNET, 'veth-a'],
        [LinkType.RAW, 'tun0'],
      ],
    );
    if (!needsCommands('tshark')) {
      const r = await runCommand('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.comment', '-e', 'ip.src', '-e', 'frame.time_epoch']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [
        '1\tprocess=ncat pid=4242 fd=5\t10.77.202.1\t1700000000.000000001',
        '2\tprocess=ncat pid=4242 fd=5,second note\t10.77.202.1\t1700000000.250000000',
        '3\t\t10.77.202.1\t1700000001.000000000',
      ]);
    }
  });
});
