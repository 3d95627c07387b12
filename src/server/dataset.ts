/**
 * Everything the UI shows about its inputs, loaded once: the event index of the kernel
 * traces, the analysed packets of the captures, and — when their modules are present —
 * the kernel state model, correlation and story. All times the API returns are ns
 * relative to `base` (the first kernel event, else the first packet), as JSON numbers.
 */
import { openTraceCollection, type TraceCollection } from '../ctf/index.js';
import { describeError } from '../base/errors.js';
import type { CtfEvent } from '../ctf/stream/messages.js';
import { openCapture } from '../pcap/index.js';
import { EventIndex } from './event-index.js';
import { classifyInputs, type ClassifiedInputs } from './inputs.js';
import { PacketTable } from './packet-table.js';
import type { ProgressTracker } from './progress.js';
import { declareAnalyses, emptyAnalyses, loadKernel, startCorrelation, type Analyses } from './analyses.js';

export interface UiDataset {
  readonly inputs: ClassifiedInputs;
  /** Time origin, ns from the clock origin (≈ Unix time for LTTng and bundles). */
  readonly base: bigint;
  /** Time range of everything shown, relative to base. */
  start: number;
  end: number;
  readonly traces: TraceCollection | null;
  events: EventIndex | null;
  packets: PacketTable | null;
  analyses: Analyses;
}

function firstEventTime(tc: TraceCollection): bigint | null {
  const it = tc.messages();
  try {
    for (const m of it) if (m.kind === 'event' && (m as CtfEvent).hasTimestamp) return m.ts;
  } finally {
    it.return();
  }
  return null;
}

function firstPacketTime(path: string, offset: bigint): bigint | null {
  const cap = openCapture(path);
  try {
    for (const f of cap.frames()) return f.ts - offset;
  } finally {
    cap.close();
  }
  return null;
}

/**
 * Opens `paths` (checks them now: a bad path throws a TracewireError before any server
 * starts) and returns the dataset with a `load` function that runs the analyses,
 * reporting to `progress`.
 */
export function openUiDataset(paths: readonly string[], progress: ProgressTracker): { dataset: UiDataset; load: () => Promise<void> } {
  const inputs = classifyInputs(paths);
  const traces = inputs.tracePaths.length ? openTraceCollection(inputs.tracePaths) : null;
  let base: bigint | null = traces ? firstEventTime(traces) : null;
  for (const c of inputs.captures) {
    if (base !== null) break;
    base = firstPacketTime(c.path, c.offsetNs);
  }
  const dataset: UiDataset = { inputs, base: base ?? 0n, start: 0, end: 0, traces, events: null, packets: null, analyses: emptyAnalyses() };
  if (traces) progress.add('events', 'Indexing kernel events', 'bytes');
  if (inputs.captures.length) progress.add('packets', 'Analysing packets', 'bytes');
  declareAnalyses(dataset, progress);
  const load = async () => {
    try {
      startCorrelation(dataset, progress);
      if (traces) dataset.events = await EventIndex.build(traces, dataset.base, progress);
      if (inputs.captures.length) dataset.packets = await PacketTable.build(inputs.captures, dataset.base, progress);
      updateRange(dataset);
      await loadKernel(dataset, progress);
      updateRange(dataset);
      // The page opens now; the correlation goes on in its worker and reports when done.
      progress.finish();
    } catch (err) {
      progress.finish(describeError(err));
    }
  };
  return { dataset, load };
}

function updateRange(d: UiDataset): void {
  let lo = Infinity;
  let hi = -Infinity;
  const ev = d.events;
  if (ev && ev.count) {
    lo = Math.min(lo, ev.time[0]!);
    hi = Math.max(hi, ev.time[ev.count - 1]!);
    if (!ev.sorted) {
      for (let i = 0; i < ev.count; i++) {
        lo = Math.min(lo, ev.time[i]!);
        hi = Math.max(hi, ev.time[i]!);
      }
    }
  }
  const pk = d.packets;
  if (pk) {
    for (let i = 0; i < pk.count; i++) {
      lo = Math.min(lo, pk.time[i]!);
      hi = Math.max(hi, pk.time[i]!);
    }
  }
  if (lo === Infinity) lo = hi = 0;
  if (hi <= lo) hi = lo + 1000;
  d.start = lo;
  d.end = hi;
}
