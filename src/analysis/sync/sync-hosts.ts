/**
 * The hosts to synchronise, from command-line paths. Each path is one of:
 *
 * - a tracewire bundle directory (bundle.json + kernel/ + capture.pcapng): one host, its
 *   kernel trace and its capture (packets moved onto the trace clock);
 * - an LTTng/CTF trace or session directory, or a directory holding several: its traces
 *   are grouped by the `hostname` in their metadata, one host per name (so a kernel and
 *   a UST trace of one machine share a clock, and `synctraces/` splits into its hosts).
 *
 * Two paths are always two hosts, even with the same hostname (two bundles recorded on
 * one machine, e.g. in two network namespaces): the point of syncing them is to check.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FormatError } from '../../base/errors.js';
import { openTraceCollection, type TraceCollection } from '../../ctf/index.js';
import type { TraceInfo } from '../../model/trace-event.js';
import { BUNDLE_FILE, CAPTURE_FILE, KERNEL_DIR, pcapToTraceOffset, readBundle } from '../../record/bundle.js';
import { normaliseAddress } from './capture-source.js';

/** A capture belonging to a host, with what is needed to put it on the host's clock. */
export interface HostCapture {
  readonly path: string;
  /** Subtract from a pcap timestamp to get the host's trace time. */
  readonly pcapToTraceOffset: bigint;
  /** The host's own addresses (normalised), for link types that do not say the direction. */
  readonly localAddresses: ReadonlySet<string>;
}

/** One clock domain: a machine (or a recording) whose traces share one clock. */
export interface SyncHost {
  /** Display name: the hostname, made unique with the input's base name when needed. */
  readonly name: string;
  readonly hostname: string;
  /**
   * Stable identity that orients each host pair's hull (the host with the smaller id is
   * the pair's x axis), so a result does not depend on the order of the arguments: the
   * CTF clock's UUID when the metadata has one (Trace Compass's host id), else the hostname.
   */
  readonly hostId: string;
  /** The path given for it. */
  readonly input: string;
  /** Its CTF traces (possibly none) in `collection`. */
  readonly traces: readonly TraceInfo[];
  readonly collection: TraceCollection | null;
  readonly capture: HostCapture | null;
}

/** The UUID of the first clock of `traces` that has one, else `fallback`. */
export function clockHostId(collection: TraceCollection | null, traces: readonly TraceInfo[], fallback: string): string {
  if (collection) {
    for (const t of traces) {
      const ctf = collection.ctfTraces[t.index];
      const uuid = ctf?.metadata.clocks.find((c) => c.uuid)?.uuid;
      if (uuid) return uuid;
    }
  }
  return fallback;
}

function isBundle(path: string): boolean {
  return existsSync(join(path, BUNDLE_FILE));
}

/**
 * Opens `paths` as hosts (see the module comment). Throws FormatError for a path that
 * holds neither a CTF trace nor a bundle, and the readers' errors for damaged files.
 */
export function openSyncHosts(paths: readonly string[]): SyncHost[] {
  const raw: Omit<SyncHost, 'name'>[] = [];
  for (const input of paths) {
    if (!existsSync(input)) throw new FormatError(input, undefined, 'no such file or directory');
    if (statSync(input).isDirectory() && isBundle(input)) {
      const bundle = readBundle(input);
      const kernel = join(input, KERNEL_DIR);
      const collection = existsSync(join(kernel, 'metadata')) ? openTraceCollection([kernel]) : null;
      const capturePath = bundle.capture.file ? join(input, bundle.capture.file) : join(input, CAPTURE_FILE);
      const local = new Set<string>();
      for (const ns of bundle.netns ?? []) for (const itf of ns.interfaces) for (const a of itf.addresses) {
        const n = normaliseAddress(a);
        if (n) local.add(n);
      }
      const capture = existsSync(capturePath) ? { path: capturePath, pcapToTraceOffset: pcapToTraceOffset(bundle), localAddresses: local } : null;
      if (!collection && !capture) throw new FormatError(input, undefined, 'bundle has neither a kernel trace nor a capture');
      const traces = collection?.traces ?? [];
      raw.push({ hostname: bundle.host.hostname, hostId: clockHostId(collection, traces, bundle.host.hostname), input, traces, collection, capture });
      continue;
    }
    const collection = openTraceCollection([input]);
    const byHost = new Map<string, TraceInfo[]>();
    for (const t of collection.traces) {
      const list = byHost.get(t.hostname);
      if (list) list.push(t);
      else byHost.set(t.hostname, [t]);
    }
    for (const [hostname, traces] of byHost) raw.push({ hostname, hostId: clockHostId(collection, traces, hostname), input, traces, collection, capture: null });
  }
  // Unique display names: hostname, or hostname@input-base-name when a hostname repeats.
  const counts = new Map<string, number>();
  for (const h of raw) counts.set(h.hostname, (counts.get(h.hostname) ?? 0) + 1);
  const used = new Set<string>();
  return raw.map((h) => {
    let name = counts.get(h.hostname)! > 1 ? `${h.hostname}@${basename(resolve(h.input))}` : h.hostname;
    for (let k = 2; used.has(name); k++) name = `${h.hostname}@${basename(resolve(h.input))}#${k}`;
    used.add(name);
    return { ...h, name };
  });
}
