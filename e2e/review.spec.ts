import { CART_THREE_HUNKS, scriptedResponse, withHunks } from '../lib/seed/scripted-edits';
import { expect, sim, test, uniqueMarker, type Workspace } from './fixtures';

const PATH = 'src/cart.ts';

/** Prompts for the scripted 3-hunk change and waits until the turn is done with 3 hunks. */
async function proposeThree(ws: Workspace, opts: { tokensPerSecond?: number } = {}): Promise<string> {
  const marker = uniqueMarker('discount');
  await sim.rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS), tokensPerSecond: opts.tokensPerSecond, times: 1 });
  await ws.prompt(`Add the ${marker}`);
  await ws.waitForStatus('done');
  await expect(ws.hunks).toHaveCount(3);
  return marker;
}

test.describe('review', () => {
  test('accept one, reject one, accept the third by keyboard: the file matches; the accept is one undo step', async ({ workspace: ws, joinPeer }) => {
    const peer = await joinPeer(await ws.newSession());
    const original = peer.text(PATH)!;
    await proposeThree(ws);

    await ws.hunks.nth(0).getByTestId('hunk-accept').click();
    await expect(ws.hunks.nth(0)).toHaveAttribute('data-status', 'accepted');
    await ws.hunks.nth(1).getByTestId('hunk-reject').click();
    await expect(ws.hunks.nth(1)).toHaveAttribute('data-status', 'rejected');
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [true, false, false]));

    // From the editor: Alt+] selects the next open hunk, Ctrl+Enter accepts it.
    await ws.editor.locator('.view-line').first().click();
    await ws.page.keyboard.press('Alt+BracketRight');
    await expect(ws.hunks.nth(2)).toBeFocused();
    await ws.page.keyboard.press('Control+Enter');
    await expect(ws.hunks.nth(2)).toHaveAttribute('data-status', 'accepted');
    const expected = withHunks(original, CART_THREE_HUNKS, [true, false, true]);
    await expect.poll(() => peer.text(PATH)).toBe(expected);
    await expect(ws.addedZones()).toHaveCount(0);

    // Accepting is one undo step in the editor.
    await ws.editor.locator('.view-line').first().click();
    await ws.page.keyboard.press('Control+z');
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [true, false, false]));
  });

  test('accept all and reject all; a hunk whose text another person changed becomes a conflict and is never applied', async ({ workspace: ws, joinPeer }) => {
    const peer = await joinPeer(await ws.newSession());
    const original = peer.text(PATH)!;
    await proposeThree(ws);

    // Someone edits inside hunk 1's lines and, elsewhere, above hunk 3.
    peer.replace(PATH, '  private items: Item[] = [];\n', '  private items: Item[] = []; // kept\n');
    peer.replace(PATH, '  total(): number {\n', '  // the total\n  total(): number {\n');
    await expect(ws.hunks.nth(0)).toHaveAttribute('data-status', 'conflict');
    await expect(ws.hunks.nth(0)).toContainText('changed in src/cart.ts after it was proposed');
    await expect(ws.hunks.nth(0).getByTestId('hunk-accept')).toBeDisabled();
    await expect(ws.hunks.nth(2)).toHaveAttribute('data-status', 'pending'); // rebased over the edit above it

    await ws.page.getByTestId('accept-all').click();
    await expect(ws.hunks.nth(1)).toHaveAttribute('data-status', 'accepted');
    await expect(ws.hunks.nth(2)).toHaveAttribute('data-status', 'accepted');
    await expect(ws.hunks.nth(0)).toHaveAttribute('data-status', 'conflict');
    const edited = original
      .replace('  private items: Item[] = [];\n', '  private items: Item[] = []; // kept\n')
      .replace('  total(): number {\n', '  // the total\n  total(): number {\n');
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(edited, CART_THREE_HUNKS, [false, true, true]));

    await ws.page.getByTestId('reject-all').click();
    await expect(ws.hunks.nth(0)).toHaveAttribute('data-status', 'rejected');
    expect(peer.text(PATH)).toBe(withHunks(edited, CART_THREE_HUNKS, [false, true, true]));
  });

  test('the side-by-side view shows the file now and with the hunk', async ({ workspace: ws }) => {
    await ws.newSession();
    await proposeThree(ws);
    await ws.hunks.nth(1).getByTestId('hunk-side-by-side').click();
    const view = ws.page.getByTestId('hunk-diff-view');
    await expect(view).toBeVisible();
    await expect(view.locator('.modified').getByText('const before = this.items.length;')).toBeVisible();
    await ws.page.keyboard.press('Escape');
    await expect(view).toBeHidden();
  });

  test('instant mode applies each hunk as its block closes, and the whole turn undoes in one click', async ({ workspace: ws, joinPeer }) => {
    const peer = await joinPeer(await ws.newSession());
    const original = peer.text(PATH)!;
    await ws.page.getByTestId('instant-toggle').check();
    await proposeThree(ws);
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [true, true, true]));
    for (const h of await ws.hunks.all()) await expect(h).toHaveAttribute('data-status', 'accepted');

    await ws.page.getByTestId('turn-undo').click();
    await expect.poll(() => peer.text(PATH)).toBe(original);
    await expect(ws.turns.first()).toHaveAttribute('data-reverted', 'true');
  });

  test('restoring a checkpoint returns the workspace to before that turn, later turns included, after a confirmation; the restore can be undone', async ({ workspace: ws, joinPeer }) => {
    const peer = await joinPeer(await ws.newSession());
    const original = peer.text(PATH)!;
    await proposeThree(ws);
    await ws.page.getByTestId('accept-all').click();
    const afterFirst = withHunks(original, CART_THREE_HUNKS, [true, true, true]);
    await expect.poll(() => peer.text(PATH)).toBe(afterFirst);

    // A second turn creates a file.
    const marker = uniqueMarker('newfile');
    await sim.rule({ match: marker, text: scriptedResponse([{ path: 'src/discount.ts', search: '', replace: 'export const DISCOUNT = 0.1;\n' }]), times: 1 });
    await ws.prompt(`Create the ${marker} file`);
    await ws.waitForStatus('done');
    await ws.page.getByTestId('accept-all').click();
    await expect.poll(() => peer.text('src/discount.ts')).toBe('export const DISCOUNT = 0.1;\n');

    await ws.turns.first().getByTestId('checkpoint-restore').click();
    await ws.page.getByTestId('checkpoint-restore-cancel').click();
    expect(peer.text(PATH)).toBe(afterFirst);

    await ws.turns.first().getByTestId('checkpoint-restore').click();
    await ws.page.getByTestId('checkpoint-restore-confirm').click();
    await expect.poll(() => peer.text(PATH)).toBe(original);
    await expect.poll(() => peer.text('src/discount.ts')).toBeUndefined();
    await expect(ws.turns.nth(0)).toHaveAttribute('data-reverted', 'true');
    await expect(ws.turns.nth(1)).toHaveAttribute('data-reverted', 'true');

    await ws.page.getByTestId('restore-undo').click();
    await expect.poll(() => peer.text(PATH)).toBe(afterFirst);
    await expect.poll(() => peer.text('src/discount.ts')).toBe('export const DISCOUNT = 0.1;\n');
    await expect(ws.turns.nth(0)).toHaveAttribute('data-reverted', 'false');
  });
});

test.describe('redirect', () => {
  /** A slow answer: one block, then a long one (≈8 s at 500 tok/s). */
  /** `stallMs`: the stream also pauses that long mid-answer, so steps taken while it runs can't race its end on a loaded machine. */
  async function startSlow(ws: Workspace, opts: { stallMs?: number } = {}): Promise<void> {
    const marker = uniqueMarker('slow');
    const long = { path: PATH, search: CART_THREE_HUNKS[2].search, replace: '    // a long replacement line\n'.repeat(300) };
    const fault = opts.stallMs ? { fault: { type: 'stall' as const, afterTokens: 400, ms: opts.stallMs } } : {};
    await sim.rule({ match: marker, text: scriptedResponse([CART_THREE_HUNKS[0], long]), tokensPerSecond: 500, times: 1, ...fault });
    await ws.prompt(`Slow ${marker}`);
    await expect(ws.addedZones('live')).toHaveCount(1);
  }

  test('send now interrupts the turn and runs the follow-up with the partial answer in its context', async ({ workspace: ws }) => {
    await ws.newSession();
    const { aborted } = await sim.stats();
    await startSlow(ws);
    const marker = uniqueMarker('instead');
    await sim.rule({ match: marker, text: scriptedResponse([CART_THREE_HUNKS[1]], 'Smaller change instead.'), times: 1 });
    await ws.promptInput.fill(`Do the ${marker} instead`);
    await ws.page.getByTestId('followup-send-now').click();

    await expect(ws.turns).toHaveCount(2);
    await expect(ws.turns.nth(0)).toHaveAttribute('data-status', 'interrupted');
    await expect(ws.turns.nth(1)).toHaveAttribute('data-status', 'done');
    await expect(ws.turns.nth(1)).toContainText('Smaller change instead.');
    await ws.waitForStatus('done');
    expect((await sim.stats()).aborted).toBeGreaterThan(aborted);
    // The first turn's closed block and the new turn's block are both up for review.
    await expect(ws.hunks).toHaveCount(2);
  });

  test('a queued follow-up can be edited, and runs after the current turn', async ({ workspace: ws }) => {
    await ws.newSession();
    await startSlow(ws, { stallMs: 4_000 }); // under the e2e server's 5 s FLINT_STREAM_IDLE_MS
    await ws.promptInput.fill('first draft of the follow-up');
    await ws.promptInput.press('Enter'); // Enter while streaming queues
    await ws.promptInput.fill('to be removed');
    await ws.page.getByTestId('followup-queue-add').click();
    const queue = ws.page.getByTestId('followup-queue');
    await expect(queue.getByTestId('followup-item')).toHaveCount(2);
    await queue.getByTestId('followup-remove').nth(1).click();
    const marker = uniqueMarker('queued');
    await sim.rule({ match: marker, text: scriptedResponse([CART_THREE_HUNKS[1]], 'Queued one ran.'), times: 1 });
    await queue.getByTestId('followup-edit').first().fill(`Then the ${marker} change`);

    await expect(ws.turns).toHaveCount(2, { timeout: 30_000 });
    await expect(ws.turns.nth(0)).toHaveAttribute('data-status', 'done');
    await expect(ws.turns.nth(1)).toContainText(`Then the ${marker} change`);
    await expect(ws.turns.nth(1)).toContainText('Queued one ran.');
    await expect(queue).toHaveCount(0);
  });

  test('@ completes a file name in the prompt, and the mentioned file is sent as context', async ({ workspace: ws }) => {
    await ws.newSession();
    await ws.promptInput.click();
    await ws.page.keyboard.type('Match the style of @cart.te');
    const options = ws.page.getByTestId('mention-option');
    await expect(options).toHaveCount(1);
    await expect(options.first()).toHaveAttribute('data-path', 'src/cart.test.ts');
    await ws.page.keyboard.press('Enter');
    await expect(ws.promptInput).toHaveValue('Match the style of @src/cart.test.ts ');
    await ws.page.keyboard.press('Enter');
    await ws.waitForStatus('done');
    await expect(ws.page.getByTestId('context-info')).toHaveAttribute('data-files', 'src/cart.test.ts src/cart.ts');
  });
});
