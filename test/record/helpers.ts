/**
 * Shared pieces of the recorder tests: running the real tools (babeltrace2, babeltrace,
 * ctf-oracle, tshark), a pair of network namespaces joined by a veth link with private
 * addresses, and reading bundles. Every name is unique to this process (`tw-rec-<pid>`),
 * and everything created is removed by the returned cleanup.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ctfOracle, outputDir, runCommand } from '../support/env.js';
import { readBundle, type BundleJson } from '../../src/record/bundle.js';

export const PREFIX = `tw-rec-${process.pid}`;

/** A fresh directory under test-output/ (removed by the caller when wanted). */
export function scratchDir(tag: string): string {
  const base = join(outputDir, 'record');
  execFileSync('mkdir', ['-p', base]);
  return mkdtempSync(join(base, `${tag}-`));
}

export interface Tool {
  code: number;
  stdout: string;
  stderr: string;
}

export async function babeltrace2(dir: string): Promise<Tool> {
  return runCommand('babeltrace2', [dir], { timeoutMs: 120_000 });
}

export async function babeltrace1(dir: string): Promise<Tool> {
  return runCommand('babeltrace', [dir], { timeoutMs: 120_000 });
}

/** ctf-oracle's records (JSON lines) of a trace. */
export async function oracleRecords(dir: string): Promise<{ code: number; stderr: string; records: Record<string, unknown>[] }> {
  const r = await runCommand(ctfOracle, [dir], { timeoutMs: 300_000 });
  const records = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.code, stderr: r.stderr, records };
}

export function bundleOf(dir: string): BundleJson {
  return readBundle(dir);
}

export interface NetnsPair {
  readonly a: string;
  readonly b: string;
  readonly addrA: string;
  readonly addrB: string;
  readonly vethA: string;
  readonly vethB: string;
  cleanup(): void;
}

/**
 * Two network namespaces joined by a veth pair: `a` has vethA = 10.77.<n>.1/24, `b` has
 * vethB = 10.77.<n>.2/24 (n derived from our pid), loopback up in both.
 */
export function makeNetnsPair(tag: string): NetnsPair {
  const n = (process.pid % 200) + 20;
  const a = `${PREFIX}-${tag}-a`;
  const b = `${PREFIX}-${tag}-b`;
  const vethA = `twa${process.pid % 100000}${tag.slice(0, 2)}`.slice(0, 15);
  const vethB = `twb${process.pid % 100000}${tag.slice(0, 2)}`.slice(0, 15);
  const addrA = `10.77.${n}.1`;
  const addrB = `10.77.${n}.2`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = () => {
    for (const ns of [a, b]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB);
    ip('link', 'set', vethA, 'netns', a);
    ip('link', 'set', vethB, 'netns', b);
    ip('-n', a, 'addr', 'add', `${addrA}/24`, 'dev', vethA);
    ip('-n', b, 'addr', 'add', `${addrB}/24`, 'dev', vethB);
    for (const [ns, dev] of [[a, vethA], [b, vethB]] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  return { a, b, addrA, addrB, vethA, vethB, cleanup };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Events of a given name from ctf-oracle records. */
export function eventsNamed(records: Record<string, unknown>[], name: string): Record<string, unknown>[] {
  return records.filter((r) => r.event === name);
}
