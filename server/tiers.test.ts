import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from '@/lib/collab/workspace-doc';
import { closeClients, joinedClient, nextEvent, request } from '@/test/support/protocol-client';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';
import { createOpenAICompatibleProvider } from './inference/openai-compatible';
import { createResponsesWsProvider } from './inference/responses-ws';
import { createLocalLlamaProvider } from './inference/local-llama';
import { writeTinyGguf } from './inference/tiny-gguf';

/** The tiers through the whole app: real Flint socket server, real providers, real simulator. */

let server: TestServer | undefined;
afterEach(async () => {
  closeClients();
  await server?.close();
  server = undefined;
});

type TierStateEvent = { tier: string; provider: string; model: string; state: string; reason?: string; help?: string };

describe('tiers through the app', () => {
  it('joining a session warms the upstream connection of each tier and sends each tier’s state', async () => {
    server = await startTestServer();
    const before = server.sim.stats().warmups;
    const { socket, sessionId } = await joinedClient(server.url);
    // instant and deep are two providers here: one warm-up each
    await waitFor(() => server!.sim.stats().warmups === before + 2, 'the warm-up requests of the first join');
    const states: TierStateEvent[] = [];
    socket.on('tier:state', (e) => states.push(e));
    assert.ok((await request(socket, 'session:join', { sessionId })).ok);
    await waitFor(() => states.length >= 2, 'tier:state for both tiers');
    assert.deepEqual(states.slice(0, 2).map((s) => s.tier).sort(), ['deep', 'instant']);
    assert.ok(states.every((s) => s.provider === 'simulator' && s.state !== 'unavailable'));
    await waitFor(() => server!.sim.stats().warmups === before + 4, 'the warm-up requests of the second join');
    await waitFor(() => states.some((s) => s.tier === 'instant' && s.state === 'ready'), 'instant ready');
  });

  it('Predicted Outputs carry the file as it was when the prompt was sent', async () => {
    server = await startTestServer({
      providers: (sim) => {
        const p = createOpenAICompatibleProvider({ name: 'simulator', baseURL: `${sim.url}/v1`, model: 'm', prediction: true });
        return { instant: p, deep: p };
      },
    });
    const { socket, state } = await joinedClient(server.url);
    const Y = await import('yjs');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, state);
    const original = readFile(doc, 'src/cart.ts')!;
    server.sim.addRule({ match: 'predicted', text: 'x', times: 1 });
    const end = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'predicted', path: 'src/cart.ts' })).ok);
    assert.equal((await end)[0].status, 'done');
    const body = server.sim.requests().at(-1)!.body;
    assert.deepEqual(body.prediction, { type: 'content', content: original });
  });

  it('a one-at-a-time tier queues other sessions visibly in Flint, where the idle watchdog does not run', async () => {
    server = await startTestServer({
      limits: { streamIdleMs: 400 },
      providers: (sim) => {
        const p = createResponsesWsProvider({ name: 'responses', baseURL: `${sim.url}/v1`, model: 'm', maxAgeMs: 3_600_000 });
        return { instant: p, deep: p };
      },
    });
    // The first answer takes several idle periods; the second session waits behind it.
    server.sim.addRule({ match: 'long-one', tokens: 600, tokensPerSecond: 400, times: 1 });
    server.sim.addRule({ match: 'second-one', text: 'ok\n', times: 1 });
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url);
    const endA = nextEvent(a.socket, 'ai:end', () => true, 20_000);
    const endB = nextEvent(b.socket, 'ai:end', () => true, 20_000);
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'long-one', path: 'src/cart.ts' })).ok);
    await nextEvent(a.socket, 'ai:delta');
    const queued = nextEvent(b.socket, 'ai:queued');
    assert.ok((await request(b.socket, 'ai:prompt', { prompt: 'second-one', path: 'src/cart.ts' })).ok);
    const [q] = await queued;
    assert.deepEqual(q.reason === 'queue' ? q.position : q, 1);
    assert.equal((await endA)[0].status, 'done');
    assert.equal((await endB)[0].status, 'done', 'waiting in the queue is not idling upstream');
  });

  it('the Responses WebSocket tier streams a prompt, waits out a 429, and reports a drop keeping the partial text', async () => {
    server = await startTestServer({
      providers: (sim) => {
        const p = createResponsesWsProvider({ name: 'responses', baseURL: `${sim.url}/v1`, model: 'm', maxAgeMs: 3_600_000 });
        return { instant: p, deep: p };
      },
    });
    const { socket } = await joinedClient(server.url);
    await waitFor(() => server!.sim.stats().wsConnections === 1, 'the socket opened on join');

    server.sim.addRule({ match: 'ws-hello', text: 'const hello = 1;\n', times: 1 });
    let text = '';
    socket.on('ai:delta', (e) => (text += e.text));
    let end = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'ws-hello', path: 'src/cart.ts' })).ok);
    assert.equal((await end)[0].status, 'done');
    assert.equal(text, 'const hello = 1;\n');

    server.sim.addRule({ match: 'ws-busy', fault: { type: 'status', status: 429, retryAfter: 0 }, times: 1 });
    server.sim.addRule({ match: 'ws-busy', text: 'finally', times: 1 });
    const capacity = nextEvent(socket, 'ai:queued', (e) => e.reason === 'capacity');
    end = nextEvent(socket, 'ai:end');
    text = '';
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'ws-busy', path: 'src/cart.ts' })).ok);
    await capacity;
    assert.equal((await end)[0].status, 'done');
    assert.equal(text, 'finally');

    server.sim.addRule({ match: 'ws-drop', text: 'aa bb cc dd ee', fault: { type: 'drop', afterTokens: 2 }, times: 1 });
    end = nextEvent(socket, 'ai:end');
    text = '';
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'ws-drop', path: 'src/cart.ts' })).ok);
    const [e] = await end;
    assert.equal(e.status, 'error');
    assert.match(e.error!.message, /Lost the connection/);
    assert.equal(text, 'aa bb');
    assert.equal(server.sim.stats().wsConnections, 1); // replaced lazily, on the next turn
  });

  it('with no model to be had, the tier is unavailable with the reason; prompts end with that error and the session keeps working', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'flint-offline-'));
    server = await startTestServer({
      providers: () => {
        const p = createLocalLlamaProvider({ name: 'local', model: 'default-coder', download: { url: 'http://127.0.0.1:1/default-coder.gguf', cacheDir }, threads: 1 });
        return { instant: p, deep: p };
      },
    });
    const { socket } = await joinedClient(server.url);
    const unavailable = await nextEvent(socket, 'tier:state', (e) => e.state === 'unavailable');
    assert.match(unavailable[0].reason!, /offline/);
    assert.match(unavailable[0].help!, /FLINT_BASE_URL/);

    const end = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'anything', path: 'src/cart.ts' })).ok);
    const [e] = await end;
    assert.equal(e.status, 'error');
    assert.equal(e.error!.code, 'tierUnavailable');
    assert.match(e.error!.message, /offline/);
    // Files still work.
    assert.ok((await request(socket, 'file:create', { path: 'notes.md', content: 'still here' })).ok);
  });

  it('a local GGUF tier streams a prompt through the app and is interrupted', async () => {
    // Flint's prompt (system prompt, the open file) is thousands of this byte-level vocabulary's tokens.
    const modelPath = await writeTinyGguf(join(mkdtempSync(join(tmpdir(), 'flint-gguf-')), 'tiny.gguf'), { contextLength: 8192 });
    server = await startTestServer({
      providers: () => {
        const p = createLocalLlamaProvider({ name: 'local', model: 'tiny', modelPath, threads: 1, maxTokens: 2000, contextSize: 8192 });
        return { instant: p, deep: p };
      },
    });
    const { socket } = await joinedClient(server.url);
    await nextEvent(socket, 'tier:state', (e) => e.state === 'ready', 30_000);
    const firstDelta = nextEvent(socket, 'ai:delta', () => true, 30_000);
    const end = nextEvent(socket, 'ai:end', () => true, 30_000);
    const r = await request<{ streamId: string }>(socket, 'ai:prompt', { prompt: 'write a function', path: 'src/cart.ts' });
    assert.ok(r.ok);
    await firstDelta;
    assert.ok((await request(socket, 'ai:interrupt', { streamId: r.data.streamId })).ok);
    assert.equal((await end)[0].status, 'interrupted');
  });
});
