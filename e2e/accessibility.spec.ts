import { CART_THREE_HUNKS, scriptedResponse } from '../lib/seed/scripted-edits';
import { expect, sim, test, uniqueMarker } from './fixtures';
import { expectAccessible } from './a11y-support';

/**
 * Issue #24: axe-core (WCAG 2.1 A and AA) finds no serious or critical violation on any main
 * screen, in the light and the dark theme — the landing page and its import choices, the
 * workspace during and after a stream, the review, the test panel after a run, the share menu,
 * the command palette and the shortcuts dialog.
 */
for (const scheme of ['dark', 'light'] as const) {
  test.describe(`${scheme} theme`, () => {
    test.beforeEach(async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
    });

    test('the landing page and its import choices', async ({ page }) => {
      await page.goto('/');
      await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
      await expect(page.getByTestId('new-session')).toBeVisible();
      await expectAccessible(page, 'landing');
      await page.getByTestId('open-project').click();
      await expect(page.getByTestId('import-git-url')).toBeVisible();
      await expectAccessible(page, 'import choices');
    });

    test('the workspace during and after a stream, the review, the tests, the share menu, the palette and the shortcuts', async ({ workspace: ws, page }) => {
      await ws.newSession();
      await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
      await expectAccessible(page, 'workspace, idle');

      // A slow stream: checked while it runs (live diff in the editor, the streaming hunk).
      test.setTimeout(300_000); // axe takes seconds per screen, many more on a loaded machine
      // A slow, long block: still streaming (a live diff in the editor) while axe looks at it.
      const slow = uniqueMarker('slow');
      const long = { ...CART_THREE_HUNKS[0], replace: CART_THREE_HUNKS[0].replace + Array.from({ length: 120 }, (_, i) => `  // note ${i + 1}\n`).join('') };
      await sim.rule({ match: slow, text: scriptedResponse([long]), tokensPerSecond: 25, times: 1 });
      await ws.prompt(`Add the ${slow}`);
      await ws.waitForStatus('streaming');
      await expect(ws.addedZones('live').first()).toBeAttached(); // rebuilt each frame as it grows
      await expectAccessible(page, 'workspace, streaming');
      await ws.interruptButton.click();
      await ws.waitForStatus('interrupted');
      // Blocks finished before the interrupt stay proposed.
      const kept = await ws.hunks.count();

      // A whole answer: the review.
      const marker = uniqueMarker('discount');
      await sim.rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
      await ws.prompt(`Add the ${marker}`);
      await ws.waitForStatus('done');
      await expect(ws.hunks).toHaveCount(kept + 3);
      await expect(ws.addedZones('pending').first()).toBeVisible();
      await expectAccessible(page, 'review, pending hunks');
      await ws.hunks.nth(kept).getByTestId('hunk-accept').click();
      await ws.hunks.nth(kept + 1).getByTestId('hunk-reject').click();
      await expect(ws.hunks.nth(kept + 1)).toHaveAttribute('data-status', 'rejected');
      await expectAccessible(page, 'review, hunks decided');

      await page.getByTestId('run-tests').click();
      await expect(page.getByTestId('test-results')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
      await expect(page.getByTestId('test-case').first()).toBeVisible();
      await expectAccessible(page, 'test panel after a run');

      await ws.openShareMenu();
      await expect(page.getByTestId('share-link-view')).toHaveValue(/\?t=/);
      await expectAccessible(page, 'share menu');
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('share-menu')).toHaveCount(0);

      await page.getByTestId('open-command-palette').click();
      await expect(page.getByTestId('command-palette')).toBeVisible();
      await expectAccessible(page, 'command palette');
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('command-palette')).toHaveCount(0);

      await page.getByTestId('open-shortcuts').click();
      await expect(page.getByTestId('shortcuts-dialog')).toBeVisible();
      await expectAccessible(page, 'shortcuts dialog');
      await page.getByTestId('shortcuts-close').click();
      await expect(page.getByTestId('shortcuts-dialog')).toHaveCount(0);
    });
  });
}

test('the theme toggle switches the whole page, and the page stays accessible in the theme it switched to', async ({ workspace: ws, page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await ws.newSession();
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await expectAccessible(page, 'workspace after toggling to light');
});
