/**
 * Pairs the send and the receive of the same TCP segment seen on two hosts.
 *
 * Observations arrive in trace-time order (all hosts merged by their own, not yet
 * synchronised, clocks — like Trace Compass's experiment order). Each carries a key
 * that identifies the segment (see packet-sources.ts): TCP seq/ack/flags, plus the
 * addresses and ports when the source has them. The rules, chosen so that every pair
 * we emit respects causality even with duplicates:
 *
 * - Per host and key we keep the FIRST unmatched send and the FIRST unmatched receive;
 *   later copies (a retransmission, a duplicate on a second interface) are ignored
 *   while the first one waits. The earliest send and the earliest receive of a segment
 *   are always a valid (send before receive) pair, whichever copy actually arrived, so
 *   ambiguity can loosen a bound but never violate one.
 * - A send and a receive of the same host are never paired (loopback traffic, a packet
 *   crossing two interfaces of one machine); the waiting event stays available.
 * - Memory stays bounded like Trace Compass's matcher: once a host's sends have found
 *   their receivers on every other host, its older unmatched sends of that key class
 *   can no longer match anything in order and are dropped (same for receives).
 */

export type PacketDirection = 'send' | 'receive';

/** One packet event on one host. */
export interface PacketObservation {
  /** Index of the host (clock) it was seen on. */
  readonly host: number;
  /** Time on that host's clock, ns. */
  readonly ts: bigint;
  readonly direction: PacketDirection;
  /** Key class (`inet` for inet_sock events, `ip` for full headers): keys match within a class. */
  readonly keyClass: string;
  /** The segment's identity within its class. */
  readonly key: string;
}

/** A segment sent by `sender` at `sendTs` and received by `receiver` at `recvTs`. */
export interface PacketMatch {
  readonly keyClass: string;
  readonly key: string;
  readonly sender: number;
  readonly sendTs: bigint;
  readonly receiver: number;
  readonly recvTs: bigint;
}

/** Counters of what the matcher did, for the report. */
export interface MatcherStats {
  sends: number;
  receives: number;
  matches: number;
  /** Copies of a key already waiting on the same host (retransmissions, duplicates). */
  duplicates: number;
  /** Pairs refused because both ends were on one host. */
  sameHost: number;
  /** Unmatched events dropped by the memory bound. */
  expired: number;
}

/**
 * Waiting events of one host and key class: key → time, plus the keys in arrival (=
 * time) order for expiry. (Iterating a Map from its front after many deletions walks
 * over every deleted slot, so the order is kept in a queue with lazy removal instead.)
 */
class Waiting {
  readonly byKey = new Map<string, bigint>();
  private queueKeys: string[] = [];
  private queueTs: bigint[] = [];
  private head = 0;

  get size(): number {
    return this.byKey.size;
  }

  add(key: string, ts: bigint): void {
    this.byKey.set(key, ts);
    this.queueKeys.push(key);
    this.queueTs.push(ts);
  }

  /** Drops waiting events older than `before`; returns how many. */
  expire(before: bigint): number {
    let dropped = 0;
    while (this.head < this.queueTs.length && this.queueTs[this.head]! < before) {
      const key = this.queueKeys[this.head]!;
      // Only if that entry is still the one waiting (not matched, not re-added later).
      if (this.byKey.get(key) === this.queueTs[this.head]) {
        this.byKey.delete(key);
        dropped++;
      }
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queueTs.length) {
      this.queueKeys = this.queueKeys.slice(this.head);
      this.queueTs = this.queueTs.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }
}

export class PacketMatcher {
  /** [direction][host] → key class → waiting events. */
  private readonly waiting: [Map<string, Waiting>[], Map<string, Waiting>[]];
  /** Latest match per key class, sender and receiver: `class` → sender*n+receiver → match. */
  private readonly lastMatches = new Map<string, Map<number, PacketMatch>>();
  readonly stats: MatcherStats = { sends: 0, receives: 0, matches: 0, duplicates: 0, sameHost: 0, expired: 0 };

  constructor(
    private readonly hostCount: number,
    private readonly onMatch: (m: PacketMatch) => void,
  ) {
    const make = () => Array.from({ length: hostCount }, () => new Map<string, Waiting>());
    this.waiting = [make(), make()];
  }

  private table(direction: PacketDirection, host: number, keyClass: string): Waiting {
    const byClass = this.waiting[direction === 'send' ? 0 : 1][host]!;
    let t = byClass.get(keyClass);
    if (!t) byClass.set(keyClass, (t = new Waiting()));
    return t;
  }

  /** Offers one observation; calls `onMatch` when it completes a pair. */
  observe(o: PacketObservation): void {
    if (o.direction === 'send') this.stats.sends++;
    else this.stats.receives++;
    const companion: PacketDirection = o.direction === 'send' ? 'receive' : 'send';
    for (let h = 0; h < this.hostCount; h++) {
      const t = this.table(companion, h, o.keyClass);
      const ts = t.byKey.get(o.key);
      if (ts === undefined) continue;
      if (h === o.host) {
        this.stats.sameHost++;
        continue;
      }
      t.byKey.delete(o.key);
      const m: PacketMatch =
        o.direction === 'send'
          ? { keyClass: o.keyClass, key: o.key, sender: o.host, sendTs: o.ts, receiver: h, recvTs: ts }
          : { keyClass: o.keyClass, key: o.key, sender: h, sendTs: ts, receiver: o.host, recvTs: o.ts };
      this.stats.matches++;
      this.onMatch(m);
      this.cleanup(m);
      return;
    }
    const own = this.table(o.direction, o.host, o.keyClass);
    if (own.byKey.has(o.key)) this.stats.duplicates++;
    else own.add(o.key, o.ts);
  }

  /**
   * After a match: if the sender has matched sends with every other host, its waiting
   * sends older than the oldest of those latest matches are unreachable; likewise for
   * the receiver's waiting receives.
   */
  private cleanup(m: PacketMatch): void {
    const n = this.hostCount;
    let last = this.lastMatches.get(m.keyClass);
    if (!last) this.lastMatches.set(m.keyClass, (last = new Map()));
    last.set(m.sender * n + m.receiver, m);
    let rowCount = 0;
    let rowEarliest: bigint | null = null;
    let colCount = 0;
    let colEarliest: bigint | null = null;
    for (let h = 0; h < n; h++) {
      const row = last.get(m.sender * n + h);
      if (row && h !== m.sender) {
        rowCount++;
        if (rowEarliest === null || row.sendTs < rowEarliest) rowEarliest = row.sendTs;
      }
      const col = last.get(h * n + m.receiver);
      if (col && h !== m.receiver) {
        colCount++;
        if (colEarliest === null || col.recvTs < colEarliest) colEarliest = col.recvTs;
      }
    }
    if (rowCount === n - 1 && rowEarliest !== null) this.stats.expired += this.table('send', m.sender, m.keyClass).expire(rowEarliest);
    if (colCount === n - 1 && colEarliest !== null) this.stats.expired += this.table('receive', m.receiver, m.keyClass).expire(colEarliest);
  }

  /** Events still waiting for a partner, per direction. */
  unmatched(): { sends: number; receives: number } {
    const count = (tables: Map<string, Waiting>[]) => tables.reduce((s, byClass) => s + [...byClass.values()].reduce((a, t) => a + t.size, 0), 0);
    return { sends: count(this.waiting[0]), receives: count(this.waiting[1]) };
  }
}
