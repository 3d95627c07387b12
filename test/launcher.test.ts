/**
 * bin/tracewire.js is run by /bin/sh first (npm links it as the `tracewire` command): the
 * shell keeps NODE_EXTRA_CA_CERTS from node's start-up, which in Node 20 reads and parses
 * the CA bundle before any code runs (34 ms of 55 on this machine, for TLS tracewire never
 * uses), and the launcher puts the variable back for the commands tracewire starts.
 * Node reports a CA file it cannot load on stderr at start-up, so a missing file shows
 * whether node's start read the variable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { chmodSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { outputDir, repoRoot, runCommand, sharedTraces } from './support/env.js';

const launcher = join(repoRoot, 'bin', 'tracewire.js');
const work = join(outputDir, `launcher-${process.pid}`);
const missingCaFile = join(work, 'no-such-ca-bundle.pem');
const trace = join(sharedTraces, 'babeltrace', 'succeed', 'succeed1');

function envWith(value: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.TRACEWIRE_NODE_EXTRA_CA_CERTS;
  if (value !== undefined) env.NODE_EXTRA_CA_CERTS = value;
  return env;
}

test('run as a command, node starts without reading NODE_EXTRA_CA_CERTS', async () => {
  const direct = await runCommand(launcher, ['events', '--count', trace], { env: envWith(missingCaFile) });
  assert.equal(direct.code, 0, direct.stderr);
  assert.equal(direct.stderr, '');
  assert.equal(JSON.parse(direct.stdout).events, 7809);
  // what the shell line spares: node itself, given the variable, reads the file at start-up
  const viaNode = await runCommand(process.execPath, [launcher, 'events', '--count', trace], { env: envWith(missingCaFile) });
  assert.equal(viaNode.code, 0, viaNode.stderr);
  assert.match(viaNode.stderr, /Ignoring extra certs from `.*no-such-ca-bundle\.pem`/);
});

test('arguments reach tracewire unchanged through the shell (spaces, quotes, exit status)', async () => {
  rmSync(work, { recursive: true, force: true });
  const dir = join(work, `a trace 'with' "quotes"`);
  mkdirSync(work, { recursive: true });
  cpSync(trace, dir, { recursive: true });
  chmodSync(dir, 0o755); // the shared traces are read-only: let rmSync empty the copy
  const r = await runCommand(launcher, ['events', '--count', dir], { env: envWith(undefined) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).events, 7809);
  const bad = await runCommand(launcher, ['events', '--count', join(work, 'missing dir')], { env: envWith(undefined) });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /missing dir/);
  rmSync(work, { recursive: true, force: true });
});

/** What a command started by `tracewire ncat --sh-exec` sees of the two variables. */
async function childSees(value: string | undefined): Promise<string> {
  const received: Buffer[] = [];
  const server = createServer((sock) => sock.on('data', (d: Buffer) => received.push(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const shown = 'printf "%s|%s" "${NODE_EXTRA_CA_CERTS-unset}" "${TRACEWIRE_NODE_EXTRA_CA_CERTS-unset}"';
    const r = await runCommand(launcher, ['ncat', '127.0.0.1', String(port), '--sh-exec', shown], { env: envWith(value), timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    return Buffer.concat(received).toString('utf8');
  } finally {
    server.close();
  }
}

test('commands tracewire starts get NODE_EXTRA_CA_CERTS as tracewire was given it', async () => {
  assert.equal(await childSees('/etc/ssl/certs/some bundle.pem'), '/etc/ssl/certs/some bundle.pem|unset');
  assert.equal(await childSees(''), '|unset');
  assert.equal(await childSees(undefined), 'unset|unset');
});
