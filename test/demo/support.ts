/**
 * Helpers for the demo tests: parse the story `tracewire demo` prints, read the capture
 * with the pcap oracle (tshark), and check that a run left nothing behind — its network
 * namespaces, its tracefs instance, its processes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pcapOracle, runCommand, tracefsDir } from '../support/env.js';

export interface StoryStepText {
  readonly n: number;
  /** The step's title line (after the relative time). */
  readonly title: string;
  /** Title and explanation lines, joined. */
  readonly text: string;
  /** Frame numbers cited on the step's `frames:` line. */
  readonly frames: number[];
}

/** Splits the text story into numbered steps. */
export function parseStorySteps(story: string): StoryStepText[] {
  const steps: Array<{ n: number; title: string; lines: string[] }> = [];
  let inSteps = true;
  for (const line of story.split('\n')) {
    const m = /^\s*(\d+)\. \+[\d.]+ µs {2}(.*)$/.exec(line);
    if (m) {
      steps.push({ n: Number(m[1]), title: m[2]!, lines: [m[2]!] });
      inSteps = true;
    } else if (/^\S/.test(line)) {
      inSteps = false;
    } else if (inSteps && steps.length && line.trim()) {
      steps.at(-1)!.lines.push(line.trim());
    }
  }
  return steps.map((s) => {
    const framesLine = s.lines.find((l) => l.startsWith('frames:')) ?? '';
    return { n: s.n, title: s.title, text: s.lines.join(' '), frames: [...framesLine.matchAll(/#(\d+)/g)].map((x) => Number(x[1])) };
  });
}

/** The first step whose title matches `re`, or a failure listing the titles. */
export function stepMatching(steps: readonly StoryStepText[], re: RegExp): StoryStepText {
  const s = steps.find((x) => re.test(x.title));
  if (!s) throw new Error(`no story step matches ${re}; steps:\n${steps.map((x) => `  ${x.n}. ${x.title}`).join('\n')}`);
  return s;
}

export interface OracleFrame {
  readonly frame: number;
  readonly src: string | null;
  readonly dst: string | null;
  readonly sport: number | null;
  readonly dport: number | null;
  readonly tcp: { readonly flags: number; readonly seq: number; readonly ack: number | null; readonly payload: number } | null;
}

/** Frames of a capture as tshark dissects them (shared/tools/pcap-oracle). */
export async function oracleFrames(capture: string): Promise<OracleFrame[]> {
  const r = await runCommand(pcapOracle, [capture]);
  if (r.code !== 0) throw new Error(`pcap-oracle failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OracleFrame);
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Network namespaces whose name starts with `prefix`. */
export function namespacesWithPrefix(prefix: string): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
}

/** Tracefs instances a recorder with PID `pid` created (`tracewire-<pid>-…`). */
export function instancesOf(pid: number): string[] {
  if (!tracefsDir) return [];
  return readdirSync(join(tracefsDir, 'instances')).filter((n) => n.startsWith(`tracewire-${pid}-`));
}

/** True while process `pid` exists (and is not a zombie). */
export function alive(pid: number): boolean {
  const r = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' && !r.stdout.trim().startsWith('Z');
}

/** PIDs the demo reported for its ncat processes (`… (pid N)` progress lines). */
export function reportedPids(stderr: string): number[] {
  return [...stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

/** The `tw-demo-<pid>-<tag>` prefix the demo reported for its namespaces. */
export function reportedLabTag(stderr: string): string | null {
  const m = /namespace (tw-demo-\d+-[0-9a-f]+)-srv/.exec(stderr);
  return m ? m[1]! : null;
}
