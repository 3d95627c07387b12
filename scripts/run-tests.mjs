#!/usr/bin/env node
// Runs the whole suite with Node's test runner (TypeScript through tsx) and ends with one
// line that states the counts. Under CI=true a skipped test fails the run: CI machines are
// root with tracefs and network namespaces, so nothing has a reason to skip there.
//
//   node scripts/run-tests.mjs [PATH_SUBSTRING...]   run only matching test files
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);

function find(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'fixtures' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = [...find(join(root, 'test')), ...find(join(root, 'src'))]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.log('tests: no test files matched');
  process.exit(1);
}

/**
 * What tests must not leave behind: network namespaces and tracefs instances. Listed before
 * and after the run; what is new at the end was leaked by a test.
 */
function systemLeftovers() {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const names = netns.status === 0 ? netns.stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean).map((n) => `netns ${n}`) : [];
  const instances = '/sys/kernel/tracing/instances';
  if (existsSync(instances)) {
    try {
      for (const i of readdirSync(instances)) names.push(`tracefs instance ${i}`);
    } catch {
      // not readable without root: nothing to compare
    }
  }
  return names;
}

const before = new Set(systemLeftovers());
mkdirSync(join(root, 'test-output'), { recursive: true });
// One TAP file per run: several runs (developers, CI shards) may share the tree.
const tap = join(root, 'test-output', `run-${process.pid}.tap`);
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...files,
], { cwd: root, stdio: 'inherit' });

const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
const summary = readFileSync(tap, 'utf8');
const count = (k) => Number((summary.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
const pass = count('pass'), fail = count('fail'), skipped = count('skipped'), todo = count('todo'), cancelled = count('cancelled');
const ci = process.env.CI === 'true';
const skipFails = ci && skipped > 0;
if (skipFails) {
  const names = [...summary.matchAll(/^\s*ok \d+ - (.*) # SKIP(.*)$/gm)].map((m) => `${m[1]}${m[2]}`);
  console.log(`CI=true: ${skipped} skipped test(s) count as failures:\n  ${names.join('\n  ')}`);
}
// Under CI=true nothing else runs on the machine, so anything new was left by this run: a
// failure. Elsewhere other runs may be creating their own, so it is only reported.
const leaked = systemLeftovers().filter((n) => !before.has(n));
if (leaked.length) console.log(`${ci ? 'CI=true: the tests left behind' : 'note: new since the run began (this run or another)'}:\n  ${leaked.join('\n  ')}`);
const failed = code !== 0 || fail > 0 || cancelled > 0 || skipFails || (ci && leaked.length > 0);
console.log(`tests: ${pass} passed, ${fail + cancelled} failed, ${skipped} skipped${todo ? `, ${todo} todo` : ''} — ${failed ? 'FAILED' : 'OK'}`);
rmSync(tap, { force: true });
process.exit(failed ? 1 : 0);
