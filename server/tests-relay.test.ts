import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestsResultPayload } from '@/lib/protocol';
import { closeClients, helloClient, joinedClient, request } from '@/test/support/protocol-client';
import { type TestServer, startTestServer } from '@/test/support/test-server';

/** `tests:result`: a participant's test run reaches everyone else in the session, validated. */
const report: TestsResultPayload = {
  runId: 'run-1',
  status: 'done',
  scope: { kind: 'all' },
  durationMs: 42,
  files: [
    {
      path: 'src/cart.test.ts',
      tests: [{ id: '0', name: ['Cart', 'total'], status: 'failed', durationMs: 3, error: { message: 'expected 6 to be 7', location: { path: 'src/cart.test.ts', line: 7, column: 4 } } }],
      errors: [],
      console: [{ level: 'log', text: 'hi', testId: '0' }],
      consoleDropped: 0,
    },
  ],
};

describe('tests:result relay', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());
  afterEach(() => closeClients());

  it('forwards a valid report to the other participants of the session only', async () => {
    const a = await joinedClient(server.url);
    const b = await joinedClient(server.url, a.sessionId);
    const stranger = await joinedClient(server.url);
    const got: unknown[] = [];
    const strangerGot: unknown[] = [];
    const echoed: unknown[] = [];
    stranger.socket.on('tests:result', (r) => strangerGot.push(r));
    a.socket.on('tests:result', (r) => echoed.push(r));
    const received = new Promise((resolve) => b.socket.once('tests:result', resolve));
    b.socket.on('tests:result', (r) => got.push(r));
    const ack = await request(a.socket, 'tests:result', report);
    assert.deepEqual(ack, { ok: true, data: {} });
    assert.deepEqual(await received, report);
    // A round trip through the server on the stranger's socket: a broadcast to it would have arrived first.
    await request(stranger.socket, 'session:join', { sessionId: stranger.sessionId });
    assert.deepEqual(strangerGot, []);
    assert.deepEqual(echoed, []);
  });

  it('someone who joins later gets the session’s last finished run; a run in progress is not kept', async () => {
    const a = await joinedClient(server.url);
    assert.ok((await request(a.socket, 'tests:result', report)).ok);
    assert.ok((await request(a.socket, 'tests:result', { ...report, runId: 'run-2', status: 'running' })).ok);
    const late = await helloClient(server.url);
    const got = new Promise((resolve) => late.once('tests:result', resolve));
    assert.ok((await request(late, 'session:join', { sessionId: a.sessionId })).ok);
    assert.deepEqual(await got, report);
  });

  it('refuses a malformed or oversized report with a typed error', async () => {
    const a = await joinedClient(server.url);
    const bad = await request(a.socket, 'tests:result', { ...report, status: 'great' });
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, 'badRequest');
    const tooMany = { ...report, files: [{ ...report.files[0], tests: Array.from({ length: 1001 }, (_, i) => ({ ...report.files[0].tests[0], id: String(i) })) }] };
    const big = await request(a.socket, 'tests:result', tooMany);
    assert.equal(big.ok, false);
    assert.equal(!big.ok && big.error.code, 'payloadTooLarge');
    const escape = await request(a.socket, 'tests:result', { ...report, scope: { kind: 'file', path: '../etc/passwd' } });
    assert.equal(escape.ok, false);
  });

  it('requires a joined session', async () => {
    const socket = await helloClient(server.url);
    const r = await request(socket, 'tests:result', report);
    assert.equal(!r.ok && r.error.code, 'notJoined');
  });
});
