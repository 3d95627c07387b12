/**
 * API routes over the kernel analyses and the story (see analyses.ts): Threads,
 * Resources, Sockets, Flow graph kernel steps, Story and packet ↔ kernel links.
 */
import type { UiDataset } from './dataset.js';
import { HttpError, type Router } from './http-server.js';
import type { ConversationRow } from './packet-table.js';

export interface FlowStep {
  t: number;
  side: 'A' | 'B';
  text: string;
  kind: string;
  tid?: number;
  events?: number[];
}

/** Host labels of a conversation's two ends and the kernel steps beside its packets. */
export function flowSides(_d: UiDataset, conv: ConversationRow): { hostA: string; hostB: string; steps: FlowStep[] } {
  return { hostA: `${conv.addressA}:${conv.portA}`, hostB: `${conv.addressB}:${conv.portB}`, steps: [] };
}

export function addAnalysisRoutes(r: Router, d: UiDataset): void {
  const unavailable = (what: string) => () => {
    throw new HttpError(404, `${what} not available: ${d.analyses.notes.join('; ') || 'analysis not loaded'}`);
  };
  r.get('/api/threads', unavailable('threads'));
  r.get('/api/resources', unavailable('resources'));
  r.get('/api/sockets', unavailable('sockets'));
  r.get('/api/story', unavailable('story'));
}
