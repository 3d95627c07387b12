/**
 * A virtualized table: only the rows on screen exist in the DOM (a pool of row elements
 * moved as the list scrolls), and rows are fetched from the server by pages. Works for
 * millions of rows; above the browser's height limit the scroll position is scaled.
 */
import { h } from './dom.js';

export interface Column<T> {
  title: string;
  /** CSS grid track, e.g. `70px` or `1fr`. */
  width: string;
  cls?: string;
  render: (row: T) => string;
  tooltip?: (row: T) => string;
}

export interface VirtualTableOptions<T> {
  columns: Column<T>[];
  rowHeight?: number;
  /** Fetches rows [offset, offset+limit) of the current query. */
  fetch: (offset: number, limit: number, signal: AbortSignal) => Promise<{ total: number; rows: T[] }>;
  key: (row: T) => number;
  rowClass?: (row: T) => string;
  onSelect?: (row: T, position: number) => void;
}

const PAGE = 200;
const MAX_SCROLL_PX = 8_000_000;

export class VirtualTable<T> {
  readonly el: HTMLDivElement;
  private readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly rowsEl: HTMLDivElement;
  private readonly statusEl: HTMLDivElement;
  private readonly rowH: number;
  private total = 0;
  private pages = new Map<number, T[]>();
  private loading = new Map<number, AbortController>();
  private pool: HTMLDivElement[] = [];
  private generation = 0;
  selectedKey: number | null = null;
  /** A scroll requested while the table was hidden (applied when it shows). */
  private pendingPos: number | null = null;
  selectedPos: number | null = null;
  private linkedKeys = new Set<number>();
  private readonly template: string;

  constructor(private readonly opts: VirtualTableOptions<T>) {
    this.rowH = opts.rowHeight ?? 21;
    this.template = opts.columns.map((c) => c.width).join(' ');
    const head = h('div.thead', { style: { gridTemplateColumns: this.template } }, ...opts.columns.map((c) => h('div', { title: c.title }, c.title)));
    this.spacer = h('div.spacer');
    this.rowsEl = h('div.rows');
    this.scroller = h('div.scroller', { tabIndex: 0 }, this.spacer, this.rowsEl);
    this.statusEl = h('div.status');
    this.el = h('div.vtable', null, head, this.scroller, this.statusEl);
    this.scroller.addEventListener('scroll', () => this.render());
    new ResizeObserver(() => {
      // A hidden table cannot scroll: apply the scroll asked for meanwhile when it shows.
      if (this.pendingPos !== null && this.scroller.clientHeight > 0) {
        const pos = this.pendingPos;
        this.pendingPos = null;
        this.scrollToPosition(pos);
      } else this.render();
    }).observe(this.scroller);
    this.scroller.addEventListener('keydown', (e) => this.key(e));
    this.rowsEl.addEventListener('click', (e) => {
      const rowEl = (e.target as HTMLElement).closest<HTMLDivElement>('.row');
      if (!rowEl || rowEl.dataset.pos === undefined) return;
      this.selectPosition(Number(rowEl.dataset.pos), true);
    });
  }

  /** Starts over with a new query (filter changed): fetches the first page. */
  async reload(): Promise<void> {
    this.generation++;
    for (const ac of this.loading.values()) ac.abort();
    this.loading.clear();
    this.pages.clear();
    const gen = this.generation;
    this.status('loading…');
    const ac = new AbortController();
    try {
      const first = await this.opts.fetch(0, PAGE, ac.signal);
      if (gen !== this.generation) return;
      this.total = first.total;
      this.pages.set(0, first.rows);
      this.status(null);
    } catch (err) {
      if (gen !== this.generation) return;
      this.total = 0;
      this.status((err as Error).message, true);
      throw err;
    }
    this.updateSpacer();
    this.render();
  }

  get count(): number {
    return this.total;
  }

  private status(text: string | null, bad = false): void {
    this.statusEl.textContent = text ?? '';
    this.statusEl.classList.toggle('show', !!text);
    this.statusEl.style.color = bad ? 'var(--bad)' : '';
  }

  private scale(): number {
    const full = this.total * this.rowH;
    return full > MAX_SCROLL_PX ? full / MAX_SCROLL_PX : 1;
  }

  private updateSpacer(): void {
    this.spacer.style.height = `${Math.min(this.total * this.rowH, MAX_SCROLL_PX) + this.rowH}px`;
  }

  /** First row position shown at the top. */
  private topPosition(): number {
    return Math.floor((this.scroller.scrollTop * this.scale()) / this.rowH);
  }

  private render(): void {
    const viewH = this.scroller.clientHeight;
    const n = Math.ceil(viewH / this.rowH) + 1;
    while (this.pool.length < n) {
      const r = h('div.row', { style: { gridTemplateColumns: this.template } });
      for (const c of this.opts.columns) r.append(h('div', c.cls ? { class: c.cls } : null));
      this.pool.push(r);
      this.rowsEl.append(r);
    }
    const top = this.topPosition();
    const offsetPx = this.scroller.scrollTop - ((top * this.rowH) / this.scale() - Math.floor((top * this.rowH) / this.scale()));
    this.rowsEl.style.transform = `translateY(${Math.floor(offsetPx)}px)`;
    const missing = new Set<number>();
    for (let k = 0; k < this.pool.length; k++) {
      const el = this.pool[k]!;
      const pos = top + k;
      if (k >= n || pos >= this.total) {
        el.style.display = 'none';
        el.removeAttribute('data-pos');
        continue;
      }
      el.style.display = '';
      el.dataset.pos = String(pos);
      const page = this.pages.get(Math.floor(pos / PAGE));
      const row = page?.[pos % PAGE];
      const cells = el.children;
      if (!row) {
        missing.add(Math.floor(pos / PAGE));
        el.className = 'row';
        for (let c = 0; c < cells.length; c++) cells[c]!.textContent = c === 0 ? '…' : '';
        continue;
      }
      const key = this.opts.key(row);
      el.className = `row ${this.opts.rowClass?.(row) ?? ''}${key === this.selectedKey ? ' selected' : ''}${this.linkedKeys.has(key) ? ' linked' : ''}`;
      this.opts.columns.forEach((col, c) => {
        const text = col.render(row);
        const cell = cells[c] as HTMLElement;
        if (cell.textContent !== text) cell.textContent = text;
        cell.title = col.tooltip ? col.tooltip(row) : text.length > 40 ? text : '';
      });
    }
    for (const p of missing) void this.loadPage(p);
  }

  private async loadPage(p: number): Promise<void> {
    if (this.pages.has(p) || this.loading.has(p)) return;
    const ac = new AbortController();
    this.loading.set(p, ac);
    const gen = this.generation;
    try {
      const got = await this.opts.fetch(p * PAGE, PAGE, ac.signal);
      if (gen !== this.generation) return;
      this.pages.set(p, got.rows);
      if (this.pages.size > 60) {
        // Keep memory bounded: forget pages far from the current one.
        const cur = Math.floor(this.topPosition() / PAGE);
        for (const k of [...this.pages.keys()]) if (Math.abs(k - cur) > 20) this.pages.delete(k);
      }
      this.render();
    } catch {
      // aborted or failed: rows stay as placeholders, retried on the next scroll
    } finally {
      if (this.loading.get(p) === ac) this.loading.delete(p);
    }
  }

  /** The loaded row at `pos`, if any. */
  rowAt(pos: number): T | undefined {
    return this.pages.get(Math.floor(pos / PAGE))?.[pos % PAGE];
  }

  /** Scrolls so that `pos` is visible (centred when it was off screen). */
  scrollToPosition(pos: number): void {
    if (this.scroller.clientHeight === 0) {
      this.pendingPos = pos;
      return;
    }
    const viewRows = Math.floor(this.scroller.clientHeight / this.rowH);
    const top = this.topPosition();
    if (pos >= top && pos < top + viewRows - 1) return;
    const target = Math.max(0, pos - Math.floor(viewRows / 3));
    this.scroller.scrollTop = (target * this.rowH) / this.scale();
    this.render();
  }

  /** Marks `pos` selected (fetching it if needed); `notify` calls onSelect. */
  async selectPosition(pos: number, notify: boolean): Promise<void> {
    if (pos < 0 || pos >= this.total) return;
    this.selectedPos = pos;
    this.scrollToPosition(pos);
    let row = this.rowAt(pos);
    if (!row) {
      await this.loadPage(Math.floor(pos / PAGE));
      row = this.rowAt(pos);
    }
    if (!row) return;
    this.selectedKey = this.opts.key(row);
    this.render();
    if (notify) this.opts.onSelect?.(row, pos);
  }

  /** Highlights rows by key without selecting (e.g. the kernel events of a packet). */
  setLinked(keys: Iterable<number>): void {
    this.linkedKeys = new Set(keys);
    this.render();
  }

  setSelectedKey(key: number | null): void {
    this.selectedKey = key;
    this.render();
  }

  focus(): void {
    this.scroller.focus();
  }

  private key(e: KeyboardEvent): void {
    const viewRows = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowH) - 1);
    const cur = this.selectedPos ?? this.topPosition();
    let next: number | null = null;
    if (e.key === 'ArrowDown') next = cur + 1;
    else if (e.key === 'ArrowUp') next = cur - 1;
    else if (e.key === 'PageDown') next = cur + viewRows;
    else if (e.key === 'PageUp') next = cur - viewRows;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.total - 1;
    if (next === null) return;
    e.preventDefault();
    void this.selectPosition(Math.max(0, Math.min(this.total - 1, next)), true);
  }
}
