/**
 * Matching captured frames to the kernel events of their capture point.
 *
 * A sent frame is captured in `dev_hard_start_xmit`, between `net_dev_queue` and
 * `net_dev_xmit` of its sk_buff; a received frame right after `netif_receive_skb`. So each
 * frame is matched to the `net_dev_queue` (sent) or `net_if_receive_skb` (received) event
 * on the same device, with a compatible length (the device event counts the link header
 * on transmit, not on receive), closest in time to the usual capture delay — frames and
 * events are on one clock in a bundle. Each event is used once; frames are taken in time
 * order, so equal-length packets a few microseconds apart keep their order.
 */
import type { DatasetFrame } from '../../bundle/types.js';
import type { HopKind, SkbHop } from './types.js';

/** Link header lengths a device event may count on top of the network header (none, Ethernet, VLAN). */
const LINK_HEADERS = [0, 14, 18];

export interface MatchOptions {
  /** Half-width of the clock uncertainty between capture and trace (ns). */
  readonly slackNs: bigint;
  /** Longest capture delay accepted after the kernel event (ns). */
  readonly maxDelayNs: bigint;
}

export const DEFAULT_MATCH: MatchOptions = { slackNs: 50_000n, maxDelayNs: 50_000_000n };

/**
 * Skips used entries of a sorted list in O(α) with path-compressed "next free" links in
 * both directions, so a busy link's thousands of already-matched events cost nothing.
 */
class FreeList {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  constructor(readonly length: number) {
    this.next = new Int32Array(length + 1);
    this.prev = new Int32Array(length + 1);
    for (let i = 0; i <= length; i++) {
      this.next[i] = i;
      this.prev[i] = i;
    }
  }

  /** Index of the first free entry ≥ i (length when none). */
  freeAtOrAfter(i: number): number {
    let r = i;
    while (this.next[r] !== r) r = this.next[r]!;
    while (this.next[i] !== r) {
      const n = this.next[i]!;
      this.next[i] = r;
      i = n;
    }
    return r;
  }

  /** Index of the last free entry ≤ i (-1 when none); prev is stored shifted by one. */
  freeAtOrBefore(i: number): number {
    let r = i + 1;
    while (this.prev[r] !== r) r = this.prev[r]!;
    let j = i + 1;
    while (this.prev[j] !== r) {
      const n = this.prev[j]!;
      this.prev[j] = r;
      j = n;
    }
    return r - 1;
  }

  use(i: number): void {
    this.next[i] = i + 1;
    this.prev[i + 1] = i;
  }
}

/** Hops of one kind on one device, sorted by time. */
class HopIndex {
  private readonly byDev = new Map<string, SkbHop[]>();
  readonly all: SkbHop[] = [];

  add(h: SkbHop): void {
    const k = h.dev ?? '';
    let list = this.byDev.get(k);
    if (!list) this.byDev.set(k, (list = []));
    list.push(h);
    this.all.push(h);
  }

  private readonly free = new Map<SkbHop[], FreeList>();
  private readonly position = new Map<SkbHop, [SkbHop[], number]>();

  lists(dev: string | null, devices: ReadonlySet<string> | null): SkbHop[][] {
    if (dev !== null) return [this.byDev.get(dev) ?? []];
    if (devices) return [...devices].map((d) => this.byDev.get(d) ?? []);
    return [...this.byDev.values()];
  }

  freeList(list: SkbHop[]): FreeList {
    let f = this.free.get(list);
    if (!f) {
      this.free.set(list, (f = new FreeList(list.length)));
      list.forEach((h, i) => this.position.set(h, [list, i]));
    }
    return f;
  }

  /** Marks `h` used (it is never offered again). */
  use(h: SkbHop): void {
    const p = this.position.get(h);
    if (p) this.free.get(p[0])!.use(p[1]);
  }

  get size(): number {
    return this.all.length;
  }
}

function lowerBound(list: readonly SkbHop[], ts: bigint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lengthFits(frame: DatasetFrame, hop: SkbHop): boolean {
  if (hop.len === null) return true;
  if (hop.len === frame.len) return true;
  if (frame.l3Len < 0) return false;
  return LINK_HEADERS.includes(hop.len - frame.l3Len);
}

export interface FrameMatch {
  readonly frame: DatasetFrame;
  readonly hop: SkbHop;
}

/** What the matcher found: matches, and the anchor events of each kind it had. */
export interface MatchResult {
  readonly matches: Map<number, SkbHop>;
  /** Anchor kinds available for sent / received frames. */
  readonly sendKind: HopKind | null;
  readonly receiveKind: HopKind | null;
  readonly anchors: readonly SkbHop[];
}

/**
 * Matches `frames` to `hops`. `devicesOf(netns)` lists the device names of a namespace
 * (used when a frame's device is unknown). Frames with an unknown direction are tried
 * against both kinds.
 */
export function matchFrames(
  frames: readonly DatasetFrame[],
  hops: readonly SkbHop[],
  devicesOf: (netns: string | null) => ReadonlySet<string> | null,
  options: MatchOptions = DEFAULT_MATCH,
  /** Direction of frames the capture does not say (inferred from local addresses), by number. */
  inferred: ReadonlyMap<number, 'in' | 'out'> = new Map(),
): MatchResult {
  const idx = new Map<HopKind, HopIndex>();
  for (const h of hops) {
    let i = idx.get(h.kind);
    if (!i) idx.set(h.kind, (i = new HopIndex()));
    i.add(h);
  }
  const sendKind: HopKind | null = idx.get('queue')?.size ? 'queue' : idx.get('xmit')?.size ? 'xmit' : null;
  const receiveKind: HopKind | null = idx.get('receive')?.size ? 'receive' : idx.get('gro')?.size ? 'gro' : idx.get('rx')?.size ? 'rx' : null;
  const matches = new Map<number, SkbHop>();
  // Typical capture delay per direction, learnt as frames match (starts at 0).
  const typical = { out: 0n, in: 0n };
  const ordered = [...frames].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.number - b.number));
  for (const f of ordered) {
    if (f.network === 'other') continue;
    const tries: Array<['out' | 'in', HopKind]> = [];
    const direction = f.direction ?? inferred.get(f.number) ?? null;
    if (direction !== 'in' && sendKind) tries.push(['out', sendKind]);
    if (direction !== 'out' && receiveKind) tries.push(['in', receiveKind]);
    let best: SkbHop | null = null;
    let bestCost = 0n;
    let bestDir: 'out' | 'in' = 'out';
    let bestIndex: HopIndex | null = null;
    for (const [dir, kind] of tries) {
      const index = idx.get(kind)!;
      // Nearest neighbour of the expected event time (frame time − usual delay), searched
      // outwards and stopped as soon as a side cannot beat the best: busy links put
      // thousands of events in the accepted window.
      const target = f.ts - typical[dir];
      const earliest = f.ts - options.maxDelayNs;
      const latest = f.ts + options.slackNs;
      for (const list of index.lists(f.device, f.device === null ? devicesOf(f.netns) : null)) {
        const free = index.freeList(list);
        const start = lowerBound(list, target);
        for (let i = free.freeAtOrBefore(start - 1); i >= 0; i = free.freeAtOrBefore(i - 1)) {
          const h = list[i]!;
          if (h.ts < earliest) break;
          const cost = target - h.ts;
          if (best !== null && cost >= bestCost) break;
          if (h.ts > latest || !lengthFits(f, h)) continue;
          best = h;
          bestCost = cost;
          bestDir = dir;
          bestIndex = index;
          break;
        }
        for (let i = free.freeAtOrAfter(start); i < list.length; i = free.freeAtOrAfter(i + 1)) {
          const h = list[i]!;
          if (h.ts > latest) break;
          const cost = h.ts - target;
          if (best !== null && cost >= bestCost) break;
          if (h.ts < earliest || !lengthFits(f, h)) continue;
          best = h;
          bestCost = cost;
          bestDir = dir;
          bestIndex = index;
          break;
        }
      }
    }
    if (best) {
      bestIndex?.use(best);
      matches.set(f.number, best);
      const delay = f.ts - best.ts;
      // Exponential average: follows the capture path's usual delay, ignores outliers' pull.
      typical[bestDir] = typical[bestDir] === 0n ? delay : (typical[bestDir] * 7n + delay) / 8n;
    }
  }
  const anchors: SkbHop[] = [];
  if (sendKind) anchors.push(...idx.get(sendKind)!.all);
  if (receiveKind) anchors.push(...idx.get(receiveKind)!.all);
  return { matches, sendKind, receiveKind, anchors };
}
