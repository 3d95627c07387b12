/**
 * The demo's network: two hosts — a server host and a client host — each a network
 * namespace of its own, joined by a veth pair (one `eth0` in each, like two machines on
 * one cable) with private addresses, 10.77.0.1/24 (server) and 10.77.0.2/24 (client).
 *
 * Namespace names are unique to the run (`tw-demo-<pid>-<random>-srv` / `-cli`), so
 * several demos and tests can run at once; the addresses can be the same in every run
 * because each pair of namespaces has its own network stack. Everything the lab creates
 * goes away with `destroy()` — the veth pair disappears with its namespaces — and
 * `destroy()` first kills, by PID, whatever still runs inside them (only our own
 * processes can be there: nobody else knows these namespaces).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PrivilegeError } from '../base/errors.js';

/** One host of the lab. */
export interface LabHost {
  /** Namespace name (under /run/netns). */
  readonly netns: string;
  /** Interface name inside the namespace. */
  readonly device: string;
  /** IPv4 address (without prefix length). */
  readonly address: string;
}

export interface LabOptions {
  /** Name prefix (default `tw-demo`); the pid and a random tag follow. */
  readonly prefix?: string;
  /** Server address (default 10.77.0.1); the client gets the next one. Always /24. */
  readonly serverAddress?: string;
}

/** Bounded time for every `ip` invocation. */
const IP_TIMEOUT_MS = 10_000;

/** Runs `ip ARGS`; returns stdout or throws with ip's own message (one line). */
function ip(args: readonly string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  if (r.error) throw new PrivilegeError(`cannot run ip (iproute2): ${r.error.message}`);
  if (r.status !== 0) throw new PrivilegeError(`ip ${args.join(' ')}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return r.stdout;
}

function nextAddress(addr: string): string {
  const parts = addr.split('.').map(Number);
  parts[3] = (parts[3]! % 254) + 1;
  return parts.join('.');
}

/** PIDs of the processes living in namespace `netns` (`ip netns pids`). */
export function netnsPids(netns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  if (r.status !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** True when a namespace named `netns` exists. */
export function netnsExists(netns: string): boolean {
  return existsSync(join('/run/netns', netns));
}

export class DemoLab {
  readonly server: LabHost;
  readonly client: LabHost;
  /** What `create()` managed to set up, so a partial lab is torn down exactly. */
  private readonly created: string[] = [];
  private destroyed = false;

  private constructor(tag: string, serverAddress: string) {
    this.server = { netns: `${tag}-srv`, device: 'eth0', address: serverAddress };
    this.client = { netns: `${tag}-cli`, device: 'eth0', address: nextAddress(serverAddress) };
  }

  /** The name prefix shared by both namespaces of this lab (`tw-demo-<pid>-<tag>`). */
  get tag(): string {
    return this.server.netns.replace(/-srv$/, '');
  }

  /**
   * Creates both hosts: namespaces, loopback up, the veth pair, addresses, IPv6 off (its
   * router and neighbour solicitations would only add noise to the capture) and permanent
   * neighbour entries, so the first frame on the wire is the SYN as in the seed's capture
   * rather than an ARP exchange. On failure whatever was created is removed and a
   * PrivilegeError with ip's message is thrown.
   */
  static create(options: LabOptions = {}): DemoLab {
    const tag = `${options.prefix ?? 'tw-demo'}-${process.pid}-${randomBytes(2).toString('hex')}`;
    const lab = new DemoLab(tag, options.serverAddress ?? '10.77.0.1');
    try {
      lab.build();
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  private build(): void {
    const hosts = [this.server, this.client];
    for (const h of hosts) {
      ip(['netns', 'add', h.netns]);
      this.created.push(h.netns);
    }
    // Created directly inside the namespaces: the names never meet the host's interfaces.
    ip(['link', 'add', this.server.device, 'netns', this.server.netns, 'type', 'veth', 'peer', 'name', this.client.device, 'netns', this.client.netns]);
    for (const h of hosts) {
      ip(['-n', h.netns, 'link', 'set', 'lo', 'up']);
      ip(['netns', 'exec', h.netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      ip(['-n', h.netns, 'addr', 'add', `${h.address}/24`, 'dev', h.device]);
      ip(['-n', h.netns, 'link', 'set', h.device, 'up']);
    }
    for (const [h, peer] of [[this.server, this.client], [this.client, this.server]] as const) {
      const mac = this.macOf(peer);
      ip(['-n', h.netns, 'neigh', 'replace', peer.address, 'lladdr', mac, 'dev', h.device, 'nud', 'permanent']);
    }
  }

  private macOf(h: LabHost): string {
    const out = ip(['-n', h.netns, '-o', 'link', 'show', h.device]);
    const m = /link\/ether ([0-9a-f:]{17})/.exec(out);
    if (!m) throw new PrivilegeError(`cannot read the MAC address of ${h.device} in ${h.netns}`);
    return m[1]!;
  }

  /** `ip netns exec NETNS ARGV...`: the argv to run a program on `host`. */
  execArgv(host: LabHost, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', host.netns, ...argv];
  }

  /**
   * Removes the lab: kills (SIGKILL, by PID) anything still running in its namespaces,
   * then deletes them (which removes the veth pair). Idempotent, synchronous and
   * bounded, so it can run from an exit handler. Returns the problems met (empty when
   * everything is gone).
   */
  destroy(): string[] {
    if (this.destroyed) return [];
    this.destroyed = true;
    const problems: string[] = [];
    for (const ns of this.created) {
      for (const pid of netnsPids(ns)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    for (const ns of this.created) {
      const r = spawnSync('ip', ['netns', 'del', ns], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
      if (r.status !== 0 && netnsExists(ns)) problems.push(`ip netns del ${ns}: ${(r.stderr ?? '').trim() || 'failed'}`);
    }
    return problems;
  }
}
