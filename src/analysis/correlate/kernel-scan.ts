/**
 * One streaming pass over a kernel trace feeding several collectors (socket buffers,
 * sockets, blocked intervals…) with each event and the context tracker that says where
 * it ran. Events no collector needs are skipped after one map lookup per event name.
 */
import { FormatError } from '../../base/errors.js';
import type { MessageOptions, TraceCollection } from '../../ctf/index.js';
import type { TraceEvent } from '../../model/trace-event.js';
import { ContextTracker } from './context.js';
import { eventRole, syscallOf, type EventRole } from './event-names.js';

/** A consumer of the pass. */
export interface KernelCollector {
  /**
   * Called for every event with a role or a syscall name. For entry-type events (syscall
   * entry, IRQ/softirq entry) the tracker already includes the new context; for every
   * other event it still shows the context before the event.
   */
  onEvent(ev: TraceEvent, role: EventRole | undefined, syscall: SyscallName | null, tracker: ContextTracker): void;
  /** Called once after the last event. */
  finish?(tracker: ContextTracker): void;
}

export interface SyscallName {
  readonly name: string;
  readonly entry: boolean;
}

interface NameInfo {
  readonly role: EventRole | undefined;
  readonly syscall: SyscallName | null;
  readonly relevant: boolean;
  readonly entryLike: boolean;
}

export interface ScanResult {
  readonly tracker: ContextTracker;
  readonly events: number;
  readonly discarded: number;
  readonly firstTs: bigint | null;
  readonly lastTs: bigint | null;
  /** The reader's error when it met damaged data (the pass stopped there), else null. */
  readonly damage: string | null;
}

/**
 * Reads every message of `kernel` (within `opts`) once, in time order, and hands the
 * relevant ones to `collectors`. Returns the tracker (threads, IRQ and softirq runs) and
 * counts. Throws what the CTF reader throws on damaged data.
 */
export function scanKernel(kernel: TraceCollection, collectors: readonly KernelCollector[], opts: MessageOptions = {}): ScanResult {
  const tracker = new ContextTracker();
  const names = new Map<string, NameInfo>();
  let events = 0;
  let discarded = 0;
  let first: TraceEvent | null = null;
  let last: TraceEvent | null = null;
  // nextMessage() spares an iterator result object per event (a visible share of the pass).
  const messages = kernel.messages(opts);
  let damage: string | null = null;
  const next = () => {
    try {
      return messages.nextMessage();
    } catch (err) {
      // Keep everything before the damage (the reader yields all of it first).
      if (!(err instanceof FormatError)) throw err;
      damage = err.message;
      return null;
    }
  };
  for (let m = next(); m !== null; m = next()) {
    if (m.kind !== 'event') {
      discarded += m.count ?? 1;
      continue;
    }
    events++;
    const ev = m as TraceEvent;
    let info = names.get(ev.name);
    if (!info) {
      const role = eventRole(ev.name);
      const syscall = role ? null : syscallOf(ev.name);
      const entryLike = syscall?.entry === true || role === 'irq_entry' || role === 'softirq_entry';
      info = { role, syscall, relevant: role !== undefined || syscall !== null, entryLike };
      names.set(ev.name, info);
    }
    if (!info.relevant) continue;
    if (first === null) first = ev;
    last = ev;
    if (info.entryLike) {
      tracker.update(ev, info.role, info.syscall);
      for (const c of collectors) c.onEvent(ev, info.role, info.syscall, tracker);
    } else {
      for (const c of collectors) c.onEvent(ev, info.role, info.syscall, tracker);
      tracker.update(ev, info.role, info.syscall);
    }
  }
  for (const c of collectors) c.finish?.(tracker);
  return { tracker, events, discarded, firstTs: first?.ts ?? null, lastTs: last?.ts ?? null, damage };
}
