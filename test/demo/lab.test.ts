/**
 * The demo's building blocks as root: the two-host lab (namespaces, veth, addresses,
 * permanent neighbours, no IPv6) and its removal — also of processes still running inside
 * — and the scripted session's failure path (a server that cannot start: a bounded,
 * one-line error and no process left).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TracewireError } from '../../src/base/errors.js';
import { DemoLab, netnsExists, netnsPids } from '../../src/demo/lab.js';
import { ProcessTracker } from '../../src/demo/processes.js';
import { runDemo } from '../../src/demo/run-demo.js';
import { runSeedSession } from '../../src/demo/seed-session.js';
import { needsCommands, needsRootTracefs, outputDir } from '../support/env.js';
import { alive, namespacesWithPrefix } from './support.js';

const skip = needsRootTracefs() ?? needsCommands('ip', 'ss');

function ipOut(args: string[]): string {
  return spawnSync('ip', args, { encoding: 'utf8' }).stdout;
}

test('DemoLab: two hosts joined by veth, addressed, neighbours known, IPv6 off; destroy() kills what runs inside and removes everything', { skip }, async () => {
  const lab = DemoLab.create({ prefix: 'tw-demotest' });
  try {
    assert.match(lab.server.netns, new RegExp(`^tw-demotest-${process.pid}-[0-9a-f]{4}-srv$`));
    assert.equal(lab.client.netns, `${lab.tag}-cli`);
    assert.ok(netnsExists(lab.server.netns) && netnsExists(lab.client.netns));
    assert.match(ipOut(['-n', lab.server.netns, '-o', 'addr', 'show', 'eth0']), /inet 10\.77\.0\.1\/24/);
    assert.match(ipOut(['-n', lab.client.netns, '-o', 'addr', 'show', 'eth0']), /inet 10\.77\.0\.2\/24/);
    assert.doesNotMatch(ipOut(['-n', lab.server.netns, '-o', 'addr']), /inet6/);
    assert.match(ipOut(['-n', lab.server.netns, 'link', 'show', 'lo']), /UP/);
    assert.match(ipOut(['-n', lab.server.netns, 'neigh', 'show', '10.77.0.2']), /PERMANENT/);
    assert.match(ipOut(['-n', lab.client.netns, 'neigh', 'show', '10.77.0.1']), /PERMANENT/);
    // The veth peer of the server's eth0 is the client's eth0.
    assert.match(ipOut(['-n', lab.server.netns, '-d', '-o', 'link', 'show', 'eth0']), /veth/);

    const sleeper = spawn('ip', ['netns', 'exec', lab.server.netns, 'sleep', '60'], { stdio: 'ignore' });
    const end = Date.now() + 5000;
    while (!netnsPids(lab.server.netns).includes(sleeper.pid!) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(netnsPids(lab.server.netns).includes(sleeper.pid!), 'the process runs in the server namespace');
    const exited = new Promise((r) => sleeper.on('exit', r));
    assert.deepEqual(lab.destroy(), []);
    await exited;
    assert.deepEqual(namespacesWithPrefix(lab.tag), []);
    assert.deepEqual(lab.destroy(), [], 'destroy() twice is harmless');
  } finally {
    lab.destroy();
  }
});

test('a session whose server cannot start fails in one line, in bounded time, with no process left', { skip }, async () => {
  const lab = DemoLab.create({ prefix: 'tw-demotest' });
  const tracker = new ProcessTracker();
  try {
    // `false` exits at once with 1, as an ncat that cannot listen would.
    await assert.rejects(
      runSeedSession({ lab, ncat: ['false'], tracker, stepTimeoutMs: 3000 }),
      (err: Error) => err instanceof TracewireError && /^demo: waiting for the server to listen on 10\.77\.0\.1:5000, the server ncat exited \(1\)/.test(err.message),
    );
    assert.deepEqual(tracker.livePids(), []);
  } finally {
    assert.deepEqual(lab.destroy(), []);
  }
  assert.deepEqual(namespacesWithPrefix(lab.tag), []);
});

test('an aborted session kills its processes at once', { skip: skip ?? needsCommands('ncat') }, async () => {
  const lab = DemoLab.create({ prefix: 'tw-demotest' });
  const tracker = new ProcessTracker();
  const controller = new AbortController();
  const pids: number[] = [];
  try {
    const session = runSeedSession({ lab, ncat: ['ncat'], tracker, signal: controller.signal, onStep: (l) => {
      const m = /\(pid (\d+)\)/.exec(l);
      if (m) pids.push(Number(m[1]));
      if (l.startsWith('client host')) controller.abort();
    } });
    await assert.rejects(session, /demo: interrupted/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.equal(alive(pid), false, `ncat ${pid} was killed`);
  } finally {
    lab.destroy();
  }
});

test('runDemo refuses a non-empty output directory before creating anything', { skip }, async () => {
  const dir = join(outputDir, 'demo', `nonempty-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'x'), 'x');
  const before = namespacesWithPrefix(`tw-demo-${process.pid}-`);
  await assert.rejects(runDemo({ outDir: dir }), /demo: output directory .* is not empty/);
  assert.deepEqual(namespacesWithPrefix(`tw-demo-${process.pid}-`), before);
});
