/**
 * THE pass over a kernel trace: each event is read once and handed to the kernel
 * analysis's state model (src/analysis/kernel: threads, CPUs, IRQs, softirqs, wakeups,
 * fd tables and sockets) and to the correlation's collectors (socket buffers, sockets,
 * blocked intervals, system calls…), with the context tracker that says where the event
 * ran. Nothing reads the trace a second time: the story, the wakeup chains and the fd
 * names all come from what this pass kept.
 *
 * The kernel model is built by `analyzeKernel` over a message source that tees every
 * message to the collectors before the model consumes it, so both ride on one decoder.
 */
import { FormatError } from '../../base/errors.js';
import type { MessageOptions, TraceCollection } from '../../ctf/index.js';
import type { TraceEvent, TraceMessage } from '../../model/trace-event.js';
import { analyzeKernel, kernelTraceOf, type KernelModel, type KernelTraceSource } from '../kernel/index.js';
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
  /**
   * The kernel analysis's model of the same pass (fd tables in `model.fds`), or null when
   * the collection has no single kernel trace to model (several hosts, userspace only).
   */
  readonly model: KernelModel | null;
}

export interface KernelPassOptions extends MessageOptions {
  /** Build the kernel model on the same pass (default true). */
  readonly model?: boolean;
}

/** Hands each event to the collectors, keeping the context tracker and the counts. */
class EventFeed {
  readonly tracker = new ContextTracker();
  private readonly names = new Map<string, NameInfo>();
  events = 0;
  discarded = 0;
  first: TraceEvent | null = null;
  last: TraceEvent | null = null;

  constructor(private readonly collectors: readonly KernelCollector[]) {}

  feed(m: TraceMessage): void {
    if (m.kind !== 'event') {
      this.discarded += m.count ?? 1;
      return;
    }
    this.events++;
    const ev = m;
    let info = this.names.get(ev.name);
    if (!info) {
      const role = eventRole(ev.name);
      const syscall = role ? null : syscallOf(ev.name);
      const entryLike = syscall?.entry === true || role === 'irq_entry' || role === 'softirq_entry';
      info = { role, syscall, relevant: role !== undefined || syscall !== null, entryLike };
      this.names.set(ev.name, info);
    }
    if (!info.relevant) return;
    if (this.first === null) this.first = ev;
    this.last = ev;
    const tracker = this.tracker;
    const collectors = this.collectors;
    if (info.entryLike) {
      tracker.update(ev, info.role, info.syscall);
      for (let i = 0; i < collectors.length; i++) collectors[i]!.onEvent(ev, info.role, info.syscall, tracker);
    } else {
      for (let i = 0; i < collectors.length; i++) collectors[i]!.onEvent(ev, info.role, info.syscall, tracker);
      tracker.update(ev, info.role, info.syscall);
    }
  }
}

/** A message source that stops (keeping what came before) at damaged data, remembering why. */
class DamageStop {
  damage: string | null = null;
  constructor(private readonly messages: { nextMessage(): TraceMessage | null }) {}
  next(): TraceMessage | null {
    if (this.damage !== null) return null;
    try {
      return this.messages.nextMessage();
    } catch (err) {
      // Keep everything before the damage (the reader yields all of it first).
      if (!(err instanceof FormatError)) throw err;
      this.damage = err.message;
      return null;
    }
  }
}

/** The single kernel trace to model, or null (none, or several: e.g. two hosts). */
function modelledTrace(kernel: TraceCollection): ReturnType<typeof kernelTraceOf> | null {
  try {
    return kernelTraceOf(kernel);
  } catch {
    return null;
  }
}

/**
 * Reads the kernel trace(s) of `kernel` once, in time order: the relevant events go to
 * `collectors`, and (unless `opts.model` is false) every event of the kernel trace to the
 * kernel analysis's model builder. Returns the tracker (threads, IRQ and softirq runs),
 * counts, the model, and the damage met (the pass keeps everything before it).
 */
export function runKernelPass(kernel: TraceCollection, collectors: readonly KernelCollector[], opts: KernelPassOptions = {}): ScanResult {
  const feed = new EventFeed(collectors);
  const trace = opts.model === false ? null : modelledTrace(kernel);
  let model: KernelModel | null = null;
  let stop: DamageStop;
  if (trace) {
    stop = new DamageStop(kernel.traceMessages(trace, opts));
    const s = stop;
    // The model pulls messages through this source; each one reaches the collectors first.
    const tee = {
      nextMessage(): TraceMessage | null {
        const m = s.next();
        if (m !== null) feed.feed(m);
        return m;
      },
      *[Symbol.iterator](): Iterator<TraceMessage> {
        for (let m = tee.nextMessage(); m !== null; m = tee.nextMessage()) yield m;
      },
    };
    const source: KernelTraceSource = { traces: kernel.traces, traceMessages: () => tee };
    model = analyzeKernel(source, { trace, statistics: false });
  } else {
    stop = new DamageStop(kernel.messages(opts));
    for (let m = stop.next(); m !== null; m = stop.next()) feed.feed(m);
  }
  for (const c of collectors) c.finish?.(feed.tracker);
  return { tracker: feed.tracker, events: feed.events, discarded: feed.discarded, firstTs: feed.first?.ts ?? null, lastTs: feed.last?.ts ?? null, damage: stop.damage, model };
}
