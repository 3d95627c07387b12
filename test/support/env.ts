/**
 * What tests need to know about the machine: where the shared test data and reference
 * tools are, whether we are root with tracefs and network namespaces, and how to run the
 * built CLI. Tests that need root or tracefs skip with a stated reason for an
 * unprivileged user; under CI=true the test runner turns any skip into a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TCP_LISTEN } from '../../src/analysis/fds/tcp-states.js';
import { parseInetTable } from '../../src/record/statedump.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const outputDir = join(repoRoot, 'test-output');

/** The shared data directory (traces, captures, oracles): $TRACEWIRE_SHARED or ../shared. */
export const sharedDir: string = (() => {
  const candidates = [process.env.TRACEWIRE_SHARED, join(repoRoot, '..', 'shared'), '/work/shared'];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? join(repoRoot, '..', 'shared');
})();
export const sharedTraces = join(sharedDir, 'traces');
export const sharedCaptures = join(sharedDir, 'captures');
export const ctfOracle = join(sharedDir, 'tools', 'ctf-oracle');
export const pcapOracle = join(sharedDir, 'tools', 'pcap-oracle');

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export const isRoot = process.getuid?.() === 0;
export const tracefsDir = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((d) => existsSync(join(d, 'instances'))) ?? null;

/** A reason to skip a test that needs root and tracefs, or undefined when both are here. */
export function needsRootTracefs(): string | undefined {
  if (!isRoot) return 'needs root (kernel tracing and network namespaces)';
  if (!tracefsDir) return 'needs tracefs mounted at /sys/kernel/tracing';
  return undefined;
}

/** A reason to skip when a reference tool is missing (`.ci/run` installs them all). */
export function needsCommands(...cmds: string[]): string | undefined {
  const missing = cmds.filter((c) => !hasCommand(c));
  return missing.length ? `needs ${missing.join(', ')} (installed by .ci/run)` : undefined;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`bin/tracewire.js`) with `args`; resolves when it exits. */
export function runCli(args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return runCommand(process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), ...args], opts);
}

/** Runs any program; collects stdout/stderr as text; kills it after `timeoutMs` (default 120 s). */
export function runCommand(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? repoRoot, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Waits (bounded) until something listens on TCP `port` — read from /proc/net/tcp and
 * tcp6 with the recorder's own table parser, not by connecting, so no connection is made.
 * A fixed sleep after starting a listener is too short on a loaded machine.
 */
export async function waitForListening(port: number, timeoutMs = 10_000): Promise<void> {
  const listening = (family: 4 | 6): boolean => {
    try {
      return parseInetTable(readFileSync(family === 4 ? '/proc/net/tcp' : '/proc/net/tcp6', 'utf8'), 'tcp', family).some((s) => s.localPort === port && s.state === TCP_LISTEN);
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (!listening(4) && !listening(6)) {
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
