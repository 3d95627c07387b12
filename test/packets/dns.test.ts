/**
 * DNS (and mDNS, LLMNR) in the Protocol and Info columns, as tshark shows it: crafted
 * queries and responses over UDP and TCP (every record type tracewire gives data for, compression pointers,
 * error codes, other opcodes, the root name), and messages tshark does not summarise as
 * DNS for the same reasons we do not (cut, damaged, split over segments), compared line by
 * line with `tshark -r`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType } from '../../src/pcap/index.js';
import { needsCommands, outputDir, runCli, runCommand } from '../support/env.js';
import { ethernet, ipv4, ipv6, pcapFile, tcp, udp, writeBytes, type RawFrame } from './support/craft.js';

const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];

/** A domain name in wire format (no compression). */
function name(text: string): number[] {
  if (text === '') return [0];
  return [...text.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0];
}

function rr(owner: number[], type: number, data: number[], cls = 1, ttl = 300): number[] {
  return [...owner, ...be16(type), ...be16(cls), ...be32(ttl), ...be16(data.length), ...data];
}

function message(o: { id: number; flags: number; questions?: number[][]; answers?: number[][]; authority?: number[][]; additional?: number[][] }): Uint8Array {
  const q = o.questions ?? [];
  const an = o.answers ?? [];
  const ns = o.authority ?? [];
  const ar = o.additional ?? [];
  return Uint8Array.from([...be16(o.id), ...be16(o.flags), ...be16(q.length), ...be16(an.length), ...be16(ns.length), ...be16(ar.length), ...q.flat(), ...an.flat(), ...ns.flat(), ...ar.flat()]);
}

const question = (n: string, type: number, cls = 1) => [...name(n), ...be16(type), ...be16(cls)];
const opt = () => [0, ...be16(41), ...be16(1232), ...be32(0), ...be16(0)];
/** A pointer to offset 12: the first question's name. */
const toQuestion = [0xc0, 12];

const v4 = (m: Uint8Array, sport: number, dport: number) => ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.53', proto: 17 }, udp(sport, dport, m)));

test('DNS queries and responses: the same Protocol and Info as tshark', { skip: needsCommands('tshark') }, async () => {
  const query = message({ id: 0x4319, flags: 0x0100, questions: [question('www.example.org', 1)], additional: [opt()] });
  const response = message({
    id: 0x4319,
    flags: 0x8180,
    questions: [question('www.example.org', 1)],
    answers: [
      rr(toQuestion, 5, name('web.example.net')),
      rr(name('web.example.net'), 1, [192, 0, 2, 7]),
      rr(name('web.example.net'), 28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ],
    authority: [rr(name('example.net'), 2, name('ns1.example.net')), rr(name('example.net'), 6, [...name('ns1.example.net'), ...name('admin.example.net'), ...be32(1), ...be32(2), ...be32(3), ...be32(4), ...be32(5)])],
    additional: [rr(name('example.net'), 15, [...be16(10), ...name('mail.example.net')]), rr(name('_sip._udp.example.net'), 33, [...be16(1), ...be16(5), ...be16(5060), ...name('sip.example.net')]), rr(name('example.net'), 16, [5, ...Buffer.from('hello')]), opt()],
  });
  const frames: Uint8Array[] = [
    v4(query, 40000, 53),
    v4(response, 53, 40000),
    v4(message({ id: 1, flags: 0x8183, questions: [question('nope.example', 28)], authority: [rr(name('example'), 6, [...name('a.example'), ...name('b.example'), ...be32(1), ...be32(2), ...be32(3), ...be32(4), ...be32(5)])] }), 53, 40001),
    v4(message({ id: 2, flags: 0x8182, questions: [question('x.example', 1)] }), 53, 40002), // server failure
    v4(message({ id: 3, flags: 0x8185, questions: [question('x.example', 15)] }), 53, 40003), // refused
    v4(message({ id: 4, flags: 0x0100, questions: [question('7.2.0.192.in-addr.arpa', 12)] }), 40004, 53),
    v4(message({ id: 4, flags: 0x8180, questions: [question('7.2.0.192.in-addr.arpa', 12)], answers: [rr(toQuestion, 12, name('host.example'))] }), 53, 40004),
    v4(message({ id: 5, flags: 0x2800, questions: [question('example.org', 6)] }), 40005, 53), // dynamic update
    v4(message({ id: 6, flags: 0x0100, questions: [question('', 2)] }), 40006, 53), // the root
    v4(message({ id: 7, flags: 0x0100, questions: [question('example.org', 255), question('example.org', 65), question('example.org', 4242)] }), 40007, 53),
    v4(message({ id: 8, flags: 0x7900, questions: [question('example.org', 1)] }), 40008, 53), // opcode 15
    v4(message({ id: 9, flags: 0x818b, questions: [question('example.org', 1)] }), 53, 40009), // rcode 11
    v4(message({ id: 9, flags: 0x818c, questions: [question('example.org', 1)] }), 53, 40009), // rcode 12
    v4(message({ id: 10, flags: 0x0100, questions: [question('example.org', 1)] }).subarray(0, 20), 40010, 53), // ends early: malformed
    v4(message({ id: 10, flags: 0x8180, questions: [question('example.org', 1)], answers: [rr(toQuestion, 1, [1, 2, 3, 4])] }).subarray(0, 40), 53, 40010),
    v4(Uint8Array.from([1, 2, 3]), 40011, 53), // shorter than a header
    v4(message({ id: 11, flags: 0x0100, questions: [[0xc0, 12, 0, 1, 0, 1]] }), 40011, 53), // a pointer to itself
    ethernet(0x86dd, ipv6('fd00::1', 'fd00::53', 17, udp(40012, 53, query))),
  ];
  // TCP: one message behind its length (a segment holding part of one is not summarised:
  // tshark marks it as a segment of a PDU it reassembles, which tracewire does not)
  const overTcp = (m: Uint8Array, seq: number, sport: number, dport: number) =>
    ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.53', proto: 6 }, tcp({ sport, dport, seq, ack: 1, flags: 0x18, win: 502, payload: m })));
  const framed = Uint8Array.from([...be16(query.length), ...query]);
  frames.push(overTcp(framed, 1000, 40100, 53));
  // multicast DNS ("QM"/"QU" questions, cache-flush records) and LLMNR
  const multicast = (m: Uint8Array, port: number, fromPort = port) => ethernet(0x0800, ipv4({ src: '192.168.1.5', dst: port === 5353 ? '224.0.0.251' : '224.0.0.252', proto: 17 }, udp(fromPort, port, m)));
  frames.push(
    multicast(message({ id: 0, flags: 0, questions: [question('_ipp._tcp.local', 12)] }), 5353),
    multicast(message({ id: 0, flags: 0, questions: [question('_ipp._tcp.local', 12, 0x8001)] }), 5353),
    multicast(message({ id: 0, flags: 0x8400, answers: [rr(name('_ipp._tcp.local'), 12, name('printer._ipp._tcp.local')), rr(name('myhost.local'), 1, [192, 168, 1, 5], 0x8001)] }), 5353),
    multicast(message({ id: 0x1234, flags: 0, questions: [question('wpad', 1)] }), 5355, 50000),
    multicast(message({ id: 0x1234, flags: 0x8000, questions: [question('wpad', 1)], answers: [rr(name('wpad'), 1, [10, 0, 0, 1])] }), 50000, 5355),
  );
  const dir = join(outputDir, `dns-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const raw: RawFrame[] = frames.map((data, i) => ({ sec: 1_700_000_000 + i, frac: 0, data }));
    const file = writeBytes(join(dir, 'dns.pcap'), pcapFile({ linkType: LinkType.ETHERNET, frames: raw }));
    const ours = await runCli(['packets', file]);
    const theirs = await runCommand('tshark', ['-r', file]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal((ours.stdout.match(/ (DNS|MDNS|LLMNR) /g) ?? []).length, frames.length, 'every frame is DNS, mDNS or LLMNR');
    assert.match(ours.stdout, /MDNS \d+ Standard query response 0x0000 PTR printer\._ipp\._tcp\.local A, cache flush 192\.168\.1\.5/);
    assert.match(ours.stdout, /LLMNR \d+ Standard query 0x1234 A wpad/);
    // the protocols as display-filter fields: the same frames as tshark -Y
    const filters = ['dns', 'mdns', 'llmnr', 'dns && tcp', 'not dns', 'dns contains "example"'];
    // and Wireshark's dns.* fields
    filters.push('dns.qry.name == "www.example.org"', 'dns.qry.name contains "example"', 'dns.flags.response == 1', 'dns.flags.response == 0', 'dns.a == 192.0.2.7');
    filters.push('dns.aaaa == 2001:db8::1', 'dns.flags.rcode == 3', 'dns.qry.type == 12', 'dns.id == 0x4319', 'dns.cname == "web.example.net"', 'dns.count.answers > 0');
    filters.push('dns.resp.type == 33', 'dns.resp.name == "myhost.local"', 'dns.flags.opcode == 5');
    for (const filter of filters) {
      const mine = await runCli(['packets', file, '--filter', filter]);
      const tshark = await runCommand('tshark', ['-r', file, '-Y', filter]);
      assert.equal(mine.code, 0, mine.stderr);
      assert.equal(mine.stdout, tshark.stdout, `--filter '${filter}'`);
    }
    assert.equal((ours.stdout.match(/\[Malformed Packet\]/g) ?? []).length, 3);
    assert.match(ours.stdout, /<Name contains a pointer that loops>/);
    assert.match(ours.stdout, /Standard query response 0x4319 A www\.example\.org CNAME web\.example\.net A 192\.0\.2\.7 AAAA 2001:db8::1 NS ns1\.example\.net SOA ns1\.example\.net MX 10 mail\.example\.net SRV 1 5 5060 sip\.example\.net TXT OPT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
