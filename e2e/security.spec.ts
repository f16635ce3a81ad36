import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { test, expect, Workspace, sim, uniqueMarker } from './fixtures';
import { APP_PORT, APP_URL, METRICS_PORT } from './env';

/**
 * The attack suite's browser half (the socket half is test/security/edge.test.ts): a page on
 * another origin of the same site (another port of 127.0.0.1, so the browser sends the person's
 * cookie with it) tries to open Flint's socket and to frame the IDE; the IDE's own pages do the
 * same, which must keep working; the headers of the pages; and the whole loop runs under the
 * page's Content-Security-Policy without one violation. What is covered and what is not: SECURITY.md.
 */

let evil: http.Server;
let evilUrl: string;

/** What a page of the other origin serves: `?frame` frames the IDE; otherwise it opens its socket. */
function evilPage(frame: boolean): string {
  const body = frame
    ? `<iframe id="ide" src="${APP_URL}/" width="800" height="600"></iframe>`
    : `<script>
        const ws = new WebSocket('ws://127.0.0.1:${APP_PORT}/socket.io/?EIO=4&transport=websocket');
        window.result = new Promise((resolve) => {
          ws.onmessage = (m) => resolve('open: ' + String(m.data).slice(0, 1));
          ws.onerror = () => resolve('refused');
          ws.onclose = () => resolve('refused');
        });
      </script>`;
  return `<!doctype html><html><body>${body}</body></html>`;
}

test.beforeAll(async () => {
  evil = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(evilPage(req.url?.includes('frame') ?? false)));
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
});
test.afterAll(() => new Promise<void>((resolve) => evil.close(() => resolve())));

/** The same raw WebSocket handshake the other origin tries, from `page`. */
const openSocketFrom = (page: Page) =>
  page.evaluate(
    (port) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
        ws.onmessage = (m) => (resolve('open: ' + String(m.data).slice(0, 1)), ws.close());
        ws.onerror = () => resolve('refused');
        ws.onclose = () => resolve('refused');
      }),
    APP_PORT,
  );

test('a page of another origin cannot open the socket with the person’s cookie; the IDE can', async ({ page, context }) => {
  await page.goto('/');
  const cookies = await context.cookies(APP_URL);
  expect(cookies.map((c) => c.name)).toContain('flint_id');
  // The IDE's own page: the engine.io open packet ("0{…}") arrives.
  expect(await openSocketFrom(page)).toBe('open: 0');

  const other = await context.newPage();
  await other.goto(evilUrl);
  // Same site (127.0.0.1), so the browser sends flint_id with the handshake: only the Origin differs.
  expect(await other.evaluate(() => (window as unknown as { result: Promise<string> }).result)).toBe('refused');
});

test('another origin cannot frame the IDE (clickjacking of accept and share); the IDE’s own origin can', async ({ page, context }) => {
  await page.goto('/');
  await expect(page.getByTestId('new-session')).toBeVisible();
  const other = await context.newPage();
  const refusals: string[] = [];
  other.on('console', (m) => m.type() === 'error' && refusals.push(m.text()));
  await other.goto(`${evilUrl}/?frame`);
  await expect.poll(() => refusals.some((t) => /frame-ancestors/.test(t)), { timeout: 10_000 }).toBe(true);
  const framed = other.frames().find((f) => f !== other.mainFrame());
  expect(framed).toBeDefined();
  expect(await framed!.locator('[data-testid="new-session"]').count()).toBe(0);

  // Control: the IDE framing one of its own pages is allowed by the same policy.
  await page.evaluate(() => {
    const f = document.createElement('iframe');
    f.src = '/';
    f.id = 'self-frame';
    document.body.append(f);
  });
  await expect(page.frameLocator('#self-frame').getByTestId('new-session')).toBeVisible();
});

test('the pages answer private, no-store with the cookie, a nonce CSP and the other headers', async ({ playwright }) => {
  const fresh = await playwright.request.newContext({ baseURL: APP_URL });
  for (const path of ['/', '/s/AAAAAAAAAAAAAAAAAAAAAA']) {
    const res = await fresh.get(path, { headers: { cookie: '' } });
    const h = res.headers();
    expect(h['set-cookie'], path).toMatch(/^flint_id=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Lax/);
    expect(h['cache-control'], path).toMatch(/private/);
    expect(h['cache-control'], path).toMatch(/no-store/);
    expect(h['cache-control'], path).not.toMatch(/s-maxage|public/);
    const csp = h['content-security-policy'];
    expect(csp, path).toMatch(/frame-ancestors 'self'/);
    expect(csp, path).toMatch(/object-src 'none'/);
    expect(csp, path).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce, path).toBeTruthy();
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['permissions-policy']).toMatch(/camera=\(\)/);
    // Every script Next rendered carries this response's nonce (else the page would not run).
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s, path).toContain(`nonce="${nonce}"`);
  }
  // Static assets never set an identity (a CDN would cache the cookie with them).
  const chunk = /\/_next\/static\/[^"]+\.js/.exec(await (await fresh.get('/')).text())![0];
  const asset = await fresh.get(chunk, { headers: { cookie: '' } });
  expect(asset.status()).toBe(200);
  expect(asset.headers()['set-cookie']).toBeUndefined();
  await fresh.dispose();
});

test('/metrics is not served on the public port; it is on its loopback listener', async ({ playwright }) => {
  const api = await playwright.request.newContext();
  expect((await api.get(`${APP_URL}/metrics`)).status()).toBe(404);
  const metrics = await api.get(`http://127.0.0.1:${METRICS_PORT}/metrics`);
  expect(metrics.status()).toBe(200);
  expect(await metrics.text()).toMatch(/^flint_streams_active \d+$/m);
  await api.dispose();
});

test('the whole loop runs under the CSP without a single violation', async ({ page }) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`));
  });
  const ws = new Workspace(page);
  await ws.newSession();
  await ws.waitReady();
  const marker = uniqueMarker('csp');
  await sim.rule({ match: marker, text: '<<<<<<< SEARCH\nexport\n=======\n// reviewed\nexport\n>>>>>>> REPLACE\n', times: 1 });
  await ws.prompt(`${marker} add a comment`);
  await ws.waitForStatus('done');
  await page.getByTestId('run-tests').click();
  await expect(page.getByTestId('test-results')).toHaveAttribute('data-status', /^(done|timedout|cancelled|error)$/, { timeout: 60_000 });
  await expect(page.getByTestId('test-results')).toHaveAttribute('data-status', 'done');
  await ws.openShareMenu();
  expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
});
