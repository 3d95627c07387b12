/**
 * The fast start of `tracewire events` (CommonJS: bin/tracewire.js requires it without
 * starting Node's ES module loader). Start-up matters for commands run on small inputs —
 * `tracewire events` reads a small trace faster than Node.js loads and compiles its
 * reader — so the command is an esbuild bundle, dist/cli/events.bundle.cjs (entry
 * events-standalone.ts, built by scripts/build.mjs), loaded through a V8 code cache:
 * the bundle spares loading dozens of modules, the cache spares compiling them, and
 * skipping the ES module loader spares a few more milliseconds.
 *
 * The cache entry, keyed by a SHA-1 of the bundle (V8 itself only checks the source
 * length) and checked against a SHA-1 of its content, is written after the first run,
 * with every function that run compiled; it lives with tracewire's other caches
 * ($TRACEWIRE_CACHE_DIR, else $XDG_CACHE_HOME/tracewire or ~/.cache/tracewire;
 * TRACEWIRE_NO_CACHE=1: none). Compiled code is only taken from a file this user owns and
 * nobody else may write. Any cache problem only means compiling as usual; no bundle, or
 * one older than tsc's output (a plain `tsc` after the last build), means the dispatcher.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Commands with a bundle of their own (scripts/build.mjs). */
const BUNDLED: ReadonlySet<string> = new Set(['events']);

interface BundleMain {
  main(argv: string[]): Promise<number>;
}

/**
 * Runs `argv` (`events ...`) from the command's bundle and resolves to its exit status,
 * or returns null when the command has no current bundle (the caller then runs the
 * dispatcher).
 */
export function bundledMain(argv: string[]): Promise<number> | null {
  const name = argv[0];
  if (name === undefined || !BUNDLED.has(name)) return null;
  const file = join(__dirname, `${name}.bundle.cjs`);
  const esm = join(__dirname, `${name}.js`);
  if (!existsSync(file) || (existsSync(esm) && statSync(esm).mtimeMs > statSync(file).mtimeMs)) return null;
  const source = readFileSync(file, 'utf8');
  const cacheFile = cacheFileOf(name, source);
  const cachedData = cacheFile ? readCacheEntry(cacheFile) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const mod = { exports: {} as BundleMain };
  const wrapper = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  wrapper(mod.exports, require, mod, file, dirname(file));
  return mod.exports.main(argv.slice(1)).finally(() => {
    if (cacheFile && (!cachedData || script.cachedDataRejected)) writeCacheEntry(cacheFile, script.createCachedData());
  });
}

function cacheFileOf(name: string, source: string): string | null {
  const env = process.env;
  if (env.TRACEWIRE_NO_CACHE && env.TRACEWIRE_NO_CACHE !== '0') return null;
  const home = env.HOME || homedir();
  const base = env.TRACEWIRE_CACHE_DIR || (env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'tracewire') : home ? join(home, '.cache', 'tracewire') : null);
  if (!base) return null;
  const key = createHash('sha1').update(source).update(`\0${process.version}\0${process.versions.v8}\0${process.arch}`).digest('hex');
  return join(base, 'code', `${name}-${key}.bin`);
}

/** The compiled code of a valid entry, else undefined (no entry, damaged, or unsafe). */
function readCacheEntry(cacheFile: string): Buffer | undefined {
  let fd = -1;
  try {
    fd = openSync(cacheFile, 'r');
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    const entry = readFileSync(fd);
    if (entry.length > 20 && createHash('sha1').update(entry.subarray(20)).digest().equals(entry.subarray(0, 20))) return entry.subarray(20);
    return undefined;
  } catch {
    return undefined; // no entry yet
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function writeCacheEntry(cacheFile: string, data: Buffer): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(tmp, Buffer.concat([createHash('sha1').update(data).digest(), data]), { mode: 0o644 });
    renameSync(tmp, cacheFile);
  } catch {
    rmSync(tmp, { force: true }); // read-only or full disk: the next run compiles again
  }
}
