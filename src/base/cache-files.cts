/**
 * tracewire's on-disk caches (decoded CTF metadata, compiled code of the `events` bundle):
 * where they live and how their files are read and written safely. CommonJS, so that
 * bin/tracewire.js's fast start (src/cli/fast-start.cts) can use it without Node's ES
 * module loader; the ES modules import it as `cache-files.cjs`.
 *
 * Where: `$TRACEWIRE_CACHE_DIR`, else `$XDG_CACHE_HOME/tracewire`, else
 * `~/.cache/tracewire`; `TRACEWIRE_NO_CACHE=1` turns every cache off. Entries become
 * generated code and V8 objects, so only files this user owns and nobody else may write
 * are read, and files are written to a temporary name and renamed (readers never see half
 * an entry; concurrent writers of one key write the same bytes).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { contentDigest, contentHash } from './content-hash.cjs';
import { readFileIf } from './read-file-if.cjs';

/** The caches' base directory, or null when caching is off (or there is no home). */
export function cacheBaseDir(): string | null {
  const env = process.env;
  if (env.TRACEWIRE_NO_CACHE && env.TRACEWIRE_NO_CACHE !== '0') return null;
  if (env.TRACEWIRE_CACHE_DIR) return env.TRACEWIRE_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'tracewire');
  const home = env.HOME || homedir();
  return home ? join(home, '.cache', 'tracewire') : null;
}

/**
 * The content of `path` if this user owns it and nobody else may write it, else null (no
 * file, unreadable, or a file a shared cache directory let someone else put there).
 * Checked on the open file (no race with a rename).
 */
export function readOwnFile(path: string): Buffer | null {
  const uid = process.getuid?.();
  try {
    return readFileIf(path, (st) => st.isFile() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0);
  } catch {
    return null;
  }
}

/**
 * Writes `data` to `path` through `.NAME.PID.TIME.tmp` in the same directory (made if
 * needed) and a rename. Throws on failure, after removing the temporary file.
 */
export function writeFileAtomically(path: string, data: Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * A fingerprint (16 hex digits) of the code that writes a cache's entries: the entry
 * format `tag`, the V8 version (entries hold V8-serialised values or code) and the size
 * and mtime of each of `files` (the writer's modules, or the bundle holding them), so that
 * a changed reader never reads the entries of another.
 */
export function codeFingerprint(tag: string, files: readonly string[]): string {
  const parts = [tag, process.versions.v8];
  for (const f of [...files].sort()) {
    const st = statSync(f);
    parts.push(`${basename(f)}:${st.size}:${st.mtimeMs}`);
  }
  return contentHash(parts.join('|')).slice(0, 16);
}

/** Bytes of the digest in front of a checked entry. */
const DIGEST_BYTES = 16;

/**
 * The body of an entry written by writeCheckedFile (its content digest, then the body):
 * null when absent, not this user's own (readOwnFile), or damaged.
 */
export function readCheckedFile(path: string): Buffer | null {
  const buf = readOwnFile(path);
  if (buf === null || buf.length <= DIGEST_BYTES) return null;
  return contentDigest(buf.subarray(DIGEST_BYTES)).equals(buf.subarray(0, DIGEST_BYTES)) ? buf.subarray(DIGEST_BYTES) : null;
}

/** Writes `body` behind its content digest, atomically (see readCheckedFile). Throws like writeFileAtomically. */
export function writeCheckedFile(path: string, body: Uint8Array): void {
  writeFileAtomically(path, Buffer.concat([contentDigest(body), body]));
}

/**
 * Keeps the `keep` newest entries (`*.bin`) of the cache directory `dir` and removes the
 * temporary files of writers that died over an hour ago. Never throws: files may vanish
 * meanwhile (other runs prune too).
 */
export function pruneCacheDir(dir: string, keep: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  if (names.length <= keep) return;
  const now = Date.now();
  const entries: Array<{ path: string; mtime: number }> = [];
  for (const n of names) {
    const path = join(dir, n);
    try {
      const mtime = statSync(path).mtimeMs;
      if (n.endsWith('.tmp')) {
        if (now - mtime > 3_600_000) unlinkSync(path);
      } else if (n.endsWith('.bin')) entries.push({ path, mtime });
    } catch {
      // removed by another run meanwhile
    }
  }
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const e of entries.slice(keep)) {
    try {
      unlinkSync(e.path);
    } catch {
      // idem
    }
  }
}
