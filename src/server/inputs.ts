/**
 * What `tracewire ui PATH...` was given: each path is a recorder bundle (a directory with
 * `bundle.json`), a CTF trace (a directory holding traces at any depth, or a `metadata`
 * file) or a pcap/pcapng capture. A bundle contributes its kernel trace and its capture,
 * with the capture's clock offset so packets land on the trace's time line.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FormatError, UsageError } from '../base/errors.js';
import { readBundle, pcapToTraceOffset, type BundleJson } from '../record/bundle.js';

/** A capture to show, with the offset that maps its timestamps to trace time. */
export interface CaptureInput {
  readonly path: string;
  /** trace ns = capture ns − offset (0 for a plain capture: both clocks are Unix time). */
  readonly offsetNs: bigint;
  /** The bundle the capture belongs to, if any. */
  readonly bundle: BundleJson | null;
}

export interface ClassifiedInputs {
  /** The paths as given (resolved), for analyses that open them themselves. */
  readonly paths: string[];
  /** Paths handed to openTraceCollection (bundle kernel dirs and CTF paths). */
  readonly tracePaths: string[];
  readonly captures: CaptureInput[];
  readonly bundles: Array<{ readonly path: string; readonly bundle: BundleJson }>;
  /** One line per input for the page header, e.g. `bundle seed (kernel + 42 packets)`. */
  readonly labels: string[];
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

function fileMagic(path: string): number | null {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    if (readSync(fd, b, 0, 4, 0) < 4) return null;
    return b.readUInt32LE(0);
  } finally {
    closeSync(fd);
  }
}

/** True when `dir` holds a CTF `metadata` file within `depth` levels. */
function hasTrace(dir: string, depth: number): boolean {
  if (existsSync(join(dir, 'metadata'))) return true;
  if (depth === 0) return false;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !e.name.startsWith('.') && hasTrace(join(dir, e.name), depth - 1)) return true;
  }
  return false;
}

/**
 * Sorts `paths` into traces and captures. Throws UsageError when no path is given and
 * FormatError naming the path when one is neither a bundle, a trace nor a capture.
 */
export function classifyInputs(paths: readonly string[]): ClassifiedInputs {
  if (paths.length === 0) throw new UsageError('ui: expected at least one PATH (a bundle, a CTF trace or a capture); see `tracewire ui --help`');
  const tracePaths: string[] = [];
  const captures: CaptureInput[] = [];
  const bundles: Array<{ path: string; bundle: BundleJson }> = [];
  const labels: string[] = [];
  const resolved: string[] = [];
  for (const raw of paths) {
    const path = resolve(raw);
    resolved.push(path);
    if (!existsSync(path)) throw new FormatError(raw, undefined, 'no such file or directory');
    const st = statSync(path);
    if (st.isDirectory()) {
      if (existsSync(join(path, 'bundle.json'))) {
        const bundle = readBundle(path);
        bundles.push({ path, bundle });
        const kernel = join(path, 'kernel');
        const parts: string[] = [];
        if (existsSync(join(kernel, 'metadata'))) {
          tracePaths.push(kernel);
          parts.push('kernel');
        }
        const cap = join(path, 'capture.pcapng');
        if (existsSync(cap)) {
          captures.push({ path: cap, offsetNs: pcapToTraceOffset(bundle), bundle });
          parts.push(`${bundle.capture.packets} packets`);
        }
        labels.push(`bundle ${basename(path)} (${parts.join(' + ') || 'empty'})`);
        continue;
      }
      if (hasTrace(path, 4)) {
        tracePaths.push(path);
        labels.push(`trace ${basename(path)}`);
        continue;
      }
      throw new FormatError(raw, undefined, 'directory is neither a tracewire bundle nor a CTF trace (no bundle.json, no metadata)');
    }
    if (basename(path) === 'metadata') {
      tracePaths.push(path);
      labels.push(`trace ${basename(join(path, '..'))}`);
      continue;
    }
    const magic = fileMagic(path);
    if (magic !== null && PCAP_MAGICS.has(magic)) {
      captures.push({ path, offsetNs: 0n, bundle: null });
      labels.push(`capture ${basename(path)}`);
      continue;
    }
    throw new FormatError(raw, 0, 'not a pcap/pcapng capture, a CTF metadata file, a trace or a bundle directory');
  }
  return { paths: resolved, tracePaths, captures, bundles, labels };
}
