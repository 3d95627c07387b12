/**
 * The fast start of the commands run often on small inputs, `tracewire events` and
 * `tracewire ncat` (CommonJS: bin/tracewire.js requires it without starting Node's ES
 * module loader). `tracewire events` reads a small trace faster than Node.js loads and
 * compiles its reader, so each of these commands is an esbuild bundle,
 * dist/cli/NAME.bundle.cjs (built by scripts/build.mjs), loaded through a V8 code cache:
 * the bundle spares loading dozens of modules, the cache spares compiling them, and
 * skipping the ES module loader spares a few more milliseconds.
 *
 * The cache entry, keyed by a content hash of the bundle (V8 itself only checks the source
 * length) and of node's options (V8 rejects code compiled under other flags), and checked
 * against a digest of its content, is written after the first run,
 * with every function that run compiled; it lives with tracewire's other caches
 * (src/base/cache-files.cts: where, and only files this user owns and nobody else may
 * write). Any cache problem only means compiling as usual; no bundle, or
 * one older than tsc's output (a plain `tsc` after the last build), means the dispatcher.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { cacheBaseDir, pruneCacheDir, readCheckedFile, writeCheckedFile } from '../base/cache-files.cjs';
import { contentHash } from '../base/content-hash.cjs';

/**
 * Compiled code entries kept (~300 KB each): every build of the bundle has its own key, so
 * without pruning each rebuild or upgrade would leave one behind.
 */
const CODE_ENTRIES_KEPT = 8;

interface BundleMain {
  main(argv: string[]): Promise<number>;
}

/**
 * Runs `argv` (`events ...`) from the command's bundle and resolves to its exit status,
 * or returns null when the command has no current bundle (the caller then runs the
 * dispatcher).
 */
export function bundledMain(argv: string[]): Promise<number> | null {
  // a command has a bundle when scripts/build.mjs made one (BUNDLED_COMMANDS there)
  const name = argv[0];
  if (name === undefined || !/^[a-z]+$/.test(name)) return null;
  const file = join(__dirname, `${name}.bundle.cjs`);
  const esm = join(__dirname, `${name}.js`);
  if (!existsSync(file) || (existsSync(esm) && statSync(esm).mtimeMs > statSync(file).mtimeMs)) return null;
  const source = readFileSync(file, 'utf8');
  const cacheFile = cacheFileOf(name, source);
  const cachedData = (cacheFile ? readCheckedFile(cacheFile) : null) ?? undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const mod = { exports: {} as BundleMain };
  const wrapper = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  wrapper(mod.exports, require, mod, file, dirname(file));
  return mod.exports.main(argv.slice(1)).finally(() => {
    if (cacheFile && (!cachedData || script.cachedDataRejected)) writeCacheEntry(cacheFile, script.createCachedData());
  });
}

function cacheFileOf(name: string, source: string): string | null {
  const base = cacheBaseDir();
  if (base === null) return null;
  // V8 rejects compiled code made under other V8 flags: node's options (on its command line
  // or in NODE_OPTIONS, e.g. --max-old-space-size) are part of the key, so that runs with
  // and without them each keep their entry instead of replacing each other's every time.
  const options = `${process.execArgv.join('\0')}\0${process.env.NODE_OPTIONS ?? ''}`;
  const key = contentHash(`${contentHash(source)}\0${process.version}\0${process.versions.v8}\0${process.arch}\0${options}`);
  return join(base, 'code', `${name}-${key}.bin`);
}

function writeCacheEntry(cacheFile: string, data: Buffer): void {
  try {
    writeCheckedFile(cacheFile, data);
    pruneCacheDir(dirname(cacheFile), CODE_ENTRIES_KEPT);
  } catch {
    // read-only or full disk: the next run compiles again
  }
}
