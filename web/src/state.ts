/**
 * The page's one state: visible time range, time cursor, selected range, the selected
 * item (a packet, an event, a thread, a story step…), filters, open tabs and theme.
 * Every view reads it and changes it through `store`, so one click moves every view.
 * The parts that make a link reopen the same view are written to the URL hash.
 */

export type Selection =
  | { kind: 'packet'; id: number }
  | { kind: 'event'; i: number }
  | { kind: 'thread'; tid: number }
  | { kind: 'resource'; id: string }
  | { kind: 'step'; n: number }
  | { kind: 'socket'; key: string };

export type BottomTab = 'story' | 'packets' | 'events' | 'flow' | 'sockets';
export type TopTab = 'threads' | 'resources';

export interface AppState {
  /** Visible time range (ns relative to base). */
  t0: number;
  t1: number;
  /** Time cursor, or null. */
  cursor: number | null;
  /** Selected time range, or null. */
  range: [number, number] | null;
  selection: Selection | null;
  tab: BottomTab;
  top: TopTab;
  packetFilter: string;
  eventNames: string;
  eventTid: string;
  eventQuery: string;
  /** TCP stream shown in the Flow graph. */
  stream: number | null;
  /** Story connection key (null: the story's own choice). */
  conn: string | null;
  theme: 'light' | 'dark';
  /** Derived from the selection (not in the URL): threads and events to highlight. */
  linkedTids: number[];
  linkedEvents: { i: number; t: number; tid: number; cpu: number; name: string }[];
  linkedPackets: number[];
  /** Packet marks arrived (the timelines redraw). */
  marksLoaded: boolean;
}

type Key = keyof AppState;
type Listener = (changed: ReadonlySet<Key>, s: AppState) => void;

const URL_KEYS: Record<string, Key> = { t0: 't0', t1: 't1', c: 'cursor', r: 'range', sel: 'selection', tab: 'tab', top: 'top', pf: 'packetFilter', en: 'eventNames', et: 'eventTid', eq: 'eventQuery', fs: 'stream', conn: 'conn', theme: 'theme' };

function defaultTheme(): 'light' | 'dark' {
  try {
    const saved = localStorage.getItem('tracewire.theme');
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // storage blocked
  }
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

class Store {
  s: AppState = {
    t0: 0,
    t1: 1,
    cursor: null,
    range: null,
    selection: null,
    tab: 'story',
    top: 'threads',
    packetFilter: '',
    eventNames: '',
    eventTid: '',
    eventQuery: '',
    stream: null,
    conn: null,
    theme: defaultTheme(),
    linkedTids: [],
    linkedEvents: [],
    linkedPackets: [],
    marksLoaded: false,
  };
  private readonly listeners = new Set<Listener>();
  private pendingUrl: number | undefined;

  get(): AppState {
    return this.s;
  }

  /** Applies `patch` and tells every listener which keys changed. */
  set(patch: Partial<AppState>): void {
    const changed = new Set<Key>();
    for (const k of Object.keys(patch) as Key[]) {
      const v = patch[k];
      if (JSON.stringify(v) !== JSON.stringify(this.s[k])) {
        (this.s as unknown as Record<string, unknown>)[k] = v;
        changed.add(k);
      }
    }
    if (changed.size === 0) return;
    for (const l of this.listeners) l(changed, this.s);
    if ([...changed].some((k) => Object.values(URL_KEYS).includes(k))) this.scheduleUrl();
  }

  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private scheduleUrl(): void {
    if (this.pendingUrl !== undefined) return;
    this.pendingUrl = window.setTimeout(() => {
      this.pendingUrl = undefined;
      history.replaceState(null, '', `#${this.toHash()}`);
    }, 150);
  }

  /** The URL hash for the current state. */
  toHash(): string {
    const q = new URLSearchParams();
    const s = this.s;
    q.set('t0', String(Math.round(s.t0)));
    q.set('t1', String(Math.round(s.t1)));
    if (s.cursor !== null) q.set('c', String(Math.round(s.cursor)));
    if (s.range) q.set('r', `${Math.round(s.range[0])},${Math.round(s.range[1])}`);
    if (s.selection) q.set('sel', selectionText(s.selection));
    q.set('tab', s.tab);
    q.set('top', s.top);
    if (s.packetFilter) q.set('pf', s.packetFilter);
    if (s.eventNames) q.set('en', s.eventNames);
    if (s.eventTid) q.set('et', s.eventTid);
    if (s.eventQuery) q.set('eq', s.eventQuery);
    if (s.stream !== null) q.set('fs', String(s.stream));
    if (s.conn) q.set('conn', s.conn);
    q.set('theme', s.theme);
    return q.toString();
  }

  /** Reads the state a URL hash describes (unknown or bad values are ignored). */
  fromHash(hash: string): Partial<AppState> {
    const q = new URLSearchParams(hash.replace(/^#/, ''));
    const out: Partial<AppState> = {};
    const n = (k: string) => {
      const v = q.get(k);
      return v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
    };
    const t0 = n('t0');
    const t1 = n('t1');
    if (t0 !== null && t1 !== null && t1 > t0) Object.assign(out, { t0, t1 });
    const c = n('c');
    if (c !== null) out.cursor = c;
    const r = q.get('r')?.split(',').map(Number);
    if (r && r.length === 2 && r.every(Number.isFinite) && r[1]! > r[0]!) out.range = [r[0]!, r[1]!];
    const sel = parseSelection(q.get('sel') ?? '');
    if (sel) out.selection = sel;
    const tab = q.get('tab');
    if (tab && ['story', 'packets', 'events', 'flow', 'sockets'].includes(tab)) out.tab = tab as BottomTab;
    const top = q.get('top');
    if (top === 'threads' || top === 'resources') out.top = top;
    for (const [k, key] of [['pf', 'packetFilter'], ['en', 'eventNames'], ['et', 'eventTid'], ['eq', 'eventQuery'], ['conn', 'conn']] as const) {
      const v = q.get(k);
      if (v !== null) (out as Record<string, unknown>)[key] = v;
    }
    const fs = n('fs');
    if (fs !== null) out.stream = fs;
    const theme = q.get('theme');
    if (theme === 'light' || theme === 'dark') out.theme = theme;
    return out;
  }
}

export function selectionText(s: Selection): string {
  switch (s.kind) {
    case 'packet':
      return `packet:${s.id}`;
    case 'event':
      return `event:${s.i}`;
    case 'thread':
      return `thread:${s.tid}`;
    case 'resource':
      return `resource:${s.id}`;
    case 'step':
      return `step:${s.n}`;
    case 'socket':
      return `socket:${s.key}`;
  }
}

export function parseSelection(text: string): Selection | null {
  const i = text.indexOf(':');
  if (i < 0) return null;
  const kind = text.slice(0, i);
  const v = text.slice(i + 1);
  const num = Number(v);
  switch (kind) {
    case 'packet':
      return Number.isInteger(num) ? { kind, id: num } : null;
    case 'event':
      return Number.isInteger(num) ? { kind, i: num } : null;
    case 'thread':
      return Number.isInteger(num) ? { kind, tid: num } : null;
    case 'step':
      return Number.isInteger(num) ? { kind, n: num } : null;
    case 'resource':
      return { kind, id: v };
    case 'socket':
      return { kind, key: v };
  }
  return null;
}

export const store = new Store();
