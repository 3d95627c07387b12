/**
 * The processes the demo starts, tracked by PID: each is spawned with pipes (so the demo
 * can "type" on its stdin and read what it prints), and `killAll()` sends SIGKILL to every
 * one still alive — never to anything else.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface TrackedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** The exit status (null when killed by a signal or still running). */
  exitCode(): number | null;
  /** Resolves when the process exits, or after `ms` (then it is killed with SIGKILL). */
  waitExit(ms: number): Promise<number | null>;
  /** Writes to stdin, ignoring a closed pipe. */
  write(text: string): void;
}

export class ProcessTracker {
  private readonly live = new Set<ChildProcess>();
  private readonly all: TrackedProcess[] = [];

  /** Spawns `argv` (in `env`, default ours) with stdin/stdout/stderr as pipes. Throws when it cannot start. */
  start(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TrackedProcess {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
    this.live.add(child);
    let out = '';
    let err = '';
    let done = false;
    const closed = new Promise<void>((resolve) => {
      child.once('exit', () => {
        done = true;
        this.live.delete(child);
        resolve();
      });
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin!.on('error', () => {});
    const pid = child.pid;
    const tracked: TrackedProcess = {
      child,
      pid,
      stdout: () => out,
      stderr: () => err,
      exited: () => done,
      exitCode: () => child.exitCode,
      write: (text) => {
        if (!done && child.stdin!.writable) child.stdin!.write(text);
      },
      waitExit: async (ms) => {
        if (!done) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
          clearTimeout(timer);
          if (!done) {
            killPid(pid);
            await Promise.race([closed, new Promise<void>((r) => setTimeout(r, 1000))]);
          }
        }
        return child.exitCode;
      },
    };
    this.all.push(tracked);
    return tracked;
  }

  /** PIDs of the processes still running. */
  livePids(): number[] {
    return [...this.live].map((c) => c.pid!).filter((p) => p !== undefined);
  }

  /** SIGKILL to every tracked process still running. Synchronous; safe to call twice. */
  killAll(): void {
    for (const c of this.live) if (c.pid !== undefined) killPid(c.pid);
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
