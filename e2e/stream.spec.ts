import { CART_THREE_HUNKS, scriptedResponse } from '../lib/seed/scripted-edits';
import { expect, sim, test, uniqueMarker, type SessionPeer, type Workspace } from './fixtures';

const PATH = 'src/cart.ts';

/** One closed block, then a long one that takes seconds to stream: an interrupt lands inside it. */
function longAnswer(marker: string): string {
  const long = {
    path: PATH,
    search: CART_THREE_HUNKS[2].search,
    replace: Array.from({ length: 300 }, (_, i) => `    // ${marker} step ${i} of the long replacement\n`).join(''),
  };
  return scriptedResponse([CART_THREE_HUNKS[0], long], `Working on ${marker}.`);
}

/** Starts the long answer (≈10 s at 500 tok/s if left alone) and waits until the long block is painting. */
async function startLongStream(ws: Workspace, via: 'enter' | 'button'): Promise<void> {
  const marker = uniqueMarker('lemur');
  await sim.rule({ match: marker, text: longAnswer(marker), tokensPerSecond: 500, times: 1 });
  await ws.prompt(`Write the long ${marker} table`, via);
  await expect(ws.interruptButton).toBeVisible();
  await expect(ws.hunks).toHaveCount(1);
  await expect(ws.addedZones('live')).toHaveCount(1);
  await ws.waitForStatus('streaming');
}

/**
 * After an interrupt: the simulator saw its connection closed, the live block is gone and the
 * editor stopped changing, the closed block stayed a pending hunk, the half block was dropped
 * and the UI says so, and the file itself was never touched.
 */
async function expectInterrupted(ws: Workspace, peer: SessionPeer, original: string, abortedBefore: number): Promise<void> {
  await ws.waitForStatus('interrupted');
  await expect(ws.interruptButton).toBeHidden();
  await expect.poll(async () => (await sim.stats()).aborted).toBeGreaterThan(abortedBefore);
  await expect(ws.addedZones('live')).toHaveCount(0);
  await expect(ws.page.getByTestId('dropped-block')).toBeVisible();

  // The editor stops changing: two samples a little apart are identical.
  const first = { doc: peer.text(PATH), lines: await ws.visibleLines(), zones: await ws.addedZones().count() };
  await ws.page.waitForTimeout(600);
  const second = { doc: peer.text(PATH), lines: await ws.visibleLines(), zones: await ws.addedZones().count() };
  expect(second).toEqual(first);
  await expect(ws.streamStatus).toHaveText('interrupted'); // no late "done"

  expect(second.doc).toBe(original);
  await expect(ws.hunks).toHaveCount(1);
  await expect(ws.hunks.first()).toHaveAttribute('data-status', 'pending');
  await expect(ws.turns.first()).toHaveAttribute('data-status', 'interrupted');
  await expect(ws.page.getByTestId('turn-dropped')).toBeVisible();
}

test.describe('streaming', () => {
  test('a prompt streams a live diff into the editor, then shows done, the hunks and the metrics', async ({ workspace: ws, joinPeer }) => {
    const marker = uniqueMarker('quokka');
    await sim.rule({ match: marker, text: scriptedResponse(CART_THREE_HUNKS, `Adding the ${marker} discount.`), tokensPerSecond: 100, times: 1 });

    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    await expect(ws.ttft).toHaveText('–');
    await expect(ws.tps).toHaveText('–');
    const before = await sim.stats();

    await ws.prompt(`Add the ${marker} discount`);
    // While it streams, the block being written is painted live, next to lines marked removed.
    await expect(ws.addedZones('live')).toHaveCount(1);
    await expect(ws.removedLines.first()).toBeVisible();
    await ws.waitForStatus('done');

    const after = await sim.stats();
    expect(after.requests).toBeGreaterThan(before.requests);
    expect(after.completed).toBeGreaterThan(before.completed);
    await expect(ws.hunks).toHaveCount(3);
    for (const h of await ws.hunks.all()) await expect(h).toHaveAttribute('data-status', 'pending');
    await expect(ws.addedZones('pending')).toHaveCount(3);
    await expect(ws.addedZones('live')).toHaveCount(0);
    await expect(ws.turns.first()).toContainText(`Adding the ${marker} discount.`);
    // Proposed, not applied: the document is untouched until a hunk is accepted.
    expect(peer.text(PATH)).toBe(original);

    await expect(ws.ttft).toHaveText(/^\d+ ms$/);
    await expect(ws.tps).toHaveText(/^\d+$/);
    expect(Number(await ws.tps.textContent())).toBeGreaterThan(0);
    // The metrics detail: the first token's way, stage by stage, each with a number.
    const detail = ws.page.getByTestId('ttft-detail');
    await detail.locator('summary').click();
    const stages = detail.getByTestId('ttft-stage');
    await expect(stages).toHaveCount(7);
    expect(await stages.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-stage')))).toEqual(['send', 'context', 'request', 'firstByte', 'firstToken', 'received', 'painted']);
    for (const ms of await detail.getByTestId('ttft-stage-ms').allTextContents()) expect(ms).toMatch(/^-?\d+\.\d ms$/);
    await expect(ws.page.getByTestId('context-info')).toHaveAttribute('data-files', PATH);
    await expect(ws.interruptButton).toBeHidden();
    await expect(ws.promptInput).toHaveValue('');
    await expect(ws.errorBanner).toHaveCount(0);
  });

  test('the interrupt button stops the stream upstream and in the editor; the next prompt runs', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const { aborted } = await sim.stats();

    await startLongStream(ws, 'button');
    await ws.interruptButton.click();
    await expectInterrupted(ws, peer, original, aborted);

    // A second prompt after the interrupt completes normally.
    const marker = uniqueMarker('ibis');
    await sim.rule({ match: marker, text: scriptedResponse([CART_THREE_HUNKS[1]]), times: 1 });
    await ws.prompt(`Now the ${marker} change`);
    await ws.waitForStatus('done');
    await expect(ws.turns).toHaveCount(2);
    await expect(ws.hunks).toHaveCount(2); // the first turn's closed block is still open for review
    await expect(ws.page.getByTestId('dropped-block')).toHaveCount(0);
    await expect(ws.ttft).toHaveText(/^\d+ ms$/);
  });

  test('Esc in the prompt box interrupts the stream', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const { aborted } = await sim.stats();

    await startLongStream(ws, 'enter');
    await ws.promptInput.press('Escape');
    await expectInterrupted(ws, peer, original, aborted);
  });

  test('Esc in the editor interrupts the stream', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const { aborted } = await sim.stats();

    await startLongStream(ws, 'enter');
    // Focus Monaco's input directly: while the live diff grows, its lines move every frame and a
    // click waits for them to hold still, which on a loaded machine they may not do in time.
    await ws.editor.locator('textarea').first().focus();
    await ws.page.keyboard.press('Escape');
    await expectInterrupted(ws, peer, original, aborted);
  });

  test('Stop pressed before the server acknowledged the prompt still stops the stream upstream', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const { aborted } = await sim.stats();
    // Hold every server → browser frame back a little, so the click lands before the ack.
    await ws.page.routeWebSocket(/socket\.io/, (route) => {
      const server = route.connectToServer();
      route.onMessage((m) => server.send(m));
      server.onMessage((m) => void new Promise((r) => setTimeout(r, 300)).then(() => route.send(m)));
    });
    await ws.page.reload();
    await expect(ws.page.getByTestId('connection-status')).toHaveText('ready');

    const marker = uniqueMarker('okapi');
    await sim.rule({ match: marker, text: longAnswer(marker), tokensPerSecond: 500, times: 1 });
    await ws.prompt(`Write the long ${marker} table`, 'button');
    await ws.interruptButton.click();
    await ws.waitForStatus('interrupted');
    await expect.poll(async () => (await sim.stats()).aborted).toBeGreaterThan(aborted);
    await expect(ws.streamStatus).toHaveText('interrupted');
    await ws.page.waitForTimeout(600);
    expect(peer.text(PATH)).toBe(original);
    await expect(ws.addedZones('live')).toHaveCount(0);
  });
});
