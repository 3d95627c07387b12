/**
 * Writes a small CTF 1.8 kernel trace whose `net_dev_queue` / `net_if_receive_skb` events
 * have the layout lttng-modules ≥ 2.9 gives them (instrumentation/events/net.h): the
 * `network_header_type` enum selects a variant holding the copied IPv4 or IPv6 header,
 * whose `transport_header_type` selects the copied TCP header, bit fields in network
 * byte order. No machine here has LTTng's kernel modules, so tests build such traces
 * from packets with known timestamps; babeltrace2 reads them too (the oracle for the
 * layout).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NetdevEvent {
  /** ns on the trace clock (cycles at 1 GHz, offset 0). */
  readonly ts: bigint;
  readonly send: boolean;
  /** Raw IPv4 (20 bytes) or IPv6 (40 bytes) header. */
  readonly ip: Uint8Array;
  /** Raw TCP header (20 bytes). */
  readonly tcp: Uint8Array;
}

const be = (size: number, align: number, base = 10) => `integer { size = ${size}; align = ${align}; signed = 0; encoding = none; base = ${base}; byte_order = be; }`;
const u8 = 'integer { size = 8; align = 8; signed = 0; encoding = none; base = 10; }';

const TCP_STRUCT = `struct {
        ${be(16, 8)} _source_port;
        ${be(16, 8)} _dest_port;
        ${be(32, 8)} _seq;
        ${be(32, 8)} _ack_seq;
        ${be(4, 1)} _data_offset;
        ${be(3, 1)} _reserved;
        ${be(9, 1, 16)} _flags;
        ${be(16, 8)} _window_size;
        ${be(16, 8, 16)} _checksum;
        ${be(16, 8)} _urg_ptr;
      } align(32)`;

const TRANSPORT = `enum : ${u8} { "_unknown" = 0, "_tcp" = 1, "_udp" = 2, "_icmp" = 3 } _transport_header_type;
      variant <_transport_header_type> {
        struct { } _unknown;
        ${TCP_STRUCT} _tcp;
      } _transport_header;`;

const PROTO_ENUM = `enum : ${be(8, 8)} { "_unknown" = 0 ... 5, "_tcp" = 6, "_unknown" = 7 ... 255 }`;

const FIELDS = `struct {
    integer { size = 64; align = 8; signed = 0; encoding = none; base = 16; } _skbaddr;
    integer { size = 32; align = 8; signed = 0; encoding = none; base = 10; } _len;
    string _name;
    enum : ${u8} { "_unknown" = 0, "_ipv4" = 1, "_ipv6" = 2 } _network_header_type;
    variant <_network_header_type> {
      struct { } _unknown;
      struct {
        ${be(4, 1)} _version;
        ${be(4, 1)} _ihl;
        ${be(8, 8)} _tos;
        ${be(16, 8)} _tot_len;
        ${be(16, 8, 16)} _id;
        ${be(16, 8)} _frag_off;
        ${be(8, 8)} _ttl;
        ${PROTO_ENUM} _protocol;
        ${be(16, 8, 16)} _checksum;
        ${u8} _saddr[4];
        ${u8} _daddr[4];
        ${TRANSPORT}
      } align(16) _ipv4;
      struct {
        ${be(4, 1)} _version;
        ${be(4, 1)} _prio;
        ${be(8, 8, 16)} _flow_lbl[3];
        ${be(16, 8)} _payload_len;
        ${PROTO_ENUM} _nexthdr;
        ${be(8, 8)} _hop_limit;
        ${be(16, 8, 16)} _saddr[8];
        ${be(16, 8, 16)} _daddr[8];
        ${TRANSPORT}
      } align(16) _ipv6;
    } _network_header;
  }`;

function metadata(hostname: string, uuid: string): string {
  return `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;

trace {
  major = 1;
  minor = 8;
  byte_order = le;
  packet.header := struct { uint32_t magic; uint32_t stream_id; };
};

env {
  hostname = "${hostname}";
  domain = "kernel";
  tracer_name = "lttng-modules";
  tracer_major = 2;
  tracer_minor = 13;
};

clock {
  name = "monotonic";
  uuid = "${uuid}";
  description = "Monotonic Clock";
  freq = 1000000000;
  offset = 0;
};

typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

stream {
  id = 0;
  event.header := struct { uint32_t id; uint64_clock_monotonic_t timestamp; };
  packet.context := struct {
    uint64_clock_monotonic_t timestamp_begin;
    uint64_clock_monotonic_t timestamp_end;
    uint64_t content_size;
    uint64_t packet_size;
    uint32_t cpu_id;
  };
};

event { name = "net_dev_queue"; id = 0; stream_id = 0; fields := ${FIELDS}; };
event { name = "net_if_receive_skb"; id = 1; stream_id = 0; fields := ${FIELDS}; };
`;
}

/** Writes `dir/metadata` and `dir/channel0_0` (one packet) for `events` (sorted by ts). */
export function writeNetdevTrace(dir: string, hostname: string, uuid: string, events: readonly NetdevEvent[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metadata'), metadata(hostname, uuid));
  const bytes: number[] = [];
  const u = (v: bigint | number, n: number) => {
    let x = BigInt(v);
    for (let i = 0; i < n; i++) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
  };
  const align = (n: number) => {
    while (bytes.length % n) bytes.push(0);
  };
  u(0xc1fc1fc1, 4);
  u(0, 4);
  const ctx = bytes.length;
  for (let i = 0; i < 36; i++) bytes.push(0);
  for (const e of events) {
    u(e.send ? 0 : 1, 4);
    u(e.ts, 8);
    u(0xffff888000000000n + BigInt(bytes.length), 8);
    u(e.ip.length + e.tcp.length, 4);
    for (const c of Buffer.from('eth0\0')) bytes.push(c);
    bytes.push(e.ip.length === 20 ? 1 : 2);
    align(2);
    bytes.push(...e.ip);
    bytes.push(1); // transport_header_type = tcp
    align(4);
    bytes.push(...e.tcp);
  }
  const size = BigInt(bytes.length * 8);
  const view = new DataView(new ArrayBuffer(36));
  view.setBigUint64(0, events[0]?.ts ?? 0n, true);
  view.setBigUint64(8, events[events.length - 1]?.ts ?? 0n, true);
  view.setBigUint64(16, size, true);
  view.setBigUint64(24, size, true);
  view.setUint32(32, 0, true);
  const out = Buffer.from(bytes);
  out.set(new Uint8Array(view.buffer), ctx);
  writeFileSync(join(dir, 'channel0_0'), out);
}
