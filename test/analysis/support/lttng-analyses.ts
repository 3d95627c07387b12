/**
 * Runs lttng-analyses (Debian python3-lttnganalyses 0.6.1) as the oracle of the kernel
 * statistics, and turns its machine-interface (`-mi`) JSON into plain records.
 *
 * lttng-analyses reads the tracer version from a directory whose name ends in `kernel`
 * (it needs it to interpret some events), so the trace is offered through a symlink
 * `TMP/kernel` → trace directory.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '../../support/env.js';

type Mi = { results: Array<{ class: string | { inherit: string; title: string }; data: unknown[][] }> };

/** Runs `tool` (e.g. `lttng-syscallstats-mi`) on `traceDir`; resolves to its MI document. */
export async function runMi(tool: string, traceDir: string, extra: string[] = []): Promise<Mi> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-analysis-la-'));
  try {
    const link = join(dir, 'kernel');
    symlinkSync(resolve(traceDir), link);
    const r = await runCommand(tool, ['--skip-validation', '--no-intersection', ...extra, link], { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`${tool} failed (${r.code}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(-300)}`);
    // timestamps exceed 2^53: keep them exact as strings
    const doc = JSON.parse(r.stdout.replace(/("value": )(\d{16,})/g, '$1"$2"')) as Mi & { 'error-message'?: string };
    if (doc['error-message']) throw new Error(`${tool}: ${doc['error-message']}`);
    return doc;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const value = (cell: unknown): number => Number((cell as { value: number | string }).value);
const timestamp = (cell: unknown): bigint => BigInt((cell as { value: number | string }).value);
const duration = (cell: unknown): number | null => ((cell as { class: string }).class === 'unknown' ? null : value(cell));

export interface OracleSyscall {
  name: string;
  count: number;
  min: number;
  avg: number;
  max: number;
  stdev: number | null;
  /** As printed: a Python dict literal, e.g. {'success': 8005, 'ENOENT': 2}. */
  returns: Record<string, number>;
}

export interface OracleThreadSyscalls {
  tid: number;
  pid: number | null;
  comm: string;
  syscalls: OracleSyscall[];
}

/** lttng-syscallstats-mi → per-TID tables. */
export function parseSyscallStats(mi: Mi): OracleThreadSyscalls[] {
  const out: OracleThreadSyscalls[] = [];
  for (const r of mi.results) {
    if (typeof r.class === 'string' || r.class.inherit !== 'per-tid') continue;
    const m = /\[(.*) \((\d+|\?), TID: (\d+)\)\]$/.exec(r.class.title);
    if (!m) throw new Error(`unexpected title ${r.class.title}`);
    out.push({
      comm: m[1]!,
      pid: m[2] === '?' ? null : Number(m[2]),
      tid: Number(m[3]),
      syscalls: r.data.map((row) => ({
        name: (row[0] as { name: string }).name,
        count: value(row[1]),
        min: value(row[2]),
        avg: value(row[3]),
        max: value(row[4]),
        stdev: duration(row[5]),
        returns: JSON.parse((row[6] as { value: string }).value.replace(/'/g, '"')) as Record<string, number>,
      })),
    });
  }
  return out;
}

export interface OracleIrq {
  hard: boolean;
  nr: number;
  name: string;
  count: number;
  min: number;
  avg: number;
  max: number;
  stdev: number | null;
  /** Softirqs: raise → entry latency (null fields when unknown). */
  raise?: { count: number; min: number | null; avg: number | null; max: number | null; stdev: number | null };
}

/** lttng-irqstats-mi → hard and soft rows. */
export function parseIrqStats(mi: Mi): OracleIrq[] {
  const out: OracleIrq[] = [];
  for (const r of mi.results) {
    if (r.class !== 'hard-stats' && r.class !== 'soft-stats') continue;
    for (const row of r.data) {
      const irq = row[0] as { hard: boolean; nr: number; name: string };
      const rec: OracleIrq = { hard: irq.hard, nr: irq.nr, name: irq.name, count: value(row[1]), min: value(row[2]), avg: value(row[3]), max: value(row[4]), stdev: duration(row[5]) };
      if (!irq.hard) rec.raise = { count: value(row[6]), min: duration(row[7]), avg: duration(row[8]), max: duration(row[9]), stdev: duration(row[10]) };
      out.push(rec);
    }
  }
  return out;
}

export interface OracleSchedTid {
  tid: number;
  comm: string;
  count: number;
  min: number;
  avg: number;
  max: number;
  stdev: number | null;
}

/** lttng-schedstats-mi → per-TID latency rows. */
export function parseSchedStats(mi: Mi): OracleSchedTid[] {
  const out: OracleSchedTid[] = [];
  for (const r of mi.results) {
    if (r.class !== 'per_tid_stats') continue;
    for (const row of r.data) {
      const p = row[0] as { name: string; tid: number };
      out.push({ tid: p.tid, comm: p.name, count: value(row[1]), min: value(row[2]), avg: value(row[3]), max: value(row[4]), stdev: duration(row[5]) });
    }
  }
  return out;
}

export interface OracleSchedEvent {
  wakeup: bigint;
  switchTs: bigint;
  latency: number;
  prio: number;
  cpu: number;
  wakee: { tid: number; pid: number | null; name: string };
  waker: { tid: number; pid: number | null; name: string } | null;
}

/** lttng-schedtop-mi / lttng-schedlog-mi → scheduling events. */
export function parseSchedEvents(mi: Mi): OracleSchedEvent[] {
  const out: OracleSchedEvent[] = [];
  for (const r of mi.results) {
    if (r.class !== 'top' && r.class !== 'log') continue;
    for (const row of r.data) {
      const proc = (c: unknown): { tid: number; pid: number | null; name: string } | null => {
        if (c === null || (c as { class: string }).class !== 'process') return null;
        const p = c as { tid: number; pid?: number; name: string };
        return { tid: p.tid, pid: p.pid ?? null, name: p.name };
      };
      out.push({ wakeup: timestamp(row[0]), switchTs: timestamp(row[1]), latency: value(row[2]), prio: value(row[3]), cpu: (row[4] as { id: number }).id, wakee: proc(row[5])!, waker: proc(row[6]) });
    }
  }
  return out;
}

/**
 * A copy of an LTTng kernel trace whose softirq events carry the names lttng-analyses
 * 0.6.1 knows (`softirq_entry` instead of lttng-modules ≥ 2.7's `irq_softirq_entry`):
 * `outDir/kernel/` with the stream files linked and the metadata's three event names
 * rewritten in place (padded with spaces, so packetized metadata keeps its sizes).
 * Returns the new trace directory.
 */
export function withLegacySoftirqNames(traceDir: string, outDir: string): string {
  const dir = join(outDir, 'kernel');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(traceDir)) {
    if (f === 'metadata' || f === 'index') continue;
    symlinkSync(resolve(traceDir, f), join(dir, f));
  }
  let meta = readFileSync(join(traceDir, 'metadata')).toString('latin1');
  for (const what of ['raise', 'entry', 'exit']) meta = meta.split(`"irq_softirq_${what}"`).join(`"softirq_${what}"    `);
  writeFileSync(join(dir, 'metadata'), Buffer.from(meta, 'latin1'));
  return dir;
}
