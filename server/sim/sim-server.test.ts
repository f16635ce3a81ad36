import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimServer, type SimServer } from './sim-server';
import { tokenize } from './tokens';
import { generatedResponse } from './responses';

describe('tokenize', () => {
  const samples = ['', 'const x = 1;', 'export function step1(values: number[]): number {\n  return 0;\n}\n', '  \t\n\n  émoji 🎉 ok', 'aaaaaaaaaa'];
  for (const s of samples) {
    it(`round-trips ${JSON.stringify(s).slice(0, 30)}`, () => {
      assert.equal(tokenize(s).join(''), s);
      for (const t of tokenize(s)) assert.ok(t.length > 0);
    });
  }
  it('makes about four characters a token on code', () => {
    const text = generatedResponse('x', 1000);
    const ratio = text.length / tokenize(text).length;
    assert.ok(ratio > 2 && ratio < 6, `ratio ${ratio}`);
  });
});

describe('simulator', () => {
  let sim: SimServer;
  before(async () => {
    sim = await startSimServer({ tokensPerSecond: 50_000, apiKey: 'k' });
  });
  after(() => sim.close());

  const post = (body: unknown, key = 'k', signal?: AbortSignal) =>
    fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
      signal,
    });

  it('streams OpenAI chunks ending in [DONE], with usage when asked', async () => {
    sim.addRule({ match: 'hello', text: 'const a = 1;\n', times: 1 });
    const res = await post({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'const a = 1;\n');
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.equal(chunks.at(-1).usage.completion_tokens, tokenize('const a = 1;\n').length);
  });

  it('records when each answer went out, on a clock pages can read', async () => {
    sim.addRule({ match: 'timed', text: 'const b = 2;\n', times: 1 });
    const before = (await (await fetch(`${sim.url}/_sim/clock`)).json()) as { now: number };
    await (await post({ model: 'm', stream: true, messages: [{ role: 'user', content: 'timed' }] })).text();
    await new Promise((r) => setTimeout(r, 20));
    const t = sim.timings().findLast((x) => x.match === 'timed')!;
    assert.ok(t.receivedAt >= before.now);
    assert.equal(t.writes.at(-1), 'const b = 2;\n'.length, 'the last write carries every character');
    for (let k = 2; k < t.writes.length; k += 2) assert.ok(t.writes[k] >= t.writes[k - 2] && t.writes[k + 1] > t.writes[k - 1]);
    assert.equal(t.outcome, 'completed');
    assert.ok(t.closedAt !== null && t.closedAt >= t.writes[0]);
  });

  it('refuses a wrong API key with 401', async () => {
    const res = await post({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }, 'wrong');
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'invalid_api_key');
  });

  it('answers 429 with retry-after when scripted', async () => {
    sim.addRule({ fault: { type: 'status', status: 429, retryAfter: 2 }, times: 1 });
    const res = await post({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
  });

  it('answers a malformed body with 400', async () => {
    const res = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{' });
    assert.equal(res.status, 400);
  });

  it('counts a connection the client closed mid-stream as aborted', async () => {
    sim.addRule({ match: 'long', tokens: 100_000, tokensPerSecond: 1000, times: 1 });
    const before = sim.stats();
    const ac = new AbortController();
    const res = await post({ model: 'm', stream: true, messages: [{ role: 'user', content: 'long' }] }, 'k', ac.signal);
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    for (let i = 0; i < 200 && sim.stats().aborted === before.aborted; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sim.stats().aborted, before.aborted + 1);
    assert.equal(sim.stats().active, 0);
  });

  it('paces tokens: a 10x faster rate finishes sooner, measured in one run', async () => {
    const time = async (tps: number) => {
      sim.addRule({ match: `pace-${tps}`, tokens: 300, tokensPerSecond: tps, times: 1 });
      const t0 = performance.now();
      await (await post({ model: 'm', stream: true, messages: [{ role: 'user', content: `pace-${tps}` }] })).text();
      return performance.now() - t0;
    };
    const slow = await time(1000);
    const fast = await time(10_000);
    assert.ok(slow > fast, `300 tokens at 1,000 tok/s took ${slow} ms, at 10,000 tok/s ${fast} ms`);
  });
});
