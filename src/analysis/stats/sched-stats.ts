/**
 * Scheduling latency like `lttng-schedstats` / `lttng-schedtop`: for each time a woken
 * thread gets a CPU, the delay from its first wakeup since it last ran (sched_waking or
 * sched_wakeup, whichever came first; wakeups while it runs are ignored) to the
 * sched_switch that runs it. Statistics total, per thread, per process and per priority,
 * and the largest latencies with wakee and waker.
 */
import type { KernelListener } from '../kernel/listener.js';
import type { ThreadRecord } from '../kernel/thread-record.js';
import { grownColumn } from '../kernel/typed-columns.js';
import { RunningStats, summarize, type DurationSummary } from './running-stats.js';

/** A process as the tables name it. */
export interface ProcessRef {
  readonly tid: number;
  readonly pid: number | null;
  readonly comm: string;
}

export interface SchedLatencyRecord {
  readonly wakeup_ts: bigint;
  readonly switch_ts: bigint;
  readonly latency_ns: number;
  readonly prio: number | null;
  /** CPU the thread was switched in on. */
  readonly cpu: number;
  readonly wakee: ProcessRef;
  /** The thread current on the waking CPU, or null (idle, or unknown). */
  readonly waker: ProcessRef | null;
}

export interface ThreadLatency extends DurationSummary {
  readonly tid: number;
  readonly pid: number | null;
  readonly comm: string;
  readonly uid: number;
  /** Priorities it was scheduled with, in order of first use. */
  readonly prios: readonly number[];
}

export interface ProcessLatency extends DurationSummary {
  readonly pid: number | null;
  readonly comm: string;
  readonly tids: readonly number[];
}

export interface PrioLatency extends DurationSummary {
  readonly prio: number;
}

/** The pass listener: one sample per switch-in after a wakeup, columnar. */
export class SchedStatsCollector implements KernelListener {
  length = 0;
  wakeup: Float64Array = new Float64Array(1024);
  switchIn: Float64Array = new Float64Array(1024);
  wakee: Int32Array = new Int32Array(1024);
  waker: Int32Array = new Int32Array(1024);
  cpu: Int32Array = new Int32Array(1024);
  prio: Float64Array = new Float64Array(1024);
  /**
   * A thread's name when it first took part in a sample, as wakee or waker (what
   * lttng-schedstats shows), by uid.
   */
  readonly firstComm = new Map<number, string>();
  private readonly threads: ThreadRecord[];

  /** `threads` is the model's live thread list (uid → record). */
  constructor(threads: ThreadRecord[] = []) {
    this.threads = threads;
  }

  schedLatency(wakee: ThreadRecord, wakerUid: number, wakeupTime: number, switchTime: number, cpu: number): void {
    const i = this.length;
    if (i === this.wakeup.length) this.grow(i * 2);
    this.wakeup[i] = wakeupTime;
    this.switchIn[i] = switchTime;
    this.wakee[i] = wakee.uid;
    this.waker[i] = wakerUid;
    this.cpu[i] = cpu;
    this.prio[i] = wakee.prio;
    this.length = i + 1;
    if (wakerUid >= 0 && !this.firstComm.has(wakerUid)) {
      const waker = this.threads[wakerUid];
      if (waker) this.firstComm.set(wakerUid, waker.name);
    }
    if (!this.firstComm.has(wakee.uid)) this.firstComm.set(wakee.uid, wakee.name);
  }

  private grow(n: number): void {
    this.wakeup = grownColumn(this.wakeup, n);
    this.switchIn = grownColumn(this.switchIn, n);
    this.prio = grownColumn(this.prio, n);
    this.wakee = grownColumn(this.wakee, n);
    this.waker = grownColumn(this.waker, n);
    this.cpu = grownColumn(this.cpu, n);
  }
}

export class SchedStatistics {
  constructor(
    private readonly c: SchedStatsCollector,
    private readonly threads: ReadonlyArray<ThreadRecord>,
    private readonly baseNs: bigint,
    readonly beginNs: bigint,
    readonly endNs: bigint,
  ) {}

  /** Number of latency samples. */
  get count(): number {
    return this.c.length;
  }

  private latency(i: number): number {
    return Math.max(0, this.c.switchIn[i]! - this.c.wakeup[i]!);
  }

  private ref(uid: number, name?: string): ProcessRef {
    const th = this.threads[uid]!;
    return { tid: th.tid, pid: th.pid >= 0 ? th.pid : null, comm: name ?? th.name };
  }

  /** All samples together. */
  total(): DurationSummary {
    const s = new RunningStats();
    for (let i = 0; i < this.c.length; i++) s.add(this.latency(i));
    return summarize(s);
  }

  /** Per woken thread, by name then tid (lttng-schedstats' order). */
  perThread(): ThreadLatency[] {
    const by = new Map<number, { s: RunningStats; prios: number[] }>();
    for (let i = 0; i < this.c.length; i++) {
      const uid = this.c.wakee[i]!;
      let e = by.get(uid);
      if (!e) by.set(uid, (e = { s: new RunningStats(), prios: [] }));
      e.s.add(this.latency(i));
      const prio = this.c.prio[i]!;
      if (prio === prio && !e.prios.includes(prio)) e.prios.push(prio);
    }
    const out: ThreadLatency[] = [];
    for (const [uid, e] of by) {
      const r = this.ref(uid, this.c.firstComm.get(uid));
      out.push({ ...r, uid, ...summarize(e.s), prios: e.prios });
    }
    return out.sort((a, b) => {
      const x = a.comm.toLowerCase();
      const y = b.comm.toLowerCase();
      return x < y ? -1 : x > y ? 1 : a.tid - b.tid;
    });
  }

  /** Per process (thread group). */
  perProcess(): ProcessLatency[] {
    const by = new Map<string, { pid: number | null; comm: string; tids: Set<number>; s: RunningStats }>();
    for (let i = 0; i < this.c.length; i++) {
      const th = this.threads[this.c.wakee[i]!]!;
      const key = th.pid >= 0 ? `p${th.pid}` : `t${th.uid}`;
      let e = by.get(key);
      if (!e) by.set(key, (e = { pid: th.pid >= 0 ? th.pid : null, comm: th.name, tids: new Set(), s: new RunningStats() }));
      if (th.tid === th.pid) e.comm = th.name;
      e.tids.add(th.tid);
      e.s.add(this.latency(i));
    }
    return [...by.values()].map((e) => ({ pid: e.pid, comm: e.comm, tids: [...e.tids].sort((a, b) => a - b), ...summarize(e.s) })).sort((a, b) => b.max_ns - a.max_ns);
  }

  /** Per priority (LTTng's convention: 20 = nice 0, negative = real-time). */
  perPrio(): PrioLatency[] {
    const by = new Map<number, RunningStats>();
    for (let i = 0; i < this.c.length; i++) {
      const prio = this.c.prio[i]!;
      if (prio !== prio) continue;
      let s = by.get(prio);
      if (!s) by.set(prio, (s = new RunningStats()));
      s.add(this.latency(i));
    }
    return [...by].sort((a, b) => a[0] - b[0]).map(([prio, s]) => ({ prio, ...summarize(s) }));
  }

  /** The `limit` largest latencies, largest first (lttng-schedtop). */
  top(limit = 10): SchedLatencyRecord[] {
    const idx: number[] = [];
    for (let i = 0; i < this.c.length; i++) idx.push(i);
    idx.sort((a, b) => this.latency(b) - this.latency(a) || this.c.wakeup[a]! - this.c.wakeup[b]!);
    return idx.slice(0, limit).map((i) => this.record(i));
  }

  /** Every sample in time order (lttng-schedlog). */
  log(): SchedLatencyRecord[] {
    const out: SchedLatencyRecord[] = [];
    for (let i = 0; i < this.c.length; i++) out.push(this.record(i));
    return out;
  }

  private record(i: number): SchedLatencyRecord {
    const waker = this.c.waker[i]!;
    const prio = this.c.prio[i]!;
    return {
      wakeup_ts: this.baseNs + BigInt(this.c.wakeup[i]!),
      switch_ts: this.baseNs + BigInt(this.c.switchIn[i]!),
      latency_ns: this.latency(i),
      prio: prio === prio ? prio : null,
      cpu: this.c.cpu[i]!,
      wakee: this.ref(this.c.wakee[i]!),
      waker: waker >= 0 ? this.ref(waker) : null,
    };
  }

  /** `{"time_range", "total", "per_tid", "per_pid", "per_prio", "top"}`. */
  toJSON(limit = 10): object {
    return { time_range: { begin: this.beginNs, end: this.endNs }, total: this.total(), per_tid: this.perThread(), per_pid: this.perProcess(), per_prio: this.perPrio(), top: this.top(limit) };
  }
}
