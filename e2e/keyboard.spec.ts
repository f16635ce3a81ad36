import type { Page } from '@playwright/test';
import { COMMANDS } from '../lib/client/commands';
import { CART_THREE_HUNKS, scriptedResponse } from '../lib/seed/scripted-edits';
import { expect, sim, test, uniqueMarker } from './fixtures';
import { expectFocusVisible } from './a11y-support';

/**
 * Issue #24: the whole loop without a mouse — only `keyboard.press` / `keyboard.type`, never a
 * click — with focus visible at every step; the shortcuts dialog and the palette list every
 * command of the registry (lib/client/commands.ts).
 */

/** Tabs forward until the element `testid` has focus, checking focus is visible on each stop. */
async function tabTo(page: Page, testid: string, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === testid) return;
    await page.keyboard.press('Tab');
    await expectFocusVisible(page, `Tab towards ${testid}`);
  }
  throw new Error(`${testid} not reached with ${max} Tabs`);
}

const focusedTestId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

test('prompt, interrupt, prompt again, review hunk by hunk, restore, run the tests, share: keyboard only, focus always visible', async ({ page, workspace: ws }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await tabTo(page, 'new-session');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/s\/[A-Za-z0-9_-]{22}$/);
  await ws.waitReady();

  // Alt+P: into the prompt box from anywhere. A slow answer, interrupted with Esc.
  await page.keyboard.press('Alt+KeyP');
  await expect(ws.promptInput).toBeFocused();
  await expectFocusVisible(page, 'Alt+P');
  const slow = uniqueMarker('slow');
  // A long sentence before the first block: the interrupt comes before any change is complete.
  const preamble = Array.from({ length: 40 }, (_, i) => `Step ${i + 1} of the plan is being thought through.`).join(' ');
  await sim.rule({ match: slow, text: scriptedResponse(CART_THREE_HUNKS, preamble), tokensPerSecond: 20, times: 1 });
  await page.keyboard.type(`Add the ${slow}`);
  await page.keyboard.press('Enter');
  await ws.waitForStatus('streaming');
  await page.keyboard.press('Escape');
  await ws.waitForStatus('interrupted');
  await expectFocusVisible(page, 'Esc');
  await expect(ws.hunks).toHaveCount(0);

  // A second prompt, answered in full: three hunks.
  const marker = uniqueMarker('discount');
  await sim.rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
  await page.keyboard.press('Alt+KeyP');
  await page.keyboard.type(`Add the ${marker}`);
  await page.keyboard.press('Enter');
  await ws.waitForStatus('done');
  await expect(ws.hunks).toHaveCount(3);

  // Hunk by hunk: Alt+] selects the first, Ctrl+Enter accepts (the next is selected), Ctrl+Backspace rejects.
  await page.keyboard.press('Alt+BracketRight');
  await expect(ws.hunks.nth(0)).toBeFocused();
  await expectFocusVisible(page, 'Alt+]');
  await page.keyboard.press('Control+Enter');
  await expect(ws.hunks.nth(0)).toHaveAttribute('data-status', 'accepted');
  await expect(ws.hunks.nth(1)).toBeFocused();
  await expectFocusVisible(page, 'accept');
  await page.keyboard.press('Control+Backspace');
  await expect(ws.hunks.nth(1)).toHaveAttribute('data-status', 'rejected');
  await expect(ws.hunks.nth(2)).toBeFocused();
  await page.keyboard.press('Alt+BracketLeft');
  await expect(ws.hunks.nth(2)).toBeFocused(); // the only open one
  await page.keyboard.press('Control+Enter');
  await expect(ws.hunks.nth(2)).toHaveAttribute('data-status', 'accepted');
  await expectFocusVisible(page, 'last accept');

  // Restore the last checkpoint from the palette (Ctrl+K): it asks first, with focus on the confirm.
  await page.keyboard.press('Control+KeyK');
  await expect(page.getByTestId('command-palette')).toBeVisible();
  await expect(page.getByTestId('command-input')).toBeFocused();
  await expectFocusVisible(page, 'palette');
  await page.keyboard.type('restore');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('command-palette')).toHaveCount(0);
  await expect(page.getByTestId('checkpoint-restore-confirm')).toBeFocused();
  await expectFocusVisible(page, 'restore asked');
  await page.keyboard.press('Enter');
  await expect(ws.turns.last()).toHaveAttribute('data-reverted', 'true');
  await expect(page.getByTestId('restore-undo')).toBeFocused();
  await expectFocusVisible(page, 'restored');

  // Ctrl+; runs the tests; the result is announced.
  await page.keyboard.press('Control+Semicolon');
  await expect(page.getByTestId('test-pass-count')).toHaveText('3', { timeout: 60_000 });
  await expect(page.getByTestId('test-announce')).toHaveText(/3 passed, 0 failed/);

  // Alt+S: the share menu, focus on the edit link; Esc closes it and focus is back on its button.
  await page.keyboard.press('Alt+KeyS');
  await expect(page.getByTestId('share-menu')).toBeVisible();
  await expect(page.getByTestId('share-link-edit')).toBeFocused();
  await expect(page.getByTestId('share-link-edit')).toHaveValue(/\?t=/);
  await expectFocusVisible(page, 'share menu');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('share-menu')).toHaveCount(0);
  await expect(page.getByTestId('share-button')).toBeFocused();
  await expectFocusVisible(page, 'share menu closed');

  // `?` on a control that is not a text field (the share button): the shortcuts.
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts-dialog')).toBeVisible();
  await expect(page.getByTestId('shortcuts-close')).toBeFocused();
  await expectFocusVisible(page, 'shortcuts dialog');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcuts-dialog')).toHaveCount(0);
  await expect(page.getByTestId('share-button')).toBeFocused(); // given back
});

test('the shortcuts dialog and the palette list every command of the registry, the palette works from the editor', async ({ page, workspace: ws }) => {
  await ws.newSession();
  const ids = COMMANDS.map((c) => c.id);

  await page.locator('body').press('?');
  const dialog = page.getByTestId('shortcuts-dialog');
  await expect(dialog).toBeVisible();
  expect(await dialog.getByTestId('shortcut').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-command')))).toEqual(ids);
  // Each shortcut is shown as the registry has it (off a Mac: Ctrl for Mod).
  await expect(dialog.locator('[data-command="palette.open"]')).toContainText('Ctrl+K');
  await expect(dialog.locator('[data-command="palette.open"]')).toContainText('Ctrl+Shift+P');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // Focus in Monaco: Ctrl+Shift+P still opens the palette (Ctrl+K stays Monaco's chord there).
  await ws.focusEditorAtStart();
  await page.keyboard.press('Control+Shift+KeyP');
  const palette = page.getByTestId('command-palette');
  await expect(palette).toBeVisible();
  expect(await palette.getByTestId('command-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-command')))).toEqual(ids);
  // Typing filters; Enter runs the first match (here: the theme).
  const before = await page.locator('html').getAttribute('data-theme');
  await page.keyboard.type('light and dark');
  await expect(palette.getByTestId('command-item')).toHaveCount(1);
  await page.keyboard.press('Enter');
  await expect(palette).toHaveCount(0);
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', before ?? '');
  // And back to the editor, where typing goes on.
  await expect(ws.editor).toBeFocused().catch(() => undefined);
  expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="editor"]'))).toBe(true);
});
