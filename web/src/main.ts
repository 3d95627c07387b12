/**
 * tracewire's single-page app: boots from /api/summary (showing the analyses' progress
 * while the server works), lays out the views — Threads and Resources timelines on top,
 * Story, Packets, Events, Flow graph and Sockets below — and wires the shared state, the
 * URL, the keys, the search box and the theme.
 */
import './styles.css';
import { getJson, type ProgressSnapshot, type Summary } from './api.js';
import { installLinks, linksReady, refreshLinks } from './links.js';
import { loadPacketMarks } from './marks.js';
import { installKeyNavigation, reveal, setLimits, showAll, zoomTo, zoomToSelection } from './nav.js';
import { store, type BottomTab, type Selection, type TopTab } from './state.js';
import { formatClock, formatDuration, formatRel, parseTimeInput, setBase } from './time.js';
import { perfRecorder } from './ui/canvas.js';
import { clear, h, typingInField } from './ui/dom.js';
import { applyTheme } from './ui/theme.js';
import { EventsView } from './views/events-view.js';
import { FlowView } from './views/flow-view.js';
import { Overview } from './views/overview.js';
import { PacketsView } from './views/packets-view.js';
import { ResourcesView } from './views/resources-view.js';
import { SocketsView } from './views/sockets-view.js';
import { StoryView } from './views/story-view.js';
import { ThreadsView } from './views/threads-view.js';

const LOGO = '<svg viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="currentColor" opacity=".9"/><path d="M2 11h3l2-6 2 8 2-4h3" stroke="var(--bg)" stroke-width="1.6" fill="none"/></svg>';

const app = document.getElementById('app')!;

// ---- progress while the server analyses --------------------------------------------------

function progressBox(): { el: HTMLElement; update: (s: ProgressSnapshot) => void } {
  const list = h('div');
  const err = h('div.error');
  const el = h('div.loading', null, h('div.box', null, h('h3', null, 'Analysing…'), list, err));
  return {
    el,
    update(s) {
      clear(list);
      for (const t of s.tasks) {
        const pct = t.state === 'done' ? 100 : t.total > 0 ? Math.min(100, (100 * t.done) / t.total) : 0;
        list.append(h(`div.task${t.state === 'done' ? '.done' : ''}`, null, h('span', null, `${t.state === 'done' ? '✓ ' : t.state === 'failed' ? '✗ ' : ''}${t.label}`), h('div.bar', null, h('i', { style: { width: `${pct}%` } }))));
      }
      err.textContent = s.error ?? '';
    },
  };
}

/** Waits until the server's analyses are done, showing their progress. */
async function waitUntilReady(): Promise<void> {
  const first = await getJson<ProgressSnapshot>('/api/status');
  if (first.ready) return;
  const box = progressBox();
  box.update(first);
  document.body.append(box.el);
  await new Promise<void>((resolve) => {
    const es = new EventSource('/api/progress');
    es.onmessage = (m) => {
      const s = JSON.parse(m.data as string) as ProgressSnapshot;
      box.update(s);
      if (s.ready) {
        es.close();
        resolve();
      }
    };
    // On a dropped stream, fall back to polling.
    es.onerror = () => {
      es.close();
      const poll = async () => {
        const s = await getJson<ProgressSnapshot>('/api/status').catch(() => null);
        if (s) box.update(s);
        if (s?.ready) resolve();
        else setTimeout(() => void poll(), 300);
      };
      void poll();
    };
  });
  box.el.remove();
}

// ---- layout ---------------------------------------------------------------------------

interface Tab<K extends string> {
  key: K;
  title: string;
  el: HTMLElement;
  tools?: HTMLElement;
  count?: HTMLElement;
  onShow?: () => void;
}

function tabGroup<K extends string>(tabs: Tab<K>[], current: () => K, set: (k: K) => void): { bar: HTMLElement; body: HTMLElement; update: () => void } {
  const tools = h('div.tab-tools');
  const buttons = tabs.map((t) => {
    t.count ??= h('span.count');
    t.count.style.display = 'none';
    return h('button.tab', { onclick: () => set(t.key), dataset: { tab: t.key }, role: 'tab' }, t.title, t.count);
  });
  const bar = h('div.tabs', { role: 'tablist' }, ...buttons, tools);
  const body = h('div.tab-body', null, ...tabs.map((t) => h('div.view', { dataset: { view: t.key } }, t.el)));
  const update = () => {
    const k = current();
    tabs.forEach((t, i) => {
      const on = t.key === k;
      buttons[i]!.classList.toggle('active', on);
      (body.children[i] as HTMLElement).classList.toggle('active', on);
      if (on) {
        clear(tools);
        if (t.tools) tools.append(t.tools);
        t.onShow?.();
      }
    });
  };
  update();
  return { bar, body, update };
}

function setCount(el: HTMLElement | undefined, n: number | null): void {
  if (!el) return;
  el.textContent = n === null ? '' : n.toLocaleString('en-US');
  el.style.display = n === null ? 'none' : '';
}

function helpOverlay(): HTMLElement {
  const keys: [string, string][] = [
    ['W / S', 'zoom in / out (hold for smooth zoom), around the mouse'],
    ['A / D', 'pan left / right'],
    ['Ctrl+wheel, wheel on the ruler', 'zoom around the mouse'],
    ['Wheel', 'scroll the rows; Shift+wheel pans'],
    ['Drag', 'pan; Shift+drag or drag on the ruler selects a time range'],
    ['Z', 'zoom to the selected range (or around the cursor)'],
    ['0', 'show the whole trace'],
    ['Double-click', 'zoom to the state interval under the mouse'],
    ['Esc', 'clear the range and the selection'],
    ['/', 'search threads, events, packets, times, story steps'],
    ['↑ ↓ PgUp PgDn', 'move in the Packets / Events lists'],
    ['?', 'this help'],
  ];
  const el = h('div.help', { onclick: (e: Event) => e.target === el && el.classList.remove('show') }, h('div.box', null, h('h3', null, 'Keys and mouse'), h('table', null, ...keys.map(([k, v]) => h('tr', null, h('td', null, h('kbd', null, k)), h('td', null, v))))));
  return el;
}

// ---- search ---------------------------------------------------------------------------

interface SearchItem {
  group: string;
  text: string;
  sub?: string;
  run: () => void;
}

function buildSearch(summary: Summary, threadsView: ThreadsView | null, story: StoryView): HTMLElement {
  const input = h('input', { type: 'search', placeholder: 'Search: thread, event, frame, time, filter… (/)', 'aria-label': 'search' });
  const results = h('div.search-results');
  let items: SearchItem[] = [];
  let active = 0;
  const close = () => results.classList.remove('show');
  const render = () => {
    clear(results);
    let group = '';
    items.forEach((it, i) => {
      if (it.group !== group) {
        group = it.group;
        results.append(h('div.group', null, group));
      }
      results.append(h(`div.item${i === active ? '.active' : ''}`, { onmousedown: (e: Event) => (e.preventDefault(), it.run(), close(), input.blur()) }, it.text, it.sub ? h('span.mono', null, it.sub) : ''));
    });
    results.classList.toggle('show', items.length > 0);
  };
  const compute = () => {
    const q = input.value.trim();
    const ql = q.toLowerCase();
    items = [];
    if (!q) return render();
    const t = parseTimeInput(q, store.get().cursor ?? 0);
    if (t !== null) items.push({ group: 'Time', text: `Go to ${formatRel(t)} s`, sub: formatClock(t), run: () => (store.set({ cursor: t }), reveal(t)) });
    const frame = /^#?(\d+)$/.exec(q);
    if (frame && summary.packets && Number(frame[1]) >= 1 && Number(frame[1]) <= summary.packets.count) {
      const id = Number(frame[1]) - 1;
      items.push({ group: 'Packets', text: `Frame ${frame[1]}`, run: () => store.set({ selection: { kind: 'packet', id }, tab: 'packets' }) });
    }
    if (summary.packets && /[.=<>!]|^(tcp|udp|ip|ipv6|icmp|arp)\b/.test(q)) items.push({ group: 'Packets', text: `Display filter: ${q}`, run: () => store.set({ packetFilter: q, tab: 'packets' }) });
    const threads: { tid: number; pid: number | null; name: string }[] = threadsView?.threads.length ? threadsView.threads : summary.contextThreads;
    const seen = new Set<number>();
    for (const th of threads ?? []) {
      if (items.length > 40) break;
      if (seen.has(th.tid)) continue;
      if (th.name.toLowerCase().includes(ql) || String(th.tid) === q) {
        seen.add(th.tid);
        items.push({ group: 'Threads', text: th.name || `[${th.tid}]`, sub: `tid ${th.tid} pid ${th.pid}`, run: () => store.set({ selection: { kind: 'thread', tid: th.tid }, top: 'threads' }) });
      }
    }
    for (const n of summary.events?.names ?? []) {
      if (!n.name.includes(ql)) continue;
      items.push({ group: 'Events', text: n.name, sub: `${n.count} events`, run: () => store.set({ eventNames: n.name, tab: 'events' }) });
      if (items.length > 60) break;
    }
    for (const st of story.story?.steps ?? []) {
      if (`${st.title} ${st.text ?? ''}`.toLowerCase().includes(ql)) items.push({ group: 'Story', text: `${st.n}. ${st.title}`, run: () => store.set({ selection: { kind: 'step', n: st.n }, tab: 'story' }) });
    }
    active = 0;
    render();
  };
  input.addEventListener('input', compute);
  input.addEventListener('focus', compute);
  input.addEventListener('blur', () => setTimeout(close, 100));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = Math.max(0, Math.min(items.length - 1, active + (e.key === 'ArrowDown' ? 1 : -1)));
      render();
    } else if (e.key === 'Enter' && items[active]) {
      items[active]!.run();
      close();
      input.blur();
    } else if (e.key === 'Escape') {
      close();
      input.blur();
    }
  });
  return h('div.search', null, input, results);
}

function selectionLabel(sel: Selection): string {
  switch (sel.kind) {
    case 'packet':
      return `packet row ${sel.id + 1}`;
    case 'event':
      return `event #${sel.i}`;
    case 'thread':
      return `thread ${sel.tid}`;
    case 'resource':
      return sel.id;
    case 'step':
      return `story step ${sel.n}`;
    case 'socket':
      return `socket ${sel.key}`;
  }
}

// ---- boot -----------------------------------------------------------------------------

async function boot(): Promise<void> {
  const fromUrl = store.fromHash(location.hash);
  applyTheme(fromUrl.theme ?? store.get().theme);
  await waitUntilReady();
  const summary = await getJson<Summary>('/api/summary');
  setBase(summary.base);
  setLimits(summary.start, summary.end);
  const f = summary.features;
  // Packet marks load in parallel with the views (the timelines redraw when they arrive).
  const marks = f.packets ? loadPacketMarks() : Promise.resolve();

  // Default tab: the story when there is one, else what the inputs have.
  const defaultTab: BottomTab = f.story ? 'story' : f.packets ? 'packets' : 'events';
  store.set({ tab: defaultTab, top: f.threads ? 'threads' : f.resources ? 'resources' : 'threads', ...fromUrl });
  if (fromUrl.t0 === undefined) showAll();
  else setLimits(summary.start, summary.end);

  const story = new StoryView(f.story, summary.notes);
  const threads = f.threads ? new ThreadsView(summary) : null;
  const resources = f.resources ? new ResourcesView(!!summary.packets) : null;
  const correlating = summary.correlation === 'running';
  const packets = f.packets ? new PacketsView(linksReady) : null;
  const events = f.events ? new EventsView(summary) : null;
  const flow = f.flow ? new FlowView() : null;
  const sockets = new SocketsView(f.sockets, summary.notes);
  const note = (text: string) => h('div.empty-note', null, text, ...summary.notes.map((n) => h('div', null, n)));

  const topTabs: Tab<TopTab>[] = [
    { key: 'threads', title: 'Threads', el: threads?.el ?? note('No kernel trace: the Threads view needs one.'), tools: threads?.tools },
    { key: 'resources', title: 'Resources', el: resources?.el ?? note('No kernel trace: the Resources view needs one.'), tools: resources?.tools },
  ];
  const bottomTabs: Tab<BottomTab>[] = [
    { key: 'story', title: 'Story', el: story.el },
    { key: 'packets', title: 'Packets', el: packets?.el ?? note('No capture among the inputs.') },
    { key: 'events', title: 'Events', el: events?.el ?? note('No kernel trace among the inputs.') },
    { key: 'flow', title: 'Flow graph', el: flow?.el ?? note('No TCP conversation in the capture.') },
    { key: 'sockets', title: 'Sockets', el: sockets.el },
  ];
  const top = tabGroup(topTabs, () => store.get().top, (k) => store.set({ top: k }));
  const bottom = tabGroup(bottomTabs, () => store.get().tab, (k) => store.set({ tab: k }));

  const themeBtn = h('button.btn.icon-btn', { title: 'light / dark theme', 'aria-label': 'toggle theme', onclick: () => store.set({ theme: store.get().theme === 'dark' ? 'light' : 'dark' }) }, '◐');
  const help = helpOverlay();
  const header = h(
    'header.header',
    null,
    h('span.brand', { title: 'tracewire' }, h('span', { style: { color: 'var(--accent)', display: 'flex' } }), 'tracewire'),
    h('span.inputs', { title: summary.inputs.join('\n') }, summary.inputs.join(' · ')),
    buildSearch(summary, threads, story),
    h('button.btn', { title: 'zoom to the selected range (Z)', onclick: zoomToSelection }, 'Zoom to selection'),
    h('button.btn', { title: 'show everything (0)', onclick: showAll }, 'Show all'),
    themeBtn,
    h('button.btn.icon-btn', { title: 'keys and mouse (?)', 'aria-label': 'help', onclick: () => help.classList.add('show') }, '?'),
  );
  (header.querySelector('.brand span') as HTMLElement).innerHTML = LOGO;

  const overviewBox = h('div.overview');
  const topPane = h('div.pane.top', null, top.bar, top.body);
  const bottomPane = h('div.pane.bottom', null, bottom.bar, bottom.body);
  const splitter = h('div.splitter', { title: 'drag to resize' });
  const main = h('div.main', null, topPane, splitter, bottomPane);
  const stCursor = h('b');
  const stRange = h('b');
  const stView = h('b');
  const stSel = h('span');
  const statusbar = h('footer.statusbar', null, h('span', null, 'Cursor ', stCursor), h('span', null, 'Range ', stRange), h('span', null, 'View ', stView), stSel, h('span.grow'), h('span', null, summary.events ? `${summary.events.count.toLocaleString('en-US')} events` : '', summary.packets ? ` · ${summary.packets.count.toLocaleString('en-US')} packets` : ''));
  clear(app);
  app.append(header, overviewBox, main, statusbar);
  document.body.append(help);

  // Splitter between the timelines and the lists.
  splitter.addEventListener('mousedown', (e) => {
    e.preventDefault();
    const startY = e.clientY;
    const startH = topPane.getBoundingClientRect().height;
    const move = (ev: MouseEvent) => {
      topPane.style.flex = `0 0 ${Math.max(80, Math.min(main.clientHeight - 120, startH + ev.clientY - startY))}px`;
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  });

  const updateStatus = () => {
    const s = store.get();
    stCursor.textContent = s.cursor !== null ? `${formatRel(s.cursor)} s (${formatClock(s.cursor)})` : '—';
    stRange.textContent = s.range ? `${formatRel(s.range[0])} → ${formatRel(s.range[1])} (${formatDuration(s.range[1] - s.range[0])})` : '—';
    stView.textContent = `${formatRel(s.t0)} + ${formatDuration(s.t1 - s.t0)}`;
    const sel = s.selection;
    stSel.textContent = sel ? `Selected: ${selectionLabel(sel)}` : '';
  };
  updateStatus();

  const overview = new Overview(overviewBox);
  store.on((ch, s) => {
    if (ch.has('theme')) {
      applyTheme(s.theme);
    }
    if (ch.has('tab')) bottom.update();
    if (ch.has('top')) top.update();
    if (ch.has('cursor') || ch.has('range') || ch.has('t0') || ch.has('t1') || ch.has('selection')) updateStatus();
  });

  installKeyNavigation();
  window.addEventListener('keydown', (e) => {
    if (typingInField() || e.ctrlKey || e.metaKey || e.altKey) {
      if (e.key === 'Escape') (document.activeElement as HTMLElement | null)?.blur();
      return;
    }
    if (e.key === 'z' || e.key === 'Z') zoomToSelection();
    else if (e.key === '0') showAll();
    else if (e.key === 'Escape') {
      store.set({ range: null, selection: null });
      help.classList.remove('show');
    } else if (e.key === '/') {
      e.preventDefault();
      header.querySelector<HTMLInputElement>('.search input')?.focus();
    } else if (e.key === '?') help.classList.toggle('show');
  });
  installLinks(story, f.links && !correlating);

  // Load the views' data (the visible ones first).
  const loads: Promise<unknown>[] = [overview.load(), marks.then(() => store.set({ marksLoaded: true }))];
  if (threads) loads.push(threads.load());
  if (resources) loads.push(resources.load());
  if (packets) {
    packets.onCount = (n) => setCount(bottomTabs[1]!.count, n);
    loads.push(packets.reload());
  }
  if (events) {
    events.onCount = (n) => setCount(bottomTabs[2]!.count, n);
    loads.push(events.reload());
  }
  loads.push(
    story.load(correlating).then(() => {
      setCount(bottomTabs[0]!.count, story.story?.steps.length ?? null);
      if (!correlating) refreshLinks(story, f.links);
    }),
  );
  if (flow) loads.push(flow.load());
  loads.push(sockets.load(correlating).then(() => setCount(bottomTabs[4]!.count, f.sockets && !correlating ? sockets.count : null)));
  // The correlation runs on in the server's worker: show its progress, then reload the
  // views it feeds (story, sockets, flow steps, process column, links).
  if (correlating) {
    const bar = h('i');
    const label = h('span', null, 'Correlating packets with kernel events…');
    const box = h('span.progress', null, label, h('span.bar', null, bar));
    statusbar.insertBefore(box, statusbar.querySelector('.grow'));
    const es = new EventSource('/api/progress');
    const finish = async () => {
      es.close();
      box.remove();
      refreshLinks(story, f.links);
      await Promise.allSettled([story.load().then(() => setCount(bottomTabs[0]!.count, story.story?.steps.length ?? null)), sockets.load().then(() => setCount(bottomTabs[4]!.count, sockets.count)), flow?.load(), packets?.reload(), threads?.load()]);
      packets?.refreshDetail();
    };
    es.onmessage = (m) => {
      const s = JSON.parse(m.data as string) as ProgressSnapshot;
      const t = s.tasks.find((x) => x.id === 'correlation');
      if (!t) return;
      label.textContent = t.label;
      bar.style.width = t.state === 'done' ? '100%' : '';
      bar.classList.toggle('indeterminate', t.state === 'running');
      if (t.state === 'done' || t.state === 'failed') void finish();
    };
    es.onerror = () => {
      es.close();
      // Fall back to polling.
      const poll = async () => {
        const s = await getJson<ProgressSnapshot>('/api/status').catch(() => null);
        const t = s?.tasks.find((x) => x.id === 'correlation');
        if (t && (t.state === 'done' || t.state === 'failed')) void finish();
        else setTimeout(() => void poll(), 1000);
      };
      void poll();
    };
  }
  // A view that cannot load says so on the console (the tests fail on console errors).
  for (const r of await Promise.allSettled(loads)) if (r.status === 'rejected') console.error('tracewire: a view failed to load:', r.reason);
  // A link with a selection but no view range: show the selection.
  const s = store.get();
  if (fromUrl.t0 === undefined && s.selection?.kind === 'step') {
    const st = story.step(s.selection.n);
    if (st) zoomTo(st.t, st.t1 ?? st.t);
  }
  perfRecorder().ready = true;
  document.body.dataset.ready = 'true';
}

boot().catch((err: Error) => {
  clear(app);
  app.append(h('div.boot', null, h('b', null, 'tracewire could not start: '), err.message));
  console.error(err);
});
