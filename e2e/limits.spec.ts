import { expect, test, uniqueMarker } from './fixtures';
import { LIMITS_E2E_MAX_DOC_BYTES, LOCAL_APP_URL } from './env';

/**
 * The document-size limit as a person meets it. The local-model server runs with a small
 * FLINT_MAX_DOC_BYTES (playwright.config.ts). A paste that would grow the session past it is
 * refused by the server: the editor keeps the text, "Not saved" names the limit, and once the
 * paste is undone the session is saved again.
 */
test.describe('limits', () => {
  test('a paste over the document limit: the text stays, "Not saved" says why, undo saves again @reliability', async ({ workspace: ws }) => {
    await ws.page.goto(LOCAL_APP_URL);
    await ws.page.getByTestId('new-session').click();
    await ws.page.waitForURL(/\/s\/[A-Za-z0-9_-]{22}$/);
    await ws.waitReady();

    const marker = uniqueMarker('// pasted ');
    const filler = `const filler = "${'0123456789'.repeat(12)}";\n`;
    const block = `${marker}\n${filler.repeat(Math.ceil(LIMITS_E2E_MAX_DOC_BYTES / filler.length))}`;
    await ws.focusEditorAtStart();
    // A real paste (one edit), as from the clipboard: typing this much would take minutes.
    await ws.page.evaluate((text) => {
      const data = new DataTransfer();
      data.setData('text/plain', text);
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, block);

    const banner = ws.page.getByTestId('unsaved-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute('data-code', 'limitExceeded');
    await expect(banner).toContainText('Not saved');
    await expect(banner).toContainText('FLINT_MAX_DOC_BYTES');
    await expect(banner).toContainText(`${LIMITS_E2E_MAX_DOC_BYTES} bytes`);
    // The editor still holds what the person pasted: nothing was thrown away.
    await expect.poll(async () => (await ws.visibleLines()).some((l) => l.startsWith('const filler'))).toBe(true);
    await ws.page.keyboard.press('Control+Home');
    await expect.poll(async () => (await ws.visibleLines())[0]).toBe(marker);
    if (process.env.FLINT_E2E_SCREENSHOTS) await ws.page.screenshot({ path: `${process.env.FLINT_E2E_SCREENSHOTS}/limits-not-saved.png` });
    await expect(ws.connectionStatus).toHaveText('ready');

    // Undo the paste and type a line: it fits again, the banner goes, and the line is stored.
    await ws.page.keyboard.press('Control+z');
    await expect.poll(async () => (await ws.visibleLines())[0]).toBe('export interface Item {');
    const line = `// after ${uniqueMarker('undo')}`;
    await ws.page.keyboard.type(line);
    await expect(banner).toBeHidden();
    // A fresh page of the same session loads what the server stored.
    await ws.page.reload();
    await ws.waitReady();
    await expect.poll(async () => (await ws.visibleLines())[0]).toBe(`${line}export interface Item {`);
    expect((await ws.visibleLines()).join('\n')).not.toContain(marker);
  });
});
