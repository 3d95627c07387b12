/** Colours for the canvases, read from the CSS variables of the current theme. */

/** State codes shared with the server (src/server/kernel-adapter.ts). */
export const STATE = {
  UNKNOWN: 0,
  USER: 1,
  SYSCALL: 2,
  IRQ: 3,
  SOFTIRQ: 4,
  WAIT_CPU: 5,
  BLOCKED: 6,
  IDLE: 7,
  EXITED: 8,
  SOFTIRQ_RAISED: 9,
} as const;

export const STATE_NAMES = ['unknown', 'user mode', 'syscall', 'IRQ', 'softirq', 'waiting for CPU', 'blocked', 'idle', 'exited', 'softirq raised'];

export interface Palette {
  bg: string;
  bg2: string;
  bg3: string;
  fg: string;
  fg2: string;
  border: string;
  accent: string;
  accentBg: string;
  select: string;
  cursor: string;
  range: string;
  grid: string;
  highlight: string;
  arrow: string;
  states: string[];
  pkSyn: string;
  pkFin: string;
  pkRst: string;
  pkData: string;
  pkOther: string;
  mono: string;
  sans: string;
}

let cached: Palette | null = null;

export function palette(): Palette {
  if (cached) return cached;
  const cs = getComputedStyle(document.documentElement);
  const v = (n: string) => cs.getPropertyValue(n).trim();
  cached = {
    bg: v('--bg'),
    bg2: v('--bg2'),
    bg3: v('--bg3'),
    fg: v('--fg'),
    fg2: v('--fg2'),
    border: v('--border'),
    accent: v('--accent'),
    accentBg: v('--accent-bg'),
    select: v('--select'),
    cursor: v('--cursor'),
    range: v('--range'),
    grid: v('--grid'),
    highlight: v('--highlight'),
    arrow: v('--arrow'),
    states: [v('--st-unknown'), v('--st-user'), v('--st-syscall'), v('--st-irq'), v('--st-softirq'), v('--st-waitcpu'), v('--st-blocked'), v('--st-idle'), 'rgba(0,0,0,0)', v('--st-waitcpu')],
    pkSyn: v('--pk-syn'),
    pkFin: v('--pk-fin'),
    pkRst: v('--pk-rst'),
    pkData: v('--pk-data'),
    pkOther: v('--pk-other'),
    mono: v('--mono'),
    sans: v('--sans'),
  };
  return cached;
}

/** Applies a theme to the document and forgets cached colours. */
export function applyTheme(theme: 'light' | 'dark'): void {
  document.documentElement.dataset.theme = theme;
  cached = null;
  try {
    localStorage.setItem('tracewire.theme', theme);
  } catch {
    // storage blocked
  }
}

/** TCP flag bits as in the packet marks (FIN 1, SYN 2, RST 4, PSH 8, ACK 16). */
export function packetColour(p: Palette, flags: number): string {
  if (flags & 4) return p.pkRst;
  if (flags & 2) return p.pkSyn;
  if (flags & 1) return p.pkFin;
  if (flags & 8) return p.pkData;
  return p.pkOther;
}
