/**
 * Opening "a dataset" from what a user names on the command line: a bundle directory, a
 * kernel trace (LTTng session or trace directory), a capture file, or a trace and a
 * capture together.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describeError, FormatError, TracewireError, UsageError } from '../base/errors.js';
import { openTraceCollection, type OpenOptions, type TraceCollection } from '../ctf/index.js';
import { openCapture } from '../pcap/index.js';
import { BUNDLE_FILE, readBundle, type BundleJson } from '../record/bundle.js';
import { describeInterfaces, loadFrames } from './frames.js';
import type { Dataset, DatasetCaptureInterface, DatasetFrame } from './types.js';

export interface OpenDatasetOptions {
  /**
   * trace ns = pcap ns − this, for a trace and a capture opened separately (a bundle
   * carries its own). Default 0: LTTng's kernel clock is offset to real time, like pcap.
   */
  readonly clockOffsetNs?: bigint;
  /** Skip reading the capture's frames (for callers that only need the kernel side). */
  readonly withoutFrames?: boolean;
  /**
   * `--sync`: per kernel trace, its transform onto another host's clock (see
   * OpenOptions.clockTransform). The capture is on the kernel trace's clock, so its
   * frames move with the first kernel trace.
   */
  readonly clockTransform?: OpenOptions['clockTransform'];
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

function looksLikeCapture(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, head, 0, 4, 0) < 4) return false;
  } finally {
    closeSync(fd);
  }
  return PCAP_MAGICS.has(head.readUInt32LE(0)) || PCAP_MAGICS.has(head.readUInt32BE(0));
}

/**
 * Opens `paths` as one dataset. A bundle directory (holding bundle.json) brings its
 * kernel trace, capture and clock offset; other directories and `metadata` files are
 * kernel traces; other files are captures (pcap or pcapng). At most one capture and one
 * bundle. Throws UsageError for an impossible combination and FormatError (from the
 * readers) for damaged input; ENOENT errors name the path.
 */
export function openDataset(paths: readonly string[], options: OpenDatasetOptions = {}): Dataset {
  if (paths.length === 0) throw new UsageError('no input: give a bundle directory, a kernel trace or a capture');
  let bundleDir: string | null = null;
  let bundle: BundleJson | null = null;
  const kernelInputs: string[] = [];
  let capturePath: string | null = null;
  const setCapture = (p: string) => {
    if (capturePath) throw new UsageError(`only one capture per dataset (got ${capturePath} and ${p})`);
    capturePath = p;
  };
  for (const p0 of paths) {
    const p = resolve(p0);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      // A missing or unreadable input is bad input (one line, exit 2), not an internal error.
      throw new TracewireError(describeError(err));
    }
    if (st.isDirectory()) {
      if (existsSync(join(p, BUNDLE_FILE))) {
        if (bundleDir) throw new UsageError(`only one bundle per dataset (got ${bundleDir} and ${p})`);
        bundleDir = p;
        bundle = readBundle(p);
        const kdir = join(p, bundle.kernel?.path || 'kernel');
        if (existsSync(kdir)) kernelInputs.push(kdir);
        if (bundle.capture.file && existsSync(join(p, bundle.capture.file))) setCapture(join(p, bundle.capture.file));
      } else kernelInputs.push(p);
    } else if (basename(p) === 'metadata') kernelInputs.push(p);
    else if (looksLikeCapture(p)) setCapture(p);
    else throw new FormatError(p, 0, 'neither a capture (pcap/pcapng), a CTF trace, nor a tracewire bundle');
  }

  let kernel: TraceCollection | null = null;
  const kernelEventNames = new Set<string>();
  if (kernelInputs.length) {
    kernel = openTraceCollection(kernelInputs, { clockTransform: options.clockTransform });
    for (const t of kernel.ctfTraces) for (const sc of t.metadata.streamClasses.values()) for (const ec of sc.eventClasses.values()) kernelEventNames.add(ec.name);
  }

  let offset = options.clockOffsetNs ?? 0n;
  let clockNote = options.clockOffsetNs !== undefined ? `capture placed on the trace clock with the given offset (${offset} ns)` : 'no bundle: the capture and the trace are assumed to share a clock (LTTng offsets its kernel clock to real time, like pcap)';
  let uncertainty = 0;
  if (bundle) {
    offset = BigInt(bundle.clocks.pcap_to_trace_offset_ns);
    const drift = BigInt(bundle.clocks.pcap_to_trace_offset_end_ns) - offset;
    uncertainty = bundle.clocks.offset_uncertainty_ns + Math.abs(Number(drift));
    clockNote = `capture placed on the trace clock with the bundle's measured offset (±${uncertainty} ns)`;
  }
  if (!kernel && !capturePath) throw new FormatError(resolve(paths[0]!), undefined, 'no kernel trace and no capture found');

  let captureInterfaces: DatasetCaptureInterface[] = [];
  let frames: DatasetFrame[] = [];
  const damage: string[] = [];
  if (capturePath) {
    const capture = openCapture(capturePath);
    try {
      captureInterfaces = describeInterfaces(capture, bundle);
      if (!options.withoutFrames) {
        const synced = kernel && kernel.traces[0] ? (options.clockTransform?.(kernel.traces[0]) ?? null) : null;
        const loaded = loadFrames(capture, captureInterfaces, bundle?.netns ?? [], offset, synced);
        frames = loaded.frames;
        if (loaded.damage) damage.push(loaded.damage);
        // Interfaces declared after the first packet are known only now.
        captureInterfaces = describeInterfaces(capture, bundle);
      }
    } finally {
      capture.close();
    }
  }
  return {
    paths: paths.map((p) => resolve(p)),
    bundleDir,
    bundle,
    kernel,
    kernelPaths: kernel ? kernel.ctfTraces.flatMap((t) => [...t.dirs]) : [],
    kernelEventNames,
    capturePath,
    captureInterfaces,
    frames,
    netns: bundle?.netns ?? [],
    pcapToTraceOffsetNs: offset,
    clockNote,
    clockUncertaintyNs: uncertainty,
    damage,
  };
}
