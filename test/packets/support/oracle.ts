/**
 * Compares `tracewire packets --format jsonl` with pcap-oracle (tshark) frame by frame:
 * every field except `tcp.analysis` must be equal; `tcp.analysis` agreement is measured.
 */
import { runCli, runCommand, pcapOracle } from '../../support/env.js';

export interface OracleComparison {
  frames: number;
  /** Frames whose non-analysis fields differ (first few, as ours/theirs JSON lines). */
  fieldMismatches: { frame: number; ours: string; theirs: string }[];
  fieldMismatchCount: number;
  /** Frames whose tcp.analysis lists differ. */
  analysisMismatches: { frame: number; ours: string[]; theirs: string[] }[];
  /** Share of frames whose analysis lists agree (1 when there are no frames). */
  analysisAgreement: number;
  /** How many frames carry each analysis flag in tshark's output. */
  flagCounts: Record<string, number>;
}

type Rec = Record<string, unknown> & { frame: number; tcp: (Record<string, unknown> & { analysis: string[] }) | null };

function withoutAnalysis(r: Rec): string {
  const tcp = r.tcp ? { ...r.tcp, analysis: undefined } : null;
  return JSON.stringify({ ...r, tcp });
}

export async function compareWithOracle(file: string): Promise<OracleComparison> {
  const [ours, theirs] = await Promise.all([runCli(['packets', file, '--format', 'jsonl'], { timeoutMs: 300_000 }), runCommand(pcapOracle, [file], { timeoutMs: 300_000 })]);
  if (ours.code !== 0) throw new Error(`tracewire packets failed (${ours.code}): ${ours.stderr}`);
  if (theirs.code !== 0) throw new Error(`pcap-oracle failed (${theirs.code}): ${theirs.stderr}`);
  const a = ours.stdout.split('\n').filter(Boolean);
  const b = theirs.stdout.split('\n').filter(Boolean);
  const result: OracleComparison = { frames: b.length, fieldMismatches: [], fieldMismatchCount: 0, analysisMismatches: [], analysisAgreement: 1, flagCounts: {} };
  if (a.length !== b.length) {
    result.fieldMismatchCount = Math.abs(a.length - b.length);
    result.fieldMismatches.push({ frame: Math.min(a.length, b.length) + 1, ours: `${a.length} frames`, theirs: `${b.length} frames` });
  }
  let agree = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ra = JSON.parse(a[i]!) as Rec;
    const rb = JSON.parse(b[i]!) as Rec;
    for (const f of rb.tcp?.analysis ?? []) result.flagCounts[f] = (result.flagCounts[f] ?? 0) + 1;
    if (withoutAnalysis(ra) !== withoutAnalysis(rb)) {
      result.fieldMismatchCount++;
      if (result.fieldMismatches.length < 10) result.fieldMismatches.push({ frame: rb.frame, ours: a[i]!, theirs: b[i]! });
    }
    const fa = ra.tcp?.analysis ?? [];
    const fb = rb.tcp?.analysis ?? [];
    if (fa.join(',') === fb.join(',')) agree++;
    else if (result.analysisMismatches.length < 50) result.analysisMismatches.push({ frame: rb.frame, ours: fa, theirs: fb });
  }
  result.analysisAgreement = n === 0 ? 1 : agree / n;
  return result;
}
