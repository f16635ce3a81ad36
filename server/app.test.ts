import type { InferenceProvider } from './inference/types';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { CLIENT_EVENTS, PROTOCOL_VERSION, type ErrorCode, type Response } from '@/lib/protocol';
import { filesOf, listFiles } from '@/lib/collab/workspace-doc';
import { EXAMPLE_PROJECT } from '@/lib/seed/example-project';
import { closeClients, connectClient, helloClient, joinedClient, nextEvent, request, type TestClient } from '@/test/support/protocol-client';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';

let server: TestServer;
before(async () => {
  server = await startTestServer({ limits: { streamIdleMs: 300, promptsPerMinute: 10_000, upstreamRetries: 0 } });
});
after(async () => {
  closeClients();
  await server.close();
});
afterEach(() => {
  server.sim.clearRules();
  closeClients();
});

function assertError(r: Response<unknown>, code: ErrorCode | ErrorCode[]) {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 200)}`);
  if (r.ok) return;
  const codes = Array.isArray(code) ? code : [code];
  assert.ok(codes.includes(r.error.code), `expected ${codes.join('|')}, got ${r.error.code}: ${r.error.message}`);
  assert.equal(typeof r.error.message, 'string');
  assert.ok(!/at .*\.ts:\d+/.test(r.error.message), 'no stack trace reaches the client');
}

/** A prompt that streams to the end and is still served: proves the server kept serving. */
async function assertStillServing() {
  const { socket } = await joinedClient(server.url);
  server.sim.addRule({ match: 'still-serving', text: 'ok', times: 1 });
  const end = nextEvent(socket, 'ai:end');
  const r = await request(socket, 'ai:prompt', { prompt: 'still-serving', path: 'src/cart.ts' });
  assert.ok(r.ok);
  const [e] = await end;
  assert.equal(e.status, 'done');
}

describe('session:hello', () => {
  it('accepts the current protocol version', async () => {
    const socket = await connectClient(server.url);
    const r = await request<{ protocolVersion: number }>(socket, 'session:hello', { protocolVersion: PROTOCOL_VERSION });
    // The limits in force (the defaults here) come with it: the browser checks its frames against them.
    assert.deepEqual(r, { ok: true, data: { protocolVersion: PROTOCOL_VERSION, limits: { maxMessageBytes: 16 * 1024 * 1024, maxDocBytes: 16 * 1024 * 1024, maxFiles: 1000, maxPromptChars: 65_536, import: { maxFiles: 2000, maxBytes: 32 * 1024 * 1024, maxFileBytes: 8 * 1024 * 1024 } } } });
  });

  for (const [version, code] of [
    [PROTOCOL_VERSION - 1, 'clientTooOld'],
    [PROTOCOL_VERSION + 1, 'serverTooOld'],
  ] as const) {
    it(`answers protocol ${version} with ${code} and disconnects`, async () => {
      const socket = await connectClient(server.url);
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const r = await request(socket, 'session:hello', { protocolVersion: version });
      assertError(r, code);
      assert.equal(await disconnected, 'io server disconnect');
    });
  }
});

describe('edge validation', () => {
  const needsHello = CLIENT_EVENTS.filter((e) => e !== 'session:hello');

  for (const event of needsHello) {
    it(`${event} before session:hello gets helloRequired`, async () => {
      const socket = await connectClient(server.url);
      assertError(await request(socket, event, {}), 'helloRequired');
    });
  }

  const bad: Array<[string, unknown]> = [
    ['a number', 42],
    ['null', null],
    ['an array', [1, 2, 3]],
    ['an object with unknown fields', { nope: true, __proto__: { polluted: 1 } }],
    ['binary garbage', randomBytes(512)],
    ['a 5 MB string', 'x'.repeat(5 * 1024 * 1024)],
  ];
  for (const event of CLIENT_EVENTS) {
    for (const [what, payload] of bad) {
      it(`${event} with ${what} gets a typed error`, async () => {
        const { socket } = await joinedClient(server.url);
        const r = await request(socket, event, payload);
        if (event === 'doc:update' && what === 'binary garbage') return assertError(r, 'badRequest');
        assertError(r, ['badRequest', 'payloadTooLarge']);
        if (!r.ok) assert.equal(r.error.event, event);
      });
    }
  }

  it('answers missing fields with the field name', async () => {
    const { socket } = await joinedClient(server.url);
    const r = await request(socket, 'file:rename', { from: 'src/cart.ts' });
    assertError(r, 'badRequest');
    if (!r.ok) assert.match(r.error.message, /to/);
  });

  it('answers a 5 MB prompt with payloadTooLarge', async () => {
    const { socket } = await joinedClient(server.url);
    const r = await request(socket, 'ai:prompt', { prompt: 'p'.repeat(5 * 1024 * 1024), path: 'src/cart.ts' });
    assertError(r, 'payloadTooLarge');
  });

  it('answers a 5 MB Yjs update with payloadTooLarge', async () => {
    const { socket } = await joinedClient(server.url);
    assertError(await request(socket, 'doc:update', Buffer.alloc(5 * 1024 * 1024, 1)), 'payloadTooLarge');
  });

  it('rejects paths that escape the workspace', async () => {
    const { socket } = await joinedClient(server.url);
    for (const path of ['../etc/passwd', '/abs.ts', 'a//b.ts', 'src/./x.ts', 'new\nline.ts', 'back\\slash.ts', '']) {
      assertError(await request(socket, 'file:create', { path }), 'badRequest');
    }
  });

  it('answers extra arguments with badRequest', async () => {
    const { socket } = await joinedClient(server.url);
    assertError(await request(socket, 'file:delete', { path: 'README.md' }, 'extra'), 'badRequest');
  });

  it('answers unknown events, with and without an acknowledgement', async () => {
    const socket = await helloClient(server.url);
    assertError(await request(socket, 'file:explode', {}), 'unknownEvent');
    const pushed = nextEvent(socket, 'protocol:error');
    (socket as unknown as { emit(e: string, p: unknown): void }).emit('nope:nope', 1);
    assert.equal((await pushed)[0].code, 'unknownEvent');
  });

  it('reports an error as protocol:error when the client sent no acknowledgement', async () => {
    const socket = await connectClient(server.url);
    const pushed = nextEvent(socket, 'protocol:error');
    (socket as unknown as { emit(e: string, p: unknown): void }).emit('ai:prompt', { prompt: 'x' });
    const [e] = await pushed;
    assert.equal(e.code, 'helloRequired');
    assert.equal(e.event, 'ai:prompt');
  });

  it('requires a joined session for session events', async () => {
    const socket = await helloClient(server.url);
    assertError(await request(socket, 'file:create', { path: 'a.ts' }), 'notJoined');
    assertError(await request(socket, 'ai:prompt', { prompt: 'x', path: 'a.ts' }), 'notJoined');
  });

  it('survives raw WebSocket garbage and keeps serving other clients', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
    for (const frame of ['garbage', '42["session:hello"', '40{', Buffer.from([0, 255, 1, 2]), '4' + '['.repeat(10_000)]) {
      const ws = new WebSocket(wsUrl);
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send('40');
      ws.send(frame);
      await new Promise((resolve) => {
        ws.once('close', resolve);
        setTimeout(resolve, 200);
      });
      ws.terminate();
    }
    await assertStillServing();
  });

  it('keeps serving other clients after a flood of bad payloads', async () => {
    const { socket } = await joinedClient(server.url);
    await Promise.all(Array.from({ length: 500 }, (_, i) => request(socket, CLIENT_EVENTS[i % CLIENT_EVENTS.length], { junk: i })));
    await assertStillServing();
  });
});

describe('sessions and files', () => {
  it('creates a session seeded with the example project', async () => {
    const { state } = await joinedClient(server.url);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, state);
    assert.deepEqual(listFiles(doc), Object.keys(EXAMPLE_PROJECT).sort());
    assert.equal(filesOf(doc).get('src/cart.ts')?.toString(), EXAMPLE_PROJECT['src/cart.ts']);
  });

  it('gives sessions unguessable 128-bit ids', async () => {
    const socket = await helloClient(server.url);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await request<{ sessionId: string }>(socket, 'session:create', {});
      assert.ok(r.ok);
      if (r.ok) ids.add(r.data.sessionId);
    }
    assert.equal(ids.size, 20);
    for (const id of ids) assert.equal(Buffer.from(id, 'base64url').length, 16);
  });

  it('answers an unknown session with sessionNotFound', async () => {
    const socket = await helloClient(server.url);
    assertError(await request(socket, 'session:join', { sessionId: 'A'.repeat(22) }), 'sessionNotFound');
  });

  it('creates, renames and deletes files, and every participant sees it', async () => {
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const docB = new Y.Doc();
    Y.applyUpdate(docB, b.state);
    b.socket.on('doc:update', (u) => Y.applyUpdate(docB, new Uint8Array(u)));

    assert.ok((await request(a.socket, 'file:create', { path: 'src/util.ts', content: 'export const one = 1;\n' })).ok);
    assertError(await request(a.socket, 'file:create', { path: 'src/util.ts' }), 'fileExists');
    await waitFor(() => filesOf(docB).has('src/util.ts'), 'create to reach B');

    assert.ok((await request(a.socket, 'file:rename', { from: 'src/util.ts', to: 'src/one.ts' })).ok);
    assertError(await request(a.socket, 'file:rename', { from: 'src/util.ts', to: 'src/x.ts' }), 'fileNotFound');
    assertError(await request(a.socket, 'file:rename', { from: 'src/one.ts', to: 'src/cart.ts' }), 'fileExists');
    await waitFor(() => filesOf(docB).has('src/one.ts') && !filesOf(docB).has('src/util.ts'), 'rename to reach B');
    assert.equal(filesOf(docB).get('src/one.ts')?.toString(), 'export const one = 1;\n');

    assert.ok((await request(a.socket, 'file:delete', { path: 'src/one.ts' })).ok);
    assertError(await request(a.socket, 'file:delete', { path: 'src/one.ts' }), 'fileNotFound');
    await waitFor(() => !filesOf(docB).has('src/one.ts'), 'delete to reach B');
  });

  it('relays Yjs edits between participants and keeps them on the server', async () => {
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const docA = new Y.Doc();
    Y.applyUpdate(docA, a.state);
    const docB = new Y.Doc();
    Y.applyUpdate(docB, b.state);
    b.socket.on('doc:update', (u) => Y.applyUpdate(docB, new Uint8Array(u)));
    docA.on('update', (u: Uint8Array) => a.socket.emit('doc:update', u));
    filesOf(docA).get('src/cart.ts')!.insert(0, '// typed by A\n');
    await waitFor(() => filesOf(docB).get('src/cart.ts')!.toString().startsWith('// typed by A\n'), 'edit to reach B');
    const serverDoc = server.app.sessions.loaded(a.sessionId)!.doc;
    assert.equal(filesOf(serverDoc).get('src/cart.ts')!.toString(), filesOf(docA).get('src/cart.ts')!.toString());
  });

  it('answers a Yjs update that does not decode with badRequest and keeps the document', async () => {
    const a = await joinedClient(server.url);
    const before = Y.encodeStateAsUpdate(server.app.sessions.loaded(a.sessionId)!.doc);
    assertError(await request(a.socket, 'doc:update', Buffer.from([255, 255, 255, 255, 255, 255, 255, 255, 255, 1])), 'badRequest');
    assert.deepEqual(Y.encodeStateAsUpdate(server.app.sessions.loaded(a.sessionId)!.doc), before);
  });

  // A JSON string may hold a lone surrogate; Yjs encodes it as U+FFFD, so the server's copy
  // differed from everyone's, and an insert right after it made the server replace the next
  // character too (ContentString.splice), in its copy only: peers and fresh joins disagreed.
  it('file content with a lone surrogate reads the same for the server, a peer and a fresh join after an edit next to it', async () => {
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const docB = new Y.Doc();
    Y.applyUpdate(docB, b.state);
    b.socket.on('doc:update', (u) => Y.applyUpdate(docB, new Uint8Array(u)));
    assert.ok((await request(a.socket, 'file:create', { path: 'src/odd.ts', content: 'a\ud83d9b' })).ok);
    await waitFor(() => filesOf(docB).has('src/odd.ts'), 'the file to reach B');
    let update: Uint8Array | null = null;
    docB.on('update', (u: Uint8Array) => (update = u));
    filesOf(docB).get('src/odd.ts')!.insert(2, 'X');
    assert.ok((await request(b.socket, 'doc:update', update!)).ok);
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, (await joinedClient(server.url, a.sessionId)).state);
    assert.equal(filesOf(docB).get('src/odd.ts')!.toString(), 'a\ufffdX9b');
    assert.equal(filesOf(fresh).get('src/odd.ts')!.toString(), 'a\ufffdX9b');
    assert.equal(filesOf(server.app.sessions.loaded(a.sessionId)!.doc).get('src/odd.ts')!.toString(), 'a\ufffdX9b');
  });

  // Y.applyUpdate integrates the structs it has read before it reads the delete set: a valid
  // update with its delete set cut off used to be half applied (and broadcast) before the error.
  it('rejects a Yjs update whose end is corrupt whole: nothing of it is applied or broadcast', async () => {
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const received: Uint8Array[] = [];
    b.socket.on('doc:update', (u) => received.push(new Uint8Array(u)));
    const docA = new Y.Doc();
    Y.applyUpdate(docA, a.state);
    let update: Uint8Array | null = null;
    docA.on('update', (u: Uint8Array) => (update = u));
    filesOf(docA).get('src/cart.ts')!.insert(0, '// half of me\n');
    const cut = update!.slice(0, update!.byteLength - 1); // the delete set's count is gone
    const before = Y.encodeStateAsUpdate(server.app.sessions.loaded(a.sessionId)!.doc);
    assertError(await request(a.socket, 'doc:update', cut), 'badRequest');
    assert.deepEqual(Y.encodeStateAsUpdate(server.app.sessions.loaded(a.sessionId)!.doc), before);
    assert.ok((await request(a.socket, 'doc:update', update!)).ok, 'the intact update is then taken');
    await waitFor(() => received.length > 0, 'the intact update to reach B');
    assert.equal(received.length, 1, 'B got the intact update only');
  });

  // 45 corrupt bytes that, applied to any document, left its struct store unencodable: every
  // later session:join (Y.encodeStateAsUpdate) failed with `internal`, for everyone in the session.
  it('a corrupt update cannot make the session unjoinable for others', async () => {
    const a = await joinedClient(server.url);
    const poison = Buffer.from('0103cabfec99030027010566696c657304782e7473028000cabfec99030003616263c4ab96f1820603ab96f1820604027a7a00', 'hex');
    assertError(await request(a.socket, 'doc:update', poison), 'badRequest');
    const c = await joinedClient(server.url, a.sessionId);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, c.state);
    assert.deepEqual(listFiles(doc), Object.keys(EXAMPLE_PROJECT).sort());
  });

  // An item that names a later item of its own client as its parent (Yjs trusts a client's own
  // references to point backwards) threw halfway through integration.
  it('rejects an update whose item refers forward in its own client', async () => {
    const a = await joinedClient(server.url);
    const forward = Buffer.from('01039cf3bda30d0027010566696c657304782e74730204009cf3bda30d0000616263c4ab96f1823f03ab96f1820604027a7a00', 'hex');
    assertError(await request(a.socket, 'doc:update', forward), 'badRequest');
    assert.ok((await joinedClient(server.url, a.sessionId)).state.byteLength > 0);
  });
});

describe('ai:prompt', () => {
  async function collect(socket: TestClient) {
    const order: string[] = [];
    let text = '';
    let tokens = 0;
    socket.on('ai:start', () => order.push('start'));
    socket.on('ai:delta', (d) => {
      order.push('delta');
      text += d.text;
      tokens += d.tokens;
    });
    const [end] = await nextEvent(socket, 'ai:end');
    return { order, text, tokens, end };
  }

  it('streams the upstream answer after the acknowledgement, merged into fewer frames than tokens', async () => {
    const { socket } = await joinedClient(server.url);
    server.sim.addRule({ match: 'rename total', tokens: 2000, tokensPerSecond: 20_000, times: 1 });
    const order: string[] = [];
    const result = collect(socket);
    const r = await request<{ streamId: string }>(socket, 'ai:prompt', { prompt: 'rename total', path: 'src/cart.ts' });
    order.push('ack');
    assert.ok(r.ok);
    const { order: events, text, tokens, end } = await result;
    assert.equal(order[0], 'ack');
    assert.equal(events[0], 'start');
    assert.equal(end.status, 'done');
    assert.equal(end.usage.completionTokens, tokens, 'every upstream token arrived');
    assert.ok(tokens >= 2000);
    assert.ok(events.filter((e) => e === 'delta').length < tokens, 'deltas of one read are merged');
    assert.match(text, /^\/\/ Flint simulator: .*rename total/);
    assert.ok(end.timing.serverTtftMs !== null && end.timing.serverTtftMs >= 0);
  });

  it('acknowledges a prompt before anything of its stream, even when the tier answers at once', async () => {
    // A tier that yields without any I/O: the request now goes upstream before the acknowledgement
    // is sent, so only the edge's ordering keeps ai:start behind it.
    const immediate: InferenceProvider = {
      name: 'immediate',
      model: 'immediate',
      async *stream() {
        yield { type: 'delta', text: 'at once' };
      },
    };
    const own = await startTestServer({ providers: () => ({ instant: immediate, deep: immediate }) });
    try {
      const { socket } = await joinedClient(own.url);
      const order: string[] = [];
      socket.on('ai:start', () => order.push('start'));
      socket.on('ai:delta', () => order.push('delta'));
      const ended = nextEvent(socket, 'ai:end');
      // A plain callback: it runs as the acknowledgement is read (a promise would run later).
      (socket as unknown as { emit(e: string, p: unknown, ack: (r: { ok: boolean }) => void): void }).emit('ai:prompt', { prompt: 'now', path: 'src/cart.ts' }, (r) => order.push(r.ok ? 'ack' : 'refused'));
      await ended;
      assert.deepEqual(order, ['ack', 'start', 'delta']);
    } finally {
      await own.close();
    }
  });

  it('serves each mode from its own tier, and says which on join', async () => {
    const { socket, sessionId } = await joinedClient(server.url);
    const joined = await request<{ tiers: Record<string, { model: string }> }>(socket, 'session:join', { sessionId });
    assert.ok(joined.ok);
    if (joined.ok) assert.deepEqual(Object.fromEntries(Object.entries(joined.data.tiers).map(([k, v]) => [k, v.model])), { instant: 'flint-sim-instant', deep: 'flint-sim-deep' });
    for (const mode of ['deep', 'instant'] as const) {
      server.sim.addRule({ match: `tier-${mode}`, text: 'x', times: 1 });
      const started = nextEvent(socket, 'ai:start');
      const ended = nextEvent(socket, 'ai:end');
      assert.ok((await request(socket, 'ai:prompt', { prompt: `tier-${mode}`, path: 'src/cart.ts', mode })).ok);
      const [start] = await started;
      assert.equal(start.mode, mode);
      assert.equal(start.model, `flint-sim-${mode}`);
      await ended;
    }
    assertError(await request(socket, 'ai:prompt', { prompt: 'x', path: 'src/cart.ts', mode: 'turbo' }), 'badRequest');
  });

  it('sends the open file and the prompt upstream', async () => {
    const { socket } = await joinedClient(server.url);
    server.sim.addRule({ match: 'export class Cart', text: 'saw the file', times: 1 });
    const result = collect(socket);
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'explain', path: 'src/cart.ts', selection: { start: 0, end: 6 } })).ok);
    assert.equal((await result).text, 'saw the file');
  });

  it('refuses a second prompt while one streams (busy), and a missing file', async () => {
    const { socket } = await joinedClient(server.url);
    server.sim.addRule({ match: 'long one', tokens: 3000, times: 1 });
    const r = await request<{ streamId: string }>(socket, 'ai:prompt', { prompt: 'long one', path: 'src/cart.ts' });
    assert.ok(r.ok);
    assertError(await request(socket, 'ai:prompt', { prompt: 'again', path: 'src/cart.ts' }), 'busy');
    const ended = nextEvent(socket, 'ai:end');
    if (r.ok) await request(socket, 'ai:interrupt', { streamId: r.data.streamId });
    assert.equal((await ended)[0].status, 'interrupted');
    assertError(await request(socket, 'ai:prompt', { prompt: 'x', path: 'nope.ts' }), 'fileNotFound');
  });

  it('interrupts: the upstream connection closes, nothing follows ai:end, and the next prompt works', async () => {
    const { socket } = await joinedClient(server.url);
    server.sim.addRule({ match: 'interrupt me', tokens: 10_000, times: 1 });
    const abortedBefore = server.sim.stats().aborted;
    const r = await request<{ streamId: string }>(socket, 'ai:prompt', { prompt: 'interrupt me', path: 'src/cart.ts' });
    assert.ok(r.ok);
    if (!r.ok) return;
    await nextEvent(socket, 'ai:delta');
    const ended = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:interrupt', { streamId: r.data.streamId })).ok);
    const [end] = await ended;
    assert.equal(end.status, 'interrupted');
    assert.ok(end.usage.completionTokens < 10_000);
    let late = 0;
    socket.on('ai:delta', () => late++);
    await waitFor(() => server.sim.stats().aborted === abortedBefore + 1, 'the simulator to see the connection close');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(late, 0, 'no delta after ai:end');
    assertError(await request(socket, 'ai:interrupt', { streamId: r.data.streamId }), 'streamNotFound');

    server.sim.addRule({ match: 'after interrupt', text: 'fine', times: 1 });
    const next = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'after interrupt', path: 'src/cart.ts' })).ok);
    assert.equal((await next)[0].status, 'done');
  });

  for (const [status, pattern] of [
    [401, /API key/],
    [404, /model/],
    [429, /capacity/],
    [500, /failed/],
  ] as const) {
    it(`ends with a readable error when the tier answers ${status}`, async () => {
      const { socket } = await joinedClient(server.url);
      server.sim.addRule({ match: `fail-${status}`, fault: { type: 'status', status }, times: 1 });
      const ended = nextEvent(socket, 'ai:end');
      assert.ok((await request(socket, 'ai:prompt', { prompt: `fail-${status}`, path: 'src/cart.ts' })).ok);
      const [end] = await ended;
      assert.equal(end.status, 'error');
      assert.equal(end.error?.code, 'upstream');
      assert.match(end.error?.message ?? '', pattern);
      await assertStillServing();
    });
  }

  it('keeps what streamed before the upstream dropped the connection', async () => {
    const { socket } = await joinedClient(server.url);
    server.sim.addRule({ match: 'drop-me', tokens: 500, fault: { type: 'drop', afterTokens: 100 }, times: 1 });
    const result = collect(socket);
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'drop-me', path: 'src/cart.ts' })).ok);
    const { end, tokens } = await result;
    assert.equal(end.status, 'error');
    assert.equal(end.error?.code, 'upstream');
    assert.ok(tokens > 0 && tokens <= 100, `kept ${tokens} tokens`);
  });

  it('ends a stalled stream with an error from the watchdog', async () => {
    const { socket } = await joinedClient(server.url);
    server.sim.addRule({ match: 'stall-me', tokens: 100, fault: { type: 'stall', afterTokens: 10, ms: 5000 }, times: 1 });
    const ended = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'stall-me', path: 'src/cart.ts' })).ok);
    const [end] = await ended;
    assert.equal(end.status, 'error');
    assert.match(end.error?.message ?? '', /sent nothing/);
    await assertStillServing();
  });

  it('ends with an error on a malformed chunk', async () => {
    const { socket } = await joinedClient(server.url);
    server.sim.addRule({ match: 'malformed-me', tokens: 100, fault: { type: 'malformed', afterTokens: 10 }, times: 1 });
    const ended = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'malformed-me', path: 'src/cart.ts' })).ok);
    const [end] = await ended;
    assert.equal(end.status, 'error');
    assert.equal(end.error?.code, 'upstream');
  });
});
