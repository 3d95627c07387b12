/**
 * The web app's sources type-check (strict, DOM typings) — `npm run lint` covers src/,
 * test/ and bench/ with Node typings; this covers web/ with the browser's — and the build
 * the server serves exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCommand } from '../support/env.js';

test('web/ type-checks with the browser typings', async () => {
  const r = await runCommand(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repoRoot, 'web', 'tsconfig.json')], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('the built app is there, with its script and styles', () => {
  const index = join(repoRoot, 'web', 'dist', 'index.html');
  assert.ok(existsSync(index), 'web/dist/index.html (npm test builds it)');
  const html = readFileSync(index, 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), html);
  for (const a of assets) assert.ok(existsSync(join(repoRoot, 'web', 'dist', a)), a);
});
