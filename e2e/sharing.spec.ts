import type { Browser, BrowserContext } from '@playwright/test';
import { CART_THREE_HUNKS, scriptedResponse, withHunks } from '../lib/seed/scripted-edits';
import { expect, sim, test, uniqueMarker, Workspace } from './fixtures';

const PATH = 'src/cart.ts';

/** A second person: their own browser context (own identity cookie), closed after the test. */
async function person(browser: Browser, contexts: BrowserContext[]): Promise<Workspace> {
  const context = await browser.newContext();
  contexts.push(context);
  return new Workspace(await context.newPage());
}

/** The presence entry of the participant named `name` (others' entries carry their chosen name). */
function presenceOf(ws: Workspace, name: string) {
  return ws.page.locator(`[data-testid="presence-user"][data-name="${name}"]`);
}

async function setName(ws: Workspace, name: string) {
  await ws.page.getByTestId('display-name').fill(name);
}

test.describe('sharing and pairing', () => {
  const contexts: BrowserContext[] = [];
  test.afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });

  test('the owner shares the edit link; the partner joins; both type and see each other in presence and each other\'s cursor; follow mode', async ({ workspace: owner, browser, joinPeer }) => {
    const id = await owner.newSession();
    const peer = await joinPeer(id);
    await setName(owner, 'Olive Owner');
    const link = await owner.shareLink('edit');
    expect(link).toContain(`/s/${id}?t=`);

    const partner = await person(browser, contexts);
    await partner.openLink(link);
    await setName(partner, 'Pat Partner');

    // Presence: each sees both, with their roles.
    await expect(owner.presenceUsers).toHaveCount(2);
    await expect(presenceOf(owner, 'Pat Partner')).toHaveAttribute('data-role', 'editor');
    await expect(presenceOf(owner, 'Olive Owner')).toHaveAttribute('data-role', 'owner');
    await expect(presenceOf(partner, 'Olive Owner')).toHaveAttribute('data-role', 'owner');
    await expect(presenceOf(partner, 'Pat Partner')).toHaveAttribute('data-role', 'editor');

    // Both type; each sees the other's text.
    const mine = `// owner ${uniqueMarker('otter')}`;
    await owner.focusEditorAtStart();
    await owner.page.keyboard.type(mine);
    await owner.page.keyboard.press('Enter');
    await expect.poll(async () => (await partner.visibleLines())[0]).toBe(mine);
    const theirs = `// partner ${uniqueMarker('heron')}`;
    await partner.focusEditorAtStart();
    await partner.page.keyboard.type(theirs);
    await partner.page.keyboard.press('Enter');
    await expect.poll(async () => (await owner.visibleLines())[0]).toBe(theirs);
    await expect.poll(() => peer.text(PATH)?.split('\n').slice(0, 2)).toEqual([theirs, mine]);

    // Each sees the other's cursor, labelled with their name.
    const ownerSeesCursor = owner.editor.locator('.yRemoteSelectionHead');
    const partnerSeesCursor = partner.editor.locator('.yRemoteSelectionHead');
    await expect(ownerSeesCursor).toHaveCount(1);
    await expect(partnerSeesCursor).toHaveCount(1);
    expect(await ownerSeesCursor.evaluate((el) => getComputedStyle(el, '::after').content)).toContain('Pat Partner');
    expect(await partnerSeesCursor.evaluate((el) => getComputedStyle(el, '::after').content)).toContain('Olive Owner');

    // Follow mode: the owner follows the partner into another file, until the owner moves.
    await presenceOf(owner, 'Pat Partner').click();
    await expect(presenceOf(owner, 'Pat Partner')).toHaveAttribute('data-following', 'true');
    await partner.fileItem('src/cart.test.ts').click();
    await expect(partner.editor).toHaveAttribute('data-path', 'src/cart.test.ts');
    await expect(owner.editor).toHaveAttribute('data-path', 'src/cart.test.ts');
    await owner.editor.locator('.view-line').first().click();
    await expect(presenceOf(owner, 'Pat Partner')).toHaveAttribute('data-following', 'false');
    await partner.fileItem(PATH).click();
    await expect(partner.editor).toHaveAttribute('data-path', PATH);
    await expect(owner.editor).toHaveAttribute('data-path', 'src/cart.test.ts');

    // The partner leaving removes them from the owner's list.
    await partner.page.close();
    await expect(owner.presenceUsers).toHaveCount(1);
  });

  test('the partner sees the owner\'s AI stream live and accepts a hunk, which the owner sees applied', async ({ workspace: owner, browser, joinPeer }) => {
    const id = await owner.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const partner = await person(browser, contexts);
    await partner.openLink(await owner.shareLink('edit'));

    const marker = uniqueMarker('discount');
    // Slow enough that the partner's page is seen streaming.
    await sim.rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS), tokensPerSecond: 60, times: 1 });
    await owner.prompt(`Add the ${marker}`);
    await partner.waitForStatus('streaming');
    await expect(partner.addedZones('live').or(partner.hunks).first()).toBeVisible();
    await partner.waitForStatus('done');
    await owner.waitForStatus('done');
    await expect(partner.hunks).toHaveCount(3);
    await expect(owner.hunks).toHaveCount(3);

    await partner.hunks.nth(0).getByTestId('hunk-accept').click();
    await expect(owner.hunks.nth(0)).toHaveAttribute('data-status', 'accepted');
    const expected = withHunks(original, CART_THREE_HUNKS, [true, false, false]);
    await expect.poll(() => peer.text(PATH)).toBe(expected);
    await expect.poll(async () => (await owner.visibleLines()).join('\n')).toContain('  private discount = 0;');
  });

  test('a view link opens read-only: no typing, no prompting, no review', async ({ workspace: owner, browser, joinPeer }) => {
    const id = await owner.newSession();
    const peer = await joinPeer(id);
    const before = peer.text(PATH);
    const viewer = await person(browser, contexts);
    await viewer.openLink(await owner.shareLink('view'));

    await expect(viewer.page.getByTestId('view-only')).toBeVisible();
    await expect(viewer.editor).toHaveAttribute('data-readonly', 'true');
    await expect(viewer.page.locator('[data-testid="presence-user"][data-self="true"]')).toHaveAttribute('data-role', 'viewer');
    await expect(owner.page.locator('[data-testid="presence-user"][data-role="viewer"]')).toHaveCount(1);
    await expect(viewer.promptInput).toBeDisabled();
    await expect(viewer.promptSubmit).toBeDisabled();
    await expect(viewer.shareButton).toHaveCount(0);

    await viewer.focusEditorAtStart();
    await viewer.page.keyboard.type('// viewer typing');
    await expect(viewer.editor).not.toContainText('viewer typing');

    // The viewer watches a turn, but has no review buttons.
    const marker = uniqueMarker('viewonly');
    await sim.rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
    await owner.prompt(`Add the ${marker}`);
    await expect(viewer.hunks).toHaveCount(3);
    await expect(viewer.page.locator('[data-testid="hunk-accept"]:visible')).toHaveCount(0);
    await expect(viewer.page.getByTestId('accept-all')).toBeHidden();
    expect(peer.text(PATH)).toBe(before);
  });

  test('a revoked link shows a clear page, and so does a bare session URL; whoever joined with it is sent out', async ({ workspace: owner, browser }) => {
    const id = await owner.newSession();
    const viewLink = await owner.shareLink('view');
    const viewer = await person(browser, contexts);
    await viewer.openLink(viewLink);

    await owner.openShareMenu();
    await owner.page.getByTestId('share-revoke-view').click();
    await expect(owner.page.getByTestId('share-link-view')).toHaveValue('');
    // Already in: sent out with the reason.
    await expect(viewer.page.getByTestId('error-banner')).toHaveAttribute('data-code', 'linkInvalid');
    await expect(viewer.editor).toHaveCount(0);

    // Opening it again: the clear page.
    const late = await person(browser, contexts);
    await late.page.goto(viewLink);
    await expect(late.page.getByRole('heading')).toHaveText('This link doesn’t open the session');
    await expect(late.page.getByTestId('error-banner')).toHaveAttribute('data-code', 'linkInvalid');
    await expect(late.page.getByRole('link', { name: 'Start a new session' })).toBeVisible();

    // A forged token and a bare URL, for someone who is not the owner.
    await late.page.goto(`/s/${id}?t=${'A'.repeat(43)}`);
    await expect(late.page.getByTestId('error-banner')).toHaveAttribute('data-code', 'linkInvalid');
    await late.page.goto(`/s/${id}`);
    await expect(late.page.getByTestId('error-banner')).toHaveAttribute('data-code', 'linkRequired');

    // A regenerated link works again.
    await owner.openShareMenu();
    await owner.page.getByTestId('share-regenerate-view').click();
    const fresh = await owner.shareLink('view');
    expect(fresh).not.toBe(viewLink);
    await late.openLink(fresh);
    await expect(late.editor).toHaveAttribute('data-readonly', 'true');
  });
});
