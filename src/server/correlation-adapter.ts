/**
 * Reshapes the packet ↔ kernel correlation (src/analysis/correlate) for the UI: the
 * kernel events and woken threads of a frame (with their rows in the Events table), the
 * process column of the packet list, the Sockets table, and the kernel steps the Flow
 * graph draws beside each host. No analysis happens here — only lookups and labels.
 */
import { eventKey, endpointText, softirqName, tcpStateName, type DatasetAnalysis, type EventRef, type FrameCorrelation, type SocketRecord } from '../analysis/correlate/index.js';
import type { EventIndex } from './event-index.js';
import type { ConversationRow, PacketTable } from './packet-table.js';

export interface LinkedEvent {
  i: number;
  t: number;
  tid: number;
  cpu: number;
  name: string;
  role: string;
}

export interface PacketLinks {
  id: number;
  events: LinkedEvent[];
  wokenTids: number[];
  process?: string;
  tid?: number;
  matched: boolean;
  reason: string | null;
}

export interface SocketRow {
  key: string;
  pid: number;
  process: string;
  fd: number;
  inode?: string;
  family?: string;
  protocol: string;
  local?: string;
  remote?: string;
  state?: string;
  states: { t: number; state: string }[];
  t0: number;
  t1: number;
  stream?: number;
  how: string;
}

export interface FlowStep {
  t: number;
  side: 'A' | 'B';
  text: string;
  kind: string;
  tid?: number;
  events?: number[];
}

const FAMILIES: Record<number, string> = { 1: 'unix', 2: 'IPv4', 10: 'IPv6', 16: 'netlink', 17: 'packet' };

export class CorrelationView {
  /** Row of the packet table holding the dataset's capture (frame n → row first + n − 1). */
  private readonly captureIndex: number;

  constructor(
    readonly analysis: DatasetAnalysis,
    private readonly base: bigint,
    private readonly events: EventIndex | null,
    private readonly packets: PacketTable | null,
  ) {
    const path = analysis.dataset.capturePath;
    this.captureIndex = packets && path ? packets.captures.findIndex((c) => c.input.path === path) : -1;
  }

  private rel(ts: bigint): number {
    return Number(ts - this.base);
  }

  /** The Events-table index of a cited kernel event, or -1 when the index does not have it. */
  eventIndexOf(e: EventRef): number {
    const ev = this.events;
    if (!ev || !ev.sorted) return -1;
    const t = this.rel(e.ts);
    for (let i = ev.lowerBound(t); i < ev.count && ev.time[i] === t; i++) {
      if (ev.names[ev.nameId[i]!] === e.name && (e.cpu === null || ev.cpu[i] === e.cpu)) return i;
    }
    return -1;
  }

  private frameOfRow(id: number): number | null {
    const pk = this.packets;
    if (!pk || this.captureIndex < 0 || pk.cap[id] !== this.captureIndex) return null;
    return pk.no[id]!;
  }

  /** Row id of frame `n` of the dataset's capture, or -1. */
  rowOfFrame(n: number): number {
    return this.packets && this.captureIndex >= 0 ? this.packets.rowOfFrame(this.captureIndex, n) : -1;
  }

  private frame(id: number): FrameCorrelation | undefined {
    const n = this.frameOfRow(id);
    return n === null ? undefined : this.analysis.correlation.frames.get(n);
  }

  /** `ncat[4242] fd 4` for the packet list's Process column. */
  processOf(id: number): string | undefined {
    const o = this.frame(id)?.owner;
    return o ? `${o.comm ?? '?'}[${o.pid}] fd ${o.fd}` : undefined;
  }

  private roles(fc: FrameCorrelation): Map<string, string> {
    const roles = new Map<string, string>();
    for (const h of fc.journey?.hops ?? []) roles.set(eventKey(h.event), `skb ${h.kind}${h.dev ? ` on ${h.dev}` : ''}`);
    if (fc.anchor) roles.set(eventKey(fc.anchor.event), `capture point (${fc.anchor.kind})`);
    if (fc.softirq) {
      roles.set(eventKey(fc.softirq.entryEvent), `softirq ${softirqName(fc.softirq.vec)} entry`);
      if (fc.softirq.exitEvent) roles.set(eventKey(fc.softirq.exitEvent), `softirq ${softirqName(fc.softirq.vec)} exit`);
    }
    if (fc.irq) roles.set(eventKey(fc.irq.entryEvent), `hard IRQ ${fc.irq.irq} ${fc.irq.name}`);
    for (const c of fc.stateChanges) roles.set(eventKey(c.change.event), `TCP ${tcpStateName(c.change.from)} → ${tcpStateName(c.change.to)}`);
    for (const e of fc.tcpEvents) roles.set(eventKey(e), 'TCP event');
    for (const w of fc.woke) roles.set(eventKey(w.event), `woke tid ${w.tid}`);
    return roles;
  }

  /** What a packet links to: its kernel events, the threads it woke, its process. */
  packetLinks(id: number): PacketLinks {
    const fc = this.frame(id);
    if (!fc) return { id, events: [], wokenTids: [], matched: false, reason: 'not in the correlated capture' };
    const roles = this.roles(fc);
    const events: LinkedEvent[] = fc.events.map((e) => ({ i: this.eventIndexOf(e), t: this.rel(e.ts), tid: e.tid ?? -1, cpu: e.cpu ?? -1, name: e.name, role: roles.get(eventKey(e)) ?? '' }));
    const origin = fc.origin;
    const tid = origin && 'tid' in origin && origin.tid !== null ? origin.tid : undefined;
    return { id, events, wokenTids: [...new Set(fc.woke.map((w) => w.tid))], process: this.processOf(id), tid: tid ?? undefined, matched: fc.matched, reason: fc.reason };
  }

  /** The Sockets table: one row per (socket, owning fd). */
  sockets(conversations: readonly ConversationRow[]): SocketRow[] {
    const rows: SocketRow[] = [];
    const streamOf = (s: SocketRecord): number | undefined => {
      if (!s.local || !s.remote) return undefined;
      const c = conversations.find((c) => (c.addressA === s.local!.addr && c.portA === s.local!.port && c.addressB === s.remote!.addr && c.portB === s.remote!.port) || (c.addressB === s.local!.addr && c.portB === s.local!.port && c.addressA === s.remote!.addr && c.portA === s.remote!.port));
      return c?.stream;
    };
    for (const s of this.analysis.correlation.sockets) {
      if (s.protocol === 'unix') continue;
      const states = s.states.map((c) => ({ t: this.rel(c.ts), state: tcpStateName(c.to) }));
      const owners = s.owners.length ? s.owners : [null];
      for (const o of owners) {
        rows.push({
          key: `${s.id}/${o?.pid ?? '-'}/${o?.fd ?? '-'}`,
          pid: o?.pid ?? -1,
          process: o?.comm ?? '',
          fd: o?.fd ?? -1,
          inode: s.inode !== null ? String(s.inode) : undefined,
          family: FAMILIES[s.family] ?? (s.family ? String(s.family) : undefined),
          protocol: s.protocol,
          local: s.local ? endpointText(s.local) : undefined,
          remote: s.remote ? endpointText(s.remote) : undefined,
          state: s.state >= 0 ? tcpStateName(s.state) : undefined,
          states,
          t0: this.rel(o?.from ?? s.firstTs),
          t1: this.rel(o?.to ?? s.lastTs),
          stream: streamOf(s),
          how: o?.how ?? '',
        });
      }
    }
    return rows.sort((a, b) => a.t0 - b.t0 || a.pid - b.pid || a.fd - b.fd);
  }

  /**
   * The kernel's steps around a conversation's frames, for the Flow graph: what sent
   * each packet (a syscall, or the kernel itself in softirq), the softirq that received
   * it, the TCP state changes it caused and the threads it woke — on the side of the
   * host that ran them.
   */
  flowSteps(conv: ConversationRow): FlowStep[] {
    const pk = this.packets;
    if (!pk || conv.capture !== this.captureIndex) return [];
    const seen = new Set<string>();
    const steps: FlowStep[] = [];
    const add = (ref: EventRef, side: 'A' | 'B', text: string, kind: string, tid?: number) => {
      const k = `${eventKey(ref)}|${text}`;
      if (seen.has(k)) return;
      seen.add(k);
      const i = this.eventIndexOf(ref);
      steps.push({ t: this.rel(ref.ts), side, text, kind, tid, events: i >= 0 ? [i] : undefined });
    };
    for (let id = 0; id < pk.count; id++) {
      if (pk.stream[id] !== conv.stream || pk.cap[id] !== conv.capture) continue;
      const fc = this.frame(id);
      if (!fc?.anchor) continue;
      const row = pk.row(id);
      const fromA = row.src === conv.addressA && row.info.includes(`${conv.portA} →`);
      const sent = fc.anchor.kind === 'queue' || fc.anchor.kind === 'xmit';
      const side: 'A' | 'B' = sent === fromA ? 'A' : 'B';
      const o = fc.origin;
      if (sent && o) {
        if (o.kind === 'syscall') add(fc.anchor.event, side, `${o.syscall}(${o.fd ?? '?'}) by ${o.comm ?? '?'}[${o.tid ?? '?'}] → ${row.flags.join(',') || 'packet'}`, 'syscall', o.tid ?? undefined);
        else if (o.kind === 'softirq') add(o.softirq.entryEvent, side, `kernel sends ${row.flags.join(',')} in softirq ${softirqName(o.softirq.vec)} (no syscall)`, 'softirq');
        else if (o.kind === 'irq') add(o.irq.entryEvent, side, `sent from hard IRQ ${o.irq.irq}`, 'irq');
        else add(fc.anchor.event, side, `sent by ${o.comm ?? 'task'}[${o.tid ?? '?'}]`, 'task', o.tid ?? undefined);
      }
      if (!sent) {
        if (fc.irq) add(fc.irq.entryEvent, side, `hard IRQ ${fc.irq.irq} (${fc.irq.name}) on CPU ${fc.irq.cpu}`, 'irq');
        if (fc.softirq) add(fc.softirq.entryEvent, side, `softirq ${softirqName(fc.softirq.vec)} on CPU ${fc.softirq.cpu} receives ${row.flags.join(',') || 'packet'}`, 'softirq');
      }
      for (const c of fc.stateChanges) add(c.change.event, side, `TCP ${tcpStateName(c.change.from)} → ${tcpStateName(c.change.to)}`, 'state');
      for (const w of fc.woke) add(w.event, side, `wakes ${this.analysis.threads.get(w.tid)?.comm ?? 'tid'} ${w.tid}`, 'wakeup', w.tid);
    }
    return steps.sort((a, b) => a.t - b.t);
  }
}
