import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/test-server';
import { closeClients, connectClient, helloClient, joinedClient, newIdentity, request, requestWithin } from '../support/protocol-client';
import { startFlintProcess, type FlintProcess } from '../support/flint-process';

/**
 * The attack suite's socket and HTTP half (the browser half is e2e/security.spec.ts): each attack
 * against a real server over real sockets on loopback, refused, and the legitimate flow beside it
 * still working. What it covers and does not: SECURITY.md.
 */
let server: TestServer | undefined;
let flint: FlintProcess | undefined;
afterEach(async () => {
  closeClients();
  await server?.close();
  server = undefined;
  await flint?.stop();
  flint = undefined;
});

/** Connects as a browser page at `origin` would, with the person's cookie; the handshake's outcome. */
async function handshake(url: string, origin: string | undefined): Promise<'connected' | 'refused'> {
  try {
    await connectClient(url, { origin });
    return 'connected';
  } catch {
    return 'refused';
  }
}

describe('cross-site WebSocket hijacking', () => {
  it('a page of another origin, carrying the cookie, cannot open the socket; the IDE’s own origin can', async () => {
    server = await startTestServer();
    const self = server.url; // http://127.0.0.1:<port>
    const otherPort = self.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + 1}`);
    for (const evil of ['http://evil.example', otherPort, 'http://localhost.evil.example', 'null', 'file://']) {
      assert.equal(await handshake(self, evil), 'refused', evil);
    }
    assert.equal(await handshake(self, self), 'connected');
    // The refused ones never reached hello: no session was touched, and the metric counts them.
    const refused = await server.app.metrics.refusedHandshakes.get();
    const total = refused.values.reduce((n, v) => n + v.value, 0);
    assert.equal(total, 5);
    assert.deepEqual(new Set(refused.values.map((v) => v.labels.reason)), new Set(['cross-origin', 'opaque', 'scheme']));
  });

  it('with FLINT_APP_ORIGINS and FLINT_SANDBOX_ORIGIN: only the app origins, never the sandbox', async () => {
    server = await startTestServer({ origins: { appOrigins: ['https://flint.example.com'], sandboxOrigin: 'https://sandbox.example.net' } });
    assert.equal(await handshake(server.url, 'https://sandbox.example.net'), 'refused');
    assert.equal(await handshake(server.url, server.url), 'refused', 'the Host no longer decides once origins are configured');
    assert.equal(await handshake(server.url, 'https://flint.example.com'), 'connected');
    const socket = await helloClient(server.url, { origin: 'https://flint.example.com' });
    assert.equal((await request(socket, 'session:create', {})).ok, true);
  });
});

describe('creation floods', () => {
  it('10,000 session:create in a burst from one client: the first 30 succeed, the rest are refused with a clear error', async () => {
    server = await startTestServer({ limits: { createsPerMinute: 30 } });
    const socket = await helloClient(server.url);
    // A burst this size takes a while on a loaded machine: the answers' own limit, not the default 5 s.
    const answers = await Promise.all(Array.from({ length: 10_000 }, () => requestWithin<{ sessionId: string }>(120_000, socket, 'session:create', {})));
    const ok = answers.filter((a) => a.ok);
    assert.equal(ok.length, 30);
    const refused = answers.filter((a) => !a.ok);
    assert.equal(refused.length, 9_970);
    for (const r of refused.slice(0, 3)) {
      assert.equal(!r.ok && r.error.code, 'rateLimited');
      assert.match(!r.ok ? r.error.message : '', /30 a minute per person \(FLINT_CREATES_PER_MINUTE\)\. Try again in \d+ s/);
    }
    // Nothing was lost: the sessions that were created are there, and the connection still works.
    const first = ok[0];
    assert.ok(first.ok);
    assert.equal((await request(socket, 'session:join', { sessionId: first.data.sessionId })).ok, true);
  });

  it('new identities from one address do not get around it: the address allows four times as many', async () => {
    server = await startTestServer({ limits: { createsPerMinute: 5 } });
    let ok = 0;
    for (let i = 0; i < 10; i++) {
      const socket = await helloClient(server.url, { identity: newIdentity() });
      for (let j = 0; j < 5; j++) if ((await request(socket, 'session:create', {})).ok) ok++;
    }
    assert.equal(ok, 20);
  });

  it('share links: an owner regenerating a link in a loop is limited the same way', async () => {
    server = await startTestServer({ limits: { createsPerMinute: 10 } });
    const { socket } = await joinedClient(server.url);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => request(socket, 'link:create', { role: i % 2 ? 'viewer' : 'editor' })));
    assert.equal(answers.filter((a) => a.ok).length, 10);
    assert.ok(answers.every((a) => a.ok || a.error.code === 'rateLimited'));
  });
});

describe('/metrics', () => {
  it('is not on the public port; it is on its own loopback listener', async () => {
    flint = await startFlintProcess({});
    assert.equal((await fetch(`${flint.url}/metrics`)).status, 404);
    assert.match(flint.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.notEqual(new URL(flint.metricsUrl).port, new URL(flint.url).port);
    const res = await fetch(flint.metricsUrl);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^flint_streams_active /m);
  });
});
