/**
 * Every system call of every thread (entry and exit, arguments, return value, CPU), the
 * execs, the exits and the state dump's file names of every process's descriptors, kept
 * during the one kernel pass — what the seed's author read line by line in Trace
 * Compass. A story then takes its subject process's activity from here, whichever
 * process it follows, without reading the trace again.
 *
 * Stored columnar (typed arrays; the argument maps are the decoder's own objects), so a
 * trace of a million system calls costs a few tens of bytes per call.
 */
import { fieldNumber, type FieldMap, type TraceEvent } from '../../model/trace-event.js';
import { grownColumn } from '../kernel/typed-columns.js';
import { EventKind } from '../kernel/vocabulary.js';
import type { ContextView, KernelCollector } from './context.js';
import { eventRefOf, type EventRef } from './types.js';

export interface SyscallRecord {
  readonly name: string;
  readonly tid: number;
  /** Its `fd` argument (NaN when it has none), without building `args`. */
  readonly fd: number;
  readonly entryTs: bigint | null;
  readonly exitTs: bigint | null;
  readonly args: FieldMap;
  readonly ret: number | null;
  readonly cpu: number | null;
  readonly entryEvent: EventRef | null;
  readonly exitEvent: EventRef | null;
}

export interface SubjectActivity {
  readonly syscalls: SyscallRecord[];
  readonly exec: { readonly ts: bigint; readonly filename: string; readonly event: EventRef; readonly tid: number } | null;
  readonly exit: { readonly ts: bigint; readonly event: EventRef; readonly tid: number } | null;
  /** fd → file name from the state dump (`pipe:[…]`, `/dev/pts/0`, `socket:[…]`). */
  readonly fdNames: ReadonlyMap<number, string>;
  /** Threads of the process seen doing something (a system call, exec, exit). */
  readonly tids: ReadonlySet<number>;
}

const EMPTY_ARGS: FieldMap = Object.freeze({}) as FieldMap;

/** A process event (exec or exit) with the thread's process at the time. */
interface ProcessEvent {
  readonly tid: number;
  /** Process of the thread when it happened, -1 when unknown. */
  readonly pid: number;
  readonly ts: bigint;
  readonly event: EventRef;
  readonly filename: string;
}

/**
 * System call arguments, kept without keeping the decoder's objects: the numbers of each
 * call in one Float64Array, with the field names once per event class. A payload holding
 * anything else (a file name, an array) is kept as it is. A million calls are then a few
 * arrays for the collector, not a million small objects for the garbage collector.
 */
class ArgStore {
  private values = new Float64Array(1 << 16);
  private used = 0;
  private readonly shapes = new Map<string, number>();
  private readonly fields: string[][] = [];
  private readonly kept = new Map<number, FieldMap>();
  /** Index of the `fd` field in each shape (-1 none), computed on first use. */
  private readonly fdField: number[] = [];
  /** Per record: the shape (-1 none, -2 kept as an object) and the offset of its values. */
  private shapeOf = new Int32Array(4096);
  private offsetOf = new Int32Array(4096);

  private grow(records: number): void {
    this.shapeOf = grownColumn(this.shapeOf, records);
    this.offsetOf = grownColumn(this.offsetOf, records);
  }

  /** Record `i` has no arguments (entered before the trace). */
  none(i: number): void {
    if (i >= this.shapeOf.length) this.grow(Math.max(i + 1, this.shapeOf.length * 2));
    this.shapeOf[i] = -1;
  }

  /** Keeps the arguments `p` of record `i` (event class `name`). */
  put(i: number, name: string, p: FieldMap): void {
    if (i >= this.shapeOf.length) this.grow(Math.max(i + 1, this.shapeOf.length * 2));
    let shape = this.shapes.get(name);
    if (shape === undefined) {
      shape = this.fields.length;
      this.fields.push(Object.keys(p));
      this.shapes.set(name, shape);
    }
    const fields = this.fields[shape]!;
    const n = fields.length;
    if (this.used + n > this.values.length) {
      this.values = grownColumn(this.values, Math.max(this.values.length * 2, this.used + n));
    }
    const at = this.used;
    for (let k = 0; k < n; k++) {
      const v = p[fields[k]!];
      if (typeof v !== 'number') {
        this.shapeOf[i] = -2;
        this.kept.set(i, p);
        return;
      }
      this.values[at + k] = v;
    }
    this.used = at + n;
    this.shapeOf[i] = shape;
    this.offsetOf[i] = at;
  }

  /** The `fd` argument of record `i`, or NaN. */
  fd(i: number): number {
    const shape = this.shapeOf[i]!;
    if (shape === -2) {
      const v = this.kept.get(i)!.fd;
      return typeof v === 'number' ? v : NaN;
    }
    if (shape < 0) return NaN;
    let k = this.fdField[shape];
    if (k === undefined) k = this.fdField[shape] = this.fields[shape]!.indexOf('fd');
    return k < 0 ? NaN : this.values[this.offsetOf[i]! + k]!;
  }

  /** The arguments of record `i`, as a FieldMap. */
  get(i: number): FieldMap {
    const shape = this.shapeOf[i]!;
    if (shape === -2) return this.kept.get(i)!;
    if (shape < 0) return EMPTY_ARGS;
    const fields = this.fields[shape]!;
    const at = this.offsetOf[i]!;
    const out: FieldMap = {};
    for (let k = 0; k < fields.length; k++) out[fields[k]!] = this.values[at + k]!;
    return out;
  }
}

/**
 * One logged system call, read from the log's columns: its times and return value at
 * once, its arguments and EventRefs when first asked for (a story reads those of the few
 * calls it shows, not of the hundred thousand it passes over).
 */
class LoggedSyscall implements SyscallRecord {
  readonly name: string;
  readonly tid: number;
  readonly entryTs: bigint | null;
  readonly exitTs: bigint | null;
  readonly ret: number | null;
  readonly cpu: number | null;
  private argMap: FieldMap | null = null;
  private fdArg: number | undefined;
  private refs: [EventRef | null, EventRef | null] | null = null;

  constructor(
    private readonly log: SyscallLog,
    private readonly i: number,
  ) {
    this.name = log.nameOf(i);
    this.tid = log.tidOf(i);
    this.entryTs = log.entryTsOf(i);
    this.exitTs = log.exitTsOf(i);
    this.ret = log.retOf(i);
    this.cpu = log.cpuOf(i);
  }

  get args(): FieldMap {
    return (this.argMap ??= this.log.argsOf(this.i));
  }

  get fd(): number {
    return (this.fdArg ??= this.log.fdOf(this.i));
  }

  private events(): [EventRef | null, EventRef | null] {
    return (this.refs ??= [this.log.entryEventOf(this.i, this.entryTs), this.log.exitEventOf(this.i, this.exitTs)]);
  }

  get entryEvent(): EventRef | null {
    return this.events()[0];
  }

  get exitEvent(): EventRef | null {
    return this.events()[1];
  }
}

/** String interning for the event and syscall names the columns point to. */
class NameTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  id(name: string): number {
    let i = this.ids.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.ids.set(name, i);
    }
    return i;
  }
}

/**
 * The collector of the pass that keeps every system call (see the module comment);
 * `activityOf(pid)` answers for one process afterwards.
 */
export class SyscallLog implements KernelCollector {
  length = 0;
  private tid = new Int32Array(4096);
  /** Process of the thread at the entry (or exit), -1 when unknown. */
  private pid = new Int32Array(4096);
  /** Syscall name (NameTable id). */
  private name = new Int32Array(4096);
  /** Entry and exit event names (NameTable ids, -1 when not seen). */
  private entryName = new Int32Array(4096);
  private exitName = new Int32Array(4096);
  private cpu = new Int32Array(4096);
  /** Relative times (the model's), NaN when not seen. */
  private entryTs = new Float64Array(4096);
  private exitTs = new Float64Array(4096);
  /** Converts the relative times (the pass's view, set by the first event). */
  private view: ContextView | null = null;
  private exitCpu = new Int32Array(4096);
  private ret = new Float64Array(4096);
  private readonly args = new ArgStore();
  private readonly names = new NameTable();
  /** Record index of each thread's syscall in progress. */
  private readonly open = new Map<number, number>();
  private readonly execs: ProcessEvent[] = [];
  private readonly exits: ProcessEvent[] = [];
  /** State dump: pid → fd → file name, and file table address → pid (LTTng ≥ 2.12). */
  private readonly dumpFds = new Map<number, Map<number, string>>();
  private readonly dumpByTable = new Map<string, Map<number, string>>();
  private readonly tablePid = new Map<string, number>();
  /** Records of each process (by the pid at the time), in order. */
  private byPid: Map<number, number[]> | null = null;

  private grow(): void {
    const n = this.tid.length * 2;
    this.tid = grownColumn(this.tid, n);
    this.pid = grownColumn(this.pid, n);
    this.name = grownColumn(this.name, n);
    this.entryName = grownColumn(this.entryName, n);
    this.exitName = grownColumn(this.exitName, n);
    this.cpu = grownColumn(this.cpu, n);
    this.exitCpu = grownColumn(this.exitCpu, n);
    this.entryTs = grownColumn(this.entryTs, n);
    this.exitTs = grownColumn(this.exitTs, n);
    this.ret = grownColumn(this.ret, n);
  }

  private add(tid: number, pid: number, name: string, cpu: number | null): number {
    const i = this.length;
    if (i === this.tid.length) this.grow();
    this.tid[i] = tid;
    this.pid[i] = pid;
    this.name[i] = this.names.id(name);
    this.entryName[i] = -1;
    this.exitName[i] = -1;
    this.cpu[i] = cpu ?? -1;
    this.exitCpu[i] = -1;
    this.entryTs[i] = NaN;
    this.exitTs[i] = NaN;
    this.ret[i] = NaN;
    this.args.none(i);
    this.length = i + 1;
    this.byPid = null;
    return i;
  }

  onEvent(ev: TraceEvent, kind: EventKind, view: ContextView): void {
    if (kind === EventKind.SYSCALL_ENTRY || kind === EventKind.SYSCALL_EXIT) {
      this.view ??= view;
      const tid = view.tid;
      if (tid === null) return;
      const pid = view.pid ?? -1;
      const name = view.syscallName(ev);
      if (kind === EventKind.SYSCALL_ENTRY) {
        const i = this.add(tid, pid, name, ev.cpu);
        this.entryName[i] = this.names.id(ev.name);
        this.entryTs[i] = view.time;
        this.args.put(i, ev.name, ev.payload);
        this.open.set(tid, i);
        return;
      }
      let i = this.open.get(tid);
      this.open.delete(tid);
      if (i === undefined || (name !== '' && this.names.names[this.name[i]!] !== name)) {
        // Entered before the trace began (or the entry was lost).
        i = this.add(tid, pid, name, ev.cpu);
      }
      this.exitName[i] = this.names.id(ev.name);
      this.exitTs[i] = view.time;
      this.exitCpu[i] = ev.cpu ?? -1;
      const ret = fieldNumber(ev.payload.ret);
      this.ret[i] = ret;
      return;
    }
    const p = ev.payload;
    switch (kind) {
      case EventKind.SCHED_PROCESS_EXEC: {
        const t = fieldNumber(p.tid);
        const tid = Number.isNaN(t) ? view.tid : t;
        if (tid === null) return;
        this.execs.push({ tid, pid: view.pidOf(tid) ?? -1, ts: ev.ts, event: eventRefOf(ev.ts, ev.name, ev.cpu, t), filename: typeof p.filename === 'string' ? p.filename : '' });
        return;
      }
      case EventKind.SCHED_PROCESS_EXIT: {
        const tid = fieldNumber(p.tid);
        this.exits.push({ tid, pid: view.pidOf(tid) ?? -1, ts: ev.ts, event: eventRefOf(ev.ts, ev.name, ev.cpu, tid), filename: '' });
        return;
      }
      case EventKind.STATEDUMP_PROCESS_STATE:
        if (p.file_table_address !== undefined) this.tablePid.set(String(p.file_table_address), fieldNumber(p.pid));
        return;
      case EventKind.STATEDUMP_FILE_DESCRIPTOR: {
        if (typeof p.filename !== 'string') return;
        const pid = fieldNumber(p.pid);
        let table: Map<number, string> | undefined;
        if (!Number.isNaN(pid)) {
          table = this.dumpFds.get(pid);
          if (!table) this.dumpFds.set(pid, (table = new Map()));
        } else if (p.file_table_address !== undefined) {
          const key = String(p.file_table_address);
          table = this.dumpByTable.get(key);
          if (!table) this.dumpByTable.set(key, (table = new Map()));
        }
        table?.set(fieldNumber(p.fd), p.filename);
        return;
      }
      default:
        return;
    }
  }

  /** Whether a thread with process `pid` (-1 unknown) at the time belongs to process `subject`. */
  private static mine(tid: number, pid: number, subject: number): boolean {
    return pid === subject || (pid === -1 && tid === subject);
  }

  private recordsOf(subject: number): number[] {
    if (!this.byPid) {
      this.byPid = new Map();
      for (let i = 0; i < this.length; i++) {
        // Threads whose process is unknown are filed under their tid (the leader's case).
        const key = this.pid[i]! >= 0 ? this.pid[i]! : this.tid[i]!;
        let l = this.byPid.get(key);
        if (!l) this.byPid.set(key, (l = []));
        l.push(i);
      }
    }
    return (this.byPid.get(subject) ?? []).filter((i) => SyscallLog.mine(this.tid[i]!, this.pid[i]!, subject));
  }

  private record(i: number): SyscallRecord {
    return new LoggedSyscall(this, i);
  }

  /** Column reads for LoggedSyscall. */
  nameOf(i: number): string {
    return this.names.names[this.name[i]!]!;
  }
  tidOf(i: number): number {
    return this.tid[i]!;
  }
  entryTsOf(i: number): bigint | null {
    const t = this.entryTs[i]!;
    return t === t ? this.view!.toNs(t) : null;
  }
  exitTsOf(i: number): bigint | null {
    const t = this.exitTs[i]!;
    return t === t ? this.view!.toNs(t) : null;
  }
  retOf(i: number): number | null {
    const r = this.ret[i]!;
    return Number.isNaN(r) ? null : r;
  }
  cpuOf(i: number): number | null {
    const c = this.cpu[i]!;
    return c < 0 ? null : c;
  }
  argsOf(i: number): FieldMap {
    return this.args.get(i);
  }
  fdOf(i: number): number {
    return this.args.fd(i);
  }
  entryEventOf(i: number, ts: bigint | null): EventRef | null {
    return ts === null ? null : eventRefOf(ts, this.names.names[this.entryName[i]!]!, this.cpuOf(i), this.tid[i]!);
  }
  exitEventOf(i: number, ts: bigint | null): EventRef | null {
    const c = this.exitCpu[i]!;
    return ts === null ? null : eventRefOf(ts, this.names.names[this.exitName[i]!]!, c < 0 ? null : c, this.tid[i]!);
  }

  /** Process `pid`'s system calls (in trace order), exec, exit, state-dump fd names and threads. */
  activityOf(pid: number): SubjectActivity {
    const syscalls = this.recordsOf(pid).map((i) => this.record(i));
    const tids = new Set<number>(syscalls.map((s) => s.tid));
    let exec: SubjectActivity['exec'] = null;
    for (const e of this.execs) {
      if (!SyscallLog.mine(e.tid, e.pid, pid)) continue;
      tids.add(e.tid);
      exec = { ts: e.ts, filename: e.filename, event: e.event, tid: e.tid };
    }
    let exit: SubjectActivity['exit'] = null;
    for (const e of this.exits) {
      const mine = SyscallLog.mine(e.tid, e.pid, pid);
      if (mine) tids.add(e.tid);
      // The leader's exit is the process's; another thread's stands in until then.
      if (e.tid === pid || (mine && !exit)) exit = { ts: e.ts, event: e.event, tid: e.tid };
    }
    const fdNames = new Map<number, string>(this.dumpFds.get(pid) ?? []);
    for (const [table, owner] of this.tablePid) {
      if (owner !== pid) continue;
      for (const [fd, name] of this.dumpByTable.get(table) ?? []) fdNames.set(fd, name);
    }
    return { syscalls, exec, exit, fdNames, tids };
  }
}
