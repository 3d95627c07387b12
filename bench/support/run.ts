/** What the benches share: timing one run of a command, and the machine's load. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface TimedRun {
  /** Wall-clock seconds of the run. */
  readonly seconds: number;
  /** Its standard output ('' unless kept). */
  readonly stdout: string;
}

/**
 * Runs `cmd args` once and times it. Standard output is discarded unless `keepStdout`
 * (discarding is what the peer tools' timings assume: no terminal, no pipe to drain).
 * A failing run calls `fail` with the command and the last lines of its stderr.
 */
export function timeCommand(cmd: string, args: readonly string[], fail: (msg: string) => never, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; keepStdout?: boolean } = {}): TimedRun {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', opts.keepStdout ? 'pipe' : 'ignore', 'pipe'], encoding: 'utf8', env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 1_800_000, maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.slice(0, 4).join(' ')} exited ${r.status}: ${String(r.stderr).trim().split('\n').slice(-2).join(' | ')}`);
  return { seconds, stdout: r.stdout ?? '' };
}

/** /proc/loadavg's three averages, or '?' where there is none. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}
