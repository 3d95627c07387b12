/**
 * What LTTng's per-event context needs and ftrace records don't carry: the thread group
 * (`pid`) and name (`procname`) of the task that produced each event, and the pid
 * namespace of tasks. Seeded from the state dump and the kernel's saved tgid map, then
 * kept current, in time order, from the events themselves: sched_switch and wake-ups
 * (names), task_newtask (CLONE_THREAD tells a thread from a process), sched_process_fork,
 * sched_process_exec (the new name is the file's base name) and task_rename.
 */
import type { EventFormat } from './format.js';
import { dynamicLocation } from './event-decoder.js';
import type { RecordView, TaskInfo } from './lttng-mapping.js';

const CLONE_THREAD = 0x10000n;
const TASK_COMM_LEN = 16;

export interface KnownThread {
  readonly tid: number;
  readonly pid: number;
  readonly comm: string;
  readonly pidNs: number;
}

type Observer = (rec: RecordView) => void;

export class TaskState implements TaskInfo {
  private readonly tgid = new Map<number, number>();
  private readonly comm = new Map<number, string>();
  private readonly pidNs = new Map<number, number>();
  private readonly observers = new Map<number, Observer>();

  /**
   * `threads`: the state dump. `savedTgids`: the kernel's tid → tgid map read at the end
   * (covers threads born and gone during the recording). `defaultPidNs`: the namespace
   * of tasks we know nothing about (the initial one).
   */
  constructor(threads: Iterable<KnownThread>, private readonly savedTgids: ReadonlyMap<number, number>, private readonly defaultPidNs: number) {
    for (const t of threads) {
      this.tgid.set(t.tid, t.pid);
      this.comm.set(t.tid, t.comm);
      if (t.pidNs) this.pidNs.set(t.tid, t.pidNs);
    }
  }

  pidOf(tid: number): number {
    if (tid === 0) return 0;
    return this.tgid.get(tid) ?? this.savedTgids.get(tid) ?? tid;
  }

  pidNsOf(tid: number): number {
    return this.pidNs.get(tid) ?? this.pidNs.get(this.pidOf(tid)) ?? this.defaultPidNs;
  }

  /** The name of `tid` as the event context shows it (`swapper/N` for the idle task). */
  commOf(tid: number, cpu: number): string {
    if (tid === 0) return `swapper/${cpu}`;
    return this.comm.get(tid) ?? '';
  }

  /** Registers the formats whose events update the state. */
  watch(formats: Iterable<EventFormat>): void {
    for (const f of formats) {
      const obs = this.observerFor(f);
      if (obs) this.observers.set(f.id, obs);
    }
  }

  /** Applies the event (ftrace id `type`) to the state; call before writing it. */
  observe(type: number, rec: RecordView): void {
    const obs = this.observers.get(type);
    if (obs) obs(rec);
  }

  private observerFor(f: EventFormat): Observer | undefined {
    const field = (name: string) => f.fields.find((x) => x.name === name);
    const int32 = (name: string): ((rec: RecordView) => number) | undefined => {
      const x = field(name);
      if (!x || x.layout.kind !== 'int' || x.layout.size !== 4) return undefined;
      const off = x.offset;
      return (rec) => rec.view.getInt32(rec.at + off, true);
    };
    const text = (name: string): ((rec: RecordView) => string) | undefined => {
      const x = field(name);
      if (!x) return undefined;
      if (x.layout.kind === 'text') {
        const off = x.offset;
        const size = x.layout.size;
        return (rec) => readCString(rec.bytes, rec.at + off, size);
      }
      if (x.layout.kind === 'dynamic' && x.layout.text) {
        return (rec) => {
          const loc = dynamicLocation(rec.view, rec.at, rec.length, x, rec.source);
          return readCString(rec.bytes, loc.start, loc.length);
        };
      }
      return undefined;
    };
    const key = `${f.system}:${f.name}`;
    switch (key) {
      case 'sched:sched_switch': {
        const prevPid = int32('prev_pid');
        const nextPid = int32('next_pid');
        const prevComm = text('prev_comm');
        const nextComm = text('next_comm');
        if (!prevPid || !nextPid || !prevComm || !nextComm) return undefined;
        return (rec) => {
          const p = prevPid(rec);
          const n = nextPid(rec);
          if (p !== 0) this.comm.set(p, prevComm(rec));
          if (n !== 0) this.comm.set(n, nextComm(rec));
        };
      }
      case 'sched:sched_waking':
      case 'sched:sched_wakeup':
      case 'sched:sched_wakeup_new':
      case 'task:task_rename': {
        const pid = int32('pid');
        const comm = text(key === 'task:task_rename' ? 'newcomm' : 'comm');
        if (!pid || !comm) return undefined;
        return (rec) => {
          const t = pid(rec);
          if (t !== 0) this.comm.set(t, comm(rec));
        };
      }
      case 'task:task_newtask': {
        const pid = int32('pid');
        const comm = text('comm');
        const flags = field('clone_flags');
        if (!pid || !comm || !flags || flags.layout.kind !== 'int' || flags.layout.size !== 8) return undefined;
        const flagsAt = flags.offset;
        return (rec) => {
          const child = pid(rec);
          const parent = rec.view.getInt32(rec.at + 4, true);
          const thread = (rec.view.getBigUint64(rec.at + flagsAt, true) & CLONE_THREAD) !== 0n;
          this.tgid.set(child, thread ? this.pidOf(parent) : child);
          this.comm.set(child, comm(rec));
          this.pidNs.set(child, this.pidNsOf(parent));
        };
      }
      case 'sched:sched_process_fork': {
        const parentPid = int32('parent_pid');
        const childPid = int32('child_pid');
        const childComm = text('child_comm');
        if (!parentPid || !childPid || !childComm) return undefined;
        return (rec) => {
          const child = childPid(rec);
          const parent = parentPid(rec);
          if (!this.tgid.has(child)) this.tgid.set(child, this.savedTgids.get(child) ?? child);
          if (!this.pidNs.has(child)) this.pidNs.set(child, this.pidNsOf(parent));
          this.comm.set(child, childComm(rec));
        };
      }
      case 'sched:sched_process_exec': {
        const pid = int32('pid');
        const oldPid = int32('old_pid');
        const filename = text('filename');
        if (!pid || !filename) return undefined;
        return (rec) => {
          const t = pid(rec);
          // A non-leader thread that execs takes over the leader's id (old_pid → pid).
          if (oldPid) {
            const old = oldPid(rec);
            if (old !== t) this.tgid.set(t, t);
          }
          this.comm.set(t, execComm(filename(rec)));
        };
      }
      default:
        return undefined;
    }
  }
}

function readCString(bytes: Uint8Array, at: number, max: number): string {
  let end = at;
  const limit = Math.min(bytes.length, at + max);
  while (end < limit && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, end - at).toString('utf8');
}

/** The name the kernel gives a task after exec: the file's base name, at most 15 bytes. */
export function execComm(filename: string): string {
  const base = filename.slice(filename.lastIndexOf('/') + 1);
  const b = Buffer.from(base, 'utf8');
  return b.length < TASK_COMM_LEN ? base : b.subarray(0, TASK_COMM_LEN - 1).toString('utf8');
}
