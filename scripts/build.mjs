#!/usr/bin/env node
// Builds what is stale: the TypeScript sources (src/ → dist/) and, when it exists, the
// web UI (web/ → web/dist/). `npm start`, `npm test` and `npm ci` (prepare) call this,
// so a fresh clone never runs stale code. `--force` rebuilds everything.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');

function newest(dir, skip = new Set()) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p, skip) : statSync(p).mtimeMs);
  }
  return t;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`build: ${cmd} ${args.join(' ')} failed\n`);
    process.exit(r.status ?? 1);
  }
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const stamp = join(root, 'dist', 'cli', 'main.js');
const srcNewest = Math.max(newest(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (force || !existsSync(stamp) || statSync(stamp).mtimeMs < srcNewest) {
  run(process.execPath, [tsc, '-p', 'tsconfig.json']);
  // tsc keeps the old mtime when output is unchanged; touch the stamp so staleness checks settle.
  const now = new Date();
  (await import('node:fs')).utimesSync(stamp, now, now);
}
await bundleEventsCommand();

/**
 * `tracewire events` starts faster from one file than from the ~35 ESM modules tsc emits
 * for it (resolving, reading and linking them costs more than reading a small trace), so
 * dist/cli/events.js is replaced by an esbuild bundle of the same module. base/errors.js
 * stays a shared import: the dispatcher recognises its error classes with instanceof.
 * esbuild comes with tsx; without it, or if bundling fails, the unbundled tsc output is
 * kept (it works the same, only starts slower).
 */
async function bundleEventsCommand() {
  const out = join(root, 'dist', 'cli', 'events.js');
  const banner = '// bundled by scripts/build.mjs (esbuild) from src/cli/events.ts';
  if (!existsSync(out) || readFileSync(out, 'utf8').startsWith(banner)) return;
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return;
  }
  const errors = join(root, 'src', 'base', 'errors.ts');
  const options = {
    entryPoints: [join(root, 'src', 'cli', 'events.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    banner: { js: banner },
    logLevel: 'warning',
    plugins: [
      {
        name: 'shared-errors',
        setup(build) {
          build.onResolve({ filter: /errors\.js$/ }, (args) => (join(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === errors ? { path: '../base/errors.js', external: true } : undefined));
        },
      },
    ],
  };
  try {
    await esbuild.build(options);
  } catch (err) {
    process.stderr.write(`build: bundling dist/cli/events.js failed, keeping tsc's output: ${err.message}\n`);
  }
}

const web = join(root, 'web');
if (existsSync(join(web, 'index.html'))) {
  const webStamp = join(web, 'dist', 'index.html');
  const webNewest = newest(web, new Set(['dist', 'node_modules']));
  if (force || !existsSync(webStamp) || statSync(webStamp).mtimeMs < webNewest) {
    run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', web]);
  }
}
