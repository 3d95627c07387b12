/**
 * `analyzeKernel(collection, options)`: everything the kernel analysis knows, in ONE
 * pass over one kernel trace — the state model (threads, CPUs, IRQs, softirqs, wakeups),
 * the syscall / IRQ / scheduling statistics, and the fd tables with their sockets.
 *
 * ```ts
 * const tc = openTraceCollection(['bundle/']);
 * const model = analyzeKernel(tc, { onProgress: (p) => bar(p.bytesDone / p.bytesTotal) });
 * model.rows('thread');                       // timeline rows
 * model.intervals(row.index, t0, t1, 1e6);    // 1 ms per pixel
 * model.syscalls!.perThread();                // lttng-syscallstats
 * model.fds!.socketOf(pid, 5);                // fd 5 → socket → 4-tuple, TCP states
 * ```
 */
import { statSync } from 'node:fs';
import { TracewireError } from '../../base/errors.js';
import type { TraceInfo, TraceMessage } from '../../model/trace-event.js';
import { FdModel } from '../fds/fd-model.js';
import { FdTracker } from '../fds/fd-tracker.js';
import { IrqStatistics, IrqStatsCollector } from '../stats/irq-stats.js';
import { SchedStatistics, SchedStatsCollector } from '../stats/sched-stats.js';
import { SyscallStatistics, SyscallStatsCollector } from '../stats/syscall-stats.js';
import { KernelModelBuilder } from './builder.js';
import type { KernelListener } from './listener.js';
import type { ThreadRecord } from './thread-record.js';
import type { KernelModel } from './model.js';

/** What analyzeKernel needs of a trace collection (src/ctf's TraceCollection has it). */
export interface KernelTraceSource {
  readonly traces: readonly TraceInfo[];
  traceMessages(trace: number | TraceInfo, opts?: { begin?: bigint; end?: bigint }): Iterable<TraceMessage>;
  /** Optional: the trace's stream files, for byte progress. */
  readonly ctfTraces?: ReadonlyArray<{ readonly streams: ReadonlyArray<{ readonly files: readonly string[] }> }>;
}

/** Progress of the pass, reported every `progressInterval` events and at the end. */
export interface AnalysisProgress {
  readonly events: number;
  /** Bytes of stream files read so far (approximate: packet granularity). */
  readonly bytesDone: number;
  /** Total bytes of the trace's stream files (0 when unknown). */
  readonly bytesTotal: number;
  readonly done: boolean;
}

export interface AnalyzeOptions {
  /** The trace to analyse (index or TraceInfo); default: the collection's only kernel trace. */
  readonly trace?: number | TraceInfo;
  /** Only events in [begin, end] (ns from origin). */
  readonly begin?: bigint;
  readonly end?: bigint;
  /** Gather syscall/IRQ/sched statistics (default true). */
  readonly statistics?: boolean;
  /** Track fd tables and sockets (default true). */
  readonly fds?: boolean;
  /** See BuilderOptions.contextTids (default true). */
  readonly contextTids?: boolean;
  /**
   * More analyses to run on the same pass (e.g. the packet ↔ kernel correlation); they
   * are called after the model's own (statistics, fd tables), so they may read those.
   */
  readonly listeners?: readonly KernelListener[];
  readonly onProgress?: (p: AnalysisProgress) => void;
  /** Events between progress reports (default 262144). */
  readonly progressInterval?: number;
}

export interface AsyncAnalyzeOptions extends AnalyzeOptions {
  /** Stops the pass (the promise rejects with the signal's reason). */
  readonly signal?: AbortSignal;
  /** Events between yields to the event loop (default 65536). */
  readonly yieldInterval?: number;
}

/**
 * The kernel trace of `source` to analyse: `trace` when given, else the only trace whose
 * domain is `kernel` (or the only trace when none says its domain). Throws a
 * TracewireError (one line for the CLI) when there is none or several.
 */
export function kernelTraceOf(source: KernelTraceSource, trace?: number | TraceInfo): TraceInfo {
  if (trace !== undefined) {
    const t = typeof trace === 'number' ? source.traces[trace] : trace;
    if (!t) throw new TracewireError(`no trace ${String(trace)} in this collection`);
    return t;
  }
  const kernel = source.traces.filter((t) => t.domain === 'kernel');
  const candidates = kernel.length > 0 ? kernel : source.traces.filter((t) => t.domain === '');
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const what = source.traces.map((t) => `${t.path} (${t.domain || 'unknown'} domain)`).join(', ');
    throw new TracewireError(`no kernel trace to analyse: ${what || 'no trace'}`);
  }
  throw new TracewireError(`several kernel traces (${candidates.map((t) => t.path).join(', ')}): give one trace directory`);
}

/** Byte progress from the packets the events come from (the CTF reader's CtfEvent). */
class ByteProgress {
  readonly total: number;
  /** Bytes of the stream's earlier files, per file. */
  private readonly fileStart = new Map<string, number>();
  private readonly latest: unknown[] = [];
  private last: unknown = null;

  constructor(source: KernelTraceSource, trace: TraceInfo) {
    let total = 0;
    const ctf = source.ctfTraces?.[trace.index];
    for (const s of ctf?.streams ?? []) {
      // a stream may span several files (session rotation): bytes before this file
      let before = 0;
      for (const f of s.files) {
        this.fileStart.set(f, before);
        try {
          before += statSync(f).size;
        } catch {
          // a file that vanished: progress is approximate anyway
        }
      }
      total += before;
    }
    this.total = total;
  }

  note(msg: TraceMessage): void {
    const pk = (msg as { packet?: { stream: { order: number } } }).packet;
    if (pk !== undefined && pk !== this.last) {
      this.last = pk;
      this.latest[pk.stream.order] = pk;
    }
  }

  done(): number {
    let sum = 0;
    for (const pk of this.latest) {
      const p = pk as { file?: string; offset?: number } | undefined;
      if (p?.file !== undefined) sum += (this.fileStart.get(p.file) ?? 0) + (p.offset ?? 0);
    }
    return Math.min(sum, this.total);
  }
}

interface Pass {
  readonly builder: KernelModelBuilder;
  readonly trace: TraceInfo;
  readonly messages: Iterable<TraceMessage>;
  readonly progress: ByteProgress;
  finish(): KernelModel;
}

function preparePass(source: KernelTraceSource, options: AnalyzeOptions): Pass {
  const trace = kernelTraceOf(source, options.trace);
  const listeners: KernelListener[] = [];
  const wantStats = options.statistics !== false;
  const syscalls = wantStats ? new SyscallStatsCollector() : null;
  const irqs = wantStats ? new IrqStatsCollector() : null;
  // the listeners read the builder's live name and thread tables
  const names: string[] = [];
  const threads: ThreadRecord[] = [];
  const sched = wantStats ? new SchedStatsCollector(threads) : null;
  if (syscalls) listeners.push(syscalls);
  if (irqs) listeners.push(irqs);
  if (sched) listeners.push(sched);
  const fds = options.fds !== false ? new FdTracker(names) : null;
  if (fds) listeners.push(fds);
  listeners.push(...(options.listeners ?? []));
  if (fds) for (const l of options.listeners ?? []) l.attachFds?.(fds);
  const builder = new KernelModelBuilder({ trace, listeners, nameTable: names, threadTable: threads, contextTids: options.contextTids });
  const messages = source.traceMessages(trace, { begin: options.begin, end: options.end });
  return {
    builder,
    trace,
    messages,
    progress: new ByteProgress(source, trace),
    finish(): KernelModel {
      const model = builder.finish();
      if (syscalls) model.syscalls = new SyscallStatistics(syscalls, model.names, model.beginNs, model.endNs);
      if (irqs) model.irqs = new IrqStatistics(irqs, model.irqNames, model.beginNs, model.endNs);
      if (sched) model.sched = new SchedStatistics(sched, threads, model.baseNs, model.beginNs, model.endNs);
      if (fds) model.fds = new FdModel(fds, (rel) => model.toNs(rel), (ns) => model.toRel(ns), (pid, t) => processName(model, pid, t));
      return model;
    },
  };
}

/** The name of process `pid` at relative time `t`: its leader thread's (the lifetime alive then). */
function processName(model: KernelModel, pid: number, t: number): string {
  let name = '';
  for (const rec of model.threadRecordsOfTid(pid)) {
    const first = rec.nameTimes[0] ?? rec.row.firstTime;
    if (name === '' || !(first > t)) name = rec.nameAt(t);
  }
  return name;
}

/**
 * A function returning the next message or null. The CTF reader's `nextMessage()` avoids
 * an iterator result object per event (a measurable share of the pass).
 */
function puller(messages: Iterable<TraceMessage>): () => TraceMessage | null {
  const direct = messages as { nextMessage?: () => TraceMessage | null };
  if (typeof direct.nextMessage === 'function') return direct.nextMessage.bind(messages);
  const it = messages[Symbol.iterator]();
  return () => {
    const r = it.next();
    return r.done ? null : r.value;
  };
}

/**
 * Builds the kernel model of one trace of `source` in one pass (synchronously): state
 * model, statistics and fd/socket tables. Throws a TracewireError when the collection has
 * no (or several) kernel traces, and the reader's FormatError on damaged data.
 */
export function analyzeKernel(source: KernelTraceSource, options: AnalyzeOptions = {}): KernelModel {
  const pass = preparePass(source, options);
  const { builder, progress } = pass;
  const onProgress = options.onProgress;
  const every = options.progressInterval ?? 262144;
  let next = every;
  let n = 0;
  const pull = puller(pass.messages);
  for (let msg = pull(); msg !== null; msg = pull()) {
    builder.consume(msg);
    if (onProgress) {
      progress.note(msg);
      if (++n >= next) {
        next += every;
        onProgress({ events: builder.eventCount, bytesDone: progress.done(), bytesTotal: progress.total, done: false });
      }
    }
  }
  const model = pass.finish();
  onProgress?.({ events: builder.eventCount, bytesDone: progress.total, bytesTotal: progress.total, done: true });
  return model;
}

/**
 * Like analyzeKernel, yielding to the event loop every `yieldInterval` events so a server
 * stays responsive and can report progress; `signal` aborts the pass.
 */
export async function analyzeKernelAsync(source: KernelTraceSource, options: AsyncAnalyzeOptions = {}): Promise<KernelModel> {
  const pass = preparePass(source, options);
  const { builder, progress } = pass;
  const onProgress = options.onProgress;
  const yieldEvery = options.yieldInterval ?? 65536;
  const every = options.progressInterval ?? 262144;
  let nextProgress = every;
  let nextYield = yieldEvery;
  let n = 0;
  const it = pass.messages[Symbol.iterator]();
  let finished = false;
  try {
    for (;;) {
      const r = it.next();
      if (r.done) {
        finished = true;
        break;
      }
      builder.consume(r.value);
      progress.note(r.value);
      n++;
      if (onProgress && n >= nextProgress) {
        nextProgress += every;
        onProgress({ events: builder.eventCount, bytesDone: progress.done(), bytesTotal: progress.total, done: false });
      }
      if (n >= nextYield) {
        nextYield += yieldEvery;
        await new Promise<void>((resolve) => setImmediate(resolve));
        options.signal?.throwIfAborted();
      }
    }
  } finally {
    if (!finished) it.return?.();
  }
  const model = pass.finish();
  onProgress?.({ events: builder.eventCount, bytesDone: progress.total, bytesTotal: progress.total, done: true });
  return model;
}
