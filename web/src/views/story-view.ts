/**
 * The Story: the connection's life as numbered steps (the seed's list, written by the
 * story engine with times, fds, addresses and frame numbers). Clicking a step zooms the
 * timelines to it and highlights its events, packets and thread.
 */
import { getJson, type StoryReply, type StoryStep } from '../api.js';
import { store } from '../state.js';
import { clear, h } from '../ui/dom.js';
import { formatDuration, formatRel } from '../time.js';

export class StoryView {
  readonly el: HTMLDivElement;
  story: StoryReply | null = null;

  constructor(private readonly available: boolean, private readonly notes: string[]) {
    this.el = h('div.story');
    store.on((ch, s) => {
      if (ch.has('selection')) this.markSelected(s.selection?.kind === 'step' ? s.selection.n : null);
      if (ch.has('conn')) void this.load();
    });
  }

  async load(pending = false): Promise<void> {
    clear(this.el);
    if (pending) {
      this.el.append(h('div.empty-note', null, 'Correlating packets with kernel events… the story appears here when it is done (see the status bar).'));
      return;
    }
    if (!this.available) {
      this.el.append(h('div.empty-note', null, 'No story for these inputs.', ...this.notes.map((n) => h('div', null, n))));
      return;
    }
    this.el.append(h('div.meta', null, 'Writing the story…'));
    try {
      this.story = await getJson<StoryReply>('/api/story', { conn: store.get().conn ?? undefined });
    } catch (err) {
      clear(this.el);
      this.el.append(h('div.empty-note', null, (err as Error).message));
      return;
    }
    this.render();
  }

  step(n: number): StoryStep | undefined {
    return this.story?.steps.find((s) => s.n === n);
  }

  private render(): void {
    const st = this.story!;
    clear(this.el);
    const first = st.steps[0]?.t ?? 0;
    const conns = st.others.length
      ? h(
          'select',
          { 'aria-label': 'connection', onchange: (e: Event) => store.set({ conn: (e.target as HTMLSelectElement).value || null }) },
          h('option', { value: '' }, st.connection ?? 'the most interesting connection'),
          ...st.others.map((o) => h('option', { value: o.key, selected: store.get().conn === o.key }, o.label)),
        )
      : null;
    this.el.append(
      h('h2', null, st.title),
      h('div.meta', null, `${st.steps.length} steps · times relative to step 1 · click a step to zoom the timelines to it`, conns ? ' · connection: ' : '', conns),
      h(
        'ol',
        null,
        ...st.steps.map((s) =>
          h(
            'li',
            { dataset: { n: String(s.n) }, onclick: () => store.set({ selection: { kind: 'step', n: s.n } }), title: `t = ${formatRel(s.t)} s` },
            h('span.n', null, `${s.n}.`),
            h('span.t', null, `+${formatDuration(s.t - first)}`),
            h(
              'span.txt',
              null,
              h('b', null, s.title),
              s.text ? ` — ${s.text}` : '',
              s.latency ? h('span.cite', null, s.latency) : '',
              s.frames?.length || s.events?.length ? h('span.cite', null, [s.frames?.length ? `frames ${s.frames.map((f) => `#${f}`).join(', ')}` : '', s.events?.length ? `${s.events.length} kernel events` : '', s.seedItem ? `seed step ${s.seedItem}` : ''].filter(Boolean).join(' · ')) : '',
            ),
          ),
        ),
      ),
    );
    if (st.notes.length) this.el.append(h('div.notes', null, h('b', null, 'What the trace cannot show'), ...st.notes.map((n) => h('div', null, n))));
    const sel = store.get().selection;
    this.markSelected(sel?.kind === 'step' ? sel.n : null);
  }

  private markSelected(n: number | null): void {
    for (const li of this.el.querySelectorAll<HTMLLIElement>('li')) {
      const on = n !== null && li.dataset.n === String(n);
      li.classList.toggle('selected', on);
      if (on) li.scrollIntoView({ block: 'nearest' });
    }
  }
}
