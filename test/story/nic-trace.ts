/**
 * A small kernel trace and capture of a real NIC's receive path, written with tracewire's
 * own LTTng-layout CTF writer and pcapng writer — for the part of the correlation this
 * machine cannot record live (its only NIC is not ours to send to): a hard IRQ
 * (`virtio0-input.0`) raises NET_RX, the softirq runs NAPI (napi_gro_receive_entry →
 * netif_receive_skb), the kernel answers a SYN from that same softirq, completes the
 * handshake on the final ACK and wakes the listening server.
 *
 * The events follow lttng-modules 2.13's names and fields; babeltrace2 reads the trace.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildLttngMetadata, uuidBytes, writeLttngMetadata, type MetadataEventClass } from '../../src/ctf/writer/metadata.js';
import { CtfStreamWriter } from '../../src/ctf/writer/stream-writer.js';
import { writePacketIndex } from '../../src/ctf/writer/index-file.js';
import { int, textArray, type CtfField } from '../../src/ctf/writer/types.js';
import type { ByteWriter } from '../../src/ctf/writer/byte-writer.js';
import { LinkType, PcapngWriter } from '../../src/pcap/index.js';

const CONTEXT: CtfField[] = [
  { name: 'pid', type: int.s32 },
  { name: 'tid', type: int.s32 },
  { name: 'procname', type: textArray(16) },
];
const skbFields: CtfField[] = [
  { name: 'skbaddr', type: int.hex64 },
  { name: 'len', type: int.u32 },
  { name: 'name', type: { kind: 'string' } },
];
const bytes = (n: number): CtfField['type'] => ({ kind: 'array', element: int.u8, length: n });
const CLASSES: Array<{ name: string; fields: CtfField[] }> = [
  { name: 'irq_handler_entry', fields: [{ name: 'irq', type: int.s32 }, { name: 'name', type: { kind: 'string' } }] },
  { name: 'irq_handler_exit', fields: [{ name: 'irq', type: int.s32 }, { name: 'ret', type: int.s32 }] },
  { name: 'irq_softirq_raise', fields: [{ name: 'vec', type: int.u32 }] },
  { name: 'irq_softirq_entry', fields: [{ name: 'vec', type: int.u32 }] },
  { name: 'irq_softirq_exit', fields: [{ name: 'vec', type: int.u32 }] },
  { name: 'net_napi_gro_receive_entry', fields: skbFields },
  { name: 'net_if_receive_skb', fields: skbFields },
  { name: 'net_dev_queue', fields: skbFields },
  { name: 'net_dev_xmit', fields: [{ name: 'skbaddr', type: int.hex64 }, { name: 'rc', type: int.s32 }, { name: 'len', type: int.u32 }, { name: 'name', type: { kind: 'string' } }] },
  { name: 'skb_consume', fields: [{ name: 'skbaddr', type: int.hex64 }, { name: 'location', type: int.hex64 }] },
  {
    name: 'inet_sock_set_state',
    fields: [
      { name: 'skaddr', type: int.hex64 },
      { name: 'oldstate', type: int.s32 },
      { name: 'newstate', type: int.s32 },
      { name: 'sport', type: int.u16 },
      { name: 'dport', type: int.u16 },
      { name: 'family', type: int.u16 },
      { name: 'protocol', type: int.u16 },
      { name: 'saddr', type: bytes(4) },
      { name: 'daddr', type: bytes(4) },
      { name: 'saddr_v6', type: bytes(16) },
      { name: 'daddr_v6', type: bytes(16) },
    ],
  },
  { name: 'sched_waking', fields: [{ name: 'comm', type: textArray(16) }, { name: 'tid', type: int.s32 }, { name: 'prio', type: int.s32 }, { name: 'target_cpu', type: int.s32 }] },
];
const ID = new Map(CLASSES.map((c, i) => [c.name, i]));

export const NIC = {
  server: { addr: '192.0.2.2', port: 80, pid: 500 },
  client: { addr: '198.51.100.7', port: 40000 },
  irqIn: 26,
  irqName: 'virtio0-input.0',
  base: 1_700_000_000_000_000_000n,
} as const;

const ip4 = (s: string) => s.split('.').map(Number);

/** An Ethernet + IPv4 + TCP frame (checksums left 0: not checked by tracewire). */
function tcpFrame(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, optionsLen: number): Uint8Array {
  const tcpLen = 20 + optionsLen;
  const b = Buffer.alloc(14 + 20 + tcpLen);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(20 + tcpLen, 16);
  b[22] = 64;
  b[23] = 6;
  Buffer.from(ip4(src)).copy(b, 26);
  Buffer.from(ip4(dst)).copy(b, 30);
  const t = 34;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b.writeUInt32BE(ack >>> 0, t + 8);
  b[t + 12] = (tcpLen / 4) << 4;
  b[t + 13] = flags;
  b.writeUInt16BE(64240, t + 14);
  for (let i = 0; i < optionsLen; i++) b[t + 20 + i] = 1; // NOPs
  return b;
}

interface Ev {
  ts: bigint;
  cls: string;
  tid: number;
  comm: string;
  write: (w: ByteWriter) => void;
}

/**
 * Writes `dir/kernel` (CTF) and `dir/capture.pcapng` and returns their paths. Frame 1 is
 * the SYN (received), 2 the SYN-ACK (sent by the softirq), 3 the final ACK (received).
 */
export function writeNicScenario(dir: string): { kernelDir: string; capture: string } {
  const kernelDir = join(dir, 'kernel');
  mkdirSync(join(kernelDir, 'index'), { recursive: true });
  const evs: Ev[] = [];
  const t0 = NIC.base + 1_000_000n;
  const idle = { tid: 0, comm: 'swapper/0' };
  const at = (us: number) => t0 + BigInt(Math.round(us * 1000));
  const push = (us: number, cls: string, write: (w: ByteWriter) => void, who = idle) => evs.push({ ts: at(us), cls, tid: who.tid, comm: who.comm, write });
  const skbEv = (skb: bigint, len: number) => (w: ByteWriter) => {
    w.u64(skb);
    w.u32(len);
    w.text('eth0');
  };
  const S1 = 0xffff888100001000n;
  const S2 = 0xffff888100002000n;
  const S3 = 0xffff888100003000n;
  const SK = 0xffff888200001000n;
  const LISTENER = 0xffff888200000800n;
  const sockState = (sk: bigint, from: number, to: number) => (w: ByteWriter) => {
    w.u64(sk);
    w.i32(from);
    w.i32(to);
    w.u16(NIC.server.port);
    w.u16(sk === LISTENER ? 0 : NIC.client.port);
    w.u16(2);
    w.u16(6);
    w.raw(Uint8Array.from(ip4(NIC.server.addr)));
    w.raw(Uint8Array.from(sk === LISTENER ? [0, 0, 0, 0] : ip4(NIC.client.addr)));
    w.zeros(32);
  };
  const irqRx = (us: number) => {
    push(us, 'irq_handler_entry', (w) => {
      w.i32(NIC.irqIn);
      w.text(NIC.irqName);
    });
    push(us + 1, 'irq_softirq_raise', (w) => w.u32(3));
    push(us + 2, 'irq_handler_exit', (w) => {
      w.i32(NIC.irqIn);
      w.i32(1);
    });
    push(us + 3, 'irq_softirq_entry', (w) => w.u32(3));
  };
  // The server starts listening (in its own time).
  push(0, 'inet_sock_set_state', sockState(LISTENER, 7, 10), { tid: NIC.server.pid, comm: 'httpd' });
  // SYN: IRQ → NET_RX → GRO → receive; the SYN-ACK leaves from the same softirq.
  irqRx(100);
  push(104, 'net_napi_gro_receive_entry', skbEv(S1, 40));
  push(105, 'net_if_receive_skb', skbEv(S1, 40));
  push(107, 'net_dev_queue', skbEv(S2, 54));
  push(109, 'net_dev_xmit', (w) => {
    w.u64(S2);
    w.i32(0);
    w.u32(54);
    w.text('eth0');
  });
  push(110, 'skb_consume', (w) => {
    w.u64(S1);
    w.u64(0xffffffff81000000n);
  });
  push(111, 'irq_softirq_exit', (w) => w.u32(3));
  // Final ACK: the handshake completes and the listening server is woken.
  irqRx(300);
  push(304, 'net_napi_gro_receive_entry', skbEv(S3, 40));
  push(305, 'net_if_receive_skb', skbEv(S3, 40));
  push(306, 'inet_sock_set_state', sockState(SK, 10, 3));
  push(307, 'inet_sock_set_state', sockState(SK, 3, 1));
  push(308, 'sched_waking', (w) => {
    w.fixedText('httpd', 16);
    w.i32(NIC.server.pid);
    w.i32(20);
    w.i32(0);
  });
  push(309, 'irq_softirq_exit', (w) => w.u32(3));

  const uuid = '2f9c6a52-1b7e-4c1e-9d5e-6d2b7a0c1e11';
  const text = buildLttngMetadata({
    uuid,
    env: [
      ['hostname', 'nic-host'],
      ['domain', 'kernel'],
      ['tracer_name', 'lttng-modules'],
      ['tracer_major', 2],
      ['tracer_minor', 13],
    ],
    clock: { name: 'monotonic', description: 'Monotonic Clock', freq: 1_000_000_000n, offset: 0n },
    headerType: 'compact',
    eventContext: CONTEXT,
    events: CLASSES.map((c, i): MetadataEventClass => ({ name: c.name, id: i, fields: c.fields })),
  });
  const w = new CtfStreamWriter({ path: join(kernelDir, 'channel0_0'), uuid: uuidBytes(uuid), streamId: 0, streamInstanceId: 0, cpuId: 0, headerType: 'compact' });
  for (const e of evs.sort((a, b) => (a.ts < b.ts ? -1 : 1))) {
    const out = w.beginEvent(ID.get(e.cls)!, e.ts);
    out.i32(e.tid === NIC.server.pid ? NIC.server.pid : e.tid);
    out.i32(e.tid);
    out.fixedText(e.comm, 16);
    e.write(out);
    w.endEvent();
  }
  w.close(at(400));
  writePacketIndex(join(kernelDir, 'index', 'channel0_0.idx'), w.index);
  writeLttngMetadata(join(kernelDir, 'metadata'), text, uuid);

  const capture = join(dir, 'capture.pcapng');
  const pw = new PcapngWriter(capture);
  pw.addInterface({ linkType: LinkType.ETHERNET, name: 'eth0', tsResolution: 9 });
  const c = NIC.client;
  const s = NIC.server;
  const frames: Array<[number, Uint8Array]> = [
    [106, tcpFrame(c.addr, s.addr, c.port, s.port, 1000, 0, 0x02, 0)],
    [108, tcpFrame(s.addr, c.addr, s.port, c.port, 5000, 1001, 0x12, 0)],
    [306.5, tcpFrame(c.addr, s.addr, c.port, s.port, 1001, 5001, 0x10, 0)],
  ];
  for (const [us, data] of frames) pw.writeFrame({ interfaceId: 0, data, ts: at(us) });
  pw.close();
  return { kernelDir, capture };
}
