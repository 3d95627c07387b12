/**
 * Which ncat the demo runs, as an argv prefix. Ours is `tracewire ncat` started through a
 * link named `ncat` to node: the kernel names a process after the file it executes, so
 * in the trace our ncat is `ncat`, like the seed's. `--real-ncat` runs nmap's ncat
 * (Debian's `ncat` package).
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../base/errors.js';
import { hasCommand } from './preflight.js';

export interface NcatCommand {
  /** Argv prefix, e.g. `['/tmp/tw-demo-x/ncat', '/repo/bin/tracewire.js', 'ncat']` or `['ncat']`. */
  readonly argv: readonly string[];
  /** `tracewire` or `nmap`. */
  readonly flavour: 'tracewire' | 'nmap';
  /**
   * Its environment. Ours starts node without NODE_EXTRA_CA_CERTS, as the `tracewire`
   * command does (bin/tracewire.js): it makes no TLS connections, and Node 20 would read
   * and parse the CA bundle first — ~120 more system calls and 35 ms in the story's
   * start-up step, before the seed's socket().
   */
  readonly env: NodeJS.ProcessEnv;
  /** Removes the link directory (ours); idempotent. */
  dispose(): void;
}

/** The tracewire launcher (`bin/tracewire.js`) of this package. */
export function tracewireBin(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tracewire.js');
}

/**
 * Prepares the ncat to run. Throws UsageError when `real` is asked and nmap's ncat is
 * not installed.
 */
export function prepareNcat(real: boolean): NcatCommand {
  if (real) {
    if (!hasCommand('ncat')) throw new UsageError("demo: --real-ncat needs nmap's ncat (apt-get install ncat)");
    return { argv: ['ncat'], flavour: 'nmap', env: process.env, dispose: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tw-demo-ncat-'));
  const link = join(dir, 'ncat');
  symlinkSync(process.execPath, link);
  let disposed = false;
  // handed over as the `tracewire` command's shell line does: bin/tracewire.js puts it
  // back once node has started, for the commands ncat starts (-e, --sh-exec)
  const env = { ...process.env };
  if (env.NODE_EXTRA_CA_CERTS !== undefined) env.TRACEWIRE_NODE_EXTRA_CA_CERTS = env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_EXTRA_CA_CERTS;
  return {
    argv: [link, tracewireBin(), 'ncat'],
    flavour: 'tracewire',
    env,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
