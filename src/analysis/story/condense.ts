/**
 * Keeps a story readable when a connection moves a lot of data: a long run of routine
 * steps (segments arriving, the kernel's ACKs, reads, the waits and wakeups between them)
 * is told by its first step of each kind and one summary step with the counts, bytes and
 * frame range. Anything unusual — a retransmission, a duplicate ACK, a lost segment, a
 * zero window, a state change, FIN/RST — interrupts the run and is told in full.
 */
import type { DatasetFrame } from '../../bundle/types.js';
import type { EventRef } from '../correlate/types.js';
import type { SyscallRecord } from '../correlate/syscall-log.js';
import type { StoryStepKind } from './types.js';

/** A step before numbering (built by builder.ts). */
export interface Item {
  ts: bigint;
  order: number;
  kind: StoryStepKind;
  title: string;
  text: string;
  tid?: number;
  cpu?: number;
  events: EventRef[];
  frames: number[];
  latencyNs?: bigint;
  latencyLabel?: string;
  /** What the step is (`call:sendto`, `data-in`, `wakeup:pselect6:data`…), for condensing and the seed mapping. */
  tag?: string;
  /** An unusual step that must stay on its own. */
  special?: boolean;
  syscall?: SyscallRecord;
  frame?: DatasetFrame;
}

const ROUTINE = /^(data-in|data-out|ack-in|ack-out|call:(read|recvfrom|recv|recvmsg|readv|write|sendto|send|sendmsg|writev)|block:[a-z0-9_]+|return:[a-z0-9_]+|wakeup:[a-z0-9_]+:(data|ack|packet|thread|unknown))$/;
/** Runs shorter than this are told in full. */
const MIN_RUN = 12;

function isRoutine(it: Item): boolean {
  return !it.special && it.tag !== undefined && ROUTINE.test(it.tag);
}

/** Replaces long routine runs in time-sorted `items` by their first steps and a summary. */
export function condense(items: readonly Item[]): Item[] {
  const out: Item[] = [];
  let run: Item[] = [];
  const flush = () => {
    if (run.length < MIN_RUN) out.push(...run);
    else out.push(...summarize(run));
    run = [];
  };
  for (const it of items) {
    if (isRoutine(it)) run.push(it);
    else {
      flush();
      out.push(it);
    }
  }
  flush();
  return out;
}

function summarize(run: readonly Item[]): Item[] {
  const seen = new Set<string>();
  const kept: Item[] = [];
  const rest: Item[] = [];
  for (const it of run) {
    const kind = it.tag!.replace(/:.*$/, '') + (it.tag!.startsWith('call:') ? it.tag : '');
    if (!seen.has(kind)) {
      seen.add(kind);
      kept.push(it);
    } else rest.push(it);
  }
  if (!rest.length) return kept;
  const count = (re: RegExp) => rest.filter((i) => re.test(i.tag!)).length;
  const bytes = (tag: string) => rest.filter((i) => i.tag === tag).reduce((n, i) => n + Math.max(i.frame?.tcp?.payload ?? 0, 0), 0);
  const frames = rest.flatMap((i) => i.frames);
  const nums = frames.length ? [Math.min(...frames), Math.max(...frames)] : null;
  const parts: string[] = [];
  const dataIn = count(/^data-in$/);
  const dataOut = count(/^data-out$/);
  if (dataIn) parts.push(`${dataIn} more segments arrive (${bytes('data-in')} bytes)`);
  if (dataOut) parts.push(`${dataOut} more segments leave (${bytes('data-out')} bytes)`);
  const acksOut = count(/^ack-out$/);
  const acksIn = count(/^ack-in$/);
  if (acksOut) parts.push(`the kernel sends ${acksOut} ACKs on its own`);
  if (acksIn) parts.push(`${acksIn} ACKs from the peer are handled without waking the process`);
  const calls = new Map<string, number>();
  for (const i of rest) if (i.tag!.startsWith('call:') || i.tag!.startsWith('return:')) calls.set(i.tag!.split(':')[1]!, (calls.get(i.tag!.split(':')[1]!) ?? 0) + 1);
  if (calls.size) parts.push(`system calls: ${[...calls].map(([n, c]) => `${n} ×${c}`).join(', ')}`);
  const blocks = count(/^block:/);
  const wakeups = count(/^wakeup:/);
  if (blocks || wakeups) parts.push(`${blocks} waits, ${wakeups} wakeups`);
  const lat = rest.filter((i) => i.latencyNs !== undefined && /^call:(read|recv)/.test(i.tag!)).map((i) => i.latencyNs!).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = lat.length ? lat[lat.length >> 1]! : null;
  const first = rest[0]!;
  const last = rest[rest.length - 1]!;
  const summary: Item = {
    ts: first.ts,
    order: first.order,
    kind: 'data',
    title: `… the same again: ${rest.length} more routine steps${nums ? ` (frames #${nums[0]}–#${nums[1]})` : ''}`,
    text: `${parts.join('; ')}.${median !== null ? ` Median on the wire → read return: ${(Number(median) / 1000).toFixed(1)} µs.` : ''} Lasting ${(Number(last.ts - first.ts) / 1e6).toFixed(3)} ms.`,
    events: [...first.events.slice(0, 1), ...last.events.slice(-1)],
    frames: nums ? [nums[0]!, nums[1]!] : [],
    tag: 'summary',
  };
  if (first.tid !== undefined) summary.tid = first.tid;
  // Keep the first steps in place; the summary stands where the repetition starts.
  const firstRestIndex = run.indexOf(first);
  const before = kept.filter((k) => run.indexOf(k) < firstRestIndex);
  const after = kept.filter((k) => run.indexOf(k) > firstRestIndex);
  return [...before, summary, ...after];
}
