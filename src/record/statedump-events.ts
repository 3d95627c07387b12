/**
 * The state dump as CTF events, in lttng-modules' statedump vocabulary
 * (`lttng_statedump_start/end`, `lttng_statedump_process_state`, `…_process_*_ns`,
 * `lttng_statedump_file_descriptor`, `lttng_statedump_network_interface`,
 * `lttng_statedump_interrupt`, `lttng_statedump_block_device`,
 * `lttng_statedump_cpu_topology`), plus tracewire's own events for what LTTng does not
 * dump:
 *
 * - `tracewire_statedump_netns` { ns_inum, name } — a network namespace and its name
 *   (`host`, the /run/netns name, or '' when unnamed);
 * - `tracewire_statedump_interface_address` { net_ns_inum, ifindex, name, family (2/10),
 *   address[16], prefix_len } — every IPv4/IPv6 address of every interface;
 * - `tracewire_statedump_inet_sock` { net_ns_inum, inode, protocol (6/17), family (2/10),
 *   state, sport, dport, saddr[4], daddr[4], saddr_v6[16], daddr_v6[16], tx_queue,
 *   rx_queue, uid, skaddr, sock_cookie } — one row of /proc/net/{tcp,tcp6,udp,udp6}; field
 *   names follow the ftrace `inet_sock_set_state` event; `sock_cookie` (from `ss -e`) is
 *   the one tcp_probe, tcp_destroy_sock and tcp_receive_reset events carry;
 * - `tracewire_statedump_unix_sock` { net_ns_inum, inode, type, state, path }.
 *
 * Differences from LTTng, because /proc does not show kernel pointers:
 * `file_table_address` is the owning process id (the same value in `process_state` and
 * `file_descriptor`, so the two still join), and `file_descriptor` also carries `pid`
 * (as lttng-modules before 2.12 did). `fmode` is derived from the access mode (FMODE_READ
 * 0x1, FMODE_WRITE 0x2). `lttng_statedump_network_interface` gains `net_ns_inum` and
 * `ifindex`, and is emitted for every namespace, not only the initial one.
 */
import type { ByteWriter } from '../ctf/writer/byte-writer.js';
import { int, textArray, type CtfField, type CtfIntegerType, type CtfType } from '../ctf/writer/types.js';
import type { DumpedThread, StateDump } from './statedump.js';

/**
 * One field's value: a number or bigint for an integer, a string for text, the bytes of
 * a byte array (undefined: all zero).
 */
export type SyntheticValue = number | bigint | string | Uint8Array | undefined;

export interface SyntheticEvent {
  readonly ts: bigint;
  /** Index into STATEDUMP_CLASSES. */
  readonly cls: number;
  /** One value per field of the class, in field order (see writeSyntheticEvent). */
  readonly values: readonly SyntheticValue[];
}

const s32 = int.s32;
const u32 = int.u32;
const octal32: CtfIntegerType = { kind: 'integer', size: 32, signed: false, base: 8 };
const hex32: CtfIntegerType = { kind: 'integer', size: 32, signed: false, base: 16 };
const beHex32: CtfIntegerType = { kind: 'integer', size: 32, signed: false, base: 16, bigEndian: true };
const str = { kind: 'string' } as const;
const bytesOf = (n: number) => ({ kind: 'array', element: int.u8, length: n }) as const;

/** An event class from `[name, type]` pairs, in layout order. */
function eventClass(name: string, ...fields: ReadonlyArray<readonly [string, CtfType]>): { readonly name: string; readonly fields: readonly CtfField[] } {
  return { name, fields: fields.map(([n, type]) => ({ name: n, type })) };
}

const NS_ONLY = [['tid', s32], ['ns_inum', u32]] as const;

/** Event classes of the state dump, in the order their ids are assigned. */
export const STATEDUMP_CLASSES: ReadonlyArray<{ readonly name: string; readonly fields: readonly CtfField[] }> = [
  eventClass('lttng_statedump_start'),
  eventClass('lttng_statedump_end'),
  eventClass(
    'lttng_statedump_process_state',
    ['tid', s32], ['pid', s32], ['ppid', s32], ['name', textArray(16)], ['type', s32], ['mode', s32],
    ['submode', s32], ['status', s32], ['cpu', u32], ['file_table_address', int.hex64],
  ),
  eventClass('lttng_statedump_process_cgroup_ns', ...NS_ONLY),
  eventClass('lttng_statedump_process_ipc_ns', ...NS_ONLY),
  eventClass('lttng_statedump_process_mnt_ns', ...NS_ONLY),
  eventClass('lttng_statedump_process_net_ns', ...NS_ONLY),
  eventClass('lttng_statedump_process_pid_ns', ['tid', s32], ['vtid', s32], ['vpid', s32], ['vppid', s32], ['ns_level', s32], ['ns_inum', u32]),
  eventClass('lttng_statedump_process_user_ns', ['tid', s32], ['vuid', u32], ['vgid', u32], ['ns_level', s32], ['ns_inum', u32]),
  eventClass('lttng_statedump_process_uts_ns', ...NS_ONLY),
  eventClass('lttng_statedump_process_time_ns', ...NS_ONLY),
  eventClass('lttng_statedump_file_descriptor', ['file_table_address', int.hex64], ['fd', s32], ['flags', octal32], ['fmode', hex32], ['filename', str], ['pid', s32]),
  eventClass('lttng_statedump_network_interface', ['name', str], ['address_ipv4', beHex32], ['net_ns_inum', u32], ['ifindex', s32]),
  eventClass('lttng_statedump_interrupt', ['irq', u32], ['name', str], ['action', str], ['tid', s32]),
  eventClass('lttng_statedump_block_device', ['dev', u32], ['diskname', str]),
  eventClass(
    'lttng_statedump_cpu_topology',
    ['architecture', str], ['cpu_id', int.u16], ['vendor', str], ['family', int.u8], ['model', int.u8],
    ['model_name', str], ['physical_id', int.u16], ['core_id', int.u16], ['cores', int.u16],
  ),
  eventClass('tracewire_statedump_netns', ['ns_inum', u32], ['name', str]),
  eventClass(
    'tracewire_statedump_interface_address',
    ['net_ns_inum', u32], ['ifindex', s32], ['name', str], ['family', int.u16], ['address', bytesOf(16)], ['prefix_len', int.u8],
  ),
  eventClass(
    'tracewire_statedump_inet_sock',
    ['net_ns_inum', u32], ['inode', int.u64], ['protocol', int.u8], ['family', int.u16], ['state', int.u8],
    ['sport', int.u16], ['dport', int.u16], ['saddr', bytesOf(4)], ['daddr', bytesOf(4)],
    ['saddr_v6', bytesOf(16)], ['daddr_v6', bytesOf(16)], ['tx_queue', u32], ['rx_queue', u32], ['uid', u32],
    ['skaddr', int.hex64], ['sock_cookie', int.u64],
  ),
  eventClass('tracewire_statedump_unix_sock', ['net_ns_inum', u32], ['inode', int.u64], ['type', int.u16], ['state', int.u8], ['path', str]),
];

type FieldEncoder = (out: ByteWriter, v: SyntheticValue) => void;

/** How a value of type `t` is written (packed, little-endian unless declared big-endian). */
function encoderOf(t: CtfType): FieldEncoder {
  switch (t.kind) {
    case 'integer':
      return integerEncoder(t);
    case 'string':
      return (o, v) => o.text(v as string);
    case 'array': {
      const n = t.length;
      if (t.element.utf8) return (o, v) => o.fixedText(v as string, n);
      if (t.element.size !== 8) throw new Error('statedump arrays are byte arrays');
      return (o, v) => (v === undefined ? o.zeros(n) : o.copy(v as Uint8Array, 0, n));
    }
    case 'sequence':
      throw new Error('statedump fields are never sequences');
  }
}

function integerEncoder(t: CtfIntegerType): FieldEncoder {
  switch (t.size) {
    case 8:
      return (o, v) => o.u8(v as number);
    case 16:
      return t.bigEndian ? (o, v) => o.u16be(v as number) : (o, v) => o.u16(v as number);
    case 32:
      if (t.bigEndian) return (o, v) => o.u32be(v as number);
      return t.signed ? (o, v) => o.i32(v as number) : (o, v) => o.u32(v as number);
    case 64:
      return (o, v) => (typeof v === 'bigint' ? o.u64(v) : o.u64n(v as number));
  }
}

/** Per class, the encoders of its fields: derived once from STATEDUMP_CLASSES. */
const ENCODERS: readonly (readonly FieldEncoder[])[] = STATEDUMP_CLASSES.map((c) => c.fields.map((f) => encoderOf(f.type)));

/** Writes the payload of a state dump event (its fields' values, in layout order). */
export function writeSyntheticEvent(out: ByteWriter, ev: SyntheticEvent): void {
  const encoders = ENCODERS[ev.cls]!;
  for (let i = 0; i < encoders.length; i++) encoders[i]!(out, ev.values[i]);
}

const CLS = Object.fromEntries(STATEDUMP_CLASSES.map((c, i) => [c.name, i])) as Record<string, number>;
const cls = (name: string): number => {
  const i = CLS[name];
  if (i === undefined) throw new Error(`no statedump class ${name}`);
  return i;
};

/** lttng-statedump's process status from a /proc state letter. */
function lttngStatus(state: string): number {
  switch (state) {
    case 'R':
      return 2; // LTTNG_WAIT_CPU: runnable (the dumping task itself is the one running)
    case 'S':
    case 'D':
    case 'I':
      return 5; // LTTNG_WAIT
    case 'Z':
      return 4; // LTTNG_ZOMBIE
    case 'X':
      return 7; // LTTNG_DEAD
    default:
      return 0; // LTTNG_UNNAMED
  }
}

function ipv4ToU32(addr: string): number {
  const p = addr.split('.').map(Number);
  return (((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) >>> 0;
}

/** IPv4 or IPv6 text → 16 bytes (IPv4 in the first 4). */
export function addressBytes(family: 'inet' | 'inet6', text: string): Uint8Array {
  const out = new Uint8Array(16);
  if (family === 'inet') {
    text.split('.').forEach((p, i) => (out[i] = Number(p)));
    return out;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.slice(0, 8).forEach((g, i) => {
    const v = parseInt(g || '0', 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

const O_ACCMODE = 3;

/** Access mode flags → FMODE_READ (1) | FMODE_WRITE (2). */
function fmodeOf(flags: number): number {
  const acc = flags & O_ACCMODE;
  return acc === 0 ? 1 : acc === 1 ? 2 : 3;
}

/**
 * The state dump's events in time order. `threads` are written with their thread group's
 * ids; every value comes from `dump`.
 */
export function stateDumpEvents(dump: StateDump): SyntheticEvent[] {
  const out: SyntheticEvent[] = [];
  const push = (ts: bigint, name: string, values: SyntheticValue[]) => out.push({ ts, cls: cls(name), values });
  push(dump.start, 'lttng_statedump_start', []);
  const byTid = new Map<number, DumpedThread>(dump.threads.map((t) => [t.tid, t]));
  for (const t of dump.threads) {
    // mode 5: LTTNG_MODE_UNKNOWN, submode 1: LTTNG_UNKNOWN; the file table is the process's (see above).
    push(t.ts, 'lttng_statedump_process_state', [t.tid, t.pid, t.ppid, t.comm, t.kernelThread ? 1 : 0, 5, 1, lttngStatus(t.state), t.cpu, t.kernelThread ? 0 : t.pid]);
    for (const kind of ['cgroup', 'ipc', 'mnt', 'net', 'uts', 'time']) {
      const inum = t.ns[kind];
      if (inum) push(t.ts, `lttng_statedump_process_${kind}_ns`, [t.tid, inum]);
    }
    if (t.ns.pid) {
      const parent = byTid.get(t.ppid);
      const vppid = parent && parent.ns.pid === t.ns.pid ? (parent.nsPids.at(-1) ?? t.ppid) : 0;
      push(t.ts, 'lttng_statedump_process_pid_ns', [t.tid, t.nsTids.at(-1) ?? t.tid, t.nsPids.at(-1) ?? t.pid, vppid, Math.max(0, t.nsTids.length - 1), t.ns.pid]);
    }
    if (t.ns.user) push(t.ts, 'lttng_statedump_process_user_ns', [t.tid, t.uid, t.gid, 0, t.ns.user]);
  }
  for (const f of dump.fds) {
    push(f.ts, 'lttng_statedump_file_descriptor', [f.pid, f.fd, f.flags, fmodeOf(f.flags), f.path, f.pid]);
  }
  for (const ns of dump.netns) {
    push(ns.ts, 'tracewire_statedump_netns', [ns.inum, ns.name]);
    for (const i of ns.interfaces) {
      const v4 = i.addresses.filter((a) => a.family === 'inet');
      // LTTng emits one event per IPv4 address, or one with address 0 when there is none.
      for (const a of v4.length ? v4 : [undefined]) {
        push(ns.ts, 'lttng_statedump_network_interface', [i.name, a ? ipv4ToU32(a.address) : 0, ns.inum, i.ifindex]);
      }
      for (const a of i.addresses) {
        push(ns.ts, 'tracewire_statedump_interface_address', [ns.inum, i.ifindex, i.name, a.family === 'inet' ? 2 : 10, addressBytes(a.family, a.address), a.prefixLength]);
      }
    }
    for (const s of ns.inetSockets) {
      const v4 = s.family === 4;
      push(ns.ts, 'tracewire_statedump_inet_sock', [
        ns.inum, s.inode, s.protocol === 'tcp' ? 6 : 17, v4 ? 2 : 10, s.state, s.localPort, s.remotePort,
        // saddr, daddr, saddr_v6, daddr_v6: the pair of the other family stays zero.
        v4 ? s.localAddress : undefined, v4 ? s.remoteAddress : undefined, v4 ? undefined : s.localAddress, v4 ? undefined : s.remoteAddress,
        s.txQueue, s.rxQueue, s.uid, s.sk, s.cookie,
      ]);
    }
    for (const u of ns.unixSockets) push(ns.ts, 'tracewire_statedump_unix_sock', [ns.inum, u.inode, u.type, u.state, u.path]);
  }
  const late = dump.end;
  for (const irq of dump.interrupts) push(late, 'lttng_statedump_interrupt', [irq.irq, irq.chip, irq.action, 0]);
  for (const b of dump.blockDevices) push(late, 'lttng_statedump_block_device', [b.dev, b.name]);
  // lttng-modules dumps the CPU topology on x86 only.
  for (const c of process.arch === 'x64' || process.arch === 'ia32' ? dump.cpus : []) {
    push(late, 'lttng_statedump_cpu_topology', ['x86', c.cpu, c.vendor, c.family, c.model, c.modelName, c.physicalId, c.coreId, c.cores]);
  }
  push(late, 'lttng_statedump_end', []);
  // Items were read in order, but fds of a process are read after its threads; keep
  // the events sorted (Array#sort is stable) so the stream's time never goes back.
  return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}
