/**
 * The story tests' network: two namespaces (`tw-story-<pid>-<n>-srv` / `-cli`) joined by a
 * veth pair with private addresses 10.77.<subnet>.1 (server) and .2 (client), plus helpers
 * to record the seed conversation (or another workload) into a bundle with the recorder's
 * API. Everything is removed by `destroy()`, also when a test fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { outputDir } from '../support/env.js';
import { record, type RecordResult } from '../../src/record/index.js';

let labCounter = 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

export class StoryLab {
  readonly server: string;
  readonly client: string;
  readonly serverIf: string;
  readonly clientIf: string;
  readonly serverAddress: string;
  readonly clientAddress: string;
  private destroyed = false;

  private constructor(tag: string, subnet: number) {
    this.server = `${tag}-srv`;
    this.client = `${tag}-cli`;
    const short = tag.replace(/[^0-9]/g, '').slice(-7);
    this.serverIf = `tws${short}s`.slice(0, 15);
    this.clientIf = `tws${short}c`.slice(0, 15);
    this.serverAddress = `10.77.${subnet}.1`;
    this.clientAddress = `10.77.${subnet}.2`;
  }

  /**
   * Creates both namespaces, the veth pair and the addresses (loopback up in both).
   * `segments` keeps the veth from sending 64 KiB super-segments (GSO), so a bulk
   * transfer is many MSS-sized packets, as on a real link.
   */
  static create(options: { segments?: boolean } = {}): StoryLab {
    const n = labCounter++;
    const tag = `tw-story-${process.pid}-${n}`;
    const lab = new StoryLab(tag, ((process.pid * 3 + n * 17) % 200) + 30);
    try {
      ip('netns', 'add', lab.server);
      ip('netns', 'add', lab.client);
      ip('link', 'add', lab.serverIf, 'netns', lab.server, 'type', 'veth', 'peer', 'name', lab.clientIf, 'netns', lab.client);
      ip('-n', lab.server, 'addr', 'add', `${lab.serverAddress}/24`, 'dev', lab.serverIf);
      ip('-n', lab.client, 'addr', 'add', `${lab.clientAddress}/24`, 'dev', lab.clientIf);
      for (const [ns, dev] of [
        [lab.server, lab.serverIf],
        [lab.client, lab.clientIf],
      ] as const) {
        // No IPv6 on the link: router/neighbour solicitations would only add noise.
        execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
        if (options.segments) ip('-n', ns, 'link', 'set', 'dev', dev, 'gso_max_size', '1500', 'gso_max_segs', '1');
        ip('-n', ns, 'link', 'set', dev, 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Runs a command inside a namespace (throws on failure). */
  exec(ns: string, cmd: string, args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' });
  }

  /** nftables in `ns`: drop `percent`% of TCP packets at random on `hook` (a lossy link). */
  dropRandomly(ns: string, percent: number, hook: 'input' | 'output'): void {
    this.exec(ns, 'nft', ['add', 'table', 'inet', 'twstory']);
    this.exec(ns, 'nft', ['add', 'chain', 'inet', 'twstory', hook, `{ type filter hook ${hook} priority 0; }`]);
    this.exec(ns, 'nft', ['add', 'rule', 'inet', 'twstory', hook, 'meta', 'l4proto', 'tcp', 'numgen', 'random', 'mod', '100', '<', String(percent), 'drop']);
  }

  /** Records `workload` with both namespaces captured (host capture off: noise). */
  async record(tag: string, workload: () => Promise<unknown>): Promise<RecordResult> {
    const base = join(outputDir, 'story');
    mkdirSync(base, { recursive: true });
    const dir = mkdtempSync(join(base, `${tag}-`));
    return record({ outDir: join(dir, 'bundle'), netns: [this.server, this.client], captureHost: false, workload });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const ns of [this.server, this.client]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}
