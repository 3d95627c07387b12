/**
 * Capture readers: pcap in both byte orders with µs and ns timestamps (and the modified
 * variant), pcapng with sections in both byte orders, several interfaces with different
 * link types, if_tsresol / if_tsoffset, enhanced / simple / obsolete packet blocks,
 * name-resolution, statistics, decryption-secrets, custom and unknown blocks, comments.
 * Each file is checked through the public API and against pcap-oracle (tshark).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture, LinkType } from '../../src/pcap/index.js';
import { needsCommands, outputDir, runCommand } from '../support/env.js';
import { compareWithOracle } from './support/oracle.js';
import { ethernet, ipv4, ipv6, nullLink, opt, pcapFile, PcapngBuilder, sll, sll2, tcp, udp, writeBytes, type RawFrame } from './support/craft.js';

const dir = join(outputDir, `packets-readers-${process.pid}`);
mkdirSync(dir, { recursive: true });
after(() => { if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

/** A short TCP exchange (handshake, data both ways, FIN) as IPv4 packets. */
function conversation(): Uint8Array[] {
  const c = { src: '10.77.200.1', dst: '10.77.200.2', proto: 6 };
  const s = { src: '10.77.200.2', dst: '10.77.200.1', proto: 6 };
  return [
    ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 1000, flags: 0x02, win: 64240, options: [...opt.mss(1460), ...opt.sackPerm(), ...opt.ts(1, 0), ...opt.ws(7)] })),
    ipv4(s, tcp({ sport: 40080, dport: 40000, seq: 5000, ack: 1001, flags: 0x12, win: 65160, options: [...opt.mss(1460), ...opt.sackPerm(), ...opt.ts(2, 1), ...opt.ws(7)] })),
    ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: 0x10, win: 502, options: opt.ts(3, 2) })),
    ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 1001, ack: 5001, flags: 0x18, win: 502, options: opt.ts(4, 2), payload: 100 })),
    ipv4(s, tcp({ sport: 40080, dport: 40000, seq: 5001, ack: 1101, flags: 0x18, win: 509, options: opt.ts(5, 4), payload: 300 })),
    ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 1101, ack: 5301, flags: 0x11, win: 500, options: opt.ts(6, 5) })),
    ipv4(s, tcp({ sport: 40080, dport: 40000, seq: 5301, ack: 1102, flags: 0x11, win: 509, options: opt.ts(7, 6) })),
    ipv4(c, tcp({ sport: 40000, dport: 40080, seq: 1102, ack: 5302, flags: 0x10, win: 500, options: opt.ts(8, 7) })),
  ];
}

function ethFrames(nanos: boolean): RawFrame[] {
  return conversation().map((p, i) => ({ sec: 1_700_000_000 + i, frac: nanos ? 123_456_789 + i : 123_456 + i, data: ethernet(0x0800, p) }));
}

describe('pcap', { skip: needsCommands('tshark') }, () => {
  for (const [name, options] of [
    ['little-endian µs', { nanos: false, bigEndian: false }],
    ['big-endian µs', { nanos: false, bigEndian: true }],
    ['little-endian ns', { nanos: true, bigEndian: false }],
    ['big-endian ns', { nanos: true, bigEndian: true }],
    ['modified (Kuznetsov) records', { nanos: false, bigEndian: false, modified: true }],
  ] as const) {
    test(name, async () => {
      const frames = ethFrames(options.nanos);
      const file = writeBytes(join(dir, `${name.replace(/\W+/g, '-')}.pcap`), pcapFile({ linkType: LinkType.ETHERNET, ...options, frames }));
      const cap = openCapture(file);
      assert.equal(cap.format, 'pcap');
      assert.equal(cap.byteOrder, options.bigEndian ? 'be' : 'le');
      assert.equal(cap.interfaces.length, 1);
      assert.equal(cap.interfaces[0]!.linkType, LinkType.ETHERNET);
      const read = [...cap.frames()];
      assert.equal(read.length, frames.length);
      read.forEach((f, i) => {
        assert.equal(f.number, i + 1);
        assert.equal(f.ts, BigInt(frames[i]!.sec) * 1_000_000_000n + BigInt(options.nanos ? frames[i]!.frac : frames[i]!.frac * 1000));
        assert.deepEqual(f.data, frames[i]!.data);
        assert.equal(f.caplen, frames[i]!.data.length);
      });
      const r = await compareWithOracle(file);
      assert.equal(r.frames, frames.length);
      assert.equal(r.fieldMismatchCount, 0, JSON.stringify(r.fieldMismatches));
      assert.equal(r.analysisAgreement, 1);
    });
  }
});

describe('link types', { skip: needsCommands('tshark') }, () => {
  const cases: [string, number, (p: Uint8Array) => Uint8Array][] = [
    ['Ethernet with an 802.1Q tag', LinkType.ETHERNET, (p) => ethernet(0x0800, p, [42])],
    ['Ethernet with 802.1ad + 802.1Q tags', LinkType.ETHERNET, (p) => ethernet(0x0800, p, [7, 42])],
    ['Linux cooked (SLL)', LinkType.LINUX_SLL, (p) => sll(0x0800, p)],
    ['Linux cooked v2 (SLL2)', LinkType.LINUX_SLL2, (p) => sll2(0x0800, p)],
    ['BSD loopback, little-endian family', LinkType.NULL, (p) => nullLink(2, p, true)],
    ['BSD loopback, big-endian family', LinkType.NULL, (p) => nullLink(2, p, false)],
    ['OpenBSD loopback (LOOP)', LinkType.LOOP, (p) => nullLink(2, p, false)],
    ['raw IP', LinkType.RAW, (p) => p],
    ['raw IPv4', LinkType.IPV4, (p) => p],
  ];
  for (const [name, linkType, wrap] of cases) {
    test(name, async () => {
      const frames = conversation().map((p, i) => ({ sec: 1_700_000_100, frac: i * 1000, data: wrap(p) }));
      const file = writeBytes(join(dir, `${name.replace(/\W+/g, '-')}.pcap`), pcapFile({ linkType, frames }));
      const r = await compareWithOracle(file);
      assert.equal(r.frames, frames.length);
      assert.equal(r.fieldMismatchCount, 0, JSON.stringify(r.fieldMismatches));
      assert.equal(r.analysisAgreement, 1);
    });
  }
});

describe('pcapng', { skip: needsCommands('tshark') }, () => {
  /** `extras`: add custom and systemd-journal blocks (tshark turns those into records of their own). */
  function mixed(extras: boolean): Uint8Array {
    const conv = conversation();
    const v6 = ipv6('fd77::1', 'fd77::2', 17, udp(40001, 40002, 20));
    const le: PcapngBuilder = new PcapngBuilder(true)
      .section([
        [1, 'first section'],
        [2, 'test hardware'],
        [3, 'Linux'],
        [4, 'craft.ts'],
      ])
      .iface(LinkType.ETHERNET, [
        [2, 'veth0'],
        [1, 'the ethernet one'],
        [9, [9]],
      ])
      .iface(LinkType.LINUX_SLL2, [
        [2, 'any'],
        [9, [6]],
        [14, [0x10, 0, 0, 0, 0, 0, 0, 0]],
      ])
      .iface(LinkType.RAW, [
        [2, 'tun0'],
        [9, [0x8a]],
      ])
      .nameResolution([['10.77.200.1', 'client.example']]);
    if (extras) le.custom(0x00000bad, [0, 0, 0x7e, 0x4f, 1, 2, 3, 4]);
    le.packet(0, 1_700_000_000_123_456_789n, ethernet(0x0800, conv[0]!), [
        [1, 'process=ncat pid=4242 fd=3'],
        [1, 'second comment'],
        [2, [1, 0, 0, 0]],
      ])
      .packet(1, 1_700_000_000_123_457n, sll2(0x0800, conv[1]!));
    if (extras) le.custom(0x40000bad, [0, 0, 0x7e, 0x4f]).custom(0x00000009, [1, 2, 3, 4]).custom(0x00004242, [9, 9, 9, 9]);
    le.packet(2, 1_740_800_000_000n * 1024n + 512n, conv[2]!)
      .obsoletePacket(0, 1_700_000_001_000_000_000n, ethernet(0x0800, conv[3]!), [[1, 'obsolete block']])
      .statistics(0, 1_700_000_002_000_000_000n, 10n, 1n)
      .secrets(0x544c534b, 'CLIENT_RANDOM 00 11\n');
    const be = new PcapngBuilder(false)
      .section([[1, 'big-endian section']])
      .iface(LinkType.ETHERNET, [[9, [6]]], 1514)
      .simplePacket(ethernet(0x0800, conv[4]!))
      .iface(LinkType.IPV6, [[9, [6]]])
      .packet(0, 1_700_000_003_000_000n, ethernet(0x0800, conv[5]!))
      .packet(1, 1_700_000_003_000_001n, v6)
      .bytes();
    return new Uint8Array([...le.bytes(), ...be]);
  }

  test('sections in both byte orders, many interfaces and link types, every block kind, comments', () => {
    const file = writeBytes(join(dir, 'mixed-extras.pcapng'), mixed(true));

    const cap = openCapture(file);
    assert.equal(cap.format, 'pcapng');
    assert.equal(cap.byteOrder, 'le');
    assert.equal(cap.interfaces.length, 3, 'interfaces before the first packet are known at open');
    assert.deepEqual(cap.sectionComments, ['first section']);
    assert.deepEqual(cap.sectionInfo, { hardware: 'test hardware', os: 'Linux', application: 'craft.ts' });
    const [eth, any, tun] = cap.interfaces;
    assert.equal(eth!.name, 'veth0');
    assert.deepEqual(eth!.comments, ['the ethernet one']);
    assert.equal(eth!.unitsPerSecond, 1_000_000_000n);
    assert.equal(any!.linkType, LinkType.LINUX_SLL2);
    assert.equal(any!.tsOffset, 16n);
    assert.equal(tun!.unitsPerSecond, 1024n);
    const frames = [...cap.frames()];
    assert.equal(frames.length, 7);
    assert.deepEqual(frames[0]!.comments, ['process=ncat pid=4242 fd=3', 'second comment']);
    assert.equal(frames[0]!.flags, 1);
    assert.equal(frames[0]!.ts, 1_700_000_000_123_456_789n);
    assert.equal(frames[1]!.ts, 1_700_000_016_123_457_000n, 'µs ticks plus a 16 s if_tsoffset');
    assert.equal(frames[2]!.ts, 1_740_800_000_000n * 1_000_000_000n + 500_000_000n, '2^-10 s ticks');
    assert.deepEqual(frames[3]!.comments, ['obsolete block']);
    assert.equal(frames[4]!.interfaceId, 3, 'the second section numbers its interfaces anew');
    assert.equal(frames[4]!.ts, 0n, 'simple packet blocks carry no time');
    assert.equal(frames[6]!.interfaceId, 4);
    assert.equal(cap.interfaces.length, 5);
    assert.deepEqual(cap.sectionComments, ['first section', 'big-endian section']);
    assert.deepEqual(cap.nameRecords, [{ family: 4, address: '10.77.200.1', names: ['client.example'] }]);
    assert.equal(cap.secrets.length, 1);
    assert.equal(new TextDecoder().decode(cap.secrets[0]!.data), 'CLIENT_RANDOM 00 11\n');
    assert.equal(cap.interfaces[0]!.statistics?.received, 10n);
    assert.equal(cap.interfaces[0]!.statistics?.droppedByInterface, 1n);
  });

  test('the same file (without custom blocks, which tshark lists as records) agrees with pcap-oracle', async () => {
    const file = writeBytes(join(dir, 'mixed.pcapng'), mixed(false));
    const r = await compareWithOracle(file);
    assert.equal(r.frames, 7);
    assert.equal(r.fieldMismatchCount, 0, JSON.stringify(r.fieldMismatches, null, 1));
    assert.equal(r.analysisAgreement, 1);
  });

  test('name-resolution records give RFC 5952 IPv6 text, as tshark -z hosts does', async () => {
    const records: [string, string][] = [
      ['10.77.200.1', 'client.example'],
      ['fd77:0:0:0:0:0:0:1', 'v6.example'],
      ['2001:db8:0:0:1:0:0:1', 'tie.example'],
      ['0:0:0:0:0:ffff:a01:203', 'mapped.example'],
    ];
    const file = writeBytes(
      join(dir, 'names.pcapng'),
      new PcapngBuilder(true)
        .section([])
        .iface(LinkType.ETHERNET, [])
        .nameResolution(records)
        .packet(0, 1_700_000_000_000_000_000n, ethernet(0x86dd, ipv6('fd77::1', 'fd77::2', 17, udp(40001, 40002, 4))))
        .bytes(),
    );
    const ours = openCapture(file).nameRecords.map((r) => `${r.address}\t${r.names.join(' ')}`);
    assert.deepEqual(ours, ['10.77.200.1\tclient.example', 'fd77::1\tv6.example', '2001:db8::1:0:0:1\ttie.example', '::ffff:10.1.2.3\tmapped.example']);
    const t = await runCommand('tshark', ['-r', file, '-q', '-z', 'hosts']);
    assert.equal(t.code, 0, t.stderr);
    const theirs = t.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual([...ours].sort(), theirs.sort());
  });
});
