/**
 * Two listings behind the story, for `tracewire story --wakeups` and `--unmatched`:
 * every wakeup chain (a blocked wait-type syscall, who woke it, from where, which packet)
 * and every frame or device event the correlation could not pair, with the reason.
 */
import { toJson } from '../../base/json.js';
import { formatTimeOfDay } from '../../base/time.js';
import type { DatasetAnalysis } from '../correlate/index.js';
import { softirqName } from '../correlate/event-names.js';
import type { WakeupChain } from '../wakeup/types.js';

function us(ns: bigint | null): string {
  return ns === null ? '?' : `${(Number(ns) / 1000).toFixed(1)} µs`;
}

function wakerText(w: WakeupChain): string {
  const c = w.waker?.ctx;
  if (!c) return 'unknown';
  const cpu = c.cpu === null ? '' : ` CPU ${c.cpu}`;
  if (c.kind === 'softirq' && c.softirq) return `softirq ${softirqName(c.softirq.vec)}${cpu}`;
  if (c.kind === 'irq' && c.irq) return `IRQ ${c.irq.irq} ${c.irq.name}${cpu}`;
  return `${c.comm ?? '?'}[${c.tid ?? '?'}]${c.syscall ? ` in ${c.syscall.name}` : ''}${cpu}`;
}

/** Wakeup chains (of process `pid` when given), as text or JSON. */
export function renderWakeups(a: DatasetAnalysis, format: 'text' | 'markdown' | 'json', pid?: number): string {
  const chains = a.wakeups.filter((w) => pid === undefined || w.pid === pid);
  if (format === 'json') {
    return `${toJson(
      chains.map((w) => ({
        tid: w.tid,
        pid: w.pid,
        comm: w.comm,
        syscall: w.syscall?.name ?? null,
        blockTs: w.blockTs,
        wakeTs: w.waker?.event.ts ?? null,
        runTs: w.runTs,
        exitTs: w.exitTs,
        ret: w.ret,
        blockedNs: w.blockedNs,
        wakeToRunNs: w.wakeToRunNs,
        waker: w.waker ? { kind: w.waker.ctx.kind, cpu: w.waker.ctx.cpu, tid: w.waker.ctx.tid, comm: w.waker.ctx.comm, softirq: w.waker.ctx.softirq?.vec ?? null, irq: w.waker.ctx.irq?.irq ?? null, event: w.waker.event } : null,
        cause: { kind: w.cause.kind, frame: w.cause.frame, frames: w.cause.frames, text: w.cause.text },
      })),
      2,
    )}\n`;
  }
  const lines = [`${chains.length} wakeup chain${chains.length === 1 ? '' : 's'} (blocked wait-type syscalls that returned)${pid !== undefined ? ` of pid ${pid}` : ''}:`];
  for (const w of chains) {
    const at = w.waker ? formatTimeOfDay(w.waker.event.ts) : '?';
    lines.push(`${at}  ${w.comm ?? '?'}[${w.tid}] ${w.syscall?.name ?? '?'} = ${w.ret ?? '?'}  blocked ${us(w.blockedNs)}, woken by ${wakerText(w)}, ran ${us(w.wakeToRunNs)} later — ${w.cause.text}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Frames and device events the correlation could not pair, with the reason. */
export function renderUnmatched(a: DatasetAnalysis, format: 'text' | 'markdown' | 'json'): string {
  const c = a.correlation;
  if (format === 'json') return `${toJson({ stats: c.stats, notes: c.notes, frames: c.unmatchedFrames, events: c.unmatchedEvents }, 2)}\n`;
  const s = c.stats;
  const lines = [`frames: ${s.framesMatched}/${s.frames} tied to a kernel event (TCP ${s.tcpFramesMatched}/${s.tcpFrames}); device events: ${s.deviceEventsMatched}/${s.deviceEvents} shown by a frame`];
  for (const n of c.notes) lines.push(`note: ${n}`);
  const byReason = new Map<string, number[]>();
  for (const u of c.unmatchedFrames) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.frame]);
  for (const [reason, frames] of byReason) lines.push(`unmatched frames (${frames.length}): ${reason}: #${frames.slice(0, 30).join(' #')}${frames.length > 30 ? ' …' : ''}`);
  for (const u of c.unmatchedEvents.slice(0, 200)) lines.push(`unmatched event: ${formatTimeOfDay(u.event.ts)} ${u.event.name} cpu${u.event.cpu ?? '?'} ${u.dev ?? '?'} len ${u.len ?? '?'}: ${u.reason}`);
  if (c.unmatchedEvents.length > 200) lines.push(`… and ${c.unmatchedEvents.length - 200} more unmatched events`);
  return `${lines.join('\n')}\n`;
}
