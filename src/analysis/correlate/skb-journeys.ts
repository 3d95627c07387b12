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
 *
 * A busy trace holds hundreds of thousands of hops: each is one small object whose
 * strings (buffer address, device, event name) are shared, and whose EventRef is made
 * only when something cites it.
 */
import { fieldNumber, type FieldMap, type TraceEvent } from '../../model/trace-event.js';
import { eventEndpoints, sockaddrEndpoint } from '../fds/addresses.js';
import { EventKind } from '../kernel/vocabulary.js';
import type { ContextView, ExecContext, KernelCollector } from './context.js';
import { captureEndpoint } from './endpoints.js';
import { eventRefOf, type Endpoint, type EventRef, type HopKind, type SkbHop, type SkbJourney } from './types.js';

const JOURNEY_IDLE_NS = 2_000_000_000n;
/** A received buffer may wait in a socket's queue until the application reads it. */
const QUEUED_IDLE_NS = 120_000_000_000n;

/** The hop each socket-buffer event kind makes. */
const HOP_OF_KIND = new Map<EventKind, HopKind>([
  [EventKind.NET_DEV_QUEUE, 'queue'],
  [EventKind.NET_DEV_XMIT, 'xmit'],
  [EventKind.NET_RX, 'rx'],
  [EventKind.NET_GRO_RECEIVE, 'gro'],
  [EventKind.NET_RECEIVE, 'receive'],
  [EventKind.SKB_CONSUME, 'consume'],
  [EventKind.SKB_FREE, 'free'],
  [EventKind.SKB_COPY_DATAGRAM, 'copy'],
  [EventKind.TCP_PROBE, 'probe'],
]);

/**
 * TCP-level events and the role names the correlation gives them. (tcp_probe is a hop of
 * its buffer's journey instead: it is about that one segment.)
 */
export type TcpEventRole = 'tcp_retransmit' | 'tcp_retransmit_synack' | 'tcp_send_reset' | 'tcp_receive_reset' | 'tcp_destroy_sock';

const TCP_ROLE_OF_KIND = new Map<EventKind, TcpEventRole>([
  [EventKind.TCP_RETRANSMIT, 'tcp_retransmit'],
  [EventKind.TCP_RETRANSMIT_SYNACK, 'tcp_retransmit_synack'],
  [EventKind.TCP_SEND_RESET, 'tcp_send_reset'],
  [EventKind.TCP_RECEIVE_RESET, 'tcp_receive_reset'],
  [EventKind.TCP_DESTROY_SOCK, 'tcp_destroy_sock'],
]);

/** A TCP-level kernel event (retransmission, reset, socket destroyed) with its context and 4-tuple. */
export class TcpKernelEvent {
  private ref: EventRef | null = null;
  constructor(
    readonly role: TcpEventRole,
    readonly ts: bigint,
    private readonly name: string,
    readonly cpu: number | null,
    readonly ctx: ExecContext,
    readonly skb: string | null,
    readonly skaddr: string | null,
    /** The socket's own end and its peer, when the event says (null otherwise). */
    readonly local: Endpoint | null,
    readonly remote: Endpoint | null,
  ) {}

  /** The event, cited (one object per event: identity is its key). */
  get event(): EventRef {
    return (this.ref ??= eventRefOf(this.ts, this.name, this.cpu, this.ctx.tid));
  }
}

/** One hop: see SkbHop. Its EventRef is built on first use. */
class Hop implements SkbHop {
  journey = -1;
  rc?: number;
  reason?: string;
  location?: string;
  skaddr?: string;
  private ref: EventRef | null = null;
  constructor(
    readonly kind: HopKind,
    readonly ts: bigint,
    readonly cpu: number | null,
    readonly skb: string,
    readonly dev: string | null,
    readonly len: number | null,
    readonly ctx: ExecContext,
    private readonly name: string,
  ) {}

  get event(): EventRef {
    return (this.ref ??= eventRefOf(this.ts, this.name, this.cpu, this.ctx.tid));
  }
}

const HEX = new Map<bigint | number, string>();

/** Hex text of a kernel address field (`0xffff8881…`), or '' when absent; shared strings. */
export function addressText(v: unknown): string {
  if (typeof v === 'bigint' || typeof v === 'number') {
    let s = HEX.get(v);
    if (s === undefined) {
      s = `0x${v.toString(16)}`;
      // Buffer and socket addresses recur (the allocator reuses them): keep a bounded cache.
      if (HEX.size > 1 << 16) HEX.clear();
      HEX.set(v, s);
    }
    return s;
  }
  if (v === undefined || v === null) return '';
  const key = String(v);
  if (!/^\d+$/.test(key)) return key;
  return `0x${BigInt(key).toString(16)}`;
}

/** The 4-tuple a TCP event carries: address fields (tcp_retransmit_skb…) or sockaddr copies (tcp_probe, tcp_send_reset). */
function tcpEndpoints(p: FieldMap): [Endpoint | null, Endpoint | null] {
  const eps = eventEndpoints(p);
  if (eps) return [captureEndpoint(eps.local), captureEndpoint(eps.remote)];
  return [captureEndpoint(sockaddrEndpoint(p.saddr)), captureEndpoint(sockaddrEndpoint(p.daddr))];
}

/** How long a journey whose last hop is `last` stays open without news. */
function idleOf(last: SkbHop): bigint {
  return last.kind === 'receive' || last.kind === 'probe' ? QUEUED_IDLE_NS : JOURNEY_IDLE_NS;
}

/**
 * Whether `hop` on an address whose open journey ended with `last` belongs to a new
 * buffer. TCP frees most received buffers without a tracepoint (`__kfree_skb` after the
 * copy to user space), so "arrived at its socket" ends a journey as surely as a free.
 */
function startsNewJourney(last: SkbHop, hop: SkbHop): boolean {
  if (hop.ts - last.ts > idleOf(last)) return true;
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
  private readonly devices = new Map<string, string>();

  private device(ev: TraceEvent): string | null {
    const n = ev.payload.name ?? ev.payload.dev_name;
    if (typeof n !== 'string') return null;
    // One string per device name, whatever the decoder hands out per event.
    let d = this.devices.get(n);
    if (d === undefined) this.devices.set(n, (d = n));
    return d;
  }

  onEvent(ev: TraceEvent, eventKind: EventKind, view: ContextView): void {
    if (eventKind === EventKind.SCHED_WAKING || (eventKind === EventKind.SCHED_WAKEUP && !this.sawWaking)) {
      if (eventKind === EventKind.SCHED_WAKING) this.sawWaking = true;
      const ctx = view.context();
      if (ctx.kind !== 'task') this.interruptWakings.push({ tid: fieldNumber(ev.payload.tid), event: eventRefOf(ev.ts, ev.name, ev.cpu, ctx.tid), ctx });
      return;
    }
    const p = ev.payload;
    const role = TCP_ROLE_OF_KIND.get(eventKind);
    if (role) {
      const [local, remote] = tcpEndpoints(p);
      this.tcpEvents.push(new TcpKernelEvent(role, ev.ts, ev.name, ev.cpu, view.context(), p.skbaddr !== undefined ? addressText(p.skbaddr) : null, p.skaddr !== undefined ? addressText(p.skaddr) : null, local, remote));
    }
    const kind = HOP_OF_KIND.get(eventKind);
    if (!kind) return;
    const skb = addressText(p.skbaddr);
    if (!skb || skb === '0x0') return;
    const follower = kind === 'consume' || kind === 'free' || kind === 'copy' || kind === 'probe';
    let j = this.open.get(skb);
    // A consume/free/copy of an address never seen on a device is a buffer we do not follow.
    if (follower && (!j || ev.ts - j.hops[j.hops.length - 1]!.ts > idleOf(j.hops[j.hops.length - 1]!))) return;
    const len = p.len !== undefined ? fieldNumber(p.len) : null;
    const hop = new Hop(kind, ev.ts, ev.cpu, skb, follower ? null : this.device(ev), len === null || Number.isNaN(len) ? null : len, view.context(), ev.name);
    if (kind === 'xmit') hop.rc = fieldNumber(p.rc);
    else if (kind === 'free') {
      const r = p.reason;
      if (r !== undefined && r !== null) hop.reason = String(r);
      if (p.location !== undefined) hop.location = addressText(p.location);
    } else if (kind === 'probe') hop.skaddr = addressText(p.skaddr);
    // A buffer queued again after its xmit completed without a free is a new buffer.
    if (j && startsNewJourney(j.hops[j.hops.length - 1]!, hop)) j = undefined;
    if (!j) {
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
