/**
 * Turning a stopped recording into a bundle: convert the spool to CTF, write bundle.json,
 * remove the spool. Shared by a normal stop and by the recovery of a session whose
 * recorder was killed (stale.ts), so both produce the same, valid bundle.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCapture, bundleClocksAndTime, bundleHost, KERNEL_DIR, writeBundle, type BundleJson, type BundleNetns, type StopReason } from './bundle.js';
import type { CaptureResult, CaptureTarget } from './capture.js';
import { convertSpool, type ConvertResult, type HostInfo } from './convert.js';
import { parseStateDump, serializeStateDump, type StateDump } from './statedump.js';

export const TOOL_VERSION = '0.1.0';
export const SPOOL_DIR = '.ftrace';
export const SESSION_FILE = 'session.json';
export const STATEDUMP_FILE = 'statedump.json';
export const RESERVE_FILE = '.reserve';

/** What a recording knows before it starts; saved in the spool for recovery. */
export interface SpoolSessionJson {
  readonly version: 1;
  readonly instance: string;
  readonly tracefsRoot: string;
  readonly bundleDir: string;
  readonly cpus: number[];
  readonly headerPage: string;
  readonly headerEvent: string;
  readonly formats: Record<string, string>;
  readonly enabled: string[];
  readonly unavailable: string[];
  readonly bufferSizeKb: number;
  readonly host: HostInfo;
  /** The recorder process, its excluded threads and what its own context keeps (own-context.ts). */
  readonly recorder: { readonly pid: number; readonly comm: string; readonly excludedTids?: number[]; readonly ownContextEvents?: string[] };
  readonly clockStart: { readonly offsetNs: string; readonly uncertaintyNs: number };
  readonly startMonotonicNs: string;
  readonly createdMs: number;
  readonly traceName: string;
  command: { argv: string[]; pid: number | null } | null;
  readonly netns: string[];
  readonly captureTargets: CaptureTarget[];
}

export function writeSpoolSession(spoolDir: string, s: SpoolSessionJson): void {
  writeFileSync(join(spoolDir, SESSION_FILE), JSON.stringify(s));
}

export function readSpoolSession(spoolDir: string): SpoolSessionJson {
  return JSON.parse(readFileSync(join(spoolDir, SESSION_FILE), 'utf8')) as SpoolSessionJson;
}

export function writeSpoolStateDump(spoolDir: string, d: StateDump): void {
  writeFileSync(join(spoolDir, STATEDUMP_FILE), serializeStateDump(d));
}

export function readSpoolStateDump(spoolDir: string): StateDump | null {
  const f = join(spoolDir, STATEDUMP_FILE);
  if (!existsSync(f)) return null;
  try {
    return parseStateDump(readFileSync(f, 'utf8'));
  } catch {
    return null;
  }
}

export interface FinishInput {
  readonly session: SpoolSessionJson;
  readonly statedump: StateDump | null;
  readonly kernelLost: ReadonlyMap<number, number>;
  readonly savedTgids: ReadonlyMap<number, number>;
  /** The capture result, or a function producing it once the trace is converted (the
   *  merge then finds the space the spool freed, on a full disk). */
  readonly capture: CaptureResult | (() => CaptureResult);
  readonly clockEnd: { readonly offsetNs: bigint; readonly uncertaintyNs: number };
  readonly endMonotonicNs: bigint;
  readonly stopReason: StopReason;
  readonly complete: boolean;
  readonly error?: string;
  readonly command: BundleJson['command'];
  readonly keepSpool: boolean;
}

export interface FinishOutput {
  readonly bundle: BundleJson;
  readonly conversion: ConvertResult;
}

function netnsOf(d: StateDump | null): BundleNetns[] {
  if (!d) return [];
  return d.netns.map((n) => ({
    name: n.name || `netns:[${n.inum}]`,
    inum: n.inum,
    interfaces: n.interfaces.map((i) => ({ ifindex: i.ifindex, name: i.name, addresses: i.addresses.map((a) => `${a.address}/${a.prefixLength}`) })),
  }));
}

/** Converts, writes bundle.json, removes the spool (unless kept). */
export function finishBundle(f: FinishInput): FinishOutput {
  const s = f.session;
  const dir = s.bundleDir;
  const spoolDir = join(dir, SPOOL_DIR);
  const reserve = join(dir, RESERVE_FILE);
  const clockOffset = BigInt(s.clockStart.offsetNs);
  const conversion = convertSpool({
    spoolDir,
    outDir: join(dir, KERNEL_DIR),
    cpus: s.cpus,
    headerPage: s.headerPage,
    headerEvent: s.headerEvent,
    formats: s.formats,
    host: s.host,
    clockOffsetNs: clockOffset,
    traceName: s.traceName,
    createdMs: s.createdMs,
    statedump: f.statedump,
    savedTgids: f.savedTgids,
    kernelLost: f.kernelLost,
    endMonotonicNs: f.endMonotonicNs,
    recorder: s.recorder,
    deleteSpool: !f.keepSpool,
    onDiskFull: () => rmSync(reserve, { force: true }),
  });
  rmSync(reserve, { force: true });
  if (!f.keepSpool) rmSync(spoolDir, { recursive: true, force: true });
  const capture = typeof f.capture === 'function' ? f.capture() : f.capture;
  const stopReason: StopReason = conversion.diskFull ? 'disk-full' : f.stopReason;
  const errors = [f.error, conversion.corruptRecords ? `${conversion.corruptRecords} corrupt ftrace records skipped (first: ${conversion.firstCorruption})` : undefined].filter(Boolean);
  const bundle: BundleJson = {
    format: 'tracewire-bundle',
    version: 1,
    tool: { name: 'tracewire', version: TOOL_VERSION },
    complete: f.complete,
    stop_reason: stopReason,
    ...(errors.length ? { error: errors.join('; ') } : {}),
    host: bundleHost(s.host, s.cpus.length),
    tracer: {
      name: 'ftrace',
      instance: s.instance,
      buffer_size_kb_per_cpu: s.bufferSizeKb,
      ctf_layout: 'lttng-modules 2.13',
      ...(s.recorder.excludedTids ? { recorder: { pid: s.recorder.pid, excluded_tids: s.recorder.excludedTids, own_context_events: s.recorder.ownContextEvents ?? [] } } : {}),
    },
    ...bundleClocksAndTime(BigInt(s.startMonotonicNs), f.endMonotonicNs, { offsetNs: clockOffset, uncertaintyNs: s.clockStart.uncertaintyNs }, f.clockEnd),
    events: {
      enabled: s.enabled,
      unavailable: s.unavailable,
      written: conversion.eventsWritten,
      statedump: conversion.statedumpEvents,
      per_cpu: conversion.perCpu,
    },
    lost_events: conversion.lostEvents,
    command: f.command,
    netns: netnsOf(f.statedump),
    capture: bundleCapture(capture),
    kernel: { path: KERNEL_DIR, streams: s.cpus.length, clamped_timestamps: conversion.clampedTimestamps },
  };
  writeBundle(dir, bundle);
  return { bundle, conversion };
}
