/**
 * Launches Debian's Chromium through playwright-core (which ships no browser and is
 * never allowed to download one) with a fresh profile, for the UI tests, the bench and
 * the screenshot script.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface LaunchedBrowser {
  readonly browser: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a throw-away profile directory (removed by close()). */
export async function launchChromium(viewport = { width: 1366, height: 768 }): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tw-ui-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  // launchPersistentContext takes the profile directory itself (a --user-data-dir arg is refused).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: args.filter((a) => !a.startsWith('--user-data-dir') && a !== '--headless'),
    viewport,
    deviceScaleFactor: 1,
  });
  return {
    browser: context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser };
