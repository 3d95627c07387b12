/**
 * Interrupt statistics like `lttng-irqstats`: per hard IRQ line, the handler duration
 * (irq_handler_entry → exit on one CPU); per softirq vector, the duration (entry → exit)
 * and the raise latency (first raise → entry, softirqs being level-triggered).
 *
 * lttng-analyses 0.6.1 only knows the softirq event names of LTTng before 2.x's
 * `irq_softirq_*` renaming: on lttng-modules ≥ 2.7 traces (and tracewire's) it reports no
 * softirq at all. We read both generations.
 */
import type { KernelListener } from '../kernel/listener.js';
import { softirqName } from '../kernel/states.js';
import { RunningStats, summarize, type DurationSummary } from './running-stats.js';

/** lttng-irqstats gives a standard deviation from 2 samples on. */
const STDEV_MIN_COUNT = 2;

class LineAccumulator {
  readonly durations = new RunningStats();
  readonly raise = new RunningStats();
  readonly perCpu = new Map<number, number>();
}

export interface HardIrqSummary extends DurationSummary {
  readonly irq: number;
  readonly name: string;
  /** CPU → handler runs. */
  readonly per_cpu: Readonly<Record<string, number>>;
}

export interface SoftIrqSummary extends DurationSummary {
  readonly vec: number;
  readonly name: string;
  readonly per_cpu: Readonly<Record<string, number>>;
  /** Raise → entry latency of the runs whose raise was seen. */
  readonly raise: DurationSummary;
}

export class IrqStatsCollector implements KernelListener {
  readonly hard = new Map<number, LineAccumulator>();
  readonly soft = new Map<number, LineAccumulator>();

  hardIrq(irq: number, cpu: number, entry: number, exit: number): void {
    let a = this.hard.get(irq);
    if (!a) this.hard.set(irq, (a = new LineAccumulator()));
    a.durations.add(Math.max(0, exit - entry));
    a.perCpu.set(cpu, (a.perCpu.get(cpu) ?? 0) + 1);
  }

  softIrq(vec: number, cpu: number, entry: number, exit: number, raise: number): void {
    let a = this.soft.get(vec);
    if (!a) this.soft.set(vec, (a = new LineAccumulator()));
    a.durations.add(Math.max(0, exit - entry));
    if (raise >= 0) a.raise.add(Math.max(0, entry - raise));
    a.perCpu.set(cpu, (a.perCpu.get(cpu) ?? 0) + 1);
  }
}

function perCpu(m: ReadonlyMap<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cpu, n] of [...m].sort((a, b) => a[0] - b[0])) out[String(cpu)] = n;
  return out;
}

export class IrqStatistics {
  constructor(
    private readonly collector: IrqStatsCollector,
    private readonly irqNames: ReadonlyMap<number, string>,
    readonly beginNs: bigint,
    readonly endNs: bigint,
  ) {}

  /** Hard IRQ lines, by number. */
  hard(): HardIrqSummary[] {
    return [...this.collector.hard]
      .sort((a, b) => a[0] - b[0])
      .map(([irq, a]) => ({ irq, name: this.irqNames.get(irq) ?? 'unknown', ...summarize(a.durations, STDEV_MIN_COUNT), per_cpu: perCpu(a.perCpu) }));
  }

  /** Softirq vectors, by number. */
  soft(): SoftIrqSummary[] {
    return [...this.collector.soft]
      .sort((a, b) => a[0] - b[0])
      .map(([vec, a]) => ({ vec, name: softirqName(vec), ...summarize(a.durations, STDEV_MIN_COUNT), per_cpu: perCpu(a.perCpu), raise: summarize(a.raise, STDEV_MIN_COUNT) }));
  }

  /** `{"time_range", "hard": [...], "soft": [...]}`. */
  toJSON(): object {
    return { time_range: { begin: this.beginNs, end: this.endNs }, hard: this.hard(), soft: this.soft() };
  }
}
