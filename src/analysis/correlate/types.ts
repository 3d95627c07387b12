/**
 * The packet ↔ kernel correlation's result, shared with the story builder and the UI
 * (which highlights, for a selected frame, the kernel events that produced or received
 * it, and for a selected event, its frames).
 */
import type { ExecContext, IrqInstance, SoftirqInstance } from './context.js';

/** A kernel event cited by a correlation or a story step. */
export interface EventRef {
  readonly ts: bigint;
  /** Event name as in the trace (`net_dev_queue`, `syscall_exit_accept4`…). */
  readonly name: string;
  readonly cpu: number | null;
  readonly tid?: number;
}

/** A stable key of an event (time, CPU, name): the key of `Correlation.eventFrames`. */
export function eventKey(e: EventRef): string {
  return `${e.ts}/${e.cpu ?? '-'}/${e.name}`;
}

/** An EventRef (the tid only when known). */
export function eventRefOf(ts: bigint, name: string, cpu: number | null, tid: number | null | undefined): EventRef {
  return tid === null || tid === undefined ? { ts, name, cpu } : { ts, name, cpu, tid };
}

/**
 * A kernel event kept by what names it (time, class name, CPU, task); its EventRef is
 * made on first use — a busy trace holds hundreds of thousands of events nobody cites.
 * One object per event: `event` always returns the same EventRef.
 */
export class LazyEventRef {
  private ref: EventRef | null = null;
  constructor(
    readonly ts: bigint,
    private readonly refName: string,
    private readonly refCpu: number | null,
    private readonly refTid: number | null,
  ) {}
  get event(): EventRef {
    return (this.ref ??= eventRefOf(this.ts, this.refName, this.refCpu, this.refTid));
  }
}

export type HopKind = 'queue' | 'xmit' | 'rx' | 'gro' | 'receive' | 'consume' | 'free' | 'copy' | 'probe';

/** One kernel event on a socket buffer's way (net_dev_queue, net_if_receive_skb, skb_consume…). */
export interface SkbHop {
  readonly kind: HopKind;
  readonly ts: bigint;
  readonly cpu: number | null;
  /** Kernel address of the sk_buff, hex. */
  readonly skb: string;
  /** Device name (net_* events), or null. */
  readonly dev: string | null;
  /** Length the event reports (bytes), or null. */
  readonly len: number | null;
  readonly ctx: ExecContext;
  readonly event: EventRef;
  /** net_dev_xmit's return code. */
  readonly rc?: number;
  /** skb_kfree's drop reason (number or name as traced) and location. */
  readonly reason?: string;
  readonly location?: string;
  /** tcp_probe: the socket (hex address). */
  readonly skaddr?: string;
  /** Index of the journey the hop belongs to. */
  journey: number;
}

/** The life of one sk_buff: its hops in time order, from creation/queueing to its free. */
export interface SkbJourney {
  readonly id: number;
  readonly skb: string;
  readonly hops: SkbHop[];
  /** Frames matched to one of its hops (both captures of a veth crossing, for instance). */
  readonly frames: number[];
}

/** An IP endpoint. */
export interface Endpoint {
  readonly addr: string;
  readonly port: number;
}

/** A TCP state change (inet_sock_set_state) of a socket. */
export interface SocketStateChange {
  readonly ts: bigint;
  readonly from: number;
  readonly to: number;
  readonly event: EventRef;
  readonly ctx: ExecContext;
}

/** A file descriptor of a process naming a socket, over an interval. */
export interface FdBinding {
  readonly pid: number;
  readonly fd: number;
  readonly comm: string | null;
  readonly from: bigint;
  to: bigint | null;
  /** How tracewire learnt it: `socket`, `accept`, `listen`, `connect`, `io` (sock_send/recv_length), `statedump`, `inherited`, `dup`. */
  readonly how: string;
  readonly event: EventRef | null;
}

/** A socket as the kernel events show it. */
export interface SocketRecord {
  readonly id: number;
  /** Kernel address of the struct sock (hex), when an event named it. */
  skaddr: string | null;
  /** AF_INET 2, AF_INET6 10, AF_UNIX 1, … (0 unknown). */
  family: number;
  /** `tcp`, `udp`, `unix`, `raw`, `other`. */
  protocol: string;
  local: Endpoint | null;
  remote: Endpoint | null;
  /** TCP state now (last change), -1 unknown. */
  state: number;
  readonly states: SocketStateChange[];
  /** Socket id of the listening socket this one was accepted from. */
  listener: number | null;
  /** When accept() returned it. */
  acceptedTs: bigint | null;
  readonly owners: FdBinding[];
  /** /proc inode (state dump), when known. */
  inode: number | null;
  firstTs: bigint;
  lastTs: bigint;
  /** Events naming this socket (state changes, resets, destroy, syscalls). */
  readonly events: EventRef[];
  /** How many (without building them). */
  readonly eventCount: number;
}

/** Who a packet is attributed to. */
export interface PacketOwner {
  readonly pid: number;
  readonly comm: string | null;
  readonly fd: number;
  readonly socketId: number;
  /** How the attribution was made (`socket 4-tuple`, `listening socket`, `skb read by recvfrom`…). */
  readonly how: string;
}

/** Where a sent packet came from. */
export type PacketOrigin =
  | { readonly kind: 'syscall'; readonly syscall: string; readonly fd: number | null; readonly tid: number | null; readonly pid: number | null; readonly comm: string | null; readonly entryTs: bigint }
  | { readonly kind: 'softirq'; readonly softirq: SoftirqInstance }
  | { readonly kind: 'irq'; readonly irq: IrqInstance }
  | { readonly kind: 'task'; readonly tid: number | null; readonly pid: number | null; readonly comm: string | null };

/** Everything the correlation knows about one frame (worked out when first read). */
export interface FrameCorrelation {
  readonly frame: number;
  /** True when a kernel event of the capture point was found. */
  readonly matched: boolean;
  /** Why not, when not matched. */
  readonly reason: string | null;
  /** net_dev_queue (sent) or net_if_receive_skb (received) matching the capture point. */
  readonly anchor: SkbHop | null;
  readonly journey: SkbJourney | null;
  /** frame time − anchor time (ns). */
  readonly delayNs: bigint | null;
  /**
   * What produced the packet: for a sent frame its net_dev_queue's context; for a received
   * frame of a veth/loopback crossing, the sender's (the same buffer was queued there).
   */
  readonly origin: PacketOrigin | null;
  /** Received frames: the hard IRQ that raised NET_RX (none on loopback/veth). */
  readonly irq: IrqInstance | null;
  /** The softirq the packet was produced or processed in (NET_RX for received frames). */
  readonly softirq: SoftirqInstance | null;
  /** TCP state changes the packet caused (received) or accompanied (sent), in the same context. */
  readonly stateChanges: ReadonlyArray<{ readonly socketId: number; readonly change: SocketStateChange }>;
  /** tcp_retransmit_skb / tcp_send_reset / tcp_receive_reset / tcp_probe events about it. */
  readonly tcpEvents: readonly EventRef[];
  /** The socket it belongs to (sent from / reached), when known. */
  readonly socketId: number | null;
  readonly owner: PacketOwner | null;
  /** Threads woken in the softirq right after this packet was processed (tid list). */
  readonly woke: ReadonlyArray<{ readonly tid: number; readonly event: EventRef }>;
  /** Other frames of the same sk_buff crossing (the other end of a veth pair, the other loopback copy). */
  readonly sameSkbFrames: readonly number[];
  /** Every kernel event cited, for highlighting. */
  readonly events: readonly EventRef[];
}

/** A kernel event the capture should have shown but did not (or vice versa). */
export interface UnmatchedEvent {
  readonly event: EventRef;
  readonly dev: string | null;
  readonly len: number | null;
  readonly reason: string;
}

/** A retransmission the kernel reported (tcp_retransmit_skb / tcp_retransmit_synack). */
export interface RetransmitRecord {
  readonly event: EventRef;
  readonly socketId: number | null;
  readonly local: Endpoint | null;
  readonly remote: Endpoint | null;
  /** The frame of the retransmitted segment, when captured. */
  frame: number | null;
  readonly ctx: ExecContext;
}

/** A packet the kernel dropped (skb_kfree with a drop reason) after it was captured or queued. */
export interface DropRecord {
  readonly event: EventRef;
  readonly reason: string;
  readonly frames: number[];
}

export interface CorrelationStats {
  readonly frames: number;
  readonly framesMatched: number;
  readonly tcpFrames: number;
  readonly tcpFramesMatched: number;
  /** net_dev_queue + net_if_receive_skb events, and how many a frame shows (its own, or the same packet's other copy). */
  readonly deviceEvents: number;
  readonly deviceEventsMatched: number;
}

/** The correlation of a dataset. */
export interface Correlation {
  /** Per frame number (every frame of the capture has an entry). */
  readonly frames: ReadonlyMap<number, FrameCorrelation>;
  /** eventKey(event) → frames the event is about. */
  readonly eventFrames: ReadonlyMap<string, readonly number[]>;
  readonly unmatchedFrames: ReadonlyArray<{ readonly frame: number; readonly reason: string }>;
  readonly unmatchedEvents: readonly UnmatchedEvent[];
  readonly journeys: readonly SkbJourney[];
  readonly sockets: readonly SocketRecord[];
  readonly retransmissions: readonly RetransmitRecord[];
  readonly drops: readonly DropRecord[];
  readonly softirqs: readonly SoftirqInstance[];
  readonly irqs: readonly IrqInstance[];
  readonly stats: CorrelationStats;
  /** Why correlation is partial or impossible (no trace, no capture, events not enabled). */
  readonly notes: readonly string[];
  /** The socket fd `fd` of process `pid` named at `ts` (an fd number is reused: the binding open then). */
  socketOfFdAt(pid: number, fd: number, ts: bigint): SocketRecord | null;
}
