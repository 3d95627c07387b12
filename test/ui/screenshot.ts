/**
 * Produces the README's screenshot of the UI: opens `tracewire ui` on a bundle (the one
 * given, else a seed bundle recorded now — root needed), selects the server's accept4 step
 * of the story with the SYN packet's kernel events marked, and saves a 1366×768 PNG.
 *
 *   node --import tsx test/ui/screenshot.ts [BUNDLE] [--out FILE] [--theme light|dark]
 *
 * Default output: test-output/ui/screenshot.png (git-ignored); pass --out docs/ui.png to
 * refresh the README's image.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { outputDir } from '../support/env.js';
import { launchChromium } from './support/browser.js';
import { recordSeedBundle, type SeedBundle } from './support/seed-bundle.js';
import { startUiProcess } from './support/ui-process.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = resolve(flag('out') ?? join(outputDir, 'ui', 'screenshot.png'));
const theme = flag('theme') === 'dark' ? 'dark' : 'light';
const given = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--')));

let seed: SeedBundle | null = null;
const bundle = given ?? (seed = await recordSeedBundle('shot')).dir;
const ui = await startUiProcess([bundle], ['--quiet']);
const browser = await launchChromium({ width: 1366, height: 768 });
try {
  await ui.ready();
  const page = await browser.browser.newPage();
  await page.goto(`${ui.url}#theme=${theme}&tab=story&top=threads`);
  await page.waitForSelector('body[data-ready="true"]');
  // The story appears once the server's correlation is done.
  await page.locator('.story li').first().waitFor({ timeout: 120_000 });
  // the step whose title is the accept call (other steps' text mentions accept() too)
  const step = page.locator('.story li').filter({ has: page.locator('span.txt > b', { hasText: /^accept4?\(/ }) }).first();
  if ((await step.count()) > 0) {
    await step.click();
    await step.scrollIntoViewIfNeeded();
  }
  await page.waitForTimeout(1200);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  process.stdout.write(`screenshot: ${out}\n`);
} finally {
  await browser.close();
  await ui.stop();
  seed?.cleanup();
}
