/**
 * Typed access to the server's JSON API (src/server/api.ts). Times are ns relative to
 * `Summary.base`, as numbers. The row and reply shapes the server builds are defined once,
 * in src/server/api-types.ts (types only, erased from the bundle); the replies assembled
 * inline by the routes are described here.
 */
import type { ContextThread, ConversationRow, DetailNode, FlowStep, LostRange, PacketRow, RowIntervals, WakeupArrow } from '../../src/server/api-types.js';

export type {
  ConversationRow,
  DetailNode,
  EventRow,
  FlowStep,
  LinkedEvent,
  PacketLinks,
  PacketRow,
  ProgressSnapshot,
  ProgressTask,
  ResourceRow,
  RowIntervals,
  SocketRow,
  StoryReply,
  StoryStep,
  ThreadRow,
  WakeupArrow,
} from '../../src/server/api-types.js';

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
  events: { count: number; sorted: boolean; names: { name: string; count: number }[]; lost: LostRange[] } | null;
  contextThreads: ContextThread[];
  cpus: number[];
  packets: { count: number; captures: string[]; interfaces: string[] } | null;
  features: Features;
  notes: string[];
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

export interface StatesReply {
  rows: Record<string, RowIntervals>;
  arrows?: WakeupArrow[];
}

export interface FlowReply {
  conversation: ConversationRow;
  hostA: string;
  hostB: string;
  packets: PacketRow[];
  /** Kernel steps beside the packets. */
  steps: FlowStep[];
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
