/**
 * The worker-thread side of the correlation views: everything the UI asks of the packet ↔
 * kernel correlation (src/analysis/correlate) and the story (src/analysis/story), as
 * plain, cloneable results. Events are cited by time/name/CPU (the main thread maps them
 * to Events-table rows) and frames by number (mapped to packet rows). No analysis here —
 * only lookups and labels over the engine's results.
 */
import { eventKey, endpointText, softirqName, tcpStateName, type DatasetAnalysis, type EventRef, type FrameCorrelation, type SocketRecord } from '../analysis/correlate/index.js';
import { buildStoryFromAnalysis, type ConnectionRef, type Story } from '../analysis/story/index.js';
import type { PortableEvent, PortableFlowStep, PortableLinks, PortableStory, PortableStoryStep, SocketRow } from './api-types.js';

/** The conversation identity the Flow graph and Sockets views pass in. */
export interface ConversationKey {
  stream: number;
  addressA: string;
  portA: number;
  addressB: string;
  portB: number;
}

export interface CorrelationInfo {
  capturePath: string | null;
  hasKernel: boolean;
  notes: string[];
  stats: { frames: number; framesMatched: number };
  /** Process column per frame number − 1 (`ncat[4242] fd 4`), null when unattributed. */
  processByFrame: (string | null)[];
  /** Processes that own a TCP connection with both ends known (listed first in Threads). */
  focusPids: number[];
}

const FAMILIES: Record<number, string> = { 1: 'unix', 2: 'IPv4', 10: 'IPv6', 16: 'netlink', 17: 'packet' };

/** `A:P-B:P` for a TCP/UDP connection (the story's --conn filter), else null. */
function connKey(c: ConnectionRef): string | null {
  if (!c.local || !c.remote) return null;
  const ep = (e: { addr: string; port: number }) => (e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);
  return `${ep(c.local)}-${ep(c.remote)}`;
}

export class CorrelationCore {
  private readonly storyCache = new Map<string, PortableStory>();

  constructor(
    readonly analysis: DatasetAnalysis,
    private readonly base: bigint,
  ) {}

  private rel(ts: bigint): number {
    return Number(ts - this.base);
  }

  private portable(e: EventRef, role = ''): PortableEvent {
    return { t: this.rel(e.ts), name: e.name, cpu: e.cpu ?? -1, tid: e.tid ?? -1, role };
  }

  private processOfFrame(fc: FrameCorrelation | undefined): string | null {
    const o = fc?.owner;
    return o ? `${o.comm ?? '?'}[${o.pid}] fd ${o.fd}` : null;
  }

  info(): CorrelationInfo {
    const a = this.analysis;
    const focus = new Set<number>();
    for (const s of a.correlation.sockets) if (s.protocol === 'tcp' && s.local && s.remote) for (const o of s.owners) focus.add(o.pid);
    return {
      capturePath: a.dataset.capturePath,
      hasKernel: a.dataset.kernel !== null,
      notes: [...a.correlation.notes],
      stats: { frames: a.correlation.stats.frames, framesMatched: a.correlation.stats.framesMatched },
      processByFrame: a.dataset.frames.map((f) => this.processOfFrame(a.correlation.frames.get(f.number))),
      focusPids: [...focus],
    };
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

  /** What frame `n` links to: its kernel events, the threads it woke, its process. */
  packetLinks(n: number): PortableLinks {
    const fc = this.analysis.correlation.frames.get(n);
    if (!fc) return { events: [], wokenTids: [], matched: false, reason: 'not in the correlated capture' };
    const roles = this.roles(fc);
    const origin = fc.origin;
    const tid = origin && 'tid' in origin && origin.tid !== null ? origin.tid : undefined;
    return {
      events: fc.events.map((e) => this.portable(e, roles.get(eventKey(e)) ?? '')),
      wokenTids: [...new Set(fc.woke.map((w) => w.tid))],
      process: this.processOfFrame(fc) ?? undefined,
      tid,
      matched: fc.matched,
      reason: fc.reason,
    };
  }

  /** The Sockets table: one row per (socket, owning fd). */
  sockets(conversations: readonly ConversationKey[]): SocketRow[] {
    const streamOf = (s: SocketRecord): number | undefined => {
      if (!s.local || !s.remote) return undefined;
      const l = s.local;
      const r = s.remote;
      return conversations.find((c) => (c.addressA === l.addr && c.portA === l.port && c.addressB === r.addr && c.portB === r.port) || (c.addressB === l.addr && c.portB === l.port && c.addressA === r.addr && c.portA === r.port))?.stream;
    };
    const rows: SocketRow[] = [];
    for (const s of this.analysis.correlation.sockets) {
      if (s.protocol === 'unix') continue;
      const states = s.states.map((c) => ({ t: this.rel(c.ts), state: tcpStateName(c.to) }));
      for (const o of s.owners.length ? s.owners : [null]) {
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

  /** `ncat[552]`: the process owning the local endpoint addr:port, or ''. */
  ownerOf(addr: string, port: number): string {
    const s = this.analysis.correlation.sockets.find((x) => x.local?.addr === addr && x.local.port === port && x.owners.length);
    const o = s?.owners[0];
    return o ? `${o.comm ?? '?'}[${o.pid}]` : '';
  }

  /**
   * The kernel's steps around a conversation's frames, for the Flow graph: what sent each
   * packet (a syscall, or the kernel itself in softirq), the softirq that received it, the
   * TCP state changes it caused and the threads it woke — on the side of the host that
   * ran them.
   */
  flowSteps(conv: ConversationKey): PortableFlowStep[] {
    const seen = new Set<string>();
    const steps: PortableFlowStep[] = [];
    const add = (ref: EventRef, side: 'A' | 'B', text: string, kind: string, tid?: number) => {
      const k = `${eventKey(ref)}|${text}`;
      if (seen.has(k)) return;
      seen.add(k);
      steps.push({ t: this.rel(ref.ts), side, text, kind, tid, ref: this.portable(ref) });
    };
    for (const f of this.analysis.dataset.frames) {
      if (f.tcp?.stream !== conv.stream) continue;
      const fc = this.analysis.correlation.frames.get(f.number);
      if (!fc?.anchor) continue;
      const flags = f.tcp.flagText;
      const fromA = f.src === conv.addressA && f.sport === conv.portA;
      const sent = fc.anchor.kind === 'queue' || fc.anchor.kind === 'xmit';
      const side: 'A' | 'B' = sent === fromA ? 'A' : 'B';
      const o = fc.origin;
      if (sent && o) {
        if (o.kind === 'syscall') add(fc.anchor.event, side, `${o.syscall}(${o.fd ?? '?'}) by ${o.comm ?? '?'}[${o.tid ?? '?'}] → ${flags}`, 'syscall', o.tid ?? undefined);
        else if (o.kind === 'softirq') add(o.softirq.entryEvent, side, `kernel sends ${flags} in softirq ${softirqName(o.softirq.vec)} (no syscall)`, 'softirq');
        else if (o.kind === 'irq') add(o.irq.entryEvent, side, `sent from hard IRQ ${o.irq.irq}`, 'irq');
        else add(fc.anchor.event, side, `sent by ${o.comm ?? 'task'}[${o.tid ?? '?'}]`, 'task', o.tid ?? undefined);
      }
      if (!sent) {
        if (fc.irq) add(fc.irq.entryEvent, side, `hard IRQ ${fc.irq.irq} (${fc.irq.name}) on CPU ${fc.irq.cpu}`, 'irq');
        if (fc.softirq) add(fc.softirq.entryEvent, side, `softirq ${softirqName(fc.softirq.vec)} on CPU ${fc.softirq.cpu} receives ${flags}`, 'softirq');
      }
      for (const c of fc.stateChanges) add(c.change.event, side, `TCP ${tcpStateName(c.change.from)} → ${tcpStateName(c.change.to)}`, 'state');
      for (const w of fc.woke) add(w.event, side, `wakes ${this.analysis.threads.get(w.tid)?.comm ?? 'tid'} ${w.tid}`, 'wakeup', w.tid);
    }
    return steps.sort((a, b) => a.t - b.t);
  }

  /** The story of `conn` (`A:P-B:P`) or of the most interesting connection. Throws UsageError on a bad filter. */
  story(conn: string | null): PortableStory {
    const key = conn ?? '';
    const cached = this.storyCache.get(key);
    if (cached) return cached;
    const reply = this.reshape(buildStoryFromAnalysis(this.analysis, conn ? { conn } : {}));
    this.storyCache.set(key, reply);
    return reply;
  }

  private reshape(story: Story): PortableStory {
    const frames = this.analysis.dataset.frames;
    const steps = story.steps.map((s): PortableStoryStep => {
      const refs = s.events.map((e) => this.portable(e));
      // The step's span: its own time and what it cites nearby (a cited event far away,
      // e.g. the skb's final free, would make "zoom to the step" useless).
      const t = this.rel(s.ts);
      const near = (x: number) => x >= t - 2e6 && x <= t + 10e6;
      let t0 = t;
      let t1 = t;
      for (const x of [...refs.map((r) => r.t), ...s.frames.flatMap((n) => (frames[n - 1] ? [this.rel(frames[n - 1]!.ts)] : []))]) {
        if (!near(x)) continue;
        t0 = Math.min(t0, x);
        t1 = Math.max(t1, x);
      }
      return {
        n: s.n,
        t: t0,
        t1: t1 > t0 ? t1 : undefined,
        title: s.title,
        text: s.text,
        kind: s.kind,
        tid: s.tid,
        cpu: s.cpu,
        frames: s.frames,
        refs,
        latency: s.latencyNs !== undefined ? `${s.latencyLabel ?? 'latency'}: ${(Number(s.latencyNs) / 1000).toFixed(1)} µs` : undefined,
        seedItem: s.seedItem,
      };
    });
    const subject = story.subject ? `${story.subject.comm ?? 'process'}[${story.subject.pid}]` : null;
    return {
      title: story.connection ? `The life of ${story.connection.summary}` : subject ? `What ${subject} did` : 'Story',
      connection: story.connection?.summary,
      conn: story.connection ? (connKey(story.connection) ?? undefined) : undefined,
      steps,
      notes: [...story.limitations],
      others: story.otherConnections.flatMap((c) => {
        const k = connKey(c);
        return k ? [{ key: k, label: c.summary }] : [];
      }),
    };
  }
}
