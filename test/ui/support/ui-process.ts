/**
 * Runs the real `tracewire ui` command as a child process and waits for the URL it
 * prints, so the browser tests go through the same CLI a user runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../support/env.js';

export interface UiProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** stderr so far (progress lines). */
  stderr(): string;
  /** Resolves when the server says its analyses are done. */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startUiProcess(paths: string[], extra: string[] = []): Promise<UiProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), 'ui', ...paths, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tracewire ui printed no URL: ${err}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tracewire ui exited with ${code}: ${err}`));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /tracewire ui: (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1]!;
      resolve({
        url,
        child,
        stderr: () => err,
        async ready(timeoutMs = 300_000) {
          const end = Date.now() + timeoutMs;
          for (;;) {
            const s = (await (await fetch(new URL('/api/status', url))).json()) as { ready: boolean; error: string | null };
            if (s.ready) {
              if (s.error) throw new Error(`analysis failed: ${s.error}`);
              return;
            }
            if (Date.now() > end) throw new Error('analyses did not finish in time');
            await new Promise((r) => setTimeout(r, 200));
          }
        },
        stop: () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null || child.signalCode !== null) return res();
            child.removeAllListeners('exit');
            child.once('exit', () => res());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}
