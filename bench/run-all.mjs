#!/usr/bin/env node
/**
 * Runs every benchmark in bench/ (each `bench/*.ts`, as `node --import tsx bench/X.ts`),
 * one after the other, showing their output as it comes, then prints the lines of each
 * that state a ratio against the peer tool (or a target), with the bench's status.
 *
 *   node bench/run-all.mjs [--quick] [NAME...]      (npm run bench -- --quick)
 *
 * `--quick` is passed to the benches that accept it (smaller inputs, fewer runs); NAME
 * runs only the benches whose file name contains it. A failing bench (missing tool, no
 * root, ...) is reported and the others still run; the exit status is 1 if any failed.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));

const benches = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

/** Lines worth repeating in the summary: ratios against peers, targets, floors. */
const RATIO = /ratio|×|\btarget\b|faster|slower|floor/i;

function run(file) {
  return new Promise((resolve) => {
    const source = readFileSync(join(benchDir, file), 'utf8');
    const benchArgs = quick && /\bquick\s*:\s*\{\s*type/.test(source) ? ['--quick'] : [];
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', file), ...benchArgs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop();
      lines.push(...parts);
    });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('close', (code, signal) => {
      if (pending) lines.push(pending);
      resolve({ file, code: code ?? (signal ? 128 : 1), seconds: (Date.now() - started) / 1000, ratios: lines.filter((l) => RATIO.test(l)), quick: benchArgs.length > 0 });
    });
  });
}

const results = [];
for (const file of benches) {
  process.stdout.write(`\n===== bench/${file}${quick ? ' (--quick)' : ''} =====\n`);
  results.push(await run(file));
}

process.stdout.write('\n===== summary =====\n');
for (const r of results) {
  const status = r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`;
  process.stdout.write(`\nbench/${r.file}: ${status}, ${r.seconds.toFixed(0)} s${r.quick ? ', --quick' : ''}\n`);
  for (const l of r.ratios) process.stdout.write(`  ${l.trim()}\n`);
}
const failed = results.filter((r) => r.code !== 0);
process.stdout.write(`\n${results.length - failed.length} of ${results.length} benches ran${failed.length ? `; failed: ${failed.map((r) => r.file).join(', ')}` : ''}\n`);
process.exitCode = failed.length ? 1 : 0;
