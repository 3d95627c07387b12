/**
 * Finding CTF traces on disk and assembling them like babeltrace2's auto-discovery:
 * any directory holding a `metadata` file is a trace (its subdirectories are not
 * searched further); traces with the same UUID (session rotation chunks, several
 * chunks of one live session) are merged into one trace whose streams continue across
 * the chunks; a stream is a (stream class, stream_instance_id) pair, or a single file
 * when packets carry no instance id.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { FormatError } from '../base/errors.js';
import type { TraceInfo } from '../model/trace-event.js';
import { DecodeState } from './decode/decode-state.js';
import { TraceDecoders } from './decode/trace-decoders.js';
import { readMetadata } from './metadata/metadata-file.js';
import { classCount, type StreamClass, type TraceClass } from './metadata/model.js';
import { FileWindow } from './stream/file-window.js';
import { ClockConverter, StreamInfo } from './stream/messages.js';
import { readPacketPrelude } from './stream/packet-prelude.js';
import type { TracerQuirks } from './stream/stream-reader.js';

/** One stream of a trace: its files in time order. */
export interface StreamDescriptor {
  readonly info: StreamInfo;
  readonly streamClass: StreamClass;
  readonly files: readonly string[];
}

/** A trace of the collection: metadata, decoders and streams. */
export interface CtfTrace {
  readonly info: TraceInfo;
  /** The decoded metadata (event classes with their field declarations, clocks, env). */
  readonly metadata: TraceClass;
  /** The trace directories (several for rotated chunks with one UUID). */
  readonly dirs: readonly string[];
  readonly streams: readonly StreamDescriptor[];
  readonly decoders: TraceDecoders;
  readonly quirks: TracerQuirks;
  readonly uuidBytes: Uint8Array | null;
}

/**
 * Every directory under `paths` that holds a `metadata` file, sorted, with its path
 * relative to the input path it was found under (babeltrace2 uses it in trace names).
 */
function findTraceDirsWithRoots(paths: readonly string[]): Array<{ dir: string; rel: string }> {
  const out = new Map<string, string>();
  for (const p0 of paths) {
    const p = resolve(p0);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new FormatError(p0, undefined, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message);
    }
    const found: string[] = [];
    if (st.isFile()) {
      if (basename(p) === 'metadata') found.push(dirname(p));
      else throw new FormatError(p0, undefined, 'not a CTF trace: give the trace directory (the one holding the metadata file)');
    } else if (st.isDirectory()) {
      found.push(...searchDir(p));
    }
    if (found.length === 0) throw new FormatError(p0, undefined, 'no CTF trace here (no metadata file in this directory or below)');
    const root = st.isFile() ? dirname(p) : p;
    for (const d of found) if (!out.has(d)) out.set(d, relative(root, d));
  }
  return [...out].map(([dir, rel]) => ({ dir, rel })).sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

function searchDir(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  if (entries.some((e) => e.name === 'metadata' && (e.isFile() || e.isSymbolicLink()))) return [dir];
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.isDirectory() && !e.name.startsWith('.')) out.push(...searchDir(join(dir, e.name)));
  }
  return out;
}

/** The data stream files of a trace directory: regular, non-empty, not hidden, not `metadata`. */
function dataFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'metadata' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (!st.isFile() || st.size === 0) continue;
    out.push(p);
  }
  return out.sort();
}

function quirksOf(env: Record<string, string | number>): TracerQuirks {
  const name = env.tracer_name;
  const major = typeof env.tracer_major === 'number' ? env.tracer_major : null;
  const minor = typeof env.tracer_minor === 'number' ? env.tracer_minor : 0;
  const patch = typeof env.tracer_patch === 'number' ? env.tracer_patch : typeof env.tracer_patchlevel === 'number' ? env.tracer_patchlevel : 0;
  if (typeof name !== 'string' || major === null) return { lttngCrash: false, eventAfterPacket: false };
  let eventAfterPacket = false;
  if (name === 'lttng-ust') eventAfterPacket = major < 2 || (major === 2 && minor < 11);
  else if (name === 'lttng-modules') eventAfterPacket = major < 2 || (major === 2 && (minor < 9 || (minor === 9 && patch < 13) || (minor === 10 && patch < 10)));
  return { lttngCrash: name === 'lttng-ust' || name === 'lttng-modules', eventAfterPacket };
}

function uuidBytes(uuid: string | null): Uint8Array | null {
  return uuid ? Uint8Array.from(Buffer.from(uuid.replace(/-/g, ''), 'hex')) : null;
}

interface Probe {
  readonly file: string;
  readonly streamClassId: number;
  readonly instanceId: number | bigint;
  readonly beginNs: bigint | null;
}

/** Reads the first packet's header and context of `file` (only those: not its events). */
function probe(file: string, tc: TraceClass, decoders: TraceDecoders, st: DecodeState): Probe {
  const win = new FileWindow(file, 64 * 1024);
  try {
    const defaultSc = tc.streamClasses.size === 1 ? [...tc.streamClasses.keys()][0]! : -1;
    const pre = readPacketPrelude(win, 0, st, decoders, defaultSc, false);
    const sc = tc.streamClasses.get(pre.streamClassId)!;
    const begin = st.beginTs;
    const beginNs = sc.defaultClock && begin !== -1 ? new ClockConverter(sc.defaultClock).toNs(begin) : null;
    return { file, streamClassId: pre.streamClassId, instanceId: st.streamInstanceId, beginNs };
  } finally {
    win.close();
  }
}

/**
 * Loads the traces under `paths`: metadata, streams and their files, merged by UUID.
 * Throws FormatError for missing paths, damaged metadata or damaged first packets.
 */
export function loadTraces(paths: readonly string[]): CtfTrace[] {
  const dirs = findTraceDirsWithRoots(paths);
  const loaded = dirs.map(({ dir, rel }) => ({ dir, rel, tc: readMetadata(join(dir, 'metadata')) }));
  // group same-UUID traces (babeltrace2 merges them into one trace)
  const groups: Array<typeof loaded> = [];
  const byUuid = new Map<string, typeof loaded>();
  for (const t of loaded) {
    if (t.tc.uuid) {
      let g = byUuid.get(t.tc.uuid);
      if (!g) {
        byUuid.set(t.tc.uuid, (g = []));
        groups.push(g);
      }
      g.push(t);
    } else groups.push([t]);
  }
  const traces: CtfTrace[] = [];
  let streamOrder = 0;
  for (const group of groups) {
    let winner = group[0]!;
    for (const t of group) if (classCount(t.tc) > classCount(winner.tc)) winner = t;
    const tc = winner.tc;
    const env = tc.env;
    const info: TraceInfo = {
      index: traces.length,
      path: winner.dir,
      env,
      hostname: typeof env.hostname === 'string' ? env.hostname : basename(winner.dir),
      domain: typeof env.domain === 'string' ? env.domain : '',
    };
    const decoders = new TraceDecoders(tc);
    const st = new DecodeState(tc.storedValueCount);
    const ub = uuidBytes(tc.uuid);
    st.uuidBytes = ub;
    const probes: Probe[] = [];
    for (const t of group) for (const f of dataFiles(t.dir)) probes.push(probe(f, tc, decoders, st));
    const byKey = new Map<string, Probe[]>();
    for (const p of probes) {
      const key = p.instanceId === -1 ? `file:${p.file}` : `${p.streamClassId}:${p.instanceId}`;
      let l = byKey.get(key);
      if (!l) byKey.set(key, (l = []));
      l.push(p);
    }
    const streamGroups = [...byKey.values()].map((l) =>
      l.sort((a, b) => {
        if (a.beginNs !== null && b.beginNs !== null && a.beginNs !== b.beginNs) return a.beginNs < b.beginNs ? -1 : 1;
        return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
      }),
    );
    streamGroups.sort((a, b) => (a[0]!.file < b[0]!.file ? -1 : a[0]!.file > b[0]!.file ? 1 : 0));
    const clocks = new Map<object, ClockConverter>();
    const host = typeof env.hostname === 'string' ? env.hostname : '';
    const traceName = host && winner.rel ? `${host}/${winner.rel}` : host || winner.rel;
    let nextStreamId = 0;
    const streams: StreamDescriptor[] = streamGroups.map((l) => {
      const first = l[0]!;
      const sc = tc.streamClasses.get(first.streamClassId)!;
      const id = first.instanceId === -1 ? nextStreamId++ : Number(first.instanceId);
      let clock: ClockConverter | null = null;
      if (sc.defaultClock) {
        clock = clocks.get(sc.defaultClock) ?? new ClockConverter(sc.defaultClock);
        clocks.set(sc.defaultClock, clock);
      }
      return { info: new StreamInfo(info, sc.id, id, first.file, clock, streamOrder++, traceName, tc.uuid), streamClass: sc, files: l.map((p) => p.file) };
    });
    traces.push({ info, metadata: tc, dirs: group.map((t) => t.dir), streams, decoders, quirks: quirksOf(env), uuidBytes: ub });
  }
  return traces;
}
