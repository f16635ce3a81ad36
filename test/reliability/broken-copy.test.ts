import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';
import { closeClients, joinedClient, runtimeOn } from '../support/protocol-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait';

/**
 * The browser's end when a change from the server throws inside Yjs while it is applied (a
 * hostile editor can leave such structure: test/reliability/CONTEXT.md). The page's copy is
 * then half-applied: the runtime sends nothing more from it, applies nothing more to it, says so,
 * and reloads from the server once what it sent is stored — never an uncaught exception.
 */

/** Decodes, but Yjs throws halfway through applying it (an item refers forward in its own client). */
const THROWS_IN_YJS = Buffer.from('01039cf3bda30d0027010566696c657304782e74730204009cf3bda30d0000616263c4ab96f1823f03ab96f1820604027a7a00', 'hex');
const CART = 'src/cart.ts';

let server: TestServer | undefined;
afterEach(async () => {
  closeClients();
  await server?.close();
  server = undefined;
});

describe('the browser runtime when a change from the server does not apply', () => {
  it('stops using its copy, says so, and reloads once what it sent is stored', async () => {
    server = await startTestServer();
    const owner = await joinedClient(server.url);
    const { socket, store, runtime, close } = runtimeOn(server.url, owner.sessionId);
    let reloads = 0;
    runtime.reloadPage = () => reloads++;
    try {
      await waitFor(() => store.getState().connection === 'ready', 'the runtime to join');
      const text = () => filesOf(runtime.doc).get(CART)!;
      const serverText = () => readFile(server!.app.sessions.loaded(owner.sessionId)!.doc, CART)!;
      text().insert(0, '// saved before\n');
      await waitFor(() => runtime.saved && serverText().startsWith('// saved before\n'), 'the first edit to be stored');

      // The server relays a change that Yjs cannot apply to this page's copy.
      const serverSide = server.app.io.sockets.sockets.get(socket.id!)!;
      serverSide.emit('doc:update', THROWS_IN_YJS);
      await waitFor(() => reloads === 1, 'the page to reload');
      assert.match(store.getState().error?.message ?? '', /could not take a change from the server/);

      // Nothing more goes out from the half-applied copy.
      text().insert(0, '// typed on the broken copy\n');
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!serverText().includes('typed on the broken copy'));
      assert.ok(serverText().startsWith('// saved before\n'), 'what was stored before stays');
      assert.equal(reloads, 1, 'it reloads once');
    } finally {
      close();
    }
  });
});
