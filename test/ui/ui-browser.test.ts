/**
 * The web UI in a real browser: Debian's Chromium driven by playwright-core opens
 * `tracewire ui` on a bundle of the seed experiment recorded here (root + tracefs), and
 * checks that every view shows what it must — the SYN row in Packets, the ncat threads
 * in Threads, CPU rows in Resources, the accept4 step in the Story, kernel events in
 * Events, the handshake in the Flow graph — that the links work (packet → kernel events
 * and cursor, story step → zoom, the URL reopens the same view), that keys zoom and pan,
 * that both themes render at 1366×768, and that the console stays clean. Screenshots go
 * to test-output/ui/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { needsCommands, needsRootTracefs, outputDir, repoRoot } from '../support/env.js';
import { CHROMIUM, launchChromium, type LaunchedBrowser } from './support/browser.js';
import { recordSeedBundle, type SeedBundle } from './support/seed-bundle.js';
import { startUiProcess, type UiProcess } from './support/ui-process.js';

const shots = join(outputDir, 'ui');
const skip = needsRootTracefs() ?? needsCommands('ip', 'tcpdump') ?? (existsSync(CHROMIUM) ? undefined : `needs ${CHROMIUM} (installed by .ci/run)`);

function hashParams(page: Page): URLSearchParams {
  return new URLSearchParams(new URL(page.url()).hash.slice(1));
}

async function waitForHash(page: Page, pred: (q: URLSearchParams) => boolean, what: string): Promise<URLSearchParams> {
  const end = Date.now() + 10_000;
  for (;;) {
    const q = hashParams(page);
    if (pred(q)) return q;
    if (Date.now() > end) throw new Error(`URL never showed ${what}: ${page.url()}`);
    await page.waitForTimeout(100);
  }
}

describe('web UI in Chromium on a recorded seed bundle', { skip, timeout: 600_000 }, () => {
  let bundle: SeedBundle;
  let ui: UiProcess;
  let browser: LaunchedBrowser;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(join(repoRoot, 'web', 'dist', 'index.html')), 'web/dist is built (npm test builds it)');
    mkdirSync(shots, { recursive: true });
    bundle = await recordSeedBundle('b');
    ui = await startUiProcess([bundle.dir]);
    browser = await launchChromium({ width: 1366, height: 768 });
    page = await browser.browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(ui.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 300_000 });
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    bundle?.cleanup();
  });

  test('the CLI printed a loopback URL and reported progress', () => {
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(ui.stderr(), /Indexed [\d,]+ kernel events/);
    assert.match(ui.stderr(), /Analysed \d+ packets/);
  });

  test('Packets lists the SYN, with its detail tree and the process column', async () => {
    await page.click('button.tab[data-tab="packets"]');
    // The host's own traffic is captured too: narrow the list to the seed's port, as in Wireshark.
    const filter = page.locator('.view[data-view="packets"] input[aria-label="display filter"]');
    await filter.fill(`tcp.port == ${bundle.port}`);
    await filter.press('Enter');
    await waitForHash(page, (h) => h.get('pf') === `tcp.port == ${bundle.port}`, 'the display filter');
    const syn = page.locator('.view[data-view="packets"] .row', { hasText: '[SYN]' }).first();
    await syn.waitFor();
    assert.match((await syn.textContent()) ?? '', new RegExp(`${bundle.clientAddr}.*${bundle.serverAddr}.*5000 \\[SYN\\] Seq=0`));
    await syn.click();
    await page.locator('.detail .tree', { hasText: 'Transmission Control Protocol' }).waitFor();
    const tree = (await page.locator('.detail .tree').textContent()) ?? '';
    assert.match(tree, /Internet Protocol Version 4, Src: /);
    assert.match(tree, /Flags/);
    const q = await waitForHash(page, (h) => (h.get('sel') ?? '').startsWith('packet:') && h.has('c'), 'the selected packet');
    assert.equal(q.get('tab'), 'packets');
    // The Process column fills in when the server's correlation is done.
    await page.locator('.view[data-view="packets"] .row', { hasText: /\[SYN\]/ }).filter({ hasText: 'ncat[' }).first().waitFor({ timeout: 120_000 });
    await page.screenshot({ path: join(shots, 'packets.png') });
  });

  test('selecting a packet highlights its kernel events and the woken thread', async () => {
    const links = page.locator('.detail .links');
    await links.locator('text=Kernel events').waitFor({ timeout: 15_000 });
    const text = (await links.textContent()) ?? '';
    assert.match(text, /net_|softirq|skb|irq/i, text);
    // The Events table marks the linked events.
    await page.click('button.tab[data-tab="events"]');
    await page.locator('.view[data-view="events"] .row.linked').first().waitFor({ timeout: 15_000 });
  });

  test('the handshake’s last ACK links to the server thread it woke; following the link filters Events to it', async () => {
    await page.click('button.tab[data-tab="packets"]');
    const filter = page.locator('.view[data-view="packets"] input[aria-label="display filter"]');
    const expr = `tcp.port == ${bundle.port} && tcp.seq == 1 && tcp.ack == 1 && tcp.len == 0 && !tcp.flags.syn`;
    await filter.fill(expr);
    await filter.press('Enter');
    await waitForHash(page, (h) => h.get('pf') === expr, 'the display filter');
    const rows = page.locator('.view[data-view="packets"] .row:visible');
    await rows.first().waitFor();
    let woke = false;
    for (let k = 0; k < (await rows.count()) && !woke; k++) {
      const no = ((await rows.nth(k).locator('div').first().textContent()) ?? '').trim();
      await rows.nth(k).click();
      // Wait for this frame's detail (not the previous one's) and its kernel links.
      const links = page.locator('.detail .links', { hasText: `Frame ${no} at` });
      await links.locator('text=Kernel events').waitFor({ timeout: 15_000 });
      woke = (await links.locator('a', { hasText: /^tid \d+$/ }).count()) > 0;
    }
    assert.ok(woke, 'one copy of the ACK (the one the server received) woke a thread');
    const tidLink = page.locator('.detail .links a', { hasText: /^tid \d+$/ }).first();
    const tid = ((await tidLink.textContent()) ?? '').replace('tid ', '');
    await tidLink.click();
    const q = await waitForHash(page, (h) => h.get('sel') === `thread:${tid}` && h.get('et') === tid, 'the woken thread selected and the Events filter');
    assert.equal(q.get('tab'), 'events');
    await page.locator('.view[data-view="events"] .row:visible', { hasText: 'ncat' }).first().waitFor({ timeout: 15_000 });
    // Back to the unfiltered views for the next tests.
    await page.locator('.view[data-view="events"] button', { hasText: 'Clear' }).click();
    await page.click('button.tab[data-tab="packets"]');
    await filter.fill(`tcp.port == ${bundle.port}`);
    await filter.press('Enter');
  });

  test('Threads shows the ncat threads, Resources the CPUs', async () => {
    await page.click('button.tab[data-tab="threads"]');
    const threads = await page.locator('.view[data-view="threads"] .sr-only li').allTextContents();
    assert.ok(threads.some((t) => /^ncat\b/.test(t)), `ncat among ${threads.length} thread rows: ${threads.slice(0, 20).join(', ')}`);
    await page.screenshot({ path: join(shots, 'threads.png') });
    await page.click('button.tab[data-tab="resources"]');
    const resources = await page.locator('.view[data-view="resources"] .sr-only li').allTextContents();
    assert.ok(resources.some((t) => /^CPU 0\b/.test(t)), resources.join(', '));
    assert.ok(resources.some((t) => /^CPU 1\b/.test(t)) || resources.filter((t) => t.startsWith('CPU')).length === 1);
    await page.screenshot({ path: join(shots, 'resources.png') });
    await page.click('button.tab[data-tab="threads"]');
  });

  test('the Story tells the accept4 step, and clicking it zooms the timelines to it', async () => {
    await page.click('button.tab[data-tab="story"]');
    const step = page.locator('.story li', { hasText: 'accept4' }).first();
    await step.waitFor({ timeout: 30_000 });
    const before = hashParams(page);
    const spanBefore = Number(before.get('t1')) - Number(before.get('t0'));
    await step.click();
    const q = await waitForHash(page, (h) => (h.get('sel') ?? '').startsWith('step:'), 'the selected step');
    const span = Number(q.get('t1')) - Number(q.get('t0'));
    assert.ok(span < spanBefore / 10, `zoomed in: ${span} < ${spanBefore}/10`);
    await page.screenshot({ path: join(shots, 'story.png') });
  });

  test('Events filters by name and shows the ncat server’s accept4', async () => {
    await page.click('button.tab[data-tab="events"]');
    const names = page.locator('.view[data-view="events"] input[aria-label="event names"]');
    await names.fill('syscall_entry_accept4,syscall_exit_accept4');
    await page.locator('.view[data-view="events"] .row', { hasText: 'syscall_exit_accept4' }).first().waitFor({ timeout: 15_000 });
    const rows = await page.locator('.view[data-view="events"] .row:visible').allTextContents();
    assert.ok(rows.some((r) => r.includes('ncat')), rows.slice(0, 5).join('\n'));
    await names.fill('');
  });

  test('the Flow graph draws the conversation between its two hosts', async () => {
    await page.click('button.tab[data-tab="flow"]');
    const select = page.locator('.view[data-view="flow"] select');
    await select.waitFor();
    const label = (await select.locator('option:checked').textContent()) ?? '';
    assert.match(label, new RegExp(`${bundle.clientAddr}:\\d+ ↔ ${bundle.serverAddr}:5000|${bundle.serverAddr}:5000 ↔ ${bundle.clientAddr}`));
    await page.screenshot({ path: join(shots, 'flow.png') });
  });

  test('Sockets lists the server’s connection', async () => {
    await page.click('button.tab[data-tab="sockets"]');
    const text = (await page.locator('.view[data-view="sockets"]').textContent()) ?? '';
    assert.match(text, new RegExp(`${bundle.serverAddr.replace(/\./g, '\\.')}:5000`));
  });

  test('W/S/A/D and 0 zoom and pan; the URL follows', async () => {
    // Keys act on the page whenever no text field has the focus.
    await page.click('footer.statusbar');
    const q0 = hashParams(page);
    const span0 = Number(q0.get('t1')) - Number(q0.get('t0'));
    await page.keyboard.down('w');
    await page.waitForTimeout(300);
    await page.keyboard.up('w');
    const q1 = await waitForHash(page, (h) => Number(h.get('t1')) - Number(h.get('t0')) < span0 * 0.8, 'a zoom in');
    const span1 = Number(q1.get('t1')) - Number(q1.get('t0'));
    await page.keyboard.down('d');
    await page.waitForTimeout(200);
    await page.keyboard.up('d');
    await waitForHash(page, (h) => Number(h.get('t0')) > Number(q1.get('t0')), 'a pan right');
    await page.keyboard.press('0');
    await waitForHash(page, (h) => Number(h.get('t1')) - Number(h.get('t0')) > span1 * 2, 'show all');
  });

  test('a copied URL reopens the same view and selection', async () => {
    await page.click('button.tab[data-tab="packets"]');
    const filter = page.locator('.view[data-view="packets"] input[aria-label="display filter"]');
    const expr = `tcp.port == ${bundle.port} && tcp.flags.syn && tcp.flags.ack`;
    await filter.fill(expr);
    await filter.press('Enter');
    await waitForHash(page, (h) => h.get('pf') === expr, 'the display filter');
    try {
      await page.locator('.view[data-view="packets"] .row:visible', { hasText: '[SYN, ACK]' }).first().click({ timeout: 15_000 });
    } catch (err) {
      await page.screenshot({ path: join(shots, 'failure-reopen.png') });
      throw err;
    }
    const q = await waitForHash(page, (h) => (h.get('sel') ?? '').startsWith('packet:'), 'the selection');
    await page.waitForTimeout(300);
    const url = page.url();
    const second = await browser.browser.newPage();
    await second.goto(url);
    await second.waitForSelector('body[data-ready="true"]');
    await second.locator('.detail .links', { hasText: 'Frame' }).waitFor();
    assert.equal(await second.locator('button.tab.active[data-tab="packets"]').count(), 1);
    const selected = (await second.locator('.view[data-view="packets"] .row.selected').textContent()) ?? '';
    assert.match(selected, /\[SYN, ACK\]/);
    const q2 = hashParams(second);
    assert.equal(q2.get('t0'), q.get('t0'));
    assert.equal(q2.get('sel'), q.get('sel'));
    await second.close();
  });

  test('the dark theme renders, and the page fits 1366×768', async () => {
    await page.click('button[aria-label="toggle theme"]');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    await page.click('button.tab[data-tab="threads"]');
    await page.click('button.tab[data-tab="packets"]');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'dark.png') });
    // Runs in the page (a string, so this Node-side file needs no DOM typings).
    const overflow = (await page.evaluate('({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight })')) as { w: number; h: number };
    assert.ok(overflow.w <= 1366 && overflow.h <= 768, JSON.stringify(overflow));
    await page.click('button[aria-label="toggle theme"]');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
  });

  test('no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
