/**
 * Flow graph: a sequence diagram of one TCP conversation between its two hosts (like
 * Wireshark's Flow Graph), with the kernel's steps — syscalls, softirq, wakeups — in a
 * column beside the host that ran them. One row per item in time order, drawn on canvas
 * (only the rows on screen). Clicking a packet or a step selects it everywhere.
 */
import { getJson, type ConversationRow, type FlowReply } from '../api.js';
import { reveal } from '../nav.js';
import { store } from '../state.js';
import { AutoCanvas } from '../ui/canvas.js';
import { clear, h } from '../ui/dom.js';
import { hideTooltip, showTooltip } from '../ui/tooltip.js';
import { packetColour, palette } from '../ui/theme.js';
import { formatDuration, formatRel } from '../time.js';

interface Item {
  t: number;
  kind: 'packet' | 'step';
  /** packet: direction (true = A → B); step: side. */
  aToB: boolean;
  text: string;
  sub: string;
  packetId?: number;
  flags?: number;
  events?: number[];
  tid?: number;
}

const ROW = 24;
const HEAD = 40;
const FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 };

export class FlowView {
  readonly el: HTMLDivElement;
  private readonly select: HTMLSelectElement;
  private readonly canvas: AutoCanvas;
  private items: Item[] = [];
  private flow: FlowReply | null = null;
  private scrollY = 0;
  private conversations: ConversationRow[] = [];

  constructor() {
    this.select = h('select', { 'aria-label': 'TCP conversation', onchange: () => store.set({ stream: Number(this.select.value) }) });
    const box = h('div.timeline');
    this.el = h('div.flow', null, h('div.filterbar', null, h('label', null, 'TCP conversation'), this.select, h('span', { style: { color: 'var(--fg2)' } }, 'Kernel steps are drawn beside the host that ran them; time runs downwards.')), box);
    this.canvas = new AutoCanvas(box, (ctx, w, hh) => this.draw(ctx, w, hh));
    store.on((ch, s) => {
      if (ch.has('stream')) void this.loadFlow();
      if (ch.has('selection') || ch.has('theme') || ch.has('linkedPackets')) this.canvas.redraw();
      if (ch.has('cursor') && s.cursor !== null) this.scrollToTime(s.cursor);
    });
    this.install();
  }

  async load(): Promise<void> {
    this.conversations = (await getJson<{ conversations: ConversationRow[] }>('/api/conversations')).conversations;
    clear(this.select);
    for (const c of this.conversations) this.select.append(h('option', { value: String(c.stream) }, `#${c.stream}  ${c.addressA}:${c.portA} ↔ ${c.addressB}:${c.portB}  (${c.frames} frames${c.flags ? `, ${c.flags}` : ''})`));
    const s = store.get();
    if (s.stream === null && this.conversations.length) {
      // The first conversation with a handshake is the interesting one.
      const pick = this.conversations.find((c) => c.flags.includes('SYN')) ?? this.conversations[0]!;
      store.set({ stream: pick.stream });
    } else void this.loadFlow();
  }

  private async loadFlow(): Promise<void> {
    const stream = store.get().stream;
    if (stream === null) return;
    this.select.value = String(stream);
    try {
      this.flow = await getJson<FlowReply>(`/api/flow/${stream}`);
    } catch {
      this.flow = null;
      this.items = [];
      this.canvas.redraw();
      return;
    }
    const f = this.flow;
    const items: Item[] = f.packets.map((p) => ({
      t: p.t,
      kind: 'packet',
      aToB: p.src === f.conversation.addressA && (p.info.startsWith(`${f.conversation.portA} `) || p.info.includes(` ${f.conversation.portA} → `)),
      text: p.info.replace(/^(\[.*?\] )?\d+ → \d+ /, '$1'),
      sub: `#${p.no}${p.iface ? ` captured on ${p.iface}` : ''}${p.process ? ` · ${p.process}` : ''}`,
      packetId: p.id,
      flags: p.flags.reduce((a, x) => a | (FLAG_BITS[x] ?? 0), 0),
    }));
    for (const s of f.steps) items.push({ t: s.t, kind: 'step', aToB: s.side === 'A', text: s.text, sub: s.kind, events: s.events, tid: s.tid });
    items.sort((a, b) => a.t - b.t);
    this.items = items;
    this.scrollY = 0;
    this.canvas.redraw();
  }

  private scrollToTime(t: number): void {
    if (!this.items.length || this.el.offsetParent === null) return;
    let i = this.items.findIndex((it) => it.t >= t);
    if (i < 0) i = this.items.length - 1;
    const y = i * ROW;
    const vh = this.canvas.height - HEAD;
    if (y < this.scrollY || y > this.scrollY + vh - ROW) this.scrollY = Math.max(0, y - vh / 3);
    this.canvas.redraw();
  }

  private layout(w: number): { timeW: number; ax: number; bx: number } {
    const timeW = 110;
    const side = Math.max(150, Math.min(300, (w - timeW) * 0.24));
    return { timeW, ax: timeW + side, bx: w - side };
  }

  private draw(ctx: CanvasRenderingContext2D, w: number, hh: number): void {
    const p = palette();
    ctx.fillStyle = p.bg;
    ctx.fillRect(0, 0, w, hh);
    const f = this.flow;
    ctx.font = `12px ${p.sans}`;
    ctx.textBaseline = 'middle';
    if (!f) {
      ctx.fillStyle = p.fg2;
      ctx.fillText(this.conversations.length ? 'loading…' : 'No TCP conversation in the capture.', 16, 24);
      return;
    }
    const { timeW, ax, bx } = this.layout(w);
    const s = store.get();
    const selPacket = s.selection?.kind === 'packet' ? s.selection.id : -1;
    const linked = new Set(s.linkedPackets);
    const first = Math.max(0, Math.floor(this.scrollY / ROW));
    const last = Math.min(this.items.length - 1, Math.ceil((this.scrollY + hh - HEAD) / ROW));
    // Lifelines.
    ctx.strokeStyle = p.border;
    ctx.lineWidth = 2;
    for (const xx of [ax, bx]) {
      ctx.beginPath();
      ctx.moveTo(xx, HEAD);
      ctx.lineTo(xx, hh);
      ctx.stroke();
    }
    ctx.lineWidth = 1;
    const t0 = this.items[0]?.t ?? 0;
    for (let i = first; i <= last; i++) {
      const it = this.items[i]!;
      const y = HEAD + i * ROW - this.scrollY + ROW / 2;
      const selected = it.packetId !== undefined && (it.packetId === selPacket || linked.has(it.packetId));
      if (selected) {
        ctx.fillStyle = it.packetId === selPacket ? p.select : p.highlight;
        ctx.fillRect(0, y - ROW / 2, w, ROW);
      }
      ctx.fillStyle = p.fg2;
      ctx.font = `11px ${p.mono}`;
      ctx.fillText(`+${formatDuration(it.t - t0)}`, 6, y);
      if (it.kind === 'packet') {
        const from = it.aToB ? ax : bx;
        const to = it.aToB ? bx : ax;
        const colour = packetColour(p, it.flags ?? 0);
        ctx.strokeStyle = colour;
        ctx.fillStyle = colour;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(from, y + 5);
        ctx.lineTo(to, y + 5);
        ctx.stroke();
        const dir = to > from ? 1 : -1;
        ctx.beginPath();
        ctx.moveTo(to, y + 5);
        ctx.lineTo(to - 8 * dir, y + 1);
        ctx.lineTo(to - 8 * dir, y + 9);
        ctx.closePath();
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.fillStyle = p.fg;
        ctx.font = `11px ${p.sans}`;
        const label = `#${it.sub.slice(1).split(' ')[0]}  ${it.text}`;
        const maxW = bx - ax - 20;
        let text = label;
        while (text.length > 4 && ctx.measureText(text).width > maxW) text = text.slice(0, -2);
        if (text !== label) text += '…';
        const tw = ctx.measureText(text).width;
        ctx.fillText(text, (ax + bx) / 2 - tw / 2, y - 4);
      } else {
        const xx = it.aToB ? ax : bx;
        ctx.fillStyle = p.accent;
        ctx.beginPath();
        ctx.arc(xx, y, 3.5, 0, Math.PI * 2);
        ctx.fill();
        ctx.font = `11px ${p.sans}`;
        ctx.fillStyle = p.fg;
        const text = it.text;
        if (it.aToB) {
          const tw = Math.min(ctx.measureText(text).width, ax - timeW - 14);
          ctx.fillText(text, ax - 8 - tw, y, ax - timeW - 14);
        } else ctx.fillText(text, bx + 8, y, w - bx - 14);
      }
    }
    // Cursor between rows.
    if (s.cursor !== null && this.items.length) {
      let i = this.items.findIndex((it) => it.t >= s.cursor!);
      if (i < 0) i = this.items.length;
      const y = HEAD + i * ROW - this.scrollY;
      if (y >= HEAD && y <= hh) {
        ctx.fillStyle = p.cursor;
        ctx.fillRect(0, y - 1, w, 1.5);
      }
    }
    // Header with host names.
    ctx.fillStyle = p.bg2;
    ctx.fillRect(0, 0, w, HEAD);
    ctx.fillStyle = p.border;
    ctx.fillRect(0, HEAD - 1, w, 1);
    ctx.font = `600 12px ${p.sans}`;
    ctx.fillStyle = p.fg;
    for (const [xx, name] of [[ax, f.hostA], [bx, f.hostB]] as const) {
      const tw = ctx.measureText(name).width;
      ctx.fillText(name, Math.max(4, Math.min(w - tw - 4, xx - tw / 2)), 14);
    }
    ctx.font = `11px ${p.sans}`;
    ctx.fillStyle = p.fg2;
    ctx.fillText('time', 6, 30);
    ctx.fillText('kernel steps', ax - 80, 30);
    ctx.fillText('kernel steps', bx + 8, 30);
  }

  private itemAt(y: number): Item | null {
    if (y < HEAD) return null;
    return this.items[Math.floor((y - HEAD + this.scrollY) / ROW)] ?? null;
  }

  private install(): void {
    const c = this.canvas.canvas;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const max = Math.max(0, this.items.length * ROW - (this.canvas.height - HEAD) + ROW);
        this.scrollY = Math.max(0, Math.min(max, this.scrollY + e.deltaY));
        this.canvas.redraw();
      },
      { passive: false },
    );
    c.addEventListener('click', (e) => {
      const it = this.itemAt(this.canvas.pos(e).y);
      if (!it) return;
      if (it.packetId !== undefined) store.set({ selection: { kind: 'packet', id: it.packetId }, cursor: it.t });
      else if (it.events?.length) store.set({ selection: { kind: 'event', i: it.events[0]! }, cursor: it.t });
      else store.set({ cursor: it.t });
      reveal(it.t);
    });
    c.addEventListener('mousemove', (e) => {
      const it = this.itemAt(this.canvas.pos(e).y);
      if (!it) return hideTooltip();
      showTooltip(e.clientX, e.clientY, [`**${it.kind === 'packet' ? `Frame ${it.sub}` : `kernel: ${it.sub}`}`, it.text, `\`t = ${formatRel(it.t)} s`, it.kind === 'packet' ? 'click: select this packet everywhere' : 'click: select this kernel event']);
    });
    c.addEventListener('mouseleave', hideTooltip);
  }
}
