/**
 * `npm run screenshots`: the README's pictures, taken from the running app in Debian's Chromium
 * (never a Playwright browser download). Starts its own Flint (building first when the build is
 * stale, like `npm start`) with the embedded fast-tier simulator on free loopback ports and a
 * throwaway data directory, drives a session as a person would and writes, in the dark theme:
 *
 *   docs/screenshots/landing.png   the landing page, its ways to open a project shown
 *   docs/screenshots/stream.png    an answer streaming into the editor as a live diff
 *   docs/screenshots/review.png    the review, one hunk accepted, one rejected
 *   docs/screenshots/tests.png     the test panel after a run, one test failing
 *   docs/screenshots/pairing.png   a partner who opened the edit link, both people in presence
 *
 * Options: `--light` for the light theme; CHROMIUM_PATH for another Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { CART_THREE_HUNKS, scriptedResponse } from '../lib/seed/scripted-edits';

const OUT = resolve('docs/screenshots');
const scheme = process.argv.includes('--light') ? 'light' : 'dark';
const VIEWPORT = { width: 1440, height: 860 };

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 240_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`Flint exited with ${child.exitCode} before serving ${url}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

async function rule(simUrl: string, body: unknown): Promise<void> {
  const res = await fetch(`${simUrl}/_sim/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`simulator rule: ${res.status} ${await res.text()}`);
}

async function ready(page: Page): Promise<void> {
  await page.getByTestId('connection-status').filter({ hasText: 'ready' }).waitFor();
  await page.locator('[data-testid="editor"][data-ready="true"] .view-line').first().waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  // No caret blinking or transition caught half way.
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`wrote docs/screenshots/${name}.png`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const [port, simPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'flint-screenshots-'));
  writeFileSync(join(dir, 'none.json'), '{}\n');
  const app = `http://127.0.0.1:${port}`;
  const simUrl = `http://127.0.0.1:${simPort}`;
  const server = spawn(process.execPath, ['scripts/start.mjs'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      HOST: '127.0.0.1',
      PORT: String(port),
      FLINT_CONFIG: join(dir, 'none.json'),
      FLINT_DATA_DIR: join(dir, 'data'),
      FLINT_CACHE_DIR: join(dir, 'cache'),
      DATABASE_URL: '',
      REDIS_URL: '',
      FLINT_PROVIDER: 'sim',
      FLINT_INSTANT_PROVIDER: 'sim',
      FLINT_DEEP_PROVIDER: 'sim',
      FLINT_SIM_PORT: String(simPort),
      FLINT_SIM_TPS: '1000',
      FLINT_SIM_TTFT_MS: '0',
      FLINT_METRICS_PORT: 'off',
      FLINT_SANDBOX_ORIGIN: '',
      FLINT_APP_ORIGINS: '',
    },
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    await waitForHttp(app, server);
    const context = await browser.newContext({ baseURL: app, viewport: VIEWPORT, colorScheme: scheme });
    const page = await context.newPage();

    await page.goto('/');
    await page.getByTestId('new-session').waitFor();
    await page.getByTestId('open-project').click();
    await page.getByTestId('import-git-url').waitFor();
    await shot(page, 'landing');
    await page.getByTestId('open-project').click();

    await page.getByTestId('new-session').click();
    await page.waitForURL(/\/s\/[A-Za-z0-9_-]{22}$/);
    await ready(page);

    // A test that fails until the change lands, so the test panel has something to say.
    await page.getByTestId('new-file').click();
    await page.getByTestId('file-name-input').fill('src/discount.test.ts');
    await page.getByTestId('file-name-input').press('Enter');
    await page.locator('[data-testid="editor"][data-path="src/discount.test.ts"] .view-line').first().click();
    await page.keyboard.insertText(
      "import { Cart } from './cart';\n\ndescribe('discount', () => {\n  it('removing reports whether it removed', () => {\n    const cart = new Cart();\n    expect(cart.remove('nope')).toBe(false);\n  });\n});\n",
    );
    await page.locator('[data-testid="file-item"][data-path="src/cart.ts"]').click();
    await page.locator('[data-testid="editor"][data-path="src/cart.ts"]').waitFor();

    // A slow answer, caught mid-stream.
    await rule(simUrl, { match: 'screenshot-discount', text: scriptedResponse(CART_THREE_HUNKS, 'I will add a discount to the cart, make remove() report whether it removed anything, and apply the discount to the total.'), tokensPerSecond: 40, times: 1 });
    await page.getByTestId('prompt-input').fill('Add a discount to the cart (screenshot-discount), and make remove() say whether it removed anything');
    await page.getByTestId('prompt-input').press('Enter');
    await page.getByTestId('stream-status').filter({ hasText: 'streaming' }).waitFor();
    await page.locator('[data-testid="diff-added"][data-kind="live"]').first().waitFor({ state: 'attached' }); // rebuilt each frame
    await page.waitForTimeout(1200);
    await shot(page, 'stream');

    await page.getByTestId('stream-status').filter({ hasText: 'done' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('hunk').nth(2).waitFor();
    await page.getByTestId('hunk').nth(0).getByTestId('hunk-accept').click();
    await page.locator('[data-testid="hunk"][data-status="accepted"]').first().waitFor();
    await page.getByTestId('hunk').nth(1).focus();
    await shot(page, 'review');

    await page.getByTestId('run-tests').click();
    await page.locator('[data-testid="test-case"][data-status="failed"]').first().waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="test-results"][data-status="done"]').waitFor({ timeout: 60_000 });
    await shot(page, 'tests');

    // Pairing: a partner opens the edit link in another browser.
    await page.getByTestId('share-button').click();
    const link = page.getByTestId('share-link-edit');
    await page.waitForFunction(() => /\?t=/.test((document.querySelector('[data-testid="share-link-edit"]') as HTMLInputElement | null)?.value ?? ''));
    const url = await link.inputValue();
    await page.getByTestId('share-button').click();
    const partnerContext = await browser.newContext({ viewport: VIEWPORT, colorScheme: scheme });
    const partner = await partnerContext.newPage();
    await partner.goto(url);
    await ready(partner);
    await partner.getByTestId('display-name').fill('Sam');
    await partner.getByTestId('display-name').press('Enter');
    await page.locator('[data-testid="editor"] .view-line').nth(6).click();
    await page.keyboard.press('End');
    await partner.locator('[data-testid="presence-user"]').nth(1).waitFor();
    await partner.locator('.yRemoteSelectionHead').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    await shot(partner, 'pairing');
    await partnerContext.close();
    await context.close();
  } finally {
    await browser.close();
    if (server.pid) process.kill(-server.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
