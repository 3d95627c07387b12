/**
 * The counting programs of a trace class, kept between runs. Compiling them means
 * building each event class the packets use (from the metadata cache) and walking its
 * fields: for a kernel trace that uses ~240 classes, a few milliseconds of cold
 * JavaScript and garbage, as long as counting its events takes.
 *
 * - Key: the model's metadata cache key (`tc.modelKey`, the same for every recording of
 *   the same declarations: programs depend on declarations only) and a fingerprint of
 *   this directory's code (or of the bundle holding it).
 * - What: the program area as the counter left it (absolute addresses: it is loaded at
 *   the same place) and where each stream class's head and table are.
 * - Where and how safely: `…/tracewire/ctf-programs/`, checked entries written atomically
 *   (src/base/cache-files.cts); any problem means "not cached". The entries drive only
 *   the WebAssembly interpreter, which cannot reach outside its own memory.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { cacheBaseDir, codeFingerprint, pruneCacheDir, readCheckedFile, writeCheckedFile } from '../../../base/cache-files.cjs';
import type { StreamProgram } from './program.js';

const FORMAT = 'TWPROG01';
const MAX_ENTRIES = 64;

export interface ProgramSnapshot {
  /** The program area from its first byte (layout.ts PROGRAMS). */
  readonly words: Int32Array;
  /** Per stream class id: its programs, or null when it stays on the JS decoder. */
  readonly streams: Array<[number, StreamProgram | null]>;
}

let fingerprintValue: string | undefined;

/** The fingerprint of this directory's modules, or of the bundle this module is part of. */
function programCodeFingerprint(): string {
  if (fingerprintValue !== undefined) return fingerprintValue;
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  fingerprintValue = codeFingerprint(FORMAT, basename(dir) === 'wasm-count' ? readdirSync(dir).map((f) => join(dir, f)) : [here]);
  return fingerprintValue;
}

function entryPath(modelKey: string): string | null {
  const base = cacheBaseDir();
  if (base === null || !/^[0-9a-f-]+$/.test(modelKey)) return null;
  return join(base, 'ctf-programs', `${modelKey}-${programCodeFingerprint()}.bin`);
}

/** The programs stored for the model `modelKey`, or null. */
export function loadPrograms(modelKey: string): ProgramSnapshot | null {
  try {
    const path = entryPath(modelKey);
    const body = path === null ? null : readCheckedFile(path);
    if (body === null) return null;
    const snap = deserialize(body) as Partial<ProgramSnapshot> & { format?: unknown };
    if (snap.format !== FORMAT || !(snap.words instanceof Int32Array) || !Array.isArray(snap.streams)) return null;
    return { words: snap.words, streams: snap.streams };
  } catch {
    return null;
  }
}

/** Stores the programs of the model `modelKey`; failures are ignored (it is a cache). */
export function storePrograms(modelKey: string, snap: ProgramSnapshot): void {
  try {
    const path = entryPath(modelKey);
    if (path === null) return;
    writeCheckedFile(path, serialize({ format: FORMAT, words: snap.words, streams: snap.streams }));
    pruneCacheDir(dirname(path), MAX_ENTRIES);
  } catch {
    // read-only or full disk: the next run compiles them again
  }
}
