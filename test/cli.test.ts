import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './support/env.js';

test('tracewire --help lists the commands and exits 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: tracewire COMMAND/);
  assert.match(r.stdout, /events/);
});

test('an unknown command is one line on stderr and exit 2', async () => {
  const r = await runCli(['no-such-command']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown command 'no-such-command'/);
});
