/**
 * Hand-built packets and capture files for reader, dissector and analysis edge cases
 * that real traffic rarely produces (odd link types, byte orders, pcapng block kinds,
 * malformed headers, rare TCP expert situations). Files are written byte by byte here —
 * deliberately not with tracewire's own writer — so reader bugs cannot cancel out.
 */
import { writeFileSync } from 'node:fs';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function be16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function ip4(text: string): number[] {
  return text.split('.').map(Number);
}

function ip6(text: string): number[] {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t].map((w) => parseInt(w || '0', 16));
  return words.flatMap((w) => be16(w));
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** Flag bits (0x02 SYN, 0x10 ACK, …). */
  flags: number;
  win: number;
  /** Raw option bytes (padded to 4 by the caller or here). */
  options?: number[];
  payload?: Uint8Array | number;
  /** Override the data-offset nibble (for bogus header lengths). */
  dataOffsetWords?: number;
}

export const opt = {
  mss: (v: number) => [2, 4, ...be16(v)],
  ws: (shift: number) => [1, 3, 3, shift],
  sackPerm: () => [1, 1, 4, 2],
  ts: (val: number, ecr: number) => [1, 1, 8, 10, ...be32(val), ...be32(ecr)],
  sack: (edges: [number, number][]) => [1, 1, 5, 2 + 8 * edges.length, ...edges.flatMap(([l, r]) => [...be32(l), ...be32(r)])],
};

export function tcp(spec: TcpSpec): Uint8Array {
  const options = [...(spec.options ?? [])];
  while (options.length % 4) options.push(0);
  const payload = typeof spec.payload === 'number' ? new Uint8Array(spec.payload).fill(0x61) : (spec.payload ?? new Uint8Array(0));
  const words = spec.dataOffsetWords ?? 5 + options.length / 4;
  const header = [
    ...be16(spec.sport),
    ...be16(spec.dport),
    ...be32(spec.seq >>> 0),
    ...be32((spec.ack ?? 0) >>> 0),
    (words << 4) | ((spec.flags >> 8) & 0x0f),
    spec.flags & 0xff,
    ...be16(spec.win),
    0,
    0,
    0,
    0,
    ...options,
  ];
  return concat(Uint8Array.from(header), payload);
}

export function udp(sport: number, dport: number, payload: Uint8Array | number): Uint8Array {
  const p = typeof payload === 'number' ? new Uint8Array(payload).fill(0x75) : payload;
  return concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(8 + p.length), 0, 0]), p);
}

export interface Ip4Spec {
  src: string;
  dst: string;
  proto: number;
  id?: number;
  ttl?: number;
  /** Flags+offset word (0x4000 = DF). */
  frag?: number;
  options?: number[];
  /** Override the total length field. */
  totalLength?: number;
}

export function ipv4(spec: Ip4Spec, payload: Uint8Array): Uint8Array {
  const options = [...(spec.options ?? [])];
  while (options.length % 4) options.push(0);
  const hlen = 20 + options.length;
  const total = spec.totalLength ?? hlen + payload.length;
  const h = [0x40 | (hlen / 4), 0, ...be16(total), ...be16(spec.id ?? 1), ...be16(spec.frag ?? 0x4000), spec.ttl ?? 64, spec.proto, 0, 0, ...ip4(spec.src), ...ip4(spec.dst), ...options];
  return concat(Uint8Array.from(h), payload);
}

export function ipv6(src: string, dst: string, next: number, payload: Uint8Array, payloadLength?: number): Uint8Array {
  const h = [0x60, 0, 0, 0, ...be16(payloadLength ?? payload.length), next, 64, ...ip6(src), ...ip6(dst)];
  return concat(Uint8Array.from(h), payload);
}

/** An IPv6 extension header (hop-by-hop, routing, destination options) around `payload`. */
export function ipv6Ext(next: number, body: number[], payload: Uint8Array): Uint8Array {
  const b = [...body];
  while ((b.length + 2) % 8) b.push(0);
  return concat(Uint8Array.from([next, (b.length + 2) / 8 - 1, ...b]), payload);
}

export function ipv6Fragment(next: number, offset: number, more: boolean, ident: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([next, 0, ...be16(offset | (more ? 1 : 0)), ...be32(ident)]), payload);
}

export function icmp(type: number, code: number, body: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([type, code, 0, 0, 0, 0, 0, 0]), body);
}

const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

export function ethernet(type: number, payload: Uint8Array, vlans: number[] = [], fromB = false): Uint8Array {
  const tags = vlans.flatMap((id, i) => [...be16(i === 0 && vlans.length > 1 ? 0x88a8 : 0x8100), ...be16(id)]);
  // With tags, the outer type word is the first tag's TPID, the real type follows the last tag.
  const head = vlans.length ? [...(fromB ? MAC_A : MAC_B), ...(fromB ? MAC_B : MAC_A), ...tags, ...be16(type)] : [...(fromB ? MAC_A : MAC_B), ...(fromB ? MAC_B : MAC_A), ...be16(type)];
  return concat(Uint8Array.from(head), payload);
}

export function sll(protocol: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([0, 4, 0, 1, 0, 6, ...MAC_A, 0, 0, ...be16(protocol)]), payload);
}

export function sll2(protocol: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([...be16(protocol), 0, 0, ...be32(2), 0, 1, 4, 6, ...MAC_A, 0, 0]), payload);
}

export function nullLink(family: number, payload: Uint8Array, littleEndian: boolean): Uint8Array {
  const f = littleEndian ? [family & 0xff, 0, 0, 0] : be32(family);
  return concat(Uint8Array.from(f), payload);
}

// ---------------------------------------------------------------- files

export interface RawFrame {
  sec: number;
  /** µs or ns depending on the file. */
  frac: number;
  data: Uint8Array;
  len?: number;
}

class Out {
  parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u64(v: bigint): this {
    const lo = Number(v & 0xffffffffn),
      hi = Number((v >> 32n) & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: Uint8Array | number[]): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  toBytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A classic pcap file. `modified` writes Kuznetsov's 24-byte record headers. */
export function pcapFile(o: { linkType: number; nanos?: boolean; bigEndian?: boolean; modified?: boolean; snapLen?: number; frames: RawFrame[] }): Uint8Array {
  const w = new Out(!o.bigEndian);
  w.u32(o.modified ? 0xa1b2cd34 : o.nanos ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(o.snapLen ?? 262144)
    .u32(o.linkType);
  for (const f of o.frames) {
    w.u32(f.sec).u32(f.frac).u32(f.data.length).u32(f.len ?? f.data.length);
    if (o.modified) w.u32(1).u16(0x0800).u8(0).u8(0);
    w.bytes(f.data);
  }
  return w.toBytes();
}

export type Option = [code: number, value: Uint8Array | number[] | string];

function optionBytes(w: Out, opts: Option[]): void {
  if (!opts.length) return;
  for (const [code, v] of opts) {
    const b = typeof v === 'string' ? new TextEncoder().encode(v) : Uint8Array.from(v);
    w.u16(code).u16(b.length).bytes(b).pad4();
  }
  w.u16(0).u16(0);
}

/** Builds pcapng blocks in one byte order. */
export class PcapngBuilder {
  private readonly w: Out;
  constructor(readonly littleEndian = true) {
    this.w = new Out(littleEndian);
  }

  private block(type: number, body: (w: Out) => void): this {
    const b = new Out(this.littleEndian);
    body(b);
    b.pad4();
    const total = 12 + b.length;
    this.w.u32(type).u32(total).bytes(b.parts).u32(total);
    return this;
  }

  section(opts: Option[] = []): this {
    return this.block(0x0a0d0d0a, (b) => {
      b.u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn);
      optionBytes(b, opts);
    });
  }

  iface(linkType: number, opts: Option[] = [], snapLen = 0): this {
    return this.block(1, (b) => {
      b.u16(linkType).u16(0).u32(snapLen);
      optionBytes(b, opts);
    });
  }

  packet(iface: number, ticks: bigint, data: Uint8Array, opts: Option[] = [], len?: number): this {
    return this.block(6, (b) => {
      b.u32(iface)
        .u32(Number(ticks >> 32n))
        .u32(Number(ticks & 0xffffffffn))
        .u32(data.length)
        .u32(len ?? data.length)
        .bytes(data)
        .pad4();
      optionBytes(b, opts);
    });
  }

  simplePacket(data: Uint8Array, len?: number): this {
    return this.block(3, (b) => {
      b.u32(len ?? data.length).bytes(data).pad4();
    });
  }

  obsoletePacket(iface: number, ticks: bigint, data: Uint8Array, opts: Option[] = []): this {
    return this.block(2, (b) => {
      b.u16(iface)
        .u16(0)
        .u32(Number(ticks >> 32n))
        .u32(Number(ticks & 0xffffffffn))
        .u32(data.length)
        .u32(data.length)
        .bytes(data)
        .pad4();
      optionBytes(b, opts);
    });
  }

  /** One record per `[address, name]`: IPv4 (type 1) or, for text with a `:`, IPv6 (type 2). */
  nameResolution(records: [string, string][]): this {
    return this.block(4, (b) => {
      for (const [addr, name] of records) {
        const v6 = addr.includes(':');
        const v = [...(v6 ? ip6(addr) : ip4(addr)), ...new TextEncoder().encode(name), 0];
        b.u16(v6 ? 2 : 1).u16(v.length).bytes(v).pad4();
      }
      b.u16(0).u16(0);
    });
  }

  statistics(iface: number, ticks: bigint, received: bigint, dropped: bigint): this {
    return this.block(5, (b) => {
      b.u32(iface).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn));
      const v = new Out(this.littleEndian);
      v.u64(received);
      const d = new Out(this.littleEndian);
      d.u64(dropped);
      optionBytes(b, [
        [4, v.parts],
        [5, d.parts],
      ]);
    });
  }

  secrets(type: number, data: string): this {
    return this.block(10, (b) => {
      const bytes = new TextEncoder().encode(data);
      b.u32(type).u32(bytes.length).bytes(bytes).pad4();
    });
  }

  custom(type: number, body: number[]): this {
    return this.block(type, (b) => {
      b.bytes(body);
    });
  }

  bytes(): Uint8Array {
    return this.w.toBytes();
  }
}

export function writeBytes(path: string, bytes: Uint8Array): string {
  writeFileSync(path, bytes);
  return path;
}
