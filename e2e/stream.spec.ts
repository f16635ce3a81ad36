import { expect, isWindowOf, sim, test, uniqueMarker, type SessionPeer, type Workspace } from './fixtures';

const PATH = 'src/cart.ts';

/** An exact multi-line answer of about 26 tokens a line, every line naming the marker. */
function answer(marker: string, lines: number): string {
  return Array.from({ length: lines }, (_, i) => `export const ${marker}_${i} = ${i} + 1; // line ${i} of the answer\n`).join('');
}

/** Removes `part` from `text` once; throws when it is not there. */
function without(text: string, part: string): string {
  const at = text.indexOf(part);
  if (at < 0) throw new Error('text does not contain the part');
  return text.slice(0, at) + text.slice(at + part.length);
}

/**
 * Starts a long stream (≈5,000 tokens at 500 tok/s, so ≈10 s if left alone) and waits until its
 * first characters have landed in the document. Returns the full answer it would have produced.
 */
async function startLongStream(ws: Workspace, peer: SessionPeer, original: string, via: 'enter' | 'button'): Promise<string> {
  const marker = uniqueMarker('lemur');
  const full = answer(marker, 200);
  await sim.rule({ match: marker, text: full, tokensPerSecond: 500, times: 1 });
  await ws.prompt(`Write the long ${marker} table`, via);
  await expect(ws.interruptButton).toBeVisible();
  await expect.poll(() => peer.text(PATH)!.length).toBeGreaterThan(original.length);
  await ws.waitForStatus('streaming');
  return full;
}

/**
 * After an interrupt: the simulator saw its connection closed, the editor stopped changing, and
 * what landed is a strict prefix of the full answer, in front of the untouched original.
 * Returns the text that landed.
 */
async function expectInterrupted(ws: Workspace, peer: SessionPeer, original: string, full: string, abortedBefore: number): Promise<string> {
  await ws.waitForStatus('interrupted');
  await expect(ws.interruptButton).toBeHidden();
  await expect.poll(async () => (await sim.stats()).aborted).toBeGreaterThan(abortedBefore);

  // The editor stops changing: two samples a little apart are identical.
  const first = { doc: peer.text(PATH), lines: await ws.visibleLines() };
  await ws.page.waitForTimeout(600);
  const second = { doc: peer.text(PATH), lines: await ws.visibleLines() };
  expect(second).toEqual(first);
  await expect(ws.streamStatus).toHaveText('interrupted'); // no late "done"

  const doc = second.doc!;
  expect(doc.endsWith(original)).toBe(true);
  const landed = doc.slice(0, doc.length - original.length);
  expect(landed.length).toBeGreaterThan(0);
  expect(landed.length).toBeLessThan(full.length);
  expect(full.startsWith(landed)).toBe(true);
  expect(isWindowOf(second.lines, doc)).toBe(true);
  return landed;
}

test.describe('streaming', () => {
  test('a prompt streams its answer into the editor, then shows done and the metrics', async ({ workspace: ws, joinPeer }) => {
    const marker = uniqueMarker('quokka');
    const text = answer(marker, 40); // ≈1,000 tokens: several deliveries, so a rate can be measured
    await sim.rule({ match: marker, text, times: 1 });

    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    await expect(ws.ttft).toHaveText('–');
    await expect(ws.tps).toHaveText('–');
    const before = await sim.stats();

    await ws.prompt(`Add the ${marker} constants`);
    await ws.waitForStatus('done');

    // Inserted at the cursor, i.e. the start of a file the person never clicked into.
    await expect.poll(() => peer.text(PATH)).toBe(text + original);
    const after = await sim.stats();
    expect(after.requests).toBeGreaterThan(before.requests);
    expect(after.completed).toBeGreaterThan(before.completed);

    // The editor shows part of that document, including streamed lines, highlighted as added.
    await expect
      .poll(async () => {
        const lines = await ws.visibleLines();
        return isWindowOf(lines, text + original) && lines.some((l) => l.includes(marker));
      })
      .toBe(true);
    await expect(ws.addedHighlight.first()).toBeVisible();

    await expect(ws.ttft).toHaveText(/^\d+ ms$/);
    await expect(ws.tps).toHaveText(/^\d+$/);
    expect(Number(await ws.tps.textContent())).toBeGreaterThan(0);
    await expect(ws.interruptButton).toBeHidden();
    await expect(ws.promptInput).toHaveValue('');
    await expect(ws.errorBanner).toHaveCount(0);
  });

  test('the interrupt button stops the stream upstream and in the editor; the next prompt runs', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const { aborted } = await sim.stats();

    const full = await startLongStream(ws, peer, original, 'button');
    await ws.interruptButton.click();
    const landed = await expectInterrupted(ws, peer, original, full, aborted);

    // A second prompt after the interrupt completes normally.
    const marker = uniqueMarker('ibis');
    const next = answer(marker, 20);
    await sim.rule({ match: marker, text: next, times: 1 });
    await ws.prompt(`Now the ${marker} constants`);
    await ws.waitForStatus('done');
    await expect.poll(() => peer.text(PATH)!.includes(next)).toBe(true);
    expect(without(peer.text(PATH)!, next)).toBe(landed + original);
    await expect(ws.ttft).toHaveText(/^\d+ ms$/);
  });

  test('Esc in the prompt box interrupts the stream', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const { aborted } = await sim.stats();

    const full = await startLongStream(ws, peer, original, 'enter');
    await ws.promptInput.press('Escape');
    await expectInterrupted(ws, peer, original, full, aborted);
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
    await sim.rule({ match: marker, text: answer(marker, 200), tokensPerSecond: 500, times: 1 });
    await ws.prompt(`Write the long ${marker} table`, 'button');
    await ws.interruptButton.click();
    await ws.waitForStatus('interrupted');
    await expect.poll(async () => (await sim.stats()).aborted).toBeGreaterThan(aborted);
    await expect.poll(() => peer.text(PATH)).toBe(original);
    await expect(ws.streamStatus).toHaveText('interrupted');
  });
});
