/**
 * Typed access to the server's JSON API (src/server/api.ts). Times are ns relative to
 * `Summary.base`, as numbers.
 */

export interface ProgressTask {
  id: string;
  label: string;
  done: number;
  total: number;
  unit: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'unavailable';
  note?: string;
}

export interface ProgressSnapshot {
  ready: boolean;
  complete: boolean;
  error: string | null;
  tasks: ProgressTask[];
}

export interface Features {
  events: boolean;
  packets: boolean;
  threads: boolean;
  resources: boolean;
  sockets: boolean;
  story: boolean;
  flow: boolean;
  /** Packet ↔ kernel links (correlation) are available. */
  links: boolean;
}

export interface Summary {
  inputs: string[];
  base: string;
  start: number;
  end: number;
  ready: boolean;
  /** The correlation worker's state: the linked views fill in when it is `done`. */
  correlation: 'none' | 'running' | 'done' | 'failed';
  traces: { path: string; hostname: string; domain: string; tracer: string; kernel: string }[];
  bundles: { path: string; host: string; kernel: string; cpus: number; command: string[] | null; lostEvents: number; start: string; duration: number }[];
  events: { count: number; sorted: boolean; names: { name: string; count: number }[]; lost: { t0: number; t1: number; count: number | null; cpu: number | null; kind: string }[] } | null;
  contextThreads: { tid: number; pid: number; name: string; events: number }[];
  cpus: number[];
  packets: { count: number; captures: string[]; interfaces: string[] } | null;
  features: Features;
  notes: string[];
}

export interface EventRow {
  i: number;
  t: number;
  name: string;
  cpu: number;
  tid: number;
  procname: string;
  fields: string;
}

export interface PacketRow {
  id: number;
  no: number;
  capture: number;
  t: number;
  src: string;
  dst: string;
  proto: string;
  len: number;
  info: string;
  stream: number;
  flags: string[];
  expert: string[];
  iface: string;
  process?: string;
}

export interface DetailNode {
  label: string;
  field?: string;
  start?: number;
  length?: number;
  children?: DetailNode[];
}

export interface PacketDetail {
  row: PacketRow;
  tree: DetailNode[];
  bytes: string;
}

export interface Page<T> {
  total: number;
  offset: number;
  rows: T[];
}

export interface Conversation {
  stream: number;
  capture: number;
  addressA: string;
  portA: number;
  addressB: string;
  portB: number;
  frames: number;
  bytes: number;
  t0: number;
  t1: number;
  flags: string;
}

/** A thread of the kernel model (Threads view rows). */
export interface ThreadInfo {
  /** Timeline row id (`row:N`): one per thread lifetime. */
  id: string;
  tid: number;
  pid: number | null;
  ppid: number | null;
  name: string;
  kernelThread: boolean;
  start: number | null;
  end: number | null;
  /** Owns a TCP connection of the capture: listed first. */
  focus?: boolean;
}

/** A Resources row: a CPU, an IRQ line or a softirq vector. */
export interface ResourceInfo {
  id: string;
  kind: 'cpu' | 'irq' | 'softirq';
  label: string;
  cpu: number;
}

/** State intervals of one row, merged by the server to the requested resolution. */
export interface RowIntervals {
  /** Starts and ends (relative ns) and state codes (see STATE in timeline colours). */
  s: number[];
  e: number[];
  k: number[];
  /** Label per interval (syscall name, thread name on a CPU), null when none. */
  l?: (string | null)[];
}

export interface WakeupArrow {
  t: number;
  /** Row ids of waker and wakee (the server knows thread lifetimes; tids can be reused). */
  fromRow?: string;
  toRow?: string;
  context?: string;
  /** Waker (tid, or -1 when in IRQ/softirq context) and wakee. */
  from: number;
  to: number;
  cpu: number;
  /** Time the wakee started running (end of the arrow), when known. */
  t1?: number;
}

export interface StatesReply {
  rows: Record<string, RowIntervals>;
  arrows?: WakeupArrow[];
}

export interface StoryStep {
  n: number;
  t: number;
  t1?: number;
  title: string;
  text?: string;
  kind?: string;
  tid?: number;
  cpu?: number;
  frames?: number[];
  events?: number[];
  packetIds?: number[];
  /** The cited events with what the timelines need to mark them. */
  refs?: LinkedEvent[];
  latency?: string;
  seedItem?: number;
}

export interface LinkedEvent {
  i: number;
  t: number;
  tid: number;
  cpu: number;
  name: string;
}

export interface StoryReply {
  title: string;
  connection?: string;
  /** `A:P-B:P` of the story's connection. */
  conn?: string;
  steps: StoryStep[];
  notes: string[];
  others: { key: string; label: string }[];
}

export interface SocketRow {
  key: string;
  pid: number;
  tid?: number;
  process: string;
  fd: number;
  inode?: string;
  family?: string;
  local?: string;
  remote?: string;
  state?: string;
  states?: { t: number; state: string }[];
  t0?: number;
  t1?: number;
  stream?: number;
  protocol: string;
  how?: string;
}

export interface FlowReply {
  conversation: Conversation;
  hostA: string;
  hostB: string;
  packets: PacketRow[];
  /** Kernel steps beside packets: time, host side ('A'|'B'), text, linked events. */
  steps: { t: number; side: 'A' | 'B'; text: string; kind: string; tid?: number; events?: number[] }[];
}

export interface PacketLinks {
  id: number;
  events: (LinkedEvent & { role: string })[];
  wokenTids: number[];
  process?: string;
  tid?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET a JSON endpoint; throws ApiError with the server's message on a non-2xx reply. */
export async function getJson<T>(path: string, params: Record<string, string | number | undefined | null> = {}, signal?: AbortSignal): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const url = q.toString() ? `${path}?${q}` : path;
  const res = await fetch(url, { signal });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      msg = ((await res.json()) as { error?: string }).error ?? msg;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, msg);
  }
  return (await res.json()) as T;
}

/** True for an aborted fetch (a newer request replaced it). */
export function isAbort(err: unknown): boolean {
  return (err as { name?: string })?.name === 'AbortError';
}
