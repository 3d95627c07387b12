/**
 * `tracewire story BUNDLE|TRACE [CAPTURE] [--pid P] [--port N] [--conn A:P-B:P]
 * [--format text|markdown|json]` — a connection's life, step by step.
 */
import { SYNC_FILE_OPTION, syncClockTransform } from './sync-option.js';
import { choiceOption, intOption, parseCommandArgs, portOption } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { LineWriter } from '../base/output.js';
import { parseTime } from '../base/time.js';
import { buildDataset } from '../bundle/index.js';
import { analyze, buildStory, parseConnArg, renderStory } from '../analysis/story/index.js';
import { renderUnmatched, renderWakeups } from '../analysis/story/listings.js';

export const help = `Usage: tracewire story BUNDLE|TRACE [CAPTURE] [--pid P] [--port N] [--conn A:P-B:P]
                       [--format text|markdown|json] [--clock-offset NS]

Tells the life of a TCP connection the way the kernel lived it, in numbered steps:
the process's system calls with their file descriptors resolved (accept4(3 = listen
10.0.0.1:5000) → 4 = 10.0.0.2:48464), each time it blocks and what woke it (hard IRQ,
softirq NET_RX, a thread — and which packet), the SYN's arrival, the SYN-ACK the
kernel sends without the application, the handshake completing, data read and sent
(read(0) → sendto(4) → net_dev_queue → net_dev_xmit → frame #n), the peer's ACKs,
retransmissions, the teardown (FIN/RST) and the exit. Each step cites its kernel
events (time, name, CPU) and frame numbers, with times relative to step 1 in µs and
the latencies SYN → accept return, send → on the wire, wire → read return.

Input: a bundle directory (tracewire record), a kernel trace (LTTng session or
trace directory: the story is then told from kernel events alone), or a trace and
a capture file together (assumed on the same clock unless --clock-offset).

Without a filter the most interesting connection is told and the others listed.
  --pid P            follow process P (its most interesting connection)
  --port N           a connection with port N on either side
  --conn A:P-B:P     that connection (either order; IPv6 as [addr]:port)
  --format F         text (default), markdown, or json (the UI's format)
  --clock-offset NS  trace time = capture time − NS (trace + capture given apart)
  --sync-file F      times on the reference host's clock, from a saved
                     \`tracewire sync --format json\` output over this and other hosts
  --wakeups          instead: every wakeup chain (blocked select/poll/epoll_wait/
                     accept/read/recvfrom… that returned: waker CPU and context —
                     IRQ, softirq, thread — and the packet that caused it); --pid
                     keeps one process
  --unmatched        instead: frames and kernel device events the correlation
                     could not pair, with the reason

The end of the output says what the dataset cannot show (events not enabled,
no capture, lost events) and what to enable to see it.
`;

/** Runs `tracewire story` (see `help`). */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('story', argv, {
    pid: { type: 'string' },
    port: { type: 'string' },
    conn: { type: 'string' },
    format: { type: 'string' },
    'clock-offset': { type: 'string' },
    wakeups: { type: 'boolean' },
    unmatched: { type: 'boolean' },
    ...SYNC_FILE_OPTION,
  });
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('story: expected BUNDLE, or TRACE [CAPTURE]; see `tracewire story --help`');
  const format = choiceOption('story', 'format', values.format, ['text', 'markdown', 'json'] as const, 'text');
  const port = portOption('story', 'port', values.port);
  let clockOffsetNs: bigint | undefined;
  if (values['clock-offset'] !== undefined) {
    const v = parseTime(values['clock-offset']);
    if (v === undefined) throw new UsageError(`story: --clock-offset needs nanoseconds, got '${values['clock-offset']}'`);
    clockOffsetNs = v;
  }
  if (values.conn !== undefined) parseConnArg(values.conn); // reject a malformed --conn before reading anything
  const dataset = buildDataset(positionals, { clockOffsetNs, clockTransform: syncClockTransform('story', values, positionals) });
  const pid = intOption('story', 'pid', values.pid);
  const out = new LineWriter();
  if (values.wakeups || values.unmatched) {
    const a = analyze(dataset);
    if (values.wakeups) out.write(renderWakeups(a, format, pid));
    if (values.unmatched) out.write(renderUnmatched(a, format));
  } else out.write(renderStory(buildStory(dataset, { pid, port, conn: values.conn }), format));
  out.flush();
  // Damaged input: what could be read was told; the damage is one line and status 2.
  if (dataset.damage.length) {
    process.stderr.write(`tracewire: ${dataset.damage[0]}\n`);
    return 2;
  }
  return 0;
}
