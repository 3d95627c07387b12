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

test('-h/--help after `--` belong to the command being run, not to tracewire (record -- CMD -h)', async () => {
  const help = await runCli(['events', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: tracewire events/);
  // `-h` after `--` is a positional here (a trace path that does not exist): no help text
  const r = await runCli(['events', '--', '-h']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /-h/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('--port above 65535 is one line and exit 2 (ui, story, demo)', async () => {
  for (const args of [['ui', 'no-such-input', '--port', '70000'], ['story', 'no-such-input', '--port', '70000'], ['demo', '--no-ui', '--port', '70000']]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--port must be a port number \(0–65535\), got 70000/);
  }
});
