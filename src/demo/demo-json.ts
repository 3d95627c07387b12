/**
 * `DIR/demo.json`: what `tracewire demo` ran, next to the recorder's bundle.json — the two
 * hosts, the ncat, the server's PID (the story's subject) and how the client left. The
 * readers of the bundle ignore it; the demo reads it back to tell a saved bundle's story
 * (the committed sample) about the same process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../base/errors.js';

export const DEMO_FILE = 'demo.json';

export interface DemoHostJson {
  readonly netns: string;
  readonly device: string;
  readonly address: string;
  /** PID of the ncat on this host (null when it never started). */
  readonly pid: number | null;
  readonly exit_code: number | null;
}

export interface DemoJson {
  readonly version: 1;
  /** Which ncat ran: tracewire's or nmap's (`--real-ncat`). */
  readonly ncat: 'tracewire' | 'nmap';
  readonly server: DemoHostJson & { readonly port: number };
  readonly client: DemoHostJson;
  readonly greeting: string | null;
  readonly client_line: string | null;
  /** `rst` (the client host aborted the connection) or `fin` (it could only close it). */
  readonly teardown: 'rst' | 'fin' | null;
  /** True when every step of the session happened and nothing interrupted the run. */
  readonly completed: boolean;
  readonly error: string | null;
}

/** Reads DIR/demo.json; null when the directory has none. Throws FormatError when damaged. */
export function readDemoJson(bundleDir: string): DemoJson | null {
  const file = join(bundleDir, DEMO_FILE);
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FormatError(file, undefined, `not valid JSON (${(err as Error).message})`);
  }
  const d = parsed as Partial<DemoJson>;
  if (d?.version !== 1 || typeof d.server !== 'object' || d.server === null) throw new FormatError(file, undefined, 'not a tracewire demo.json (version 1)');
  return d as DemoJson;
}
