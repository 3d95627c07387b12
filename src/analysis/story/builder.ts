/**
 * Builds the story of one connection from the correlation, the wakeup chains and the
 * subject process's system calls: numbered steps in time order, each citing its kernel
 * events and frames, with the latencies that matter (SYN → accept return, send → on the
 * wire, wire → read return).
 *
 * The steps follow one process (the server when the trace holds the accept, else the
 * client): its system calls on the connection's sockets and on its standard streams, each
 * blocking wait with what woke it, and what the kernel did meanwhile without it — the
 * SYN's arrival, the SYN-ACK the kernel answers alone, the handshake completing, the
 * peer's ACKs, retransmissions, the teardown.
 */
import type { DatasetFrame } from '../../bundle/types.js';
import type { DatasetAnalysis } from '../correlate/index.js';
import type { FdInfo, FdModel } from '../kernel/index.js';
import { softirqName, tcpStateName, TCP_LISTEN } from '../correlate/event-names.js';
import { endpointText } from '../correlate/endpoints.js';
import type { SoftirqInstance } from '../correlate/context.js';
import type { DropRecord, EventRef, FrameCorrelation, SkbHop, SocketRecord } from '../correlate/types.js';
import type { WakeupChain } from '../wakeup/types.js';
import { WAIT_SYSCALLS } from '../wakeup/blocked-intervals.js';
import { listConnections, pickConnection, type ConnectionInfo } from './connections.js';
import { limitationsOf } from './limitations.js';
import { assignSeedItems } from './seed-map.js';
import { condense, type Item } from './condense.js';
import type { SubjectActivity, SyscallRecord } from '../correlate/syscall-log.js';
import { callText, returnText } from './syscall-text.js';
import type { Story, StoryFilter, StoryStep, StoryStepKind, StorySubject } from './types.js';

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const RST = 0x04;

/** Syscalls that only wait for readiness (their "return" means "something is ready"). */
const POLL_LIKE = new Set(['select', 'pselect6', '_newselect', 'poll', 'ppoll', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2']);
const MAX_CITED_EVENTS = 16;

function us(ns: bigint): string {
  const v = Number(ns) / 1000;
  return `${v.toFixed(Math.abs(v) >= 100 ? 1 : 3)} µs`;
}

function dur(ns: bigint): string {
  const v = Number(ns);
  if (Math.abs(v) < 1_000_000) return us(ns);
  if (Math.abs(v) < 1_000_000_000) return `${(v / 1e6).toFixed(3)} ms`;
  return `${(v / 1e9).toFixed(3)} s`;
}

/** `ncat 4242`, or `the idle task` for tid 0 (interrupts that arrive while the CPU sleeps). */
function taskText(comm: string | null, tid: number | null): string {
  if (tid === 0) return 'the idle task';
  return `${comm ?? 'a task'}${tid !== null ? ` ${tid}` : ''}`;
}

function cpuText(cpu: number | null | undefined): string {
  return cpu === null || cpu === undefined ? '' : ` on CPU ${cpu}`;
}

function flagsOf(f: DatasetFrame): number {
  return f.tcp?.flags ?? 0;
}

function frameLabel(f: DatasetFrame): string {
  const t = f.tcp;
  const ends = `${f.src}:${f.sport} → ${f.dst}:${f.dport}`;
  if (!t) return `frame #${f.number} ${ends} ${f.transport.toUpperCase()}`;
  return `frame #${f.number} ${ends} [${t.flagText}] seq ${t.seq}${t.flags & ACK ? ` ack ${t.ack}` : ''} len ${Math.max(t.payload, 0)}`;
}

/**
 * The device-level path of a packet: for a sent one its queue and xmit (the peer's
 * receive events of a veth/loopback crossing belong to the other end), for a received one
 * the events of the softirq (or IRQ) run that processed it.
 */
function hopChain(hops: readonly SkbHop[], anchor: SkbHop | null, sent: boolean): string {
  const names: string[] = [];
  const run = anchor?.ctx.softirq ?? null;
  for (const h of hops) {
    if (sent) {
      if (h.kind === 'queue' || h.kind === 'xmit') names.push(h.event.name);
      continue;
    }
    if (h.kind === 'queue' || h.kind === 'xmit') continue;
    if (run ? h.ctx.softirq !== run && h.kind !== 'rx' && h.kind !== 'gro' : anchor && h.ts > anchor.ts) continue;
    names.push(h.event.name);
  }
  return names.join(' → ');
}

/** Everything the builder shares between helpers. */
class StoryContext {
  readonly subjectTids: Set<number>;
  /** Handshake progress while frames are told in order. */
  synAckSeen = false;
  handshakeTold = false;

  constructor(
    readonly a: DatasetAnalysis,
    readonly conn: ConnectionInfo | null,
    readonly pid: number | null,
    readonly activity: SubjectActivity | null,
    /** The kernel analysis's fd tables, when it could run. */
    readonly fds: FdModel | null = null,
  ) {
    this.subjectTids = new Set(activity?.tids ?? []);
    if (pid !== null) this.subjectTids.add(pid);
  }

  private commText: string | null = null;

  get comm(): string {
    return (this.commText ??= this.activity?.exec?.filename.split('/').pop() ?? this.ownerComm() ?? (this.pid !== null ? (this.a.threads.get(this.pid)?.comm ?? 'the process') : 'the application'));
  }

  /** The name the subject had on the first of its sockets (by id) that names it. */
  private ownerComm(): string | null | undefined {
    for (const s of this.a.correlation.sockets) {
      const o = s.owners.find((b) => b.pid === this.pid);
      if (o) return o.comm;
    }
    return undefined;
  }

  /** The socket `fd` of the subject process named at `ts` (the correlation's fd index). */
  socketOfFd(fd: number, ts: bigint): SocketRecord | null {
    return this.pid === null ? null : this.a.correlation.socketOfFdAt(this.pid, fd, ts);
  }

  isConnSocket(s: SocketRecord | null): boolean {
    return !!s && !!this.conn && this.conn.sockets.includes(s);
  }

  stateAt(s: SocketRecord, ts: bigint): number {
    let st = -1;
    for (const c of s.states) if (c.ts <= ts) st = c.to;
    return st;
  }

  /** `3 = listen 10.0.0.1:5000`, `4 = 10.0.0.2:48464`, `0 = stdin`. */
  fdText(fd: number, ts: bigint): string {
    if (Number.isNaN(fd)) return '?';
    const s = this.socketOfFd(fd, ts);
    const std = ['stdin', 'stdout', 'stderr'][fd];
    const named = this.fdName(fd, ts);
    if (std && (!s || !this.isConnSocket(s))) {
      const what = s ? (s.protocol === 'unix' ? 'unix socket' : s.protocol === 'other' ? 'socket' : `${s.protocol} socket`) : named;
      return what ? `${fd} = ${std} (${what})` : `${fd} = ${std}`;
    }
    if (s) {
      if (this.stateAt(s, ts) === TCP_LISTEN || (s.states.some((c) => c.to === TCP_LISTEN) && s.local && !s.remote)) return `${fd} = listen ${endpointText(s.local)}`;
      if (s.remote && s.remote.port) return `${fd} = ${endpointText(s.remote)}`;
      if (s.protocol === 'unix') return `${fd} = unix socket`;
      if (s.local) return `${fd} = ${s.protocol} ${endpointText(s.local)}`;
      return `${fd} = ${s.protocol === 'other' ? 'socket' : `${s.protocol} socket`}`;
    }
    return named ? `${fd} = ${named}` : String(fd);
  }

  private fdLives: Map<number, FdInfo[]> | null = null;

  /**
   * The subject's fd `fd` at `ts` in the kernel analysis's tables: the last lifetime open
   * then (FdModel.fdAt's rule), from an index of the subject's fds built once — a busy
   * server has thousands of lifetimes of the same few numbers.
   */
  private fdAt(fd: number, ts: bigint): FdInfo | null {
    if (!this.fdLives) {
      this.fdLives = new Map();
      for (const info of this.fds!.fds({ pid: this.pid! })) {
        let l = this.fdLives.get(info.fd);
        if (!l) this.fdLives.set(info.fd, (l = []));
        l.push(info);
      }
      const openOf = (x: FdInfo) => x.openTs ?? -1n;
      for (const l of this.fdLives.values()) l.sort((x, y) => (openOf(x) < openOf(y) ? -1 : openOf(x) > openOf(y) ? 1 : 0));
    }
    // Lifetimes of one fd number follow each other: the last one opened by ts (those open
    // before the trace first) is the candidate, unless it was closed by then.
    const list = this.fdLives.get(fd);
    if (!list) return null;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const open = list[mid]!.openTs;
      if (open === null || open <= ts) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && i >= lo - 4; i--) {
      const info = list[i]!;
      if (info.closeTs === null || info.closeTs > ts) return info;
    }
    return null;
  }

  /**
   * What a non-socket fd (or a socket this analysis did not tie) names, from the kernel
   * analysis's fd tables (src/analysis/fds): `pipe:[…]`, a path, `socket 10.0.0.2:4000`.
   */
  fdName(fd: number, ts: bigint): string | undefined {
    if (this.pid !== null && this.fds) {
      const info = this.fdAt(fd, ts);
      if (info) {
        if (info.kind === 'socket' && info.socketId !== null) {
          const sock = this.fds.socket(info.socketId);
          if (sock.remote) return sock.remote;
          if (sock.local) return `${sock.protocol} ${sock.local}`;
          return [sock.family, sock.protocol, 'socket'].filter((x) => x && x !== 'unknown').join(' ');
        }
        if (info.path) return info.path;
        if (info.kind !== 'unknown') return info.kind;
      }
    }
    return this.activity?.fdNames.get(fd);
  }

  fdSetText(nfds: number, ts: bigint): string {
    const known: string[] = [];
    for (let fd = 0; fd < nfds && fd < 1024; fd++) {
      if (fd === 1 || fd === 2) continue;
      const s = this.socketOfFd(fd, ts);
      if (s || (fd === 0 && nfds > 1)) known.push(this.fdText(fd, ts));
    }
    return known.length ? `fds < ${nfds}, of which ${known.join(', ')}` : `fds < ${nfds}`;
  }

  private hopsByTid: Map<number, SkbHop[]> | null = null;

  /** Socket-buffer events in task context of thread `tid` within [from, to]. */
  taskHops(tid: number, from: bigint, to: bigint): SkbHop[] {
    if (!this.hopsByTid) {
      this.hopsByTid = new Map();
      for (const h of this.a.hops) {
        if (h.ctx.kind !== 'task' || h.ctx.tid === null || !this.subjectTids.has(h.ctx.tid)) continue;
        const l = this.hopsByTid.get(h.ctx.tid) ?? [];
        l.push(h);
        this.hopsByTid.set(h.ctx.tid, l);
      }
    }
    // The hops are in time order (the pass appends them): a binary search finds the window.
    const list = this.hopsByTid.get(tid);
    if (!list) return [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.ts < from) lo = mid + 1;
      else hi = mid;
    }
    const out: SkbHop[] = [];
    for (let i = lo; i < list.length && list[i]!.ts <= to; i++) out.push(list[i]!);
    return out;
  }

  private drops: Map<number, DropRecord> | null = null;

  /** The kernel's drop of frame `n`'s buffer (the first one), if any. */
  dropOf(n: number): DropRecord | undefined {
    if (!this.drops) {
      this.drops = new Map();
      for (const d of this.a.correlation.drops) for (const f of d.frames) if (!this.drops.has(f)) this.drops.set(f, d);
    }
    return this.drops.get(n);
  }

  private bySoftirq: Map<SoftirqInstance, FrameCorrelation[]> | null = null;

  /** Frames whose capture-point event ran in softirq run `si`, in frame order. */
  framesOfSoftirq(si: SoftirqInstance): readonly FrameCorrelation[] {
    if (!this.bySoftirq) {
      this.bySoftirq = new Map();
      for (const fc of this.a.correlation.frames.values()) {
        const run = fc.anchor?.ctx.softirq;
        if (!run) continue;
        const l = this.bySoftirq.get(run);
        if (l) l.push(fc);
        else this.bySoftirq.set(run, [fc]);
      }
    }
    return this.bySoftirq.get(si) ?? [];
  }

  frame(n: number): DatasetFrame | undefined {
    return this.a.dataset.frames[n - 1];
  }

  fc(n: number): FrameCorrelation | undefined {
    return this.a.correlation.frames.get(n);
  }
}

/**
 * Builds the story of the connection `filter` selects (or the most interesting one) from
 * an analysed dataset. Throws UsageError when the filter matches nothing.
 */
export function buildStoryFromAnalysis(a: DatasetAnalysis, filter: StoryFilter = {}): Story {
  const all = listConnections(a);
  const { chosen, others } = pickConnection(all, filter);
  const pid = filter.pid ?? chosen?.ref.processes.find((p) => p.role === 'server')?.pid ?? chosen?.ref.processes[0]?.pid ?? null;
  const activity = a.syscalls && pid !== null ? a.syscalls.activityOf(pid) : null;
  const sc = new StoryContext(a, chosen, pid, activity, activity ? (a.kernelModel?.fds ?? null) : null);
  const items: Item[] = [];
  let order = 0;
  const push = (it: Omit<Item, 'order'>) => items.push({ ...it, order: order++ });
  const latencies: Record<string, bigint> = {};
  const extraLimits: string[] = [];

  // Frames at the subject's end of the link.
  const frames = subjectFrames(sc);
  const sentBySyscall = new Map<SyscallRecord, number[]>();
  const shown = activity ? chooseSyscalls(sc, activity, frames) : [];
  const shownSet = new Set(shown);

  // Sent frames produced by a shown syscall are told inside that syscall's step.
  const coveredFrames = new Set<number>();
  for (const n of frames) {
    const fc = sc.fc(n);
    const o = fc?.origin;
    if (o?.kind !== 'syscall' || o.tid === null || !sc.subjectTids.has(o.tid)) continue;
    const rec = shown.find((s) => s.tid === o.tid && s.entryTs === o.entryTs);
    if (!rec) continue;
    const l = sentBySyscall.get(rec) ?? [];
    l.push(n);
    sentBySyscall.set(rec, l);
    coveredFrames.add(n);
  }

  if (activity?.exec) {
    const e = activity.exec;
    const hidden = activity.syscalls.filter((s) => (s.entryTs ?? s.exitTs ?? 0n) < e.ts).length;
    push({
      ts: e.ts,
      kind: 'syscall',
      title: `exec: ${e.filename || sc.comm} starts (pid ${pid})`,
      text: `execve() replaces the program of process ${pid} with ${e.filename || sc.comm}${hidden ? ` (${hidden} earlier syscalls belong to the program it replaced)` : ''}.`,
      tid: e.tid,
      cpu: e.event.cpu ?? undefined,
      events: [e.event],
      frames: [],
      tag: 'exec',
    });
  }

  // System calls (with their blocks and wakeups).
  const chainsBySyscall = indexChains(a.wakeups, sc);
  let startupHidden: SyscallRecord[] = [];
  let firstShownTs: bigint | null = null;
  for (const s of activity?.syscalls ?? []) {
    const ts = s.entryTs ?? s.exitTs ?? 0n;
    if (activity?.exec && ts < activity.exec.ts) continue;
    if (!shownSet.has(s)) {
      if (firstShownTs === null && s.name !== 'execve') startupHidden.push(s);
      continue;
    }
    if (firstShownTs === null) {
      firstShownTs = ts;
      if (startupHidden.length) {
        push(noteForHidden(startupHidden, sc));
        startupHidden = [];
      }
    }
    const chains = chainsBySyscall.get(`${s.tid}/${s.entryTs ?? s.exitTs}`) ?? [];
    for (const it of syscallItems(sc, s, chains, sentBySyscall.get(s) ?? [], latencies, frames)) push(it);
  }

  // What the kernel did with the connection's packets on its own.
  const coveredChanges = new Set<unknown>();
  for (const it of items) for (const e of it.events) coveredChanges.add(`${e.ts}/${e.name}`);
  for (const n of frames) {
    if (coveredFrames.has(n)) continue;
    const it = frameItem(sc, n, latencies);
    if (it) {
      push(it);
      for (const e of it.events) coveredChanges.add(`${e.ts}/${e.name}`);
    }
  }
  // Without a capture of this connection, its received packets are still kernel events.
  if (!frames.length && chosen && pid !== null) {
    for (const it of uncapturedPacketItems(sc, chosen.sockets.filter((x) => x.owners.some((o) => o.pid === pid)))) {
      push(it);
      for (const e of it.events) coveredChanges.add(`${e.ts}/${e.name}`);
    }
  }
  // TCP state changes no frame or syscall step told (no capture, timers, TIME_WAIT…).
  for (const s of chosen?.sockets ?? []) {
    // Only the subject's own sockets: the peer's states are the peer's story.
    if (pid !== null && !s.owners.some((o) => o.pid === pid)) continue;
    for (const c of s.states) {
      if (coveredChanges.has(`${c.event.ts}/${c.event.name}`)) continue;
      push(stateItem(sc, s, c));
    }
  }
  // Retransmissions the capture did not show.
  for (const r of a.correlation.retransmissions) {
    if (r.frame !== null && frames.includes(r.frame)) continue;
    if (!chosen || r.socketId === null || !chosen.sockets.some((s) => s.id === r.socketId)) continue;
    const where = r.ctx.kind === 'softirq' && r.ctx.softirq ? `softirq ${softirqName(r.ctx.softirq.vec)}${cpuText(r.ctx.cpu)}` : `${r.ctx.comm ?? 'thread'} ${r.ctx.tid ?? ''}${cpuText(r.ctx.cpu)}`;
    push({
      ts: r.event.ts,
      kind: 'packet',
      title: `the kernel retransmits a segment (${r.event.name})`,
      text: `${r.event.name} for ${endpointText(r.local)} → ${endpointText(r.remote)} from ${where}${r.frame !== null ? `, captured as frame #${r.frame}` : ', not captured at this end'}.`,
      cpu: r.event.cpu ?? undefined,
      events: [r.event],
      frames: r.frame !== null ? [r.frame] : [],
      tag: 'retransmit',
    });
  }
  if (activity?.exit && !items.some((i) => i.tag === 'exit')) {
    push({ ts: activity.exit.ts, kind: 'exit', title: `${sc.comm} exits`, text: `sched_process_exit: process ${pid} is gone.`, tid: activity.exit.tid, cpu: activity.exit.event.cpu ?? undefined, events: [activity.exit.event], frames: [], tag: 'exit' });
  }
  if (!activity && a.dataset.kernel && pid === null && chosen) extraLimits.push('No process of this connection is in the trace (its syscalls were not traced, or it ran before the trace): only what the kernel did with its packets is shown.');
  if (activity && POLL_LIKE.size && shown.some((s) => POLL_LIKE.has(s.name))) extraLimits.push('select/poll fd sets are user-space pointers the trace does not hold: which descriptor was ready is told by the call that follows.');
  if (!chosen && all.length === 0) extraLimits.push('No connection or socket activity found in this dataset.');
  const unmatched = a.correlation.unmatchedFrames.filter((u) => frames.includes(u.frame));
  if (unmatched.length && a.dataset.kernel) extraLimits.push(`${unmatched.length} frame(s) of this connection have no kernel event: ${unmatched.slice(0, 3).map((u) => `#${u.frame} (${u.reason})`).join(', ')}${unmatched.length > 3 ? ', …' : ''}.`);

  items.sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : x.order - y.order));
  items.splice(0, items.length, ...condense(items));
  const originTs = items[0]?.ts ?? null;
  // The seed followed a server: map only a server's story onto its list.
  const serverStory = items.some((i) => /^(call|return):accept4?$/.test(i.tag ?? ''));
  const seed = serverStory ? assignSeedItems(items.map((i) => ({ tag: i.tag, title: i.title }))) : [];
  const steps: StoryStep[] = items.map((it, i) => {
    const events = dedupeEvents(it.events);
    const step: StoryStep = {
      n: i + 1,
      ts: it.ts,
      relNs: originTs === null ? 0n : it.ts - originTs,
      kind: it.kind,
      title: it.title,
      text: it.text,
      events: events.length > MAX_CITED_EVENTS ? [...events.slice(0, MAX_CITED_EVENTS - 1), events[events.length - 1]!] : events,
      frames: [...new Set(it.frames)],
      ...(it.tid !== undefined ? { tid: it.tid } : {}),
      ...(it.cpu !== undefined ? { cpu: it.cpu } : {}),
      ...(it.latencyNs !== undefined ? { latencyNs: it.latencyNs, latencyLabel: it.latencyLabel } : {}),
      ...(seed[i] !== undefined ? { seedItem: seed[i] } : {}),
    };
    return step;
  });
  const subject: StorySubject | null = pid === null ? null : { pid, comm: sc.comm, tids: [...sc.subjectTids].sort((x, y) => x - y), exe: activity?.exec?.filename ?? null };
  return {
    connection: chosen?.ref ?? null,
    steps,
    otherConnections: others.map((o) => o.ref),
    limitations: limitationsOf(a, extraLimits),
    subject,
    source: { paths: a.dataset.paths, originTs, kernel: a.dataset.kernel !== null, capture: a.dataset.capturePath !== null },
    latencies,
  };
}

function dedupeEvents(events: readonly EventRef[]): EventRef[] {
  const seen = new Set<string>();
  const out: EventRef[] = [];
  for (const e of events) {
    const k = `${e.ts}/${e.cpu}/${e.name}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out.sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
}

/** The connection's frames as captured at the subject's end (one copy of each packet). */
function subjectFrames(sc: StoryContext): number[] {
  const conn = sc.conn;
  if (!conn) return [];
  const pid = sc.pid;
  const mine = conn.frames.filter((n) => {
    const fc = sc.fc(n);
    if (!fc) return false;
    if (pid !== null && fc.owner?.pid === pid) return true;
    return fc.socketId !== null && conn.sockets.some((s) => s.id === fc.socketId && s.owners.some((o) => o.pid === pid));
  });
  if (mine.length) {
    // Keep the frames of the vantage point(s) where the subject's frames were captured.
    const vantages = new Set(mine.map((n) => vantageOf(sc.frame(n)!)));
    return conn.frames.filter((n) => vantages.has(vantageOf(sc.frame(n)!)) && keepCopy(sc, n, pid));
  }
  // No owner known (capture only, or the subject not traced): one vantage point.
  const first = sc.frame(conn.frames[0]!);
  if (!first) return [];
  const v = vantageOf(first);
  return conn.frames.filter((n) => vantageOf(sc.frame(n)!) === v && keepCopy(sc, n, pid));
}

function vantageOf(f: DatasetFrame): string {
  return `${f.interfaceId}/${f.device ?? ''}`;
}

/**
 * On loopback a packet may be captured twice (leaving and coming back in; libpcap's
 * `any` keeps only the incoming copy): keep one copy, the one at the subject's socket.
 */
function keepCopy(sc: StoryContext, n: number, pid: number | null): boolean {
  const f = sc.frame(n)!;
  if (f.hatype !== 772 || f.direction === null) return true;
  const fc = sc.fc(n);
  const twin = fc?.sameSkbFrames.map((x) => sc.frame(x)).find((x) => x && x.interfaceId === f.interfaceId);
  if (!twin) return true;
  if (pid !== null && fc?.owner) return fc.owner.pid === pid;
  return f.direction === 'in';
}

/** Blocked intervals of the subject, by `tid/syscall entry ts`. */
function indexChains(chains: readonly WakeupChain[], sc: StoryContext): Map<string, WakeupChain[]> {
  const m = new Map<string, WakeupChain[]>();
  for (const c of chains) {
    if (!sc.subjectTids.has(c.tid)) continue;
    const key = `${c.tid}/${c.syscall?.entryTs ?? c.exitTs}`;
    const l = m.get(key) ?? [];
    l.push(c);
    m.set(key, l);
  }
  return m;
}

/**
 * The syscalls the story shows: those on the connection's sockets (and their creation),
 * reads and writes of the standard streams while the connection lives, the waits between
 * them, and the process's exit.
 */
function chooseSyscalls(sc: StoryContext, act: SubjectActivity, frames: readonly number[]): SyscallRecord[] {
  const conn = sc.conn;
  const isConnFd = (fd: number, ts: bigint) => sc.isConnSocket(sc.socketOfFd(fd, ts));
  const memo = new Map<SyscallRecord, boolean>();
  const relevant = (s: SyscallRecord): boolean => {
    let r = memo.get(s);
    if (r === undefined) memo.set(s, (r = relevantNow(s)));
    return r;
  };
  const relevantNow = (s: SyscallRecord): boolean => {
    const ts = s.entryTs ?? s.exitTs ?? 0n;
    const fd = s.fd;
    // A thread's exit is no event of the connection; the process's end is.
    if (s.name === 'exit_group' || s.name === 'exit') return s.name === 'exit_group' || s.tid === sc.pid;
    if (s.name === 'socket' && s.ret !== null && s.ret >= 0 && s.exitTs !== null && isConnFd(s.ret, s.exitTs)) return true;
    // An accept belongs to the connection it returns (a server accepts many on one fd).
    if (s.name === 'accept' || s.name === 'accept4') return s.ret !== null && s.ret >= 0 && s.exitTs !== null && isConnFd(s.ret, s.exitTs);
    if (Number.isFinite(fd) && isConnFd(fd, ts)) return true;
    if (!conn && Number.isFinite(fd) && sc.socketOfFd(fd, ts)) return true;
    return false;
  };
  const base = act.syscalls.filter(relevant);
  if (!base.length) return [];
  // The connection's life for this process.
  const tsOf = (s: SyscallRecord) => s.entryTs ?? s.exitTs ?? 0n;
  const connFirst = tsOf(base[0]!);
  let connLast = base.filter((s) => s.name !== 'exit_group' && s.name !== 'exit').reduce((m, s) => (tsOf(s) > m ? tsOf(s) : m), connFirst);
  for (const n of frames) {
    const f = sc.frame(n);
    if (f && f.ts > connLast) connLast = f.ts;
  }
  const accepted = base.find((s) => (s.name === 'accept' || s.name === 'accept4') && s.ret !== null && s.ret >= 0);
  const dataFrom = accepted?.exitTs ?? base.find((s) => s.name === 'connect')?.entryTs ?? connFirst;
  const out = new Set(base);
  const byTid = new Map<number, SyscallRecord[]>();
  for (const s of act.syscalls) {
    const l = byTid.get(s.tid) ?? [];
    l.push(s);
    byTid.set(s.tid, l);
  }
  for (const list of byTid.values()) {
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      const ts = tsOf(s);
      if (ts > connLast + 1_000_000_000n) continue;
      const fd = s.fd;
      // Standard streams the program relays to and from the connection (ncat's stdin/stdout).
      if (ts >= dataFrom && ts <= connLast && (s.name === 'read' || s.name === 'write') && fd >= 0 && fd <= 2) out.add(s);
      // (A wait before the connection's first call is kept when that call follows it: it is
      // what the process was doing when the connection arrived.)
      // Waits that lead to a shown call (or end with the connection's packet).
      if (WAIT_SYSCALLS.has(s.name) && POLL_LIKE.has(s.name)) {
        let j = i + 1;
        while (j < list.length && POLL_LIKE.has(list[j]!.name)) j++;
        const next = list[j];
        const nextFd = next ? next.fd : NaN;
        if (next && (out.has(next) || relevant(next) || ((next.name === 'read' || next.name === 'write') && nextFd >= 0 && nextFd <= 2 && tsOf(next) >= dataFrom))) out.add(s);
      }
    }
  }
  return act.syscalls.filter((s) => out.has(s));
}

/** What a select/poll/epoll call that did not sleep says by its return value. */
function pollWithoutBlocking(ret: number | null | undefined): string {
  if (ret === 0) return 'nothing was ready, and the call did not wait (a check, or a timeout that had already run out).';
  if (ret === null || ret === undefined) return 'its return is not in the trace.';
  if (ret > 0) return `${ret === 1 ? 'a descriptor was' : `${ret} descriptors were`} ready at once, no wait.`;
  return 'the call failed without waiting.';
}

function noteForHidden(hidden: readonly SyscallRecord[], sc: StoryContext): Omit<Item, 'order'> {
  const counts = new Map<string, number>();
  for (const s of hidden) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  const top = [...counts.entries()].sort((x, y) => y[1] - x[1]).slice(0, 6).map(([n, c]) => `${n} ×${c}`);
  const first = hidden[0]!;
  return {
    ts: first.entryTs ?? first.exitTs ?? 0n,
    kind: 'note',
    title: `${sc.comm} starts up: ${hidden.length} system calls before its first socket`,
    text: `Loading the program and its libraries: ${top.join(', ')}${counts.size > 6 ? ', …' : ''}.`,
    tid: first.tid,
    cpu: first.cpu ?? undefined,
    events: [first.entryEvent ?? first.exitEvent!].filter(Boolean),
    frames: [],
    tag: 'startup',
  };
}

/** Items for one shown syscall: the call (or its block, wakeup and return). */
function syscallItems(sc: StoryContext, s: SyscallRecord, chains: readonly WakeupChain[], sent: readonly number[], lat: Record<string, bigint>, frames: readonly number[]): Array<Omit<Item, 'order'>> {
  const ts = s.entryTs ?? s.exitTs ?? 0n;
  const call = callText(s.name, s.args, (fd) => sc.fdText(fd, ts), (n) => sc.fdSetText(n, ts));
  const ret = returnText(s.ret);
  const events = [s.entryEvent, s.exitEvent].filter((e): e is EventRef => e !== null);
  const out: Array<Omit<Item, 'order'>> = [];
  const base = { tid: s.tid, cpu: s.cpu ?? undefined, syscall: s };
  const detail = syscallDetail(sc, s, sent, lat, frames);
  if (chains.length) {
    const first = chains[0]!;
    const last = chains[chains.length - 1]!;
    if (first.blockTs !== null) {
      out.push({
        ...base,
        ts: s.entryTs ?? first.blockTs,
        kind: 'block',
        title: `${call} blocks`,
        text: `${sc.comm} finds nothing ready and sleeps: sched_switch${cpuText(first.blockCpu)} (prev_state ${first.blockState}) takes it off the CPU.${detail.before ? ` ${detail.before}` : ''}`,
        events: [...(s.entryEvent ? [s.entryEvent] : []), ...(first.blockEvent ? [first.blockEvent] : [])],
        frames: [],
        tag: `block:${s.name}`,
      });
    }
    for (const c of chains) {
      if (!c.waker) continue;
      const cause = c.cause;
      const run = c.runTs !== null ? ` ${sc.comm} runs again${cpuText(c.runCpu)} ${c.wakeToRunNs !== null ? `${us(c.wakeToRunNs)} later` : ''} (sched_switch).` : '';
      const wokeFrames = cause.frame !== null ? [cause.frame, ...(sc.fc(cause.frame)?.sameSkbFrames ?? [])] : [];
      const f = cause.frame !== null ? sc.frame(cause.frame) : undefined;
      const what = f ? ` — ${frameLabel(f)}` : '';
      out.push({
        tid: s.tid,
        cpu: c.waker.ctx.cpu ?? undefined,
        ts: c.waker.event.ts,
        kind: 'wakeup',
        title: `wakeup: ${cause.text}`,
        text: `${c.waker.event.name} for ${sc.comm} (tid ${c.tid}) from ${wakerText(c)}${what}.${run}`,
        events: [c.waker.event, ...(c.runEvent ? [c.runEvent] : [])],
        frames: wokeFrames,
        tag: `wakeup:${s.name}:${cause.frame !== null ? flagTag(sc.frame(cause.frame)) : cause.kind}`,
      });
    }
    const backOn = last.runTs ?? last.exitTs;
    const blocked = first.blockTs !== null && backOn !== null ? backOn - first.blockTs : null;
    out.push({
      ...base,
      cpu: last.runCpu ?? base.cpu,
      ts: s.exitTs ?? last.runTs ?? ts,
      kind: 'syscall',
      title: `${s.name} returns ${ret.replace(/^= /, '')}${detail.titleSuffix}`,
      text: `${blocked !== null ? `After ${dur(blocked)} asleep, ` : ''}${call} ${ret}.${detail.after ? ` ${detail.after}` : ''}`,
      events: s.exitEvent ? [s.exitEvent, ...detail.events] : detail.events,
      frames: detail.frames,
      latencyNs: detail.latencyNs,
      latencyLabel: detail.latencyLabel,
      tag: `return:${s.name}`,
    });
    return out;
  }
  if (POLL_LIKE.has(s.name) && !detail.after) detail.after = `${call} ${ret}: ${pollWithoutBlocking(s.ret)}`;
  const kind: StoryStepKind = s.name === 'exit_group' || s.name === 'exit' ? 'exit' : s.name === 'close' || s.name === 'shutdown' ? 'teardown' : 'syscall';
  out.push({
    ...base,
    ts,
    kind,
    title: `${detail.title ?? `${call} ${ret}`}${detail.titleSuffix}`,
    text: `${detail.before ? `${detail.before} ` : ''}${detail.after ?? ''}`.trim() || `${call} ${ret}.`,
    events: [...events, ...detail.events],
    frames: detail.frames,
    latencyNs: detail.latencyNs,
    latencyLabel: detail.latencyLabel,
    tag: s.name === 'exit_group' || s.name === 'exit' ? 'exit' : `call:${s.name}`,
  });
  return out;
}

function flagTag(f: DatasetFrame | undefined): string {
  const fl = f ? flagsOf(f) : 0;
  if (fl & RST) return 'rst';
  if (fl & FIN) return 'fin';
  if (fl & SYN) return 'syn';
  if ((f?.tcp?.payload ?? 0) > 0) return 'data';
  return 'ack';
}

function wakerText(c: WakeupChain): string {
  const ctx = c.waker!.ctx;
  if (ctx.kind === 'softirq' && ctx.softirq) {
    const si = ctx.softirq;
    return `softirq ${softirqName(si.vec)}${cpuText(ctx.cpu)} (running in ${taskText(si.comm, si.tid)}'s time${raiserText(si.raisedBy)})`;
  }
  if (ctx.kind === 'irq' && ctx.irq) return `hard IRQ ${ctx.irq.irq} ${ctx.irq.name}${cpuText(ctx.cpu)}`;
  return `${ctx.comm ?? 'thread'} (tid ${ctx.tid ?? '?'}${ctx.syscall ? `, in ${ctx.syscall.name}()` : ''})${cpuText(ctx.cpu)}`;
}

function raiserText(r: import('../correlate/context.js').SoftirqRaiser | null): string {
  if (!r) return '';
  if (r.kind === 'irq') return `, raised by hard IRQ ${r.irq.irq} ${r.irq.name}`;
  if (r.kind === 'softirq') return `, raised by softirq ${softirqName(r.softirq.vec)}`;
  return `, raised by ${r.comm ?? 'a task'}${r.tid !== null ? ` ${r.tid}` : ''}${r.syscall ? ` in ${r.syscall}()` : ''} — no hard IRQ: a virtual device (veth/loopback) hands the packet over in the sender's context`;
}

interface Detail {
  title?: string;
  titleSuffix: string;
  before?: string;
  after?: string;
  events: EventRef[];
  frames: number[];
  latencyNs?: bigint;
  latencyLabel?: string;
}

/** What a syscall did to the connection: state changes, packets sent or read, latencies. */
function syscallDetail(sc: StoryContext, s: SyscallRecord, sent: readonly number[], lat: Record<string, bigint>, frames: readonly number[]): Detail {
  const d: Detail = { titleSuffix: '', events: [], frames: [] };
  const ts = s.entryTs ?? s.exitTs ?? 0n;
  const end = s.exitTs ?? ts;
  const fd = Number(s.args.fd);
  const sock = Number.isFinite(fd) ? sc.socketOfFd(fd, ts) : null;
  // State changes inside the syscall (listen, connect, close, shutdown).
  const changes: string[] = [];
  for (const so of sc.conn?.sockets ?? []) {
    for (const c of so.states) {
      if (c.ctx.kind !== 'task' || c.ctx.tid !== s.tid || c.ts < ts || c.ts > end) continue;
      changes.push(`${tcpStateName(c.from)} → ${tcpStateName(c.to)}`);
      d.events.push(c.event);
    }
  }
  const stateText = changes.length ? `inet_sock_set_state: ${changes.join(', ')}.` : '';
  switch (s.name) {
    case 'socket':
      d.after = `${sc.comm} creates a ${sock?.protocol && sock.protocol !== 'other' ? sock.protocol.toUpperCase() + ' ' : ''}socket: file descriptor ${s.ret}.`;
      break;
    case 'bind':
      d.title = `bind(${fd}) ${returnText(s.ret)}${sock?.local ? ` → ${endpointText(sock.local)}` : ''}`;
      d.after = sock?.local ? `fd ${fd} is bound to ${endpointText(sock.local)} (the address comes from the socket's later state change: bind's sockaddr is a user-space pointer).` : `bind's address is a user-space pointer the trace does not hold.`;
      break;
    case 'listen':
      d.after = `${stateText || 'The socket starts listening.'} From now on the kernel answers SYNs on ${endpointText(sock?.local ?? null)} by itself; accept() only collects finished handshakes.`;
      break;
    case 'accept':
    case 'accept4': {
      if (s.ret !== null && s.ret >= 0 && s.exitTs !== null) {
        const child = sc.socketOfFd(s.ret, s.exitTs);
        d.title = `${s.name}(${sc.fdText(fd, ts)}) → ${child ? sc.fdText(s.ret, s.exitTs) : s.ret}`;
        if (child) {
          const est = child.states.find((c) => c.to === 1);
          const synFrame = frames.map((n) => sc.frame(n)!).find((f) => f && flagsOf(f) & SYN && !(flagsOf(f) & ACK) && f.dport === child.local?.port && f.sport === child.remote?.port);
          d.after = child.local && child.remote
            ? `The kernel takes the established connection off the listening socket's queue: socket ${child.skaddr ?? '?'} (${endpointText(child.local)} ↔ ${endpointText(child.remote)})${est ? `, ESTABLISHED since ${dur(s.exitTs - est.ts)} before` : ''}.`
            : `The kernel hands over a new connection from fd ${fd}'s queue as fd ${s.ret} (the trace does not hold its addresses).`;
          if (synFrame) {
            d.latencyNs = s.exitTs - synFrame.ts;
            d.latencyLabel = `SYN (frame #${synFrame.number}) → ${s.name} return`;
            lat.syn_to_accept_ns = d.latencyNs;
            d.after += ` SYN (frame #${synFrame.number}) → ${s.name} return: ${dur(d.latencyNs)}.`;
            d.frames.push(synFrame.number);
          }
          if (est) d.events.push(est.event);
        }
      }
      break;
    }
    case 'connect':
      d.after = sock?.protocol === 'tcp' ? `${stateText} The kernel sends the SYN from inside connect().`.trim() : stateText || `${sc.comm} connects ${sc.fdText(fd, ts)}.`;
      break;
    case 'close':
      if (sock && sock.states.some((c) => c.to === TCP_LISTEN) && !sock.remote) d.after = `${sc.comm} closes its listening socket${stateText ? ` (${stateText.replace(/\.$/, '')})` : ''}: no more connections will be accepted.`;
      else d.after = `${stateText}${sock ? ` The socket ${sock.skaddr ?? ''} is released${sock.events.some((e) => e.name === 'tcp_destroy_sock' && e.ts >= ts && e.ts <= end) ? ' (tcp_destroy_sock)' : ''}.` : ''}`.trim();
      for (const e of sock?.events ?? []) if (e.name === 'tcp_destroy_sock' && e.ts >= ts && e.ts <= end) d.events.push(e);
      break;
    case 'shutdown':
      d.after = stateText;
      break;
    case 'read':
    case 'recvfrom':
    case 'recv':
    case 'recvmsg':
    case 'readv': {
      const copies = sc.taskHops(s.tid, ts, end).filter((h) => h.kind === 'copy');
      const fromFrames: number[] = [];
      for (const h of copies) {
        d.events.push(h.event);
        const j = sc.a.correlation.journeys[h.journey];
        for (const n of j?.frames ?? []) if (frames.includes(n)) fromFrames.push(n);
      }
      if (s.ret !== null && s.ret < 0) {
        const reset = sock?.events.find((e) => e.name === 'tcp_receive_reset' && e.ts <= ts);
        const when = reset ? ` (tcp_receive_reset ${dur(ts - reset.ts)} before this call${reset.cpu !== null && reset.cpu !== undefined ? `, on CPU ${reset.cpu}` : ''})` : '';
        d.after = s.ret === -104 ? `The connection was reset by the peer${when}: the read fails with ECONNRESET.` : `The read fails.`;
        if (reset) d.events.push(reset);
      } else if (s.ret === 0 && sock) {
        d.after = 'End of stream: the peer closed its side (FIN).';
      } else if (fromFrames.length) {
        const f = sc.frame(fromFrames[fromFrames.length - 1]!)!;
        d.frames.push(...fromFrames);
        d.titleSuffix = ` ← frame #${f.number}`;
        if (s.exitTs !== null) {
          d.latencyNs = s.exitTs - f.ts;
          d.latencyLabel = `frame #${f.number} on the wire → ${s.name} return`;
          if (lat.wire_to_recv_ns === undefined) lat.wire_to_recv_ns = d.latencyNs;
        }
        d.after = `${s.ret} bytes copied to user space from the buffer of frame #${f.number} (skb_copy_datagram_iovec)${d.latencyNs !== undefined ? `; on the wire → ${s.name} return: ${dur(d.latencyNs)}` : ''}.`;
      } else if (fd >= 0 && fd <= 2 && !sc.isConnSocket(sock)) d.after = `${s.ret} bytes read from ${sc.fdText(fd, ts)}.`;
      else if (sock) d.after = `${s.ret} bytes read from the socket.`;
      break;
    }
    case 'write':
    case 'sendto':
    case 'send':
    case 'sendmsg':
    case 'writev': {
      if (sent.length) {
        const fs = sent.map((n) => sc.frame(n)!).filter(Boolean);
        const f = fs[0]!;
        const fc = sc.fc(f.number)!;
        const hops = fc.journey?.hops ?? [];
        d.titleSuffix = ` → ${hopChain(hops, fc.anchor, true)} → frame #${f.number} [${f.tcp?.flagText ?? f.transport}]${f.tcp ? ` len ${Math.max(f.tcp.payload, 0)}` : ''}${fs.length > 1 ? ` (+${fs.length - 1} more)` : ''}`;
        for (const x of fs) {
          d.frames.push(x.number, ...(sc.fc(x.number)?.sameSkbFrames ?? []));
          d.events.push(...(sc.fc(x.number)?.journey?.hops.filter((h) => h.kind === 'queue' || h.kind === 'xmit').map((h) => h.event) ?? []));
        }
        if (s.entryTs !== null) {
          d.latencyNs = f.ts - s.entryTs;
          d.latencyLabel = `${s.name} entry → frame #${f.number} on the wire`;
          if (lat.send_to_wire_ns === undefined) lat.send_to_wire_ns = d.latencyNs;
        }
        const xmit = hops.find((h) => h.kind === 'xmit');
        const queued = hops.find((h) => h.kind === 'queue') ?? fc.anchor;
        const peer = fc.sameSkbFrames.length ? ` It arrives at the other end as frame #${fc.sameSkbFrames.join(', #')}.` : '';
        d.after = `Inside ${s.name}${cpuText(s.cpu)} the kernel builds the segment and hands it to ${queued?.dev ?? 'the device'}: net_dev_queue (skb ${queued?.skb}, ${queued?.len} bytes)${xmit && queued ? `, net_dev_xmit ${us(xmit.ts - queued.ts)} later` : ''}; captured as ${frameLabel(f)}. ${s.name} entry → on the wire: ${d.latencyNs !== undefined ? dur(d.latencyNs) : '?'}.${peer}`;
      } else if (sock && sc.taskHops(s.tid, ts, end).some((h) => h.kind === 'queue')) {
        // No capture of it, but the kernel events show the packet leaving.
        const queued = sc.taskHops(s.tid, ts, end).filter((h) => h.kind === 'queue');
        const q = queued[0]!;
        const xmit = sc.a.correlation.journeys[q.journey]?.hops.find((h) => h.kind === 'xmit');
        d.titleSuffix = ` → net_dev_queue${xmit ? ' → net_dev_xmit' : ''} (${q.len ?? '?'} bytes on ${q.dev ?? '?'}, not captured)${queued.length > 1 ? ` (+${queued.length - 1} more)` : ''}`;
        d.events.push(...queued.map((h) => h.event), ...(xmit ? [xmit.event] : []));
        if (s.entryTs !== null) {
          d.latencyNs = q.ts - s.entryTs;
          d.latencyLabel = `${s.name} entry → net_dev_queue`;
          if (lat.send_to_queue_ns === undefined) lat.send_to_queue_ns = d.latencyNs;
        }
        d.after = `Inside ${s.name}${cpuText(s.cpu)} the kernel hands the segment to ${q.dev ?? 'the device'}: net_dev_queue (skb ${q.skb}, ${q.len} bytes) ${us(q.ts - (s.entryTs ?? q.ts))} after entry${xmit ? `, net_dev_xmit ${us(xmit.ts - q.ts)} later` : ''}. No capture shows the packet itself.`;
      } else if (fd >= 0 && fd <= 2 && !sc.isConnSocket(sock)) d.after = `${s.ret} bytes written to ${sc.fdText(fd, ts)}.`;
      else if (sock) d.after = `${s.ret} bytes handed to the socket${sc.a.dataset.capturePath ? ' (no frame captured for them at this end)' : ''}.`;
      break;
    }
    case 'fcntl':
    case 'setsockopt':
    case 'getsockopt':
      d.after = [explainOption(s), stateText].filter(Boolean).join(' ');
      break;
    case 'exit_group':
    case 'exit': {
      d.title = `${s.name}(${Number(s.args.error_code)})`;
      const ex = sc.activity?.exit;
      d.after = `${sc.comm} ends with exit code ${Number(s.args.error_code)}${ex ? `; sched_process_exit ${us(ex.ts - ts)} later` : ''}.`;
      if (ex) d.events.push(ex.event);
      break;
    }
    default:
      d.after = stateText;
  }
  // Packets a syscall sent that the cases above did not tell (close → FIN, shutdown…).
  if (sent.length && !d.titleSuffix) {
    const fs = sent.map((n) => sc.frame(n)!).filter(Boolean);
    d.titleSuffix = ` → frame #${fs[0]!.number} [${fs[0]!.tcp?.flagText ?? fs[0]!.transport}]${fs.length > 1 ? ` (+${fs.length - 1} more)` : ''}`;
    for (const x of fs) {
      d.frames.push(x.number, ...(sc.fc(x.number)?.sameSkbFrames ?? []));
      d.events.push(...(sc.fc(x.number)?.journey?.hops.filter((h) => h.kind === 'queue' || h.kind === 'xmit').map((h) => h.event) ?? []));
    }
    d.after = `${d.after ?? ''} The kernel sends ${fs.map((x) => frameLabel(x)).join('; ')} from inside ${s.name}().`.trim();
  }
  if (s.name !== 'accept' && s.name !== 'accept4' && stateText && !d.after?.includes('inet_sock_set_state')) d.after = `${d.after ?? ''} ${stateText}`.trim();
  return d;
}

/** What a common fcntl/setsockopt call does, in one sentence ('' when not one of them). */
function explainOption(s: SyscallRecord): string {
  const a = s.args;
  if (s.name === 'fcntl') {
    const cmd = Number(a.cmd);
    const arg = Number(a.arg);
    if (cmd === 3) return `Reads the descriptor's status flags${s.ret !== null && s.ret >= 0 ? ` (${(s.ret & 0o4000) !== 0 ? 'non-blocking' : 'blocking'})` : ''}.`;
    if (cmd === 4) return (arg & 0o4000) !== 0 ? 'Makes the descriptor non-blocking: a read or accept with nothing ready returns EAGAIN at once instead of sleeping, so the program waits in select/poll instead.' : 'Makes the descriptor blocking again: the next read or write may sleep in the kernel.';
    if (cmd === 2) return 'Sets close-on-exec: a program this one executes will not inherit the descriptor.';
    return '';
  }
  if (s.name === 'setsockopt' && Number(a.level) === 1) {
    switch (Number(a.optname)) {
      case 2:
        return 'SO_REUSEADDR: the port can be bound again at once, even while old connections on it linger in TIME_WAIT.';
      case 13:
        return 'SO_LINGER: with a zero timeout, close() will abort the connection with RST instead of the FIN handshake.';
      case 9:
        return 'SO_KEEPALIVE: the kernel will probe an idle connection.';
      default:
        return '';
    }
  }
  if (s.name === 'setsockopt' && Number(a.level) === 6 && Number(a.optname) === 1) return "TCP_NODELAY: small writes leave at once instead of waiting for Nagle's algorithm.";
  if (s.name === 'getsockopt' && Number(a.level) === 1 && Number(a.optname) === 4) return 'SO_ERROR: the outcome of a non-blocking connect().';
  return '';
}

/** A step for a frame of the connection the subject did not send itself. */
function frameItem(sc: StoryContext, n: number, lat: Record<string, bigint>): Omit<Item, 'order'> | null {
  const f = sc.frame(n);
  const fc = sc.fc(n);
  if (!f || !fc) return null;
  const fl = flagsOf(f);
  const anchor = fc.anchor;
  const local = subjectEnd(sc);
  // "Sent" means sent by the subject's end (the server when the trace has no process); on
  // loopback the one captured copy of a sent packet is the incoming one.
  const sent = local ? f.src === local.addr && f.sport === local.port : anchor ? anchor.kind === 'queue' || anchor.kind === 'xmit' : f.direction === 'out';
  const sendHop = anchor && (anchor.kind === 'queue' || anchor.kind === 'xmit') ? anchor : (fc.journey?.hops.find((h) => h.kind === 'queue') ?? null);
  const ts = anchor?.ts ?? f.ts;
  const peerCopies = fc.sameSkbFrames.length ? ` (captured at the other end as frame #${fc.sameSkbFrames.join(', #')})` : '';
  // The handshake completes with the kernel's state change or, without kernel events, with
  // the first pure ACK that follows the SYN-ACK.
  let handshakeDone = fc.stateChanges.some((c) => c.change.to === 1 && (c.change.from === 3 || c.change.from === 2));
  if (fl & SYN && fl & ACK) sc.synAckSeen = true;
  else if (sc.synAckSeen && !sc.handshakeTold && fl === ACK && (f.tcp?.payload ?? 0) <= 0 && !fc.stateChanges.length && !anchor) handshakeDone = true;
  if (handshakeDone) sc.handshakeTold = true;
  const retrans = f.tcp?.analysis.includes('retransmission') || [fc, ...fc.sameSkbFrames.map((o) => sc.fc(o))].some((x) => x?.tcpEvents.some((e) => e.name.startsWith('tcp_retransmit')));
  let label: string;
  let kind: StoryStepKind = 'packet';
  let tag: string;
  if (fl & RST) {
    label = sent ? 'the kernel resets the connection (RST)' : 'the peer resets the connection (RST)';
    kind = 'teardown';
    tag = 'rst';
  } else if (fl & FIN) {
    label = sent ? 'this end closes its side (FIN)' : 'the peer closes its side (FIN)';
    kind = 'teardown';
    tag = 'fin';
  } else if (fl & SYN && !(fl & ACK)) {
    label = sent ? 'SYN sent' : 'SYN arrives';
    tag = 'syn';
  } else if (fl & SYN) {
    label = sent ? 'the kernel answers SYN-ACK' : 'SYN-ACK arrives';
    tag = 'synack';
  } else if (handshakeDone) {
    label = 'the handshake completes';
    kind = 'state';
    tag = 'handshake';
  } else if ((f.tcp?.payload ?? 0) > 0) {
    label = sent ? `data sent (${f.tcp!.payload} bytes)` : `data arrives (${f.tcp!.payload} bytes)`;
    kind = 'data';
    tag = sent ? 'data-out' : 'data-in';
  } else {
    label = sent ? `the kernel acknowledges (ACK ${f.tcp?.ack ?? ''})` : `the peer acknowledges (ACK ${f.tcp?.ack ?? ''})`;
    tag = sent ? 'ack-out' : 'ack-in';
  }
  if (retrans) label = `retransmission: ${label}`;
  const notable = (f.tcp?.analysis ?? []).filter((x) => NOTABLE_ANALYSIS.has(x) && !(retrans && x.endsWith('retransmission')));
  if (notable.length) label += ` [${notable.join(', ')}]`;
  const parts: string[] = [];
  const events: EventRef[] = [...fc.events];
  if (!anchor) {
    parts.push(`${sent ? 'Sent' : 'Received'}${f.device ? ` on ${f.device}` : ''}; no kernel event ties it (${fc.reason ?? 'no kernel trace'}).`);
  } else if (sent && sendHop) {
    const o = fc.origin;
    const where =
      o?.kind === 'softirq'
        ? `softirq ${softirqName(o.softirq.vec)}${cpuText(o.softirq.cpu)} (in ${taskText(o.softirq.comm, o.softirq.tid)}'s time)`
        : o?.kind === 'syscall'
          ? `${o.comm ?? 'a thread'} ${o.pid ?? ''} in ${o.syscall}(${o.fd ?? ''})${cpuText(sendHop.cpu)}`
          : o?.kind === 'irq'
            ? `hard IRQ ${o.irq.irq} ${o.irq.name}${cpuText(sendHop.cpu)}`
            : `${o?.comm ?? 'a task'}${cpuText(sendHop.cpu)}`;
    const trigger = o?.kind === 'softirq' ? triggerFrame(sc, fc) : null;
    const captured = sendHop === anchor ? `captured ${us(fc.delayNs ?? 0n)} after net_dev_queue` : `captured as it comes back in (${anchor.event.name} on ${anchor.dev}, ${us(anchor.ts - sendHop.ts)} later)`;
    parts.push(`Sent by ${where}${o?.kind === 'softirq' ? `, with no system call of ${sc.comm}` : ''}${trigger ? ` — the kernel's answer to frame #${trigger}` : ''}: ${hopChain(fc.journey?.hops ?? [], sendHop, true)} (skb ${sendHop.skb}, ${sendHop.len} bytes on ${sendHop.dev}); ${captured}${peerCopies}.`);
    if (trigger) events.push(...(sc.fc(trigger)?.anchor ? [sc.fc(trigger)!.anchor!.event] : []));
  } else {
    const si = fc.softirq;
    const irq = fc.irq ? `Hard IRQ ${fc.irq.irq} (${fc.irq.name})${cpuText(fc.irq.cpu)}, then ` : '';
    const siText = si ? `${irq}softirq ${softirqName(si.vec)}${cpuText(si.cpu)} (in ${taskText(si.comm, si.tid)}'s time${fc.irq ? '' : raiserText(si.raisedBy)})` : `${anchor.ctx.kind} context${cpuText(anchor.cpu)}`;
    parts.push(`Received on ${anchor.dev ?? f.device ?? '?'}${peerCopies}. ${siText} processes it: ${hopChain(fc.journey?.hops ?? [], anchor, false)} (skb ${anchor.skb}, ${anchor.len} bytes).`);
  }
  if (fc.stateChanges.length) parts.push(`TCP: ${fc.stateChanges.map((c) => `${tcpStateName(c.change.from)} → ${tcpStateName(c.change.to)}`).join(', ')} (inet_sock_set_state).`);
  const tcpSentences: string[] = [];
  for (const e of fc.tcpEvents) if (e.name !== 'tcp_probe') tcpSentences.push(`${e.name}${e.name === 'tcp_retransmit_skb' ? ': the kernel retransmits this segment' : ''}`);
  // The other end's kernel events for the same packet (veth/loopback): who retransmitted or reset it.
  for (const other of fc.sameSkbFrames) {
    for (const e of sc.fc(other)?.tcpEvents ?? []) {
      if (e.name === 'tcp_probe') continue;
      const ctx = sc.a.correlation.frames.get(other)?.origin;
      const by = ctx?.kind === 'softirq' ? ` in softirq ${softirqName(ctx.softirq.vec)}${cpuText(ctx.softirq.cpu)}` : ctx?.kind === 'syscall' ? ` in ${ctx.syscall}() of ${ctx.comm ?? '?'} ${ctx.pid ?? ''}` : '';
      tcpSentences.push(`The sender's kernel: ${e.name}${by} (frame #${other})`);
      events.push(e);
    }
  }
  parts.push(...countedSentences(tcpSentences));
  const drop = sc.dropOf(n);
  if (drop) parts.push(`The kernel drops it: kfree_skb reason ${drop.reason}.`);
  const subjectWoken = fc.woke.filter((w) => sc.subjectTids.has(w.tid));
  if (subjectWoken.length) parts.push(`It wakes ${sc.comm} (${subjectWoken[0]!.event.name} at the end of this processing).`);
  else if (sc.pid === null && fc.woke.length) parts.push(`It wakes ${fc.woke.map((w) => taskText(sc.a.threads.get(w.tid)?.comm ?? null, w.tid)).join(', ')} (${fc.woke[0]!.event.name}).`);
  else if (!sent && anchor && sc.pid !== null && (tag === 'ack-in' || tag === 'synack' || tag === 'syn')) parts.push(`${sc.comm} is not woken: the kernel handles this alone.`);
  let latencyNs: bigint | undefined;
  let latencyLabel: string | undefined;
  if (tag === 'handshake') {
    const syn = sc.conn?.frames.map((x) => sc.frame(x)!).find((x) => x && vantage(x) === vantage(f) && flagsOf(x) & SYN && !(flagsOf(x) & ACK));
    if (syn) {
      latencyNs = f.ts - syn.ts;
      latencyLabel = `SYN (frame #${syn.number}) → handshake complete`;
      lat.handshake_ns = latencyNs;
      parts.push(`Handshake: ${dur(latencyNs)} after the SYN.`);
    }
  }
  return {
    ts,
    kind,
    title: `${label}: ${frameLabel(f)}`,
    text: parts.join(' '),
    cpu: anchor?.cpu ?? undefined,
    events,
    frames: [n, ...fc.sameSkbFrames],
    latencyNs,
    latencyLabel,
    tag,
    frame: f,
    special: retrans || notable.length > 0 || fc.stateChanges.length > 0 || !!drop || fc.tcpEvents.some((e) => e.name !== 'tcp_probe') || kind === 'teardown',
  };
}

/**
 * Sentences ending in a period, identical ones told once with their count: a segment the
 * kernel retransmitted twice is one sentence, `…, 2 times.`
 */
function countedSentences(list: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const x of list) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([x, n]) => (n > 1 ? `${x}, ${n} times.` : `${x}.`));
}

/** Wireshark analysis flags worth a step of their own. */
const NOTABLE_ANALYSIS = new Set(['retransmission', 'fast_retransmission', 'spurious_retransmission', 'duplicate_ack', 'lost_segment', 'ack_lost_segment', 'out_of_order', 'zero_window', 'zero_window_probe', 'window_full']);

function vantage(f: DatasetFrame): string {
  return `${f.interfaceId}/${f.device ?? ''}`;
}

/**
 * Received packets of the subject's sockets as the kernel saw them, when no capture has
 * them: those that changed a socket's TCP state, that the socket's tcp_probe saw, or that
 * woke the subject — each with its softirq, device, length and consequences.
 */
function uncapturedPacketItems(sc: StoryContext, sockets: readonly SocketRecord[]): Array<Omit<Item, 'order'>> {
  const skaddrs = new Set(sockets.map((x) => x.skaddr).filter((x): x is string => x !== null));
  const picked = new Map<SkbHop, { changes: Array<{ s: SocketRecord; c: SocketRecord['states'][number] }>; woke: boolean }>();
  const receivesOf = (si: number) => sc.a.hops.filter((h) => h.kind === 'receive' && h.ctx.softirq?.id === si);
  const pick = (h: SkbHop) => {
    let p = picked.get(h);
    if (!p) picked.set(h, (p = { changes: [], woke: false }));
    return p;
  };
  const bySoftirq = new Map<number, SkbHop[]>();
  const receives = (si: number) => {
    let l = bySoftirq.get(si);
    if (!l) bySoftirq.set(si, (l = receivesOf(si)));
    return l;
  };
  for (const so of sockets) {
    for (const c of so.states) {
      const si = c.ctx.kind === 'softirq' ? c.ctx.softirq : null;
      if (!si) continue;
      const before = receives(si.id).filter((h) => h.ts <= c.ts);
      if (before.length) pick(before[before.length - 1]!).changes.push({ s: so, c });
    }
  }
  for (const w of sc.a.wakeups) if (sc.subjectTids.has(w.tid) && w.cause.hop?.kind === 'receive') pick(w.cause.hop).woke = true;
  for (const h of sc.a.hops) if (h.kind === 'probe' && h.skaddr && skaddrs.has(h.skaddr)) {
    const rx = sc.a.correlation.journeys[h.journey]?.hops.find((x) => x.kind === 'receive');
    if (rx) pick(rx);
  }
  const out: Array<Omit<Item, 'order'>> = [];
  for (const [h, p] of picked) {
    const si = h.ctx.softirq;
    const j = sc.a.correlation.journeys[h.journey];
    const irq = si?.raisedBy?.kind === 'irq' ? si.raisedBy.irq : null;
    const changes = p.changes.map(({ c }) => `${tcpStateName(c.from)} → ${tcpStateName(c.to)}`);
    const events = [...(irq ? [irq.entryEvent] : []), ...(si ? [si.entryEvent] : []), ...(j?.hops.filter((x) => x.ctx.softirq === si || x.kind === 'rx').map((x) => x.event) ?? [h.event]), ...p.changes.map(({ c }) => c.event)];
    const where = si ? `${irq ? `Hard IRQ ${irq.irq} (${irq.name}), then ` : ''}softirq ${softirqName(si.vec)}${cpuText(si.cpu)} (in ${taskText(si.comm, si.tid)}'s time${irq ? '' : raiserText(si.raisedBy)})` : `${h.ctx.kind} context${cpuText(h.cpu)}`;
    out.push({
      ts: h.ts,
      kind: changes.some((x) => /CLOSE$/.test(x)) ? 'teardown' : changes.length ? 'state' : 'packet',
      title: `a packet arrives: ${h.len ?? '?'} bytes on ${h.dev ?? '?'} (not captured)${changes.length ? ` — ${changes.join(', ')}` : ''}`,
      text: `${where} processes it: ${hopChain(j?.hops ?? [h], h, false)} (skb ${h.skb}).${changes.length ? ` TCP: ${changes.join(', ')} (inet_sock_set_state).` : ''}${p.woke ? ` It wakes ${sc.comm}.` : ''} Without a capture its flags and sequence numbers are unknown.`,
      cpu: h.cpu ?? undefined,
      events,
      frames: [],
      // A received packet that closes an established socket is a reset; one that half-closes it, a FIN.
      tag: p.changes.some(({ c }) => c.from === 1 && c.to === 7) ? 'rst' : p.changes.some(({ c }) => c.to === 8) ? 'fin' : changes.length ? 'packet-state' : p.woke ? 'packet-wake' : 'data-in',
      special: changes.length > 0,
    });
  }
  return out;
}

/** The subject's end of the connection (the server's, or the only process's). */
function subjectEnd(sc: StoryContext): { addr: string; port: number } | null {
  const conn = sc.conn;
  if (!conn) return null;
  if (sc.pid !== null) {
    const mine = conn.sockets.find((s) => s.local && s.remote && s.owners.some((o) => o.pid === sc.pid));
    if (mine?.local) return mine.local;
  }
  return conn.ref.local;
}

/** The received frame a softirq was processing when it sent `fc`'s frame. */
function triggerFrame(sc: StoryContext, fc: FrameCorrelation): number | null {
  const si = fc.origin?.kind === 'softirq' ? fc.origin.softirq : null;
  const sendHop = fc.journey?.hops.find((h) => h.kind === 'queue');
  if (!si || !sendHop) return null;
  let best: number | null = null;
  for (const other of sc.framesOfSoftirq(si)) {
    const h = other.anchor!;
    if (other === fc || h.kind === 'queue' || h.ts > sendHop.ts) continue;
    const f = sc.frame(other.frame);
    const me = sc.frame(fc.frame);
    if (!f || !me || f.src !== me.dst || f.sport !== me.dport) continue;
    best = other.frame;
  }
  return best;
}

function stateItem(sc: StoryContext, s: SocketRecord, c: SocketRecord['states'][number]): Omit<Item, 'order'> {
  const ctx = c.ctx;
  const where = ctx.kind === 'softirq' && ctx.softirq ? `softirq ${softirqName(ctx.softirq.vec)}${cpuText(ctx.cpu)} (in ${taskText(ctx.softirq.comm, ctx.softirq.tid)}'s time)` : ctx.kind === 'irq' && ctx.irq ? `hard IRQ ${ctx.irq.irq}` : `${ctx.comm ?? 'a thread'} ${ctx.tid ?? ''}${ctx.syscall ? ` in ${ctx.syscall.name}()` : ''}${cpuText(ctx.cpu)}`;
  const packetHint = ctx.kind === 'softirq' && !sc.a.dataset.capturePath ? ' (a received packet; no capture to show it)' : '';
  const isClose = c.to === 7;
  return {
    ts: c.ts,
    kind: c.to === 1 ? 'state' : isClose || c.to === 4 || c.to === 8 || c.to === 9 ? 'teardown' : 'state',
    title: `socket ${endpointText(s.local)}${s.remote ? ` ↔ ${endpointText(s.remote)}` : ''}: ${tcpStateName(c.from)} → ${tcpStateName(c.to)}`,
    text: `inet_sock_set_state in ${where}${packetHint}.`,
    cpu: ctx.cpu ?? undefined,
    events: [c.event],
    frames: [],
    tag: c.to === 1 ? 'handshake' : c.to === 10 ? 'listen-state' : isClose ? 'close-state' : `state:${c.to}`,
  };
}
