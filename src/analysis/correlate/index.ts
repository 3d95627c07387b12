/**
 * Packet ↔ kernel correlation of a dataset, and the kernel pass it shares with the
 * wakeup chains and the kernel analysis's model.
 *
 * ```ts
 * const ds = openDataset(['bundle-dir']);
 * const { correlation, wakeups } = analyzeDataset(ds);
 * const fc = correlation.frames.get(5);       // frame #5
 * fc.anchor?.event;                             // net_dev_queue / net_if_receive_skb
 * fc.origin;                                    // sendto(4) by ncat, or softirq NET_RX…
 * fc.owner;                                     // { pid, comm, fd, how }
 * correlation.eventFrames.get(eventKey(ref));   // frames of a kernel event
 * ```
 */
import type { Dataset } from '../../bundle/types.js';
import type { KernelModel } from '../kernel/index.js';
import { BlockedIntervalCollector } from '../wakeup/blocked-intervals.js';
import { explainWakeups } from '../wakeup/chains.js';
import type { WakeupChain } from '../wakeup/types.js';
import { ByContext } from './by-context.js';
import type { ThreadInfo } from './context.js';
import { EventKind, tracedKinds } from './event-names.js';
import { matchFrames } from './frame-matcher.js';
import { FrameSide, type FrameSideIndexes } from './frame-side.js';
import { runKernelPass } from './kernel-pass.js';
import { collectDrops, frameReason, inferDirections, linkRetransmissions, pruneForeignCopies, unmatchedAnchors } from './post-match.js';
import { SkbJourneyCollector } from './skb-journeys.js';
import { SocketView } from './sockets.js';
import { SyscallLog } from './syscall-log.js';
import { eventKey, type Correlation, type DropRecord, type EventRef, type SkbHop, type UnmatchedEvent } from './types.js';

export * from './types.js';
export type { ExecContext, IrqInstance, SoftirqInstance, SoftirqRaiser, SyscallInProgress, ThreadInfo } from './context.js';
export { softirqName, tcpStateName, SOFTIRQ_NET_RX } from './event-names.js';
export { originOf, ownerAt } from './frame-side.js';
export { endpointText } from './endpoints.js';
export type { SubjectActivity, SyscallLog, SyscallRecord } from './syscall-log.js';

/** Everything the one kernel pass and the matching produce. */
export interface DatasetAnalysis {
  readonly dataset: Dataset;
  readonly correlation: Correlation;
  /** Blocked intervals of wait-type syscalls that ended, with their wakeup and its cause. */
  readonly wakeups: readonly WakeupChain[];
  /** Threads seen: tid → pid, comm. */
  readonly threads: ReadonlyMap<number, ThreadInfo>;
  /** Every socket-buffer event, in time order. */
  readonly hops: readonly SkbHop[];
  /** Counts of the kernel pass, or null without a kernel trace. */
  readonly trace: { readonly events: number; readonly discarded: number; readonly firstTs: bigint | null; readonly lastTs: bigint | null } | null;
  /**
   * The kernel analysis's model, built on the same pass (threads, CPUs, IRQs, wakeups; fd
   * tables in `kernelModel.fds`), or null without a single kernel trace.
   */
  readonly kernelModel: KernelModel | null;
  /** Every system call, exec and exit of the trace (a story's subject reads its own here). */
  readonly syscalls: SyscallLog | null;
}

/** Whether the trace declares events of `kind` (was it enabled?). */
function traces(ds: Dataset, kind: EventKind): boolean {
  return tracedKinds(ds.kernelEventNames).has(kind);
}

/** Device names of each namespace (bundle table). */
function devicesByNetns(ds: Dataset): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const ns of ds.netns) m.set(ns.name, new Set(ns.interfaces.map((i) => i.name)));
  return m;
}

/**
 * Runs the kernel pass (sockets, socket buffers, blocked intervals) and matches every
 * frame of the capture to its kernel events. Works with a kernel trace alone (no frames:
 * the sockets, journeys and wakeups remain) and with a capture alone (every frame
 * unmatched, with the reason).
 */
export function analyzeDataset(ds: Dataset): DatasetAnalysis {
  const journeys = new SkbJourneyCollector();
  const sockets = new SocketView();
  const blocked = new BlockedIntervalCollector();
  const syscalls = new SyscallLog();
  const scan = ds.kernel ? runKernelPass(ds.kernel, [journeys, sockets, blocked, syscalls]) : null;
  const notes: string[] = [];

  const devices = devicesByNetns(ds);
  const slack = BigInt(Math.max(50_000, ds.clockUncertaintyNs * 2 + 20_000));
  const socketList = sockets.result();
  const inferred = inferDirections(ds.frames, socketList);
  const match = matchFrames(ds.frames, journeys.hops, (ns) => (ns ? (devices.get(ns) ?? null) : null), { slackNs: slack, maxDelayNs: 50_000_000n }, inferred);
  pruneForeignCopies(journeys.journeys, match, ds, sockets);

  // Indexes by execution context (softirq run, IRQ run, or thread + syscall), for the
  // frames' kernel side, described on demand.
  const changesByCtx: FrameSideIndexes['changesByCtx'] = new ByContext();
  for (const c of sockets.changes) changesByCtx.add(c.ctx.key, c);
  changesByCtx.sort();
  const tcpByCtx: FrameSideIndexes['tcpByCtx'] = new ByContext();
  for (const t of journeys.tcpEvents) tcpByCtx.add(t.ctx.key, t);
  tcpByCtx.sort();
  const anchorsByCtx = new ByContext<SkbHop>();
  for (const h of match.anchors) anchorsByCtx.add(h.ctx.key, h);
  anchorsByCtx.sort();
  const wakingsBySoftirq: FrameSideIndexes['wakingsBySoftirq'] = new ByContext();
  for (const w of journeys.interruptWakings) if (w.ctx.softirq) wakingsBySoftirq.add(`s${w.ctx.softirq.id}`, { ts: w.event.ts, tid: w.tid, event: w.event });
  wakingsBySoftirq.sort();
  const retransmitEvents = new Map<number, EventRef[]>();
  const ix: FrameSideIndexes = { frames: ds.frames, changesByCtx, tcpByCtx, anchorsByCtx, wakingsBySoftirq, sockets, retransmitEvents };

  const frames = new Map<number, FrameSide>();
  const frameOfHop = new Map<SkbHop, number>();
  for (const f of ds.frames) {
    const hop = match.matches.get(f.number) ?? null;
    const journey = hop ? (journeys.journeys[hop.journey] ?? null) : null;
    journey?.frames.push(f.number);
    if (hop) frameOfHop.set(hop, f.number);
    frames.set(f.number, new FrameSide(f.number, hop, journey, ix));
  }

  // Unmatched frames and events, with the reason.
  const traceFirst = scan?.firstTs ?? null;
  const traceLast = scan?.lastTs ?? null;
  const unmatchedFrames: Array<{ frame: number; reason: string }> = [];
  for (const f of ds.frames) {
    const fc = frames.get(f.number)!;
    if (fc.matched) continue;
    fc.reason = frameReason(f, ds, match, traceFirst, traceLast, scan?.discarded ?? 0);
    unmatchedFrames.push({ frame: f.number, reason: fc.reason });
  }
  const retransmissions = linkRetransmissions(journeys.tcpEvents, frameOfHop, ds, sockets, anchorsByCtx, retransmitEvents);
  // What only listings and statistics read is worked out when they ask.
  let unmatchedEvents: UnmatchedEvent[] | null = null;
  const unmatched = () => (unmatchedEvents ??= ds.frames.length || ds.capturePath ? unmatchedAnchors(ds, match, devices, journeys.journeys) : []);
  let drops: DropRecord[] | null = null;

  // event → frames is for the UI's highlighting: built on first use.
  let eventFrames: Map<string, number[]> | null = null;
  const buildEventFrames = (): Map<string, number[]> => {
    if (eventFrames) return eventFrames;
    eventFrames = new Map();
    for (const fc of frames.values()) {
      for (const e of fc.events) {
        const k = eventKey(e);
        const l = eventFrames.get(k);
        if (l) l.push(fc.frame);
        else eventFrames.set(k, [fc.frame]);
      }
    }
    return eventFrames;
  };

  if (!ds.kernel) notes.push('no kernel trace: frames cannot be tied to kernel events');
  if (!ds.capturePath) notes.push('no capture: kernel packet events cannot be tied to frames');
  if (ds.kernel && !match.sendKind) notes.push('no net_dev_queue/net_dev_xmit events: sent packets cannot be tied to the kernel (enable net_dev_queue, net_dev_xmit)');
  if (ds.kernel && !match.receiveKind) notes.push('no net_if_receive_skb/netif_rx events: received packets cannot be tied to the kernel (enable net_if_receive_skb, netif_rx)');
  if (ds.kernel && !traces(ds, EventKind.INET_SOCK_SET_STATE)) notes.push('no inet_sock_set_state events: TCP state changes and socket 4-tuples come only from the state dump and syscalls (enable sock:inet_sock_set_state)');
  if (scan?.damage && !ds.damage.includes(scan.damage)) ds.damage.push(scan.damage);
  for (const d of ds.damage) notes.push(`damaged input, read up to the damage: ${d}`);
  if (scan && scan.discarded) notes.push(`the tracer lost ${scan.discarded} events: some frames or wakeups may lack their kernel side`);
  if (ds.bundle?.capture.dropped) notes.push(`the capture dropped ${ds.bundle.capture.dropped} packets`);

  const tcpFrames = ds.frames.filter((f) => f.transport === 'tcp');
  const correlation: Correlation = {
    frames,
    get eventFrames() {
      return buildEventFrames();
    },
    unmatchedFrames,
    get unmatchedEvents() {
      return unmatched();
    },
    journeys: journeys.journeys,
    sockets: socketList,
    retransmissions,
    get drops() {
      return (drops ??= collectDrops(journeys.journeys, ds.bundle?.host.kernel_release ?? null));
    },
    softirqs: scan?.view.softirqs ?? [],
    irqs: scan?.view.irqs ?? [],
    stats: {
      frames: ds.frames.length,
      framesMatched: ds.frames.length - unmatchedFrames.length,
      tcpFrames: tcpFrames.length,
      tcpFramesMatched: tcpFrames.filter((f) => match.matches.has(f.number)).length,
      deviceEvents: match.anchors.length,
      get deviceEventsMatched() {
        return match.anchors.length - unmatched().length;
      },
    },
    notes,
    socketOfFdAt: (pid, fd, ts) => sockets.socketOfFdAt(pid, fd, ts),
  };
  let wakeups: WakeupChain[] | null = null;
  return {
    dataset: ds,
    correlation,
    get wakeups() {
      return (wakeups ??= explainWakeups(blocked.intervals, correlation, journeys.hops));
    },
    threads: scan?.threads ?? new Map(),
    hops: journeys.hops,
    trace: scan ? { events: scan.events, discarded: scan.discarded, firstTs: scan.firstTs, lastTs: scan.lastTs } : null,
    kernelModel: scan?.model ?? null,
    syscalls: scan ? syscalls : null,
  };
}

/** The correlation alone (see analyzeDataset). */
export function correlate(ds: Dataset): Correlation {
  return analyzeDataset(ds).correlation;
}
