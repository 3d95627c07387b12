/**
 * Threads (Trace Compass's Control Flow view): a row per thread — grouped by process,
 * the packets captured on top — coloured by state (user mode, syscall with its name when
 * zoomed in, IRQ, softirq, waiting for a CPU, blocked), with wakeup arrows. A row
 * filter narrows the list (`ncat`, a tid, a pid).
 */
import { getJson, type Summary, type ThreadRow } from '../api.js';
import { store } from '../state.js';
import { h } from '../ui/dom.js';
import { Timeline, type TimelineRow } from '../ui/timeline.js';
import { STATE_NAMES, STATE_VARS } from '../ui/theme.js';

export function legend(states: number[]): HTMLElement {
  return h('span.legend', null, ...states.map((k) => h('span', null, h('i', { style: { background: `var(${STATE_VARS[k]})` } }), STATE_NAMES[k]!)));
}

export class ThreadsView {
  readonly el: HTMLDivElement;
  readonly timeline: Timeline;
  readonly tools: HTMLElement;
  /** The kernel model's threads (also what the search box looks through). */
  threads: ThreadRow[] = [];
  private filter = '';

  constructor(private readonly summary: Summary) {
    const box = h('div.timeline');
    this.el = h('div', { style: { display: 'flex', flex: '1', minWidth: '0' } }, box);
    this.timeline = new Timeline(box, {
      statesPath: '/api/threads/states',
      isSelected: (r, s) => (r.kind === 'thread' && s.selection?.kind === 'thread' && s.selection.tid === r.tid) || (r.kind === 'thread' && s.selection?.kind === 'event' && s.linkedTids[0] === r.tid),
      isLinked: (r, s) => r.kind === 'thread' && r.tid !== undefined && s.linkedTids.includes(r.tid),
      onRowClick: (r) => {
        if (r.kind === 'thread') store.set({ selection: { kind: 'thread', tid: r.tid! } });
      },
      arrowRow: (tid) => this.rowOfTid(tid),
    });
    const input = h('input', { type: 'text', placeholder: 'filter threads: name, tid, pid', size: 22, 'aria-label': 'filter threads' });
    input.addEventListener('input', () => {
      this.filter = input.value.trim().toLowerCase();
      this.updateRows();
    });
    this.tools = h('span', { style: { display: 'flex', gap: '10px', alignItems: 'center' } }, legend([1, 2, 3, 4, 5, 6, 7]), input);
    store.on((ch, s) => {
      if (ch.has('selection') && s.selection?.kind === 'thread') this.reveal(s.selection.tid);
      if (ch.has('linkedTids') && s.linkedTids.length) this.reveal(s.linkedTids[0]!);
    });
  }

  /** Row id of the lifetime of `tid` that covers the cursor (else its last one). */
  rowOfTid(tid: number): string | null {
    const c = store.get().cursor;
    const lives = this.threads.filter((t) => t.tid === tid);
    if (lives.length === 0) return null;
    const at = c !== null ? lives.find((t) => (t.start ?? -Infinity) <= c && c <= (t.end ?? Infinity)) : undefined;
    return (at ?? lives[lives.length - 1]!).id;
  }

  private reveal(tid: number): void {
    const id = this.rowOfTid(tid);
    if (id) this.timeline.revealRow(id);
  }

  async load(): Promise<void> {
    const r = await getJson<{ threads: ThreadRow[] }>('/api/threads');
    this.threads = r.threads;
    this.updateRows();
  }

  private updateRows(): void {
    const f = this.filter;
    const rows: TimelineRow[] = [];
    if (this.summary.packets) rows.push({ id: 'packets', label: 'Packets', sub: `${this.summary.packets.count}`, kind: 'packets' });
    // Grouped by process (thread group), the group leader first, like Control Flow's tree.
    const byPid = new Map<number, ThreadRow[]>();
    for (const t of this.threads) {
      if (f && !(t.name.toLowerCase().includes(f) || String(t.tid) === f || String(t.pid) === f)) continue;
      const pid = t.pid ?? t.tid;
      const list = byPid.get(pid) ?? [];
      list.push(t);
      byPid.set(pid, list);
    }
    const focused = (pid: number) => byPid.get(pid)!.some((t) => t.focus);
    const pids = [...byPid.keys()].sort((a, b) => Number(focused(b)) - Number(focused(a)) || a - b);
    for (const pid of pids) {
      const list = byPid.get(pid)!.sort((a, b) => (a.tid === pid ? -1 : b.tid === pid ? 1 : a.tid - b.tid || (a.start ?? 0) - (b.start ?? 0)));
      for (const t of list) rows.push({ id: t.id, label: t.name || `[${t.tid}]`, sub: t.tid === pid ? `${t.tid}` : `${t.tid} ⊂ ${pid}`, kind: 'thread', tid: t.tid, indent: t.tid === pid ? 0 : 1 });
    }
    this.timeline.setRows(rows);
    const s = store.get();
    if (s.selection?.kind === 'thread') this.reveal(s.selection.tid);
  }
}
