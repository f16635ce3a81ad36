import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { readThread } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { CART_THREE_HUNKS, scriptedResponse } from '@/lib/seed/scripted-edits';
import { closeClients, joinedClient, nextEvent, request, EditingClient, linesIn } from '@/test/support/protocol-client';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';
import { Storage } from '../storage/storage';
import { tempDataDir } from '../../test/support/data-dir';
import { postgresSkip, postgresTarget } from '../../test/support/postgres';
import { SessionStore } from './session-store';

let server: TestServer | undefined;
let storage: Storage | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  closeClients();
  await server?.close();
  await storage?.close();
  server = storage = undefined;
  for (const c of cleanups.splice(0)) await c();
});

type Where = { dataDir: string; databaseUrl?: string };

/** A fresh database: a PGlite data dir, or a schema of its own on DATABASE_URL. */
async function freshDatabase(target: 'pglite' | 'postgres'): Promise<Where> {
  if (target === 'postgres') {
    const pg = await postgresTarget(process.env.DATABASE_URL!);
    cleanups.push(pg.drop);
    return { dataDir: '', databaseUrl: pg.url };
  }
  const dir = await tempDataDir();
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return { dataDir: dir };
}

/** A Flint socket server whose sessions are stored there (compacting often). */
async function startDurable(where: Where) {
  storage = await Storage.open(where);
  server = await startTestServer({ store: { storage, compactAfter: { updates: 20, bytes: 1 << 20 } } });
  return server;
}

async function stopDurable() {
  closeClients();
  await server!.close();
  await storage!.close();
  server = storage = undefined;
}

/** On PGlite always; on PostgreSQL too when DATABASE_URL is set. */
for (const target of ['pglite', 'postgres'] as const) {
  describe(`durable sessions on ${target}`, { skip: target === 'postgres' && postgresSkip('the PostgreSQL run of the durability suite') }, () => {
    for (const n of [2, 3]) {
      it(`${n} clients editing one file at once through the server converge, and every acknowledged edit is stored`, async () => {
        const s = await startDurable(await freshDatabase(target));
        const first = await joinedClient(s.url);
        const clients = [new EditingClient(first.socket, first.state, 'c0')];
        for (let i = 1; i < n; i++) {
          const j = await joinedClient(s.url, first.sessionId);
          clients.push(new EditingClient(j.socket, j.state, `c${i}`));
        }
        // Interleaved: each round every client edits without waiting for the others' acks.
        for (let round = 0; round < 25; round++) for (const c of clients) void c.edit();
        await Promise.all(clients.map((c) => c.settled()));
        const serverDoc = s.app.sessions.loaded(first.sessionId)!.doc;
        const serverText = () => readFile(serverDoc, 'src/cart.ts')!;
        await waitFor(() => clients.every((c) => c.text() === serverText()), 'every client to match the server');
        assert.equal(clients.reduce((k, c) => k + c.acked.length, 0), 25 * n);
        const present = linesIn(serverText());
        for (const c of clients) for (const line of c.acked) assert.ok(present.has(line), `${line} is in the document`);

        // Acknowledged means stored: a second store that reads only the database sees every edit.
        const fromDisk = await new SessionStore({ storage, log: () => {} }).get(first.sessionId);
        assert.equal(readFile(fromDisk!.doc, 'src/cart.ts'), serverText());
      });
    }

    describe('a restart', () => {
      it('keeps every acknowledged edit, file operation and AI turn, and the session reopens', async () => {
        const where = await freshDatabase(target);
        let s = await startDurable(where);
        s.sim.addRule({ match: 'three changes', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
        const a = await joinedClient(s.url);
        const editor = new EditingClient(a.socket, a.state, 'a');
        for (let i = 0; i < 30; i++) await editor.edit();
        assert.ok((await request(a.socket, 'file:create', { path: 'src/new.ts', content: 'export const fresh = 1;\n' })).ok);
        assert.ok((await request(a.socket, 'file:rename', { from: 'src/new.ts', to: 'src/renamed.ts' })).ok);
        const prompt = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'three changes please', path: 'src/cart.ts' });
        assert.ok(prompt.ok);
        const [end] = await nextEvent(a.socket, 'ai:end');
        assert.equal(end.status, 'done');
        const before = Y.encodeStateAsUpdate(s.app.sessions.loaded(a.sessionId)!.doc);

        await stopDurable();
        s = await startDurable(where);
        const back = await joinedClient(s.url, a.sessionId);
        const doc = new Y.Doc();
        Y.applyUpdate(doc, back.state);
        const expected = new Y.Doc();
        Y.applyUpdate(expected, before);
        assert.equal(readFile(doc, 'src/cart.ts'), readFile(expected, 'src/cart.ts'));
        for (const line of editor.acked) assert.ok(linesIn(readFile(doc, 'src/cart.ts')!).has(line), `${line} survived`);
        assert.equal(readFile(doc, 'src/renamed.ts'), 'export const fresh = 1;\n');
        assert.equal(readFile(doc, 'src/new.ts'), undefined);
        const [turn] = readThread(doc);
        assert.equal(turn.id, prompt.data.streamId);
        assert.equal(turn.status, 'done');
        assert.equal(turn.hunks.length, 3, 'the AI hunks were stored');
        // And it is live again: an edit after the restart is acknowledged and reaches another client.
        const other = await joinedClient(s.url, a.sessionId);
        const otherDoc = new Y.Doc();
        Y.applyUpdate(otherDoc, other.state);
        other.socket.on('doc:update', (u) => Y.applyUpdate(otherDoc, new Uint8Array(u)));
        const again = new EditingClient(back.socket, back.state, 'after');
        const line = await again.edit();
        await waitFor(() => linesIn(readFile(otherDoc, 'src/cart.ts')!).has(line), 'the edit to reach the other client');
      });

      it('an unknown session id is sessionNotFound, not an error, with storage behind it', async () => {
        const s = await startDurable(await freshDatabase(target));
        const a = await joinedClient(s.url);
        const r = await request(a.socket, 'session:join', { sessionId: 'AAAAAAAAAAAAAAAAAAAAAA' });
        assert.equal(r.ok, false);
        if (!r.ok) assert.equal(r.error.code, 'sessionNotFound');
      });
    });
  });
}
