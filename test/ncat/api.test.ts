/**
 * The in-process API: `runNcat(argv, streamIo(...))` runs a whole ncat session over
 * caller-owned streams and settles with ncat's status once everything is released.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { runNcat, streamIo } from '../../src/ncat/index.js';
import { needsCommands } from '../support/env.js';
import { freePort, pollUntil, Procs } from './support.js';

const skip = needsCommands('ncat');

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

test('runNcat connects to the real ncat and exchanges data over given streams', { skip, timeout: 30_000 }, async (t) => {
  const procs = new Procs(t);
  const { proc: srv, port } = await procs.listener('real', (p) => ['-v', '-l', '127.0.0.1', String(p)]);
  srv.write('from the real ncat\n');
  const stdin = new PassThrough();
  const stdout = sink();
  const stderr = sink();
  const run = runNcat(['-v', '127.0.0.1', String(port)], streamIo({ stdin, stdout: stdout.stream, stderr: stderr.stream }));
  stdin.write('from runNcat\n');
  await pollUntil(() => stdout.text() === 'from the real ncat\n', 10_000, () => stdout.text());
  await srv.stdoutLength(13, 10_000);
  stdin.end();
  srv.endInput();
  assert.equal(await run, 0);
  assert.match(stderr.text(), /^Ncat: Version .*\nNcat: Connected to 127\.0\.0\.1:\d+\.\nNcat: 13 bytes sent, 19 bytes received in \d+\.\d\d seconds\.\n$/);
  assert.equal((await srv.finished(10_000)).code, 0);
});

test('runNcat reports refusal and usage errors through its status', { timeout: 10_000 }, async () => {
  const stderr = sink();
  assert.equal(await runNcat(['127.0.0.1', String(await freePort('tcp'))], streamIo({ stderr: stderr.stream })), 1);
  assert.equal(await runNcat(['--bogus'], streamIo({ stderr: stderr.stream })), 2);
  assert.match(stderr.text(), /^Ncat: Connection refused\.\nNcat: unrecognized option '--bogus'/);
});
