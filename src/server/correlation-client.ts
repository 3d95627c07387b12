/**
 * The server-thread side of the correlation views: starts the analysis worker
 * (analysis-worker.ts), then maps its portable answers onto the UI's tables — cited
 * events to Events-table rows, frame numbers to packet rows.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../base/errors.js';
import type { FlowStep, LinkedEvent, PacketLinks, PortableEvent, PortableFlowStep, PortableLinks, PortableStory, SocketRow, StoryReply } from './api-types.js';
import type { CorrelationInfo, ConversationKey } from './correlation-core.js';
import type { EventIndex } from './event-index.js';
import type { PacketTable } from './packet-table.js';

/**
 * The worker module next to this one; from sources (.ts, under tsx) through a bootstrap
 * that registers tsx in the worker thread.
 */
function workerStart(): { url: URL; module?: string } {
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts');
  if (!fromSources) return { url: new URL('./analysis-worker.js', import.meta.url) };
  return { url: new URL('./ts-worker-bootstrap.mjs', import.meta.url), module: new URL('./analysis-worker.ts', import.meta.url).href };
}

export class CorrelationClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  info: CorrelationInfo | null = null;
  /** Settles when the worker has analysed (rejects with its error). */
  readonly ready: Promise<CorrelationInfo>;
  private capturePath: string | null = null;

  private get events(): EventIndex | null {
    return this.eventsOf();
  }

  private get packets(): PacketTable | null {
    return this.packetsOf();
  }

  /** The packet table's capture that the correlation read, or -1. */
  private get captureIndex(): number {
    const pk = this.packets;
    const path = this.capturePath;
    return pk && path ? pk.captures.findIndex((c) => c.input.path === path) : -1;
  }

  constructor(
    paths: readonly string[],
    base: bigint,
    /** The tables are built while the worker runs: read them when answering. */
    private readonly eventsOf: () => EventIndex | null,
    private readonly packetsOf: () => PacketTable | null,
  ) {
    const start = workerStart();
    this.worker = new Worker(start.url, { workerData: { paths: [...paths], base: base.toString(), __module: start.module } });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: { op?: string; info?: CorrelationInfo; error?: string; id?: number; result?: unknown; usage?: boolean }) => {
        if (m.op === 'ready') {
          this.info = m.info!;
          const path = this.info.capturePath;
          this.capturePath = path;
          resolve(this.info);
        } else if (m.op === 'failed') reject(new Error(m.error));
        else if (m.id !== undefined) {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (!p) return;
          if (m.error !== undefined) p.reject(m.usage ? new UsageError(m.error) : new Error(m.error));
          else p.resolve(m.result);
        }
      });
      this.worker.on('error', (err) => {
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
    this.ready.catch(() => {});
  }

  private call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  /** The Events-table row of a cited event (same time, name and CPU), or -1. */
  eventIndexOf(e: PortableEvent): number {
    const ev = this.events;
    if (!ev || !ev.sorted) return -1;
    for (let i = ev.lowerBound(e.t); i < ev.count && ev.time[i] === e.t; i++) {
      if (ev.names[ev.nameId[i]!] === e.name && (e.cpu < 0 || ev.cpu[i] === e.cpu)) return i;
    }
    return -1;
  }

  private linked(e: PortableEvent): LinkedEvent {
    return { ...e, i: this.eventIndexOf(e) };
  }

  /** Packet row of frame `n` of the correlated capture, or -1. */
  rowOfFrame(n: number): number {
    return this.packets && this.captureIndex >= 0 ? this.packets.rowOfFrame(this.captureIndex, n) : -1;
  }

  /** Frame number of a packet row when it belongs to the correlated capture. */
  frameOfRow(id: number): number | null {
    const pk = this.packets;
    if (!pk || this.captureIndex < 0 || pk.cap[id] !== this.captureIndex) return null;
    return pk.no[id]!;
  }

  /** The Process column of a packet row (once the correlation is done). */
  processOf(id: number): string | undefined {
    const n = this.frameOfRow(id);
    return n === null ? undefined : (this.info?.processByFrame[n - 1] ?? undefined);
  }

  async packetLinks(id: number): Promise<PacketLinks> {
    const n = this.frameOfRow(id);
    if (n === null) return { id, events: [], wokenTids: [], matched: false, reason: 'not in the correlated capture' };
    const l = await this.call<PortableLinks>('packetLinks', n);
    return { ...l, id, events: l.events.map((e) => this.linked(e)) };
  }

  sockets(conversations: readonly ConversationKey[]): Promise<SocketRow[]> {
    return this.call<SocketRow[]>('sockets', conversations.map((c) => ({ stream: c.stream, addressA: c.addressA, portA: c.portA, addressB: c.addressB, portB: c.portB })));
  }

  ownerOf(addr: string, port: number): Promise<string> {
    return this.call<string>('ownerOf', addr, port);
  }

  async flowSteps(conv: ConversationKey): Promise<FlowStep[]> {
    const steps = await this.call<PortableFlowStep[]>('flowSteps', { stream: conv.stream, addressA: conv.addressA, portA: conv.portA, addressB: conv.addressB, portB: conv.portB });
    return steps.map(({ ref, ...s }) => {
      const i = this.eventIndexOf(ref);
      return { ...s, events: i >= 0 ? [i] : undefined };
    });
  }

  async story(conn: string | null): Promise<StoryReply> {
    const st = await this.call<PortableStory>('story', conn);
    return {
      ...st,
      steps: st.steps.map((s) => {
        const refs = s.refs.map((e) => this.linked(e)).filter((e) => e.i >= 0);
        return { ...s, refs, events: refs.map((r) => r.i), packetIds: s.frames.map((n) => this.rowOfFrame(n)).filter((x) => x >= 0) };
      }),
    };
  }
}
