/**
 * Socket-buffer journeys: every device-level event (net_dev_queue, net_dev_xmit,
 * netif_rx, napi_gro_receive, netif_receive_skb) and skb event (consume, kfree, copy to
 * user, tcp_probe) grouped by sk_buff address into the buffer's life, from its first
 * appearance to the consume/kfree that ends it. On a veth pair or loopback one journey
 * holds both the sender's queue/xmit and the receiver's rx/receive, because the same
 * sk_buff crosses; on a NIC a sent buffer ends at the TX-completion free and a received
 * one starts in the driver's NAPI poll.
 *
 * Addresses are reused as soon as a buffer is freed, so a journey closes at its free;
 * a journey silent for too long is closed too (lost free event).
 */
import { fieldKey, fieldNumber, type TraceEvent } from '../../model/trace-event.js';
import type { ContextTracker, ExecContext } from './context.js';
import type { EventRole } from './event-names.js';
import type { KernelCollector, SyscallName } from './kernel-pass.js';
import { eventRefOf, type EventRef, type HopKind, type SkbHop, type SkbJourney } from './types.js';

const JOURNEY_IDLE_NS = 2_000_000_000n;
/** A received buffer may wait in a socket's queue until the application reads it. */
const QUEUED_IDLE_NS = 120_000_000_000n;

const HOP_OF_ROLE: Partial<Record<EventRole, HopKind>> = {
  net_queue: 'queue',
  net_xmit: 'xmit',
  net_rx: 'rx',
  net_gro: 'gro',
  net_receive: 'receive',
  skb_consume: 'consume',
  skb_free: 'free',
  skb_copy: 'copy',
  tcp_probe: 'probe',
};

/** A TCP-level kernel event (retransmission, reset, probe) with its context. */
export interface TcpKernelEvent {
  readonly role: EventRole;
  readonly event: EventRef;
  readonly ctx: ExecContext;
  readonly skb: string | null;
  readonly skaddr: string | null;
  readonly payload: TraceEvent['payload'];
}

/** Hex text of a kernel address field (`0xffff8881…`), or '' when absent. */
export function addressText(v: unknown): string {
  if (typeof v === 'bigint' || typeof v === 'number') return `0x${v.toString(16)}`;
  if (v === undefined || v === null) return '';
  const key = fieldKey(v as never);
  if (!/^\d+$/.test(key)) return key;
  return `0x${BigInt(key).toString(16)}`;
}

function devName(ev: TraceEvent): string | null {
  const n = ev.payload.name ?? ev.payload.dev_name;
  return typeof n === 'string' ? n : null;
}

/**
 * Whether `hop` on an address whose open journey ended with `last` belongs to a new
 * buffer. TCP frees most received buffers without a tracepoint (`__kfree_skb` after the
 * copy to user space), so "arrived at its socket" ends a journey as surely as a free.
 */
function startsNewJourney(last: SkbHop, hop: SkbHop): boolean {
  const idle = last.kind === 'receive' || last.kind === 'probe' ? QUEUED_IDLE_NS : JOURNEY_IDLE_NS;
  if (hop.ts - last.ts > idle) return true;
  const entering = hop.kind === 'queue' || hop.kind === 'rx' || hop.kind === 'gro';
  if (!entering) return false;
  // Delivered to a socket (read by the application, or seen by tcp_probe): done.
  if (last.kind === 'copy' || last.kind === 'probe') return true;
  // Sent on this device already and queued again: a new buffer at the same address.
  if (hop.kind === 'queue' && last.kind === 'xmit' && last.dev === hop.dev) return true;
  // Received, then entering a device again: forwarding happens at once in the same
  // softirq; anything else is a new buffer.
  if (last.kind === 'receive') return hop.kind !== 'queue' || hop.ts - last.ts > 1_000_000n || hop.ctx.softirq !== last.ctx.softirq;
  return false;
}

/** Collects every socket-buffer hop into journeys, plus TCP events and interrupt-context wakeups. */
export class SkbJourneyCollector implements KernelCollector {
  readonly journeys: SkbJourney[] = [];
  /** All hops, in time order. */
  readonly hops: SkbHop[] = [];
  readonly tcpEvents: TcpKernelEvent[] = [];
  /** sched_waking (or sched_wakeup) events raised in IRQ or softirq context. */
  readonly interruptWakings: Array<{ readonly tid: number; readonly event: EventRef; readonly ctx: ExecContext }> = [];
  private sawWaking = false;
  private readonly open = new Map<string, SkbJourney>();

  onEvent(ev: TraceEvent, role: EventRole | undefined, _syscall: SyscallName | null, tracker: ContextTracker): void {
    if (!role) return;
    if (role === 'sched_waking' || (role === 'sched_wakeup' && !this.sawWaking)) {
      if (role === 'sched_waking') this.sawWaking = true;
      const ctx = tracker.contextOf(ev);
      if (ctx.kind !== 'task') this.interruptWakings.push({ tid: fieldNumber(ev.payload.tid), event: eventRefOf(ev.ts, ev.name, ev.cpu, ctx.tid), ctx });
      return;
    }
    const kind = HOP_OF_ROLE[role];
    if (role === 'tcp_retransmit' || role === 'tcp_retransmit_synack' || role === 'tcp_send_reset' || role === 'tcp_receive_reset' || role === 'tcp_destroy_sock' || role === 'tcp_probe') {
      const ctx = tracker.contextOf(ev);
      this.tcpEvents.push({
        role,
        event: eventRefOf(ev.ts, ev.name, ev.cpu, ctx.tid),
        ctx,
        skb: ev.payload.skbaddr !== undefined ? addressText(ev.payload.skbaddr) : null,
        skaddr: ev.payload.skaddr !== undefined ? addressText(ev.payload.skaddr) : null,
        payload: ev.payload,
      });
    }
    if (!kind) return;
    const skb = addressText(ev.payload.skbaddr);
    if (!skb || skb === '0x0') return;
    const ctx = tracker.contextOf(ev);
    const len = ev.payload.len !== undefined ? fieldNumber(ev.payload.len) : null;
    const hop: SkbHop = {
      kind,
      ts: ev.ts,
      cpu: ev.cpu,
      skb,
      dev: kind === 'copy' || kind === 'consume' || kind === 'free' || kind === 'probe' ? null : devName(ev),
      len: len === null || Number.isNaN(len) ? null : len,
      ctx,
      event: eventRefOf(ev.ts, ev.name, ev.cpu, ctx.tid),
      journey: -1,
    };
    if (kind === 'xmit') (hop as { rc?: number }).rc = fieldNumber(ev.payload.rc);
    if (kind === 'free') {
      const r = ev.payload.reason;
      if (r !== undefined && r !== null) (hop as { reason?: string }).reason = String(r);
      if (ev.payload.location !== undefined) (hop as { location?: string }).location = addressText(ev.payload.location);
    }
    if (kind === 'probe') (hop as { skaddr?: string }).skaddr = addressText(ev.payload.skaddr);
    let j = this.open.get(skb);
    if (j) {
      const last = j.hops[j.hops.length - 1]!;
      // A buffer queued again after its xmit completed without a free is a new buffer.
      if (startsNewJourney(last, hop)) j = undefined;
    }
    if (!j) {
      // A consume/free/copy of an address never seen on a device is a buffer we do not follow.
      if (kind === 'consume' || kind === 'free' || kind === 'copy' || kind === 'probe') return;
      j = { id: this.journeys.length, skb, hops: [], frames: [] };
      this.journeys.push(j);
      this.open.set(skb, j);
    }
    hop.journey = j.id;
    j.hops.push(hop);
    this.hops.push(hop);
    if (kind === 'consume' || kind === 'free') this.open.delete(skb);
  }
}
