/**
 * Running our ncat and Debian's real ncat side by side on loopback: start either one,
 * feed and read it, wait for what it prints on stderr, pick free ports, and make sure
 * every process a test started is killed (by PID) when the test ends. Every wait is
 * bounded.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { repoRoot } from '../support/env.js';

export type NcatKind = 'ours' | 'real';
export const KINDS: readonly NcatKind[] = ['ours', 'real'];

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** One running ncat (ours or Debian's) with its output collected. */
export class NcatProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly kind: NcatKind;
  private readonly out: Buffer[] = [];
  private err = '';
  private readonly exited: Promise<Finished>;
  private stdoutEnded = false;
  private readonly stdoutEnd: Promise<void>;

  constructor(kind: NcatKind, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.kind = kind;
    const [cmd, argv] = kind === 'ours' ? [process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), 'ncat', ...args]] : ['ncat', [...args]];
    this.child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.child.stdout.on('data', (d: Buffer) => this.out.push(d));
    this.child.stderr.on('data', (d: Buffer) => (this.err += d.toString('utf8')));
    this.child.stdin.on('error', () => {});
    this.stdoutEnd = new Promise((resolve) => this.child.stdout.once('end', () => {
      this.stdoutEnded = true;
      resolve();
    }));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(this.out), stderr: this.err }));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stdout(): Buffer {
    return Buffer.concat(this.out);
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  write(data: string | Buffer): void {
    this.child.stdin.write(data);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  /** Resolves when stdout reached end-of-file (ncat closes it when the socket's read side ends). */
  async stdoutClosed(timeoutMs: number): Promise<void> {
    if (this.stdoutEnded) return;
    await withTimeout(this.stdoutEnd, timeoutMs, () => `${this.kind} ncat: stdout still open after ${timeoutMs} ms; stderr: ${this.err}`);
  }

  /** Waits until stdout holds at least `bytes` bytes. */
  async stdoutLength(bytes: number, timeoutMs: number): Promise<Buffer> {
    await pollUntil(() => this.out.reduce((n, b) => n + b.length, 0) >= bytes, timeoutMs, () => `${this.kind} ncat: stdout has ${this.stdout.length} of ${bytes} bytes; stderr: ${this.err}`);
    return this.stdout;
  }

  /** Waits until stderr matches `pattern`; fails early if the process exits first. */
  async stderrMatch(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | null = null;
    await pollUntil(() => (match = pattern.exec(this.err)) !== null || !this.running, timeoutMs, () => `${this.kind} ncat: no ${pattern} on stderr after ${timeoutMs} ms: ${this.err}`);
    if (!match) throw new Error(`${this.kind} ncat exited (${this.child.exitCode}) before printing ${pattern}: ${this.err}`);
    return match;
  }

  /** Waits for the exit; kills the process and fails if it takes longer than `timeoutMs`. */
  async finished(timeoutMs: number): Promise<Finished> {
    return withTimeout(this.exited, timeoutMs, () => {
      this.kill();
      return `${this.kind} ncat (${this.pid}) still running after ${timeoutMs} ms; stderr: ${this.err}`;
    });
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** Starts processes for one test and kills the ones still running when it ends. */
export class Procs {
  private readonly all: NcatProcess[] = [];

  constructor(t: TestContext) {
    t.after(() => this.killAll());
  }

  start(kind: NcatKind, args: readonly string[], env?: NodeJS.ProcessEnv): NcatProcess {
    const p = new NcatProcess(kind, args, env);
    this.all.push(p);
    return p;
  }

  killAll(): void {
    for (const p of this.all) p.kill();
  }

  /**
   * Starts a listening ncat (`args(port)` must include `-v` so it says when it listens)
   * on a free port, retrying with another port if one was taken meanwhile.
   */
  async listener(kind: NcatKind, args: (port: number) => string[], proto: 'tcp' | 'udp' = 'tcp', host = '127.0.0.1'): Promise<{ proc: NcatProcess; port: number }> {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort(proto, host);
      const proc = this.start(kind, args(port));
      try {
        await proc.stderrMatch(/Listening on .*\n/, 5000);
        return { proc, port };
      } catch (err) {
        proc.kill();
        if (attempt < 4 && /Address already in use/.test(proc.stderr)) continue;
        throw err;
      }
    }
  }
}

/** A port that was free on `host` a moment ago (the kernel's choice for port 0). */
export function freePort(proto: 'tcp' | 'udp', host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (proto === 'udp') {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      return;
    }
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until true; rejects with `describe()` after `timeoutMs`. */
export async function pollUntil(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(describe());
    await sleep(10);
  }
}

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(describe())), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A listening socket whose accept queue is full, so a further connect(2) to it gets no
 * answer: the kernel drops the SYN. That is how `-w` meets a real timeout on loopback.
 * Node accepts connections by itself, so a small Python helper holds the socket.
 */
export async function unansweredPort(t: TestContext, seconds: number): Promise<number> {
  const script = [
    'import socket, sys, time',
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    'port = s.getsockname()[1]; fill = []',
    'for i in range(3):',
    '    c = socket.socket(); c.setblocking(False)',
    "    try: c.connect(('127.0.0.1', port))",
    '    except BlockingIOError: pass',
    '    fill.append(c)',
    'time.sleep(0.3); print(port, flush=True); time.sleep(float(sys.argv[1]))',
  ].join('\n');
  const child = spawn('python3', ['-c', script, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await pollUntil(() => /\d+\n/.test(out), 5000, () => 'python3 helper printed no port');
  return Number(out.trim());
}
