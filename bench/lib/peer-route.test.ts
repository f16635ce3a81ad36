import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimServer, type SimServer } from '../../server/sim/sim-server';
import { POST } from '../../app/bench/peer/api/route';

/** The benchmark's peer harness route: hidden unless FLINT_BENCH=1, and a real AI SDK stream when on. */
describe('peer harness route (app/bench/peer/api)', () => {
  let sim: SimServer;
  const saved = { bench: process.env.FLINT_BENCH, upstream: process.env.FLINT_BENCH_UPSTREAM };
  before(async () => {
    sim = await startSimServer({ tokensPerSecond: 50_000 });
    process.env.FLINT_BENCH_UPSTREAM = `${sim.url}/v1`;
  });
  after(async () => {
    process.env.FLINT_BENCH = saved.bench;
    process.env.FLINT_BENCH_UPSTREAM = saved.upstream;
    if (saved.bench === undefined) delete process.env.FLINT_BENCH;
    if (saved.upstream === undefined) delete process.env.FLINT_BENCH_UPSTREAM;
    await sim.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    POST(new Request('http://flint/bench/peer/api', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));

  it('answers 404 unless FLINT_BENCH=1', async () => {
    delete process.env.FLINT_BENCH;
    assert.equal((await post({ messages: [] })).status, 404);
  });

  it('streams the upstream answer as UI-message SSE, and answers the no-op at once', async () => {
    process.env.FLINT_BENCH = '1';
    assert.equal((await post({}, { 'x-bench-noop': '1' })).status, 204);
    sim.addRule({ match: 'peer-route', text: 'const answer = 42;\n', times: 1 });
    const res = await post({ messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'peer-route' }] }] });
    assert.equal(res.status, 200);
    const text = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { type: string; delta?: string })
      .filter((e) => e.type === 'text-delta')
      .map((e) => e.delta)
      .join('');
    assert.equal(text, 'const answer = 42;\n');
  });
});
