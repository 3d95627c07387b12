/**
 * Zoom and pan over time, shared by every time-based view: mouse wheel, drag and the
 * W/A/S/D keys (held keys animate smoothly, like Perfetto and Trace Compass), zoom to
 * the selected range, show all. It only changes `store.t0/t1`; views redraw from there.
 */
import { store } from './state.js';
import { typingInField } from './ui/dom.js';

const MIN_SPAN = 200; // ns: below this, pixels would be finer than the clock

let limitStart = 0;
let limitEnd = 1;

/** Sets the dataset's time range (zoom out stops a little beyond it). */
export function setLimits(start: number, end: number): void {
  limitStart = start;
  limitEnd = Math.max(end, start + MIN_SPAN);
}

export function fullRange(): [number, number] {
  const pad = (limitEnd - limitStart) * 0.01;
  return [limitStart - pad, limitEnd + pad];
}

function clampView(t0: number, t1: number): [number, number] {
  const [lo, hi] = fullRange();
  let span = Math.max(MIN_SPAN, t1 - t0);
  span = Math.min(span, hi - lo);
  let a = t0;
  if (a < lo) a = lo;
  if (a + span > hi) a = hi - span;
  return [a, a + span];
}

/** Shows [t0, t1] (clamped to the data). */
export function setView(t0: number, t1: number): void {
  const [a, b] = clampView(t0, t1);
  store.set({ t0: a, t1: b });
}

/** Zooms by `factor` (< 1 zooms in) keeping time `anchor` at the same place. */
export function zoomAt(anchor: number, factor: number): void {
  const { t0, t1 } = store.get();
  setView(anchor - (anchor - t0) * factor, anchor + (t1 - anchor) * factor);
}

/** Pans by `dt` ns. */
export function panBy(dt: number): void {
  const { t0, t1 } = store.get();
  setView(t0 + dt, t1 + dt);
}

export function showAll(): void {
  const [a, b] = fullRange();
  store.set({ t0: a, t1: b });
}

/** Shows [a, b] with `margin` (fraction of the span) on each side. */
export function zoomTo(a: number, b: number, margin = 0.08): void {
  const span = Math.max(b - a, MIN_SPAN * 4);
  const mid = (a + b) / 2;
  setView(mid - (span / 2) * (1 + 2 * margin), mid + (span / 2) * (1 + 2 * margin));
}

/** Zooms to the selected range, or around the cursor when there is none. */
export function zoomToSelection(): void {
  const s = store.get();
  if (s.range) zoomTo(s.range[0], s.range[1], 0.02);
  else if (s.cursor !== null) zoomAt(s.cursor, 0.25);
}

/** Centres the view on `t` without changing the zoom, if `t` is off screen (or near the edge). */
export function reveal(t: number): void {
  const { t0, t1 } = store.get();
  const span = t1 - t0;
  if (t < t0 + span * 0.05 || t > t1 - span * 0.05) setView(t - span / 2, t + span / 2);
}

// Held W/A/S/D keys: a rAF loop applies zoom/pan in proportion to the frame time.
const held = new Set<string>();
let raf = 0;
let lastFrame = 0;
let pointerTime: number | null = null;

/** The time under the mouse in the last time view it moved over (zoom anchor for W/S). */
export function setPointerTime(t: number | null): void {
  pointerTime = t;
}

function step(now: number): void {
  const dt = Math.min(50, now - (lastFrame || now));
  lastFrame = now;
  const { t0, t1, cursor } = store.get();
  const span = t1 - t0;
  const k = dt / 16.67;
  const anchor = pointerTime !== null && pointerTime >= t0 && pointerTime <= t1 ? pointerTime : cursor !== null && cursor >= t0 && cursor <= t1 ? cursor : (t0 + t1) / 2;
  if (held.has('w')) zoomAt(anchor, Math.pow(0.9, k));
  if (held.has('s')) zoomAt(anchor, Math.pow(1 / 0.9, k));
  if (held.has('a')) panBy(-span * 0.025 * k);
  if (held.has('d')) panBy(span * 0.025 * k);
  if (held.size) raf = requestAnimationFrame(step);
  else {
    raf = 0;
    lastFrame = 0;
  }
}

/** Installs the W/A/S/D handlers on the window. */
export function installKeyNavigation(): void {
  window.addEventListener('keydown', (e) => {
    if (typingInField() || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (k === 'w' || k === 'a' || k === 's' || k === 'd') {
      e.preventDefault();
      held.add(k);
      if (!raf) raf = requestAnimationFrame(step);
    }
  });
  window.addEventListener('keyup', (e) => held.delete(e.key.toLowerCase()));
  window.addEventListener('blur', () => held.clear());
}
