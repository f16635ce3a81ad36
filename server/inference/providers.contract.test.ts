import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APIError } from 'openai';
import { startSimServer, type SimServer } from '../sim/sim-server';
import { retryDelayMs, describeUpstreamError } from '../ai/ai-controller';
import { createOpenAICompatibleProvider } from './openai-compatible';
import { createResponsesWsProvider } from './responses-ws';
import type { ChatMessage, InferenceEvent, InferenceProvider } from './types';

/**
 * Every remote provider against the simulator over real sockets (HTTP/SSE for Chat Completions,
 * WebSocket for the Responses mode), every fault included.
 */

async function collect(provider: InferenceProvider, messages: ChatMessage[], signal = new AbortController().signal) {
  const events: InferenceEvent[] = [];
  for await (const e of provider.stream({ messages }, signal)) events.push(e);
  return {
    text: events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join(''),
    usage: events.find((e) => e.type === 'usage'),
    deltas: events.filter((e) => e.type === 'delta').length,
  };
}

const user = (content: string): ChatMessage[] => [{ role: 'system', content: 'You edit code.' }, { role: 'user', content }];

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

const kinds: Array<{ kind: string; make(sim: SimServer, apiKey: string): InferenceProvider }> = [
  { kind: 'Chat Completions', make: (sim, apiKey) => createOpenAICompatibleProvider({ name: 'sim', baseURL: `${sim.url}/v1`, apiKey, model: 'm' }) },
  { kind: 'Responses WebSocket', make: (sim, apiKey) => createResponsesWsProvider({ name: 'sim', baseURL: `${sim.url}/v1`, apiKey, model: 'm', maxAgeMs: 3_600_000 }) },
];

for (const { kind, make } of kinds) {
  describe(`${kind} provider against the simulator`, () => {
    let sim: SimServer;
    let provider: InferenceProvider;
    before(async () => {
      sim = await startSimServer({ tokensPerSecond: 20_000, apiKey: 'key' });
      provider = make(sim, 'key');
    });
    after(async () => {
      await provider.close?.();
      await sim.close();
    });

    it('streams the scripted answer as deltas, then usage', async () => {
      sim.addRule({ match: 'tapir', text: 'const tapir = 1;\nexport { tapir };\n', times: 1 });
      const r = await collect(provider, user('add tapir'));
      assert.equal(r.text, 'const tapir = 1;\nexport { tapir };\n');
      assert.ok(r.deltas > 1);
      assert.equal(r.usage?.type === 'usage' && r.usage.completionTokens > 0, true);
    });

    it('a wrong key is a 401 and makes the tier unavailable, with what to check', async () => {
      const bad = make(sim, 'wrong');
      await assert.rejects(collect(bad, user('x')), (err) => err instanceof APIError && err.status === 401);
      assert.equal(bad.status?.().state, 'unavailable');
      assert.match(bad.status?.().help ?? '', /FLINT_API_KEY/);
      assert.match(describeUpstreamError(await collect(bad, user('x')).catch((e) => e)).message, /API key/);
      await bad.close?.();
    });

    it('a 429 carries retry-after, which the caller honours', async () => {
      sim.addRule({ match: 'busy-now', fault: { type: 'status', status: 429, retryAfter: 2 }, times: 1 });
      const err = await collect(provider, user('busy-now')).catch((e) => e);
      assert.ok(err instanceof APIError && err.status === 429, String(err));
      assert.equal(retryDelayMs(err, 0), 2000);
      // and the next turn on the same provider works
      sim.addRule({ match: 'after-429', text: 'ok', times: 1 });
      assert.equal((await collect(provider, user('after-429'))).text, 'ok');
    });

    it('a 500 is a readable error, and the next turn works', async () => {
      sim.addRule({ match: 'boom', fault: { type: 'status', status: 500 }, times: 1 });
      const err = await collect(provider, user('boom')).catch((e) => e);
      assert.ok(err instanceof APIError && err.status === 500, String(err));
      assert.match(describeUpstreamError(err).message, /HTTP 500/);
      sim.addRule({ match: 'after-500', text: 'fine', times: 1 });
      assert.equal((await collect(provider, user('after-500'))).text, 'fine');
    });

    it('a connection dropped mid-stream fails after the text already received, and the next turn reconnects', async () => {
      sim.addRule({ match: 'dropme', text: 'one two six ten red tan', fault: { type: 'drop', afterTokens: 3 }, times: 1 });
      const seen: string[] = [];
      const err = await (async () => {
        for await (const e of provider.stream({ messages: user('dropme') }, new AbortController().signal)) if (e.type === 'delta') seen.push(e.text);
      })().catch((e) => e);
      assert.ok(err instanceof Error, 'the stream must fail, not end quietly');
      assert.match(describeUpstreamError(err).message, /Lost the connection/);
      assert.equal(seen.join(''), 'one two six');
      sim.addRule({ match: 'after-drop', text: 'back', times: 1 });
      assert.equal((await collect(provider, user('after-drop'))).text, 'back');
    });

    it('a malformed chunk fails the stream', async () => {
      sim.addRule({ match: 'garbled', text: 'a b c d e f', fault: { type: 'malformed', afterTokens: 2 }, times: 1 });
      const err = await collect(provider, user('garbled')).catch((e) => e);
      assert.match(describeUpstreamError(err).message, /malformed/);
      sim.addRule({ match: 'after-garbled', text: 'clean', times: 1 });
      assert.equal((await collect(provider, user('after-garbled'))).text, 'clean');
    });

    it('a stall pauses the stream without losing text', async () => {
      sim.addRule({ match: 'nap', text: 'x y z w', fault: { type: 'stall', afterTokens: 2, ms: 50 }, times: 1 });
      assert.equal((await collect(provider, user('nap'))).text, 'x y z w');
    });

    it('aborting stops the stream upstream (the simulator counts the closed connection)', async () => {
      sim.addRule({ match: 'endless', tokens: 200_000, tokensPerSecond: 2000, times: 1 });
      const before = sim.stats().aborted;
      const ac = new AbortController();
      let got = 0;
      for await (const e of provider.stream({ messages: user('endless') }, ac.signal)) {
        if (e.type === 'delta' && ++got === 5) ac.abort(new Error('interrupted'));
      }
      await until(() => sim.stats().aborted === before + 1, 'the simulator to see the abort');
      assert.equal(sim.stats().active, 0);
    });

    it('warm() opens the upstream connection before the first prompt, and that prompt reuses it', async () => {
      const fresh = make(sim, 'key');
      const before = sim.stats();
      const warmed = fresh.warm!();
      if (kind === 'Chat Completions') {
        await warmed; // the warm-up's response has been read
        assert.equal(sim.stats().warmups, before.warmups + 1);
        // undici returns the socket to its pool a few ticks after the body is consumed.
        await new Promise((r) => setTimeout(r, 0));
      } else await until(() => sim.stats().wsConnections === before.wsConnections + 1, 'the warm-up socket');
      await until(() => fresh.status!().state === 'ready', 'ready');
      const opened = sim.stats();
      sim.addRule({ match: 'first-prompt', text: 'hi', times: 1 });
      assert.equal((await collect(fresh, user('first-prompt'))).text, 'hi');
      // No new connection for the first prompt: it went over the one the warm-up opened.
      assert.equal(sim.stats().connections, opened.connections);
      assert.equal(sim.stats().wsConnections, opened.wsConnections);
      await fresh.close?.();
    });
  });
}

describe('Chat Completions request fields', () => {
  let sim: SimServer;
  before(async () => {
    sim = await startSimServer({ tokensPerSecond: 20_000 });
  });
  after(() => sim.close());

  const params = { temperature: 0.2, frequency_penalty: 0.5, presence_penalty: 0.1, logit_bias: { '50256': -100 }, parallel_tool_calls: false };
  const lastBody = () => sim.requests().filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;

  it('leaves out the fields a tier rejects; the simulator receives a body without them', async () => {
    const p = createOpenAICompatibleProvider({
      name: 'cerebras-like', baseURL: `${sim.url}/v1`, model: 'm', params,
      unsupportedFields: ['frequency_penalty', 'presence_penalty', 'logit_bias', 'parallel_tool_calls'],
    });
    sim.addRule({ match: 'fields', text: 'ok', times: 1 });
    await collect(p, user('fields'));
    const body = lastBody();
    for (const f of ['frequency_penalty', 'presence_penalty', 'logit_bias', 'parallel_tool_calls']) assert.equal(f in body, false, `${f} was sent`);
    assert.equal(body.temperature, 0.2);
    assert.equal(body.stream, true);
    await p.close?.();
  });

  it('sends them to a tier that accepts them', async () => {
    const p = createOpenAICompatibleProvider({ name: 'openai-like', baseURL: `${sim.url}/v1`, model: 'm', params });
    sim.addRule({ match: 'accepts', text: 'ok', times: 1 });
    await collect(p, user('accepts'));
    assert.deepEqual(lastBody().logit_bias, { '50256': -100 });
    assert.equal(lastBody().frequency_penalty, 0.5);
    await p.close?.();
  });

  it('sends Predicted Outputs with the original file only when the tier is configured for it', async () => {
    const original = 'export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n';
    const on = createOpenAICompatibleProvider({ name: 'p', baseURL: `${sim.url}/v1`, model: 'm', prediction: true });
    const off = createOpenAICompatibleProvider({ name: 'p', baseURL: `${sim.url}/v1`, model: 'm' });
    sim.addRule({ match: 'predict', text: 'ok', times: 2 });
    for await (const _ of on.stream({ messages: user('predict'), original }, new AbortController().signal));
    assert.deepEqual(lastBody().prediction, { type: 'content', content: original });
    for await (const _ of off.stream({ messages: user('predict'), original }, new AbortController().signal));
    assert.equal('prediction' in lastBody(), false);
    await on.close?.();
    await off.close?.();
  });
});

describe('Responses WebSocket mode', () => {
  let sim: SimServer;
  before(async () => {
    sim = await startSimServer({ tokensPerSecond: 20_000 });
  });
  after(() => sim.close());
  const creates = () => sim.requests().filter((r) => r.transport === 'ws').map((r) => r.body);

  it('a follow-up turn sends only the new input plus previous_response_id, over the same socket', async () => {
    const p = createResponsesWsProvider({ name: 'ws', baseURL: `${sim.url}/v1`, model: 'm', maxAgeMs: 3_600_000 });
    const sockets = sim.stats().wsConnections;
    sim.addRule({ match: 'turn-one', text: 'first answer', times: 1 });
    const first = user('turn-one');
    assert.equal((await collect(p, first)).text, 'first answer');
    const followUp: ChatMessage[] = [...first, { role: 'assistant', content: 'first answer' }, { role: 'user', content: 'turn-two' }];
    sim.addRule({ match: 'turn-two', text: 'second answer', times: 1 });
    assert.equal((await collect(p, followUp)).text, 'second answer');
    const [a, b] = creates().slice(-2);
    assert.equal(a.type, 'response.create');
    assert.equal((a.input as unknown[]).length, 2);
    assert.equal('previous_response_id' in a, false);
    assert.equal('stream' in a, false);
    assert.deepEqual(b.input, [{ type: 'message', role: 'user', content: 'turn-two' }]);
    assert.match(String(b.previous_response_id), /^resp_/);
    assert.equal(sim.stats().wsConnections, sockets + 1);
    // An unrelated prompt sends everything again.
    sim.addRule({ match: 'unrelated', text: 'x', times: 1 });
    await collect(p, user('unrelated'));
    assert.equal('previous_response_id' in creates().at(-1)!, false);
    await p.close?.();
  });

  it('the socket is replaced once it reaches its maximum age, and the chain starts again with the whole input', async () => {
    const p = createResponsesWsProvider({ name: 'ws', baseURL: `${sim.url}/v1`, model: 'm', maxAgeMs: 1 });
    const sockets = sim.stats().wsConnections;
    sim.addRule({ match: 'aged-one', text: 'one', times: 1 });
    const first = user('aged-one');
    await collect(p, first);
    await new Promise((r) => setTimeout(r, 5)); // older than 1 ms, whatever the machine's speed
    sim.addRule({ match: 'aged-two', text: 'two', times: 1 });
    await collect(p, [...first, { role: 'assistant', content: 'one' }, { role: 'user', content: 'aged-two' }]);
    assert.equal(sim.stats().wsConnections, sockets + 2);
    assert.equal('previous_response_id' in creates().at(-1)!, false); // the old socket's chain is gone
    assert.equal((creates().at(-1)!.input as unknown[]).length, 4);
    await p.close?.();
  });

  it('the simulator enforces its own connection limit, and the provider recovers on a new socket', async () => {
    const limited = await startSimServer({ tokensPerSecond: 20_000, wsMaxAgeMs: 30 });
    const p = createResponsesWsProvider({ name: 'ws', baseURL: `${limited.url}/v1`, model: 'm', maxAgeMs: 3_600_000 });
    limited.addRule({ text: 'ok' });
    await collect(p, user('a'));
    await until(() => p.status!().state === 'ready' && limited.stats().wsConnections === 1, 'first socket');
    await new Promise((r) => setTimeout(r, 60)); // the simulator closes the socket at 30 ms
    assert.equal((await collect(p, user('b'))).text, 'ok');
    assert.equal(limited.stats().wsConnections, 2);
    await p.close?.();
    await limited.close();
  });

  it('turns sent at once run one after the other on the one socket', async () => {
    const p = createResponsesWsProvider({ name: 'ws', baseURL: `${sim.url}/v1`, model: 'm', maxAgeMs: 3_600_000 });
    const sockets = sim.stats().wsConnections;
    sim.addRule({ match: 'para-a', text: 'alpha', times: 1 });
    sim.addRule({ match: 'para-b', text: 'beta', times: 1 });
    const [a, b] = await Promise.all([collect(p, user('para-a')), collect(p, user('para-b'))]);
    assert.deepEqual([a.text, b.text], ['alpha', 'beta']);
    assert.equal(sim.stats().wsConnections, sockets + 1);
    await p.close?.();
  });

  it('an unknown previous_response_id is answered with previous_response_not_found', async () => {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/v1/responses`);
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<Record<string, unknown>>((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    ws.send(JSON.stringify({ type: 'response.create', model: 'm', input: 'x', previous_response_id: 'resp_nope' }));
    const e = await reply;
    assert.equal(e.type, 'error');
    assert.equal((e.error as { code: string }).code, 'previous_response_not_found');
    ws.close();
  });
});
