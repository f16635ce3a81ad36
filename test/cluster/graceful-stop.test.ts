import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { readThread } from '@/lib/collab/thread';
import { startFlintProcess, type FlintProcess } from '../support/flint-process';
import { closeClients, joinedClient, nextEvent, request } from '../support/protocol-client';
import { tempDataDir } from '../support/data-dir';

/**
 * A Flint process stopped the way an orchestrator stops it (SIGTERM): /healthz says so at once,
 * a turn that is running finishes (not interrupted) within FLINT_DRAIN_MS, a new prompt is
 * refused with `shuttingDown`, and the process exits 0 with everything stored.
 */
describe('a graceful stop (SIGTERM)', () => {
  let flint: FlintProcess | undefined;
  let dir: string | undefined;
  after(async () => {
    closeClients();
    await flint?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('drains: ready → draining, the running turn ends done, new prompts refused, exit 0', async () => {
    dir = await tempDataDir();
    flint = await startFlintProcess({ FLINT_DATA_DIR: dir, FLINT_DRAIN_MS: '20000', FLINT_SIM_TPS: '400' });
    const healthz = () => fetch(`${flint!.url}/healthz`).then(async (r) => ({ status: r.status, body: (await r.json()) as { ready: boolean; checks: Record<string, string> } }));
    assert.deepEqual(await healthz(), { status: 200, body: { ready: true, checks: { database: 'ok' } } });

    const simUrl = /fast-tier simulator on (http:\/\/[\d.]+:\d+)/.exec(flint.output())![1];
    await fetch(`${simUrl}/_sim/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ match: 'long answer', tokens: 1200, times: 1 }) });
    const a = await joinedClient(flint.url);
    const b = await joinedClient(flint.url);
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'long answer', path: 'src/cart.ts' });
    assert.ok(r.ok);
    const ended = nextEvent(a.socket, 'ai:end', undefined, 30_000);
    await nextEvent(a.socket, 'ai:delta');

    const exited = new Promise<number | null>((resolve) => flint!.child.once('exit', (code) => resolve(code)));
    flint.child.kill('SIGTERM');
    // Draining: no new connection is taken; the connected ones may not start a turn.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A new connection is refused; one kept alive from before is answered 503: either way a balancer takes it out.
    const during = await healthz().then((h) => h.status, () => 'refused');
    assert.ok(during === 503 || during === 'refused', `healthz while draining: ${during}`);
    const refused = await request(b.socket, 'ai:prompt', { prompt: 'another', path: 'src/cart.ts' });
    assert.equal(!refused.ok && refused.error.code, 'shuttingDown');
    const [end] = await ended;
    assert.equal(end.status, 'done', 'the running turn was allowed to finish');
    assert.equal(await exited, 0);
    assert.match(flint.output(), /SIGTERM: draining/);

    // Everything was stored: the next process has the finished turn.
    flint = await startFlintProcess({ FLINT_DATA_DIR: dir });
    const again = await joinedClient(flint.url, a.sessionId);
    assert.ok(again.state.byteLength > 0);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, again.state);
    assert.equal(readThread(doc).find((t) => t.id === r.data.streamId)?.status, 'done');
  });
});
