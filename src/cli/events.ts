/**
 * `tracewire events TRACE...` — print the events of CTF traces (LTTng kernel/UST,
 * CTF 1.8 and CTF 2): babeltrace2-style text, ctf-oracle-compatible JSON lines, or a
 * count of everything decoded.
 */
import { choiceOption, intOption, parseCommandArgs } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { LineWriter } from '../base/output.js';
import { parseTime } from '../base/time.js';
import { openTraceCollection, type MessageOptions } from '../ctf/index.js';
import { messageNs } from '../ctf/stream/messages.js';
import { messageJson } from '../ctf/format/jsonl.js';
import { TextFormatter } from '../ctf/format/text.js';
import { countMessages } from '../ctf/format/count.js';
import { countInParallel, defaultThreads } from './parallel-count.js';
import { SYNC_HELP, SYNC_OPTIONS, syncClockTransform } from './sync-option.js';

export const help = `Usage: tracewire events TRACE... [--format text|jsonl] [--begin T] [--end T] [--limit N] [--count] [--sync]

Prints the events of one or more CTF traces in timestamp order, merging all streams and
traces. TRACE is a trace directory (holding a metadata file), a directory containing
traces at any depth (an LTTng session output, a tracewire bundle), or a metadata file.
Reads CTF 1.8 (TSDL, plain or packetized metadata) and CTF 2 (JSON metadata) traces,
including traces whose streams overlap in time, which babeltrace2 2.0 refuses.

Options:
  --format text   babeltrace2's default output (the default):
                  [HH:MM:SS.nnnnnnnnn] (+delta) host event: { packet context }, { context }, { fields }
  --format jsonl  one JSON object per event, exactly as ctf-oracle prints them:
                  {"ts", "cycles", "event", "stream_class", "stream", "cpu", "context", "payload"}
                  and {"discarded_events"|"discarded_packets": N, "stream", "cpu", "begin", "end"}
  --begin T       only events at or after T (packets that end before T are skipped
                  without being read, using LTTng's index/*.idx or the packet headers)
  --end T         only events at or before T
                  T: nanoseconds from the epoch (1700000000123456789), seconds with a
                  fraction (1700000000.123456789), or a UTC time of day (12:34:56.789)
                  on the day of the first event
  --limit N       stop after N records
  --count         decode every field of every event, print one JSON object:
                  {"events": N, "lost_events": N, "lost_packets": N, "discarded_records": N,
                   "traces": N, "streams": N, "first_ts": "NS", "last_ts": "NS"}
  --threads N     --count on up to N threads (default: the cores, at most 8); streams
                  are shared out by size, 32 MB of streams per thread at least
  --clock-gmt     text format: print times in UTC (the default when TZ is unset)
${SYNC_HELP}
  -h, --help      this help

Lost events are reported where the trace says so (events_discarded, packet_seq_num):
as WARNING lines on stderr in text format, as records in jsonl.
Damaged traces: every event before the damage is printed, then one line on stderr
naming the file, the byte offset and the problem, and the exit status is 2.
`;

/**
 * `TRACEWIRE_TIMING=1`: where the time goes, on stderr (ms of wall and CPU time since the
 * process started): start-up (Node + module loading), opening the traces (metadata,
 * first packets), decoding, and the whole run.
 */
const timing = process.env.TRACEWIRE_TIMING === '1' ? { wall: 0, cpu: 0 } : null;

function phase(name: string): void {
  if (!timing) return;
  const wall = performance.now();
  const c = process.cpuUsage();
  const cpu = (c.user + c.system) / 1000;
  process.stderr.write(`timing: ${name.padEnd(8)} +${(wall - timing.wall).toFixed(1).padStart(7)} ms wall +${(cpu - timing.cpu).toFixed(1).padStart(7)} ms cpu  (total ${wall.toFixed(1)} / ${cpu.toFixed(1)})\n`);
  timing.wall = wall;
  timing.cpu = cpu;
}

export async function run(argv: string[]): Promise<number> {
  phase('start-up');
  const { values, positionals } = parseCommandArgs('events', argv, {
    format: { type: 'string' },
    begin: { type: 'string' },
    end: { type: 'string' },
    limit: { type: 'string' },
    count: { type: 'boolean' },
    threads: { type: 'string' },
    'clock-gmt': { type: 'boolean' },
    ...SYNC_OPTIONS,
  });
  if (positionals.length === 0) throw new UsageError('events: give at least one trace directory (see `tracewire events --help`)');
  const format = choiceOption('events', 'format', values.format, ['text', 'jsonl'] as const, 'text');
  const limit = intOption('events', 'limit', values.limit);
  const threads = intOption('events', 'threads', values.threads, defaultThreads())!;
  if (threads < 1) throw new UsageError('events: --threads needs at least 1');
  const tc = openTraceCollection(positionals, { clockTransform: syncClockTransform('events', values, positionals) });
  const opts = timeRange(values.begin, values.end, () => firstTimestamp(tc.messages()));
  phase('open');

  if (values.count) {
    const parallel = limit === undefined && opts.begin === undefined && opts.end === undefined && !values.sync && values['sync-file'] === undefined;
    const counts = (parallel ? await countInParallel(tc, positionals, threads) : null) ?? countMessages(tc, opts, limit);
    phase('decode');
    const out = new LineWriter();
    out.write(`${JSON.stringify(counts)}\n`);
    out.flush();
    return 0;
  }
  const out = new LineWriter();
  let n = 0;
  try {
    if (format === 'jsonl') {
      for (const m of tc.messages(opts)) {
        if (limit !== undefined && n >= limit) break;
        out.write(`${messageJson(m)}\n`);
        n++;
      }
    } else {
      const text = new TextFormatter({ utc: values['clock-gmt'] === true || !process.env.TZ });
      for (const m of tc.messages(opts)) {
        if (limit !== undefined && n >= limit) break;
        if (m.kind === 'event') out.write(text.event(m));
        else {
          out.flush();
          process.stderr.write(text.discarded(m));
        }
        n++;
      }
    }
  } finally {
    out.flush();
  }
  phase('decode');
  return 0;
}

function firstTimestamp(it: Iterator<{ kind: string; nsHi: number; nsLo: number }>): bigint | undefined {
  const r = it.next();
  it.return?.();
  if (r.done) return undefined;
  return messageNs(r.value);
}

function timeRange(begin: string | undefined, end: string | undefined, reference: () => bigint | undefined): MessageOptions {
  let ref: bigint | undefined;
  const parse = (flag: string, text: string | undefined): bigint | undefined => {
    if (text === undefined) return undefined;
    const needsRef = /^\d{1,2}:\d{2}/.test(text.trim());
    if (needsRef && ref === undefined) ref = reference();
    const v = parseTime(text, ref);
    if (v === undefined) throw new UsageError(`events: --${flag} '${text}' is not a time (ns, seconds.fraction, or HH:MM:SS[.frac])`);
    return v;
  };
  const b = parse('begin', begin);
  const e = parse('end', end);
  if (b !== undefined && e !== undefined && e < b) throw new UsageError('events: --end is before --begin');
  return { begin: b, end: e };
}
