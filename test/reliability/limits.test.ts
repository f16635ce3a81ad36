import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { readThread } from '@/lib/collab/thread';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';
import { PROTOCOL_VERSION, type HelloResult, type ProtocolError, type Response } from '@/lib/protocol';
import { EXAMPLE_PROJECT } from '@/lib/seed/example-project';
import { CART_THREE_HUNKS, scriptedResponse } from '@/lib/seed/scripted-edits';
import { loadConfig } from '../../server/config';
import { SessionStore } from '../../server/sessions/session-store';
import { Storage } from '../../server/storage/storage';
import { tempDataDir } from '../support/data-dir';
import { closeClients, connectClient, helloClient, joinedClient, nextEvent, request, type TestClient, runtimeOn } from '../support/protocol-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait';
import { recordFigures } from './report';

/**
 * Issue #8 item 7: every limit over real sockets against a real server. For each: under it
 * works; over it is refused with a typed error that names the limit and its variable; nothing
 * beyond it is applied, broadcast or stored; the server keeps serving; the configured value
 * (AppLimits, or the environment through loadConfig) moves the point of refusal.
 */

let server: TestServer | undefined;
afterEach(async () => {
  closeClients();
  await server?.close();
  server = undefined;
});

const CART = 'src/cart.ts';
const docOf = (sessionId: string) => server!.app.sessions.loaded(sessionId)!.doc;

/** A participant's own copy of the document; `change` returns the update it made. */
function replica(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}
function change(doc: Y.Doc, fn: (doc: Y.Doc) => void): Uint8Array {
  let update: Uint8Array | null = null;
  const grab = (u: Uint8Array) => (update = update ? Y.mergeUpdates([update, u]) : u);
  doc.on('update', grab);
  fn(doc);
  doc.off('update', grab);
  return update!;
}
const insert = (doc: Y.Doc, text: string, file = CART) => change(doc, (d) => filesOf(d).get(file)!.insert(0, text));

function refused(r: Response<unknown>, code: ProtocolError['code'], mentions: string[]): ProtocolError {
  assert.equal(r.ok, false, `expected ${code}, got ok`);
  const error = (r as { error: ProtocolError }).error;
  assert.equal(error.code, code, error.message);
  for (const m of mentions) assert.ok(error.message.includes(m), `"${error.message}" should mention ${m}`);
  return error;
}

/** Records every doc:update a socket receives, as one replica. */
function observer(socket: TestClient, state: Uint8Array): Y.Doc {
  const doc = replica(state);
  socket.on('doc:update', (u) => Y.applyUpdate(doc, new Uint8Array(u)));
  return doc;
}

describe('limit: document size (maxDocBytes / FLINT_MAX_DOC_BYTES)', () => {
  it('an update that would grow the document past the limit is refused, not applied, not broadcast, not stored; smaller ones and shrinking ones pass', async () => {
    const dataDir = await tempDataDir();
    const storage = await Storage.open({ dataDir });
    try {
      // The limit: the seeded session plus 8 KiB.
      const probe = new SessionStore({ log: () => {} });
      const seeded = Y.encodeStateAsUpdate((await probe.create()).doc).byteLength;
      const maxDocBytes = seeded + 8 * 1024;
      server = await startTestServer({ limits: { maxDocBytes }, store: { storage } });
      const a = await joinedClient(server.url);
      const b = await joinedClient(server.url, a.sessionId);
      const mine = replica(a.state);
      const seen = observer(b.socket, b.state);

      // Under the limit: 4 KiB is applied and reaches the other participant.
      const small = '// small\n'.repeat(400);
      assert.ok((await request(a.socket, 'doc:update', insert(mine, small))).ok);
      await waitFor(() => readFile(seen, CART)!.startsWith(small), 'the peer to see the small edit');

      // Over it: 8 KiB more is refused with the limit and its variable named.
      const big = 'const big = 1;\n'.repeat(550);
      const error = refused(await request(a.socket, 'doc:update', insert(mine, big)), 'limitExceeded', ['FLINT_MAX_DOC_BYTES', `${maxDocBytes} bytes`]);
      assert.equal(error.event, 'doc:update');
      assert.ok(!readFile(docOf(a.sessionId), CART)!.includes('const big'), 'the server applied the refused update');
      assert.ok(Y.encodeStateAsUpdate(docOf(a.sessionId)).byteLength <= maxDocBytes);

      // The server keeps serving: the other participant edits, and the refused client is still connected.
      const seenByA = observer(a.socket, Y.encodeStateAsUpdate(docOf(a.sessionId)));
      const theirs = replica(Y.encodeStateAsUpdate(seen));
      assert.ok((await request(b.socket, 'doc:update', insert(theirs, '// b was here\n'))).ok);
      await waitFor(() => readFile(seenByA, CART)!.startsWith('// b was here'), 'a to see b’s edit');
      assert.ok(!readFile(seen, CART)!.includes('const big'), 'the refused text was broadcast');

      // The refused client deletes its big insert and sends everything it has since the
      // refusal (what the browser's resync does): that fits and is accepted.
      Y.applyUpdate(mine, Y.encodeStateAsUpdate(seenByA));
      change(mine, (d) => {
        const t = filesOf(d).get(CART)!;
        const at = t.toString().indexOf('const big');
        t.delete(at, big.length);
      });
      const serverSv = Y.encodeStateVector(docOf(a.sessionId));
      assert.ok((await request(a.socket, 'doc:update', Y.encodeStateAsUpdate(mine, serverSv))).ok);
      assert.equal(readFile(docOf(a.sessionId), CART), readFile(mine, CART));

      // Nothing beyond the limit was stored: a fresh store loads exactly the server's document.
      await server.app.sessions.flush();
      const reloaded = await new SessionStore({ storage, log: () => {} }).get(a.sessionId);
      assert.equal(readFile(reloaded!.doc, CART), readFile(docOf(a.sessionId), CART));
      assert.ok(!readFile(reloaded!.doc, CART)!.includes('const big'));
      recordFigures('limits', { seededDocBytes: seeded, maxDocBytesTested: maxDocBytes });
    } finally {
      await server?.close();
      server = undefined;
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a document already over a lowered limit still takes changes that shrink it', async () => {
    server = await startTestServer({ limits: { maxDocBytes: 1024 } }); // the seeded project is larger
    const a = await joinedClient(server.url);
    const mine = replica(a.state);
    refused(await request(a.socket, 'doc:update', insert(mine, 'x')), 'limitExceeded', ['FLINT_MAX_DOC_BYTES']);
    const fresh = replica(a.state);
    const del = change(fresh, (d) => filesOf(d).get('README.md')!.delete(0, filesOf(d).get('README.md')!.length));
    const before = Y.encodeStateAsUpdate(docOf(a.sessionId)).byteLength;
    assert.ok((await request(a.socket, 'doc:update', del)).ok);
    assert.equal(readFile(docOf(a.sessionId), 'README.md'), '');
    assert.ok(Y.encodeStateAsUpdate(docOf(a.sessionId)).byteLength < before);
  });

  it('file:create and file:rename that would cross it are refused; the file is not created', async () => {
    server = await startTestServer();
    const a0 = await joinedClient(server.url);
    const size = Y.encodeStateAsUpdate(docOf(a0.sessionId)).byteLength;
    await server.close();
    server = await startTestServer({ limits: { maxDocBytes: size + 4096 } });
    const a = await joinedClient(server.url);
    assert.ok((await request(a.socket, 'file:create', { path: 'small.ts', content: 'export {};\n' })).ok);
    refused(await request(a.socket, 'file:create', { path: 'big.ts', content: 'x'.repeat(8192) }), 'limitExceeded', ['FLINT_MAX_DOC_BYTES']);
    assert.equal(filesOf(docOf(a.sessionId)).has('big.ts'), false);
    // A rename does not grow the document: it goes through near the limit.
    assert.ok((await request(a.socket, 'file:rename', { from: 'small.ts', to: 'renamed.ts' })).ok);
    assert.equal(readFile(docOf(a.sessionId), 'renamed.ts'), 'export {};\n');
  });

  it('an AI turn that would cross it stops with a visible limitExceeded error; the hunks proposed before it are kept', async () => {
    const { size, huge, server: srv } = await tightDocServer();
    srv.sim.addRule({ match: 'grow it', text: scriptedResponse([CART_THREE_HUNKS[0], huge]), times: 1 });
    const a = await joinedClient(srv.url);
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'grow it', path: CART });
    assert.ok(r.ok);
    const [end] = await nextEvent(a.socket, 'ai:end', (e) => e.streamId === r.data.streamId);
    assert.equal(end.status, 'error');
    assert.equal(end.error?.code, 'limitExceeded');
    assert.match(end.error!.message, /FLINT_MAX_DOC_BYTES/);
    const [turn] = readThread(docOf(a.sessionId));
    assert.equal(turn.status, 'error');
    assert.match(turn.error ?? '', /FLINT_MAX_DOC_BYTES/);
    assert.deepEqual(turn.hunks.map((h) => h.index), [0], 'the first hunk stays for review, the refused one is not recorded');
    assert.equal(turn.dropped?.path, CART);
    assert.ok(Y.encodeStateAsUpdate(docOf(a.sessionId)).byteLength <= size + 12 * 1024);

    // A full document refuses the prompt itself (its turn would not fit); nothing starts.
    const filler = replica(Y.encodeStateAsUpdate(docOf(a.sessionId)));
    const room = size + 12 * 1024 - Y.encodeStateAsUpdate(docOf(a.sessionId)).byteLength;
    assert.ok((await request(a.socket, 'doc:update', insert(filler, 'y'.repeat(Math.max(0, room - 600))))).ok);
    const full = await request(a.socket, 'ai:prompt', { prompt: 'z'.repeat(2000), path: CART });
    refused(full, 'limitExceeded', ['FLINT_MAX_DOC_BYTES']);
    assert.equal(readThread(docOf(a.sessionId)).length, 1);
    // The session is not left busy: a short prompt that fits still runs.
    srv.sim.addRule({ match: 'ok', text: 'Nothing to change.', times: 1 });
    const ok = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'ok', path: CART });
    assert.ok(ok.ok, JSON.stringify(ok));
    const [end2] = await nextEvent(a.socket, 'ai:end', (e) => e.streamId === ok.data.streamId);
    assert.equal(end2.status, 'done');
  });
});

describe('limit: document size, the last block of an answer', () => {
  it('a block closed by the end of the stream that does not fit ends the turn in limitExceeded too (not "done")', async () => {
    const { size, huge, server: srv } = await tightDocServer();
    // No newline after the closing marker: the parser closes this block only when the stream ends.
    srv.sim.addRule({ match: 'at the end', text: scriptedResponse([huge]).replace(/\n$/, ''), times: 1 });
    const a = await joinedClient(srv.url);
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'at the end', path: CART });
    assert.ok(r.ok);
    const [end] = await nextEvent(a.socket, 'ai:end', (e) => e.streamId === r.data.streamId);
    assert.equal(end.status, 'error');
    assert.equal(end.error?.code, 'limitExceeded');
    const [turn] = readThread(docOf(a.sessionId));
    assert.equal(turn.status, 'error');
    assert.equal(turn.hunks.length, 0);
    assert.match(turn.error ?? '', /FLINT_MAX_DOC_BYTES/);
  });
});

describe('limit: file count (maxFiles / FLINT_MAX_FILES)', () => {
  const seeded = Object.keys(EXAMPLE_PROJECT).length;

  it('file:create and a doc:update adding files past it are refused; deleting one makes room', async () => {
    server = await startTestServer({ limits: { maxFiles: seeded + 1 } });
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const seen = observer(b.socket, b.state);
    assert.ok((await request(a.socket, 'file:create', { path: 'one.ts' })).ok);
    refused(await request(a.socket, 'file:create', { path: 'two.ts' }), 'limitExceeded', ['FLINT_MAX_FILES', `${seeded + 1}`]);
    assert.equal(filesOf(docOf(a.sessionId)).size, seeded + 1);

    // The same through a document update (a browser adding a file in its own Y.Doc).
    const mine = replica(Y.encodeStateAsUpdate(docOf(a.sessionId)));
    const add = change(mine, (d) => filesOf(d).set('three.ts', new Y.Text('x')));
    refused(await request(a.socket, 'doc:update', add), 'limitExceeded', ['FLINT_MAX_FILES']);
    assert.equal(filesOf(docOf(a.sessionId)).has('three.ts'), false);

    // Still serving: edits within the files go through, and reach the peer; the refused file never does.
    const edit = insert(replica(Y.encodeStateAsUpdate(docOf(a.sessionId))), '// ok\n');
    assert.ok((await request(a.socket, 'doc:update', edit)).ok);
    await waitFor(() => readFile(seen, CART)!.startsWith('// ok'), 'the peer to see the edit');
    assert.equal(filesOf(seen).has('three.ts'), false);

    assert.ok((await request(a.socket, 'file:delete', { path: 'one.ts' })).ok);
    assert.ok((await request(a.socket, 'file:create', { path: 'two.ts' })).ok);
  });
});

describe('limit: prompt size (maxPromptChars / FLINT_MAX_PROMPT_CHARS)', () => {
  it('a prompt over the configured length is refused (payloadTooLarge), records no turn and costs no rate-limit point', async () => {
    server = await startTestServer({ limits: { maxPromptChars: 100, promptsPerMinute: 1 } });
    server.sim.addRule({ match: 'p', text: 'Nothing to change.' });
    const a = await joinedClient(server.url);
    const over = await request(a.socket, 'ai:prompt', { prompt: 'p'.repeat(101), path: CART });
    refused(over, 'payloadTooLarge', ['FLINT_MAX_PROMPT_CHARS', '100', '101']);
    assert.equal(readThread(docOf(a.sessionId)).length, 0);
    // The one prompt a minute is still there: exactly at the limit runs.
    const at = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'p'.repeat(100), path: CART });
    assert.ok(at.ok, JSON.stringify(at));
    await nextEvent(a.socket, 'ai:end');
  });
});

describe('limit: prompts per minute (promptsPerMinute / FLINT_PROMPTS_PER_MINUTE)', () => {
  it('the prompt past the limit gets rateLimited naming the limit; the socket keeps working', async () => {
    server = await startTestServer({ limits: { promptsPerMinute: 2 } });
    server.sim.addRule({ match: 'go', text: 'Nothing to change.' });
    const a = await joinedClient(server.url);
    for (let i = 0; i < 2; i++) {
      const r = await request(a.socket, 'ai:prompt', { prompt: 'go', path: CART });
      assert.ok(r.ok, JSON.stringify(r));
      await nextEvent(a.socket, 'ai:end');
    }
    refused(await request(a.socket, 'ai:prompt', { prompt: 'go', path: CART }), 'rateLimited', ['FLINT_PROMPTS_PER_MINUTE', '2 a minute']);
    assert.equal(readThread(docOf(a.sessionId)).length, 2);
    assert.ok((await request(a.socket, 'file:create', { path: 'still.ts' })).ok);
  });
});

describe('limit: connections per address (maxConnectionsPerIp / FLINT_MAX_CONNECTIONS_PER_IP)', () => {
  it('the connection past the limit is refused with a typed error in connect_error; the others keep working; a closed one frees a place', async () => {
    server = await startTestServer({ limits: { maxConnectionsPerIp: 3 } });
    const live = await Promise.all([1, 2, 3].map(() => helloClient(server!.url)));
    const err = await connectClient(server.url).then(
      () => null,
      (e: Error & { data?: ProtocolError }) => e,
    );
    assert.ok(err, 'the fourth connection was accepted');
    assert.equal(err.data?.code, 'limitExceeded');
    assert.match(err.data!.message, /FLINT_MAX_CONNECTIONS_PER_IP/);
    assert.match(err.data!.message, /3 at once/);
    for (const s of live) assert.ok((await request(s, 'session:create', {})).ok);
    live[0].disconnect();
    // The server notices the close on its own schedule: retry until a place is free.
    let again: TestClient | null = null;
    await waitFor(async () => (again = await connectClient(server!.url).catch(() => null)) !== null, 'a place to free up');
    assert.ok(again);
    // Never more than the limit at once.
    assert.equal(server.app.io.sockets.sockets.size, 3);
  });
});

describe('limit: message size (maxMessageBytes / FLINT_MAX_MESSAGE_BYTES)', () => {
  it('the hello answer announces it; a larger frame closes only that connection (close code 1009), and the server keeps serving', async () => {
    server = await startTestServer({ limits: { maxMessageBytes: 64 * 1024 } });
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const hi = await request<HelloResult>(a.socket, 'session:hello', { protocolVersion: PROTOCOL_VERSION });
    assert.ok(hi.ok);
    assert.equal(hi.data.limits?.maxMessageBytes, 64 * 1024);
    const closed = new Promise<[string, unknown]>((resolve) => a.socket.once('disconnect', (reason, details) => resolve([reason, details])));
    a.socket.emit('doc:update', new Uint8Array(64 * 1024 + 1), () => {});
    const [reason, details] = await closed;
    assert.equal(reason, 'transport close');
    assert.equal((details as { context?: { code?: number } }).context?.code, 1009);
    assert.equal(readFile(docOf(a.sessionId), CART), EXAMPLE_PROJECT[CART]);
    // Just under the frame limit passes the transport (and meets the update limit of the schema).
    assert.ok((await request(b.socket, 'doc:update', insert(replica(b.state), '// b\n'))).ok);
  });
});

describe('the browser runtime on a refused change (lib/client/doc-sync.ts)', () => {
  it('keeps the text, shows "not saved" with the limit, and saves everything once the document fits again', async () => {
    server = await startTestServer();
    const a0 = await joinedClient(server.url);
    const size = Y.encodeStateAsUpdate(docOf(a0.sessionId)).byteLength;
    await server.close();
    server = await startTestServer({ limits: { maxDocBytes: size + 8 * 1024 } });
    const owner = await joinedClient(server.url);
    const seen = observer(owner.socket, owner.state);
    const tab = runtimeOn(server.url, owner.sessionId);
    try {
      await waitFor(() => tab.store.getState().connection === 'ready', 'the runtime to join');
      const text = () => filesOf(tab.runtime.doc).get(CART)!;
      const big = 'const big = 1;\n'.repeat(700);
      text().insert(0, big);
      // Typed before the refusal comes back: sent at once, it depends on the refused change, so
      // the server refuses it too (never holding it pending); the banner still names the limit.
      text().insert(big.length, '// typed at once\n');
      await waitFor(() => tab.store.getState().unsaved !== null && tab.runtime.unacknowledged === 0, 'the refusals to come back');
      assert.equal(tab.store.getState().unsaved?.code, 'limitExceeded');
      assert.match(tab.store.getState().unsaved!.message, /FLINT_MAX_DOC_BYTES/);
      assert.ok(text().toString().startsWith(big), 'the person’s text is kept');
      assert.ok(!readFile(docOf(owner.sessionId), CART)!.includes('const big'));

      // More typing while over the limit: kept, not saved (the resync is refused too).
      text().insert(big.length, '// typed after\n');
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(tab.store.getState().unsaved);
      assert.ok(!readFile(docOf(owner.sessionId), CART)!.includes('typed after'));

      // Removing the big block makes it fit: everything else typed since is saved, in order.
      text().delete(0, big.length);
      await waitFor(() => tab.store.getState().unsaved === null && tab.runtime.saved, 'the resync to be accepted', 10_000);
      assert.equal(readFile(docOf(owner.sessionId), CART), text().toString());
      assert.ok(readFile(docOf(owner.sessionId), CART)!.startsWith('// typed after\n// typed at once\n'));
      await waitFor(() => readFile(seen, CART) === text().toString(), 'the others to converge');

      // And per-update sending resumes.
      text().insert(0, '// next\n');
      await waitFor(() => readFile(docOf(owner.sessionId), CART)!.startsWith('// next\n'), 'the next edit to be saved');
    } finally {
      tab.close();
    }
  });

  it('checks its own changes against the announced message limit: too large is "not saved", never sent, and the connection stays', async () => {
    server = await startTestServer({ limits: { maxMessageBytes: 64 * 1024 } });
    const owner = await joinedClient(server.url);
    const tab = runtimeOn(server.url, owner.sessionId);
    try {
      await waitFor(() => tab.store.getState().connection === 'ready', 'the runtime to join');
      const text = () => filesOf(tab.runtime.doc).get(CART)!;
      text().insert(0, 'x'.repeat(100 * 1024));
      await waitFor(() => tab.store.getState().unsaved !== null, 'the local refusal');
      assert.equal(tab.store.getState().unsaved?.code, 'payloadTooLarge');
      assert.match(tab.store.getState().unsaved!.message, /FLINT_MAX_MESSAGE_BYTES/);
      text().delete(0, 100 * 1024);
      await waitFor(() => tab.store.getState().unsaved === null && tab.runtime.saved, 'the resync', 10_000);
      assert.equal(tab.socket.connected, true);
      assert.equal(readFile(docOf(owner.sessionId), CART), text().toString());
    } finally {
      tab.close();
    }
  });

  it('a connection refused for too many from this address is shown as fatal with the typed error', async () => {
    server = await startTestServer({ limits: { maxConnectionsPerIp: 1 } });
    const owner = await joinedClient(server.url);
    const tab = runtimeOn(server.url, owner.sessionId);
    try {
      await waitFor(() => tab.store.getState().fatal !== null, 'the refusal to show');
      assert.equal(tab.store.getState().fatal?.code, 'limitExceeded');
      assert.match(tab.store.getState().fatal!.message, /FLINT_MAX_CONNECTIONS_PER_IP/);
    } finally {
      tab.close();
    }
  });
});

describe('configured through the environment (loadConfig) → createApplication', () => {
  it('each variable moves its point of refusal and is announced in the hello answer', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'flint-limits-'));
    try {
      const files = Object.keys(EXAMPLE_PROJECT).length;
      const config = loadConfig(
        {
          FLINT_MAX_MESSAGE_BYTES: '70000',
          FLINT_MAX_DOC_BYTES: '1000000',
          FLINT_MAX_FILES: String(files + 2),
          FLINT_MAX_PROMPT_CHARS: '20',
          FLINT_MAX_CONNECTIONS_PER_IP: '2',
          FLINT_PROMPTS_PER_MINUTE: '5',
          FLINT_IMPORT_MAX_FILES: '9',
          FLINT_IMPORT_MAX_BYTES: '100000',
          FLINT_IMPORT_MAX_FILE_BYTES: '5000',
        },
        cwd,
      );
      server = await startTestServer({ limits: config.limits, projects: config.projects });
      const a = await joinedClient(server.url);
      const hi = await request<HelloResult>(a.socket, 'session:hello', { protocolVersion: PROTOCOL_VERSION });
      assert.ok(hi.ok);
      assert.deepEqual(hi.data.limits, { maxMessageBytes: 70000, maxDocBytes: 1000000, maxFiles: files + 2, maxPromptChars: 20, import: { maxFiles: 9, maxBytes: 100000, maxFileBytes: 5000 } });
      refused(await request(a.socket, 'ai:prompt', { prompt: 'x'.repeat(21), path: CART }), 'payloadTooLarge', ['20']);
      assert.ok((await request(a.socket, 'file:create', { path: 'a.ts' })).ok);
      assert.ok((await request(a.socket, 'file:create', { path: 'b.ts' })).ok);
      refused(await request(a.socket, 'file:create', { path: 'c.ts' }), 'limitExceeded', [`${files + 2}`]);
      await helloClient(server.url);
      await assert.rejects(connectClient(server.url), (e: Error & { data?: ProtocolError }) => e.data?.code === 'limitExceeded');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

/**
 * A server whose document limit leaves room for a turn, the checkpoint of cart.ts and a small
 * hunk (12 KiB over a new session's size), and a hunk of ≈40 KiB that cannot fit.
 */
async function tightDocServer() {
  server = await startTestServer();
  const a0 = await joinedClient(server.url);
  const size = Y.encodeStateAsUpdate(docOf(a0.sessionId)).byteLength;
  await server.close();
  server = await startTestServer({ limits: { maxDocBytes: size + 12 * 1024 }, tokensPerSecond: 200_000 });
  const huge = { path: CART, search: CART_THREE_HUNKS[2].search, replace: `${'    // padding\n'.repeat(1400)}${CART_THREE_HUNKS[2].replace}` };
  return { size, huge, server };
}
