import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatConfig, startBot, type Bot } from '../chat/support.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout, webTemplate } from '../support/workloads.ts';

/**
 * The web console in a real browser: Debian's Chromium, driven by playwright-core, against the
 * real API role and worker on the local control plane. Alice types a deploy, her own Approve is
 * refused where she can see it, Bob approves, and the message goes to "succeeded" in place.
 * Screenshots of each step go to test-output/console/.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../../test-output/console/', import.meta.url));

let ns: string;
let bot: Bot;
let browser: Browser;
let page: Page;
let shot = 0;

async function screenshot(name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: `${SHOTS}${String(shot).padStart(2, '0')}-${name}.png`, fullPage: true });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  mkdirSync(SHOTS, { recursive: true });
  const n = await testNamespace({ clusters: ['gz'], prefix: 'browser', scope: 'file' });
  ns = n.name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 2, tag: 'v1' }));
  bot = await startBot(chatConfig(ns, { mode: 'local' }));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Nothing may load from anywhere but the bot itself.
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
  page = await context.newPage();
  // Approvals in prod ask "are you sure?" first: say yes.
  page.on('dialog', (d) => void d.accept());
});

afterAll(async () => {
  await browser?.close();
  await bot?.stop();
});

describe('web console in Chromium', () => {
  it('alice asks for a deploy, her own Approve is refused, bob approves, the message reaches succeeded', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${bot.api.url}/console/`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await page.locator('#as').selectOption('alice');
    await screenshot('start-as-alice');

    await page.locator('#input').fill('/deploy web v2 to prod');
    await page.locator('#input').press('Enter');
    const approve = page.locator('#messages button[data-action="approve"]').last();
    await approve.waitFor({ timeout: 15_000 });
    const entry = page.locator('#messages li.entry-bot').filter({ has: page.locator('button[data-action="approve"]') }).last();
    const entryId = await entry.getAttribute('data-entry-id');
    expect(entryId).toMatch(/^m-/);
    await expect.poll(() => page.locator('#messages li.entry-said .said-text').last().textContent()).toBe('/deploy web v2 to prod');
    await screenshot('approval-requested');

    // Alice's own Approve: refused, and told so on her screen only.
    await approve.click();
    const refusal = page.locator('#messages li.entry-note', { hasText: 'cannot approve or reject your own request' });
    await refusal.waitFor({ timeout: 10_000 });
    await expect.poll(() => refusal.locator('.only-you').textContent()).toContain('only you (alice) can see this');
    await screenshot('alice-approve-refused');

    // Bob approves.
    await page.locator('#as').selectOption('bob');
    await page.locator(`#messages li[data-entry-id="${entryId}"] button[data-action="approve"]`).click();
    await page.locator('#messages li.entry-note', { hasText: 'Approved by bob' }).waitFor({ timeout: 10_000 });
    await screenshot('bob-approved');

    const status = page.locator(`#messages li[data-entry-id="${entryId}"] article.msg`);
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 90_000, interval: 250 }).toBe('succeeded');
    const text = (await status.textContent()) ?? '';
    expect(text).toContain('succeeded');
    expect(text).toContain('bob');
    expect(await page.locator(`#messages li[data-entry-id="${entryId}"] button[data-action="approve"]`).count()).toBe(0);
    await screenshot('succeeded');
    expect((await webTemplate(adminClients('gz'), { namespace: ns, kind: 'Deployment', name: 'web' })).image).toBe('registry.example.com/team/web:v2');

    // The dashboard shows it among the finished operations.
    await page.goto(`${bot.api.url}/console/dashboard`);
    const row = page.locator('#recent tr[data-status="succeeded"]').first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('deploy web');
    await screenshot('dashboard');
    expect(errors).toEqual([]);
  });

  it('shows what people type as text: markup in a command or a reason runs nothing and renders nothing, for the asker or anyone else', async () => {
    await page.goto(`${bot.api.url}/console/#console:xss`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await page.locator('#as').selectOption('alice');
    const markup = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    // Refused at once: the answer is for alice alone.
    await page.locator('#input').fill(`/status ${markup} in prod`);
    await page.locator('#input').press('Enter');
    await page.locator('#messages li.entry-note').last().waitFor({ timeout: 10_000 });
    expect(await page.locator('#messages li.entry-note').last().textContent()).toContain('<img src=x');
    // Stored in the channel (the typed line, and the reason in the approval request): everyone sees it.
    await page.locator('#input').fill(`/deploy web v5 to prod --reason '${markup}'`);
    await page.locator('#input').press('Enter');
    await page.locator('#messages li.entry-bot button[data-action="approve"]').waitFor({ timeout: 15_000 });
    await page.reload();
    await page.locator('#messages li.entry-said').first().waitFor({ timeout: 10_000 });
    await screenshot('markup-as-text');
    expect(await page.locator('#messages img, #messages script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#messages li.entry-said .said-text').first().textContent()).toContain('<img src=x');
  });
});
