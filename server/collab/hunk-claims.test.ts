import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import type { HunkClaimResult } from '@/lib/protocol';
import { acceptHunks, readThread, yTextTarget } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { CART_THREE_HUNKS, scriptedResponse } from '@/lib/seed/scripted-edits';
import { closeClients, joinedClient, nextEvent, request, type TestClient } from '@/test/support/protocol-client';
import { startTestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';

/**
 * Two people accepting one hunk at the same moment: each browser writes the hunk's text into the
 * file, Yjs keeps both inserts, and the text appears twice. `hunk:claim` grants a pending hunk to
 * one socket at a time, so only one of them writes it.
 */
describe('hunk:claim', () => {
  after(closeClients);

  it('grants a pending hunk to one of two people asking at once; the accept lands once', async () => {
    const server = await startTestServer();
    try {
      server.sim.addRule({ match: 'three changes', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
      const a = await joinedClient(server.url);
      const b = await joinedClient(server.url, a.sessionId);
      const ended = nextEvent(a.socket, 'ai:end');
      const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'three changes', path: 'src/cart.ts' });
      assert.ok(r.ok);
      await ended;
      const serverDoc = server.app.sessions.loaded(a.sessionId)!.doc;
      const hunkId = readThread(serverDoc)[0].hunks[0].id;

      // Both ask in the same tick.
      const [ra, rb] = await Promise.all([
        request<HunkClaimResult>(a.socket, 'hunk:claim', { hunkIds: [hunkId] }),
        request<HunkClaimResult>(b.socket, 'hunk:claim', { hunkIds: [hunkId] }),
      ]);
      assert.ok(ra.ok && rb.ok);
      const winners = [ra, rb].filter((x) => x.ok && x.data.granted.includes(hunkId));
      assert.equal(winners.length, 1, 'exactly one of them may decide it');
      const loser = ra.ok && ra.data.granted.length ? rb : ra;
      assert.deepEqual(loser.ok && loser.data.refused, [{ hunkId, reason: 'claimed' }]);
      // Asking again while holding it is fine.
      const winner = winners[0] === ra ? a.socket : b.socket;
      assert.deepEqual((await request<HunkClaimResult>(winner, 'hunk:claim', { hunkIds: [hunkId] })).ok, true);

      // The winner accepts (as its browser would: its own copy, then a doc:update).
      await acceptAs(winner, serverDoc, hunkId);
      const text = readFile(serverDoc, 'src/cart.ts')!;
      assert.equal(text.split(CART_THREE_HUNKS[0].replace).length - 1, 1, 'the hunk is in the file once');
      // Now it is decided, for everyone.
      const late = await request<HunkClaimResult>(winner === a.socket ? b.socket : a.socket, 'hunk:claim', { hunkIds: [hunkId] });
      assert.deepEqual(late.ok && late.data, { granted: [], refused: [{ hunkId, reason: 'decided' }] });
      // A hunk that does not exist is a typed error, not a grant.
      const missing = await request(a.socket, 'hunk:claim', { hunkIds: [`${hunkId}x`] });
      assert.equal(!missing.ok && missing.error.code, 'hunkNotFound');
    } finally {
      await server.close();
    }
  });

  it('a grant lapses when its holder leaves, so someone else can decide the hunk', async () => {
    const server = await startTestServer();
    try {
      server.sim.addRule({ match: 'leave', text: scriptedResponse([CART_THREE_HUNKS[1]]), times: 1 });
      const a = await joinedClient(server.url);
      const b = await joinedClient(server.url, a.sessionId);
      const ended = nextEvent(a.socket, 'ai:end');
      assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'leave', path: 'src/cart.ts' })).ok);
      await ended;
      const serverDoc = server.app.sessions.loaded(a.sessionId)!.doc;
      const hunkId = readThread(serverDoc)[0].hunks[0].id;
      const first = await request<HunkClaimResult>(a.socket, 'hunk:claim', { hunkIds: [hunkId] });
      assert.deepEqual(first.ok && first.data.granted, [hunkId]);
      const refused = await request<HunkClaimResult>(b.socket, 'hunk:claim', { hunkIds: [hunkId] });
      assert.deepEqual(refused.ok && refused.data.granted, []);
      a.socket.disconnect();
      await waitFor(async () => {
        const r = await request<HunkClaimResult>(b.socket, 'hunk:claim', { hunkIds: [hunkId] });
        return r.ok && r.data.granted.includes(hunkId);
      }, 'the grant to pass to b');
    } finally {
      await server.close();
    }
  });
});

/** What a browser does with a granted hunk: accept it in its own copy and send the change. */
async function acceptAs(socket: TestClient, serverDoc: Y.Doc, hunkId: string) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(serverDoc));
  const before = Y.encodeStateVector(doc);
  assert.deepEqual(acceptHunks(doc, [hunkId], yTextTarget(doc)), []);
  const r = await request(socket, 'doc:update', Y.encodeStateAsUpdate(doc, before));
  assert.ok(r.ok);
}
