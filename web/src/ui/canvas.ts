/**
 * A canvas that fills its container at the device's pixel ratio and redraws on resize.
 * Drawing is synchronous from data already in memory, scheduled once per animation
 * frame however many changes arrive; the time of each draw is recorded for the bench.
 */

export interface FrameStats {
  /** Duration of each draw in ms (last 600). */
  frames: number[];
  firstPaint: number | null;
}

declare global {
  interface Window {
    __tracewire?: { frames: number[]; firstPaint: number | null; firstDataPaint: number | null; ready: boolean };
  }
}

export function perfRecorder(): { frames: number[]; firstPaint: number | null; firstDataPaint: number | null; ready: boolean } {
  window.__tracewire ??= { frames: [], firstPaint: null, firstDataPaint: null, ready: false };
  return window.__tracewire;
}

export class AutoCanvas {
  readonly canvas: HTMLCanvasElement;
  readonly ctx: CanvasRenderingContext2D;
  width = 0;
  height = 0;
  dpr = 1;
  private scheduled = 0;
  private readonly observer: ResizeObserver;

  constructor(
    readonly container: HTMLElement,
    private readonly draw: (ctx: CanvasRenderingContext2D, w: number, h: number) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.tabIndex = 0;
    container.append(this.canvas);
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('canvas 2D is not available');
    this.ctx = ctx;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(container);
  }

  private resize(): void {
    const r = this.container.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.width = Math.max(1, Math.floor(r.width));
    this.height = Math.max(1, Math.floor(r.height));
    this.canvas.width = Math.floor(this.width * this.dpr);
    this.canvas.height = Math.floor(this.height * this.dpr);
    this.redrawNow();
  }

  /** Draws at the next animation frame (coalesces requests). */
  redraw(): void {
    if (this.scheduled) return;
    this.scheduled = requestAnimationFrame(() => {
      this.scheduled = 0;
      this.redrawNow();
    });
  }

  redrawNow(): void {
    if (this.width <= 1 || this.height <= 1 || !this.container.isConnected || this.container.offsetParent === null) return;
    const t = performance.now();
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this.draw(ctx, this.width, this.height);
    const perf = perfRecorder();
    perf.frames.push(performance.now() - t);
    if (perf.frames.length > 600) perf.frames.splice(0, perf.frames.length - 600);
    if (perf.firstPaint === null) perf.firstPaint = performance.now();
  }

  /** Mouse position in CSS pixels relative to the canvas. */
  pos(e: MouseEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
}
