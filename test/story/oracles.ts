/**
 * The real tools' view of a bundle, for checking the correlation and the story against:
 * tshark's frames (number, flags, lengths, addresses, interface) and babeltrace2's events
 * (timestamp, name, CPU) — a cited event must exist in babeltrace2's output.
 */
import { runCommand } from '../support/env.js';
import { formatSeconds } from '../../src/base/time.js';
import type { EventRef } from '../../src/analysis/correlate/types.js';

export interface TsharkFrame {
  number: number;
  iface: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: string;
  len: number;
  seq: number;
  ack: number;
  comment: string;
}

/** tshark's fields for every TCP frame of `file`. */
export async function tsharkTcpFrames(file: string): Promise<TsharkFrame[]> {
  const fields = ['frame.number', 'frame.interface_id', 'ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.flags.str', 'tcp.len', 'tcp.seq', 'tcp.ack', 'frame.comment'];
  const r = await runCommand('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const c = l.split('\t');
      return {
        number: Number(c[0]),
        iface: Number(c[1]),
        src: c[2]!,
        dst: c[3]!,
        sport: Number(c[4]),
        dport: Number(c[5]),
        flags: c[6]!,
        len: Number(c[7]),
        seq: Number(c[8]),
        ack: Number(c[9]),
        comment: c[10] ?? '',
      };
    });
}

/** Short tshark flag text (`··········S·` → `SYN`, `·······A·R··` → `RST,ACK`…). */
export function flagNames(tsharkFlags: string): string[] {
  const order: Array<[number, string]> = [
    [11, 'FIN'],
    [10, 'SYN'],
    [9, 'RST'],
    [8, 'PSH'],
    [7, 'ACK'],
  ];
  return order.filter(([i]) => tsharkFlags[i] !== '·' && tsharkFlags[i] !== undefined).map(([, n]) => n);
}

/** The (time, name, cpu) keys of every event babeltrace2 prints for `traceDir`. */
export async function babeltraceEventKeys(traceDir: string): Promise<Set<string>> {
  const r = await runCommand('babeltrace2', ['--clock-seconds', traceDir], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`babeltrace2 failed: ${r.stderr.slice(0, 500)}`);
  const keys = new Set<string>();
  const re = /^\[(\d+\.\d{9})\] \([^)]*\) \S+ (\w+): \{ cpu_id = (\d+) \}/;
  for (const line of r.stdout.split('\n')) {
    const m = re.exec(line);
    if (m) keys.add(`${m[1]}|${m[2]}|${m[3]}`);
  }
  return keys;
}

export function eventKeyForOracle(e: EventRef): string {
  return `${formatSeconds(e.ts)}|${e.name}|${e.cpu}`;
}
