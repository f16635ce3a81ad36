import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { createTurn, readThread } from '@/lib/collab/thread';
import { closeClients, joinedClient, nextEvent, request, TEST_IDENTITY, EditingClient } from '@/test/support/protocol-client';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';
import { Storage } from '../storage/storage';
import { tempDataDir } from '../../test/support/data-dir';
import { SessionStore } from '../sessions/session-store';
import { AI_ORIGIN } from './turn-recorder';
import { connectRedis, type RedisConnection } from '../collab/redis';
import { redisServerBinary, startRedis } from '../../test/support/redis';
import { ORPHAN_TURN_ERROR } from './orphan-turns';

let server: TestServer | undefined;
let storage: Storage | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  closeClients();
  await server?.close();
  await storage?.close();
  server = storage = undefined;
  for (const c of cleanups.splice(0)) c();
});

const orphan = (id: string) => ({ id, prompt: 'p', mode: 'instant', path: 'src/cart.ts', autoApply: false });

describe('a turn left streaming by a process that died', () => {
  it('is ended as an error, saying why, when its session is loaded again', async () => {
    const dir = await tempDataDir('flint-orphan-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // What a process killed mid-turn leaves behind: the turn's start stored, its end never.
    storage = await Storage.open({ dataDir: dir });
    const before = new SessionStore({ storage, log: () => {} });
    const session = await before.create(undefined, TEST_IDENTITY);
    createTurn(session.doc, orphan('dead-turn'), AI_ORIGIN);
    await before.saved(session);
    await storage.close();

    storage = await Storage.open({ dataDir: dir });
    server = await startTestServer({ store: { storage } });
    const { state } = await joinedClient(server.url, session.id);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, state);
    const [turn] = readThread(doc);
    assert.equal(turn.status, 'error');
    assert.equal(turn.error, ORPHAN_TURN_ERROR);
    // …and the end is stored: another load sees it without ending it again.
    await server.app.sessions.saved(server.app.sessions.loaded(session.id)!);
    const again = await new SessionStore({ storage, log: () => {} }).get(session.id);
    assert.equal(readThread(again!.doc)[0].status, 'error');
  });

  it('is ended when a client brings it back, while the turn this process runs keeps streaming', async () => {
    server = await startTestServer({ tokensPerSecond: 200 });
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const editor = new EditingClient(b.socket, b.state, 'b');
    const running = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'a long one', path: 'src/cart.ts' });
    assert.ok(running.ok);
    const streamId = running.data.streamId;
    await nextEvent(a.socket, 'ai:delta');

    // A browser re-sends, after a crash, a turn start the server had broadcast and never stored.
    await waitFor(() => readThread(editor.doc).some((t) => t.id === streamId), 'b to see the running turn');
    const sent: Uint8Array[] = [];
    editor.doc.on('update', (u: Uint8Array, origin: unknown) => origin === 'resend' && sent.push(u));
    createTurn(editor.doc, orphan('resurrected'), 'resend');
    await editor.send(sent[0]);

    const serverDoc = server.app.sessions.loaded(a.sessionId)!.doc;
    await waitFor(() => readThread(serverDoc).find((t) => t.id === 'resurrected')?.status === 'error', 'the resurrected turn to be ended');
    assert.equal(readThread(serverDoc).find((t) => t.id === 'resurrected')!.error, ORPHAN_TURN_ERROR);
    assert.equal(readThread(serverDoc).find((t) => t.id === streamId)!.status, 'streaming', 'the running turn is left alone');
    // Everyone sees the end.
    await waitFor(() => readThread(editor.doc).find((t) => t.id === 'resurrected')?.status === 'error', 'the client to see it ended');
    const [end] = await nextEvent(a.socket, 'ai:end', (e) => e.streamId === streamId, 20_000);
    assert.equal(end.status, 'done');
    assert.equal(readThread(serverDoc).find((t) => t.id === streamId)!.status, 'done');
  });
});

const redisBin = redisServerBinary();

describe('with two processes (Redis)', { skip: redisBin ? false : 'redis-server not found: the two-node case is skipped' }, () => {
  it('a node that loads a session leaves a turn the other node runs streaming, and ends one no node runs', async () => {
    const redis = await startRedis(redisBin!);
    const dir = await tempDataDir('flint-orphan-');
    const shared = await Storage.open({ dataDir: dir });
    const conns: RedisConnection[] = [];
    const nodes: TestServer[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const conn = await connectRedis(redis.url, () => {});
        conns.push(conn);
        nodes.push(await startTestServer({ store: { storage: shared }, redis: conn, tokensPerSecond: 200 }));
      }
      await waitFor(async () => (await nodes[0].app.io.of('/').adapter.serverCount()) === 2, 'both nodes to see each other', 10_000);
      const [n1, n2] = nodes;

      // A turn running on n1 when n2 first loads the session.
      const a = await joinedClient(n1.url);
      const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'a long one', path: 'src/cart.ts' });
      assert.ok(r.ok);
      await nextEvent(a.socket, 'ai:delta');
      await n1.app.sessions.saved(n1.app.sessions.loaded(a.sessionId)!);
      const b = await joinedClient(n2.url, a.sessionId);
      const seen = new Y.Doc();
      Y.applyUpdate(seen, b.state);
      assert.equal(readThread(seen).find((t) => t.id === r.data.streamId)?.status, 'streaming');
      const [end] = await nextEvent(b.socket, 'ai:end', (e) => e.streamId === r.data.streamId, 20_000);
      assert.equal(end.status, 'done', 'n2 did not end the turn n1 runs');
      const n2Doc = n2.app.sessions.loaded(a.sessionId)!.doc;
      await waitFor(() => readThread(n2Doc).find((t) => t.id === r.data.streamId)?.status === 'done', 'n2 to see it done');
      assert.equal(readThread(n2Doc).find((t) => t.id === r.data.streamId)?.error, null);

      // A turn stored by a process that is gone: the node that loads it asks, nobody runs it, it is ended.
      const dead = new SessionStore({ storage: shared, log: () => {} });
      const session = await dead.create(undefined, TEST_IDENTITY);
      createTurn(session.doc, orphan('dead-turn'), AI_ORIGIN);
      await dead.saved(session);
      await joinedClient(n2.url, session.id);
      const loaded = n2.app.sessions.loaded(session.id)!.doc;
      await waitFor(() => readThread(loaded)[0]?.status === 'error', 'the orphaned turn to be ended');
      assert.equal(readThread(loaded)[0].error, ORPHAN_TURN_ERROR);
    } finally {
      closeClients();
      for (const n of nodes) await n.close();
      for (const c of conns) await c.close();
      await shared.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
