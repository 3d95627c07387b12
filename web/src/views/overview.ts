/**
 * The overview strip over the whole trace (like Trace Compass's histogram): kernel
 * events and packets per pixel column, with the visible range as a window you can drag,
 * click to centre, or wheel to zoom.
 */
import { getJson } from '../api.js';
import { fullRange, setView, zoomAt } from '../nav.js';
import { store } from '../state.js';
import { AutoCanvas } from '../ui/canvas.js';
import { palette } from '../ui/theme.js';
import { formatDuration, formatRel } from '../time.js';
import { showTooltip, hideTooltip } from '../ui/tooltip.js';

interface Histogram {
  t0: number;
  t1: number;
  n: number;
  events: number[] | null;
  packets: number[] | null;
}

export class Overview {
  private readonly canvas: AutoCanvas;
  private hist: Histogram | null = null;
  private requestedWidth = 0;

  constructor(container: HTMLElement) {
    this.canvas = new AutoCanvas(container, (ctx, w, h) => this.draw(ctx, w, h));
    store.on((ch) => {
      if (ch.has('t0') || ch.has('t1') || ch.has('cursor') || ch.has('theme') || ch.has('range')) this.canvas.redraw();
    });
    this.install();
  }

  async load(): Promise<void> {
    const w = Math.max(100, Math.floor(this.canvas.width));
    this.requestedWidth = w;
    const [a, b] = fullRange();
    this.hist = await getJson<Histogram>('/api/histogram', { t0: a, t1: b, n: w });
    this.canvas.redraw();
  }

  private x(t: number, w: number): number {
    const [a, b] = fullRange();
    return ((t - a) / (b - a)) * w;
  }

  private time(x: number): number {
    const [a, b] = fullRange();
    return a + (x / this.canvas.width) * (b - a);
  }

  private draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    const p = palette();
    ctx.fillStyle = p.bg;
    ctx.fillRect(0, 0, w, h);
    const hist = this.hist;
    if (hist) {
      if (Math.abs(this.requestedWidth - w) > 40) void this.load();
      const bw = w / hist.n;
      const draw = (vals: number[] | null, colour: string, top: number, height: number) => {
        if (!vals) return;
        const max = Math.max(1, ...vals);
        ctx.fillStyle = colour;
        for (let i = 0; i < vals.length; i++) {
          const v = vals[i]!;
          if (!v) continue;
          // Square root scale: a busy trace does not flatten the quiet parts to nothing.
          const bh = Math.max(1, Math.sqrt(v / max) * height);
          ctx.fillRect(i * bw, top + height - bh, Math.max(1, bw), bh);
        }
      };
      draw(hist.events, p.states[2]!, 2, h - 16);
      draw(hist.packets, p.pkSyn, h - 13, 11);
    }
    const s = store.get();
    const x0 = this.x(s.t0, w);
    const x1 = this.x(s.t1, w);
    ctx.fillStyle = 'rgba(128,128,128,0.28)';
    ctx.fillRect(0, 0, Math.max(0, x0), h);
    ctx.fillRect(x1, 0, Math.max(0, w - x1), h);
    ctx.strokeStyle = p.accent;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(Math.max(0.75, x0), 0.75, Math.max(2, x1 - x0), h - 1.5);
    if (s.cursor !== null) {
      ctx.fillStyle = p.cursor;
      ctx.fillRect(Math.round(this.x(s.cursor, w)), 0, 1, h);
    }
    ctx.fillStyle = p.fg2;
    ctx.font = `10px ${p.sans}`;
    ctx.textBaseline = 'top';
    ctx.fillText('events', 4, 3);
    ctx.fillText('packets', 4, h - 12);
  }

  private install(): void {
    const c = this.canvas.canvas;
    c.addEventListener('mousedown', (e) => {
      const { x } = this.canvas.pos(e);
      const s = store.get();
      const span = s.t1 - s.t0;
      const w = this.canvas.width;
      const inside = x >= this.x(s.t0, w) && x <= this.x(s.t1, w);
      const grabOffset = inside ? this.time(x) - s.t0 : span / 2;
      if (!inside) setView(this.time(x) - span / 2, this.time(x) + span / 2);
      const move = (ev: MouseEvent) => {
        const t = this.time(this.canvas.pos(ev).x) - grabOffset;
        setView(t, t + span);
      };
      const up = () => {
        window.removeEventListener('mousemove', move);
        window.removeEventListener('mouseup', up);
      };
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    });
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        zoomAt(this.time(this.canvas.pos(e).x), Math.exp(e.deltaY * 0.002));
      },
      { passive: false },
    );
    c.addEventListener('mousemove', (e) => {
      const { x } = this.canvas.pos(e);
      const hist = this.hist;
      if (!hist) return;
      const i = Math.floor((x / this.canvas.width) * hist.n);
      const t = this.time(x);
      showTooltip(e.clientX, e.clientY, [`\`${formatRel(t)} s`, `${hist.events?.[i] ?? 0} events, ${hist.packets?.[i] ?? 0} packets in ${formatDuration((hist.t1 - hist.t0) / hist.n)}`, 'drag the window to pan, wheel to zoom']);
    });
    c.addEventListener('mouseleave', hideTooltip);
  }
}
