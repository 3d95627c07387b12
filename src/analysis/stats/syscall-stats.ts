/**
 * System call statistics per thread and per process, like `lttng-syscallstats`: for each
 * system call its count, min/avg/max/stdev duration (entry → exit) and return values.
 *
 * Counted: every call whose entry and exit were both seen for the same thread (a call
 * under way when the trace starts, or the child's return from clone(), is not a sample).
 * Differences from lttng-analyses 0.6.1, which are bugs there:
 * - its return-value counts are one too high for each distinct value (it initialises a
 *   new key to 1 and then adds 1); ours are the true counts;
 * - it prints kernel restart codes as numbers ("-512"); we name them (ERESTARTSYS).
 */
import type { KernelListener } from '../kernel/listener.js';
import type { ThreadRecord } from '../kernel/thread-record.js';
import { returnKey } from './errno-names.js';
import { RunningStats, summarize, type DurationSummary } from './running-stats.js';

/** lttng-syscallstats gives a standard deviation only from 3 samples on. */
const STDEV_MIN_COUNT = 3;

class SyscallAccumulator {
  readonly durations = new RunningStats();
  success = 0;
  /** Negative return value → count. */
  readonly errors = new Map<number, number>();

  merge(o: SyscallAccumulator): void {
    this.durations.merge(o.durations);
    this.success += o.success;
    for (const [k, v] of o.errors) this.errors.set(k, (this.errors.get(k) ?? 0) + v);
  }
}

class ThreadAccumulator {
  total = 0;
  readonly byName: Array<SyscallAccumulator | undefined> = [];
  constructor(
    readonly thread: ThreadRecord,
    /** The thread's name at its first counted call (what lttng-analyses shows). */
    readonly comm: string,
  ) {}
}

/** One system call's statistics (JSON shape of the issue). */
export interface SyscallSummary extends DurationSummary {
  readonly name: string;
  /** `success`, or the errno name (`ENOENT`), → count. */
  readonly returns: Readonly<Record<string, number>>;
}

export interface ThreadSyscalls {
  readonly tid: number;
  readonly pid: number | null;
  readonly comm: string;
  /** Thread lifetime uid in the model (tids can be reused). */
  readonly uid: number;
  readonly total: number;
  readonly syscalls: readonly SyscallSummary[];
}

export interface ProcessSyscalls {
  /** Process id; null groups a thread whose process is unknown (then `tids` has one tid). */
  readonly pid: number | null;
  readonly comm: string;
  readonly tids: readonly number[];
  readonly total: number;
  readonly syscalls: readonly SyscallSummary[];
}

/** The pass listener that gathers the samples. */
export class SyscallStatsCollector implements KernelListener {
  readonly threads: Array<ThreadAccumulator | undefined> = [];

  syscallExit(th: ThreadRecord, nameId: number, entry: number, exit: number, ret: number, countable: boolean): void {
    if (!countable) return;
    const threads = this.threads;
    const uid = th.uid;
    let acc = uid < threads.length ? threads[uid] : undefined;
    if (acc === undefined) {
      // grow densely: an index far past the end would turn the array into a hash table
      while (threads.length <= uid) threads.push(undefined);
      acc = threads[uid] = new ThreadAccumulator(th, th.name);
    }
    const byName = acc.byName;
    let s = nameId < byName.length ? byName[nameId] : undefined;
    if (s === undefined) {
      while (byName.length <= nameId) byName.push(undefined);
      s = byName[nameId] = new SyscallAccumulator();
    }
    const d = exit - entry;
    s.durations.add(d > 0 ? d : 0);
    if (ret >= 0) s.success++;
    else s.errors.set(ret, (s.errors.get(ret) ?? 0) + 1);
    acc.total++;
  }
}

function summaries(byName: ReadonlyArray<SyscallAccumulator | undefined>, names: readonly string[]): SyscallSummary[] {
  const out: SyscallSummary[] = [];
  byName.forEach((s, id) => {
    if (!s || s.durations.count === 0) return;
    const returns: Record<string, number> = {};
    if (s.success) returns.success = s.success;
    for (const [ret, n] of [...s.errors].sort((a, b) => b[0] - a[0])) {
      const k = returnKey(ret);
      returns[k] = (returns[k] ?? 0) + n;
    }
    out.push({ name: names[id] ?? `#${id}`, ...summarize(s.durations, STDEV_MIN_COUNT), returns });
  });
  return out.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The finished statistics, with the JSON shape of `tracewire stats syscalls`. */
export class SyscallStatistics {
  constructor(
    private readonly collector: SyscallStatsCollector,
    private readonly names: readonly string[],
    readonly beginNs: bigint,
    readonly endNs: bigint,
  ) {}

  /** Per thread, most calls first. */
  perThread(): ThreadSyscalls[] {
    const out: ThreadSyscalls[] = [];
    for (const acc of this.collector.threads) {
      if (!acc || acc.total === 0) continue;
      const th = acc.thread;
      out.push({ tid: th.tid, pid: th.pid >= 0 ? th.pid : null, comm: acc.comm, uid: th.uid, total: acc.total, syscalls: summaries(acc.byName, this.names) });
    }
    return out.sort((a, b) => b.total - a.total || a.tid - b.tid || a.uid - b.uid);
  }

  /** Per process (thread group), most calls first. */
  perProcess(): ProcessSyscalls[] {
    const groups = new Map<string, { pid: number | null; comm: string; tids: number[]; total: number; byName: SyscallAccumulator[] }>();
    for (const acc of this.collector.threads) {
      if (!acc || acc.total === 0) continue;
      const th = acc.thread;
      const key = th.pid >= 0 ? `p${th.pid}` : `t${th.uid}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { pid: th.pid >= 0 ? th.pid : null, comm: acc.comm, tids: [], total: 0, byName: [] }));
      if (th.tid === th.pid) g.comm = acc.comm;
      if (!g.tids.includes(th.tid)) g.tids.push(th.tid);
      g.total += acc.total;
      acc.byName.forEach((s, id) => {
        if (!s) return;
        const m = (g!.byName[id] ??= new SyscallAccumulator());
        m.merge(s);
      });
    }
    return [...groups.values()]
      .map((g) => ({ pid: g.pid, comm: g.comm, tids: g.tids.sort((a, b) => a - b), total: g.total, syscalls: summaries(g.byName, this.names) }))
      .sort((a, b) => b.total - a.total || (a.pid ?? a.tids[0]!) - (b.pid ?? b.tids[0]!));
  }

  /** Every thread together. */
  total(): { total: number; syscalls: SyscallSummary[] } {
    const all: SyscallAccumulator[] = [];
    let total = 0;
    for (const acc of this.collector.threads) {
      if (!acc) continue;
      total += acc.total;
      acc.byName.forEach((s, id) => {
        if (s) (all[id] ??= new SyscallAccumulator()).merge(s);
      });
    }
    return { total, syscalls: summaries(all, this.names) };
  }

  /** `{"time_range", "per_tid": [...], "per_pid": [...], "total": {...}}`. */
  toJSON(): object {
    return { time_range: { begin: this.beginNs, end: this.endNs }, per_tid: this.perThread(), per_pid: this.perProcess(), total: this.total() };
  }
}
