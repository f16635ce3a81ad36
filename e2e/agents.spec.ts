import { SIM_URL } from './env';
import { expect, sim, test, uniqueMarker, type SessionPeer, type Workspace } from './fixtures';
import { expectAccessible } from './a11y-support';

const PATH = 'src/cart.ts';
const TEST_PATH = 'src/cart.test.ts';
const RIGHT = 'return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);';
const BUGGY = 'return this.items.reduce((sum, i) => sum + i.price, 0);';
/** Fixes "merges the same sku" and "removes an item", still fails "adds up prices times quantities". */
const HALF = 'return this.items.reduce((sum, i) => sum + i.price * Math.min(i.quantity, 2), 0);';

function block(path: string, from: string, to: string): string {
  return `Changing the total.\n\n${path}\n<<<<<<< SEARCH\n    ${from}\n=======\n    ${to}\n>>>>>>> REPLACE\n`;
}

/** A new session whose cart total ignores quantities (two of its three tests fail). */
async function buggySession(ws: Workspace, joinPeer: (id: string) => Promise<SessionPeer>): Promise<SessionPeer> {
  const peer = await joinPeer(await ws.newSession());
  peer.replace(PATH, RIGHT, BUGGY);
  await expect.poll(() => peer.text(PATH)).toContain(BUGGY);
  return peer;
}

async function background(ws: Workspace, prompt: string, attempts?: 1 | 2 | 4 | 8): Promise<void> {
  if (attempts) await ws.page.getByTestId('attempts-select').selectOption(String(attempts));
  await ws.promptInput.fill(prompt);
  await ws.page.getByTestId('prompt-background').click();
}

test.describe('background agents', () => {
  // Each round is a model answer and a test run in the page's sandbox (bundled with esbuild-wasm):
  // on a loaded two-core machine a cold first run alone can take tens of seconds.
  test.setTimeout(240_000);
  test('round 1 fails one test, round 2 passes; the file is untouched until the result is taken through review', async ({ workspace: ws, joinPeer }) => {
    const peer = await buggySession(ws, joinPeer);
    const marker = uniqueMarker('agent-fix');
    // Round 2 is answered only when the request carries round 1's failure (rules are tried in order).
    await sim.rule({ match: 'adds up prices times quantities [failed]', text: block(PATH, HALF, RIGHT), times: 1 });
    await sim.rule({ match: marker, text: block(PATH, BUGGY, HALF), times: 1 });
    await background(ws, `fix the cart total ${marker}`);

    const agent = ws.page.getByTestId('agent');
    await expect(agent).toHaveCount(1);
    await expect(agent).toHaveAttribute('data-status', 'passed', { timeout: 150_000 });
    await expect(agent).toHaveAttribute('data-round', '2');
    await expect(agent.getByTestId('agent-tests')).toHaveText('3/3 tests passed');
    await expect(agent.getByTestId('agent-tokens')).not.toHaveText('0 tokens');
    // Nothing of the agent's reached the person's file, nor did a review appear.
    expect(peer.text(PATH)).toContain(BUGGY);
    await expect(ws.hunks).toHaveCount(0);

    // The person edits elsewhere meanwhile; taking the result keeps that edit.
    peer.replace(PATH, '  remove(sku: string): void {', '  remove(sku: string): void { // mine');
    await expect.poll(() => peer.text(PATH)).toContain('// mine');
    await agent.getByTestId('agent-open').click();
    await expect(ws.hunks).toHaveCount(1);
    await expect(ws.hunks.first()).toHaveAttribute('data-status', 'pending');
    expect(peer.text(PATH)).toContain(BUGGY);
    await ws.hunks.first().getByTestId('hunk-accept').click();
    await expect.poll(() => peer.text(PATH)).toContain(RIGHT);
    expect(peer.text(PATH)).toContain('// mine');
  });

  test('the same lines changed by the person meanwhile: the hunk is a conflict and never overwrites them', async ({ workspace: ws, joinPeer }) => {
    const peer = await buggySession(ws, joinPeer);
    const marker = uniqueMarker('agent-conflict');
    await sim.rule({ match: marker, text: block(PATH, BUGGY, RIGHT), times: 1 });
    await background(ws, `fix the cart total ${marker}`);
    const agent = ws.page.getByTestId('agent');
    await expect(agent).toHaveAttribute('data-status', 'passed', { timeout: 150_000 });
    const mine = 'return this.items.reduce((sum, i) => sum + i.price * i.quantity * 1, 0);';
    peer.replace(PATH, BUGGY, mine);
    await expect.poll(() => peer.text(PATH)).toContain(mine);
    await agent.getByTestId('agent-open').click();
    await expect(ws.hunks).toHaveCount(1);
    await expect(ws.hunks.first()).toHaveAttribute('data-status', 'conflict');
    // Marked, with the person's lines beside it, and it cannot be accepted over them.
    await expect(ws.hunks.first().getByTestId('hunk-accept')).toBeDisabled();
    await expect(ws.page.getByTestId('accept-all')).toBeDisabled();
    await expect(ws.hunks.first()).toContainText('sum + i.price * i.quantity * 1');
    expect(peer.text(PATH)).toContain(mine);
  });

  test('an edit to a test file is refused and reported; the agent fixes the code instead', async ({ workspace: ws, joinPeer }) => {
    const peer = await buggySession(ws, joinPeer);
    const original = peer.text(TEST_PATH)!;
    const marker = uniqueMarker('agent-cheat');
    const cheat = `Loosening the test.\n\n${TEST_PATH}\n<<<<<<< SEARCH\n    expect(cart.total()).toBe(3.5);\n=======\n    expect(cart.total()).toBe(1.25);\n>>>>>>> REPLACE\n`;
    await sim.rule({ match: 'were refused: test files may not be changed', text: block(PATH, BUGGY, RIGHT), times: 1 });
    await sim.rule({ match: marker, text: cheat, times: 1 });
    await background(ws, `make the tests pass ${marker}`);
    const agent = ws.page.getByTestId('agent');
    await expect(agent).toHaveAttribute('data-status', 'passed', { timeout: 150_000 });
    await expect(agent.getByTestId('agent-refused')).toContainText(TEST_PATH);
    expect(peer.text(TEST_PATH)).toBe(original);
  });

  test('stop mid-round; a reload keeps the list', async ({ workspace: ws, joinPeer, page }) => {
    await buggySession(ws, joinPeer);
    const marker = uniqueMarker('agent-slow');
    // The model takes a minute to answer: the agent is stopped while it waits.
    await sim.rule({ match: marker, text: block(PATH, BUGGY, RIGHT), ttftMs: 60_000, times: 1 });
    await background(ws, `fix the cart total ${marker}`);
    const agent = ws.page.getByTestId('agent');
    await expect(agent).toHaveAttribute('data-status', 'running');
    await expect(agent).toHaveAttribute('data-round', '1');
    const before = (await sim.stats()).aborted;
    await agent.getByTestId('agent-stop').click();
    await expect(agent).toHaveAttribute('data-status', 'stopped');
    await expect.poll(async () => (await sim.stats()).aborted).toBeGreaterThan(before);

    await page.reload();
    await ws.waitReady();
    await expect(ws.page.getByTestId('agent-list')).toBeVisible();
    await expect(ws.page.getByTestId('agent')).toHaveAttribute('data-status', 'stopped');
    await expect(ws.page.getByTestId('agent')).toContainText(marker);
  });

  test('four attempts run, are ranked by tests passed, and the picked one opens as a review', async ({ workspace: ws, joinPeer }) => {
    const peer = await buggySession(ws, joinPeer);
    const marker = uniqueMarker('agent-attempts');
    const TWO_FAIL = 'return this.items.reduce((sum, i) => sum + i.price * i.quantity + 1, 0);';
    // Each attempt's first request takes one of these; later rounds get no edit and end stuck.
    await sim.rule({ match: marker, text: block(PATH, BUGGY, HALF), times: 1 });
    await sim.rule({ match: marker, text: block(PATH, BUGGY, RIGHT), times: 1 });
    await sim.rule({ match: marker, text: block(PATH, BUGGY, TWO_FAIL), times: 1 });
    await sim.rule({ match: marker, text: block(PATH, BUGGY, RIGHT), times: 1 });
    await sim.rule({ match: marker, text: 'I have nothing more to change.', times: 12 });
    await background(ws, `fix the cart total ${marker}`, 4);

    await expect(ws.page.getByTestId('agent')).toHaveCount(4);
    const compare = ws.page.getByTestId('attempt-compare');
    const attempts = compare.getByTestId('attempt');
    await expect(attempts).toHaveCount(4);
    await expect(ws.page.locator('[data-testid="agent"][data-status="running"]')).toHaveCount(0, { timeout: 200_000 });
    const passed = await attempts.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-tests-passed'))));
    const totals = await attempts.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-tests-total'))));
    expect(passed).toEqual([3, 3, 2, 1]);
    expect(totals).toEqual([3, 3, 3, 3]);
    await expectAccessible(ws.page, 'agents list and attempt comparison'); // issue #24: every screen
    // Each attempt was sampled differently: four temperatures among the upstream requests.
    const recorded = (await (await fetch(`${SIM_URL}/_sim/requests`)).json()) as Array<{ body: { temperature?: number; messages?: Array<{ content: string }> } }>;
    const mine = recorded.filter((r) => r.body.messages?.some((m) => m.content.includes(marker)));
    expect(new Set(mine.map((r) => r.body.temperature)).size).toBe(4);

    expect(peer.text(PATH)).toContain(BUGGY);
    await attempts.first().getByTestId('attempt-pick').click();
    await expect(ws.hunks).toHaveCount(1);
    await ws.page.getByTestId('accept-all').click();
    await expect.poll(() => peer.text(PATH)).toContain(RIGHT);
  });
});
