import { expect, test } from './fixtures';

/** Issue #24: resizable, collapsible panels kept per browser; light and dark themes, Monaco following. */

const width = (el: Element) => el.getBoundingClientRect().width;
const height = (el: Element) => el.getBoundingClientRect().height;

test('dragging a separator and collapsing a panel from the keyboard are kept across a reload', async ({ page, workspace: ws }) => {
  test.setTimeout(120_000);
  await ws.newSession();
  const ai = page.getByTestId('panel-ai');
  const files = page.getByTestId('panel-files');
  const tests = page.getByTestId('panel-tests');
  const aiBefore = await ai.evaluate(width);
  expect(await files.evaluate(width)).toBeGreaterThan(150);
  expect(await tests.evaluate(height)).toBeGreaterThan(80);

  // Drag the AI column's edge 120 px to the left: the column grows by that much.
  const handle = page.getByTestId('resize-ai');
  const box = (await handle.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await expect.poll(() => ai.evaluate(width)).toBeGreaterThan(aiBefore + 100);
  const aiAfter = await ai.evaluate(width);

  // The test panel's edge from the keyboard: ArrowUp makes it taller, 5 % a step.
  const testsBefore = await tests.evaluate(height);
  await page.getByTestId('resize-tests').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => tests.evaluate(height)).toBeGreaterThan(testsBefore + 40);
  const testsAfter = await tests.evaluate(height);
  // The file list's edge: Enter collapses the list.
  await page.getByTestId('resize-files').focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => files.evaluate(width)).toBeLessThan(2);
  await expect(files).toHaveAttribute('data-collapsed', 'true');

  await page.reload();
  await ws.waitReady();
  await expect.poll(() => ai.evaluate(width)).toBeGreaterThan(aiAfter - 3);
  expect(Math.abs((await ai.evaluate(width)) - aiAfter)).toBeLessThan(3);
  expect(Math.abs((await tests.evaluate(height)) - testsAfter)).toBeLessThan(3);
  await expect(files).toHaveAttribute('data-collapsed', 'true');

  // Ctrl+B brings the file list back, Ctrl+J hides the tests and brings them back (commands of
  // the registry, from the editor too); the tests still run.
  await ws.editor.locator('.view-line').first().click();
  await page.keyboard.press('Control+KeyB');
  await expect.poll(() => files.evaluate(width)).toBeGreaterThan(150);
  await expect(files).toHaveAttribute('data-collapsed', 'false');
  await expect(ws.fileItem('src/cart.ts')).toBeVisible();
  await page.keyboard.press('Control+KeyJ');
  await expect(tests).toHaveAttribute('data-collapsed', 'true');
  await page.keyboard.press('Control+KeyJ');
  await expect(tests).toHaveAttribute('data-collapsed', 'false');
  expect(await tests.evaluate(height)).toBeGreaterThan(80);
  await page.getByTestId('run-tests').click();
  await expect(page.getByTestId('test-pass-count')).toHaveText('3', { timeout: 60_000 });
});

test('the theme follows the system until toggled; the toggle is kept across a reload; Monaco follows', async ({ page, workspace: ws }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await ws.newSession();
  const html = page.locator('html');
  const monaco = ws.editor.locator('.monaco-editor').first();
  const editorBg = () => ws.editor.locator('.monaco-editor-background').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect(monaco).not.toHaveClass(/vs-dark/);
  await expect.poll(editorBg).toBe('rgb(255, 255, 255)');
  const lightBody = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);

  // The system turns dark: so does the page, with no choice saved.
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(monaco).toHaveClass(/vs-dark/);
  await expect.poll(editorBg).toBe('rgb(13, 17, 23)');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(lightBody);

  // Toggled to light: kept across a reload although the system is dark.
  await page.getByTestId('theme-toggle').click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect(monaco).not.toHaveClass(/vs-dark/);
  await page.reload();
  await ws.waitReady();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect.poll(editorBg).toBe('rgb(255, 255, 255)');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(lightBody);
  await expect(page.getByTestId('theme-toggle')).toHaveAttribute('data-theme', 'light');
});

test('the live diff is not told by colour alone: − marks removed lines, + added ones', async ({ page, workspace: ws }) => {
  const { CART_THREE_HUNKS, scriptedResponse } = await import('../lib/seed/scripted-edits');
  const { sim, uniqueMarker } = await import('./fixtures');
  await ws.newSession();
  const marker = uniqueMarker('marks');
  await sim.rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
  await ws.prompt(`Add the ${marker}`);
  await ws.waitForStatus('done');
  const glyph = (sel: string, pseudo: '::before' | '::after') =>
    page.locator(sel).first().evaluate((el, p) => getComputedStyle(el, p).content, pseudo);
  expect(await glyph('[data-testid="editor"] .flint-removed-gutter', '::after')).toBe('"−"');
  expect(await glyph('[data-testid="editor"] .flint-added-line', '::before')).toBe('"+ "');
  // The review's hunks carry the same signs in their text.
  await expect(ws.hunks.nth(1).locator('.hunk-diff .del').first()).toHaveText(/^−/);
  await expect(ws.hunks.nth(1).locator('.hunk-diff .add').first()).toHaveText(/^\+/);
});

test('the preview opens from the keyboard as a resizable panel beside the editor, without remounting it; its width is kept', async ({ page, workspace: ws }) => {
  test.setTimeout(120_000);
  await ws.newSession();
  const editorNode = ws.editor.locator('.monaco-editor').first();
  await editorNode.evaluate((el) => el.setAttribute('data-flint-mark', 'same'));
  await ws.editor.locator('.view-line').first().click();
  await page.keyboard.press('Alt+Shift+KeyV');
  const preview = page.getByTestId('panel-preview');
  await expect(preview).toBeVisible();
  await expect(page.getByTestId('preview-panel')).toBeVisible();
  await expect(page.getByTestId('preview-toggle')).toHaveAttribute('aria-pressed', 'true');
  // The editor's DOM is the one it had: opening the preview did not remount Monaco.
  await expect(ws.editor.locator('.monaco-editor[data-flint-mark="same"]')).toHaveCount(1);
  const before = await preview.evaluate(width);
  expect(before).toBeGreaterThan(100);
  // Its edge from the keyboard: ArrowLeft widens the preview.
  await page.getByTestId('resize-preview').focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => preview.evaluate(width)).toBeGreaterThan(before + 20);
  const after = await preview.evaluate(width);

  // Closed (the palette's command, as the shortcut) and opened again after a reload: the width it had.
  await page.keyboard.press('Alt+Shift+KeyV');
  await expect(preview).toHaveCount(0);
  await expect(ws.editor.locator('.monaco-editor[data-flint-mark="same"]')).toHaveCount(1);
  await page.reload();
  await ws.waitReady();
  await page.getByTestId('preview-toggle').click();
  await expect(preview).toBeVisible();
  await expect.poll(async () => Math.abs((await preview.evaluate(width)) - after)).toBeLessThan(3);
});

