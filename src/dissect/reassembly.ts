/**
 * IP fragment reassembly (IPv4 and IPv6), as Wireshark does it by default: fragments are
 * collected per (addresses, identification, protocol, VLAN) and the datagram is dissected
 * in the frame that completes it. Memory is bounded: at most MAX_PENDING incomplete
 * datagrams (the oldest is dropped) and MAX_DATAGRAM bytes each.
 */

const MAX_PENDING = 4096;
const MAX_DATAGRAM = 1 << 20;

interface Pending {
  parts: { offset: number; data: Uint8Array }[];
  /** Total length, known once the last fragment (more-fragments clear) arrived; -1 before. */
  total: number;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();

  /**
   * Adds a fragment (copied). Returns the reassembled payload when this fragment completes
   * its datagram, otherwise undefined. Oversized or inconsistent datagrams are dropped.
   */
  add(key: string, offset: number, data: Uint8Array, moreFragments: boolean): Uint8Array | undefined {
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= MAX_PENDING) {
        const oldest = this.pending.keys().next().value;
        if (oldest !== undefined) this.pending.delete(oldest);
      }
      p = { parts: [], total: -1 };
      this.pending.set(key, p);
    }
    const end = offset + data.length;
    if (end > MAX_DATAGRAM) {
      this.pending.delete(key);
      return undefined;
    }
    p.parts.push({ offset, data: data.slice() });
    if (!moreFragments) p.total = end;
    if (p.total < 0) return undefined;
    // Complete when the fragments cover [0, total) without a hole.
    const sorted = [...p.parts].sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const part of sorted) {
      if (part.offset > covered) return undefined;
      covered = Math.max(covered, part.offset + part.data.length);
    }
    if (covered < p.total) return undefined;
    const out = new Uint8Array(p.total);
    for (const part of sorted) {
      const room = p.total - part.offset;
      if (room <= 0) continue;
      out.set(part.data.length > room ? part.data.subarray(0, room) : part.data, part.offset);
    }
    this.pending.delete(key);
    return out;
  }
}
