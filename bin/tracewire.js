#!/usr/bin/env node
// CommonJS (bin/package.json): `tracewire events` starts from its bundle through
// dist/cli/fast-start.cjs without Node's ES module loader; every other command goes
// through the dispatcher, dist/cli/main.js. The CLI runs from compiled JavaScript
// (dist/): `npm ci` builds it through the `prepare` script, `npm run build` rebuilds it.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const cli = join(__dirname, '..', 'dist', 'cli');
const main = join(cli, 'main.js');
if (!existsSync(main)) {
  process.stderr.write('tracewire: not built yet; run `npm run build` (or `npm ci`) first\n');
  process.exit(2);
}
const argv = process.argv.slice(2);
const fast = existsSync(join(cli, 'fast-start.cjs')) ? require(join(cli, 'fast-start.cjs')).bundledMain(argv) : null;
(fast ?? import(pathToFileURL(main).href).then((m) => m.main(argv))).then((code) => {
  process.exitCode = code;
});
