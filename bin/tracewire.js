#!/usr/bin/env node
// The CLI runs from compiled JavaScript (dist/) for a fast start; `npm ci` builds it
// through the `prepare` script, `npm run build` rebuilds it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('tracewire: not built yet; run `npm run build` (or `npm ci`) first\n');
  process.exit(2);
}
const { main: run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
