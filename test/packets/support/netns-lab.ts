/**
 * A lab for the packet tests: namespaces `<tag>a` (client) and `<tag>b` (server) joined
 * by a veth pair — or, with `router`, through a third namespace `<tag>r` that forwards
 * between two links (so a drop there is a loss on the wire that a capture at the server
 * cannot see) — with private IPv4 (10.77.N.x, 10.78.N.x) and IPv6 (fd77/fd78) addresses. Tests capture there with tcpdump or dumpcap and drive
 * traffic with workload.mjs. Every process is tracked by PID and killed, and both
 * namespaces deleted, by `destroy()` — also when a test fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const workloadScript = join(here, 'workload.mjs');

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

let labCounter = 0;

export class NetnsLab {
  readonly client: string;
  readonly server: string;
  readonly clientIf: string;
  readonly serverIf: string;
  readonly v4Client: string;
  readonly v4Server: string;
  readonly v6Client: string;
  readonly v6Server: string;
  /** The forwarding namespace, when created with `router`. */
  readonly router: string;
  private readonly procs = new Set<ChildProcess>();
  private readonly stderrTails = new WeakMap<ChildProcess, string>();
  private destroyed = false;

  private constructor(
    readonly tag: string,
    readonly subnet: number,
    routed: boolean,
  ) {
    this.client = `${tag}a`;
    this.server = `${tag}b`;
    this.router = `${tag}r`;
    this.clientIf = `${tag}x`;
    this.serverIf = `${tag}y`;
    const hex = subnet.toString(16);
    this.v4Client = `10.77.${subnet}.1`;
    this.v6Client = `fd77:0:0:${hex}::1`;
    this.v4Server = routed ? `10.78.${subnet}.2` : `10.77.${subnet}.2`;
    this.v6Server = routed ? `fd78:0:0:${hex}::2` : `fd77:0:0:${hex}::2`;
  }

  /**
   * Creates the namespaces and link. Names are `tw-pk<pid><n>` (unique per process and
   * lab); `segments` false keeps GSO so the stack sends up-to-64-KiB super-segments.
   */
  static create(options: { segments?: boolean; router?: boolean } = {}): NetnsLab {
    const n = labCounter++;
    const tag = `twpk${process.pid % 100000}${n}`;
    const routed = options.router === true;
    const lab = new NetnsLab(tag, ((process.pid * 7 + n) % 250) + 1, routed);
    const hex = lab.subnet.toString(16);
    const segments = options.segments !== false;
    const up = (ns: string, dev: string, v4: string, v6: string) => {
      run('ip', ['-n', ns, 'addr', 'add', v4, 'dev', dev]);
      run('ip', ['-n', ns, 'addr', 'add', v6, 'dev', dev, 'nodad']);
      if (segments) run('ip', ['-n', ns, 'link', 'set', 'dev', dev, 'gso_max_size', '1500', 'gso_max_segs', '1']);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    };
    try {
      run('ip', ['netns', 'add', lab.client]);
      run('ip', ['netns', 'add', lab.server]);
      for (const ns of [lab.client, lab.server]) run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      if (!routed) {
        run('ip', ['link', 'add', lab.clientIf, 'netns', lab.client, 'type', 'veth', 'peer', 'name', lab.serverIf, 'netns', lab.server]);
        up(lab.client, lab.clientIf, `${lab.v4Client}/24`, `${lab.v6Client}/64`);
        up(lab.server, lab.serverIf, `${lab.v4Server}/24`, `${lab.v6Server}/64`);
      } else {
        run('ip', ['netns', 'add', lab.router]);
        run('ip', ['link', 'add', lab.clientIf, 'netns', lab.client, 'type', 'veth', 'peer', 'name', `${tag}p`, 'netns', lab.router]);
        run('ip', ['link', 'add', lab.serverIf, 'netns', lab.server, 'type', 'veth', 'peer', 'name', `${tag}q`, 'netns', lab.router]);
        up(lab.client, lab.clientIf, `${lab.v4Client}/24`, `${lab.v6Client}/64`);
        up(lab.server, lab.serverIf, `${lab.v4Server}/24`, `${lab.v6Server}/64`);
        up(lab.router, `${tag}p`, `10.77.${lab.subnet}.254/24`, `fd77:0:0:${hex}::fe/64`);
        up(lab.router, `${tag}q`, `10.78.${lab.subnet}.254/24`, `fd78:0:0:${hex}::fe/64`);
        lab.sysctl(lab.router, 'net.ipv4.ip_forward', '1');
        lab.sysctl(lab.router, 'net.ipv6.conf.all.forwarding', '1');
        run('ip', ['-n', lab.client, 'route', 'add', 'default', 'via', `10.77.${lab.subnet}.254`]);
        run('ip', ['-n', lab.server, 'route', 'add', 'default', 'via', `10.78.${lab.subnet}.254`]);
        run('ip', ['-n', lab.client, '-6', 'route', 'add', 'default', 'via', `fd77:0:0:${hex}::fe`]);
        run('ip', ['-n', lab.server, '-6', 'route', 'add', 'default', 'via', `fd78:0:0:${hex}::fe`]);
      }
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Runs a command in a namespace and waits for it (throws on failure). */
  exec(ns: string, cmd: string, args: string[]): void {
    run('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /** Starts a command in a namespace; tracked so destroy() can kill it. */
  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => this.stderrTails.set(child, ((this.stderrTails.get(child) ?? '') + d.toString()).slice(-2000)));
    this.procs.add(child);
    child.on('exit', () => this.procs.delete(child));
    return child;
  }

  /** The last 2,000 characters `child` (started by spawn) wrote on stderr. */
  stderrOf(child: ChildProcess): string {
    return this.stderrTails.get(child) ?? '';
  }

  /** Starts a workload mode (see workload.mjs) in a namespace. */
  workload(ns: string, args: (string | number)[]): ChildProcess {
    return this.spawn(ns, process.execPath, [workloadScript, ...args.map(String)]);
  }

  /** Resolves when `child` prints `text` on stdout or stderr (rejects on exit or after 10 s). */
  waitFor(child: ChildProcess, text: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}" (${seen.trim()})`)), timeoutMs);
      const onData = (d: Buffer) => {
        seen += d.toString();
        if (seen.includes(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!seen.includes(text)) reject(new Error(`process exited (${code}) before "${text}": ${seen.trim()}`));
      });
    });
  }

  /** Resolves with the exit code (kills the process after `timeoutMs`). */
  waitExit(child: ChildProcess, timeoutMs = 30_000): Promise<number> {
    if (child.exitCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? (signal ? 128 : 1));
      });
    });
  }

  /**
   * Starts tcpdump in `ns` on `iface` (`any` for a Linux cooked capture) writing `file`;
   * resolves once it listens. Stop it with `stopCapture`.
   */
  async startTcpdump(ns: string, iface: string, file: string, extra: string[] = []): Promise<ChildProcess> {
    const child = this.spawn(ns, 'tcpdump', ['-i', iface, '-Z', 'root', '--immediate-mode', '-U', '-w', file, ...extra]);
    await this.waitFor(child, 'listening on');
    return child;
  }

  /** Starts dumpcap (pcapng output) in `ns`; resolves once it captures. */
  async startDumpcap(ns: string, iface: string, file: string, extra: string[] = []): Promise<ChildProcess> {
    const child = this.spawn(ns, 'dumpcap', ['-q', '-i', iface, '-w', file, ...extra]);
    await this.waitFor(child, 'File:');
    return child;
  }

  /** Stops a capture process cleanly (SIGINT) so it flushes its file. */
  async stopCapture(child: ChildProcess): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    await this.waitExit(child, 10_000);
  }

  /** Adds an nftables rule in `ns` dropping `percent`% of TCP packets at random on `hook`. */
  dropRandomly(ns: string, percent: number, hook: 'output' | 'input' | 'forward'): void {
    this.exec(ns, 'nft', ['add', 'table', 'inet', 'twpk']);
    this.exec(ns, 'nft', ['add', 'chain', 'inet', 'twpk', hook, `{ type filter hook ${hook} priority 0; }`]);
    this.exec(ns, 'nft', ['add', 'rule', 'inet', 'twpk', hook, 'meta', 'l4proto', 'tcp', 'numgen', 'random', 'mod', '100', '<', String(percent), 'drop']);
  }

  /** Writes a sysctl inside a namespace (e.g. a small receive buffer). */
  sysctl(ns: string, key: string, value: string): void {
    this.exec(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
  }

  /** Kills every process started here (by PID) and deletes the namespaces. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.procs) {
      if (p.pid !== undefined && p.exitCode === null) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    for (const ns of [this.client, this.server, this.router]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}
