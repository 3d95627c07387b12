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
import { int, textArray, type CtfField, type CtfIntegerType } from '../ctf/writer/types.js';
import type { DumpedThread, StateDump } from './statedump.js';

export interface SyntheticEvent {
  readonly ts: bigint;
  /** Index into STATEDUMP_CLASSES. */
  readonly cls: number;
  readonly write: (out: ByteWriter) => void;
}

const s32 = int.s32;
const u32 = int.u32;
const octal32: CtfIntegerType = { kind: 'integer', size: 32, signed: false, base: 8 };
const hex32: CtfIntegerType = { kind: 'integer', size: 32, signed: false, base: 16 };
const beHex32: CtfIntegerType = { kind: 'integer', size: 32, signed: false, base: 16, bigEndian: true };
const str = { kind: 'string' } as const;
const bytesOf = (n: number) => ({ kind: 'array', element: int.u8, length: n }) as const;

const NS_ONLY: CtfField[] = [
  { name: 'tid', type: s32 },
  { name: 'ns_inum', type: u32 },
];

/** Event classes of the state dump, in the order their ids are assigned. */
export const STATEDUMP_CLASSES: ReadonlyArray<{ readonly name: string; readonly fields: readonly CtfField[] }> = [
  { name: 'lttng_statedump_start', fields: [] },
  { name: 'lttng_statedump_end', fields: [] },
  {
    name: 'lttng_statedump_process_state',
    fields: [
      { name: 'tid', type: s32 },
      { name: 'pid', type: s32 },
      { name: 'ppid', type: s32 },
      { name: 'name', type: textArray(16) },
      { name: 'type', type: s32 },
      { name: 'mode', type: s32 },
      { name: 'submode', type: s32 },
      { name: 'status', type: s32 },
      { name: 'cpu', type: u32 },
      { name: 'file_table_address', type: int.hex64 },
    ],
  },
  { name: 'lttng_statedump_process_cgroup_ns', fields: NS_ONLY },
  { name: 'lttng_statedump_process_ipc_ns', fields: NS_ONLY },
  { name: 'lttng_statedump_process_mnt_ns', fields: NS_ONLY },
  { name: 'lttng_statedump_process_net_ns', fields: NS_ONLY },
  {
    name: 'lttng_statedump_process_pid_ns',
    fields: [
      { name: 'tid', type: s32 },
      { name: 'vtid', type: s32 },
      { name: 'vpid', type: s32 },
      { name: 'vppid', type: s32 },
      { name: 'ns_level', type: s32 },
      { name: 'ns_inum', type: u32 },
    ],
  },
  {
    name: 'lttng_statedump_process_user_ns',
    fields: [
      { name: 'tid', type: s32 },
      { name: 'vuid', type: u32 },
      { name: 'vgid', type: u32 },
      { name: 'ns_level', type: s32 },
      { name: 'ns_inum', type: u32 },
    ],
  },
  { name: 'lttng_statedump_process_uts_ns', fields: NS_ONLY },
  { name: 'lttng_statedump_process_time_ns', fields: NS_ONLY },
  {
    name: 'lttng_statedump_file_descriptor',
    fields: [
      { name: 'file_table_address', type: int.hex64 },
      { name: 'fd', type: s32 },
      { name: 'flags', type: octal32 },
      { name: 'fmode', type: hex32 },
      { name: 'filename', type: str },
      { name: 'pid', type: s32 },
    ],
  },
  {
    name: 'lttng_statedump_network_interface',
    fields: [
      { name: 'name', type: str },
      { name: 'address_ipv4', type: beHex32 },
      { name: 'net_ns_inum', type: u32 },
      { name: 'ifindex', type: s32 },
    ],
  },
  {
    name: 'lttng_statedump_interrupt',
    fields: [
      { name: 'irq', type: u32 },
      { name: 'name', type: str },
      { name: 'action', type: str },
      { name: 'tid', type: s32 },
    ],
  },
  {
    name: 'lttng_statedump_block_device',
    fields: [
      { name: 'dev', type: u32 },
      { name: 'diskname', type: str },
    ],
  },
  {
    name: 'lttng_statedump_cpu_topology',
    fields: [
      { name: 'architecture', type: str },
      { name: 'cpu_id', type: int.u16 },
      { name: 'vendor', type: str },
      { name: 'family', type: int.u8 },
      { name: 'model', type: int.u8 },
      { name: 'model_name', type: str },
      { name: 'physical_id', type: int.u16 },
      { name: 'core_id', type: int.u16 },
      { name: 'cores', type: int.u16 },
    ],
  },
  {
    name: 'tracewire_statedump_netns',
    fields: [
      { name: 'ns_inum', type: u32 },
      { name: 'name', type: str },
    ],
  },
  {
    name: 'tracewire_statedump_interface_address',
    fields: [
      { name: 'net_ns_inum', type: u32 },
      { name: 'ifindex', type: s32 },
      { name: 'name', type: str },
      { name: 'family', type: int.u16 },
      { name: 'address', type: bytesOf(16) },
      { name: 'prefix_len', type: int.u8 },
    ],
  },
  {
    name: 'tracewire_statedump_inet_sock',
    fields: [
      { name: 'net_ns_inum', type: u32 },
      { name: 'inode', type: int.u64 },
      { name: 'protocol', type: int.u8 },
      { name: 'family', type: int.u16 },
      { name: 'state', type: int.u8 },
      { name: 'sport', type: int.u16 },
      { name: 'dport', type: int.u16 },
      { name: 'saddr', type: bytesOf(4) },
      { name: 'daddr', type: bytesOf(4) },
      { name: 'saddr_v6', type: bytesOf(16) },
      { name: 'daddr_v6', type: bytesOf(16) },
      { name: 'tx_queue', type: u32 },
      { name: 'rx_queue', type: u32 },
      { name: 'uid', type: u32 },
      { name: 'skaddr', type: int.hex64 },
      { name: 'sock_cookie', type: int.u64 },
    ],
  },
  {
    name: 'tracewire_statedump_unix_sock',
    fields: [
      { name: 'net_ns_inum', type: u32 },
      { name: 'inode', type: int.u64 },
      { name: 'type', type: int.u16 },
      { name: 'state', type: int.u8 },
      { name: 'path', type: str },
    ],
  },
];

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
  const push = (ts: bigint, name: string, write: (o: ByteWriter) => void) => out.push({ ts, cls: cls(name), write });
  push(dump.start, 'lttng_statedump_start', () => {});
  const byTid = new Map<number, DumpedThread>(dump.threads.map((t) => [t.tid, t]));
  for (const t of dump.threads) {
    push(t.ts, 'lttng_statedump_process_state', (o) => {
      o.i32(t.tid);
      o.i32(t.pid);
      o.i32(t.ppid);
      o.fixedText(t.comm, 16);
      o.i32(t.kernelThread ? 1 : 0);
      o.i32(5); // LTTNG_MODE_UNKNOWN
      o.i32(1); // LTTNG_UNKNOWN submode
      o.i32(lttngStatus(t.state));
      o.u32(t.cpu);
      o.u64(t.kernelThread ? 0n : BigInt(t.pid));
    });
    for (const kind of ['cgroup', 'ipc', 'mnt', 'net', 'uts', 'time']) {
      const inum = t.ns[kind];
      if (!inum) continue;
      push(t.ts, `lttng_statedump_process_${kind}_ns`, (o) => {
        o.i32(t.tid);
        o.u32(inum);
      });
    }
    if (t.ns.pid) {
      const parent = byTid.get(t.ppid);
      push(t.ts, 'lttng_statedump_process_pid_ns', (o) => {
        o.i32(t.tid);
        o.i32(t.nsTids.at(-1) ?? t.tid);
        o.i32(t.nsPids.at(-1) ?? t.pid);
        o.i32(parent && parent.ns.pid === t.ns.pid ? (parent.nsPids.at(-1) ?? t.ppid) : 0);
        o.i32(Math.max(0, t.nsTids.length - 1));
        o.u32(t.ns.pid);
      });
    }
    if (t.ns.user) {
      push(t.ts, 'lttng_statedump_process_user_ns', (o) => {
        o.i32(t.tid);
        o.u32(t.uid);
        o.u32(t.gid);
        o.i32(0);
        o.u32(t.ns.user!);
      });
    }
  }
  for (const f of dump.fds) {
    push(f.ts, 'lttng_statedump_file_descriptor', (o) => {
      o.u64(BigInt(f.pid));
      o.i32(f.fd);
      o.u32(f.flags);
      o.u32(fmodeOf(f.flags));
      o.text(f.path);
      o.i32(f.pid);
    });
  }
  for (const ns of dump.netns) {
    push(ns.ts, 'tracewire_statedump_netns', (o) => {
      o.u32(ns.inum);
      o.text(ns.name);
    });
    for (const i of ns.interfaces) {
      const v4 = i.addresses.filter((a) => a.family === 'inet');
      // LTTng emits one event per IPv4 address, or one with address 0 when there is none.
      for (const a of v4.length ? v4 : [undefined]) {
        push(ns.ts, 'lttng_statedump_network_interface', (o) => {
          o.text(i.name);
          o.u32be(a ? ipv4ToU32(a.address) : 0);
          o.u32(ns.inum);
          o.i32(i.ifindex);
        });
      }
      for (const a of i.addresses) {
        push(ns.ts, 'tracewire_statedump_interface_address', (o) => {
          o.u32(ns.inum);
          o.i32(i.ifindex);
          o.text(i.name);
          o.u16(a.family === 'inet' ? 2 : 10);
          o.copy(addressBytes(a.family, a.address), 0, 16);
          o.u8(a.prefixLength);
        });
      }
    }
    for (const s of ns.inetSockets) {
      push(ns.ts, 'tracewire_statedump_inet_sock', (o) => {
        o.u32(ns.inum);
        o.u64(BigInt(s.inode));
        o.u8(s.protocol === 'tcp' ? 6 : 17);
        o.u16(s.family === 4 ? 2 : 10);
        o.u8(s.state);
        o.u16(s.localPort);
        o.u16(s.remotePort);
        if (s.family === 4) {
          o.copy(s.localAddress, 0, 4);
          o.copy(s.remoteAddress, 0, 4);
          o.zeros(32);
        } else {
          o.zeros(8);
          o.copy(s.localAddress, 0, 16);
          o.copy(s.remoteAddress, 0, 16);
        }
        o.u32(s.txQueue);
        o.u32(s.rxQueue);
        o.u32(s.uid);
        o.u64(s.sk);
        o.u64(s.cookie);
      });
    }
    for (const u of ns.unixSockets) {
      push(ns.ts, 'tracewire_statedump_unix_sock', (o) => {
        o.u32(ns.inum);
        o.u64(BigInt(u.inode));
        o.u16(u.type);
        o.u8(u.state);
        o.text(u.path);
      });
    }
  }
  const late = dump.end;
  for (const irq of dump.interrupts) {
    push(late, 'lttng_statedump_interrupt', (o) => {
      o.u32(irq.irq);
      o.text(irq.chip);
      o.text(irq.action);
      o.i32(0);
    });
  }
  for (const b of dump.blockDevices) {
    push(late, 'lttng_statedump_block_device', (o) => {
      o.u32(b.dev);
      o.text(b.name);
    });
  }
  // lttng-modules dumps the CPU topology on x86 only.
  for (const c of process.arch === 'x64' || process.arch === 'ia32' ? dump.cpus : []) {
    push(late, 'lttng_statedump_cpu_topology', (o) => {
      o.text('x86');
      o.u16(c.cpu);
      o.text(c.vendor);
      o.u8(c.family);
      o.u8(c.model);
      o.text(c.modelName);
      o.u16(c.physicalId);
      o.u16(c.coreId);
      o.u16(c.cores);
    });
  }
  push(late, 'lttng_statedump_end', () => {});
  // Items were read in order, but fds of a process are read after its threads; keep
  // the events sorted (stable) so the stream's time never goes back.
  return out.map((e, i) => ({ e, i })).sort((a, b) => (a.e.ts < b.e.ts ? -1 : a.e.ts > b.e.ts ? 1 : a.i - b.i)).map((x) => x.e);
}
