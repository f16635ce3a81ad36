import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../lib/protocol/version';
import { CART_THREE_HUNKS, scriptedResponse, withHunks } from '../lib/seed/scripted-edits';
import { expect, sim, test, uniqueMarker, Workspace } from './fixtures';
import { APP_URL, LOCAL_APP_URL } from './env';

const PATH = 'src/cart.ts';

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** A protocol client in its own session that sends one prompt (to fill the tier's stream slots). */
async function promptingClient(prompt: string): Promise<{ socket: Socket; streamId: string }> {
  const socket = io(APP_URL, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ask = async <T,>(event: string, payload: unknown): Promise<T> => {
    const r = (await socket.timeout(5000).emitWithAck(event, payload)) as Ack<T>;
    if (!r.ok) throw new Error(`${event}: ${r.error.code} ${r.error.message}`);
    return r.data;
  };
  await ask('session:hello', { protocolVersion: PROTOCOL_VERSION });
  const { sessionId } = await ask<{ sessionId: string }>('session:create', {});
  await ask('session:join', { sessionId });
  const { streamId } = await ask<{ streamId: string }>('ai:prompt', { prompt, path: PATH });
  return { socket, streamId };
}

test.describe('tiers in the browser', () => {
  test('two sessions beyond the concurrency cap see queue positions 1 and 2, then both stream', async ({ workspace: a, browser }) => {
    // Fill all 8 slots of the instant tier with slow streams from protocol clients.
    const filler = uniqueMarker('sloth');
    await sim.rule({ match: filler, tokens: 100_000, tokensPerSecond: 20, times: 8 });
    const fillers = await Promise.all(Array.from({ length: 8 }, () => promptingClient(`hold ${filler}`)));
    await expect.poll(async () => (await sim.stats()).active).toBeGreaterThanOrEqual(8);

    const pageB = await browser.newPage();
    const b = new Workspace(pageB);
    try {
      await a.newSession();
      await b.newSession();
      const marker = uniqueMarker('heron');
      await sim.rule({ match: marker, text: `// ${marker}\n`, times: 2 });
      await a.prompt(`queued ${marker} one`);
      await a.waitForStatus('queued');
      await expect(a.page.getByTestId('queue-position')).toHaveText('1');
      await b.prompt(`queued ${marker} two`);
      await b.waitForStatus('queued');
      await expect(b.page.getByTestId('queue-position')).toHaveText('2');
      await expect(a.providerStatus).toContainText('queued');
      await expect(a.interruptButton).toBeVisible();

      // Free two slots: the queue drains in order and both finish.
      for (const f of fillers.slice(0, 2)) {
        await f.socket.timeout(5000).emitWithAck('ai:interrupt', { streamId: f.streamId });
      }
      await a.waitForStatus('done');
      await b.waitForStatus('done');
      await expect(a.page.getByTestId('queue-position')).toHaveCount(0);
    } finally {
      for (const f of fillers) {
        await f.socket.timeout(5000).emitWithAck('ai:interrupt', { streamId: f.streamId }).catch(() => {});
        f.socket.disconnect();
      }
      await pageB.close();
    }
  });

  test('a 429 from the tier shows "waiting for capacity", then the answer completes', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const marker = uniqueMarker('gecko');
    await sim.rule({ match: marker, fault: { type: 'status', status: 429, retryAfter: 2 }, times: 1 });
    await sim.rule({ match: marker, text: scriptedResponse([CART_THREE_HUNKS[0]]), times: 1 });

    await ws.prompt(`Add ${marker}`);
    await ws.waitForStatus('queued');
    await expect(ws.page.getByTestId('capacity-wait')).toContainText('waiting for capacity');
    await expect(ws.providerStatus).toContainText('waiting for capacity');
    await ws.waitForStatus('done');
    await expect(ws.page.getByTestId('hunk')).toHaveCount(1);
    await ws.page.getByTestId('hunk-accept').click();
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [true]));
    await expect(ws.errorBanner).toHaveCount(0);
    await expect(ws.providerStatus).toContainText('ready');
  });

  test('a connection dropped mid-stream shows an error and keeps the proposal that arrived', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text(PATH)!;
    const marker = uniqueMarker('moth');
    const answer = scriptedResponse(CART_THREE_HUNKS, `Changing ${marker}.`);
    // Dropped about two thirds of the way: the first block has closed, a later one has not.
    const { tokenize } = await import('../server/sim/tokens');
    const cut = tokenize(answer.slice(0, answer.indexOf(CART_THREE_HUNKS[1].replace) + 40)).length;
    await sim.rule({ match: marker, text: answer, fault: { type: 'drop', afterTokens: cut }, times: 1 });

    await ws.prompt(`Write ${marker}`);
    await ws.waitForStatus('error');
    await expect(ws.errorBanner).toContainText('Lost the connection to the inference tier');
    await expect(ws.page.getByTestId('turn')).toHaveAttribute('data-status', 'error');
    await expect(ws.page.getByTestId('turn-dropped')).toBeVisible();
    await expect(ws.page.getByTestId('hunk')).toHaveCount(1);
    expect(peer.text(PATH)).toBe(original);
    await ws.page.getByTestId('hunk-accept').click();
    await expect.poll(() => peer.text(PATH)).toBe(withHunks(original, CART_THREE_HUNKS, [true]));
    await expect(ws.interruptButton).toBeHidden();

    // The session is usable again.
    const next = uniqueMarker('wren');
    await sim.rule({ match: next, text: `// ${next}\n`, times: 1 });
    await ws.prompt(`Then ${next}`);
    await ws.waitForStatus('done');
  });
});

test.describe('the local model', () => {
  /** The local-model server: instant = the default model (cannot be downloaded here), deep = a tiny GGUF. */
  async function openLocal(ws: Workspace): Promise<void> {
    await ws.page.goto(LOCAL_APP_URL);
    await ws.page.getByTestId('new-session').click();
    await ws.page.waitForURL(/\/s\/[A-Za-z0-9_-]{22}$/);
    await ws.waitReady();
  }

  test('offline with no tier configured: says so plainly, shows how to configure one, and the editor keeps working', async ({ workspace: ws }) => {
    await openLocal(ws);
    await expect(ws.providerStatus).toContainText('unavailable');
    await expect(ws.page.getByTestId('tier-unavailable')).toContainText('not reachable (offline?)');
    await expect(ws.page.getByTestId('tier-help')).toContainText('FLINT_BASE_URL');
    await expect(ws.page.getByTestId('tier-help')).toContainText('FLINT_MODEL_PATH');

    // Editing works: typed text lands in the document.
    await ws.focusEditorAtStart();
    await ws.page.keyboard.type('// typed while offline\n');
    await expect.poll(async () => (await ws.visibleLines()).some((l) => l.includes('typed while offline'))).toBe(true);

    // A prompt ends with the same plain error, not a hang.
    await ws.prompt('add a function');
    await ws.waitForStatus('error');
    await expect(ws.errorBanner).toContainText('offline');
  });

  test('a prompt served by a local GGUF model streams into the browser and is interrupted', async ({ workspace: ws }) => {
    await openLocal(ws);
    await ws.page.getByTestId('mode-select').selectOption('deep');
    await expect(ws.providerStatus).toContainText('local');
    await expect(ws.providerStatus).toContainText(/ready/, { timeout: 30_000 });
    await expect(ws.page.getByTestId('tier-unavailable')).toHaveCount(0);

    await ws.prompt('write a long function');
    await ws.waitForStatus('streaming', 30_000);
    await ws.interruptButton.click();
    await ws.waitForStatus('interrupted');
    await expect(ws.interruptButton).toBeHidden();
  });
});
