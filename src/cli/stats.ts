/**
 * `tracewire stats syscalls|irq|sched TRACE` — system call, interrupt and scheduling
 * latency statistics of a kernel trace, like lttng-analyses' `lttng-syscallstats`,
 * `lttng-irqstats` and `lttng-schedstats`/`lttng-schedtop`, from one pass of the kernel
 * model. Text for people, `--format json` for programs.
 */
import { choiceOption, intOption, parseCommandArgs } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { toJson } from '../base/json.js';
import { LineWriter } from '../base/output.js';
import { formatTimeOfDay, parseTime } from '../base/time.js';
import { analyzeKernel, type KernelModel } from '../analysis/kernel/index.js';
import type { DurationSummary } from '../analysis/stats/running-stats.js';
import type { SyscallSummary } from '../analysis/stats/syscall-stats.js';
import { SYNC_FILE_HELP, SYNC_FILE_OPTION, syncClockTransform } from './sync-option.js';
import { openTraceCollection } from '../ctf/index.js';

export const help = `Usage: tracewire stats syscalls|irq|sched TRACE... [--format text|json] [--begin T] [--end T] [--top N]

Statistics of a kernel trace (LTTng 2.0 to 2.13+, or a tracewire recording), computed in
one pass of tracewire's kernel model. TRACE is a trace directory, an LTTng session or a
tracewire bundle; it must hold exactly one kernel trace.

  syscalls   per thread and per process, for each system call: count, min / avg / max /
             stdev duration (entry → exit) and return values (success, ENOENT, …),
             like lttng-syscallstats
  irq        per hard IRQ line and per softirq vector: count and handler duration; for
             softirqs also the raise → entry latency, like lttng-irqstats
  sched      scheduling latency (first wakeup since the thread last ran → the switch
             that runs it): total, per thread, per process, per priority, and the
             largest ones with wakee and waker, like lttng-schedstats and lttng-schedtop

Options:
  --format text|json  output format (default text). JSON shapes:
                      syscalls: {"time_range", "per_tid": [{"tid", "pid", "comm", "uid",
                        "total", "syscalls": [{"name", "count", "min_ns", "avg_ns",
                        "max_ns", "stdev_ns", "returns": {...}}]}], "per_pid": [...],
                        "total": {...}}
                      irq: {"time_range", "hard": [{"irq", "name", "count", "min_ns",
                        "avg_ns", "max_ns", "stdev_ns", "per_cpu"}], "soft": [{"vec",
                        "name", ..., "raise": {...}}]}
                      sched: {"time_range", "total", "per_tid", "per_pid", "per_prio",
                        "top": [{"wakeup_ts", "switch_ts", "latency_ns", "prio", "cpu",
                        "wakee", "waker"}]}
                      stdev_ns is null when there are too few samples (syscalls: < 3,
                      irq and sched: < 2), as in lttng-analyses.
  --begin T, --end T  only events in this window (ns, seconds.fraction, or HH:MM:SS[.frac]
                      UTC on the trace's first day)
  --top N             sched: how many of the largest latencies to list (default 10)
${SYNC_FILE_HELP}
  -h, --help          this help

Differences from lttng-analyses 0.6.1 (bugs there): its return-value counts are one too
high per distinct value; it misses softirqs in traces using the irq_softirq_* names
(lttng-modules ≥ 2.7, tracewire recordings); it prints kernel restart codes as numbers
(-512) where we name them (ERESTARTSYS).
`;

const WHAT = ['syscalls', 'irq', 'sched'] as const;

/**
 * Opens the trace(s) at `paths` and builds the kernel model with its statistics and fd
 * tables (shared with `tracewire sockets`). Shows progress on stderr when it is a terminal.
 */
export function openKernelModel(command: string, paths: string[], begin: string | undefined, end: string | undefined, syncFile?: string): KernelModel {
  const tc = openTraceCollection(paths, { clockTransform: syncClockTransform(command, { 'sync-file': syncFile }, paths) });
  const range = { begin: parseWhen(command, 'begin', begin, tc), end: parseWhen(command, 'end', end, tc) };
  if (range.begin !== undefined && range.end !== undefined && range.end < range.begin) throw new UsageError(`${command}: --end is before --begin`);
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const model = analyzeKernel(tc, {
    ...range,
    onProgress: tty
      ? (p) => {
          if (p.done) {
            if (shown) process.stderr.write('\r\x1b[K');
            return;
          }
          shown = true;
          const pct = p.bytesTotal > 0 ? ` ${Math.floor((100 * p.bytesDone) / p.bytesTotal)}%` : '';
          process.stderr.write(`\r${command}: analysing${pct} (${(p.events / 1e6).toFixed(1)} M events)`);
        }
      : undefined,
  });
  return model;
}

function parseWhen(command: string, flag: string, text: string | undefined, tc: ReturnType<typeof openTraceCollection>): bigint | undefined {
  if (text === undefined) return undefined;
  let ref: bigint | undefined;
  if (/^\d{1,2}:\d{2}/.test(text.trim())) {
    const first = tc.messages().nextMessage();
    if (first && first.kind === 'event') ref = first.ts;
  }
  const v = parseTime(text, ref);
  if (v === undefined) throw new UsageError(`${command}: --${flag} '${text}' is not a time (ns, seconds.fraction, or HH:MM:SS[.frac])`);
  return v;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('stats', argv, {
    format: { type: 'string' },
    begin: { type: 'string' },
    end: { type: 'string' },
    top: { type: 'string' },
    ...SYNC_FILE_OPTION,
  });
  const [what, ...paths] = positionals;
  if (what === undefined) throw new UsageError('stats: say which statistics: syscalls, irq or sched (see `tracewire stats --help`)');
  if (!(WHAT as readonly string[]).includes(what)) throw new UsageError(`stats: unknown statistics '${what}' (syscalls, irq or sched)`);
  if (paths.length === 0) throw new UsageError('stats: give a kernel trace directory (see `tracewire stats --help`)');
  const format = choiceOption('stats', 'format', values.format, ['text', 'json'] as const, 'text');
  const top = intOption('stats', 'top', values.top, 10)!;
  const model = openKernelModel('stats', paths, values.begin, values.end, values['sync-file']);
  const out = new LineWriter();
  try {
    if (what === 'syscalls') {
      const s = model.syscalls!;
      if (format === 'json') out.write(`${toJson(s.toJSON())}\n`);
      else writeSyscalls(out, model);
    } else if (what === 'irq') {
      const s = model.irqs!;
      if (format === 'json') out.write(`${toJson(s.toJSON())}\n`);
      else writeIrqs(out, model);
    } else {
      const s = model.sched!;
      if (format === 'json') out.write(`${toJson(s.toJSON(top))}\n`);
      else writeSched(out, model, top);
    }
  } finally {
    out.flush();
  }
  return 0;
}

const us = (ns: number): string => (ns / 1000).toFixed(3);
const stdevUs = (s: DurationSummary): string => (s.stdev_ns === null ? '?' : us(s.stdev_ns));

function timerange(model: KernelModel): string {
  return `Timerange: [${formatTimeOfDay(model.beginNs)}, ${formatTimeOfDay(model.endNs)}] UTC\n`;
}

function returnsText(r: SyscallSummary['returns']): string {
  return Object.entries(r)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

function syscallRows(out: LineWriter, title: string, syscalls: readonly SyscallSummary[], total: number): void {
  out.write(`${title.padEnd(40)} ${'Count'.padStart(9)} ${'Min'.padStart(11)} ${'Average'.padStart(11)} ${'Max'.padStart(11)} ${'Stdev'.padStart(11)}  Return values\n`);
  for (const s of syscalls) {
    out.write(`${` - ${s.name}`.padEnd(40)} ${String(s.count).padStart(9)} ${us(s.min_ns).padStart(11)} ${us(s.avg_ns).padStart(11)} ${us(s.max_ns).padStart(11)} ${stdevUs(s).padStart(11)}  ${returnsText(s.returns)}\n`);
  }
  out.write(`${'Total:'.padEnd(40)} ${String(total).padStart(9)}\n${'-'.repeat(112)}\n`);
}

function writeSyscalls(out: LineWriter, model: KernelModel): void {
  const s = model.syscalls!;
  out.write(timerange(model));
  out.write('Per-TID system call statistics (µs)\n');
  for (const t of s.perThread()) syscallRows(out, `${t.comm} (${t.pid ?? '?'}, TID: ${t.tid})`, t.syscalls, t.total);
  out.write('\nPer-process system call statistics (µs)\n');
  for (const p of s.perProcess()) syscallRows(out, `${p.comm} (PID: ${p.pid ?? '?'}, ${p.tids.length} thread${p.tids.length === 1 ? '' : 's'})`, p.syscalls, p.total);
  out.write(`\nTotal system calls: ${s.total().total}\n`);
}

function durationColumns(s: DurationSummary): string {
  return `${String(s.count).padStart(9)} ${us(s.min_ns).padStart(11)} ${us(s.avg_ns).padStart(11)} ${us(s.max_ns).padStart(11)} ${stdevUs(s).padStart(11)}`;
}

function writeIrqs(out: LineWriter, model: KernelModel): void {
  const s = model.irqs!;
  out.write(timerange(model));
  const head = `${'Count'.padStart(9)} ${'Min'.padStart(11)} ${'Average'.padStart(11)} ${'Max'.padStart(11)} ${'Stdev'.padStart(11)}`;
  out.write(`Hard IRQ handler duration (µs)\n${'IRQ'.padEnd(28)} ${head}\n`);
  for (const h of s.hard()) out.write(`${`${h.irq}: <${h.name}>`.padEnd(28)} ${durationColumns(h)}\n`);
  out.write(`\nSoftirq duration (µs)${' '.repeat(46)}| raise latency (µs)\n${'Vector'.padEnd(28)} ${head} | ${head}\n`);
  for (const v of s.soft()) out.write(`${`${v.vec}: <${v.name}>`.padEnd(28)} ${durationColumns(v)} | ${v.raise.count ? durationColumns(v.raise) : ''}\n`);
}

function writeSched(out: LineWriter, model: KernelModel, top: number): void {
  const s = model.sched!;
  out.write(timerange(model));
  const head = `${'Count'.padStart(9)} ${'Min'.padStart(11)} ${'Average'.padStart(11)} ${'Max'.padStart(11)} ${'Stdev'.padStart(11)}`;
  out.write(`Scheduling latency (µs)\n${''.padEnd(32)} ${head}\n${'Total'.padEnd(32)} ${durationColumns(s.total())}\n`);
  out.write(`\nPer-TID scheduling latency (µs)\n${'Process'.padEnd(32)} ${head}  Priorities\n`);
  for (const t of s.perThread()) out.write(`${`${t.comm} (${t.tid})`.padEnd(32)} ${durationColumns(t)}  [${t.prios.join(', ')}]\n`);
  out.write(`\nPer-priority scheduling latency (µs)\n${'Prio'.padEnd(32)} ${head}\n`);
  for (const p of s.perPrio()) out.write(`${String(p.prio).padEnd(32)} ${durationColumns(p)}\n`);
  out.write(`\nLargest scheduling latencies\n${'Wakeup'.padEnd(20)} ${'Switch'.padEnd(20)} ${'Latency (µs)'.padStart(13)} ${'Prio'.padStart(5)} ${'CPU'.padStart(4)}  ${'Wakee'.padEnd(28)} Waker\n`);
  for (const r of s.top(top)) {
    const waker = r.waker ? `${r.waker.comm} (${r.waker.tid})` : 'unknown (N/A)';
    out.write(`${formatTimeOfDay(r.wakeup_ts).padEnd(20)} ${formatTimeOfDay(r.switch_ts).padEnd(20)} ${us(r.latency_ns).padStart(13)} ${String(r.prio ?? '?').padStart(5)} ${String(r.cpu).padStart(4)}  ${`${r.wakee.comm} (${r.wakee.tid})`.padEnd(28)} ${waker}\n`);
  }
}
