/**
 * Sockets: every socket file descriptor the kernel model resolved — process, fd, inode,
 * local and remote address and port, and the TCP states it went through. Clicking a row
 * selects it: the timelines zoom to its lifetime and its thread is highlighted.
 */
import { getJson, type SocketRow } from '../api.js';
import { zoomTo } from '../nav.js';
import { store } from '../state.js';
import { clear, h } from '../ui/dom.js';
import { formatRel } from '../time.js';

export class SocketsView {
  readonly el: HTMLDivElement;
  private rows: SocketRow[] = [];
  /** Only TCP/UDP sockets unless the user asks for all (netlink, packet, …). */
  private showAll = false;

  constructor(private readonly available: boolean, private readonly notes: string[]) {
    this.el = h('div.sockets');
    store.on((ch, s) => {
      if (ch.has('selection')) for (const tr of this.el.querySelectorAll<HTMLTableRowElement>('tr[data-key]')) tr.classList.toggle('selected', s.selection?.kind === 'socket' && s.selection.key === tr.dataset.key);
    });
  }

  get count(): number {
    return this.rows.filter((r) => r.protocol === 'tcp' || r.protocol === 'udp').length;
  }

  async load(pending = false): Promise<void> {
    clear(this.el);
    if (pending) {
      this.el.append(h('div.empty-note', null, 'Correlating packets with kernel events… the sockets appear here when it is done.'));
      return;
    }
    if (!this.available) {
      this.el.append(h('div.empty-note', null, 'No socket table for these inputs.', ...this.notes.map((n) => h('div', null, n))));
      return;
    }
    try {
      this.rows = (await getJson<{ sockets: SocketRow[] }>('/api/sockets')).sockets;
    } catch (err) {
      this.el.append(h('div.empty-note', null, (err as Error).message));
      return;
    }
    this.render();
  }

  private render(): void {
    clear(this.el);
    const rows = this.showAll ? this.rows : this.rows.filter((r) => r.protocol === 'tcp' || r.protocol === 'udp');
    const toggle = h('label', { style: { padding: '6px 8px', display: 'inline-block', color: 'var(--fg2)' } }, h('input', { type: 'checkbox', checked: this.showAll, onchange: () => ((this.showAll = !this.showAll), this.render()) }), ` show every socket (${this.rows.length}; ${rows.length} shown)`);
    const sel = store.get().selection;
    const table = h(
      'table.grid',
      null,
      h('thead', null, h('tr', null, ...['PID', 'Process', 'FD', 'Inode', 'Family', 'Local', 'Remote', 'TCP states', 'Opened (s)', 'Closed (s)'].map((t) => h('th', null, t)))),
      h(
        'tbody',
        null,
        ...rows.map((r) =>
          h(
            'tr',
            {
              dataset: { key: r.key },
              class: sel?.kind === 'socket' && sel.key === r.key ? 'selected' : null,
              onclick: () => {
                store.set({ selection: { kind: 'socket', key: r.key }, ...(r.stream !== undefined ? { stream: r.stream } : {}) });
                if (r.t0 !== undefined) zoomTo(r.t0, r.t1 ?? store.get().t1, 0.05);
              },
            },
            h('td', null, String(r.pid)),
            h('td', null, r.process),
            h('td', null, String(r.fd)),
            h('td', null, r.inode ?? ''),
            h('td', null, r.family ?? ''),
            h('td', null, r.local ?? ''),
            h('td', null, r.remote ?? ''),
            h('td', { title: (r.states ?? []).map((x) => `${formatRel(x.t)} ${x.state}`).join('\n') }, (r.states ?? []).map((x) => x.state).join(' → ') || (r.state ?? '')),
            h('td', null, r.t0 !== undefined ? formatRel(r.t0) : ''),
            h('td', null, r.t1 !== undefined ? formatRel(r.t1) : ''),
          ),
        ),
      ),
    );
    this.el.append(toggle, table);
  }
}
