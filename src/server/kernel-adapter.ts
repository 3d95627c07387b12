/**
 * Reshapes the kernel state model (src/analysis/kernel) for the Threads and Resources
 * timelines: row lists, the intervals of visible rows over a window merged to the
 * screen's resolution (the model's level-of-detail query), labels for the intervals wide
 * enough to show one, and wakeup arrows. State codes are the model's (states.ts), which
 * the page's palette follows.
 */
import { RowState, softirqName, type KernelModel, type TimelineRow } from '../analysis/kernel/index.js';
import type { ResourceRow, RowIntervals, ThreadRow, WakeupArrow } from './api-types.js';

/** Arrows beyond this many in a window are not sent (they would be a solid block). */
const MAX_ARROWS = 2500;
const WAKER_THREAD = 1;

export class KernelView {
  /** model-relative time + shift = dataset-relative time. */
  private readonly shift: number;
  private readonly rowsByIndex = new Map<number, TimelineRow>();
  private readonly threadNames = new Map<number, string>();
  private readonly threadList: ReturnType<KernelModel['threads']>;

  constructor(
    readonly model: KernelModel,
    private readonly base: bigint,
    /** Row-id prefix (`h1/`) and label suffix (` @host`) when several kernel traces are shown. */
    private readonly prefix = '',
    private readonly host = '',
  ) {
    this.shift = Number(model.baseNs - base);
    for (const r of model.rows()) this.rowsByIndex.set(r.index, r);
    this.threadList = model.threads();
    for (const t of this.threadList) this.threadNames.set(t.tid, t.name);
  }

  /** The rows; threads of the processes in `focusPids` are flagged to be listed first. */
  threads(focusPids: ReadonlySet<number> = new Set()): ThreadRow[] {
    return this.threadList.map((t) => {
      const row = this.rowsByIndex.get(t.rowIndex);
      return {
        id: `${this.prefix}row:${t.rowIndex}`,
        tid: t.tid,
        pid: t.pid,
        ppid: t.ppid,
        name: `${t.name}${this.host}`,
        kernelThread: t.kernelThread,
        start: row?.first != null ? Number(row.first - this.base) : null,
        end: row?.last != null ? Number(row.last - this.base) : null,
        focus: focusPids.has(t.pid ?? t.tid),
      };
    });
  }

  resources(): ResourceRow[] {
    return this.model
      .rows()
      .filter((r) => r.kind !== 'thread')
      .map((r) => ({ id: `${this.prefix}row:${r.index}`, kind: r.kind as ResourceRow['kind'], label: `${r.label}${this.host}`, cpu: r.cpu ?? -1 }));
  }

  private label(kind: string, code: number, value: number, aux: number): string | null {
    const m = this.model;
    switch (code) {
      case RowState.RUN_SYSCALL:
        return kind === 'cpu' ? `${this.threadNames.get(aux) ?? aux}: ${m.name(value)}` : m.name(value);
      case RowState.RUN_USER:
      case RowState.RUN_KERNEL:
        return kind === 'cpu' ? `${this.threadNames.get(aux) ?? aux} ${aux}` : null;
      case RowState.IRQ: {
        const n = m.irqNames.get(value);
        return `irq ${value}${n ? ` ${n}` : ''}`;
      }
      case RowState.SOFTIRQ:
      case RowState.SOFTIRQ_RAISED:
        return softirqName(value);
      case RowState.BLOCKED:
        return kind === 'thread' && aux >= 0 ? m.name(aux) : null;
      default:
        return null;
    }
  }

  /** Intervals of rows `ids` over [t0, t1] (dataset-relative ns) at `res` ns per pixel. */
  states(ids: readonly string[], t0: number, t1: number, res: number): Record<string, RowIntervals> {
    const out: Record<string, RowIntervals> = {};
    const a = this.base + BigInt(Math.floor(t0));
    const b = this.base + BigInt(Math.ceil(t1));
    for (const id of ids) {
      if (!id.startsWith(`${this.prefix}row:`)) continue;
      const index = Number(id.slice(this.prefix.length + 4));
      const row = this.rowsByIndex.get(index);
      if (!row) continue;
      const sl = this.model.intervals(index, a, b, Math.max(0, res));
      const r: RowIntervals = { s: new Array(sl.length), e: new Array(sl.length), k: new Array(sl.length), l: new Array(sl.length) };
      for (let i = 0; i < sl.length; i++) {
        r.s[i] = sl.start[i]! + this.shift;
        r.e[i] = sl.end[i]! + this.shift;
        r.k[i] = sl.state[i]!;
        // Labels only where the interval can show one (≥ 24 px).
        r.l[i] = sl.end[i]! - sl.start[i]! >= res * 24 ? this.label(row.kind, sl.state[i]!, sl.value[i]!, sl.aux[i]!) : null;
      }
      out[id] = r;
    }
    return out;
  }

  /** Wakeups in [t0, t1] as arrows from the waker's row to the wakee's (none when too many). */
  arrows(t0: number, t1: number): WakeupArrow[] {
    const w = this.model.wakeupLog;
    const lo = t0 - this.shift;
    const hi = t1 - this.shift;
    const threads = this.threadList;
    const out: WakeupArrow[] = [];
    for (let i = 0; i < w.length; i++) {
      const t = w.time[i]!;
      if (t < lo || t > hi || w.spurious[i]) continue;
      if (out.length >= MAX_ARROWS) return [];
      const target = threads[w.targetUid[i]!];
      if (!target) continue;
      const wakerUid = w.wakerUid[i]!;
      const waker = wakerUid >= 0 && w.wakerContext[i] === WAKER_THREAD ? threads[wakerUid] : undefined;
      const sched = w.scheduledTime[i]!;
      out.push({
        t: t + this.shift,
        t1: sched === sched ? sched + this.shift : undefined,
        from: waker ? waker.tid : -1,
        to: target.tid,
        fromRow: waker ? `${this.prefix}row:${waker.rowIndex}` : undefined,
        toRow: `${this.prefix}row:${target.rowIndex}`,
        cpu: w.wakerCpu[i]!,
        context: ['unknown', 'thread', 'irq', 'softirq', 'idle'][w.wakerContext[i]!] ?? 'unknown',
      });
    }
    return out;
  }
}

/**
 * The kernel views of every kernel trace among the inputs (several hosts: one model
 * each, on its own clock; rows carry the host name).
 */
export class KernelViews {
  constructor(readonly views: readonly KernelView[]) {}

  threads(focusPids: ReadonlySet<number> = new Set()): ThreadRow[] {
    return this.views.flatMap((v) => v.threads(focusPids));
  }

  resources(): ResourceRow[] {
    return this.views.flatMap((v) => v.resources());
  }

  states(ids: readonly string[], t0: number, t1: number, res: number): Record<string, RowIntervals> {
    return Object.assign({}, ...this.views.map((v) => v.states(ids, t0, t1, res))) as Record<string, RowIntervals>;
  }

  arrows(t0: number, t1: number): WakeupArrow[] {
    const all = this.views.flatMap((v) => v.arrows(t0, t1));
    return all.length > MAX_ARROWS ? [] : all;
  }
}
