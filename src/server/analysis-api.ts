/**
 * API routes over the analyses (see analyses.ts):
 *
 *   GET /api/threads             thread lifetimes (rows of the Threads view)
 *   GET /api/threads/states?t0&t1&res&ids
 *                                state intervals of rows, merged to `res` ns per pixel,
 *                                and wakeup arrows
 *   GET /api/resources[/states]  CPU, IRQ and softirq rows, and their intervals
 *   GET /api/links/packet/:id    kernel events (with their Events-table row and role),
 *                                woken threads and process of a packet
 *   GET /api/sockets             sockets: process, fd, 4-tuple, TCP states
 *   GET /api/story?conn=A:P-B:P  the story's numbered steps
 *
 * Correlation-fed endpoints answer 503 while the correlation worker is still running.
 */
import type { ConversationRow, FlowStep } from './api-types.js';
import type { CorrelationClient } from './correlation-client.js';
import type { UiDataset } from './dataset.js';
import { HttpError, type Router } from './http-server.js';

function correlation(d: UiDataset): CorrelationClient {
  const a = d.analyses;
  if (a.correlationState === 'running') throw new HttpError(503, 'still correlating packets with kernel events');
  if (a.correlationState !== 'done' || !a.correlation) throw new HttpError(404, `no packet ↔ kernel correlation: ${a.notes.join('; ') || 'no inputs for it'}`);
  return a.correlation;
}

/** Host labels of a conversation's two ends and the kernel steps beside its packets. */
export async function flowSides(d: UiDataset, conv: ConversationRow): Promise<{ hostA: string; hostB: string; steps: FlowStep[] }> {
  const ready = d.analyses.correlationState === 'done' ? d.analyses.correlation : null;
  const owner = async (addr: string, port: number) => {
    const o = ready ? await ready.ownerOf(addr, port) : '';
    return o ? ` — ${o}` : '';
  };
  return {
    hostA: `${conv.addressA}:${conv.portA}${await owner(conv.addressA, conv.portA)}`,
    hostB: `${conv.addressB}:${conv.portB}${await owner(conv.addressB, conv.portB)}`,
    steps: ready ? await ready.flowSteps(conv) : [],
  };
}

export function addAnalysisRoutes(r: Router, d: UiDataset): void {
  const kernel = () => {
    const k = d.analyses.kernel;
    if (!k) throw new HttpError(404, `the kernel model is not available: ${d.analyses.notes.join('; ') || 'no kernel trace'}`);
    return k;
  };
  const states = (withArrows: boolean) => (_p: Record<string, string>, q: URLSearchParams) => {
    const k = kernel();
    const t0 = Number(q.get('t0'));
    const t1 = Number(q.get('t1'));
    const res = Number(q.get('res') ?? 0);
    if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 < t0 || !Number.isFinite(res) || res < 0) throw new HttpError(400, 'states need t0 ≤ t1 and res ≥ 0 (ns)');
    const ids = (q.get('ids') ?? '').split(',').filter(Boolean).slice(0, 2000);
    return { rows: k.states(ids, t0, t1, res), arrows: withArrows ? k.arrows(t0, t1) : [] };
  };
  r.get('/api/threads', () => {
    // The processes holding the capture's TCP connections come first (the seed's ncat).
    const info = d.analyses.correlationState === 'done' ? d.analyses.correlation?.info : null;
    return { threads: kernel().threads(new Set(info?.focusPids ?? [])) };
  });
  r.get('/api/threads/states', states(true));
  r.get('/api/resources', () => ({ rows: kernel().resources() }));
  r.get('/api/resources/states', states(false));
  r.get('/api/links/packet/:id', (p) => {
    const c = correlation(d);
    const id = Number(p.id);
    if (!Number.isInteger(id) || !d.packets || id < 0 || id >= d.packets.count) throw new HttpError(404, `no packet ${p.id}`);
    return c.packetLinks(id);
  });
  r.get('/api/sockets', async () => {
    if (!d.traces) throw new HttpError(404, 'sockets need a kernel trace');
    return { sockets: await correlation(d).sockets(d.packets?.conversations ?? []) };
  });
  r.get('/api/story', (_p, q) => {
    if (!d.traces) throw new HttpError(404, 'the story needs a kernel trace');
    return correlation(d).story(q.get('conn') || null);
  });
}
