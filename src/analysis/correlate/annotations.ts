/**
 * Per-frame annotations from the correlation, in the words `tracewire packets` (process
 * column) and `tracewire export` (pcapng packet comments) print them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatTimeOfDay } from '../../base/time.js';
import { openDataset } from '../../bundle/dataset.js';
import type { PacketColumn } from '../tcp/packet-columns.js';
import { analyzeDataset, type DatasetAnalysis } from './index.js';
import { softirqName } from './event-names.js';
import type { FrameCorrelation } from './types.js';

/** `ncat[4242] fd 4`, or '' when the frame is not attributed. */
export function ownerText(fc: FrameCorrelation | undefined): string {
  const o = fc?.owner;
  if (!o) return '';
  return `${o.comm ?? '?'}[${o.pid}] fd ${o.fd}`;
}

/** One line on the kernel side of a frame: its capture-point event and context. */
export function kernelText(fc: FrameCorrelation | undefined): string {
  if (!fc) return '';
  if (!fc.anchor) return `kernel: no matching event (${fc.reason ?? 'unknown'})`;
  const a = fc.anchor;
  const cpu = a.cpu !== null ? ` cpu${a.cpu}` : '';
  let where = '';
  const o = a.kind === 'queue' || a.kind === 'xmit' ? fc.origin : null;
  if (o?.kind === 'syscall') where = ` in ${o.syscall}(${o.fd ?? ''}) of ${o.comm ?? '?'}[${o.pid ?? '?'}]`;
  else if (fc.softirq) where = ` in softirq ${softirqName(fc.softirq.vec)} (${fc.softirq.comm ?? '?'}[${fc.softirq.tid ?? '?'}]'s time)${fc.irq ? ` after IRQ ${fc.irq.irq} ${fc.irq.name}` : ''}`;
  else if (o?.kind === 'irq') where = ` in IRQ ${o.irq.irq} ${o.irq.name}`;
  else if (o?.kind === 'task') where = ` by ${o.comm ?? '?'}[${o.tid ?? '?'}]`;
  return `kernel: ${a.event.name} ${formatTimeOfDay(a.ts)}${cpu} skb ${a.skb} on ${a.dev ?? '?'}${where}`;
}

/** The pcapng comments of a frame: `process=… pid=… fd=…` and the kernel line. */
export function frameComments(fc: FrameCorrelation | undefined): string[] {
  const out: string[] = [];
  const o = fc?.owner;
  if (o) out.push(`process=${o.comm ?? '?'} pid=${o.pid} fd=${o.fd} (${o.how})`);
  const k = kernelText(fc);
  if (k) out.push(k);
  return out;
}

/** Analyses the bundle at `path`, or returns null when `path` is not a bundle with a kernel trace. */
export function analyzeBundleAt(path: string): DatasetAnalysis | null {
  if (!existsSync(join(path, 'bundle.json'))) return null;
  const ds = openDataset([path]);
  if (!ds.kernel || !ds.capturePath) return null;
  return analyzeDataset(ds);
}

/**
 * The Process column of `tracewire packets` for a bundle (the process and fd each frame
 * belongs to, through its socket's 4-tuple), or null when `path` is no bundle.
 */
export function packetProcessColumn(path: string): PacketColumn | null {
  const a = analyzeBundleAt(path);
  if (!a) return null;
  const text = new Map<number, string>();
  let width = 1;
  for (const [n, fc] of a.correlation.frames) {
    const t = ownerText(fc);
    text.set(n, t);
    width = Math.max(width, t.length);
  }
  return { id: 'process', title: 'Process', align: 'left', minWidth: width, render: (p) => text.get(p.frame.number) || '-' };
}
