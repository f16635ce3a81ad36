import type { Browser, BrowserContext, Page } from '@playwright/test';
import { CART_THREE_HUNKS, scriptedResponse } from '../lib/seed/scripted-edits';
import { startFlintProcess, type FlintProcess } from '../test/support/flint-process';
import { postgresTarget } from '../test/support/postgres';
import { redisServerBinary, startRedis } from '../test/support/redis';
import { startRoundRobinProxy, type RoundRobinProxy } from '../test/support/round-robin-proxy';
import { expect, test, uniqueMarker, Workspace } from './fixtures';

/**
 * Flint as it is deployed for more than one process: two processes on one PostgreSQL and one
 * Redis, behind a round-robin proxy without stickiness (test/support/round-robin-proxy.ts), and
 * two people in two browsers whose sockets land on different processes. Pairing, the AI stream,
 * review and a test run are seen across the processes; then the first person's process is
 * killed (SIGKILL) and started again mid-session, and nothing is lost.
 */
const redisBin = redisServerBinary();
const services = !!redisBin && !!process.env.DATABASE_URL;
if (!services && process.env.CI === 'true') throw new Error('e2e/cluster.spec.ts needs redis-server and PostgreSQL at DATABASE_URL (CI=true: a missing service fails the run)');

test.describe('two processes behind a round-robin proxy', () => {
  test.skip(!services, 'needs redis-server and PostgreSQL at DATABASE_URL (.ci/run provides both)');
  test.describe.configure({ timeout: 180_000 });

  const cleanups: Array<() => Promise<void>> = [];
  const flints: FlintProcess[] = [];
  let env: Record<string, string>;
  let proxy: RoundRobinProxy;
  const contexts: BrowserContext[] = [];

  const start = async () => {
    const p = await startFlintProcess({ ...env, FLINT_SERVE_WEB: 'true' });
    flints.push(p);
    return p;
  };
  const simOf = (p: FlintProcess) => /fast-tier simulator on (http:\/\/[\d.]+:\d+)/.exec(p.output())![1];
  /** Scripts an answer on every process's simulator: the prompt runs wherever its socket is. */
  const rule = async (r: object) => {
    for (const p of flints) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      await fetch(`${simOf(p)}/_sim/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(r) });
    }
  };
  const person = async (browser: Browser): Promise<{ ws: Workspace; page: Page }> => {
    const context = await browser.newContext({ baseURL: proxy.url });
    contexts.push(context);
    const page = await context.newPage();
    return { ws: new Workspace(page), page };
  };

  /** Scrolls a person's editor to the top of the file, by keyboard (a scrolled editor's lines sit under sticky headers). */
  const toTop = async (p: { ws: Workspace; page: Page }) => {
    await p.ws.editor.locator('.native-edit-context, textarea.inputarea').first().focus();
    await p.page.keyboard.press('Control+Home');
  };

  test.beforeAll(async () => {
    const redis = await startRedis(redisBin!);
    cleanups.push(() => redis.stop());
    const db = await postgresTarget(process.env.DATABASE_URL!);
    cleanups.push(() => db.drop());
    env = { DATABASE_URL: db.url, REDIS_URL: redis.url, FLINT_SIM_TPS: '1000' };
    const [p1, p2] = [await start(), await start()];
    proxy = await startRoundRobinProxy([p1.url, p2.url]);
    cleanups.push(() => proxy.close());
  });
  test.afterAll(async () => {
    for (const c of contexts) await c.close();
    for (const f of flints) await f.kill();
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  test('pairing, the AI stream, review and tests across processes; a process killed and restarted loses nothing', async ({ browser }) => {
    const [p1, p2] = flints;
    const owner = await person(browser);
    await owner.ws.newSession();
    const partner = await person(browser);
    await partner.ws.openLink(await owner.ws.shareLink('edit'));
    // Their sockets are on different processes: everything below crosses Redis.
    expect(proxy.upgrades.slice(-2).sort()).toEqual([p1.url, p2.url].sort());
    const ownerProcess = proxy.upgrades.at(-2) === p1.url ? p1 : p2;

    // Pairing: what one types the other sees.
    await owner.ws.focusEditorAtStart();
    await owner.page.keyboard.type('// typed by the owner\n');
    await expect.poll(async () => (await partner.ws.visibleLines()).join('\n')).toContain('// typed by the owner');

    // The owner's AI stream, seen live by the partner, who accepts a hunk the owner sees applied.
    const marker = uniqueMarker('cluster');
    await rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS), tokensPerSecond: 80, times: 1 });
    await owner.ws.prompt(`Add the ${marker}`);
    await partner.ws.waitForStatus('streaming');
    await partner.ws.waitForStatus('done');
    await expect(partner.ws.hunks).toHaveCount(3);
    await expect(owner.ws.hunks).toHaveCount(3);
    await partner.ws.hunks.nth(0).getByTestId('hunk-accept').click();
    await expect(owner.ws.hunks.nth(0)).toHaveAttribute('data-status', 'accepted');
    await expect.poll(async () => (await owner.ws.visibleLines()).join('\n')).toContain('private discount = 0;');

    // A test run in the owner's browser is shown to the partner.
    await owner.page.getByTestId('run-tests').click();
    await expect(owner.page.getByTestId('test-results')).toHaveAttribute('data-status', /^(done|error)$/, { timeout: 90_000 });
    const ownerCases = await owner.page.getByTestId('test-case').count();
    expect(ownerCases).toBeGreaterThan(0);
    await expect(partner.page.getByTestId('test-case')).toHaveCount(ownerCases);

    // The owner's process dies. The owner's page reconnects through the proxy to the live one
    // without a reload, and keeps working; the partner sees it all.
    await ownerProcess.kill();
    await expect(owner.ws.connectionStatus).not.toHaveText('ready');
    await expect(owner.ws.connectionStatus).toHaveText('ready', { timeout: 30_000 });
    // The last report, replayed by the live process, is still the owner's own run.
    await expect(owner.page.getByTestId('test-run-status')).toContainText('done');
    await expect(owner.page.getByTestId('test-run-status')).not.toContainText('collaborator');
    await expect(partner.page.getByTestId('test-run-status')).toContainText('run by a collaborator');
    // Typing above the pending hunks keeps the view where the owner types.
    await toTop(owner);
    await owner.page.keyboard.type('// after the crash\n');
    await expect.poll(async () => (await owner.ws.visibleLines()).join('\n')).toContain('// after the crash');
    // (The partner's editor scrolled to the hunks and the tests: back to the top of the file.)
    await toTop(partner);
    await expect.poll(async () => (await partner.ws.visibleLines()).join('\n'), { timeout: 15_000 }).toContain('// after the crash');

    // Started again (on a new port, as a restarted container would be): a third person whose
    // socket lands on it sees the whole session — edits, the turn, the accepted hunk.
    const restarted = await start();
    const survivor = ownerProcess === p1 ? p2 : p1;
    const viewLink = await owner.ws.shareLink('view');
    proxy.targets = [restarted.url];
    const late = await person(browser);
    await late.ws.openLink(viewLink);
    expect(proxy.upgrades.at(-1)).toBe(restarted.url);
    await toTop(late);
    proxy.targets = [restarted.url, survivor.url];
    const lines = (await late.ws.visibleLines()).join('\n');
    expect(lines).toContain('// typed by the owner');
    expect(lines).toContain('// after the crash');
    expect(lines).toContain('private discount = 0;');
    await expect(late.ws.hunks.nth(0)).toHaveAttribute('data-status', 'accepted');
    await expect(late.ws.turns).toHaveCount(1);
  });
});
