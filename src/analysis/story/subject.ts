/**
 * The story's second pass over the kernel trace: every system call of the subject
 * process (entry and exit, arguments, return value, CPU), its exec and exit, and the
 * state dump's file names of its descriptors — what the seed's author read line by line
 * in Trace Compass.
 */
import type { TraceCollection } from '../../ctf/index.js';
import { fieldNumber, type FieldMap, type TraceEvent } from '../../model/trace-event.js';
import type { ContextTracker } from '../correlate/context.js';
import type { EventRole } from '../correlate/event-names.js';
import { scanKernel, type KernelCollector, type SyscallName } from '../correlate/kernel-scan.js';
import { eventRefOf, type EventRef } from '../correlate/types.js';

export interface SyscallRecord {
  readonly name: string;
  readonly tid: number;
  readonly entryTs: bigint | null;
  exitTs: bigint | null;
  readonly args: FieldMap;
  /** Exit payload (ret, and output arguments LTTng decodes). */
  exitPayload: FieldMap | null;
  ret: number | null;
  readonly cpu: number | null;
  readonly entryEvent: EventRef | null;
  exitEvent: EventRef | null;
}

export interface SubjectActivity {
  readonly syscalls: SyscallRecord[];
  readonly exec: { readonly ts: bigint; readonly filename: string; readonly event: EventRef; readonly tid: number } | null;
  readonly exit: { readonly ts: bigint; readonly event: EventRef; readonly tid: number } | null;
  /** fd → file name from the state dump (`pipe:[…]`, `/dev/pts/0`, `socket:[…]`). */
  readonly fdNames: ReadonlyMap<number, string>;
  /** Threads of the process seen in this pass. */
  readonly tids: ReadonlySet<number>;
}

class SubjectCollector implements KernelCollector {
  readonly syscalls: SyscallRecord[] = [];
  exec: SubjectActivity['exec'] = null;
  exit: SubjectActivity['exit'] = null;
  readonly fdNames = new Map<number, string>();
  readonly tids = new Set<number>();
  private readonly open = new Map<number, SyscallRecord>();
  private readonly fileTable = new Set<string>();

  constructor(private readonly pid: number) {}

  private mine(tid: number | null, tracker: ContextTracker): boolean {
    if (tid === null) return false;
    const pid = tracker.pidOf(tid);
    const yes = pid === this.pid || (pid === null && tid === this.pid);
    if (yes) this.tids.add(tid);
    return yes;
  }

  onEvent(ev: TraceEvent, role: EventRole | undefined, syscall: SyscallName | null, tracker: ContextTracker): void {
    if (syscall) {
      const tid = tracker.taskOf(ev);
      if (!this.mine(tid, tracker)) return;
      if (syscall.entry) {
        const rec: SyscallRecord = { name: syscall.name, tid: tid!, entryTs: ev.ts, exitTs: null, args: ev.payload, exitPayload: null, ret: null, cpu: ev.cpu, entryEvent: eventRefOf(ev.ts, ev.name, ev.cpu, tid), exitEvent: null };
        this.open.set(tid!, rec);
        this.syscalls.push(rec);
      } else {
        let rec = this.open.get(tid!);
        this.open.delete(tid!);
        if (!rec || (syscall.name && rec.name !== syscall.name)) {
          // Entered before the trace began.
          rec = { name: syscall.name, tid: tid!, entryTs: null, exitTs: null, args: {}, exitPayload: null, ret: null, cpu: ev.cpu, entryEvent: null, exitEvent: null };
          this.syscalls.push(rec);
        }
        rec.exitTs = ev.ts;
        rec.exitPayload = ev.payload;
        const ret = fieldNumber(ev.payload.ret);
        rec.ret = Number.isNaN(ret) ? null : ret;
        rec.exitEvent = eventRefOf(ev.ts, ev.name, ev.cpu, tid);
      }
      return;
    }
    const p = ev.payload;
    switch (role) {
      case 'sched_process_exec': {
        const tid = fieldNumber(p.tid);
        if (this.mine(Number.isNaN(tid) ? tracker.taskOf(ev) : tid, tracker)) {
          this.exec = { ts: ev.ts, filename: typeof p.filename === 'string' ? p.filename : '', event: eventRefOf(ev.ts, ev.name, ev.cpu, tid), tid };
        }
        return;
      }
      case 'sched_process_exit': {
        const tid = fieldNumber(p.tid);
        if (tid === this.pid || (this.mine(tid, tracker) && !this.exit)) this.exit = { ts: ev.ts, event: eventRefOf(ev.ts, ev.name, ev.cpu, tid), tid };
        return;
      }
      case 'statedump_process':
        if (fieldNumber(p.pid) === this.pid && p.file_table_address !== undefined) this.fileTable.add(String(p.file_table_address));
        return;
      case 'statedump_fd': {
        const pid = fieldNumber(p.pid);
        const mine = pid === this.pid || (Number.isNaN(pid) && p.file_table_address !== undefined && this.fileTable.has(String(p.file_table_address)));
        if (mine && typeof p.filename === 'string') this.fdNames.set(fieldNumber(p.fd), p.filename);
        return;
      }
      default:
        return;
    }
  }
}

/** Reads the trace again and returns the activity of process `pid`. */
export function collectSubjectActivity(kernel: TraceCollection, pid: number): SubjectActivity {
  const c = new SubjectCollector(pid);
  scanKernel(kernel, [c]);
  return { syscalls: c.syscalls, exec: c.exec, exit: c.exit, fdNames: c.fdNames, tids: c.tids };
}
