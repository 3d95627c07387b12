/**
 * The canvas time graph behind Threads and Resources (Trace Compass's Control Flow and
 * Resources views): a label column, a time ruler, one row per thread / CPU / IRQ /
 * softirq with coloured state intervals, labels when there is room, wakeup arrows,
 * packet marks, the time cursor, the selected range and the linked items.
 *
 * Data comes from the server per visible window and resolution (intervals already
 * merged below one pixel), so a draw is a loop over at most a few thousand rectangles —
 * no DOM node per event. Pan and zoom redraw at once from the data in hand and fetch a
 * new window (three screens wide) in the background.
 */
import { getJson, isAbort, type RowIntervals, type StatesReply, type WakeupArrow } from '../api.js';
import { store, type AppState } from '../state.js';
import { formatClock, formatDuration, formatRel, tickLabel, tickStep } from '../time.js';
import { panBy, setPointerTime, zoomAt, zoomTo } from '../nav.js';
import { AutoCanvas, perfRecorder } from './canvas.js';
import { hideTooltip, showTooltip } from './tooltip.js';
import { packetColour, palette, STATE, STATE_NAMES, type Palette } from './theme.js';
import { packetMarks } from '../marks.js';

export const LABEL_W = 200;
export const RULER_H = 22;

export interface TimelineRow {
  id: string;
  label: string;
  sub?: string;
  kind: 'thread' | 'cpu' | 'irq' | 'softirq' | 'packets';
  tid?: number;
  cpu?: number;
  indent?: number;
  height?: number;
}

interface Tile {
  t0: number;
  t1: number;
  res: number;
  rows: Map<string, RowIntervals>;
  arrows: WakeupArrow[];
}

export interface TimelineOptions {
  /** API path of the states endpoint (`/api/threads/states`). */
  statesPath: string;
  /** Called when a row label or row is clicked. */
  onRowClick?: (row: TimelineRow) => void;
  /** Whether `row` is the selected one / a linked one. */
  isSelected?: (row: TimelineRow, s: AppState) => boolean;
  isLinked?: (row: TimelineRow, s: AppState) => boolean;
  /** Wakeup arrows connect thread rows: row id for a tid. */
  arrowRow?: (tid: number) => string | null;
}

const ROW_H = 20;

/** Index of the first of the sorted values `a` at or after `t` (`a.length` when none). */
function lowerBound(a: readonly number[], t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

export class Timeline {
  readonly canvas: AutoCanvas;
  private rows: TimelineRow[] = [];
  private rowY: number[] = [];
  private totalH = 0;
  private scrollY = 0;
  private tile: Tile | null = null;
  private pending: AbortController | null = null;
  private fetchTimer = 0;
  private drag: { x0: number; y0: number; t0: number; tStart: number; mode: 'pan' | 'range'; moved: boolean; view0: number; view1: number } | null = null;
  private hover: { x: number; y: number } | null = null;
  error: string | null = null;
  /** The rows as text for screen readers and tests (the canvas itself has no text). */
  private readonly a11y: HTMLUListElement;

  constructor(
    readonly container: HTMLElement,
    private readonly opts: TimelineOptions,
  ) {
    this.canvas = new AutoCanvas(container, (ctx, w, h) => this.draw(ctx, w, h));
    this.canvas.canvas.setAttribute('role', 'img');
    this.a11y = document.createElement('ul');
    this.a11y.className = 'sr-only';
    container.append(this.a11y);
    this.installMouse();
    store.on((changed) => {
      if (changed.has('t0') || changed.has('t1') || changed.has('cursor') || changed.has('range') || changed.has('selection') || changed.has('linkedTids') || changed.has('linkedEvents') || changed.has('theme') || changed.has('linkedPackets') || changed.has('marksLoaded')) this.canvas.redraw();
    });
  }

  setRows(rows: TimelineRow[]): void {
    this.rows = rows;
    this.rowY = [];
    let y = 0;
    for (const r of rows) {
      this.rowY.push(y);
      y += r.height ?? ROW_H;
    }
    this.totalH = y;
    this.a11y.replaceChildren(
      ...rows.map((r) => {
        const li = document.createElement('li');
        li.textContent = `${r.label}${r.sub ? ` ${r.sub}` : ''}`;
        li.dataset.row = r.id;
        return li;
      }),
    );
    this.canvas.canvas.setAttribute('aria-label', `time graph with ${rows.length} rows`);
    this.scrollY = Math.min(this.scrollY, Math.max(0, this.totalH - this.viewH()));
    this.canvas.redraw();
  }

  /** Scrolls so that row `id` is visible. */
  revealRow(id: string): void {
    const i = this.rows.findIndex((r) => r.id === id);
    if (i < 0) return;
    const y = this.rowY[i]!;
    const vh = this.viewH();
    if (y < this.scrollY || y + ROW_H > this.scrollY + vh) this.scrollY = Math.max(0, Math.min(this.totalH - vh, y - vh / 3));
    this.canvas.redraw();
  }

  /** Forgets loaded data (e.g. after the analyses finished). */
  invalidate(): void {
    this.tile = null;
    this.canvas.redraw();
  }

  private viewH(): number {
    return Math.max(0, this.canvas.height - RULER_H);
  }

  private nsPerPx(): number {
    const s = store.get();
    return (s.t1 - s.t0) / Math.max(1, this.canvas.width - LABEL_W);
  }

  private timeAt(x: number): number {
    const s = store.get();
    return s.t0 + (x - LABEL_W) * this.nsPerPx();
  }

  private rowAt(y: number): number {
    if (y < RULER_H) return -1;
    const yy = y - RULER_H + this.scrollY;
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const m = (lo + hi) >>> 1;
      const top = this.rowY[m]!;
      const h = this.rows[m]!.height ?? ROW_H;
      if (yy < top) hi = m - 1;
      else if (yy >= top + h) lo = m + 1;
      else return m;
    }
    return -1;
  }

  private visibleRange(): [number, number] {
    const vh = this.viewH();
    let first = this.rowAt(RULER_H);
    if (first < 0) first = 0;
    let last = this.rowAt(RULER_H + vh - 1);
    if (last < 0) last = this.rows.length - 1;
    return [first, last];
  }

  // ---- data ---------------------------------------------------------------------

  private ensureData(): void {
    const s = store.get();
    const res = this.nsPerPx();
    const [first, last] = this.visibleRange();
    const ids: string[] = [];
    for (let i = Math.max(0, first - 10); i <= Math.min(this.rows.length - 1, last + 10); i++) if (this.rows[i]!.kind !== 'packets') ids.push(this.rows[i]!.id);
    const tile = this.tile;
    const covers = tile && tile.t0 <= s.t0 && tile.t1 >= s.t1 && tile.res <= res * 1.6 && tile.res >= res / 2.5;
    const missing = tile ? ids.filter((id) => !tile.rows.has(id)) : ids;
    if (covers && missing.length === 0) return;
    if (ids.length === 0) return;
    clearTimeout(this.fetchTimer);
    // The first window is fetched at once; later ones wait for the zoom/pan to settle a little.
    this.fetchTimer = window.setTimeout(() => void this.fetch(covers ? missing : ids, !covers), covers || !tile ? 0 : 60);
  }

  private async fetch(ids: string[], fresh: boolean): Promise<void> {
    const s = store.get();
    const res = this.nsPerPx();
    const span = s.t1 - s.t0;
    const t0 = fresh || !this.tile ? s.t0 - span : this.tile.t0;
    const t1 = fresh || !this.tile ? s.t1 + span : this.tile.t1;
    const tileRes = fresh || !this.tile ? res : this.tile.res;
    this.pending?.abort();
    const ac = new AbortController();
    this.pending = ac;
    try {
      const reply = await getJson<StatesReply>(this.opts.statesPath, { t0: Math.floor(t0), t1: Math.ceil(t1), res: tileRes, ids: ids.join(',') }, ac.signal);
      if (ac.signal.aborted) return;
      this.error = null;
      if (fresh || !this.tile) {
        this.tile = { t0, t1, res: tileRes, rows: new Map(Object.entries(reply.rows)), arrows: reply.arrows ?? [] };
      } else {
        for (const [k, v] of Object.entries(reply.rows)) this.tile.rows.set(k, v);
        if (reply.arrows) this.tile.arrows = this.tile.arrows.concat(reply.arrows);
      }
      const perf = perfRecorder();
      this.canvas.redrawNow();
      if (perf.firstDataPaint === null) perf.firstDataPaint = performance.now();
    } catch (err) {
      if (isAbort(err)) return;
      this.error = (err as Error).message;
      this.canvas.redraw();
    }
  }

  // ---- drawing ------------------------------------------------------------------

  private draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    const p = palette();
    const s = store.get();
    const res = this.nsPerPx();
    const x = (t: number) => LABEL_W + (t - s.t0) / res;
    ctx.fillStyle = p.bg;
    ctx.fillRect(0, 0, w, h);
    ctx.font = `11px ${p.sans}`;
    ctx.textBaseline = 'middle';

    const [first, last] = this.visibleRange();
    // Row backgrounds and content, clipped to the data area.
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, RULER_H, w - LABEL_W, h - RULER_H);
    ctx.clip();
    this.drawGrid(ctx, p, w, h, res);
    const tile = this.tile;
    for (let i = first; i <= last && i < this.rows.length; i++) {
      const row = this.rows[i]!;
      const y = RULER_H + this.rowY[i]! - this.scrollY;
      const rh = row.height ?? ROW_H;
      if (this.opts.isSelected?.(row, s)) {
        ctx.fillStyle = p.select;
        ctx.globalAlpha = 0.35;
        ctx.fillRect(LABEL_W, y, w - LABEL_W, rh);
        ctx.globalAlpha = 1;
      } else if (this.opts.isLinked?.(row, s)) {
        ctx.fillStyle = p.highlight;
        ctx.fillRect(LABEL_W, y, w - LABEL_W, rh);
      }
      if (row.kind === 'packets') this.drawPacketRow(ctx, p, y, rh, x, s);
      else {
        const data = tile?.rows.get(row.id);
        if (data) this.drawIntervals(ctx, p, data, y + 3, rh - 6, x, s.t0, s.t1, w);
      }
      ctx.fillStyle = p.grid;
      ctx.fillRect(LABEL_W, y + rh - 1, w - LABEL_W, 1);
    }
    if (tile) this.drawArrows(ctx, p, tile.arrows, x, s);
    this.drawLinkedEvents(ctx, p, x, s);
    // Range and cursor.
    if (s.range) {
      ctx.fillStyle = p.range;
      const a = Math.max(LABEL_W, x(s.range[0]));
      const b = Math.min(w, x(s.range[1]));
      if (b > a) ctx.fillRect(a, RULER_H, Math.max(1, b - a), h - RULER_H);
    }
    if (s.cursor !== null) {
      const cx = Math.round(x(s.cursor)) + 0.5;
      ctx.strokeStyle = p.cursor;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(cx, RULER_H);
      ctx.lineTo(cx, h);
      ctx.stroke();
    }
    ctx.restore();

    this.drawRuler(ctx, p, w, res, x, s);
    this.drawLabels(ctx, p, h, first, last, s);
    if (this.error) {
      ctx.fillStyle = p.cursor;
      ctx.fillText(this.error, LABEL_W + 8, RULER_H + 12);
    } else if (!tile && this.rows.some((r) => r.kind !== 'packets')) {
      ctx.fillStyle = p.fg2;
      ctx.fillText('loading…', LABEL_W + 8, RULER_H + 12);
    }
    // Scroll indicator.
    const vh = this.viewH();
    if (this.totalH > vh) {
      const bh = Math.max(20, (vh * vh) / this.totalH);
      const by = RULER_H + (this.scrollY / (this.totalH - vh)) * (vh - bh);
      ctx.fillStyle = p.border;
      ctx.fillRect(w - 5, by, 4, bh);
    }
    this.ensureData();
  }

  private drawGrid(ctx: CanvasRenderingContext2D, p: Palette, w: number, h: number, res: number): void {
    const s = store.get();
    const step = tickStep(res);
    ctx.fillStyle = p.grid;
    for (let t = Math.ceil(s.t0 / step) * step; t <= s.t1; t += step) {
      const xx = Math.round(LABEL_W + (t - s.t0) / res);
      ctx.fillRect(xx, RULER_H, 1, h - RULER_H);
    }
    void w;
  }

  private drawIntervals(ctx: CanvasRenderingContext2D, p: Palette, d: RowIntervals, y: number, rh: number, x: (t: number) => number, t0: number, t1: number, w: number): void {
    const n = d.s.length;
    let i = lowerBound(d.e, t0);
    let lastColour = '';
    for (; i < n; i++) {
      const st = d.s[i]!;
      if (st > t1) break;
      const k = d.k[i]!;
      const x0 = Math.max(LABEL_W - 1, x(st));
      const x1 = Math.min(w + 1, x(d.e[i]!));
      const ww = Math.max(1, x1 - x0);
      const colour = p.states[k] ?? p.states[0]!;
      if (colour !== lastColour) {
        ctx.fillStyle = colour;
        lastColour = colour;
      }
      const blockedThin = k === STATE.BLOCKED || k === STATE.IDLE;
      if (blockedThin) ctx.fillRect(x0, y + rh / 2 - 2, ww, 4);
      else ctx.fillRect(x0, y, ww, rh);
      const label = d.l?.[i];
      if (label && ww > 28 && !blockedThin) {
        ctx.fillStyle = k === STATE.WAIT_CPU || k === STATE.SOFTIRQ_RAISED || k === STATE.BLOCKED || k === STATE.IDLE ? p.fg : '#fff';
        const maxW = ww - 6;
        let text = label;
        if (ctx.measureText(text).width > maxW) {
          while (text.length > 1 && ctx.measureText(`${text}…`).width > maxW) text = text.slice(0, -1);
          text = `${text}…`;
        }
        if (text.length > 1) ctx.fillText(text, x0 + 3, y + rh / 2 + 0.5);
        lastColour = '';
      }
    }
  }

  private drawPacketRow(ctx: CanvasRenderingContext2D, p: Palette, y: number, rh: number, x: (t: number) => number, s: AppState): void {
    const m = packetMarks();
    if (!m) return;
    const n = m.t.length;
    const lo = lowerBound(m.t, s.t0);
    const selected = s.selection?.kind === 'packet' ? s.selection.id : -1;
    const linked = new Set(s.linkedPackets);
    let lastX = -1;
    for (let i = lo; i < n && m.t[i]! <= s.t1; i++) {
      const xx = Math.round(x(m.t[i]!));
      if (xx === lastX && i !== selected && !linked.has(i)) continue;
      lastX = xx;
      ctx.fillStyle = packetColour(p, m.flags[i]!);
      ctx.fillRect(xx - 1, y + 3, 3, rh - 6);
      if (m.expert[i]) {
        ctx.fillStyle = p.pkRst;
        ctx.fillRect(xx - 1, y + 1, 3, 2);
      }
      if (i === selected || linked.has(i)) {
        ctx.strokeStyle = i === selected ? p.cursor : p.accent;
        ctx.lineWidth = 2;
        ctx.strokeRect(xx - 4, y + 1, 9, rh - 2);
        ctx.lineWidth = 1;
      }
    }
  }

  private rowCentre(id: string): number | null {
    const i = this.rows.findIndex((r) => r.id === id);
    if (i < 0) return null;
    return RULER_H + this.rowY[i]! - this.scrollY + (this.rows[i]!.height ?? ROW_H) / 2;
  }

  private drawArrows(ctx: CanvasRenderingContext2D, p: Palette, arrows: WakeupArrow[], x: (t: number) => number, s: AppState): void {
    if (!this.opts.arrowRow || arrows.length === 0) return;
    let drawn = 0;
    ctx.strokeStyle = p.arrow;
    ctx.fillStyle = p.arrow;
    ctx.lineWidth = 1;
    const idIndex = new Map<string, number>();
    this.rows.forEach((r, i) => idIndex.set(r.id, i));
    const yOf = (id: string | null | undefined): number | null => {
      if (!id) return null;
      const i = idIndex.get(id);
      if (i === undefined) return null;
      return RULER_H + this.rowY[i]! - this.scrollY + (this.rows[i]!.height ?? ROW_H) / 2;
    };
    for (const a of arrows) {
      const end = a.t1 ?? a.t;
      if (end < s.t0 || a.t > s.t1) continue;
      const y1 = yOf(a.toRow ?? this.opts.arrowRow!(a.to));
      if (y1 === null) continue;
      const y0 = a.from >= 0 ? yOf(a.fromRow ?? this.opts.arrowRow!(a.from)) : null;
      const x0 = x(a.t);
      const x1 = x(end);
      if (y0 === null) {
        // Woken from interrupt context: a short arrow falling onto the wakee.
        ctx.beginPath();
        ctx.moveTo(x0, y1 - 9);
        ctx.lineTo(x1, y1 - 3);
        ctx.stroke();
      } else {
        ctx.beginPath();
        ctx.moveTo(x0, y0);
        ctx.lineTo(x1, y1);
        ctx.stroke();
      }
      ctx.beginPath();
      const dir = y0 === null || y1 >= y0 ? 1 : -1;
      ctx.moveTo(x1, y1 - 3 * dir);
      ctx.lineTo(x1 - 3, y1 - 8 * dir);
      ctx.lineTo(x1 + 3, y1 - 8 * dir);
      ctx.closePath();
      ctx.fill();
      if (++drawn > 3000) break;
    }
  }

  private drawLinkedEvents(ctx: CanvasRenderingContext2D, p: Palette, x: (t: number) => number, s: AppState): void {
    if (s.linkedEvents.length === 0) return;
    ctx.font = `10px ${p.sans}`;
    for (const ev of s.linkedEvents) {
      if (ev.t < s.t0 || ev.t > s.t1) continue;
      const row = this.rows.find((r) => (r.kind === 'thread' && r.tid === ev.tid) || (r.kind === 'cpu' && r.cpu === ev.cpu));
      if (!row) continue;
      const cy = this.rowCentre(row.id);
      if (cy === null) continue;
      const xx = x(ev.t);
      ctx.fillStyle = p.cursor;
      ctx.beginPath();
      ctx.moveTo(xx, cy - 7);
      ctx.lineTo(xx + 5, cy);
      ctx.lineTo(xx, cy + 7);
      ctx.lineTo(xx - 5, cy);
      ctx.closePath();
      ctx.fill();
      ctx.strokeStyle = p.bg;
      ctx.stroke();
    }
    ctx.font = `11px ${p.sans}`;
  }

  private drawRuler(ctx: CanvasRenderingContext2D, p: Palette, w: number, res: number, x: (t: number) => number, s: AppState): void {
    ctx.fillStyle = p.bg2;
    ctx.fillRect(0, 0, w, RULER_H);
    ctx.fillStyle = p.border;
    ctx.fillRect(0, RULER_H - 1, w, 1);
    const step = tickStep(res);
    ctx.fillStyle = p.fg2;
    ctx.font = `10px ${p.sans}`;
    for (let t = Math.ceil(s.t0 / step) * step; t <= s.t1; t += step) {
      const xx = Math.round(x(t));
      if (xx < LABEL_W) continue;
      ctx.fillRect(xx, RULER_H - 6, 1, 5);
      ctx.fillText(tickLabel(t, step), xx + 3, 8);
    }
    // Minor ticks.
    const minor = step / 5;
    for (let t = Math.ceil(s.t0 / minor) * minor; t <= s.t1; t += minor) {
      const xx = Math.round(x(t));
      if (xx >= LABEL_W) ctx.fillRect(xx, RULER_H - 3, 1, 2);
    }
    if (s.cursor !== null && s.cursor >= s.t0 && s.cursor <= s.t1) {
      const cx = x(s.cursor);
      const text = formatRel(s.cursor);
      const tw = ctx.measureText(text).width + 8;
      ctx.fillStyle = p.cursor;
      ctx.fillRect(Math.min(cx, w - tw), 12, tw, 10);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, Math.min(cx, w - tw) + 4, 17);
    }
    ctx.fillStyle = p.bg2;
    ctx.fillRect(0, 0, LABEL_W, RULER_H);
    ctx.fillStyle = p.fg2;
    ctx.font = `11px ${p.sans}`;
    ctx.fillText(`span ${formatDuration(s.t1 - s.t0)}`, 8, RULER_H / 2);
  }

  private drawLabels(ctx: CanvasRenderingContext2D, p: Palette, h: number, first: number, last: number, s: AppState): void {
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, RULER_H, LABEL_W, h - RULER_H);
    ctx.clip();
    ctx.fillStyle = p.bg2;
    ctx.fillRect(0, RULER_H, LABEL_W, h - RULER_H);
    ctx.font = `11px ${p.sans}`;
    for (let i = first; i <= last && i < this.rows.length; i++) {
      const row = this.rows[i]!;
      const y = RULER_H + this.rowY[i]! - this.scrollY;
      const rh = row.height ?? ROW_H;
      if (this.opts.isSelected?.(row, s)) {
        ctx.fillStyle = p.select;
        ctx.fillRect(0, y, LABEL_W, rh);
      } else if (this.opts.isLinked?.(row, s)) {
        ctx.fillStyle = p.highlight;
        ctx.fillRect(0, y, LABEL_W, rh);
      }
      const indent = 8 + (row.indent ?? 0) * 12;
      ctx.fillStyle = p.fg;
      const sub = row.sub ?? '';
      ctx.fillText(row.label, indent, y + rh / 2 + 0.5, LABEL_W - indent - (sub ? 60 : 8));
      if (sub) {
        ctx.fillStyle = p.fg2;
        ctx.textAlign = 'right';
        ctx.fillText(sub, LABEL_W - 8, y + rh / 2 + 0.5);
        ctx.textAlign = 'left';
      }
      ctx.fillStyle = p.grid;
      ctx.fillRect(0, y + rh - 1, LABEL_W, 1);
    }
    ctx.fillStyle = p.border;
    ctx.fillRect(LABEL_W - 1, RULER_H, 1, h - RULER_H);
    ctx.restore();
  }

  // ---- interaction --------------------------------------------------------------

  private intervalAt(row: TimelineRow, t: number): { s: number; e: number; k: number; l: string | null } | null {
    const d = this.tile?.rows.get(row.id);
    if (!d) return null;
    const slack = this.nsPerPx() * 2;
    let i = lowerBound(d.e, t - slack);
    let best: { s: number; e: number; k: number; l: string | null } | null = null;
    for (; i < d.s.length && d.s[i]! <= t + slack; i++) {
      const cand = { s: d.s[i]!, e: d.e[i]!, k: d.k[i]!, l: d.l?.[i] ?? null };
      if (cand.s <= t && cand.e >= t) return cand;
      best ??= cand;
    }
    return best;
  }

  private nearestPacket(t: number): number {
    const m = packetMarks();
    if (!m || m.t.length === 0) return -1;
    const lo = lowerBound(m.t, t);
    let best = -1;
    for (const c of [lo - 1, lo]) if (c >= 0 && c < m.t.length && (best < 0 || Math.abs(m.t[c]! - t) < Math.abs(m.t[best]! - t))) best = c;
    return best >= 0 && Math.abs(m.t[best]! - t) <= this.nsPerPx() * 5 ? best : -1;
  }

  private tooltip(e: MouseEvent, x: number, y: number): void {
    const i = this.rowAt(y);
    if (x < LABEL_W || i < 0) {
      if (i >= 0) {
        const r = this.rows[i]!;
        showTooltip(e.clientX, e.clientY, [`**${r.label}`, r.sub ?? '', r.kind === 'thread' ? 'click: select this thread' : ''].filter(Boolean));
      } else hideTooltip();
      return;
    }
    const row = this.rows[i]!;
    const t = this.timeAt(x);
    if (row.kind === 'packets') {
      const k = this.nearestPacket(t);
      const m = packetMarks();
      if (k >= 0 && m) showTooltip(e.clientX, e.clientY, [`**Frame ${m.no[k]}`, m.info[k] ?? '', `\`t = ${formatRel(m.t[k]!)} s (${formatClock(m.t[k]!)})`, 'click: select this packet']);
      else hideTooltip();
      return;
    }
    const iv = this.intervalAt(row, t);
    if (!iv) {
      hideTooltip();
      return;
    }
    showTooltip(e.clientX, e.clientY, [
      `**${row.label}${row.sub ? ` (${row.sub})` : ''}`,
      `${STATE_NAMES[iv.k] ?? 'state'}${iv.l ? `: ${iv.l}` : ''}`,
      `\`${formatRel(iv.s)} → ${formatRel(iv.e)}`,
      `duration ${formatDuration(iv.e - iv.s)}`,
    ]);
  }

  private installMouse(): void {
    const c = this.canvas.canvas;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const { x, y } = this.canvas.pos(e);
        const s = store.get();
        const horizontal = Math.abs(e.deltaX) > Math.abs(e.deltaY);
        if (horizontal || e.shiftKey) {
          panBy(((horizontal ? e.deltaX : e.deltaY) * (s.t1 - s.t0)) / Math.max(200, this.canvas.width - LABEL_W));
        } else if (e.ctrlKey || e.metaKey || y < RULER_H || this.totalH <= this.viewH()) {
          const anchor = x >= LABEL_W ? this.timeAt(x) : (s.t0 + s.t1) / 2;
          zoomAt(anchor, Math.exp(e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002)));
        } else {
          this.scrollY = Math.max(0, Math.min(this.totalH - this.viewH(), this.scrollY + e.deltaY * (e.deltaMode === 1 ? 20 : 1)));
          this.canvas.redraw();
        }
      },
      { passive: false },
    );
    c.addEventListener('mousedown', (e) => {
      if (e.button !== 0) return;
      const { x, y } = this.canvas.pos(e);
      c.focus();
      const s = store.get();
      const rangeMode = e.shiftKey || y < RULER_H;
      this.drag = { x0: x, y0: y, t0: this.timeAt(x), tStart: this.timeAt(x), mode: rangeMode ? 'range' : 'pan', moved: false, view0: s.t0, view1: s.t1 };
      const move = (ev: MouseEvent) => {
        const d = this.drag;
        if (!d) return;
        const p = this.canvas.pos(ev);
        if (Math.abs(p.x - d.x0) > 3 || Math.abs(p.y - d.y0) > 3) d.moved = true;
        if (!d.moved) return;
        if (d.mode === 'pan') {
          this.container.classList.add('grabbing');
          const res = (d.view1 - d.view0) / Math.max(1, this.canvas.width - LABEL_W);
          const dt = (p.x - d.x0) * res;
          store.set({ t0: d.view0 - dt, t1: d.view1 - dt });
          if (this.totalH > this.viewH()) {
            this.scrollY = Math.max(0, Math.min(this.totalH - this.viewH(), this.scrollY - (p.y - (this.hover?.y ?? p.y))));
          }
          this.hover = p;
        } else {
          const t = this.timeAt(p.x);
          store.set({ range: [Math.min(d.tStart, t), Math.max(d.tStart, t)] });
        }
      };
      const up = (ev: MouseEvent) => {
        window.removeEventListener('mousemove', move);
        window.removeEventListener('mouseup', up);
        this.container.classList.remove('grabbing');
        const d = this.drag;
        this.drag = null;
        if (!d || d.moved) return;
        this.click(ev, x, y);
      };
      this.hover = { x, y };
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    });
    c.addEventListener('mousemove', (e) => {
      const { x, y } = this.canvas.pos(e);
      setPointerTime(x >= LABEL_W ? this.timeAt(x) : null);
      if (!this.drag) this.tooltip(e, x, y);
    });
    c.addEventListener('mouseleave', () => {
      hideTooltip();
      setPointerTime(null);
    });
    c.addEventListener('dblclick', (e) => {
      const { x, y } = this.canvas.pos(e);
      const i = this.rowAt(y);
      if (i < 0 || x < LABEL_W) return;
      const iv = this.intervalAt(this.rows[i]!, this.timeAt(x));
      if (iv) zoomTo(iv.s, iv.e, 0.1);
    });
  }

  private click(e: MouseEvent, x: number, y: number): void {
    const i = this.rowAt(y);
    if (y < RULER_H) {
      store.set({ cursor: this.timeAt(x), range: null });
      return;
    }
    if (i < 0) return;
    const row = this.rows[i]!;
    if (x >= LABEL_W) {
      const t = this.timeAt(x);
      if (row.kind === 'packets') {
        const k = this.nearestPacket(t);
        if (k >= 0) {
          store.set({ selection: { kind: 'packet', id: k }, cursor: packetMarks()!.t[k]! });
          return;
        }
      }
      store.set({ cursor: t, range: e.shiftKey ? store.get().range : null });
    }
    this.opts.onRowClick?.(row);
  }
}
