/**
 * API routes over the analyses (see analyses.ts):
 *
 *   GET /api/links/packet/:id    kernel events (with their Events-table index and role),
 *                                woken threads and process of a packet
 *   GET /api/sockets             sockets: process, fd, 4-tuple, TCP states
 *   GET /api/threads, /api/threads/states, /api/resources, /api/resources/states,
 *   GET /api/story               (when the kernel model and the story are present)
 */
import type { UiDataset } from './dataset.js';
import { HttpError, type Router } from './http-server.js';
import type { ConversationRow } from './packet-table.js';
import type { FlowStep } from './correlation-adapter.js';

/** Host labels of a conversation's two ends and the kernel steps beside its packets. */
export function flowSides(d: UiDataset, conv: ConversationRow): { hostA: string; hostB: string; steps: FlowStep[] } {
  const corr = d.analyses.correlation;
  const owner = (addr: string, port: number): string => {
    const s = corr?.analysis.correlation.sockets.find((x) => x.local?.addr === addr && x.local.port === port && x.owners.length);
    const o = s?.owners[0];
    return o ? ` — ${o.comm ?? '?'}[${o.pid}]` : '';
  };
  return {
    hostA: `${conv.addressA}:${conv.portA}${owner(conv.addressA, conv.portA)}`,
    hostB: `${conv.addressB}:${conv.portB}${owner(conv.addressB, conv.portB)}`,
    steps: corr ? corr.flowSteps(conv) : [],
  };
}

export function addAnalysisRoutes(r: Router, d: UiDataset): void {
  const unavailable = (what: string) => () => {
    throw new HttpError(404, `${what} not available: ${d.analyses.notes.join('; ') || 'analysis not loaded'}`);
  };
  r.get('/api/links/packet/:id', (p) => {
    const corr = d.analyses.correlation;
    if (!corr) throw new HttpError(404, 'no packet ↔ kernel correlation for these inputs');
    const id = Number(p.id);
    if (!Number.isInteger(id) || !d.packets || id < 0 || id >= d.packets.count) throw new HttpError(404, `no packet ${p.id}`);
    return corr.packetLinks(id);
  });
  r.get('/api/sockets', () => {
    const corr = d.analyses.correlation;
    if (!corr || !d.traces) throw new HttpError(404, 'sockets need a kernel trace');
    return { sockets: corr.sockets(d.packets?.conversations ?? []) };
  });
  r.get('/api/threads', unavailable('threads'));
  r.get('/api/resources', unavailable('resources'));
  r.get('/api/story', unavailable('story'));
}
