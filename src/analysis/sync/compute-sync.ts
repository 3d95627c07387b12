/**
 * Clock synchronisation of several hosts: match the TCP segments each host sent with
 * their receptions on the others (packet-matcher.ts), feed each host pair's matches to a
 * convex-hull synchroniser (convex-hull.ts), then tie the hosts together along a
 * spanning tree of the best pairs, rooted at the reference host, composing the pair
 * transforms along each tree path.
 *
 * Trace Compass roots its tree at the alphabetically first host and takes any path; we
 * root it at the host the user names (default: the first) and build the tree greedily
 * from the most precise pairs (accurate before approximate, then the narrowest slope
 * interval αmax − αmin), Jabbarifar's suggestion, since errors add up along a path.
 */
import { resolve } from 'node:path';
import { MinHeap } from '../../base/heap.js';
import { UsageError } from '../../base/errors.js';
import type { TraceCollection } from '../../ctf/index.js';
import type { TraceInfo } from '../../model/trace-event.js';
import { readCapturedSegments } from './capture-source.js';
import { compose, IDENTITY, inverse, type ClockTransform } from './clock-transform.js';
import { ConvexHullSync, offsetUncertainty, type HullState, type SyncQuality } from './convex-hull.js';
import { PacketMatcher, type MatcherStats, type PacketObservation } from './packet-matcher.js';
import { eventPacketIdentity, PACKET_EVENT_NAMES } from './packet-sources.js';
import { compare, div, ONE, neg, sub, toNumber, type Rational } from './rational.js';
import { clockHostId, type SyncHost } from './sync-hosts.js';

export interface SyncOptions {
  /** The reference host: its index or display name. Default: the first host. */
  readonly reference?: number | string;
}

/**
 * The synchronisation of one host pair. `a` is the hull's x axis: the host whose
 * `hostId` sorts first (as Trace Compass orders hosts), whatever the reference.
 */
export interface PairSync {
  readonly a: number;
  readonly b: number;
  readonly state: HullState;
  /** Moves host b's timestamps onto host a's clock (identity unless accurate/approximate/fail). */
  readonly bToA: ClockTransform;
  /** αmax − αmin (Trace Compass's "accuracy"); 0 until both lines exist. */
  readonly accuracy: Rational;
  /** Max distance, in ns, between the result and any line consistent with the matches, over the matched range; null unless accurate. */
  readonly uncertaintyNs: number | null;
}

export type HostQuality = SyncQuality | 'reference';

export interface HostSync {
  readonly index: number;
  readonly host: SyncHost;
  /** Moves this host's timestamps onto the reference host's clock. */
  readonly transform: ClockTransform;
  /**
   * `reference`; for a host reached through the tree the worst verdict on its path
   * (accurate or approximate); otherwise the best verdict of its pairs (incomplete,
   * fail or absent) — its transform is then the identity.
   */
  readonly quality: HostQuality;
  /** Hosts from the reference to this one along the tree (empty when not reached). */
  readonly path: readonly number[];
  /** Sum of the pair uncertainties along the path, ns; null when a pair has none. */
  readonly uncertaintyNs: number | null;
}

export interface SyncStats extends MatcherStats {
  readonly unmatchedSends: number;
  readonly unmatchedReceives: number;
  /** Packet observations per host. */
  readonly observations: readonly number[];
}

export interface SyncResult {
  /** Segments matched between two different hosts (what the hulls were fed). */
  readonly matches: number;
  readonly reference: number;
  readonly hosts: readonly HostSync[];
  /** Every pair with at least one match. */
  readonly pairs: readonly PairSync[];
  readonly stats: SyncStats;
  /** The transform of the host that owns the trace (by trace directory); identity for unknown traces. */
  transformFor(trace: TraceInfo | string): ClockTransform;
}

interface Cursor {
  obs: PacketObservation;
  readonly next: () => PacketObservation | null;
  readonly order: number;
}

function* eventObservations(collection: TraceCollection, trace: TraceInfo, host: number): Generator<PacketObservation> {
  for (const m of collection.traceMessages(trace)) {
    if (m.kind !== 'event' || !PACKET_EVENT_NAMES.has(m.name)) continue;
    const id = eventPacketIdentity(m);
    if (id) yield { host, ts: m.ts, direction: id.direction, keyClass: id.keyClass, key: id.key };
  }
}

function* captureObservations(host: SyncHost, index: number): Generator<PacketObservation> {
  const cap = host.capture!;
  for (const s of readCapturedSegments(cap.path, cap.pcapToTraceOffset, cap.localAddresses)) yield { host: index, ts: s.ts, direction: s.direction, keyClass: 'ip', key: s.key };
}

const QUALITY_RANK: Record<SyncQuality, number> = { accurate: 0, approximate: 1, fail: 2, incomplete: 3, absent: 4 };

/** Turns TraceCollections into hosts (traces grouped by hostname within each collection). */
function hostsOfCollections(inputs: readonly (SyncHost | TraceCollection)[]): SyncHost[] {
  const out: SyncHost[] = [];
  for (const input of inputs) {
    if (!('traceMessages' in input)) {
      out.push(input);
      continue;
    }
    const byHost = new Map<string, TraceInfo[]>();
    for (const t of input.traces) byHost.set(t.hostname, [...(byHost.get(t.hostname) ?? []), t]);
    for (const [hostname, traces] of byHost) out.push({ name: hostname, hostname, hostId: clockHostId(input, traces, hostname), input: traces[0]?.path ?? '', traces, collection: input, capture: null });
  }
  const seen = new Map<string, number>();
  return out.map((h) => {
    const n = (seen.get(h.name) ?? 0) + 1;
    seen.set(h.name, n);
    return n > 1 ? { ...h, name: `${h.name}#${n}` } : h;
  });
}

function referenceIndex(hosts: readonly SyncHost[], ref: number | string | undefined): number {
  if (ref === undefined) return 0;
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref < 0 || ref >= hosts.length) throw new UsageError(`sync: no host ${ref} (there are ${hosts.length})`);
    return ref;
  }
  const i = hosts.findIndex((h) => h.name === ref || h.hostname === ref || h.input === ref);
  if (i < 0) throw new UsageError(`sync: no host named '${ref}' (hosts: ${hosts.map((h) => h.name).join(', ')})`);
  return i;
}

/**
 * Synchronises the clocks of `inputs` (hosts from openSyncHosts, or TraceCollections
 * whose traces are grouped by hostname). Reads every trace's packet events and every
 * capture once, in time order. Throws UsageError for a bad reference and the readers'
 * FormatError for damaged input (after the data before the damage was used).
 */
export function computeSync(inputs: readonly (SyncHost | TraceCollection)[], options: SyncOptions = {}): SyncResult {
  const hosts = hostsOfCollections(inputs);
  const n = hosts.length;
  const reference = referenceIndex(hosts, options.reference);
  const hulls = new Map<number, ConvexHullSync>();
  const observations = new Array<number>(n).fill(0);
  // The hull's axis order comes from the hosts' ids, not from the argument order.
  const precedes = (i: number, j: number) => (hosts[i]!.hostId !== hosts[j]!.hostId ? hosts[i]!.hostId < hosts[j]!.hostId : i < j);
  const matcher = new PacketMatcher(n, (m) => {
    const [a, b] = precedes(m.sender, m.receiver) ? [m.sender, m.receiver] : [m.receiver, m.sender];
    let hull = hulls.get(a * n + b);
    if (!hull) hulls.set(a * n + b, (hull = new ConvexHullSync()));
    hull.addMatch(m.sender === a, m.sendTs, m.recvTs);
  });

  // Merge every host's observation streams by (unsynchronised) time, ties by stream order.
  const heap = new MinHeap<Cursor>((x, y) => (x.obs.ts !== y.obs.ts ? x.obs.ts < y.obs.ts : x.order < y.order));
  let order = 0;
  const addStream = (gen: Generator<PacketObservation>) => {
    const next = (): PacketObservation | null => {
      const r = gen.next();
      return r.done ? null : r.value;
    };
    const first = next();
    if (first) heap.push({ obs: first, next, order: order++ });
  };
  hosts.forEach((h, i) => {
    if (h.collection) for (const t of h.traces) addStream(eventObservations(h.collection, t, i));
    if (h.capture) addStream(captureObservations(h, i));
  });
  while (heap.size > 0) {
    const top = heap.pop()!;
    observations[top.obs.host]!++;
    matcher.observe(top.obs);
    const nxt = top.next();
    if (nxt) {
      top.obs = nxt;
      heap.push(top);
    }
  }

  const pairs: PairSync[] = [...hulls.entries()]
    .sort(([x], [y]) => x - y)
    .map(([k, hull]) => {
      const state = hull.state();
      const usable = state.quality === 'accurate' || state.quality === 'approximate' || state.quality === 'fail';
      // y = α·x + β maps a's clock to b's; b onto a is x = (y − β)/α.
      const bToA: ClockTransform = usable ? { slope: div(ONE, state.alpha), offset: neg(div(state.beta, state.alpha)) } : IDENTITY;
      const u = offsetUncertainty(state);
      return { a: Math.floor(k / n), b: k % n, state, bToA, accuracy: sub(state.alphaMax, state.alphaMin), uncertaintyNs: u === null ? null : toNumber(u) };
    });

  const hostResults = spanningTree(hosts, pairs, reference);
  const byTracePath = new Map<string, ClockTransform>();
  for (const hr of hostResults) for (const t of hr.host.traces) byTracePath.set(resolve(t.path), hr.transform);
  const unmatched = matcher.unmatched();
  return {
    matches: pairs.reduce((s, p) => s + p.state.matches, 0),
    reference,
    hosts: hostResults,
    pairs,
    stats: { ...matcher.stats, unmatchedSends: unmatched.sends, unmatchedReceives: unmatched.receives, observations },
    transformFor: (trace) => byTracePath.get(resolve(typeof trace === 'string' ? trace : trace.path)) ?? IDENTITY,
  };
}

/** Prim's algorithm from the reference over the usable pairs, best pairs first. */
function spanningTree(hosts: readonly SyncHost[], pairs: readonly PairSync[], reference: number): HostSync[] {
  const n = hosts.length;
  const usable = pairs.filter((p) => p.state.quality === 'accurate' || p.state.quality === 'approximate');
  const better = (x: PairSync, y: PairSync): boolean => {
    const qx = QUALITY_RANK[x.state.quality];
    const qy = QUALITY_RANK[y.state.quality];
    if (qx !== qy) return qx < qy;
    const c = compare(x.accuracy, y.accuracy);
    if (c !== 0) return c < 0;
    return x.state.matches > y.state.matches;
  };
  const transform = new Array<ClockTransform | null>(n).fill(null);
  const path = new Array<number[]>(n).fill([]);
  const quality = new Array<HostQuality>(n).fill('absent');
  const uncertainty = new Array<number | null>(n).fill(null);
  transform[reference] = IDENTITY;
  path[reference] = [reference];
  quality[reference] = 'reference';
  uncertainty[reference] = 0;
  for (;;) {
    let best: PairSync | null = null;
    for (const p of usable) {
      const inA = transform[p.a] !== null;
      const inB = transform[p.b] !== null;
      if (inA === inB) continue;
      if (best === null || better(p, best)) best = p;
    }
    if (!best) break;
    const [from, to] = transform[best.a] !== null ? [best.a, best.b] : [best.b, best.a];
    // The edge moves `to`'s time onto `from`'s; then `from`'s transform goes on to the reference.
    const edge = to === best.b ? best.bToA : inverse(best.bToA);
    transform[to] = compose(transform[from]!, edge);
    path[to] = [...path[from]!, to];
    const q = best.state.quality as SyncQuality;
    const fromQ = quality[from]!;
    quality[to] = fromQ === 'reference' ? q : QUALITY_RANK[q] > QUALITY_RANK[fromQ as SyncQuality] ? q : fromQ;
    const prevU = uncertainty[from];
    uncertainty[to] = prevU === null || prevU === undefined || best.uncertaintyNs === null ? null : prevU + best.uncertaintyNs;
  }
  return hosts.map((host, i) => {
    if (transform[i] !== null) return { index: i, host, transform: transform[i]!, quality: quality[i]!, path: path[i]!, uncertaintyNs: uncertainty[i] ?? null };
    // Not reached: report the best verdict any of its pairs got.
    let q: SyncQuality = 'absent';
    for (const p of pairs) if ((p.a === i || p.b === i) && QUALITY_RANK[p.state.quality] < QUALITY_RANK[q]) q = p.state.quality;
    return { index: i, host, transform: IDENTITY, quality: q, path: [], uncertaintyNs: null };
  });
}
