/** One tooltip element for the whole page, positioned next to the pointer. */
import { h } from './dom.js';

let el: HTMLDivElement | null = null;

function ensure(): HTMLDivElement {
  if (!el) {
    el = h('div.tooltip', { role: 'tooltip' });
    document.body.append(el);
  }
  return el;
}

/** Shows `content` (lines; a line starting with `**` is bold) near (x, y). */
export function showTooltip(x: number, y: number, lines: string[]): void {
  const t = ensure();
  t.replaceChildren(
    ...lines.flatMap((line, i) => {
      const node = line.startsWith('**') ? h('b', null, line.slice(2)) : line.startsWith('`') ? h('span.mono', null, line.slice(1)) : document.createTextNode(line);
      return i ? [document.createElement('br'), node] : [node];
    }),
  );
  t.style.display = 'block';
  const r = t.getBoundingClientRect();
  const left = x + 14 + r.width > window.innerWidth ? x - r.width - 10 : x + 14;
  const top = y + 16 + r.height > window.innerHeight ? y - r.height - 8 : y + 16;
  t.style.left = `${Math.max(0, left)}px`;
  t.style.top = `${Math.max(0, top)}px`;
}

export function hideTooltip(): void {
  if (el) el.style.display = 'none';
}
