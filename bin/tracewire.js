#!/bin/sh
":" //; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then TRACEWIRE_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export TRACEWIRE_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"
// The two lines above are shell (this file is run by /bin/sh, which hands it to node;
// to node the second line is a string and a comment). They keep NODE_EXTRA_CA_CERTS
// from node's start: Node 20 reads and parses that CA bundle before any code runs —
// 34 ms of a 55 ms start here, for TLS that tracewire never uses. The variable is put
// back below, so the commands tracewire starts (record -- CMD, ncat -e) get the
// environment they were given.
//
// CommonJS (bin/package.json): `tracewire events` and `tracewire ncat` start from their
// bundles through dist/cli/fast-start.cjs without Node's ES module loader; every other command goes
// through the dispatcher, dist/cli/main.js. The CLI runs from compiled JavaScript
// (dist/): `npm ci` builds it through the `prepare` script, `npm run build` rebuilds it.
'use strict';
if (process.env.TRACEWIRE_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.TRACEWIRE_NODE_EXTRA_CA_CERTS;
  delete process.env.TRACEWIRE_NODE_EXTRA_CA_CERTS;
}
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
