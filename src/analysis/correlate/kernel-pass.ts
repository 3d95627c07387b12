/**
 * THE pass over a kernel trace: each event is read once, by the kernel analysis's state
 * model (src/analysis/kernel: threads, CPUs, IRQs, softirqs, wakeups, fd tables and
 * sockets), and the correlation rides on it as one of its listeners — the ContextView,
 * which names IRQ and softirq runs and hands every event, with where it ran, to the
 * correlation's collectors (socket buffers, sockets, blocked intervals, system calls).
 * Nothing reads the trace a second time: the story, the wakeup chains and the fd names
 * all come from what this pass kept.
 */
import { FormatError } from '../../base/errors.js';
import type { MessageOptions, TraceCollection } from '../../ctf/index.js';
import type { TraceInfo, TraceMessage } from '../../model/trace-event.js';
import { analyzeKernel, kernelTraceOf, type KernelModel, type KernelTraceSource } from '../kernel/index.js';
import { ContextView, type KernelCollector, type ThreadInfo } from './context.js';

export type { KernelCollector } from './context.js';

export interface ScanResult {
  readonly view: ContextView;
  /** Events read. */
  readonly events: number;
  readonly discarded: number;
  /** First and last events the correlation reads (not the trace's own bounds). */
  readonly firstTs: bigint | null;
  readonly lastTs: bigint | null;
  /** The reader's error when it met damaged data (the pass stopped there), else null. */
  readonly damage: string | null;
  /**
   * The kernel model of the pass (fd tables in `model.fds`), or null when the collection
   * holds several kernel traces (hosts) read as one stream, which no one model describes.
   */
  readonly model: KernelModel | null;
  /** Thread names and processes at the end of the pass (tid → last lifetime). */
  readonly threads: ReadonlyMap<number, ThreadInfo>;
}

/** A message source that stops (keeping what came before) at damaged data, remembering why. */
class DamageStop {
  damage: string | null = null;
  discarded = 0;
  constructor(private readonly messages: { nextMessage(): TraceMessage | null }) {}
  nextMessage(): TraceMessage | null {
    if (this.damage !== null) return null;
    let m: TraceMessage | null;
    try {
      m = this.messages.nextMessage();
    } catch (err) {
      // Keep everything before the damage (the reader yields all of it first).
      if (!(err instanceof FormatError)) throw err;
      this.damage = err.message;
      return null;
    }
    if (m !== null && m.kind !== 'event') this.discarded += m.count ?? 1;
    return m;
  }
  *[Symbol.iterator](): Iterator<TraceMessage> {
    for (let m = this.nextMessage(); m !== null; m = this.nextMessage()) yield m;
  }
}

/** The single kernel trace to model, or null (none, or several: e.g. two hosts). */
function modelledTrace(kernel: TraceCollection): TraceInfo | null {
  try {
    return kernelTraceOf(kernel);
  } catch {
    return null;
  }
}

/**
 * Reads the kernel trace of `kernel` once, in time order, through the kernel model with
 * the correlation's collectors attached. A collection of several traces (hosts, or kernel
 * plus userspace without a domain) is read as one merged stream; its model is not kept.
 * Returns the view (IRQ and softirq runs), counts, the model, and the damage met (the
 * pass keeps everything before it).
 */
export function runKernelPass(kernel: TraceCollection, collectors: readonly KernelCollector[], opts: MessageOptions = {}): ScanResult {
  const view = new ContextView(collectors);
  const trace = modelledTrace(kernel);
  const stop = new DamageStop(trace ? kernel.traceMessages(trace, opts) : kernel.messages(opts));
  // One trace from the model's point of view: the kernel trace, or the merged stream.
  const only: TraceInfo = trace ?? { index: 0, path: '', env: {}, hostname: '', domain: 'kernel' };
  const source: KernelTraceSource = { traces: [only], traceMessages: () => stop };
  const model = analyzeKernel(source, { trace: only, statistics: false, listeners: [view] });
  view.finish(model);
  const threads = new Map<number, ThreadInfo>();
  for (const t of model.threads()) threads.set(t.tid, { tid: t.tid, pid: t.pid, comm: t.name || null, syscall: null });
  return { view, events: model.eventCount, discarded: stop.discarded, firstTs: view.firstTs, lastTs: view.lastTs, damage: stop.damage, model: trace ? model : null, threads };
}
