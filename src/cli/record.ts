/**
 * `tracewire record` — record kernel events (ftrace → LTTng-compatible CTF), packets and
 * a state dump into a bundle while a command runs (or until Ctrl-C / --duration).
 */
import { constants } from 'node:os';
import { parseCommandArgs, choiceOption } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { record, type RecordProgress } from '../record/index.js';
import { DEFAULT_EVENTS } from '../ftrace/event-set.js';

/** Words joined into lines of at most `width` columns, indented by two spaces. */
function wrap(words: readonly string[], width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(`  ${line}`);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(`  ${line}`);
  return lines.join('\n');
}

export const help = `Usage: tracewire record [OPTIONS] [-- COMMAND [ARGS...]]

Records kernel events through a private tracefs instance (no kernel modules needed),
packets (tcpdump, nanosecond timestamps) and a /proc state dump, on one clock, while
COMMAND runs — or until Ctrl-C or --duration. COMMAND's stdin/stdout/stderr pass
through untouched; tracewire's own progress goes to stderr.

The bundle (DIR):
  DIR/kernel/          CTF 1.8 trace in lttng-modules 2.13 layout and names (babeltrace2,
                       lttng-analyses, Trace Compass, \`tracewire events\` read it)
  DIR/capture.pcapng   the packets of the same window (all interfaces by default)
  DIR/bundle.json      host, kernel, clocks and offsets, events, command and exit status,
                       start/end, lost_events

Options:
  -o, --output DIR       bundle directory (default: ./tracewire-YYYYMMDD-HHMMSS)
      --netns NAME       also capture and dump inside network namespace NAME (repeatable)
      --duration S       stop after S seconds (the command is then interrupted)
      --events LIST      change the event set: ITEM adds, -ITEM removes, 'none' clears;
                         ITEM is system:event, system:*, an ftrace or an LTTng event name
                         (e.g. --events -syscalls:*,+timer:* or --events none,sched:*)
      --buffer-size MB   ring buffer per CPU (default 64 MiB, less on small machines)
  -i, --interface IF     capture only IF in the host namespace (repeatable; default any)
      --no-capture       do not capture packets
      --tracer NAME      ftrace (default) or lttng (needs LTTng's kernel modules)
      --keep-spool       keep the raw ring-buffer pages (DIR/.ftrace) for debugging
  -q, --quiet            no progress on stderr
  -h, --help             this help

Default events (those this kernel has):
${wrap(DEFAULT_EVENTS, 88)}

Exit status: COMMAND's own (128+N if killed by signal N), 0 without a command,
2 when recording cannot start (not root, no tracefs, bad option).
Needs root. A bundle is always left readable, also after Ctrl-C, SIGTERM or a full disk;
a run killed with SIGKILL is finished by the next \`tracewire record\`.
`;

function defaultDir(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `tracewire-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function human(bytes: number): string {
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 1 << 30) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
}

/** `--events -syscalls:*` reads naturally; util.parseArgs takes a value starting with '-' for an option. */
function joinEventsValue(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return [...out, ...argv.slice(i)];
    if (argv[i] === '--events' && i + 1 < argv.length && argv[i + 1]!.startsWith('-') && argv[i + 1] !== '--') out.push(`--events=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('record', joinEventsValue(argv), {
    output: { type: 'string', short: 'o' },
    netns: { type: 'string', multiple: true },
    duration: { type: 'string' },
    events: { type: 'string' },
    'buffer-size': { type: 'string' },
    interface: { type: 'string', short: 'i', multiple: true },
    'no-capture': { type: 'boolean' },
    tracer: { type: 'string' },
    'keep-spool': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    const s = Number(values.duration);
    if (!/^\d+(\.\d+)?$/.test(values.duration) || !(s > 0)) throw new UsageError(`record: --duration needs a positive number of seconds, got '${values.duration}'`);
    durationMs = Math.round(s * 1000);
  }
  let bufferSizeKb: number | undefined;
  if (values['buffer-size'] !== undefined) {
    const mb = Number(values['buffer-size']);
    if (!/^\d+$/.test(values['buffer-size']) || mb < 1 || mb > 65536) throw new UsageError(`record: --buffer-size needs a size in MiB (1-65536), got '${values['buffer-size']}'`);
    bufferSizeKb = mb * 1024;
  }
  const tracer = choiceOption('record', 'tracer', values.tracer, ['ftrace', 'lttng'] as const, 'ftrace');
  const command = positionals.length ? positionals : undefined;
  const quiet = values.quiet === true;
  const tty = process.stderr.isTTY === true;

  const controller = new AbortController();
  let signalCount = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signalCount++;
    if (!quiet) process.stderr.write(`${tty ? '\n' : ''}tracewire: ${sig}, stopping${signalCount > 1 ? ' (already stopping)' : ''}…\n`);
    controller.abort(sig);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);

  let lastLine = 0;
  const onProgress = (p: RecordProgress) => {
    if (quiet) return;
    const line = `tracewire: ${p.elapsedS.toFixed(0)} s, ${Math.round(p.eventsPerS).toLocaleString('en-US')} events/s, ${p.events.toLocaleString('en-US')} events, ${human(p.bytes)}, lost ${p.lost}`;
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (p.elapsedS - lastLine >= 5) {
      lastLine = p.elapsedS;
      process.stderr.write(`${line}\n`);
    }
  };
  try {
    const result = await record({
      outDir: values.output ?? defaultDir(),
      command,
      netns: values.netns,
      durationMs,
      events: values.events,
      bufferSizeKb,
      interfaces: values.interface,
      capture: values['no-capture'] !== true,
      tracer,
      keepSpool: values['keep-spool'] === true,
      signal: controller.signal,
      onProgress,
    });
    const b = result.bundle;
    if (!quiet) {
      if (tty) process.stderr.write('\n');
      process.stderr.write(`tracewire: recorded ${result.bundleDir}: ${result.summary}\n`);
      if (b.lost_events) process.stderr.write(`tracewire: warning: the kernel lost ${b.lost_events} events; try a larger --buffer-size or fewer --events\n`);
      if (b.capture.error && values['no-capture'] !== true) process.stderr.write(`tracewire: capture: ${b.capture.error}\n`);
      if (b.error) process.stderr.write(`tracewire: ${b.error}\n`);
      if (b.command?.error) process.stderr.write(`tracewire: cannot run ${b.command.argv[0]}: ${b.command.error}\n`);
    }
    if (b.command) {
      if (b.command.exit_code !== null) return b.command.exit_code;
      if (b.command.signal) return 128 + (constants.signals[b.command.signal as NodeJS.Signals] ?? 0);
      return b.command.error ? 127 : 1;
    }
    return b.stop_reason === 'error' ? 1 : 0;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
