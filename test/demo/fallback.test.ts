/**
 * `npm start` for a newcomer without root: one line saying why nothing is recorded, then
 * the committed sample bundle's story and UI. Run for real as an unprivileged user
 * (`nobody`, through setpriv) when the tests run as root; as the current user otherwise.
 * Also: the sample bundle itself is valid for the reference tools (babeltrace2, tshark)
 * and tells the whole seed story.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, needsCommands, repoRoot, runCommand } from '../support/env.js';
import { checkSeedStory } from './story-checks.js';
import { oracleFrames } from './support.js';

const sampleDir = join(repoRoot, 'samples', 'seed-demo');
const NOBODY = 65534;

/** A HOME for the unprivileged user (npm wants one for its cache and logs). */
function unprivilegedHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'tw-demo-home-'));
  if (isRoot) chownSync(home, NOBODY, NOBODY);
  return home;
}

/** argv prefix that runs a command as an unprivileged user (none when we are not root). */
function asUnprivileged(): string[] {
  return isRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'] : [];
}

function unprivilegedEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, USER: 'nobody', LANG: 'C.UTF-8', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', CI: process.env.CI };
}

const skipSetpriv = isRoot ? needsCommands('setpriv', 'npm') : needsCommands('npm');

let unprivilegedCheckout: string | undefined;
/**
 * A checkout the unprivileged user can read: this one, or — when it lives where `nobody`
 * cannot go (a clone under /root) — a copy of what `npm start` needs (mtimes kept, so
 * the build step finds nothing stale), as a user's own install would be.
 */
function checkoutForUnprivileged(): string {
  if (unprivilegedCheckout) return unprivilegedCheckout;
  // TW_TEST_COPY_CHECKOUT=1 forces the copy (to test that path on a readable checkout).
  const readable = process.env.TW_TEST_COPY_CHECKOUT !== '1' && (!isRoot || spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', 'test', '-r', join(repoRoot, 'package.json')]).status === 0);
  if (readable) return (unprivilegedCheckout = repoRoot);
  const copy = mkdtempSync(join(tmpdir(), 'tw-demo-checkout-'));
  chmodSync(copy, 0o755);
  for (const entry of ['package.json', 'tsconfig.json', 'bin', 'dist', 'scripts', 'samples', 'src', 'web']) {
    const r = spawnSync('cp', ['-a', join(repoRoot, entry), copy]);
    assert.equal(r.status, 0, `copying ${entry}: ${r.stderr}`);
  }
  rmSync(join(copy, 'web', 'node_modules'), { recursive: true, force: true });
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
  return (unprivilegedCheckout = copy);
}

test('npm start as an unprivileged user: one line why, then the sample bundle\'s full story', { skip: skipSetpriv, timeout: 180_000 }, async (t) => {
  // Root first makes sure dist/ and web/dist/ are current, so the unprivileged build step
  // of `npm start` has nothing to write in a root-owned checkout.
  if (isRoot) assert.equal(spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { stdio: 'ignore' }).status, 0);
  const home = unprivilegedHome();
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const checkout = checkoutForUnprivileged();
  const [cmd, ...args] = [...asUnprivileged(), 'npm', 'start', '--silent', '--', '--no-ui'];
  const r = await runCommand(cmd!, args, { env: unprivilegedEnv(home), timeoutMs: 150_000, cwd: checkout });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `exactly one line on stderr:\n${r.stderr}`);
  assert.match(lines[0]!, /^tracewire demo: cannot record here — not root: recording kernel events and creating network namespaces need root \(sudo npm start\); showing the sample bundle samples\/seed-demo, recorded with `tracewire demo( --real-ncat)?` instead$/);
  await checkSeedStory(r.stdout, sampleDir, 'nmap');
});

test('the unprivileged fallback serves the web UI on the sample (killed by PID afterwards)', { skip: isRoot ? needsCommands('setpriv') : undefined, timeout: 180_000 }, async (t) => {
  const home = unprivilegedHome();
  const checkout = checkoutForUnprivileged();
  const [cmd, ...args] = [...asUnprivileged(), process.execPath, join(checkout, 'bin', 'tracewire.js'), 'demo', '--fallback-sample'];
  const child = spawn(cmd!, args, { env: unprivilegedEnv(home), cwd: checkout, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${err}`)), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /The web UI on this bundle: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before printing the URL:\n${err}`)));
  });
  assert.match(out, /^Story of 10\.77\.0\.1:5000 ↔ 10\.77\.0\.2:\d+ TCP/m, 'the story is printed before the UI starts');
  const end = Date.now() + 120_000;
  for (;;) {
    const status = (await (await fetch(new URL('api/status', url))).json()) as { ready: boolean; error: string | null };
    if (status.ready) {
      assert.equal(status.error, null);
      break;
    }
    assert.ok(Date.now() < end, 'the UI finished its analyses in time');
    await new Promise((r) => setTimeout(r, 200));
  }
  const page = await (await fetch(url)).text();
  assert.match(page, /<title>tracewire<\/title>/);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'Ctrl-C/SIGTERM ends the UI cleanly');
});

test('tracewire demo without --fallback-sample, unprivileged: exactly one line saying why, exit 2', { skip: isRoot ? needsCommands('setpriv') : undefined }, async () => {
  const home = unprivilegedHome();
  try {
    const checkout = checkoutForUnprivileged();
    const [cmd, ...args] = [...asUnprivileged(), process.execPath, join(checkout, 'bin', 'tracewire.js'), 'demo', '--no-ui'];
    const r = await runCommand(cmd!, args, { env: unprivilegedEnv(home), cwd: checkout });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'tracewire: demo: not root: recording kernel events and creating network namespaces need root (sudo npm start)\n');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the committed sample is a small, valid bundle: babeltrace2 reads its kernel trace, tshark its 16 frames', { skip: needsCommands('babeltrace2', 'tshark') }, async () => {
  const size = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
  const bytes = size(sampleDir);
  assert.ok(bytes < 5 * 1024 * 1024, `the sample stays small (${bytes} bytes)`);
  assert.match(readFileSync(join(repoRoot, 'samples', 'README.md'), 'utf8'), /tracewire demo --real-ncat/);
  const bt = await runCommand('babeltrace2', ['--output-format=dummy', join(sampleDir, 'kernel')]);
  assert.equal(bt.code, 0, bt.stderr);
  const frames = await oracleFrames(join(sampleDir, 'capture.pcapng'));
  assert.equal(frames.length, 16, 'both hosts captured the 8 segments: SYN, SYN-ACK, ACK, Hello, ACK, line, ACK, RST');
  assert.ok(frames.every((f) => f.tcp && (f.sport === 5000 || f.dport === 5000)));
  const bundle = JSON.parse(readFileSync(join(sampleDir, 'bundle.json'), 'utf8')) as { lost_events: number };
  assert.equal(bundle.lost_events, 0);
});
