import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { readThread, type TurnRecord } from '@/lib/collab/thread';
import { CART_THREE_HUNKS, scriptedResponse } from '@/lib/seed/scripted-edits';
import { ORPHAN_TURN_ERROR } from '@/server/ai/orphan-turns';
import { startFlintProcess, type FlintProcess } from '../support/flint-process';
import { closeClients, joinedClient, nextEvent, request } from '../support/protocol-client';
import { postgresTarget } from '../support/postgres';
import { redisServerBinary, startRedis } from '../support/redis';
import { serviceSkip } from '../support/services';
import { waitFor } from '../support/wait';

const bin = redisServerBinary();
const skip = serviceSkip('the two-process crash test', !!bin && !!process.env.DATABASE_URL, 'redis-server and PostgreSQL at DATABASE_URL (.ci/run provides both)');

/** What a client joining `url` now sees of the turn `id`. */
async function turnSeenAt(url: string, sessionId: string, id: string): Promise<TurnRecord | undefined> {
  const c = await joinedClient(url, sessionId);
  c.socket.disconnect();
  const doc = new Y.Doc();
  Y.applyUpdate(doc, c.state);
  return readThread(doc).find((t) => t.id === id);
}

/**
 * Two Flint processes on one PostgreSQL and one Redis; the one running a session's stream is
 * killed (SIGKILL) mid-answer while someone else in the session is on the other. The survivor
 * ends the turn (an error that says the process stopped), keeping the hunks that had closed;
 * a prompt on the survivor runs at once; the killed process's people rejoin on the survivor.
 */
describe('a process dies mid-stream while another holds the session', { skip }, () => {
  const flints: FlintProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    closeClients();
    for (const f of flints) await f.kill();
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('the survivor ends the turn with its partial answer kept, and the session goes on there', async () => {
    const redis = await startRedis(bin!);
    cleanups.push(() => redis.stop());
    const db = await postgresTarget(process.env.DATABASE_URL!);
    cleanups.push(() => db.drop());
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, FLINT_SIM_TPS: '300' };
    const [p1, p2] = [await startFlintProcess(env), await startFlintProcess(env)];
    flints.push(p1, p2);
    const simOf = (p: FlintProcess) => /fast-tier simulator on (http:\/\/[\d.]+:\d+)/.exec(p.output())![1];
    const rule = (p: FlintProcess, r: object) =>
      fetch(`${simOf(p)}/_sim/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(r) });
    // One hunk closes early, then a long second block is still streaming when the process dies.
    const long = { path: 'src/cart.ts', search: CART_THREE_HUNKS[2].search, replace: '    // a long replacement line\n'.repeat(400) };
    await rule(p1, { match: 'crash me', text: scriptedResponse([CART_THREE_HUNKS[0], long]), times: 1 });
    await rule(p2, { match: 'after the crash', text: scriptedResponse([CART_THREE_HUNKS[1]], 'Done on the survivor.'), times: 1 });

    const a = await joinedClient(p1.url);
    const b = await joinedClient(p2.url, a.sessionId);
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'crash me', path: 'src/cart.ts' });
    assert.ok(r.ok);
    const turnId = r.data.streamId;
    // The person on the survivor watches the stream; the first hunk has closed (it is stored).
    await nextEvent(b.socket, 'ai:delta');
    await waitFor(async () => ((await turnSeenAt(p2.url, a.sessionId, turnId))?.hunks.length ?? 0) >= 1, 'the first hunk to be recorded', 10_000);

    await p1.kill();
    await waitFor(async () => (await turnSeenAt(p2.url, a.sessionId, turnId))?.status === 'error', 'the survivor to end the turn', 20_000);
    const ended = (await turnSeenAt(p2.url, a.sessionId, turnId))!;
    assert.equal(ended.error, ORPHAN_TURN_ERROR);
    assert.ok(ended.hunks.length >= 1, 'the hunk that had closed is kept, for review');

    // The session goes on: a prompt on the survivor runs (the dead process's lease lapsed), and
    // the killed process's person rejoins there.
    const done = nextEvent(b.socket, 'ai:end', undefined, 15_000);
    const next = await request<{ streamId: string }>(b.socket, 'ai:prompt', { prompt: 'after the crash', path: 'src/cart.ts' });
    assert.ok(next.ok, !next.ok ? `${next.error.code}: ${next.error.message}` : '');
    const [end] = await done;
    assert.equal(end.status, 'done');
    const rejoined = await turnSeenAt(p2.url, a.sessionId, next.data.streamId);
    assert.equal(rejoined?.status, 'done');
  });
});
