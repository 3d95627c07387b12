/**
 * `tracewire demo` end to end, as root: two namespaces, ncat server and client (ours
 * through `npm start`, nmap's with --real-ncat), recording, analysis and the printed story,
 * checked against the capture read by tshark. Then the cleanup: nothing of the run may
 * remain — network namespaces, tracefs instance, processes — also when it is interrupted
 * with SIGINT or SIGTERM half-way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { needsCommands, needsRootTracefs, outputDir, repoRoot, runCli, runCommand, type RunResult } from '../support/env.js';
import { checkSeedStory } from './story-checks.js';
import { alive, instancesOf, namespacesWithPrefix, reportedLabTag, reportedPids } from './support.js';

const skip = needsRootTracefs() ?? needsCommands('ncat', 'tcpdump', 'tshark', 'ip', 'ss', 'npm');

function scratch(tag: string): string {
  mkdirSync(join(outputDir, 'demo'), { recursive: true });
  return mkdtempSync(join(outputDir, 'demo', `${tag}-`));
}

/** Everything a finished run must have removed; `demoPid` is the demo's own process. */
function assertNothingLeft(stderr: string, demoPid: number): void {
  const tag = reportedLabTag(stderr);
  assert.ok(tag, `the demo reported its namespaces:\n${stderr}`);
  assert.ok(tag.startsWith(`tw-demo-${demoPid}-`), `namespace names carry the demo's pid ${demoPid}: ${tag}`);
  assert.deepEqual(namespacesWithPrefix(tag), [], 'no namespace of the run is left');
  assert.deepEqual(instancesOf(demoPid), [], 'no tracefs instance of the run is left');
  for (const pid of reportedPids(stderr)) assert.equal(alive(pid), false, `process ${pid} started by the demo is gone`);
  const stateFiles = existsSync('/run/tracewire') ? readdirSync('/run/tracewire').filter((f) => f.startsWith(`tracewire-${demoPid}-`)) : [];
  assert.deepEqual(stateFiles, [], 'no recorder state file of the run is left');
}

test('npm start as root runs the demo: the story of the server ncat (tracewire ncat), checked against tshark; nothing left behind', { skip, timeout: 240_000 }, async () => {
  const dir = join(scratch('npm-start'), 'bundle');
  const r = await runCommand('npm', ['start', '--silent', '--', '--no-ui', '-o', dir], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, `npm start failed:\n${r.stderr}`);
  assert.match(r.stderr, /tracewire demo: server host: namespace tw-demo-\d+-[0-9a-f]+-srv, eth0 10\.77\.0\.1\/24/);
  assert.match(r.stderr, /client host aborts the connection \(ss -K\)/);
  assert.doesNotMatch(r.stderr, /cannot record here/);
  const facts = await checkSeedStory(r.stdout, dir, 'tracewire');
  assert.ok(facts.steps >= 30, `a full story (${facts.steps} steps)`);
  // npm's child is the demo: its pid is in the namespace names.
  const demoPid = Number(/tw-demo-(\d+)-/.exec(r.stderr)![1]);
  assertNothingLeft(r.stderr, demoPid);
  // The bundle is a normal recorder bundle: `tracewire story` tells the same story.
  const again = await runCli(['story', dir, '--pid', String(facts.serverPid)]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, r.stdout.slice(r.stdout.indexOf('Story of ')), 'tracewire story on the bundle prints the same story');
});

test('tracewire demo --real-ncat: nmap ncat on both hosts — select, accept, fcntl, sendto, recvfrom, exit_group like the seed', { skip, timeout: 240_000 }, async () => {
  const dir = join(scratch('real-ncat'), 'bundle');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), 'demo', '--no-ui', '--real-ncat', '-o', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await collect(child, 180_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /server host tw-demo-\d+-[0-9a-f]+-srv: ncat --listen 10\.77\.0\.1 5000/);
  await checkSeedStory(r.stdout, dir, 'nmap');
  // nmap's ncat: the seed's own system calls.
  assert.match(r.stdout, /pselect6\(nfds \d+: .*3 = listen 10\.77\.0\.1:5000\) blocks/);
  assert.match(r.stdout, /fcntl\(\d+ = listen 10\.77\.0\.1:5000, F_SETFL, O_RDWR\|O_NONBLOCK\)/);
  assert.match(r.stdout, /^\s*\d+\. .* exec: \/usr\/bin\/ncat starts/m);
  assertNothingLeft(r.stderr, child.pid!);
});

function collect(child: ReturnType<typeof spawn>, timeoutMs: number, onStderr?: (text: string) => void): Promise<RunResult> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      onStderr?.(err);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: out, stderr: err });
    });
  });
}

for (const [signal, when] of [
  ['SIGINT', /server types "Hello/],
  ['SIGTERM', /client host tw-demo/],
] as const) {
  test(`${signal} half-way through (after "${when.source}"): exit 130, bundle finished, namespaces, instance and processes gone`, { skip, timeout: 120_000 }, async () => {
    const dir = join(scratch(signal.toLowerCase()), 'bundle');
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), 'demo', '--no-ui', '-o', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let sent = false;
    const r = await collect(child, 90_000, (err) => {
      if (!sent && when.test(err)) {
        sent = true;
        child.kill(signal);
      }
    });
    assert.ok(sent, `the demo reached the point to interrupt:\n${r.stderr}`);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, new RegExp(`${signal}: stopping, cleaning up`));
    assert.match(r.stderr, /interrupted; what was recorded is in /);
    const bundle = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as { stop_reason: string };
    assert.equal(bundle.stop_reason, 'signal');
    assert.equal(r.stdout, '', 'no story for an interrupted run');
    assertNothingLeft(r.stderr, child.pid!);
  });
}

test('--keep leaves the namespaces (and says how to remove them); nothing else remains', { skip, timeout: 180_000 }, async (t) => {
  const dir = join(scratch('keep'), 'bundle');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), 'demo', '--no-ui', '--keep', '-o', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await collect(child, 150_000);
  const tag = reportedLabTag(r.stderr);
  t.after(() => {
    if (tag) for (const ns of namespacesWithPrefix(tag)) spawnSync('ip', ['netns', 'del', ns]);
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(tag);
  assert.deepEqual(namespacesWithPrefix(tag).sort(), [`${tag}-cli`, `${tag}-srv`]);
  assert.match(r.stderr, new RegExp(`kept namespaces ${tag}-srv and ${tag}-cli \\(remove with: ip netns del ${tag}-srv; ip netns del ${tag}-cli\\)`));
  // The hosts are still there, addressed as during the run.
  assert.match(spawnSync('ip', ['-n', `${tag}-srv`, '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' }).stdout, /inet 10\.77\.0\.1\/24/);
  assert.match(spawnSync('ip', ['-n', `${tag}-cli`, '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' }).stdout, /inet 10\.77\.0\.2\/24/);
  assert.deepEqual(instancesOf(child.pid!), []);
  for (const pid of reportedPids(r.stderr)) assert.equal(alive(pid), false);
  for (const ns of namespacesWithPrefix(tag)) assert.deepEqual(spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.trim(), '', `no process left in ${ns}`);
  rmSync(dir, { recursive: true, force: true });
});

test('bad usage: one line on stderr, exit 2', async () => {
  for (const args of [['demo', 'extra'], ['demo', '--port', 'x'], ['demo', '--bogus']]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^tracewire: demo: /);
  }
});
