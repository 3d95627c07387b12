/**
 * The ftrace → LTTng vocabulary: for each ftrace event format, the LTTng (lttng-modules
 * 2.13) event name, its CTF field list, and a small program of field writers that turns
 * the raw ftrace record into the CTF payload.
 *
 * Rules, following lttng-modules' instrumentation headers:
 * - names: `syscalls:sys_enter_X` → `syscall_entry_X`, `sys_exit_X` → `syscall_exit_X`;
 *   `softirq_*` → `irq_softirq_*`; `netif_receive_skb` → `net_if_receive_skb`;
 *   `consume_skb` → `skb_consume`; `kfree_skb` → `skb_kfree`; others keep their name.
 * - sched: task ids are `tid` (`prev_tid`, `child_tid`, …), priorities are
 *   `prio - MAX_RT_PRIO` (LTTng subtracts 100), comm fields are `char[16]`;
 *   `sched_process_fork` gains LTTng's `parent_pid`, `parent_ns_inum`, `vtids`,
 *   `child_pid`, `child_ns_inum` (thread group and namespace of each task).
 * - syscall arguments are narrowed from ftrace's 8-byte slots to their C type (`int fd`
 *   is 32-bit signed, `umode_t` 16-bit), so `dfd = -100` reads as LTTng shows it.
 * - every other ftrace field is kept with its own name and type (strings for
 *   `__data_loc char[]`, sequences for other dynamic arrays, hex for pointers).
 */
import type { FormatField, EventFormat } from './format.js';
import { dynamicLocation } from './event-decoder.js';
import type { ByteWriter } from '../ctf/writer/byte-writer.js';
import { int, textArray, type CtfField, type CtfIntegerType, type CtfType } from '../ctf/writer/types.js';
import type { EventId } from './event-set.js';

/** The bytes of one ftrace record: `bytes[at, at+length)`, starting with common_type. */
export interface RecordView {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly at: number;
  readonly length: number;
  /** Names the record in errors (file and position). */
  readonly source: string;
}

/** What field writers may ask about tasks (see task-state.ts). */
export interface TaskInfo {
  /** Thread group id of `tid` (the tid itself when unknown). */
  pidOf(tid: number): number;
  /** Inode of the pid namespace of `tid` (0 when unknown). */
  pidNsOf(tid: number): number;
}

export type FieldWriter = (out: ByteWriter, rec: RecordView, tasks: TaskInfo) => void;

export interface MappedEventClass {
  readonly system: string;
  readonly ftraceName: string;
  /** The ftrace `common_type`. */
  readonly ftraceId: number;
  /** CTF / LTTng event name. */
  readonly name: string;
  readonly fields: CtfField[];
  readonly writers: FieldWriter[];
}

const TASK_COMM_LEN = 16;
const MAX_RT_PRIO = 100;

const RENAMED: Readonly<Record<string, string>> = {
  'irq:softirq_raise': 'irq_softirq_raise',
  'irq:softirq_entry': 'irq_softirq_entry',
  'irq:softirq_exit': 'irq_softirq_exit',
  'net:netif_receive_skb': 'net_if_receive_skb',
  'net:netif_rx': 'net_if_rx',
  'net:napi_gro_receive_entry': 'net_napi_gro_receive_entry',
  'net:napi_gro_frags_entry': 'net_napi_gro_frags_entry',
  'net:netif_receive_skb_entry': 'net_if_receive_skb_entry',
  'net:netif_receive_skb_list_entry': 'net_if_receive_skb_list_entry',
  'net:netif_rx_entry': 'net_if_rx_entry',
  'net:napi_gro_receive_exit': 'net_napi_gro_receive_exit',
  'net:napi_gro_frags_exit': 'net_napi_gro_frags_exit',
  'net:netif_receive_skb_exit': 'net_if_receive_skb_exit',
  'net:netif_receive_skb_list_exit': 'net_if_receive_skb_list_exit',
  'net:netif_rx_exit': 'net_if_rx_exit',
  'skb:kfree_skb': 'skb_kfree',
  'skb:consume_skb': 'skb_consume',
  'kmem:kmalloc': 'kmem_kmalloc',
  'kmem:kfree': 'kmem_kfree',
  'kmem:mm_page_alloc': 'kmem_mm_page_alloc',
  'kmem:mm_page_free': 'kmem_mm_page_free',
  'power:cpu_idle': 'power_cpu_idle',
  'power:cpu_frequency': 'power_cpu_frequency',
};

/** LTTng field order where it differs from ftrace's (remaining fields follow). */
const FIELD_ORDER: Readonly<Record<string, readonly string[]>> = {
  'net:net_dev_xmit': ['skbaddr', 'rc', 'len', 'name'],
  'skb:kfree_skb': ['skbaddr', 'location', 'protocol'],
};

const SCHED_RENAMES: Readonly<Record<string, string>> = {
  pid: 'tid',
  prev_pid: 'prev_tid',
  next_pid: 'next_tid',
  parent_pid: 'parent_tid',
  child_pid: 'child_tid',
  old_pid: 'old_tid',
};
const SCHED_PRIO_FIELDS = new Set(['prio', 'prev_prio', 'next_prio', 'oldprio', 'newprio']);
const SCHED_COMM_FIELDS = new Set(['comm', 'prev_comm', 'next_comm', 'parent_comm', 'child_comm']);

/** The CTF/LTTng event name of an ftrace event. */
export function lttngEventName(system: string, name: string): string {
  if (system === 'syscalls') {
    if (name.startsWith('sys_enter_')) return `syscall_entry_${name.slice('sys_enter_'.length)}`;
    if (name.startsWith('sys_exit_')) return `syscall_exit_${name.slice('sys_exit_'.length)}`;
  }
  return RENAMED[`${system}:${name}`] ?? name;
}

/** The ftrace event an LTTng name stands for, when it is not the same name. */
export function ftraceNameForLttng(lttngName: string): EventId | undefined {
  let m = /^syscall_entry_(.+)$/.exec(lttngName);
  if (m) return { system: 'syscalls', name: `sys_enter_${m[1]}` };
  m = /^syscall_exit_(.+)$/.exec(lttngName);
  if (m) return { system: 'syscalls', name: `sys_exit_${m[1]}` };
  for (const [k, v] of Object.entries(RENAMED)) {
    if (v === lttngName) {
      const [system, name] = k.split(':') as [string, string];
      return { system, name };
    }
  }
  return undefined;
}

/** Builds the conversion of one ftrace event format. */
export function mapEventFormat(format: EventFormat): MappedEventClass {
  const id = `${format.system}:${format.name}`;
  const name = lttngEventName(format.system, format.name);
  const fields: CtfField[] = [];
  const writers: FieldWriter[] = [];
  const add = (part: { fields: CtfField[]; write: FieldWriter }): void => {
    fields.push(...part.fields);
    writers.push(part.write);
  };
  if (format.system === 'sched' && format.name === 'sched_process_fork') {
    mapSchedProcessFork(format, add);
  } else if (format.system === 'syscalls') {
    for (const f of format.fields) add(f.name === '__syscall_nr' || f.name === 'ret' ? genericField(f) : syscallArgument(f));
  } else {
    const sched = format.system === 'sched';
    for (const f of orderedFields(format, FIELD_ORDER[id])) {
      if (sched) add(schedField(f));
      else add(genericField(f));
    }
  }
  return { system: format.system, ftraceName: format.name, ftraceId: format.id, name, fields, writers };
}

function orderedFields(format: EventFormat, order: readonly string[] | undefined): FormatField[] {
  if (!order) return [...format.fields];
  const byName = new Map(format.fields.map((f) => [f.name, f]));
  const first = order.map((n) => byName.get(n)).filter((f): f is FormatField => f !== undefined);
  return [...first, ...format.fields.filter((f) => !order.includes(f.name))];
}

type Part = { fields: CtfField[]; write: FieldWriter };

function intType(size: number, signed: boolean, base?: 10 | 16): CtfIntegerType {
  return { kind: 'integer', size: (size * 8) as 8 | 16 | 32 | 64, signed, ...(base === 16 ? { base: 16 } : {}) };
}

/** Copies `size` bytes at the field offset unchanged. */
function copyBytes(offset: number, size: number): FieldWriter {
  return (out, rec) => out.copy(rec.bytes, rec.at + offset, size);
}

/** A fixed char array, NUL-terminated and zero-padded (stale bytes after the NUL dropped). */
function copyText(offset: number, size: number): FieldWriter {
  return (out, rec) => {
    const start = rec.at + offset;
    let n = 0;
    while (n < size - 1 && rec.bytes[start + n] !== 0) n++;
    out.copy(rec.bytes, start, n);
    out.zeros(size - n);
  };
}

/** The generic rendering of an ftrace field under `name`. */
export function genericField(f: FormatField, name = f.name): Part {
  const l = f.layout;
  switch (l.kind) {
    case 'int':
      return { fields: [{ name, type: intType(l.size, l.signed, l.pointer ? 16 : 10) }], write: copyBytes(f.offset, l.size) };
    case 'text':
      return { fields: [{ name, type: textArray(l.size) }], write: copyText(f.offset, l.size) };
    case 'array':
      return { fields: [{ name, type: { kind: 'array', element: intType(l.elementSize, l.signed), length: l.count } }], write: copyBytes(f.offset, l.count * l.elementSize) };
    case 'bytes':
      return { fields: [{ name, type: { kind: 'array', element: int.u8, length: l.size } }], write: copyBytes(f.offset, l.size) };
    case 'dynamic':
      if (l.text) {
        return {
          fields: [{ name, type: { kind: 'string' } }],
          write: (out, rec) => {
            const loc = dynamicLocation(rec.view, rec.at, rec.length, f, rec.source);
            out.cString(rec.bytes, loc.start, loc.length);
          },
        };
      } else {
        const lengthField = `${name}_length`;
        const element = intType(l.elementSize, l.signed);
        return {
          fields: [
            { name: lengthField, type: int.u32 },
            { name, type: { kind: 'sequence', element, lengthField } },
          ],
          write: (out, rec) => {
            const loc = dynamicLocation(rec.view, rec.at, rec.length, f, rec.source);
            const count = Math.floor(loc.length / l.elementSize);
            out.u32(count);
            out.copy(rec.bytes, loc.start, count * l.elementSize);
          },
        };
      }
  }
}

/** A comm field as LTTng's `char[16]`, whether ftrace stores it inline or as a string. */
function commField(f: FormatField, name: string): Part {
  if (f.layout.kind === 'dynamic' && f.layout.text) {
    return {
      fields: [{ name, type: textArray(TASK_COMM_LEN) }],
      write: (out, rec) => {
        const loc = dynamicLocation(rec.view, rec.at, rec.length, f, rec.source);
        let n = 0;
        const max = Math.min(loc.length, TASK_COMM_LEN - 1);
        while (n < max && rec.bytes[loc.start + n] !== 0) n++;
        out.copy(rec.bytes, loc.start, n);
        out.zeros(TASK_COMM_LEN - n);
      },
    };
  }
  return genericField(f, name);
}

function schedField(f: FormatField): Part {
  const name = SCHED_RENAMES[f.name] ?? f.name;
  if (SCHED_COMM_FIELDS.has(f.name)) return commField(f, name);
  if (SCHED_PRIO_FIELDS.has(f.name) && f.layout.kind === 'int' && f.layout.size === 4) {
    const offset = f.offset;
    return {
      fields: [{ name, type: int.s32 }],
      write: (out, rec) => out.i32(rec.view.getInt32(rec.at + offset, true) - MAX_RT_PRIO),
    };
  }
  return genericField(f, name);
}

/**
 * C types of syscall arguments and their real width and signedness. ftrace stores every
 * argument as an 8-byte register value; LTTng records the declared type.
 */
const SYSCALL_ARG_TYPES: Readonly<Record<string, { size: 2 | 4 | 8; signed: boolean }>> = {
  int: { size: 4, signed: true },
  pid_t: { size: 4, signed: true },
  clockid_t: { size: 4, signed: true },
  timer_t: { size: 4, signed: true },
  key_t: { size: 4, signed: true },
  mqd_t: { size: 4, signed: true },
  rwf_t: { size: 4, signed: true },
  key_serial_t: { size: 4, signed: true },
  s32: { size: 4, signed: true },
  __s32: { size: 4, signed: true },
  'unsigned int': { size: 4, signed: false },
  unsigned: { size: 4, signed: false },
  u32: { size: 4, signed: false },
  __u32: { size: 4, signed: false },
  uid_t: { size: 4, signed: false },
  gid_t: { size: 4, signed: false },
  qid_t: { size: 4, signed: false },
  umode_t: { size: 2, signed: false },
  old_uid_t: { size: 2, signed: false },
  old_gid_t: { size: 2, signed: false },
  'unsigned short': { size: 2, signed: false },
  u16: { size: 2, signed: false },
  long: { size: 8, signed: true },
  'long long': { size: 8, signed: true },
  loff_t: { size: 8, signed: true },
  off_t: { size: 8, signed: true },
  ssize_t: { size: 8, signed: true },
  time_t: { size: 8, signed: true },
  __kernel_old_time_t: { size: 8, signed: true },
  s64: { size: 8, signed: true },
  __s64: { size: 8, signed: true },
  'unsigned long': { size: 8, signed: false },
  'unsigned long long': { size: 8, signed: false },
  size_t: { size: 8, signed: false },
  u64: { size: 8, signed: false },
  __u64: { size: 8, signed: false },
  aio_context_t: { size: 8, signed: false },
};

function syscallArgument(f: FormatField): Part {
  if (f.layout.kind !== 'int' || f.size !== 8) return genericField(f);
  if (f.layout.pointer) return { fields: [{ name: f.name, type: int.u64 }], write: copyBytes(f.offset, 8) };
  const t = SYSCALL_ARG_TYPES[f.type.replace(/^const\s+/, '').trim()];
  if (!t) return genericField(f);
  // Little-endian: the declared type's value is in the low bytes of the 8-byte slot.
  return { fields: [{ name: f.name, type: intType(t.size, t.signed) }], write: copyBytes(f.offset, t.size) };
}

function mapSchedProcessFork(format: EventFormat, add: (p: Part) => void): void {
  const byName = new Map(format.fields.map((f) => [f.name, f]));
  const parentComm = byName.get('parent_comm');
  const parentPid = byName.get('parent_pid');
  const childComm = byName.get('child_comm');
  const childPid = byName.get('child_pid');
  if (!parentComm || !parentPid || !childComm || !childPid || parentPid.layout.kind !== 'int' || childPid.layout.kind !== 'int') {
    for (const f of format.fields) add(schedField(f));
    return;
  }
  const parentTidAt = parentPid.offset;
  const childTidAt = childPid.offset;
  const tid = (rec: RecordView, at: number): number => rec.view.getInt32(rec.at + at, true);
  add(commField(parentComm, 'parent_comm'));
  add(genericField(parentPid, 'parent_tid'));
  add({ fields: [{ name: 'parent_pid', type: int.s32 }], write: (out, rec, tasks) => out.i32(tasks.pidOf(tid(rec, parentTidAt))) });
  add({ fields: [{ name: 'parent_ns_inum', type: int.u32 }], write: (out, rec, tasks) => out.u32(tasks.pidNsOf(tid(rec, parentTidAt))) });
  add(commField(childComm, 'child_comm'));
  add(genericField(childPid, 'child_tid'));
  // LTTng lists the child's id in each nested pid namespace; from outside we know the
  // id in ours only, which is what a task in the initial namespace has.
  add({
    fields: [
      { name: 'vtids_length', type: int.u8 },
      { name: 'vtids', type: { kind: 'sequence', element: int.s32, lengthField: 'vtids_length' } },
    ],
    write: (out, rec) => {
      out.u8(1);
      out.i32(tid(rec, childTidAt));
    },
  });
  add({ fields: [{ name: 'child_pid', type: int.s32 }], write: (out, rec, tasks) => out.i32(tasks.pidOf(tid(rec, childTidAt))) });
  add({ fields: [{ name: 'child_ns_inum', type: int.u32 }], write: (out, rec, tasks) => out.u32(tasks.pidNsOf(tid(rec, childTidAt))) });
  for (const f of format.fields) {
    if (!['parent_comm', 'parent_pid', 'child_comm', 'child_pid'].includes(f.name)) add(schedField(f));
  }
}

/** The CTF type written for a field type, for callers describing fields. */
export function describeType(t: CtfType): string {
  switch (t.kind) {
    case 'integer':
      return `${t.signed ? 's' : 'u'}${t.size}`;
    case 'string':
      return 'string';
    case 'array':
      return `${describeType(t.element)}[${t.length}]`;
    case 'sequence':
      return `${describeType(t.element)}[${t.lengthField}]`;
  }
}
