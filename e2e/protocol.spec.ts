import type { Page } from '@playwright/test';
import { PROTOCOL_VERSION } from '../lib/protocol/version';
import { expect, identityOf, SessionPeer, test } from './fixtures';

/**
 * Proxies the page's socket.io WebSocket to the real server, rewriting the protocol version in
 * what the page sends (its `session:hello`). Returns a counter of rewritten frames; set its
 * `enabled` to false to pass frames through unchanged from then on.
 */
async function speakProtocolVersion(page: Page, version: number): Promise<{ rewritten: number; enabled: boolean }> {
  const counter = { rewritten: 0, enabled: true };
  const from = `"protocolVersion":${PROTOCOL_VERSION}`;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      if (counter.enabled && typeof message === 'string' && message.includes(from)) {
        counter.rewritten++;
        server.send(message.replace(from, `"protocolVersion":${version}`));
      } else {
        server.send(message);
      }
    });
    server.onMessage((message) => ws.send(message));
  });
  return counter;
}

test.describe('protocol', () => {
  test('a page speaking an older protocol is told to reload (clientTooOld)', async ({ page }) => {
    const sessionId = await SessionPeer.createSession(await identityOf(page.context()));
    const proxy = await speakProtocolVersion(page, PROTOCOL_VERSION - 1);

    await page.goto(`/s/${sessionId}`);
    const banner = page.getByTestId('error-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute('data-code', 'clientTooOld');
    await expect(page.getByRole('link', { name: 'Reload' })).toHaveAttribute('href', `/s/${sessionId}`);
    expect(proxy.rewritten).toBeGreaterThan(0);
    // The workspace is not shown behind the error.
    await expect(page.getByTestId('editor')).toHaveCount(0);
  });

  test('a page speaking a newer protocol is told the server is too old (serverTooOld)', async ({ page }) => {
    const sessionId = await SessionPeer.createSession(await identityOf(page.context()));
    const proxy = await speakProtocolVersion(page, PROTOCOL_VERSION + 1);

    await page.goto(`/s/${sessionId}`);
    const banner = page.getByTestId('error-banner');
    await expect(banner).toHaveAttribute('data-code', 'serverTooOld');
    await expect(page.getByRole('link', { name: 'Reload' })).toHaveAttribute('href', `/s/${sessionId}`);
    expect(proxy.rewritten).toBeGreaterThan(0);
  });

  test('the reload link recovers once the page speaks the server\'s protocol', async ({ page }) => {
    const sessionId = await SessionPeer.createSession(await identityOf(page.context()));
    const proxy = await speakProtocolVersion(page, PROTOCOL_VERSION - 1);
    await page.goto(`/s/${sessionId}`);
    await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'clientTooOld');

    // "Update" the page: stop rewriting, then follow the link (a full page load).
    proxy.enabled = false;
    await page.getByRole('link', { name: 'Reload' }).click();
    await expect(page.getByTestId('connection-status')).toHaveText('ready');
    await expect(page.getByTestId('editor')).toHaveAttribute('data-ready', 'true');
    await expect(page.getByTestId('error-banner')).toHaveCount(0);
  });

  test('an unknown but well-formed session id shows sessionNotFound', async ({ page }) => {
    await page.goto('/s/AAAAAAAAAAAAAAAAAAAAAA');
    const banner = page.getByTestId('error-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute('data-code', 'sessionNotFound');
    await expect(page.getByRole('link', { name: 'Start a new session' })).toHaveAttribute('href', '/');
    await expect(page.getByRole('link', { name: 'Reload' })).toHaveCount(0);
    await expect(page.getByTestId('editor')).toHaveCount(0);
  });
});
