import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeClients, joinedClient, nextEvent, request } from '@/test/support/protocol-client';
import { startTestServer, type TestServer } from '@/test/support/test-server';

let server: TestServer | undefined;
afterEach(async () => {
  closeClients();
  await server?.close();
  server = undefined;
});

describe('queueing and limits', () => {
  it('queues sessions beyond the concurrency cap in FIFO order, with live positions', async () => {
    server = await startTestServer({ limits: { maxConcurrentStreams: 1 } });
    server.sim.addRule({ match: 'first', tokens: 3000, tokensPerSecond: 2000, times: 1 }); // ≈1.5 s: time for b and c to queue behind it even on a loaded machine
    server.sim.addRule({ match: 'second', text: 'two', times: 1 });
    server.sim.addRule({ match: 'third', text: 'three', times: 1 });
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url);
    const c = await joinedClient(server.url);
    const positionsC: number[] = [];
    c.socket.on('ai:queued', (e) => e.reason === 'queue' && positionsC.push(e.position));
    const endOrder: string[] = [];
    const ends = [a, b, c].map((x, i) => nextEvent(x.socket, 'ai:end').then(([e]) => (endOrder.push('abc'[i]), e)));

    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'first', path: 'src/cart.ts' })).ok);
    await nextEvent(a.socket, 'ai:delta');
    const queuedB = nextEvent(b.socket, 'ai:queued');
    assert.ok((await request(b.socket, 'ai:prompt', { prompt: 'second', path: 'src/cart.ts' })).ok);
    assert.deepEqual((await queuedB)[0], { streamId: (await queuedB)[0].streamId, reason: 'queue', position: 1 });
    assert.ok((await request(c.socket, 'ai:prompt', { prompt: 'third', path: 'src/cart.ts' })).ok);

    const results = await Promise.all(ends);
    assert.deepEqual(results.map((e) => e.status), ['done', 'done', 'done']);
    assert.deepEqual(endOrder, ['a', 'b', 'c']);
    assert.deepEqual(positionsC, [2, 1]);
    assert.ok(results[1].timing.queueMs > 0);
  });

  it('lets a queued prompt be cancelled, and the queue moves on', async () => {
    server = await startTestServer({ limits: { maxConcurrentStreams: 1 } });
    server.sim.addRule({ match: 'hog', tokens: 400, tokensPerSecond: 2000, times: 1 });
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url);
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'hog', path: 'src/cart.ts' })).ok);
    const queued = nextEvent(b.socket, 'ai:queued');
    const r = await request<{ streamId: string }>(b.socket, 'ai:prompt', { prompt: 'waiting', path: 'src/cart.ts' });
    assert.ok(r.ok);
    await queued;
    const endB = nextEvent(b.socket, 'ai:end');
    if (r.ok) assert.ok((await request(b.socket, 'ai:interrupt', { streamId: r.data.streamId })).ok);
    assert.equal((await endB)[0].status, 'interrupted');
    const requestsBefore = server.sim.stats().requests;
    assert.equal((await nextEvent(a.socket, 'ai:end'))[0].status, 'done');
    assert.equal(server.sim.stats().requests, requestsBefore, 'the cancelled prompt never reached the tier');
  });

  it('waits out upstream 429s, honouring retry-after, then completes', async () => {
    server = await startTestServer({ limits: { upstreamRetries: 3 } });
    server.sim.addRule({ match: 'busy-tier', fault: { type: 'status', status: 429, retryAfter: 0.05 }, times: 2 });
    server.sim.addRule({ match: 'busy-tier', text: 'made it', times: 1 });
    const { socket } = await joinedClient(server.url);
    const waits: number[] = [];
    socket.on('ai:queued', (e) => e.reason === 'capacity' && waits.push(e.retryInMs));
    let text = '';
    socket.on('ai:delta', (d) => (text += d.text));
    const end = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'busy-tier', path: 'src/cart.ts' })).ok);
    assert.equal((await end)[0].status, 'done');
    assert.equal(text, 'made it');
    assert.deepEqual(waits, [50, 50]);
  });

  it('fails with a readable error when 429s outlast the retry budget', async () => {
    server = await startTestServer({ limits: { upstreamRetries: 1 } });
    server.sim.addRule({ match: 'always-busy', fault: { type: 'status', status: 429 }, times: 5 });
    const { socket } = await joinedClient(server.url);
    const end = nextEvent(socket, 'ai:end');
    assert.ok((await request(socket, 'ai:prompt', { prompt: 'always-busy', path: 'src/cart.ts' })).ok);
    const [e] = await end;
    assert.equal(e.status, 'error');
    assert.match(e.error?.message ?? '', /capacity/);
  });

  it('rate-limits prompts per person with a typed error', async () => {
    server = await startTestServer({ limits: { promptsPerMinute: 2 } });
    server.sim.addRule({ text: 'ok' });
    const { socket } = await joinedClient(server.url);
    for (let i = 0; i < 2; i++) {
      const end = nextEvent(socket, 'ai:end');
      assert.ok((await request(socket, 'ai:prompt', { prompt: `p${i}`, path: 'src/cart.ts' })).ok);
      await end;
    }
    const r = await request(socket, 'ai:prompt', { prompt: 'p3', path: 'src/cart.ts' });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'rateLimited');
      assert.match(r.error.message, /try again in \d+ s/);
    }
  });

  it('records stream metrics for Prometheus', async () => {
    server = await startTestServer();
    server.sim.addRule({ text: 'metrics please' });
    const { socket } = await joinedClient(server.url);
    const end = nextEvent(socket, 'ai:end');
    const r = await request<{ streamId: string }>(socket, 'ai:prompt', { prompt: 'm', path: 'src/cart.ts' });
    await end;
    if (r.ok) assert.ok((await request(socket, 'ai:report', { streamId: r.data.streamId, browserTtftMs: 12 })).ok);
    const text = await server.app.metrics.registry.metrics();
    assert.match(text, /flint_streams_total\{status="done"\} 1/);
    assert.match(text, /flint_stream_server_ttft_seconds_count 1/);
    assert.match(text, /flint_stream_browser_ttft_seconds_count 1/);
    assert.match(text, /flint_stream_queue_wait_seconds_count 1/);
  });
});
