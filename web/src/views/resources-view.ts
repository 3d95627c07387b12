/**
 * Resources (Trace Compass's Resources view): a row per CPU (idle, running a thread in
 * user mode or a syscall — the thread's name when zoomed in —, IRQ, softirq), per IRQ
 * line and per softirq vector (raised, running).
 */
import { getJson, type ResourceRow } from '../api.js';
import { store } from '../state.js';
import { h } from '../ui/dom.js';
import { Timeline, type TimelineRow } from '../ui/timeline.js';
import { legend } from './threads-view.js';

export class ResourcesView {
  readonly el: HTMLDivElement;
  readonly timeline: Timeline;
  readonly tools: HTMLElement;

  constructor(private readonly hasPackets: boolean) {
    const box = h('div.timeline');
    this.el = h('div', { style: { display: 'flex', flex: '1', minWidth: '0' } }, box);
    this.timeline = new Timeline(box, {
      statesPath: '/api/resources/states',
      isSelected: (r, s) => s.selection?.kind === 'resource' && s.selection.id === r.id,
      isLinked: (r, s) => r.kind === 'cpu' && s.linkedEvents.some((e) => e.cpu === r.cpu),
      onRowClick: (r) => {
        if (r.kind !== 'packets') store.set({ selection: { kind: 'resource', id: r.id } });
      },
    });
    this.tools = h('span', null, legend([8, 1, 2, 4, 5, 9]));
  }

  async load(): Promise<void> {
    const r = await getJson<{ rows: ResourceRow[] }>('/api/resources');
    const rows: TimelineRow[] = [];
    if (this.hasPackets) rows.push({ id: 'packets', label: 'Packets', kind: 'packets' });
    // CPUs first, then each CPU's IRQ lines and softirq vectors.
    const order = { cpu: 0, irq: 1, softirq: 2 };
    const sorted = [...r.rows].sort((a, b) => order[a.kind] - order[b.kind] || a.cpu - b.cpu || a.label.localeCompare(b.label, 'en', { numeric: true }));
    for (const x of sorted) rows.push({ id: x.id, label: x.label, kind: x.kind, cpu: x.cpu, indent: x.kind === 'cpu' ? 0 : 1 });
    this.timeline.setRows(rows);
  }
}
