/**
 * The Events table: every kernel event, virtualized (only visible rows exist), filtered
 * by event name (exact or `prefix*`, several with commas), thread id and a field
 * condition (`fd=4`, `ret<0`, `comm~ncat`, or plain text), with "jump to time".
 * Selecting a row moves the time cursor and highlights its thread; moving the cursor
 * elsewhere scrolls the table to the event at that time.
 */
import { getJson, type EventRow, type Page, type Summary } from '../api.js';
import { reveal } from '../nav.js';
import { store } from '../state.js';
import { debounce, h } from '../ui/dom.js';
import { VirtualTable } from '../ui/vtable.js';
import { formatRel, parseTimeInput } from '../time.js';

export class EventsView {
  readonly el: HTMLDivElement;
  readonly table: VirtualTable<EventRow>;
  private readonly countEl: HTMLSpanElement;
  private readonly errEl: HTMLSpanElement;
  private ignoreCursor = false;
  onCount?: (n: number) => void;

  constructor(summary: Summary) {
    const s = store.get();
    const names = h('input', { type: 'text', placeholder: 'event names: sched_switch, syscall_*', value: s.eventNames, size: 34, list: 'tw-event-names', 'aria-label': 'event names' });
    const datalist = h('datalist', { id: 'tw-event-names' }, ...(summary.events?.names ?? []).slice(0, 400).map((n) => h('option', { value: n.name }, `${n.count}`)));
    const tid = h('input', { type: 'text', placeholder: 'tid', value: s.eventTid, size: 7, 'aria-label': 'thread id' });
    const query = h('input', { type: 'text', placeholder: 'field: fd=4, ret<0, or text', value: s.eventQuery, size: 28, 'aria-label': 'field filter' });
    const jump = h('input', { type: 'text', placeholder: 'go to time: 1.25 s, 12:38:54.8', size: 22, 'aria-label': 'jump to time' });
    this.countEl = h('span', { style: { color: 'var(--fg2)', marginLeft: 'auto' } });
    this.errEl = h('span.err');
    const apply = debounce(() => store.set({ eventNames: names.value.trim(), eventTid: tid.value.trim(), eventQuery: query.value.trim() }), 350);
    for (const i of [names, tid, query]) i.addEventListener('input', apply);
    jump.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      const t = parseTimeInput(jump.value, store.get().cursor ?? 0);
      if (t === null) {
        jump.classList.add('bad');
        return;
      }
      jump.classList.remove('bad');
      store.set({ cursor: t });
      reveal(t);
      void this.scrollToTime(t, true);
    });
    const clear = h('button.btn', { onclick: () => {
      names.value = tid.value = query.value = '';
      store.set({ eventNames: '', eventTid: '', eventQuery: '' });
    } }, 'Clear');
    // With a thread selected (in Threads, or by a link), one click narrows the table to it.
    const onlyThread = h('button.btn', { style: { display: 'none' }, onclick: () => {
      const sel = store.get().selection;
      const t = sel?.kind === 'thread' ? sel.tid : store.get().linkedTids[0];
      if (t === undefined) return;
      tid.value = String(t);
      store.set({ eventTid: String(t) });
    } });
    const bar = h('div.filterbar', null, h('label', null, 'Filter'), names, datalist, tid, query, clear, onlyThread, jump, this.errEl, this.countEl);
    store.on((ch, st) => {
      if (!ch.has('selection') && !ch.has('linkedTids') && !ch.has('eventTid')) return;
      const t = st.selection?.kind === 'thread' ? st.selection.tid : st.linkedTids[0];
      const show = t !== undefined && String(t) !== st.eventTid;
      onlyThread.style.display = show ? '' : 'none';
      if (show) onlyThread.textContent = `Only thread ${t}`;
      if (ch.has('eventTid') && tid.value.trim() !== st.eventTid) tid.value = st.eventTid;
    });

    this.table = new VirtualTable<EventRow>({
      columns: [
        { title: 'Time (s)', width: '118px', cls: 'num', render: (r) => formatRel(r.t) },
        { title: 'CPU', width: '42px', cls: 'num', render: (r) => (r.cpu >= 0 ? String(r.cpu) : '') },
        { title: 'Event', width: '210px', render: (r) => r.name },
        { title: 'TID', width: '62px', cls: 'num', render: (r) => (r.tid >= 0 ? String(r.tid) : '') },
        { title: 'Process', width: '110px', render: (r) => r.procname },
        { title: 'Fields', width: '1fr', render: (r) => r.fields },
      ],
      key: (r) => r.i,
      fetch: (offset, limit, signal) => getJson<Page<EventRow>>('/api/events', { ...this.params(), offset, limit }, signal),
      onSelect: (row) => {
        this.ignoreCursor = true;
        store.set({ selection: { kind: 'event', i: row.i }, cursor: row.t });
        reveal(row.t);
        this.ignoreCursor = false;
      },
    });
    this.el = h('div.packets-layout', null, bar, this.table.el);
    store.on((ch, st) => {
      if (ch.has('eventNames') || ch.has('eventTid') || ch.has('eventQuery')) void this.reload();
      if (ch.has('cursor') && st.cursor !== null && !this.ignoreCursor && st.selection?.kind !== 'event') void this.scrollToTime(st.cursor, false);
      if (ch.has('linkedEvents')) this.table.setLinked(st.linkedEvents.map((e) => e.i));
      if (ch.has('selection')) this.table.setSelectedKey(st.selection?.kind === 'event' ? st.selection.i : null);
    });
  }

  private params(): Record<string, string> {
    const s = store.get();
    return { names: s.eventNames, tid: s.eventTid, q: s.eventQuery };
  }

  async reload(): Promise<void> {
    this.errEl.textContent = '';
    this.countEl.textContent = 'filtering…';
    try {
      await this.table.reload();
      const n = this.table.count;
      this.countEl.textContent = `${n.toLocaleString('en-US')} events`;
      this.onCount?.(n);
      const s = store.get();
      if (s.selection?.kind === 'event') this.table.setSelectedKey(s.selection.i);
      if (s.cursor !== null) await this.scrollToTime(s.cursor, false);
    } catch (err) {
      this.errEl.textContent = (err as Error).message;
      this.countEl.textContent = '';
    }
  }

  /** Scrolls to the first (filtered) event at or after `t`; selects it when `select`. */
  async scrollToTime(t: number, select: boolean): Promise<void> {
    try {
      const { position, total } = await getJson<{ position: number; total: number }>('/api/events/at', { ...this.params(), t: Math.floor(t) });
      if (total === 0) return;
      if (select) await this.table.selectPosition(position, true);
      else this.table.scrollToPosition(position);
    } catch {
      // the filter is being edited; the next reload scrolls
    }
  }
}
