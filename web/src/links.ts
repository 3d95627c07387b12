/**
 * What a selection points at elsewhere: a packet → the kernel events that handled it
 * and the thread it woke; an event → its thread; a story step → its time span, events,
 * packets and thread. The result goes to `linkedTids/linkedEvents/linkedPackets`, which
 * every view highlights.
 */
import { getJson, type EventRow, type PacketLinks } from './api.js';
import { reveal, zoomTo } from './nav.js';
import { store, type Selection } from './state.js';
import type { StoryView } from './views/story-view.js';
import { packetMarks } from './marks.js';

let generation = 0;
let ready = false;

/** Whether the server's correlation is done (links are asked for only then). */
export function linksReady(): boolean {
  return ready;
}

export function installLinks(story: StoryView, linksAvailable: boolean): void {
  ready = linksAvailable;
  store.on((ch, s) => {
    if (ch.has('selection')) void follow(s.selection, story, ready);
  });
}

/** Re-applies the links of the current selection (after the correlation finished, say). */
export function refreshLinks(story: StoryView, linksAvailable: boolean): void {
  ready = linksAvailable;
  void follow(store.get().selection, story, ready, false);
}

async function follow(sel: Selection | null, story: StoryView, linksAvailable: boolean, move = true): Promise<void> {
  const gen = ++generation;
  const none = { linkedTids: [] as number[], linkedEvents: [] as { i: number; t: number; tid: number; cpu: number; name: string }[], linkedPackets: [] as number[] };
  if (!sel) {
    store.set(none);
    return;
  }
  try {
    switch (sel.kind) {
      case 'packet': {
        const t = packetMarks()?.t[sel.id];
        if (move && t !== undefined) {
          store.set({ cursor: t });
          reveal(t);
        }
        if (!linksAvailable) return store.set(none);
        const l = await getJson<PacketLinks>(`/api/links/packet/${sel.id}`);
        if (gen !== generation) return;
        store.set({ linkedEvents: l.events, linkedTids: [...(l.tid !== undefined ? [l.tid] : []), ...l.wokenTids], linkedPackets: [] });
        return;
      }
      case 'event': {
        const d = await getJson<{ row: EventRow }>(`/api/events/${sel.i}`);
        if (gen !== generation) return;
        const r = d.row;
        if (move) store.set({ cursor: r.t });
        store.set({ linkedTids: r.tid >= 0 ? [r.tid] : [], linkedEvents: [{ i: r.i, t: r.t, tid: r.tid, cpu: r.cpu, name: r.name }], linkedPackets: [] });
        return;
      }
      case 'thread':
        store.set({ ...none, linkedTids: [sel.tid] });
        return;
      case 'step': {
        const step = story.step(sel.n);
        if (!step) return store.set(none);
        if (move) {
          zoomTo(step.t, step.t1 ?? step.t, step.t1 && step.t1 > step.t ? 0.15 : 0.5);
          store.set({ cursor: step.t });
        }
        store.set({
          linkedTids: step.tid !== undefined ? [step.tid] : [],
          linkedEvents: step.refs ?? [],
          linkedPackets: step.packetIds ?? [],
        });
        return;
      }
      default:
        store.set(none);
    }
  } catch {
    if (gen === generation) store.set(none);
  }
}
