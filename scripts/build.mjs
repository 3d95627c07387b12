#!/usr/bin/env node
// Builds what is stale: the TypeScript sources (src/ → dist/) and, when it exists, the
// web UI (web/ → web/dist/). `npm start`, `npm test` and `npm ci` (prepare) call this,
// so a fresh clone never runs stale code. `--force` rebuilds everything.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Buffer } from 'node:buffer';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
/** Commands bundled for a fast start (see bundleCommand; src/cli/fast-start.cts runs any bundle it finds). */
const BUNDLED_COMMANDS = ['events', 'ncat'];

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
for (const name of BUNDLED_COMMANDS) await bundleCommand(name);

/**
 * Commands run often on small inputs, where start-up is most of the time: `events` (small
 * traces) and `ncat` (a netcat; the demo's two ncat processes, whose start-up is in the
 * recorded story). Each starts faster from one file than from the dozens of ESM modules
 * tsc emits for it, and faster still when V8 can reuse its compiled code:
 * dist/cli/NAME.bundle.cjs is an esbuild bundle of the command's module behind the same
 * runner the dispatcher uses (help flags, one-line errors, EPIPE), which bin/tracewire.js
 * starts through dist/cli/fast-start.cjs with a V8 code cache.
 * esbuild comes with tsx; without it, or if bundling fails, bin/tracewire.js runs the
 * dispatcher, which imports tsc's dist/cli/NAME.js as for any command (same code, slower
 * start).
 */
async function bundleCommand(name) {
  const esm = join(root, 'dist', 'cli', `${name}.js`);
  const out = join(root, 'dist', 'cli', `${name}.bundle.cjs`);
  if (!existsSync(esm) || (existsSync(out) && statSync(out).mtimeMs >= statSync(esm).mtimeMs)) return;
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return;
  }
  const entry = [
    `import * as command from './${name}.js';`,
    "import { endQuietlyOnEpipe, runCommandModule } from './run-command.js';",
    'export function main(argv: string[]): Promise<number> {',
    '  endQuietlyOnEpipe();',
    '  return runCommandModule(command, argv);',
    '}',
  ].join('\n');
  try {
    await esbuild.build({
      stdin: { contents: entry, resolveDir: join(root, 'src', 'cli'), sourcefile: `${name}-bundle-entry.ts`, loader: 'ts' },
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      // modules resolve files next to themselves (the count workers): in the bundle, next to it
      banner: { js: '"use strict";\nconst __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
      define: { 'import.meta.url': '__bundleUrl', ...(await bundleConstants()) },
      logLevel: 'warning',
    });
  } catch (err) {
    process.stderr.write(`build: bundling ${out} failed (tracewire ${name} will load dist/cli/${name}.js): ${err.message}\n`);
  }
}

/**
 * Constants the bundles carry ready-made: the WebAssembly counting interpreter's bytes
 * (src/ctf/decode/wasm-count/counter.ts uses them instead of assembling the module at
 * each start), made from the freshly built dist/ so they cannot be stale.
 */
async function bundleConstants() {
  const { interpreterModuleBytes } = await import(pathToFileURL(join(root, 'dist', 'ctf', 'decode', 'wasm-count', 'interpreter.js')).href);
  return { TRACEWIRE_COUNT_WASM: JSON.stringify(Buffer.from(interpreterModuleBytes()).toString('base64')) };
}

const web = join(root, 'web');
if (existsSync(join(web, 'index.html'))) {
  const webStamp = join(web, 'dist', 'index.html');
  const webNewest = newest(web, new Set(['dist', 'node_modules']));
  if (force || !existsSync(webStamp) || statSync(webStamp).mtimeMs < webNewest) {
    run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', web]);
  }
}
