/** Colours for the canvases, read from the CSS variables of the current theme. */

/** State codes: the kernel model's (src/analysis/kernel/states.ts), sent as is by the server. */
export const STATE = {
  UNKNOWN: 0,
  USER: 1,
  SYSCALL: 2,
  KERNEL: 3,
  IRQ: 4,
  SOFTIRQ: 5,
  WAIT_CPU: 6,
  BLOCKED: 7,
  IDLE: 8,
  SOFTIRQ_RAISED: 9,
} as const;

export const STATE_NAMES = ['unknown', 'user mode', 'syscall', 'kernel thread', 'IRQ', 'softirq', 'waiting for CPU', 'blocked', 'idle', 'softirq raised'];
/** CSS variable of each state's colour. */
export const STATE_VARS = ['--st-unknown', '--st-user', '--st-syscall', '--st-kernel', '--st-irq', '--st-softirq', '--st-waitcpu', '--st-blocked', '--st-idle', '--st-raised'];

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
    states: STATE_VARS.map(v),
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
