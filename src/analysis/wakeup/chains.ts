/**
 * Explains each blocked interval's wakeup with the correlation: a wakeup raised in a
 * NET_RX softirq is caused by a packet that softirq processed (preferably one that
 * reached the woken process's socket), a wakeup from a thread in a send syscall by the
 * packet that syscall sent (loopback and veth deliver synchronously), one in a hard IRQ
 * by that interrupt.
 */
import { softirqName, SOFTIRQ_NET_RX } from '../correlate/event-names.js';
import type { Correlation, SkbHop } from '../correlate/types.js';
import type { BlockedInterval } from './blocked-intervals.js';
import type { WakeupCause, WakeupChain } from './types.js';

interface HopIndexes {
  /** Received-packet events by softirq instance. */
  readonly bySoftirq: Map<number, SkbHop[]>;
  /** net_dev_queue events by syscall (id) that queued them. */
  readonly bySyscall: Map<number, SkbHop[]>;
}

function indexHops(hops: readonly SkbHop[]): HopIndexes {
  const bySoftirq = new Map<number, SkbHop[]>();
  const bySyscall = new Map<number, SkbHop[]>();
  const push = (m: Map<number, SkbHop[]>, k: number, h: SkbHop) => {
    const list = m.get(k);
    if (list) list.push(h);
    else m.set(k, [h]);
  };
  for (const h of hops) {
    if ((h.kind === 'receive' || h.kind === 'rx' || h.kind === 'gro') && h.ctx.softirq) push(bySoftirq, h.ctx.softirq.id, h);
    else if (h.kind === 'queue' && h.ctx.kind === 'task' && h.ctx.syscall) push(bySyscall, h.ctx.syscall.id, h);
  }
  return { bySoftirq, bySyscall };
}

function framesOfHop(corr: Correlation, hop: SkbHop): number[] {
  const j = corr.journeys[hop.journey];
  if (!j) return [];
  return j.frames.filter((n) => corr.frames.get(n)?.anchor === hop);
}


/** Builds the chains for `intervals` (those that ended their syscall). */
export function explainWakeups(intervals: readonly BlockedInterval[], corr: Correlation, hops: readonly SkbHop[]): WakeupChain[] {
  const index = indexHops(hops);
  const out: WakeupChain[] = [];
  for (const b of intervals) {
    out.push({
      ...b,
      cause: causeOf(b, corr, index),
      blockedNs: b.blockTs !== null && (b.runTs ?? b.exitTs) !== null ? (b.runTs ?? b.exitTs)! - b.blockTs : null,
      wakeToRunNs: b.waker && b.runTs !== null ? b.runTs - b.waker.event.ts : null,
    });
  }
  return out;
}

const TIMED_WAITS = new Set(['select', 'pselect6', '_newselect', 'poll', 'ppoll', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2']);

function causeOf(b: BlockedInterval, corr: Correlation, index: HopIndexes): WakeupCause {
  const w = b.waker;
  // A wait that returns 0 ran out of time: its timer woke it, whatever task the timer
  // interrupt happened to land on (local timer interrupts are not irq_handler events).
  if (w && b.endsSyscall && b.ret === 0 && b.syscall && TIMED_WAITS.has(b.syscall.name) && w.ctx.kind !== 'softirq') {
    return { kind: 'timer', frame: null, frames: [], hop: null, text: `its timeout expired (timer${w.ctx.cpu !== null ? ` on CPU ${w.ctx.cpu}` : ''})` };
  }
  if (!w) return { kind: 'unknown', frame: null, frames: [], hop: null, text: 'no wakeup event (sched_waking/sched_wakeup not traced, or lost)' };
  const ctx = w.ctx;
  const cpu = ctx.cpu === null ? '' : ` on CPU ${ctx.cpu}`;
  if (ctx.kind === 'softirq' && ctx.softirq) {
    const si = ctx.softirq;
    const received = (index.bySoftirq.get(si.id) ?? []).filter((h) => h.ts <= w.event.ts);
    if (received.length) {
      // Prefer the packet that reached a socket of the woken process.
      let chosen: SkbHop | null = null;
      let chosenFrame: number | null = null;
      const allFrames: number[] = [];
      for (const h of received) {
        const fs = framesOfHop(corr, h);
        allFrames.push(...fs);
        for (const n of fs) {
          const owner = corr.frames.get(n)?.owner;
          if (owner && b.pid !== null && owner.pid === b.pid) {
            chosen = h;
            chosenFrame = n;
          }
        }
      }
      if (!chosen) {
        chosen = received[received.length - 1]!;
        const fs = framesOfHop(corr, chosen);
        chosenFrame = fs.length ? fs[fs.length - 1]! : null;
      }
      const what = chosenFrame !== null ? `frame #${chosenFrame}` : `a packet (${chosen.event.name} skb ${chosen.skb}, ${chosen.len ?? '?'} bytes on ${chosen.dev ?? '?'}, not captured)`;
      return { kind: 'packet', frame: chosenFrame, frames: allFrames, hop: chosen, text: `${what} processed by softirq ${softirqName(si.vec)}${cpu}` };
    }
    const kind = si.vec === 1 || si.vec === 8 ? 'timer' : 'unknown';
    return { kind, frame: null, frames: [], hop: null, text: `softirq ${softirqName(si.vec)}${cpu}${si.vec === SOFTIRQ_NET_RX ? ' (no packet event before the wakeup)' : ''}` };
  }
  if (ctx.kind === 'irq' && ctx.irq) {
    return { kind: 'irq', frame: null, frames: [], hop: null, text: `hard IRQ ${ctx.irq.irq} (${ctx.irq.name})${cpu}` };
  }
  // A thread woke it: on loopback/veth the sender's syscall delivers the packet itself.
  const sc = ctx.syscall;
  const who = `${ctx.comm ?? 'thread'} (tid ${ctx.tid ?? '?'})${sc ? ` in ${sc.name}()` : ''}${cpu}`;
  if (sc) {
    const sent = (index.bySyscall.get(sc.id) ?? []).filter((h) => h.ts <= w.event.ts);
    const frames = sent.flatMap((h) => framesOfHop(corr, h));
    if (sent.length) return { kind: 'packet-sent', frame: frames.length ? frames[frames.length - 1]! : null, frames, hop: sent[sent.length - 1]!, text: `${who}, which sent ${frames.length ? `frame #${frames[frames.length - 1]}` : 'a packet'}` };
  }
  return { kind: 'thread', frame: null, frames: [], hop: null, text: who };
}
