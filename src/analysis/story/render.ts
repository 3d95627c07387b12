/**
 * A story as text (terminal), Markdown (reports, issues) or JSON (the UI, scripts).
 * Every step shows its number, time relative to step 1 in µs, what happened, and the
 * evidence: kernel events (time of day, name, CPU) and frame numbers.
 */
import { toJson } from '../../base/json.js';
import { formatTimeOfDay } from '../../base/time.js';
import type { EventRef, Story, StoryStep } from './types.js';

/** `+218112.437 µs` */
export function relText(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  return `${neg ? '-' : '+'}${a / 1000n}.${(a % 1000n).toString().padStart(3, '0')} µs`;
}

function latencyText(ns: bigint): string {
  const v = Number(ns);
  if (Math.abs(v) < 1e6) return `${(v / 1e3).toFixed(3)} µs`;
  if (Math.abs(v) < 1e9) return `${(v / 1e6).toFixed(3)} ms`;
  return `${(v / 1e9).toFixed(3)} s`;
}

function eventText(e: EventRef): string {
  return `${formatTimeOfDay(e.ts)} ${e.name}${e.cpu !== null ? ` cpu${e.cpu}` : ''}`;
}

const LATENCY_NAMES: Record<string, string> = {
  handshake_ns: 'SYN → handshake complete',
  syn_to_accept_ns: 'SYN → accept return',
  send_to_wire_ns: 'send syscall → on the wire',
  wire_to_recv_ns: 'on the wire → read syscall return',
};

function header(story: Story): string[] {
  const lines: string[] = [];
  const c = story.connection;
  lines.push(c ? `Story of ${c.summary}` : 'Story: no connection found');
  if (story.subject) {
    const s = story.subject;
    lines.push(`Following ${s.comm ?? 'process'} (pid ${s.pid}${s.exe ? `, ${s.exe}` : ''}${s.tids.length > 1 ? `, threads ${s.tids.join(' ')}` : ''}).`);
  }
  const src = [story.source.kernel ? 'kernel trace' : null, story.source.capture ? 'capture' : null].filter(Boolean).join(' + ') || 'nothing';
  lines.push(`From ${story.source.paths.join(', ')} (${src}).${story.source.originTs !== null ? ` Times are relative to step 1 (${formatTimeOfDay(story.source.originTs)} UTC).` : ''}`);
  return lines;
}

function wrap(text: string, width: number, indent: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out;
}

function stepWho(s: StoryStep): string {
  const parts = [s.tid !== undefined ? `tid ${s.tid}` : '', s.cpu !== undefined ? `CPU ${s.cpu}` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Plain text for a terminal. */
export function renderText(story: Story): string {
  const lines = header(story);
  lines.push('');
  const width = String(story.steps.length).length;
  for (const s of story.steps) {
    const seed = s.seedItem !== undefined ? ` [seed ${s.seedItem}]` : '';
    lines.push(`${String(s.n).padStart(width)}. ${relText(s.relNs)}  ${s.title}${stepWho(s)}${seed}`);
    const indent = ' '.repeat(width + 4);
    lines.push(...wrap(s.text, 100, indent));
    if (s.latencyNs !== undefined) lines.push(`${indent}latency: ${s.latencyLabel ?? ''} = ${latencyText(s.latencyNs)}`);
    if (s.frames.length) lines.push(`${indent}frames: ${s.frames.map((n) => `#${n}`).join(' ')}`);
    if (s.events.length) lines.push(`${indent}events: ${s.events.map(eventText).join(' · ')}`);
  }
  const lat = Object.entries(story.latencies);
  if (lat.length) {
    lines.push('', 'Latencies:');
    for (const [k, v] of lat) lines.push(`  ${LATENCY_NAMES[k] ?? k}: ${latencyText(v)}`);
  }
  if (story.otherConnections.length) {
    lines.push('', `Other connections (${story.otherConnections.length}; choose with --conn, --port or --pid):`);
    const listed = sameSummariesCounted(story.otherConnections);
    for (const [summary, n] of listed.slice(0, 20)) lines.push(`  ${summary}${n > 1 ? ` (×${n})` : ''}`);
    if (listed.length > 20) lines.push(`  … and ${listed.slice(20).reduce((k, [, n]) => k + n, 0)} more`);
  }
  if (story.limitations.length) {
    lines.push('', 'What this dataset cannot show:');
    for (const l of story.limitations) lines.push(...wrap(l, 100, '  - ').map((x, i) => (i === 0 ? x : `    ${x.slice(4)}`)));
  }
  return `${lines.join('\n')}\n`;
}

/** Connections that read alike (a program's several unix sockets) as one line with a count, in order. */
function sameSummariesCounted(conns: ReadonlyArray<{ readonly summary: string }>): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const c of conns) counts.set(c.summary, (counts.get(c.summary) ?? 0) + 1);
  return [...counts];
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

/** Markdown: a heading, a numbered list with the evidence under each step, then notes. */
export function renderMarkdown(story: Story): string {
  const h = header(story);
  const lines = [`# ${mdEscape(h[0]!)}`, '', ...h.slice(1).map(mdEscape), ''];
  for (const s of story.steps) {
    const seed = s.seedItem !== undefined ? ` _(seed ${s.seedItem})_` : '';
    lines.push(`${s.n}. **${relText(s.relNs)}** — \`${s.kind}\` **${mdEscape(s.title)}**${mdEscape(stepWho(s))}${seed}  `);
    lines.push(`   ${mdEscape(s.text)}`);
    if (s.latencyNs !== undefined) lines.push(`   - latency: ${mdEscape(s.latencyLabel ?? '')} = **${latencyText(s.latencyNs)}**`);
    if (s.frames.length) lines.push(`   - frames: ${s.frames.map((n) => `#${n}`).join(', ')}`);
    if (s.events.length) lines.push(`   - events: ${s.events.map((e) => `\`${eventText(e)}\``).join(', ')}`);
  }
  const lat = Object.entries(story.latencies);
  if (lat.length) {
    lines.push('', '## Latencies', '', '| measure | value |', '|---|---|');
    for (const [k, v] of lat) lines.push(`| ${LATENCY_NAMES[k] ?? k} | ${latencyText(v)} |`);
  }
  if (story.otherConnections.length) {
    lines.push('', '## Other connections', '');
    for (const [summary, n] of sameSummariesCounted(story.otherConnections).slice(0, 50)) lines.push(`- ${mdEscape(summary)}${n > 1 ? ` (×${n})` : ''}`);
  }
  if (story.limitations.length) {
    lines.push('', '## What this dataset cannot show', '');
    for (const l of story.limitations) lines.push(`- ${mdEscape(l)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The story as a plain JSON-able object (bigints as numbers, or strings beyond 2^53). */
export function storyJson(story: Story): unknown {
  return JSON.parse(toJson(story));
}

/** JSON text (one document, indented). */
export function renderJson(story: Story): string {
  return `${toJson(story, 2)}\n`;
}
