/**
 * Records the seed experiment into a bundle for the UI tests and the screenshot script:
 * two network namespaces joined by a veth pair, tracewire's ncat listening in one (run
 * under the name `ncat`, as the seed's), a client in the other, "Hello" from the server,
 * a line from the client, client disconnect — recorded by `tracewire record`. Names are
 * unique to this process; everything is removed by `cleanup()`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { outputDir, repoRoot, runCli } from '../../support/env.js';

export interface SeedBundle {
  readonly dir: string;
  readonly serverAddr: string;
  readonly clientAddr: string;
  readonly port: number;
  cleanup(): void;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Records the bundle (needs root and tracefs). Throws with the recorder's stderr on failure. */
export async function recordSeedBundle(tag: string): Promise<SeedBundle> {
  const id = `${process.pid % 100000}`;
  const serverNs = `tw-ui-${id}-${tag}-s`;
  const clientNs = `tw-ui-${id}-${tag}-c`;
  const vethS = `twu${id}${tag.slice(0, 1)}s`.slice(0, 15);
  const vethC = `twu${id}${tag.slice(0, 1)}c`.slice(0, 15);
  const subnet = (process.pid % 200) + 30;
  const serverAddr = `10.77.${subnet}.1`;
  const clientAddr = `10.77.${subnet}.2`;
  mkdirSync(join(outputDir, 'ui'), { recursive: true });
  const scratch = mkdtempSync(join(outputDir, 'ui', `${tag}-`));
  const cleanup = () => {
    for (const ns of [serverNs, clientNs]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    ip('netns', 'add', serverNs);
    ip('netns', 'add', clientNs);
    ip('link', 'add', vethS, 'netns', serverNs, 'type', 'veth', 'peer', 'name', vethC, 'netns', clientNs);
    ip('-n', serverNs, 'addr', 'add', `${serverAddr}/24`, 'dev', vethS);
    ip('-n', clientNs, 'addr', 'add', `${clientAddr}/24`, 'dev', vethC);
    for (const [ns, dev] of [[serverNs, vethS], [clientNs, vethC]] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    // The kernel names a process after the file it executes: a link called `ncat` to node
    // makes tracewire's ncat show up as `ncat` in the trace, like the seed's.
    const ncat = join(scratch, 'ncat');
    symlinkSync(process.execPath, ncat);
    const dir = join(scratch, 'bundle');
    const r = await runCli(
      ['record', '-o', dir, '--netns', serverNs, '--netns', clientNs, '-q', '--', process.execPath, join(repoRoot, 'test', 'ui', 'support', 'seed-workload.mjs'), serverNs, clientNs, serverAddr, '5000', ncat, join(repoRoot, 'bin', 'tracewire.js'), 'ncat'],
      { timeoutMs: 120_000 },
    );
    if (r.code !== 0) throw new Error(`tracewire record failed (${r.code}): ${r.stderr.trim()}`);
    return {
      dir,
      serverAddr,
      clientAddr,
      port: 5000,
      cleanup: () => {
        cleanup();
      },
    };
  } catch (err) {
    cleanup();
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
}
