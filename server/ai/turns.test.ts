import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { readThread } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { EXAMPLE_PROJECT } from '@/lib/seed/example-project';
import { CART_THREE_HUNKS, scriptedResponse, withHunks } from '@/lib/seed/scripted-edits';
import { closeClients, joinedClient, nextEvent, request } from '@/test/support/protocol-client';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';

let server: TestServer | undefined;
afterEach(async () => {
  closeClients();
  await server?.close();
  server = undefined;
});

const CART = EXAMPLE_PROJECT['src/cart.ts'];

function docOf(sessionId: string): Y.Doc {
  return server!.app.sessions.loaded(sessionId)!.doc;
}

describe('AI turns are recorded in the session document', () => {
  it('a 3-block answer becomes 3 pending hunks, a checkpoint and the answer; the file is untouched until review', async () => {
    server = await startTestServer();
    server.sim.addRule({ match: 'three changes', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
    const a = await joinedClient(server.url);
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'three changes please', path: 'src/cart.ts' });
    assert.ok(r.ok);
    const [end] = await nextEvent(a.socket, 'ai:end');
    assert.equal(end.status, 'done');

    const [turn] = readThread(docOf(a.sessionId));
    assert.equal(turn.id, r.data.streamId);
    assert.equal(turn.status, 'done');
    assert.equal(turn.prompt, 'three changes please');
    assert.equal(turn.response, scriptedResponse(CART_THREE_HUNKS));
    assert.deepEqual(
      turn.hunks.map((h) => [h.index, h.path, h.status, h.matchedAtProposal]),
      [0, 1, 2].map((i) => [i, 'src/cart.ts', 'pending', true]),
    );
    assert.deepEqual(turn.hunks.map((h) => h.replace), CART_THREE_HUNKS.map((h) => h.replace));
    assert.deepEqual(turn.checkpoint, { 'src/cart.ts': CART });
    assert.equal(readFile(docOf(a.sessionId), 'src/cart.ts'), CART);
  });

  it('instant mode applies each hunk as its block closes, for everyone in the session', async () => {
    server = await startTestServer();
    server.sim.addRule({ match: 'instant three', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const peer = new Y.Doc();
    Y.applyUpdate(peer, b.state);
    b.socket.on('doc:update', (u) => Y.applyUpdate(peer, new Uint8Array(u)));
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'instant three', path: 'src/cart.ts', autoApply: true })).ok);
    await nextEvent(a.socket, 'ai:end');
    const expected = withHunks(CART, CART_THREE_HUNKS, [true, true, true]);
    assert.equal(readFile(docOf(a.sessionId), 'src/cart.ts'), expected);
    await waitFor(() => readFile(peer, 'src/cart.ts') === expected, 'the peer to see the applied turn');
    assert.deepEqual(readThread(peer)[0].hunks.map((h) => h.status), ['accepted', 'accepted', 'accepted']);
  });

  it('a block that does not place is kept as an unmatched hunk and never applied, even in instant mode', async () => {
    server = await startTestServer();
    const missing = { path: 'src/cart.ts', search: '  nothing like this line\n', replace: '  something\n' };
    server.sim.addRule({ match: 'unplaceable', text: scriptedResponse([missing, CART_THREE_HUNKS[0]]), times: 1 });
    const a = await joinedClient(server.url);
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'unplaceable', path: 'src/cart.ts', autoApply: true })).ok);
    await nextEvent(a.socket, 'ai:end');
    const [turn] = readThread(docOf(a.sessionId));
    assert.deepEqual(turn.hunks.map((h) => [h.status, h.matchedAtProposal]), [['pending', false], ['accepted', true]]);
    assert.equal(readFile(docOf(a.sessionId), 'src/cart.ts'), withHunks(CART, CART_THREE_HUNKS, [true]));
  });

  it('ai:retry sends the failure report back as a new turn; its block lands in the same review', async () => {
    server = await startTestServer();
    const wrong = { path: 'src/cart.ts', search: CART_THREE_HUNKS[0].search.replace(/ = /, ' =  ') + '  // not in the file\n', replace: CART_THREE_HUNKS[0].replace };
    server.sim.addRule({ match: 'retry me', text: scriptedResponse([wrong, CART_THREE_HUNKS[1]]), times: 1 });
    server.sim.addRule({ match: 'failed to apply', text: scriptedResponse([CART_THREE_HUNKS[0]]), times: 1 });
    const a = await joinedClient(server.url);
    const first = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'retry me', path: 'src/cart.ts' });
    assert.ok(first.ok);
    await nextEvent(a.socket, 'ai:end');

    const r = await request<{ streamId: string }>(a.socket, 'ai:retry', { turnId: first.data.streamId, auto: true });
    assert.ok(r.ok);
    await nextEvent(a.socket, 'ai:end');
    const [turn, retry] = readThread(docOf(a.sessionId));
    assert.equal(retry.retryOf, turn.id);
    assert.match(retry.prompt, /^1 SEARCH\/REPLACE block of your last answer failed to apply\.\n\n## Block 1 \(src\/cart\.ts\): SEARCH is not in the file/);
    assert.match(retry.prompt, /Did you mean these lines of src\/cart\.ts/);
    assert.match(retry.prompt, /The other 1 block applied; do not resend them/);
    assert.deepEqual(turn.hunks.map((h) => [h.matchedAtProposal, h.retriedBy ?? null]), [[false, retry.id], [true, null]]);
    assert.deepEqual(retry.hunks.map((h) => [h.search, h.matchedAtProposal]), [[CART_THREE_HUNKS[0].search, true]]);

    // Sent back once: asking again for the same failures, or automatically about a retry, is refused.
    const again = await request(a.socket, 'ai:retry', { turnId: first.data.streamId });
    assert.ok(!again.ok && again.error.code === 'badRequest');
    const none = await request(a.socket, 'ai:retry', { turnId: 'no-such-turn' });
    assert.ok(!none.ok && none.error.code === 'streamNotFound');
  });

  it('a malformed block and one naming no usable file are kept as failed blocks and can be sent back', async () => {
    server = await startTestServer();
    const answer = [
      'Two broken blocks.',
      'src/cart.ts',
      '<<<<<<< SEARCH',
      '  total(): number {',
      '>>>>>>> REPLACE',
      '',
      '../outside.ts',
      '<<<<<<< SEARCH',
      'x',
      '=======',
      'y',
      '>>>>>>> REPLACE',
      '',
    ].join('\n');
    server.sim.addRule({ match: 'broken blocks', text: answer, times: 1 });
    const a = await joinedClient(server.url);
    const first = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'broken blocks', path: 'src/cart.ts' });
    assert.ok(first.ok);
    await nextEvent(a.socket, 'ai:end');
    const [turn] = readThread(docOf(a.sessionId));
    assert.equal(turn.hunks.length, 0);
    assert.deepEqual(turn.failedBlocks?.map((b) => [b.index, b.reason, b.path]), [[0, 'malformed', 'src/cart.ts'], [1, 'noFile', '../outside.ts']]);

    assert.ok((await request(a.socket, 'ai:retry', { turnId: first.data.streamId, auto: true })).ok);
    await nextEvent(a.socket, 'ai:end');
    const [after, retry] = readThread(docOf(a.sessionId));
    assert.match(retry.prompt, /## Block 1 \(src\/cart\.ts\): it has no ======= line between SEARCH and REPLACE\./);
    assert.match(retry.prompt, /## Block 2 \(\.\.\/outside\.ts\): it names no file of the workspace/);
    assert.equal(after.failedBlocksRetriedBy, retry.id);
  });

  it('an ambiguous block is the person’s call: the automatic retry leaves it, an explicit one reports it', async () => {
    server = await startTestServer();
    const ambiguous = { path: 'src/cart.ts', search: '  }\n', replace: '  } // end\n' };
    server.sim.addRule({ match: 'twice', text: scriptedResponse([ambiguous]), times: 1 });
    const a = await joinedClient(server.url);
    const first = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'twice', path: 'src/cart.ts' });
    assert.ok(first.ok);
    await nextEvent(a.socket, 'ai:end');
    const auto = await request(a.socket, 'ai:retry', { turnId: first.data.streamId, auto: true });
    assert.ok(!auto.ok && auto.error.code === 'badRequest');
    const explicit = await request<{ streamId: string }>(a.socket, 'ai:retry', { turnId: first.data.streamId });
    assert.ok(explicit.ok);
    await nextEvent(a.socket, 'ai:end');
    assert.match(readThread(docOf(a.sessionId))[1].prompt, /SEARCH matches \d+ places \(lines [\d, ]+\)/);
  });

  it('an interrupt keeps closed blocks as hunks and drops the block that was streaming', async () => {
    server = await startTestServer();
    // The first block closes early; the second is long and slow, so the interrupt lands inside it.
    const long = { path: 'src/cart.ts', search: CART_THREE_HUNKS[2].search, replace: '    // a long replacement\n'.repeat(400) };
    server.sim.addRule({ match: 'cut me', text: scriptedResponse([CART_THREE_HUNKS[0], long]), tokensPerSecond: 400, times: 1 });
    const a = await joinedClient(server.url);
    let received = '';
    a.socket.on('ai:delta', (e) => (received += e.text));
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'cut me off', path: 'src/cart.ts' });
    assert.ok(r.ok);
    await waitFor(() => received.includes('a long replacement'), 'the second block to stream', 10_000);
    assert.equal(readThread(docOf(a.sessionId))[0].hunks.length, 1);
    const ended = nextEvent(a.socket, 'ai:end');
    assert.ok((await request(a.socket, 'ai:interrupt', { streamId: r.data.streamId })).ok);
    assert.equal((await ended)[0].status, 'interrupted');
    const [turn] = readThread(docOf(a.sessionId));
    assert.equal(turn.status, 'interrupted');
    assert.equal(turn.hunks.length, 1);
    assert.equal(turn.dropped?.path, 'src/cart.ts');
    assert.ok(turn.dropped!.chars > 0);
    assert.equal(readFile(docOf(a.sessionId), 'src/cart.ts'), CART);
  });

  it('send now interrupts the running turn and runs the new one with the partial answer in its context', async () => {
    server = await startTestServer();
    server.sim.addRule({ match: 'slow first', tokens: 5000, tokensPerSecond: 300, times: 1 });
    server.sim.addRule({ match: 'redirected', text: scriptedResponse([CART_THREE_HUNKS[0]]), times: 1 });
    const a = await joinedClient(server.url);
    const first = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'slow first', path: 'src/cart.ts' });
    assert.ok(first.ok);
    await nextEvent(a.socket, 'ai:delta');
    // Without sendNow, the session is busy.
    const busy = await request(a.socket, 'ai:prompt', { prompt: 'another', path: 'src/cart.ts' });
    assert.equal(!busy.ok && busy.error.code, 'busy');

    const firstEnd = nextEvent(a.socket, 'ai:end', (e) => e.streamId === first.data.streamId);
    const second = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'redirected: smaller', path: 'src/cart.ts', sendNow: true });
    assert.ok(second.ok);
    const start = nextEvent(a.socket, 'ai:start', (e) => e.streamId === second.data.streamId);
    assert.equal((await firstEnd)[0].status, 'interrupted');
    assert.equal((await start)[0].context.turns, 1, 'the interrupted turn is in the new turn’s context');
    const [end] = await nextEvent(a.socket, 'ai:end', (e) => e.streamId === second.data.streamId);
    assert.equal(end.status, 'done');
    const turns = readThread(docOf(a.sessionId));
    assert.deepEqual(turns.map((t) => t.status), ['interrupted', 'done']);
    assert.ok(turns[0].response.length > 0, 'the partial answer is kept');
    assert.equal(turns[1].hunks.length, 1);
  });

  it('states what a small context budget left out', async () => {
    server = await startTestServer({ limits: { contextTokens: 700, answerTokens: 100 } });
    const a = await joinedClient(server.url);
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'note', path: 'src/cart.ts', mentions: ['src/cart.test.ts', 'README.md'] })).ok);
    const [start] = await nextEvent(a.socket, 'ai:start');
    assert.ok(start.context.tokens <= 700 - 100, `${start.context.tokens} tokens fit the budget`);
    assert.ok(start.context.files.includes('src/cart.ts'));
    assert.deepEqual(start.context.truncated, ['src/cart.test.ts'], 'the larger mentioned file did not fit; the smaller one did');
    await nextEvent(a.socket, 'ai:end');
  });

  it('the simulator’s default answer to a Flint request is an edit of the open file that places', async () => {
    server = await startTestServer();
    const a = await joinedClient(server.url);
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'explain total', path: 'src/cart.ts', selection: { start: 500, end: 500 } })).ok);
    await nextEvent(a.socket, 'ai:end');
    const [turn] = readThread(docOf(a.sessionId));
    assert.equal(turn.hunks.length, 1);
    assert.equal(turn.hunks[0].matchedAtProposal, true);
    assert.match(turn.hunks[0].replace, /\/\/ Flint: explain total/);
  });

  it('rejects mention lists that are too long or name invalid paths', async () => {
    server = await startTestServer();
    const a = await joinedClient(server.url);
    const many = await request(a.socket, 'ai:prompt', { prompt: 'x', path: 'src/cart.ts', mentions: Array.from({ length: 40 }, (_, i) => `f${i}.ts`) });
    assert.equal(!many.ok && many.error.code, 'payloadTooLarge');
    const bad = await request(a.socket, 'ai:prompt', { prompt: 'x', path: 'src/cart.ts', openFiles: ['../etc/passwd'] });
    assert.equal(!bad.ok && bad.error.code, 'badRequest');
    assert.equal(readThread(docOf(a.sessionId)).length, 0);
  });
});

describe('a hostile document cannot break turn recording', () => {
  // An editor's valid Yjs update can put anything in the thread. Recording a turn used to call
  // `.get` on every entry of `turns`: the prompt after such an update threw in the stream's
  // `finally`, an unhandled rejection that stopped the whole server.
  it('a thread holding non-map entries and a file that is not a text: prompts still stream, are recorded and end', async () => {
    server = await startTestServer();
    server.sim.addRule({ match: 'after garbage', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
    const a = await joinedClient(server.url);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, a.state);
    let update: Uint8Array | null = null;
    doc.on('update', (u: Uint8Array) => (update = update ? Y.mergeUpdates([update, u]) : u));
    doc.transact(() => {
      doc.getArray<unknown>('turns').push(['garbage', 42, null, new Y.Array()]);
      doc.getMap<unknown>('files').set('src/strange.ts', 'a string, not a Y.Text');
    });
    assert.ok((await request(a.socket, 'doc:update', update!)).ok);
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'after garbage', path: 'src/cart.ts', autoApply: true });
    assert.ok(r.ok, JSON.stringify(r));
    const [end] = await nextEvent(a.socket, 'ai:end');
    assert.equal(end.status, 'done');
    const turns = readThread(docOf(a.sessionId));
    assert.equal(turns.length, 1, 'only the real turn is read');
    assert.deepEqual(turns[0].hunks.map((h) => h.status), ['accepted', 'accepted', 'accepted']);
    assert.equal(readFile(docOf(a.sessionId), 'src/cart.ts'), withHunks(CART, CART_THREE_HUNKS, [true, true, true]));
    const prompt = await request(a.socket, 'ai:prompt', { prompt: 'x', path: 'src/strange.ts' });
    assert.equal(prompt.ok ? null : prompt.error.code, 'fileNotFound', 'a path holding no text is no file');
    assert.ok((await joinedClient(server.url, a.sessionId)).state.byteLength > 0, 'the session still opens');
  });
});

describe('Deltas on the wire', () => {
  it('a fast stream is coalesced per tick: far fewer ai:delta than upstream tokens, in order, the whole answer before ai:end', async () => {
    server = await startTestServer({ limits: { deltaTickMs: 100 } });
    const text = scriptedResponse(CART_THREE_HUNKS);
    server.sim.addRule({ match: 'coalesce me', text, tokensPerSecond: 500, times: 1 });
    const a = await joinedClient(server.url);
    const deltas: Array<{ seq: number; text: string; tokens: number }> = [];
    let endedBeforeAll = false;
    a.socket.on('ai:delta', (d) => deltas.push(d));
    const ended = nextEvent(a.socket, 'ai:end').then(([e]) => {
      endedBeforeAll = deltas.map((d) => d.text).join('') !== text;
      return e;
    });
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'coalesce me', path: 'src/cart.ts' })).ok);
    const end = await ended;
    assert.equal(end.status, 'done');
    assert.equal(endedBeforeAll, false, 'every delta went out before ai:end');
    assert.deepEqual(deltas.map((d) => d.seq), deltas.map((_, i) => i));
    const upstreamTokens = deltas.reduce((n, d) => n + d.tokens, 0);
    assert.ok(upstreamTokens > 100, `the answer came in many upstream chunks (${upstreamTokens})`);
    assert.ok(deltas.length * 4 < upstreamTokens, `${deltas.length} messages for ${upstreamTokens} upstream chunks`);
  });

  it('ai:end carries the first token’s stages through the server, in order', async () => {
    server = await startTestServer();
    server.sim.addRule({ match: 'stages please', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
    const a = await joinedClient(server.url);
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'stages please', path: 'src/cart.ts' })).ok);
    const [end] = await nextEvent(a.socket, 'ai:end');
    const s = end.timing.stages!;
    const order = [s.contextMs, s.requestMs, s.firstByteMs, s.firstTokenMs];
    for (const ms of order) assert.equal(typeof ms, 'number');
    for (let i = 1; i < order.length; i++) assert.ok(order[i]! >= order[i - 1]!, `stage ${i} after stage ${i - 1}: ${order.join(', ')}`);
    assert.ok(order[0]! >= 0);
    assert.ok(s.firstTokenMs! <= end.timing.totalMs);
  });
});
