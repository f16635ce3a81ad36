import { CART_THREE_HUNKS, scriptedResponse, withHunks } from '../lib/seed/scripted-edits';
import { expect, sim, test, uniqueMarker } from './fixtures';

const PATH = 'src/cart.ts';

/** A block whose SEARCH is close to `remove()` in the example cart but not in it. */
function wrongRemove(tag: string) {
  return {
    path: PATH,
    search: `  remove(sku: string): void {\n    this.items = this.items.filter((item) => item.sku !== sku); // ${tag}\n  }\n`,
    replace: CART_THREE_HUNKS[1].replace,
  };
}

test.describe('edits that do not apply', () => {
  test('a failed block is shown with its reason and closest lines; the automatic follow-up lands its fix in the same review', async ({ workspace: ws, joinPeer }) => {
    const peer = await joinPeer(await ws.newSession());
    const original = peer.text(PATH)!;
    const marker = uniqueMarker('fail');
    const tag = uniqueMarker('nomatch');
    // The retry's prompt is the failure report, which quotes the failed SEARCH (and so `tag`).
    await sim.rule({ match: tag, text: scriptedResponse([CART_THREE_HUNKS[1]], 'Fixed the SEARCH.'), times: 1 });
    await sim.rule({ match: marker, text: scriptedResponse([wrongRemove(tag), CART_THREE_HUNKS[0]]), times: 1 });
    await expect(ws.page.getByTestId('auto-retry-toggle')).toBeChecked(); // on by default
    await ws.prompt(`Change remove ${marker}`);

    await expect(ws.turns).toHaveCount(2, { timeout: 20_000 });
    await expect(ws.turns.nth(1)).toHaveAttribute('data-status', 'done');
    await expect(ws.turns.nth(1)).toContainText('Fixed the SEARCH.');
    await expect(ws.hunks).toHaveCount(3);

    const failed = ws.hunks.nth(0);
    await expect(failed).toHaveAttribute('data-status', 'conflict');
    const failure = failed.getByTestId('edit-failure');
    await expect(failure).toHaveAttribute('data-reason', 'none');
    await expect(failure.getByTestId('edit-failure-reason')).toContainText('SEARCH is not in the file');
    await expect(failure.getByTestId('edit-failure-reason')).toContainText('sent back to the model');
    await expect(failure.getByTestId('edit-failure-closest')).toHaveAttribute('data-start-line', '19');
    await expect(failure.getByTestId('edit-failure-closest')).toContainText('this.items = this.items.filter((i) => i.sku !== sku);');
    await expect(failed.getByTestId('hunk-accept')).toBeDisabled();
    // Sent back once: no second automatic follow-up, and no retry button on it any more.
    await expect(failure.getByTestId('edit-failure-retry')).toHaveCount(0);

    // The follow-up's block is in the same review, beside the first answer's good one.
    const fixed = ws.hunks.nth(2);
    await expect(fixed).toHaveAttribute('data-status', 'pending');
    await expect(fixed.getByTestId('hunk-retry-of')).toBeVisible();
    await ws.page.getByTestId('accept-all').click();
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [true, true, false]));
    await expect(ws.turns).toHaveCount(2);
  });

  test('with the automatic retry off, the failure waits: edit the report, or ask the model to fix it', async ({ workspace: ws, joinPeer }) => {
    const peer = await joinPeer(await ws.newSession());
    const original = peer.text(PATH)!;
    await ws.page.getByTestId('auto-retry-toggle').uncheck();
    const marker = uniqueMarker('manual');
    const tag = uniqueMarker('nomatch');
    await sim.rule({ match: marker, text: scriptedResponse([wrongRemove(tag)]), times: 1 });
    await ws.prompt(`Change remove ${marker}`);
    await ws.waitForStatus('done');
    await expect(ws.hunks).toHaveCount(1);
    const failure = ws.hunks.nth(0).getByTestId('edit-failure');
    await expect(failure).toHaveAttribute('data-reason', 'none');
    await expect(ws.turns).toHaveCount(1);

    await failure.getByTestId('edit-failure-send').click();
    await expect(ws.promptInput).toHaveValue(/^1 SEARCH\/REPLACE block of your last answer failed to apply\./);
    await expect(ws.promptInput).toHaveValue(new RegExp(tag));
    await ws.promptInput.fill('');

    await sim.rule({ match: tag, text: scriptedResponse([CART_THREE_HUNKS[1]], 'Fixed on request.'), times: 1 });
    await failure.getByTestId('edit-failure-retry').click();
    await expect(ws.turns).toHaveCount(2);
    await expect(ws.turns.nth(1)).toContainText('Fixed on request.');
    await ws.waitForStatus('done');
    await expect(ws.hunks.nth(1)).toHaveAttribute('data-status', 'pending');
    await ws.hunks.nth(1).getByTestId('hunk-accept').click();
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [false, true, false]));
  });

  test('a malformed block (no divider) is shown as failed, not lost, and sent back once', async ({ workspace: ws }) => {
    await ws.newSession();
    const marker = uniqueMarker('malformed');
    const tag = uniqueMarker('nodivider');
    const broken = `Here it is.\n\n${PATH}\n<<<<<<< SEARCH\n  total(): number { // ${tag}\n>>>>>>> REPLACE\n`;
    await sim.rule({ match: tag, text: scriptedResponse([CART_THREE_HUNKS[2]], 'With the divider this time.'), times: 1 });
    await sim.rule({ match: marker, text: broken, times: 1 });
    await ws.prompt(`Change total ${marker}`);
    await expect(ws.turns).toHaveCount(2, { timeout: 20_000 });
    await ws.waitForStatus('done');
    const failure = ws.page.getByTestId('edit-failure').and(ws.page.locator('[data-reason="malformed"]'));
    await expect(failure).toHaveCount(1);
    await expect(failure.getByTestId('edit-failure-reason')).toContainText('sent back to the model');
    await expect(failure).toContainText(tag);
    await expect(ws.hunks).toHaveCount(1);
    await expect(ws.hunks.nth(0)).toHaveAttribute('data-status', 'pending');
  });

  test('a SEARCH that matches several places lists them; the person picks one and it applies there', async ({ workspace: ws, joinPeer }) => {
    const peer = await joinPeer(await ws.newSession());
    const original = peer.text(PATH)!;
    const marker = uniqueMarker('ambiguous');
    // `  }` closes add(), remove() and total(): lines 17, 21 and 25 of the example cart.
    const block = { path: PATH, search: '  }\n', replace: `  }\n  // ${marker}\n` };
    await sim.rule({ match: marker, text: scriptedResponse([block]), times: 1 });
    await ws.prompt(`Mark the end of a method ${marker}`);
    await ws.waitForStatus('done');

    const hunk = ws.hunks.nth(0);
    await expect(hunk).toHaveAttribute('data-status', 'conflict');
    await expect(hunk.getByTestId('edit-failure')).toHaveAttribute('data-reason', 'ambiguous');
    const candidates = hunk.getByTestId('hunk-candidate');
    await expect(candidates).toHaveCount(3);
    await expect(candidates.nth(0)).toHaveAttribute('data-line', '17');
    await expect(candidates.nth(1)).toHaveAttribute('data-line', '21');
    await expect(candidates.nth(2)).toHaveAttribute('data-line', '25');
    await expect(hunk.getByTestId('hunk-accept')).toBeDisabled();

    await candidates.nth(1).getByTestId('hunk-candidate-pick').click();
    await expect(hunk).toHaveAttribute('data-status', 'accepted');
    const lines = original.split('\n');
    lines.splice(21, 0, `  // ${marker}`);
    await expect.poll(() => peer.text(PATH)).toBe(lines.join('\n'));
    // Ambiguity is the person's call: no automatic follow-up was sent for it.
    await expect(ws.turns).toHaveCount(1);
  });
});
