import { CART_THREE_HUNKS, scriptedResponse, withHunks } from '../lib/seed/scripted-edits';
import { tokenize } from '../server/sim/tokens';
import { expect, sim, test, uniqueMarker, type SimRule, type Workspace } from './fixtures';

/**
 * Every upstream fault the simulator can play, in a real browser: each ends with a visible error
 * in words (never a hang, never raw upstream text), leaves nothing stuck (Stop gone, the prompt box
 * sends a new prompt that streams to the end), and a fault that hits after some output keeps the
 * part of the proposal that arrived (its closed hunks reviewable, its prose in the thread, the
 * half block dropped, not applied). The stall relies on the idle watchdog
 * (FLINT_STREAM_IDLE_MS in playwright.config.ts: 5 s).
 */

const PATH = 'src/cart.ts';

/** The answer each fault interrupts: a sentence, then three blocks. */
const answerFor = (marker: string) => scriptedResponse(CART_THREE_HUNKS, `Changing ${marker}.`);

/** Tokens of the answer up to partway into the second block: the first block has closed. */
function midSecondBlock(answer: string): number {
  return tokenize(answer.slice(0, answer.indexOf(CART_THREE_HUNKS[1].replace) + 40)).length;
}

interface FaultCase {
  name: string;
  /** The rule's fault and count, given the answer it interrupts. */
  rule(answer: string): Pick<SimRule, 'fault' | 'times'>;
  /** What the error banner says. */
  error: RegExp;
  /** The fault comes after the first block closed: one hunk and the prose are kept. */
  partial: boolean;
  /** 429s: the browser shows it is waiting for capacity before it gives up. */
  capacityWait?: boolean;
}

const FAULTS: FaultCase[] = [
  { name: '401 (API key refused)', rule: () => ({ fault: { type: 'status', status: 401 }, times: 1 }), error: /refused the API key/, partial: false },
  { name: '500', rule: () => ({ fault: { type: 'status', status: 500 }, times: 1 }), error: /failed \(HTTP 500\)/, partial: false },
  {
    // No `times`: the tier stays at capacity through every retry (FLINT_UPSTREAM_RETRIES, 3).
    name: '429 beyond the retries',
    rule: () => ({ fault: { type: 'status', status: 429, retryAfter: 1 } }),
    error: /still at capacity after several retries/,
    partial: false,
    capacityWait: true,
  },
  { name: 'drop mid-stream', rule: (a) => ({ fault: { type: 'drop', afterTokens: midSecondBlock(a) }, times: 1 }), error: /Lost the connection/, partial: true },
  {
    // Silent far longer than the watchdog waits: the watchdog ends it.
    name: 'stall mid-stream',
    rule: (a) => ({ fault: { type: 'stall', afterTokens: midSecondBlock(a), ms: 600_000 }, times: 1 }),
    error: /sent nothing for \d+ s/,
    partial: true,
  },
  { name: 'malformed chunk mid-stream', rule: (a) => ({ fault: { type: 'malformed', afterTokens: midSecondBlock(a) }, times: 1 }), error: /malformed response/, partial: true },
];

/** Nothing is stuck: Stop is gone and Send is back and enabled. */
async function expectNotStuck(ws: Workspace): Promise<void> {
  await expect(ws.interruptButton).toBeHidden();
  await expect(ws.promptSubmit).toBeEnabled();
  await expect(ws.promptInput).toBeEditable();
}

/**
 * The prompt box sends a new prompt and its answer streams to the end, as a new hunk to review
 * (the only pending one: the tests accept what the fault left before this).
 */
async function expectRecovers(ws: Workspace): Promise<void> {
  const next = uniqueMarker('wren');
  await sim.rule({ match: next, text: scriptedResponse([CART_THREE_HUNKS[2]], `Then ${next}.`), times: 1 });
  await ws.prompt(`Then ${next}`);
  await ws.waitForStatus('done');
  await expect(ws.errorBanner).toHaveCount(0);
  await expect(ws.turns.last()).toHaveAttribute('data-status', 'done');
  await expect(ws.page.locator('[data-testid="hunk"][data-status="pending"]')).toHaveCount(1);
  await expect(ws.providerStatus).toContainText('ready');
  await expectNotStuck(ws);
}

test.describe('upstream faults in the browser', () => {
  for (const f of FAULTS) {
    test(`${f.name}: a visible error, nothing stuck${f.partial ? ', the partial proposal kept' : ''} @reliability`, async ({ workspace: ws, joinPeer }) => {
      const id = await ws.newSession();
      const peer = await joinPeer(id);
      const original = peer.text(PATH)!;
      const marker = uniqueMarker('fault');
      const answer = answerFor(marker);
      await sim.rule({ match: marker, text: answer, ...f.rule(answer) });

      await ws.prompt(`Change ${marker}`);
      if (f.capacityWait) await expect(ws.page.getByTestId('capacity-wait')).toContainText('waiting for capacity');
      await ws.waitForStatus('error');

      // The error, in words, in the banner and on the turn; never the tier's own text.
      await expect(ws.errorBanner).toContainText(f.error);
      await expect(ws.errorBanner).not.toContainText('Simulated');
      await expect(ws.turns).toHaveCount(1);
      await expect(ws.turns.first()).toHaveAttribute('data-status', 'error');
      await expect(ws.turns.first().getByTestId('turn-error')).toContainText(f.error);
      await expectNotStuck(ws);

      if (f.partial) {
        // What arrived is kept: the prose, the closed block as a hunk to review; the half block is dropped.
        await expect(ws.turns.first()).toContainText(`Changing ${marker}.`);
        await expect(ws.turns.first().getByTestId('turn-dropped')).toBeVisible();
        await expect(ws.hunks).toHaveCount(1);
        await expect(ws.hunks.first()).toHaveAttribute('data-status', 'pending');
        expect(peer.text(PATH)).toBe(original);
        await ws.hunks.first().getByTestId('hunk-accept').click();
        await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [true]));
      } else {
        await expect(ws.hunks).toHaveCount(0);
        expect(peer.text(PATH)).toBe(original);
      }

      // The same page, straight away: a new prompt streams fine.
      await expectRecovers(ws);
    });
  }

  test('slow (long time to first token): shows it is waiting, then the answer completes @reliability', async ({ workspace: ws }) => {
    await ws.newSession();
    const marker = uniqueMarker('sloth');
    // Well under the 5 s idle watchdog, long enough to be seen waiting.
    await sim.rule({ match: marker, text: scriptedResponse([CART_THREE_HUNKS[0]], `Slowly ${marker}.`), ttftMs: 2_500, times: 1 });

    await ws.prompt(`Change ${marker}`);
    await expect(ws.page.getByTestId('awaiting-first-token')).toBeVisible();
    await ws.waitForStatus('streaming');
    await expect(ws.interruptButton).toBeVisible();
    await expect(ws.ttft).toHaveText('–');
    await ws.waitForStatus('done');
    await expect(ws.page.getByTestId('awaiting-first-token')).toHaveCount(0);
    await expect(ws.ttft).toHaveText(/^\d+ ms$/);
    await expect(ws.hunks).toHaveCount(1);
    await expect(ws.errorBanner).toHaveCount(0);
    await expectNotStuck(ws);
  });

  test('slow (long time to first token): Stop ends the wait, the tier request is closed, and the next prompt streams @reliability', async ({ workspace: ws }) => {
    await ws.newSession();
    const marker = uniqueMarker('sloth');
    await sim.rule({ match: marker, text: scriptedResponse([CART_THREE_HUNKS[0]]), ttftMs: 600_000, times: 1 });
    const before = await sim.stats();

    await ws.prompt(`Change ${marker}`);
    await expect(ws.page.getByTestId('awaiting-first-token')).toBeVisible();
    await expect.poll(async () => (await sim.stats()).requests).toBeGreaterThan(before.requests);
    await ws.interruptButton.click();
    await ws.waitForStatus('interrupted');
    await expect(ws.page.getByTestId('awaiting-first-token')).toHaveCount(0);
    await expect.poll(async () => (await sim.stats()).aborted).toBeGreaterThan(before.aborted);
    await expect(ws.errorBanner).toHaveCount(0);
    await expectNotStuck(ws);
    await expect(ws.turns.first()).toHaveAttribute('data-status', 'interrupted');
    await expectRecovers(ws);
  });
});
