import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HunkClaimResult, TestsResultPayload } from '@/lib/protocol';
import { readThread } from '@/lib/collab/thread';
import { CART_THREE_HUNKS, scriptedResponse } from '@/lib/seed/scripted-edits';
import { closeClients, connectClient, helloClient, joinedClient, newIdentity, nextEvent, request } from '@/test/support/protocol-client';
import { tempDataDir } from '@/test/support/data-dir';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';
import { redisServerBinary, startRedis } from '@/test/support/redis';
import { serviceSkip } from '@/test/support/services';
import { Storage } from '../storage/storage';
import { connectRedis, type RedisConnection } from './redis';
import { MemorySharedLimits, RedisSharedLimits, type SharedLimits } from './shared-limits';

const bin = redisServerBinary();
const skip = serviceSkip('the shared-limit tests', !!bin, 'redis-server (apt-get install redis-server, or set REDIS_SERVER)');

/** The same contract, for this process's limits (a clock we move) and Redis's (its own clock, real time). */
function contract(name: string, make: () => { limits: SharedLimits; advance(ms: number): Promise<void> }, opts: { skip?: string | boolean } = {}) {
  describe(`${name}: leases and counted sets`, { skip: opts.skip }, () => {
    it('a lease has one holder until it is released or lapses; its holder renews it', async () => {
      const { limits, advance } = make();
      const key = `stream:${randomUUID()}`;
      assert.equal(await limits.lease(key, 'a', 300), true);
      assert.equal(await limits.lease(key, 'b', 300), false, 'held by a');
      assert.equal(await limits.holder(key), 'a');
      assert.equal(await limits.lease(key, 'a', 300), true, 'a renews its own');
      await limits.release(key, 'b');
      assert.equal(await limits.holder(key), 'a', 'b cannot release what a holds');
      await limits.release(key, 'a');
      assert.equal(await limits.lease(key, 'b', 300), true, 'free once released');
      await advance(400);
      assert.equal(await limits.holder(key), null, 'a holder that stopped renewing (a dead process) lapses');
      assert.equal(await limits.lease(key, 'a', 300), true);
    });

    it('a counted set admits up to max live members; members leave, or lapse unless kept alive', async () => {
      const { limits, advance } = make();
      const key = `conns:${randomUUID()}`;
      assert.equal(await limits.admit(key, 's1', 2, 300), true);
      assert.equal(await limits.admit(key, 's2', 2, 300), true);
      assert.equal(await limits.admit(key, 's3', 2, 300), false, 'full');
      await limits.leave(key, 's1');
      assert.equal(await limits.admit(key, 's3', 2, 300), true, 'a place was freed');
      await advance(200);
      await limits.keepAlive(key, ['s2'], 300);
      await advance(200);
      // s3 lapsed (300 ms without renewal), s2 was kept alive: one place free.
      assert.equal(await limits.admit(key, 's4', 2, 300), true);
      assert.equal(await limits.admit(key, 's5', 2, 300), false);
    });
  });
}

let clock = 0;
contract('in this process', () => {
  clock = 1_000_000;
  return { limits: new MemorySharedLimits(() => clock), advance: async (ms) => void (clock += ms) };
});

let redisForContract: { url: string; stop(): Promise<void> } | undefined;
let connForContract: RedisConnection | undefined;
describe('in Redis', { skip }, () => {
  before(async () => {
    redisForContract = await startRedis(bin!);
    connForContract = await connectRedis(redisForContract.url, () => {}, `t${randomUUID().slice(0, 8)}:`);
  });
  after(async () => {
    await connForContract?.close();
    await redisForContract?.stop();
  });
  contract('Redis', () => ({ limits: new RedisSharedLimits(connForContract!), advance: (ms) => sleep(ms) }));
});

const report: TestsResultPayload = {
  runId: 'run-1',
  status: 'done',
  scope: { kind: 'all' },
  durationMs: 42,
  files: [{ path: 'src/cart.test.ts', tests: [{ id: '0', name: ['Cart', 'total'], status: 'passed', durationMs: 3 }], errors: [], console: [], consoleDropped: 0 }],
};

/**
 * Two Flint nodes on one Redis and one database: every limit that was per process now holds for
 * both together (collab/shared-limits.ts).
 */
describe('limits across two nodes', { skip }, () => {
  let redis: { url: string; stop(): Promise<void> };
  let storage: Storage;
  let dir: string;
  const nodes: TestServer[] = [];
  const conns: RedisConnection[] = [];
  const limits = { promptsPerMinute: 3, createsPerMinute: 2, maxConnectionsPerIp: 6, linkFailures: 2 };

  const clearLimits = async () => {
    const keys = await conns[0].client.keys('flint:*');
    if (keys.length) await conns[0].client.del(keys);
  };

  before(async () => {
    redis = await startRedis(bin!);
    dir = await tempDataDir();
    storage = await Storage.open({ dataDir: dir });
    for (let i = 0; i < 2; i++) {
      const conn = await connectRedis(redis.url, () => {});
      conns.push(conn);
      nodes.push(await startTestServer({ store: { storage }, redis: conn, limits, tokensPerSecond: 200 }));
    }
    await waitFor(async () => (await nodes[0].app.io.of('/').adapter.serverCount()) === 2, 'both nodes to see each other', 10_000);
  });
  afterEach(async () => {
    closeClients();
    // Each test starts with no connections and no rate-limit history (the adapter's stream stays).
    await clearLimits();
  });
  after(async () => {
    for (const n of nodes) await n.close();
    for (const c of conns) await c.close();
    await storage?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connections per address count on both nodes; a closed one frees its place for the other node', async () => {
    const [n1, n2] = nodes;
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await connectClient(n1.url, { identity: newIdentity() }));
    for (let i = 0; i < 2; i++) await connectClient(n2.url, { identity: newIdentity() });
    const refused = await connectClient(n2.url, { identity: newIdentity() }).then(
      () => null,
      (err: Error & { data?: { code: string; message: string } }) => err.data,
    );
    assert.equal(refused?.code, 'limitExceeded');
    assert.match(refused!.message, /Flint allows 6 at once/);
    first[0].disconnect();
    await waitFor(async () => (await connectClient(n2.url, { identity: newIdentity() }).then(() => true, () => false)), 'a place to free up', 5_000);
  });

  it('sessions created on either node count against one limit per person', async () => {
    const [n1, n2] = nodes;
    const identity = newIdentity();
    const a = await helloClient(n1.url, { identity });
    const b = await helloClient(n2.url, { identity });
    assert.ok((await request(a, 'session:create', {})).ok);
    assert.ok((await request(b, 'session:create', {})).ok);
    const third = await request(a, 'session:create', {});
    assert.equal(!third.ok && third.error.code, 'rateLimited');
    const fourth = await request(b, 'session:create', {});
    assert.equal(!fourth.ok && fourth.error.code, 'rateLimited', 'the other node refuses it too');
  });

  it('wrong link tokens count against one limit per address across nodes', async () => {
    const [n1, n2] = nodes;
    const owner = await joinedClient(n1.url);
    const stranger1 = await helloClient(n1.url, { identity: newIdentity() });
    const stranger2 = await helloClient(n2.url, { identity: newIdentity() });
    const wrong = (s: typeof stranger1) => request(s, 'session:join', { sessionId: owner.sessionId, token: 'x'.repeat(43) });
    const codes = [];
    for (const s of [stranger1, stranger2, stranger2]) {
      const r = await wrong(s);
      codes.push(!r.ok && r.error.code);
    }
    assert.deepEqual(codes, ['linkInvalid', 'linkInvalid', 'rateLimited']);
  });

  it('prompts count against one limit across nodes', async () => {
    const [n1, n2] = nodes;
    for (const n of nodes) n.sim.addRule({ match: 'quick', text: 'Nothing to change.' });
    let accepted = 0;
    const codes: string[] = [];
    for (const n of [n1, n2, n1, n2]) {
      const c = await joinedClient(n.url, undefined, { identity: newIdentity() });
      const r = await request(c.socket, 'ai:prompt', { prompt: 'quick', path: 'src/cart.ts' });
      if (r.ok) {
        accepted++;
        // No ai:* event of a stream comes before its acknowledgement.
        await nextEvent(c.socket, 'ai:end');
      } else codes.push(r.error.code);
    }
    assert.equal(accepted, limits.promptsPerMinute);
    assert.deepEqual(codes, ['rateLimited']);
  });

  it('one stream per session: a prompt on the other node is busy; sendNow there interrupts it where it runs', async () => {
    const [n1, n2] = nodes;
    n1.sim.addRule({ match: 'slow', tokens: 5_000, times: 1 });
    n2.sim.addRule({ match: 'instead', text: scriptedResponse([CART_THREE_HUNKS[0]], 'Done instead.'), times: 1 });
    const a = await joinedClient(n1.url);
    const b = await joinedClient(n2.url, a.sessionId);
    const firstEnd = nextEvent(a.socket, 'ai:end');
    const first = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'slow', path: 'src/cart.ts' });
    assert.ok(first.ok);
    const busy = await request(b.socket, 'ai:prompt', { prompt: 'instead', path: 'src/cart.ts' });
    assert.equal(!busy.ok && busy.error.code, 'busy');
    assert.match(!busy.ok ? busy.error.message : '', /another Flint process/);
    // The document on node 2 shows the turn streaming (so sendNow knows which to stop).
    await waitFor(() => readThread(n2.app.sessions.loaded(a.sessionId)!.doc).some((t) => t.status === 'streaming'), 'node 2 to see the turn', 5_000);
    const now = await request<{ streamId: string }>(b.socket, 'ai:prompt', { prompt: 'instead', path: 'src/cart.ts', sendNow: true });
    assert.ok(now.ok, !now.ok ? now.error.message : '');
    const [end] = await firstEnd;
    assert.equal(end.streamId, first.data.streamId);
    assert.equal(end.status, 'interrupted');
    await waitFor(() => readThread(n1.app.sessions.loaded(a.sessionId)!.doc).find((t) => t.id === now.data.streamId)?.status === 'done', 'the new turn to finish', 10_000);
  });

  it('a pending hunk is granted to one of two people on two nodes asking at once', async () => {
    const [n1, n2] = nodes;
    n1.sim.addRule({ match: 'three changes', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
    const a = await joinedClient(n1.url);
    const b = await joinedClient(n2.url, a.sessionId);
    const ended = nextEvent(a.socket, 'ai:end');
    assert.ok((await request(a.socket, 'ai:prompt', { prompt: 'three changes', path: 'src/cart.ts' })).ok);
    await ended;
    const hunkId = readThread(n1.app.sessions.loaded(a.sessionId)!.doc)[0].hunks[0].id;
    await waitFor(() => (readThread(n2.app.sessions.loaded(a.sessionId)!.doc)[0]?.hunks.length ?? 0) === 3, 'node 2 to have the hunks', 5_000);
    for (let round = 0; round < 5; round++) {
      const [ra, rb] = await Promise.all([
        request<HunkClaimResult>(a.socket, 'hunk:claim', { hunkIds: [hunkId] }),
        request<HunkClaimResult>(b.socket, 'hunk:claim', { hunkIds: [hunkId] }),
      ]);
      assert.ok(ra.ok && rb.ok);
      const granted = [ra.data.granted, rb.data.granted].filter((g) => g.includes(hunkId));
      assert.equal(granted.length, 1, 'exactly one of them may decide it');
      // The holder leaves: its grant is given up at once, for the other node too.
      const holder = ra.data.granted.length ? a : b;
      const other = holder === a ? b : a;
      if (round === 4) {
        holder.socket.disconnect();
        await waitFor(async () => {
          const r = await request<HunkClaimResult>(other.socket, 'hunk:claim', { hunkIds: [hunkId] });
          return r.ok && r.data.granted.includes(hunkId);
        }, 'the grant to be given up', 3_000);
      }
    }
  });

  it('someone joining on the other node sees the last finished test run', async () => {
    const [n1, n2] = nodes;
    const a = await joinedClient(n1.url);
    assert.ok((await request(a.socket, 'tests:result', report)).ok);
    assert.ok((await request(a.socket, 'tests:result', { ...report, runId: 'run-2', status: 'running' })).ok);
    await waitFor(async () => (await storage.sessions.lastTestRun(a.sessionId)) !== null, 'the run to be stored', 5_000);
    const late = await helloClient(n2.url);
    const got = new Promise((resolve) => late.once('tests:result', resolve));
    assert.ok((await request(late, 'session:join', { sessionId: a.sessionId })).ok);
    assert.deepEqual(await got, report);
  });
});
