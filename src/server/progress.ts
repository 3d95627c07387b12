/**
 * Progress of the analyses behind the UI. Loading a large trace takes seconds, so the
 * server reports what it is doing — to the page (GET /api/status and the
 * /api/progress event stream) and to the CLI (a listener printing to stderr) — instead
 * of leaving a frozen page.
 */
import type { ProgressSnapshot, ProgressTask } from './api-types.js';

type Listener = (snapshot: ProgressSnapshot) => void;

/** Tracks tasks; notifies listeners at most every `intervalMs` while work goes on. */
export class ProgressTracker {
  private readonly tasks = new Map<string, ProgressTask>();
  private readonly listeners = new Set<Listener>();
  private lastEmit = 0;
  private pending: NodeJS.Timeout | null = null;
  ready = false;
  error: string | null = null;

  constructor(private readonly intervalMs = 150) {}

  /** Declares a task (pending) so the page can list everything that will happen. */
  add(id: string, label: string, unit = ''): ProgressTask {
    const t: ProgressTask = { id, label, done: 0, total: 0, unit, state: 'pending' };
    this.tasks.set(id, t);
    this.emit(true);
    return t;
  }

  /** Updates a task; throttled notification. */
  update(id: string, patch: Partial<Omit<ProgressTask, 'id'>>): void {
    const t = this.tasks.get(id);
    if (!t) return;
    Object.assign(t, patch);
    this.emit(patch.state !== undefined && patch.state !== 'running');
  }

  finish(error: string | null = null): void {
    this.ready = true;
    this.error = error;
    this.emit(true);
  }

  snapshot(): ProgressSnapshot {
    const tasks = [...this.tasks.values()].map((t) => ({ ...t }));
    const complete = this.ready && tasks.every((t) => t.state !== 'running' && t.state !== 'pending');
    return { ready: this.ready, complete, error: this.error, tasks };
  }

  /** Subscribes; returns the unsubscribe function. */
  listen(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(now: boolean): void {
    const t = Date.now();
    if (now || t - this.lastEmit >= this.intervalMs) {
      if (this.pending) {
        clearTimeout(this.pending);
        this.pending = null;
      }
      this.lastEmit = t;
      const snap = this.snapshot();
      for (const l of this.listeners) l(snap);
    } else if (!this.pending) {
      this.pending = setTimeout(() => {
        this.pending = null;
        this.emit(true);
      }, this.intervalMs);
      this.pending.unref();
    }
  }
}

/** Lets the event loop breathe (HTTP requests, progress) during a long synchronous pass. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
