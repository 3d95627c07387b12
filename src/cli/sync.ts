/**
 * `tracewire sync TRACE TRACE...` — clock synchronisation between the traces of
 * different hosts, from the TCP segments both sides saw (see src/analysis/sync).
 */
import { choiceOption, parseCommandArgs } from '../base/args.js';
import { UsageError } from '../base/errors.js';
import { toJson } from '../base/json.js';
import { LineWriter } from '../base/output.js';
import { computeSync, openSyncHosts, syncResultToJson, toDecimal, type SyncResult } from '../analysis/sync/index.js';

export const help = `Usage: tracewire sync [OPTIONS] TRACE TRACE...

Computes the clock transform of each host's traces onto one reference host, from TCP
segments seen by both sender and receiver, with the fully incremental convex-hull
method (Jabbarifar et al.; Trace Compass's SyncAlgorithmFullyIncremental), exactly.

TRACE is an LTTng/CTF trace or session directory (traces are grouped into hosts by the
hostname in their metadata, so one directory may hold several hosts), or a tracewire
bundle (its capture.pcapng provides the packets). Two paths are always two hosts.
Packets come from LTTng inet_sock_local_in/out events (seq/ack/flags), lttng-modules
>= 2.9 net_dev_queue/net_if_receive_skb events with network headers, and captures.

  t' = slope * t + offset      (ns; t on the trace's clock, t' on the reference's)

Quality of each host: reference; accurate (both directions, bounds on both sides);
approximate (both directions, not yet bounded on both sides); incomplete (packets in
one direction only: not synchronised); fail (matches contradict each other, e.g. a
clock step: not synchronised); absent (no common packet). Unsynchronised hosts get the
identity. More than two hosts are chained along a spanning tree of the best pairs.

Options:
      --format F        text (default) or json:
                        {"matches", "reference", "transforms": [{"trace", "host", "slope",
                        "offset", "slope_decimal", "offset_decimal", "quality",
                        "reference", "uncertainty_ns", "via"}], "pairs": [...], "packets"}
      --reference HOST  reference host: a host name or input path (default: the first)
  -h, --help            this help

Other commands apply the result with --sync (computed again from the same paths) or
--sync-file FILE (a saved \`tracewire sync --format json\` output).
`;

function fmtNs(v: number | null): string {
  if (v === null) return '-';
  return v < 1000 ? `${v.toFixed(1)} ns` : v < 1e6 ? `${(v / 1e3).toFixed(2)} us` : `${(v / 1e6).toFixed(3)} ms`;
}

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

function textReport(r: SyncResult): string {
  const lines: string[] = [];
  const ref = r.hosts[r.reference]!;
  const s = r.stats;
  lines.push(`reference: ${ref.host.name} (${ref.host.input})`);
  lines.push(`${r.matches} matched TCP segments (${s.sends} sent, ${s.receives} received; ${s.unmatchedSends} sends and ${s.unmatchedReceives} receives unmatched, ${s.duplicates} duplicates ignored)`);
  lines.push('');
  if (r.pairs.length) {
    const rows = [['pair', 'matches', 'hull', 'quality', 'alpha (y = alpha*x + beta)', 'beta (ns)', 'accuracy', 'uncertainty']];
    for (const p of r.pairs)
      rows.push([`${r.hosts[p.a]!.host.name} -> ${r.hosts[p.b]!.host.name}`, String(p.state.matches), String(p.state.hullMatches), p.state.quality, toDecimal(p.state.alpha, 24), toDecimal(p.state.beta, 3), p.accuracy.n === 0n ? '0' : Number(toDecimal(p.accuracy, 30)).toExponential(3), fmtNs(p.uncertaintyNs)]);
    lines.push(...pad(rows), '');
  } else {
    lines.push('no TCP segment was seen by two hosts', '');
  }
  const rows = [['trace', 'host', 'quality', 'slope', 'offset (ns)', 'uncertainty']];
  for (const h of r.hosts) {
    const paths = h.host.traces.length ? h.host.traces.map((t) => t.path) : [h.host.input];
    for (const p of paths) rows.push([p, h.host.name, h.quality, toDecimal(h.transform.slope, 24), toDecimal(h.transform.offset, 3), fmtNs(h.uncertaintyNs)]);
  }
  lines.push(...pad(rows));
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('sync', argv, {
    format: { type: 'string' },
    reference: { type: 'string' },
  });
  const format = choiceOption('sync', 'format', values.format, ['text', 'json'] as const, 'text');
  if (positionals.length === 0) throw new UsageError('sync: give the traces of at least two hosts (see `tracewire sync --help`)');
  const hosts = openSyncHosts(positionals);
  if (hosts.length < 2) throw new UsageError(`sync: ${positionals.join(', ')}: found only one host (${hosts[0]?.name ?? 'none'}); give the traces of at least two hosts`);
  const result = computeSync(hosts, { reference: values.reference });
  const out = new LineWriter();
  out.write(format === 'json' ? `${toJson(syncResultToJson(result), 2)}\n` : textReport(result));
  out.flush();
  return 0;
}
