import type { FrameLocator, Page } from '@playwright/test';
import { scriptedResponse } from '../lib/seed/scripted-edits';
import { expect, identityOf, sessionWith, SessionPeer, sim, test, uniqueMarker, Workspace } from './fixtures';
import { APP_URL, SANDBOX_URL } from './env';
import { expectAccessible } from './a11y-support';

/**
 * The live preview (issue #22) end to end: a React app from the session's files and npm
 * packages (the run's own Verdaccio), bundled in the page, running in a frame on the sandbox
 * origin; it follows edits (hot for components, state kept; a reload otherwise), reports its
 * console and errors, and cannot reach the IDE's cookies or socket.
 */


const PACKAGE_JSON = JSON.stringify({ name: 'app', dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' } }, null, 2);
const SOCKET_URL = `${APP_URL.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;

const APP_FILES = {
  'package.json': PACKAGE_JSON,
  'index.html': '<!doctype html>\n<html>\n  <body>\n    <div id="root"></div>\n    <script type="module" src="/src/main.tsx"></script>\n  </body>\n</html>\n',
  'src/main.tsx': `import { createRoot } from 'react-dom/client';
import { App } from './App';
import './style.css';

createRoot(document.getElementById('root')!).render(<App />);
`,
  'src/label.ts': `export const title = 'Counter app';\n`,
  'src/App.tsx': `import { useState } from 'react';
import { title } from './label';
import logo from './logo.svg';

export function App() {
  const [n, setN] = useState(0);
  const [broken, setBroken] = useState(false);
  if (broken) throw new Error('preview boom');
  return (
    <main>
      <h1>{title}</h1>
      <img alt="logo" src={logo} />
      <button id="inc" onClick={() => setN(n + 1)}>Count: {n}</button>
      <button id="break" onClick={() => setBroken(true)}>Break</button>
    </main>
  );
}
`,
  'src/style.css': 'h1 { color: rgb(255, 0, 0); }\n',
  'src/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="blue"/></svg>\n',
};

const frameOf = (page: Page): FrameLocator => page.frameLocator('[data-testid="preview-frame"]');
const status = (page: Page) => page.getByTestId('preview-status');

async function openPreview(page: Page, files: Record<string, string>) {
  const id = await sessionWith(page, files);
  const ws = new Workspace(page);
  await ws.open(id);
  await page.getByTestId('preview-toggle').click();
  return { id, ws };
}

test.describe('live preview', () => {
  // The first build waits for the session's packages (resolved and bundled by the server).
  test.setTimeout(180_000);
  test('a React app renders, reacts to clicks and follows edits: components hot with state kept, others reload', async ({ page }) => {
    const { id } = await openPreview(page, APP_FILES);
    const frame = frameOf(page);
    await expect(frame.locator('#inc')).toHaveText('Count: 0', { timeout: 90_000 });
    // CSS imports are injected as <style>; images are data: URLs that load.
    await expect(frame.locator('h1')).toHaveCSS('color', 'rgb(255, 0, 0)');
    await expect.poll(() => frame.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(16);
    for (let i = 0; i < 3; i++) await frame.locator('#inc').click();
    await expect(frame.locator('#inc')).toHaveText('Count: 3');
    await expect(status(page)).toHaveAttribute('data-loads', '1');

    const peer = await SessionPeer.join(id, { cookie: await identityOf(page.context()) });
    try {
      // A component edit: hot, the count survives.
      peer.replace('src/App.tsx', 'Count: {n}', 'Clicks: {n}');
      await expect(frame.locator('#inc')).toHaveText('Clicks: 3');
      await expect(status(page)).toHaveAttribute('data-hot', '1');
      await expect(status(page)).toHaveAttribute('data-loads', '1');
      // A stylesheet edit: in place.
      peer.replace('src/style.css', 'rgb(255, 0, 0)', 'rgb(0, 128, 0)');
      await expect(frame.locator('h1')).toHaveCSS('color', 'rgb(0, 128, 0)');
      await expect(frame.locator('#inc')).toHaveText('Clicks: 3');
      // A module that exports a value, not a component: the document reloads with the new value.
      peer.replace('src/label.ts', 'Counter app', 'Renamed app');
      await expect(frame.locator('h1')).toHaveText('Renamed app');
      await expect(status(page)).toHaveAttribute('data-loads', '2');
      await expect(frame.locator('#inc')).toHaveText('Clicks: 0');
      // A build error names the file and the line.
      peer.replace('src/App.tsx', '<main>', '<main');
      const error = page.getByTestId('preview-error');
      await expect(error).toHaveAttribute('data-kind', 'build');
      await expect(error).toContainText('src/App.tsx:');
      await expect(error.getByTestId('preview-error-location').first()).toHaveAttribute('data-path', 'src/App.tsx');
      peer.replace('src/App.tsx', '<main\n', '<main>\n');
      await expect(error).toBeHidden();
      await expect(frame.locator('#inc')).toHaveText('Clicks: 0');
    } finally {
      peer.close();
    }
  });

  test('a thrown error reaches the console panel and the overlay, its stack in source lines that open the file', async ({ page }) => {
    await openPreview(page, {
      ...APP_FILES,
      'src/main.tsx': APP_FILES['src/main.tsx'].replace("import './style.css';", "import './style.css';\nconsole.log('hello from the app', { n: 1 });"),
    });
    const frame = frameOf(page);
    await expect(frame.locator('#inc')).toHaveText('Count: 0', { timeout: 90_000 });
    const consolePanel = page.getByTestId('preview-console');
    await expect(consolePanel).toContainText('hello from the app {"n":1}');
    await frame.locator('#break').click();
    const overlay = page.getByTestId('preview-error');
    await expect(overlay).toHaveAttribute('data-kind', 'runtime');
    await expect(overlay).toContainText('preview boom');
    await expect(consolePanel.locator('[data-level="error"]').filter({ hasText: 'preview boom' }).first()).toBeVisible();
    // The throw is on line 8 of src/App.tsx.
    const where = overlay.locator('[data-testid="preview-error-location"][data-path="src/App.tsx"]').first();
    await expect(where).toHaveAttribute('data-line', '8');
    // Issue #24: the preview panel, its console and the overlay pass axe (the app itself is the session's).
    await expectAccessible(page, 'preview with console and error overlay', ['[data-testid="preview-frame"]']);
    await where.click();
    await expect(page.locator('[data-testid="file-item"][data-path="src/App.tsx"]')).toHaveClass(/active/);
  });

  test('the frame is on another origin, and its scripts cannot read the IDE cookies or open the IDE socket', async ({ page }) => {
    await page.goto(APP_URL);
    await page.evaluate(() => (document.cookie = 'flint_secret=ide-cookie; path=/'));
    await openPreview(page, {
      ...APP_FILES,
      'src/main.tsx': `${APP_FILES['src/main.tsx']}
let cookie: string;
try { cookie = 'read:' + document.cookie; } catch (e) { cookie = 'blocked:' + (e as Error).name; }
console.log('cookie ' + cookie);
try {
  const s = new WebSocket(${JSON.stringify(SOCKET_URL)});
  s.onopen = () => console.log('socket opened');
  s.onerror = () => console.log('socket blocked');
} catch (e) { console.log('socket blocked'); }
fetch(${JSON.stringify(`${APP_URL}/api/health`)}).then(() => console.log('fetch reached'), () => console.log('fetch blocked'));
console.log('origin ' + self.origin);
`,
    });
    const frame = frameOf(page);
    await expect(frame.locator('#inc')).toHaveText('Count: 0', { timeout: 90_000 });
    const src = await page.getByTestId('preview-frame').getAttribute('src');
    expect(new URL(src!).origin).toBe(new URL(SANDBOX_URL).origin);
    expect(new URL(src!).origin).not.toBe(new URL(page.url()).origin);
    expect(await page.getByTestId('preview-frame').getAttribute('sandbox')).toBe('allow-scripts');
    const consolePanel = page.getByTestId('preview-console');
    await expect(consolePanel).toContainText('origin null');
    await expect(consolePanel).toContainText('cookie blocked:SecurityError');
    await expect(consolePanel).toContainText('socket blocked');
    await expect(consolePanel).toContainText('fetch blocked');
    await expect(consolePanel).not.toContainText('ide-cookie');
    await expect(consolePanel).not.toContainText('socket opened');
    await expect(consolePanel).not.toContainText('fetch reached');
    // The IDE's page itself did hold the cookie.
    expect(await page.evaluate(() => document.cookie)).toContain('flint_secret=ide-cookie');
  });

  test('the proposal runs in the preview before it is accepted, back and forth, nothing accepted', async ({ page }) => {
    const { id, ws } = await openPreview(page, APP_FILES);
    const frame = frameOf(page);
    await expect(frame.locator('#inc')).toHaveText('Count: 0', { timeout: 90_000 });
    const toggle = page.getByTestId('preview-proposal-toggle');
    await expect(toggle).toBeDisabled();
    const marker = uniqueMarker('proposal');
    const line = '      <button id="inc" onClick={() => setN(n + 1)}>Count: {n}</button>\n';
    await sim.rule({ match: marker, text: scriptedResponse([{ path: 'src/App.tsx', search: line, replace: line.replace('Count:', 'Proposed:') }]), times: 1 });
    await ws.prompt(`Rename the counter ${marker}`);
    await ws.waitForStatus('done');
    await expect(ws.hunks).toHaveCount(1);
    await frame.locator('#inc').click();
    await expect(frame.locator('#inc')).toHaveText('Count: 1');

    await toggle.check();
    await expect(frame.locator('#inc')).toHaveText('Proposed: 1');
    await toggle.uncheck();
    await expect(frame.locator('#inc')).toHaveText('Count: 1');
    await toggle.check();
    await expect(frame.locator('#inc')).toHaveText('Proposed: 1');
    // Nothing was accepted: the hunk is pending and the file is as it was.
    await expect(ws.hunks.nth(0)).toHaveAttribute('data-status', 'pending');
    const peer = await SessionPeer.join(id, { cookie: await identityOf(page.context()) });
    try {
      expect(peer.text('src/App.tsx')).toContain('Count: {n}');
      expect(peer.text('src/App.tsx')).not.toContain('Proposed');
    } finally {
      peer.close();
    }
  });

  test('pairing partners each see their own preview of the same state, and each their own proposal view', async ({ page, browser }) => {
    const { id, ws } = await openPreview(page, APP_FILES);
    const partnerContext = await browser.newContext();
    try {
      const partnerPage = await partnerContext.newPage();
      const partner = new Workspace(partnerPage);
      await partner.openLink(await ws.shareLink('edit'));
      await partnerPage.getByTestId('preview-toggle').click();
      const [mine, theirs] = [frameOf(page), frameOf(partnerPage)];
      await expect(mine.locator('#inc')).toHaveText('Count: 0', { timeout: 90_000 });
      await expect(theirs.locator('#inc')).toHaveText('Count: 0', { timeout: 90_000 });
      // Each frame is that person's own app: a click in one changes only that one's state.
      await theirs.locator('#inc').click();
      await expect(theirs.locator('#inc')).toHaveText('Count: 1');
      await expect(mine.locator('#inc')).toHaveText('Count: 0');

      // An edit reaches both previews (a component: hot, each keeping its own state).
      const peer = await SessionPeer.join(id, { cookie: await identityOf(page.context()) });
      try {
        peer.replace('src/App.tsx', '<h1>{title}</h1>', '<h1>{title}!</h1>');
        await expect(mine.locator('h1')).toHaveText('Counter app!');
        await expect(theirs.locator('h1')).toHaveText('Counter app!');
        await expect(theirs.locator('#inc')).toHaveText('Count: 1');
        await expect(mine.locator('#inc')).toHaveText('Count: 0');
      } finally {
        peer.close();
      }

      // The owner's proposal: the partner looks at it running while the owner's preview stays on the files.
      const marker = uniqueMarker('pairproposal');
      const line = '      <button id="inc" onClick={() => setN(n + 1)}>Count: {n}</button>\n';
      await sim.rule({ match: marker, text: scriptedResponse([{ path: 'src/App.tsx', search: line, replace: line.replace('Count:', 'Proposed:') }]), times: 1 });
      await ws.prompt(`Rename the counter ${marker}`);
      await ws.waitForStatus('done');
      await expect(partner.hunks).toHaveCount(1);
      await partnerPage.getByTestId('preview-proposal-toggle').check();
      await expect(theirs.locator('#inc')).toHaveText(/^Proposed: \d$/);
      await expect(mine.locator('#inc')).toHaveText(/^Count: \d$/);
    } finally {
      await partnerContext.close();
    }
  });
});
