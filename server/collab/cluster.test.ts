import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import { readThread } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { CART_THREE_HUNKS, scriptedResponse } from '@/lib/seed/scripted-edits';
import { EditingClient, linesIn, closeClients, helloClient, joinedClient, nextEvent, request } from '@/test/support/protocol-client';
import { Storage } from '../storage/storage';
import { tempDataDir } from '@/test/support/data-dir';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';
import { connectRedis, type RedisConnection } from './redis';
import { redisServerBinary, startRedis } from '../../test/support/redis';
import { serviceSkip } from '../../test/support/services';

const bin = redisServerBinary();
const skip = serviceSkip('the two-node tests', !!bin, 'redis-server (apt-get install redis-server, or set REDIS_SERVER)');

/**
 * Two Flint servers, each with its own socket.io server, SessionStore (its own Y.Doc per
 * session) and AI controller, joined by one real redis-server (Redis Streams adapter) and
 * sharing one database — as N processes share PostgreSQL. They run in this test process so
 * they can share one PGlite; between them there is only Redis.
 */
describe('two Flint nodes with Redis', { skip }, () => {
  let redis: { url: string; stop(): Promise<void> };
  let storage: Storage;
  let dir: string;
  const nodes: TestServer[] = [];
  const conns: RedisConnection[] = [];

  before(async () => {
    redis = await startRedis(bin!);
    dir = await tempDataDir();
    storage = await Storage.open({ dataDir: dir });
    for (let i = 0; i < 2; i++) {
      const conn = await connectRedis(redis.url, () => {});
      conns.push(conn);
      nodes.push(await startTestServer({ store: { storage }, redis: conn, limits: { promptsPerMinute: 10_000 } }));
    }
    // Each adapter counts the other once it is subscribed (PUBSUB NUMSUB).
    await waitFor(async () => (await nodes[0].app.io.of('/').adapter.serverCount()) === 2, 'both nodes to see each other', 10_000);
  });
  after(async () => {
    closeClients();
    for (const n of nodes) await n.close();
    for (const c of conns) await c.close();
    await storage?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('clients on different nodes edit one file at once and converge, on both nodes', async () => {
    const [n1, n2] = nodes;
    const a = await joinedClient(n1.url);
    const b = await joinedClient(n2.url, a.sessionId);
    const c = await joinedClient(n2.url, a.sessionId);
    const clients = [new EditingClient(a.socket, a.state, 'a'), new EditingClient(b.socket, b.state, 'b'), new EditingClient(c.socket, c.state, 'c')];
    for (let round = 0; round < 20; round++) for (const cl of clients) void cl.edit();
    await Promise.all(clients.map((cl) => cl.settled()));
    const text1 = () => readFile(n1.app.sessions.loaded(a.sessionId)!.doc, 'src/cart.ts');
    const text2 = () => readFile(n2.app.sessions.loaded(a.sessionId)!.doc, 'src/cart.ts');
    await waitFor(() => text1() === text2() && clients.every((cl) => cl.text() === text1()), 'clients and both nodes to converge', 10_000);
    const present = linesIn(text1()!);
    for (const cl of clients) for (const line of cl.acked) assert.ok(present.has(line), `${line} is in the document`);
    // Each node stored what its own clients sent, once: the database has all of it.
    const fromDisk = (await storage.docs.load(a.sessionId))!;
    const doc = new Y.Doc();
    if (fromDisk.snapshot) Y.applyUpdate(doc, fromDisk.snapshot);
    for (const u of fromDisk.updates) Y.applyUpdate(doc, u);
    assert.equal(readFile(doc, 'src/cart.ts'), text1());
  });

  it('a node that loads a session late catches up on edits the other node has not stored yet', async () => {
    // A third node whose appends wait until released: its clients' edits are applied and
    // broadcast at once, but not in the database when the second node loads the session.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gated = Object.create(storage) as Storage;
    Object.defineProperty(gated, 'docs', { value: { ...storage.docs, append: async (id: string, u: Uint8Array) => (await gate, storage.docs.append(id, u)) } });
    const conn = await connectRedis(redis.url, () => {});
    conns.push(conn);
    const n3 = await startTestServer({ store: { storage: gated }, redis: conn });
    nodes.push(n3);
    await waitFor(async () => (await nodes[1].app.io.of('/').adapter.serverCount()) === 3, 'the third node to join', 10_000);

    const a = await joinedClient(n3.url);
    const editor = new EditingClient(a.socket, a.state, 'early');
    const edits = Array.from({ length: 10 }, () => editor.edit());
    try {
      await waitFor(() => linesIn(readFile(n3.app.sessions.loaded(a.sessionId)!.doc, 'src/cart.ts')!).has('early:9'), 'the edits to reach the third node');
      const b = await joinedClient(nodes[1].url, a.sessionId);
      const late = new EditingClient(b.socket, b.state, 'late');
      await waitFor(() => late.text() === editor.text(), 'the late joiner to have every edit', 10_000);
    } finally {
      release();
    }
    assert.equal((await Promise.all(edits)).length, 10, 'and once stored, every edit is acknowledged');
  });

  it('presence crosses nodes: someone joining on the other node sees who is here on this one', async () => {
    const [n1, n2] = nodes;
    const a = await joinedClient(n1.url);
    // C, already on the other node, proves A's broadcast has passed through Redis before B joins.
    const c = await joinedClient(n2.url, a.sessionId);
    const cSees = new Awareness(new Y.Doc());
    cSees.setLocalState(null);
    c.socket.on('awareness:update', (u) => applyAwarenessUpdate(cSees, new Uint8Array(u), 'server'));
    // A's presence, as the browser's awareness would send it.
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 1);
    encoding.writeVarUint(enc, 4242);
    encoding.writeVarUint(enc, 1);
    encoding.writeVarString(enc, JSON.stringify({ user: { name: 'Ada', color: '#ff8800' }, file: 'src/cart.ts' }));
    assert.ok((await request(a.socket, 'awareness:update', encoding.toUint8Array(enc))).ok);
    await waitFor(() => cSees.getStates().has(4242), 'the broadcast to reach the other node', 10_000);

    const b = await helloClient(n2.url);
    const seen = new Awareness(new Y.Doc());
    seen.setLocalState(null);
    b.on('awareness:update', (u) => applyAwarenessUpdate(seen, new Uint8Array(u), 'server'));
    assert.ok((await request(b, 'session:join', { sessionId: a.sessionId })).ok);
    await waitFor(() => (seen.getStates().get(4242) as { user?: { name: string } } | undefined)?.user?.name === 'Ada', 'B to see A, who is on the other node', 10_000);
    seen.destroy();
    cSees.destroy();
  });

  it('a prompt on one node streams to clients on the other, and its hunks reach their document', async () => {
    const [n1, n2] = nodes;
    n1.sim.addRule({ match: 'three changes', text: scriptedResponse(CART_THREE_HUNKS), times: 1 });
    const a = await joinedClient(n1.url);
    const b = await joinedClient(n2.url, a.sessionId);
    const peer = new Y.Doc();
    Y.applyUpdate(peer, b.state);
    b.socket.on('doc:update', (u) => Y.applyUpdate(peer, new Uint8Array(u)));
    const deltas: string[] = [];
    b.socket.on('ai:delta', (d) => deltas.push(d.text));
    const started = nextEvent(b.socket, 'ai:start');
    const ended = nextEvent(b.socket, 'ai:end');
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'three changes please', path: 'src/cart.ts' });
    assert.ok(r.ok);
    const [start] = await started;
    assert.equal(start.streamId, r.data.streamId);
    const [end] = await ended;
    assert.equal(end.status, 'done');
    assert.equal(deltas.join(''), scriptedResponse(CART_THREE_HUNKS), 'the other node\'s client saw the whole stream');
    await waitFor(() => readThread(peer)[0]?.status === 'done', 'the turn to reach the other node\'s client');
    assert.equal(readThread(peer)[0].hunks.length, 3);
    // The other node's own Y.Doc gets the same updates a moment later (doc:peer-update follows
    // the room broadcast in the stream).
    await waitFor(() => readThread(n2.app.sessions.loaded(a.sessionId)!.doc)[0]?.hunks.length === 3, 'the other node\'s own document to have the hunks');
  });

  it('Stop pressed on the other node interrupts the stream; an unknown stream is streamNotFound', async () => {
    const [n1, n2] = nodes;
    n1.sim.addRule({ match: 'long answer', tokens: 100_000, tokensPerSecond: 200, times: 1 });
    const a = await joinedClient(n1.url);
    const b = await joinedClient(n2.url, a.sessionId);
    const delta = nextEvent(b.socket, 'ai:delta');
    const ended = nextEvent(b.socket, 'ai:end');
    const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: 'long answer', path: 'src/cart.ts' });
    assert.ok(r.ok);
    await delta;
    const stop = await request(b.socket, 'ai:interrupt', { streamId: r.data.streamId });
    assert.deepEqual(stop, { ok: true, data: { streamId: r.data.streamId } });
    const [end] = await ended;
    assert.equal(end.status, 'interrupted');
    const unknown = await request(b.socket, 'ai:interrupt', { streamId: 'no-such-stream' });
    assert.equal(unknown.ok, false);
    if (!unknown.ok) assert.equal(unknown.error.code, 'streamNotFound');
  });
});
