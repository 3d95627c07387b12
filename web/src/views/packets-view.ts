/**
 * The Packets view, like Wireshark's: the packet list (No., Time, Source, Destination,
 * Protocol, Length, Process, Info with flags, seq/ack and expert flags), virtualized and
 * filtered with Wireshark's display-filter language, over the selected frame's detail
 * tree and bytes. The detail pane also lists what the packet is linked to: the kernel
 * events that handled it, the thread it woke, its TCP conversation's flow graph.
 */
import { getJson, type DetailNode, type Page, type PacketDetail, type PacketLinks, type PacketRow } from '../api.js';
import { reveal, zoomTo } from '../nav.js';
import { store } from '../state.js';
import { clear, debounce, h } from '../ui/dom.js';
import { VirtualTable } from '../ui/vtable.js';
import { formatClock, formatDuration, formatRel } from '../time.js';

function rowClass(r: PacketRow): string {
  const f = r.flags;
  let c = '';
  if (f.includes('RST')) c = 'pk-rst';
  else if (f.includes('SYN')) c = 'pk-syn';
  else if (f.includes('FIN')) c = 'pk-fin';
  if (r.expert.length) c += ' pk-expert';
  return c;
}

function treeNode(n: DetailNode, depth: number): HTMLElement {
  const fname = n.field ? h('span.fname', null, n.field) : null;
  if (!n.children || n.children.length === 0) return h('div.leaf', { dataset: { field: n.field ?? '' } }, n.label, fname);
  // The protocol layers start open for TCP and the analysis, closed otherwise (like Wireshark's last state).
  const open = depth === 0 && /^(Transmission Control|\[SEQ\/ACK)/.test(n.label);
  return h('details', { open }, h('summary', { dataset: { field: n.field ?? '' } }, n.label, fname), ...n.children.map((c) => treeNode(c, depth + 1)));
}

function hexDump(hex: string): string {
  const lines: string[] = [];
  for (let off = 0; off < hex.length / 2; off += 16) {
    const bytes: string[] = [];
    let ascii = '';
    for (let i = 0; i < 16 && off + i < hex.length / 2; i++) {
      const b = parseInt(hex.slice((off + i) * 2, (off + i) * 2 + 2), 16);
      bytes.push(b.toString(16).padStart(2, '0'));
      ascii += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
    }
    lines.push(`${off.toString(16).padStart(4, '0')}  ${bytes.slice(0, 8).join(' ').padEnd(23)}  ${bytes.slice(8).join(' ').padEnd(23)}  ${ascii}`);
  }
  return lines.join('\n');
}

export class PacketsView {
  readonly el: HTMLDivElement;
  readonly table: VirtualTable<PacketRow>;
  private readonly detailEl: HTMLDivElement;
  private readonly filterInput: HTMLInputElement;
  private readonly errEl: HTMLSpanElement;
  private readonly countEl: HTMLSpanElement;
  private shownDetail = -1;
  private ignoreCursor = false;
  onCount?: (n: number) => void;

  constructor(private readonly linksAvailable: () => boolean) {
    const s = store.get();
    this.filterInput = h('input', { type: 'text', placeholder: 'display filter, e.g. tcp.port == 5000 && tcp.flags.syn', value: s.packetFilter, size: 56, 'aria-label': 'display filter', spellcheck: false });
    this.errEl = h('span.err');
    this.countEl = h('span', { style: { color: 'var(--fg2)', marginLeft: 'auto' } });
    const apply = () => store.set({ packetFilter: this.filterInput.value.trim() });
    this.filterInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') apply();
    });
    this.filterInput.addEventListener('input', debounce(apply, 600));
    const bar = h(
      'div.filterbar',
      null,
      h('label', null, 'Filter'),
      this.filterInput,
      h('button.btn', { onclick: apply }, 'Apply'),
      h('button.btn', { onclick: () => ((this.filterInput.value = ''), apply()) }, 'Clear'),
      this.errEl,
      this.countEl,
    );
    this.table = new VirtualTable<PacketRow>({
      columns: [
        { title: 'No.', width: '52px', cls: 'num', render: (r) => String(r.no) },
        { title: 'Time (s)', width: '112px', cls: 'num', render: (r) => formatRel(r.t) },
        { title: 'Source', width: 'minmax(90px, 150px)', render: (r) => r.src },
        { title: 'Destination', width: 'minmax(90px, 150px)', render: (r) => r.dst },
        { title: 'Protocol', width: '64px', render: (r) => r.proto },
        { title: 'Length', width: '52px', cls: 'num', render: (r) => String(r.len) },
        { title: 'Process', width: '110px', render: (r) => r.process ?? '', tooltip: (r) => `${r.process ?? ''}${r.iface ? ` — captured on ${r.iface}` : ''}` },
        { title: 'Info', width: 'minmax(200px, 1fr)', render: (r) => r.info },
      ],
      key: (r) => r.id,
      rowClass,
      fetch: (offset, limit, signal) => getJson<Page<PacketRow>>('/api/packets', { filter: store.get().packetFilter, offset, limit }, signal),
      onSelect: (row) => {
        this.ignoreCursor = true;
        store.set({ selection: { kind: 'packet', id: row.id }, cursor: row.t });
        reveal(row.t);
        this.ignoreCursor = false;
      },
    });
    this.detailEl = h('div.detail', null, h('div.empty-note', null, 'Select a packet to see its detail tree and the kernel work behind it.'));
    this.el = h('div.packets-layout', null, bar, h('div.packets-split', null, this.table.el, this.detailEl));
    store.on((ch, st) => {
      if (ch.has('packetFilter')) {
        if (this.filterInput.value.trim() !== st.packetFilter) this.filterInput.value = st.packetFilter;
        void this.reload();
      }
      if (ch.has('selection')) {
        if (st.selection?.kind === 'packet') {
          this.table.setSelectedKey(st.selection.id);
          void this.showDetail(st.selection.id);
          void this.scrollToPacket(st.selection.id);
        } else this.table.setSelectedKey(null);
      }
      if (ch.has('linkedPackets')) this.table.setLinked(st.linkedPackets);
      if (ch.has('cursor') && st.cursor !== null && !this.ignoreCursor && st.selection?.kind !== 'packet') void this.scrollToTime(st.cursor);
    });
    // A link that opens with a packet selected shows its detail at once.
    const sel = store.get().selection;
    if (sel?.kind === 'packet') void this.showDetail(sel.id);
  }

  async reload(): Promise<void> {
    this.errEl.textContent = '';
    this.filterInput.classList.remove('bad', 'good');
    try {
      await this.table.reload();
      if (store.get().packetFilter) this.filterInput.classList.add('good');
      this.countEl.textContent = `${this.table.count.toLocaleString('en-US')} packets`;
      this.onCount?.(this.table.count);
      const s = store.get();
      if (s.selection?.kind === 'packet') {
        this.table.setSelectedKey(s.selection.id);
        void this.scrollToPacket(s.selection.id);
      }
    } catch (err) {
      this.filterInput.classList.add('bad');
      this.errEl.textContent = (err as Error).message;
      this.countEl.textContent = '';
    }
  }

  private async scrollToTime(t: number): Promise<void> {
    try {
      const { position, total } = await getJson<{ position: number; total: number }>('/api/packets/at', { filter: store.get().packetFilter, t: Math.floor(t) });
      if (total > 0) this.table.scrollToPosition(position);
    } catch {
      // filter being edited
    }
  }

  private async scrollToPacket(id: number): Promise<void> {
    // Rows are in capture order, so with no filter the position is the id.
    if (!store.get().packetFilter) {
      await this.table.selectPosition(id, false);
      return;
    }
    try {
      const det = await getJson<PacketDetail>(`/api/packets/${id}`);
      const { position } = await getJson<{ position: number }>('/api/packets/at', { filter: store.get().packetFilter, t: Math.floor(det.row.t) });
      this.table.scrollToPosition(position);
    } catch {
      // not in the filtered list
    }
  }

  /** Shows the selected packet's detail again (e.g. once its kernel links exist). */
  refreshDetail(): void {
    const sel = store.get().selection;
    this.shownDetail = -1;
    if (sel?.kind === 'packet') void this.showDetail(sel.id);
  }

  private async showDetail(id: number): Promise<void> {
    if (this.shownDetail === id) return;
    this.shownDetail = id;
    let det: PacketDetail;
    try {
      det = await getJson<PacketDetail>(`/api/packets/${id}`);
    } catch (err) {
      clear(this.detailEl);
      this.detailEl.append(h('div.empty-note', null, (err as Error).message));
      return;
    }
    if (this.shownDetail !== id) return;
    const r = det.row;
    const links = h(
      'div.links',
      null,
      h('div', null, h('b', null, `Frame ${r.no}`), ` at ${formatRel(r.t)} s (${formatClock(r.t)} UTC)`, r.iface ? ` on ${r.iface}` : ''),
      h(
        'div',
        null,
        h('a', { onclick: () => zoomTo(r.t - 200_000, r.t + 200_000) }, 'Zoom timelines here'),
        r.stream >= 0 ? ' · ' : '',
        r.stream >= 0 ? h('a', { onclick: () => store.set({ stream: r.stream, tab: 'flow' }) }, `Flow graph of TCP stream ${r.stream}`) : '',
        r.stream >= 0 ? ' · ' : '',
        r.stream >= 0 ? h('a', { onclick: () => store.set({ packetFilter: `tcp.stream == ${r.stream}` }) }, 'Only this stream') : '',
      ),
    );
    const linkBox = h('div');
    links.append(linkBox);
    clear(this.detailEl);
    this.detailEl.append(links, h('div.tree', null, ...det.tree.map((n) => treeNode(n, 0))), h('div.hex', null, hexDump(det.bytes)));
    if (this.linksAvailable()) void this.showLinks(id, linkBox);
    else linkBox.append(h('div', { style: { color: 'var(--fg2)' } }, 'The kernel side of this packet appears when the correlation is done.'));
  }

  private async showLinks(id: number, box: HTMLElement): Promise<void> {
    try {
      const l = await getJson<PacketLinks>(`/api/links/packet/${id}`);
      if (this.shownDetail !== id) return;
      const items: (HTMLElement | string)[] = [];
      if (l.process) items.push(h('div', null, 'Process: ', h('b', null, l.process)));
      if (l.events.length) {
        items.push(h('div', null, `Kernel events (${l.events.length}):`));
        for (const e of l.events.slice(0, 14)) {
          items.push(
            h('div', { style: { paddingLeft: '10px' } }, h('a', { onclick: () => store.set({ selection: { kind: 'event', i: e.i }, cursor: e.t, tab: 'events' }) }, `${e.name}`), ` ${e.role} · CPU ${e.cpu} · ${formatDuration(e.t - store.get().cursor!)}`),
          );
        }
      } else items.push(h('div', { style: { color: 'var(--fg2)' } }, 'No kernel events correlated with this packet.'));
      for (const tid of l.wokenTids) items.push(h('div', null, 'Woke thread ', h('a', { onclick: () => store.set({ selection: { kind: 'thread', tid }, tab: 'events', eventTid: String(tid) }) }, `tid ${tid}`)));
      box.replaceChildren(...items);
    } catch (err) {
      box.replaceChildren(h('div', { style: { color: 'var(--fg2)' } }, (err as Error).message));
    }
  }
}
