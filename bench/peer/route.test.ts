import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimServer, type SimServer } from '../../server/sim/sim-server';
import { createPeerRoute } from './route';
import { PEER_API, startPeerServer, type PeerServer } from './server';

/** The benchmark's peer harness: a real AI SDK stream from its route, and its page served beside it. */
describe('peer harness (bench/peer)', () => {
  let sim: SimServer;
  let peer: PeerServer;
  before(async () => {
    sim = await startSimServer({ tokensPerSecond: 50_000 });
    peer = await startPeerServer({ upstreamUrl: `${sim.url}/v1` });
  });
  after(async () => {
    await peer?.close();
    await sim?.close();
  });

  const uiText = async (res: Response) =>
    (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { type: string; delta?: string })
      .filter((e) => e.type === 'text-delta')
      .map((e) => e.delta)
      .join('');

  it('the route streams the upstream answer as UI-message SSE, and answers the no-op at once', async () => {
    const route = createPeerRoute({ upstreamUrl: `${sim.url}/v1` });
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      route(new Request('http://peer/api', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
    assert.equal((await post({}, { 'x-bench-noop': '1' })).status, 204);
    sim.addRule({ match: 'peer-route', text: 'const answer = 42;\n', times: 1 });
    const res = await post({ messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'peer-route' }] }] });
    assert.equal(res.status, 200);
    assert.equal(await uiText(res), 'const answer = 42;\n');
  });

  it('its server serves the page, its bundle with the AI SDK and Monaco worker, and the route over HTTP', async () => {
    const page = await fetch(peer.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/peer.js">/);
    const js = await (await fetch(`${peer.url}/peer.js`)).text();
    assert.ok(js.includes('ai-sdk/'), 'the page bundle carries the AI SDK');
    assert.equal((await fetch(`${peer.url}/monaco-editor/editor/editor.worker`)).status, 200);
    assert.equal((await fetch(`${peer.url}/nothing-here.js`)).status, 404);
    sim.addRule({ match: 'peer-http', text: 'let x = 1;\n', times: 1 });
    const res = await fetch(`${peer.url}${PEER_API}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'peer-http' }] }] }),
    });
    assert.equal(await uiText(res), 'let x = 1;\n');
  });
});
