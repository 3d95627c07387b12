/**
 * Control of a tracefs instance (`/sys/kernel/tracing/instances/<name>`): our own ring
 * buffer, clock, event selection and options, never the top-level buffer. Every write
 * names the file in its error, so a refused setting reads as one clear line.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivilegeError, TracewireError } from '../base/errors.js';
import { parseEventFormat, type EventFormat } from './format.js';
import { parsePageLayout, type PageLayout } from './ring-buffer.js';

const MOUNT_POINTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** The tracefs mount point that supports instances, or null when tracefs is not mounted. */
export function findTracefs(): string | null {
  for (const dir of MOUNT_POINTS) {
    try {
      if (statSync(join(dir, 'instances')).isDirectory()) return dir;
    } catch {
      // not mounted here, or not readable
    }
  }
  return null;
}

/**
 * Checks that kernel tracing is usable: root (or CAP_SYS_ADMIN-like access to tracefs)
 * and a mounted tracefs. Returns the mount point; throws PrivilegeError with one line
 * saying what is missing.
 */
export function requireTracefs(): string {
  if (process.getuid?.() !== 0) throw new PrivilegeError('recording kernel events needs root (tracefs instances are root-only); run with sudo');
  const root = findTracefs();
  if (!root) throw new PrivilegeError('tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)');
  return root;
}

/** Events the running kernel offers, as `system` → event names. */
export function availableEvents(root: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let text: string;
  try {
    text = readFileSync(join(root, 'available_events'), 'utf8');
  } catch {
    text = '';
  }
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const system = line.slice(0, i);
    const name = line.slice(i + 1).trim();
    let set = out.get(system);
    if (!set) out.set(system, (set = new Set()));
    set.add(name);
  }
  return out;
}

/** Reads and parses `events/<system>/<name>/format` under `root` (an instance or the mount). */
export function readEventFormat(root: string, system: string, name: string): EventFormat {
  const file = join(root, 'events', system, name, 'format');
  return parseEventFormat(readFileSync(file, 'utf8'), file, system);
}

/** The ring-buffer page layout of this kernel (events/header_page and header_event). */
export function readPageLayout(root: string): { layout: PageLayout; headerPage: string; headerEvent: string } {
  const headerPage = readFileSync(join(root, 'events', 'header_page'), 'utf8');
  const headerEvent = readFileSync(join(root, 'events', 'header_event'), 'utf8');
  return { layout: parsePageLayout(headerPage, headerEvent, join(root, 'events', 'header_page')), headerPage, headerEvent };
}

/** Names of the existing instances. */
export function listInstances(root: string): string[] {
  try {
    return readdirSync(join(root, 'instances'));
  } catch {
    return [];
  }
}

/** Events lost according to one CPU's `stats`: overwritten, failed commits and dropped. */
export function lostEvents(stats: Readonly<Record<string, number>>): number {
  return (stats['overrun'] ?? 0) + (stats['commit overrun'] ?? 0) + (stats['dropped events'] ?? 0);
}

/** One tracefs instance. */
export class TracefsInstance {
  readonly path: string;

  private constructor(readonly root: string, readonly name: string) {
    this.path = join(root, 'instances', name);
  }

  /** Creates the instance `name`; throws if it exists (names are unique per run). */
  static create(root: string, name: string): TracefsInstance {
    const inst = new TracefsInstance(root, name);
    try {
      mkdirSync(inst.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new TracewireError(`tracefs instance ${name} already exists`);
      if (code === 'EACCES' || code === 'EPERM') throw new PrivilegeError(`cannot create tracefs instance ${inst.path}: permission denied`);
      throw new TracewireError(`cannot create tracefs instance ${inst.path}: ${(err as Error).message}`);
    }
    return inst;
  }

  /** Opens an existing instance (e.g. a stale one to clean up). */
  static open(root: string, name: string): TracefsInstance {
    return new TracefsInstance(root, name);
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /** Writes `value` to the instance file `rel`; a refusal becomes a one-line error. */
  write(rel: string, value: string): void {
    try {
      writeFileSync(join(this.path, rel), value);
    } catch (err) {
      throw new TracewireError(`cannot write '${value.length > 40 ? `${value.slice(0, 40)}…` : value}' to ${join(this.path, rel)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  /** Like write, but reports failure instead of throwing (for optional settings). */
  tryWrite(rel: string, value: string): boolean {
    try {
      writeFileSync(join(this.path, rel), value);
      return true;
    } catch {
      return false;
    }
  }

  read(rel: string): string {
    return readFileSync(join(this.path, rel), 'utf8');
  }

  /** CPU numbers that have a per-CPU buffer directory. */
  cpus(): number[] {
    return readdirSync(join(this.path, 'per_cpu'))
      .map((d) => /^cpu(\d+)$/.exec(d))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** Turns the instance's recording on or off. */
  setTracing(on: boolean): void {
    this.write('tracing_on', on ? '1' : '0');
  }

  /** Enables (or disables) one event, or a whole system when `event` is undefined. */
  setEvent(system: string, event: string | undefined, on: boolean): void {
    this.write(event === undefined ? join('events', system, 'enable') : join('events', system, event, 'enable'), on ? '1' : '0');
  }

  /** The per-CPU `stats` counters (entries, overrun, dropped events, …) as numbers. */
  cpuStats(cpu: number): Record<string, number> {
    const out: Record<string, number> = {};
    let text: string;
    try {
      text = this.read(join('per_cpu', `cpu${cpu}`, 'stats'));
    } catch {
      return out;
    }
    for (const line of text.split('\n')) {
      const m = /^([a-z ]+):\s*([\d.]+)/.exec(line);
      if (m) out[m[1]!.trim()] = Number(m[2]);
    }
    return out;
  }

  /** Events the kernel lost on `cpu` so far: overrun + commit overrun + dropped (see cpuStats). */
  cpuLost(cpu: number): number {
    return lostEvents(this.cpuStats(cpu));
  }

  /**
   * Stops recording, disables every event and removes the instance. Waits briefly when
   * the kernel reports the instance busy (a reader closing). Returns false if it could
   * not be removed.
   */
  remove(): boolean {
    if (!this.exists()) return true;
    this.tryWrite('tracing_on', '0');
    this.tryWrite(join('events', 'enable'), '0');
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        rmdirSync(this.path);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return true;
        if (code !== 'EBUSY') return false;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    return false;
  }
}
