import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import { CLIENT_EVENTS, LIMITS, PROTOCOL_VERSION, type ClientEventName, type ErrorCode, type Response } from '@/lib/protocol';
import { readFile } from '@/lib/collab/workspace-doc';
import { EVENT_ROLE } from './auth/access';
import { hashToken } from './auth/capability';
import { MemoryLinkStore } from './sessions/links';
import { closeClients, helloClient, joinedClient, newIdentity, nextEvent, request, type TestClient } from '@/test/support/protocol-client';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { waitFor } from '@/test/support/wait';

let server: TestServer;
// Every test client shares 127.0.0.1: the guessing limit has its own server below.
const LINK_FAILURES = 10_000;
before(async () => {
  server = await startTestServer({ limits: { promptsPerMinute: 10_000, linkFailures: LINK_FAILURES, linkFailureWindowSeconds: 600 } });
});
after(async () => {
  closeClients();
  await server.close();
});
const awarenesses: Awareness[] = [];
afterEach(() => {
  server.sim.clearRules();
  closeClients();
  for (const a of awarenesses.splice(0)) a.destroy();
});

function assertError(r: Response<unknown>, code: ErrorCode) {
  assert.equal(r.ok, false, `expected ${code}, got ${JSON.stringify(r).slice(0, 200)}`);
  if (!r.ok) assert.equal(r.error.code, code, `expected ${code}, got ${r.error.code}: ${r.error.message}`);
}

async function createLink(owner: TestClient, role: 'editor' | 'viewer'): Promise<string> {
  const r = await request<{ token: string; role: string }>(owner, 'link:create', { role });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.data.role, role);
  return r.data.token;
}

/** A session owned by a fresh person, with an edit and a view link. */
async function sharedSession() {
  const ownerIdentity = newIdentity();
  const owner = await joinedClient(server.url, undefined, { identity: ownerIdentity });
  const editToken = await createLink(owner.socket, 'editor');
  const viewToken = await createLink(owner.socket, 'viewer');
  return { owner, ownerIdentity, sessionId: owner.sessionId, editToken, viewToken };
}

function join(socket: TestClient, sessionId: string, token?: string) {
  return request<{ role: string; pid: string }>(socket, 'session:join', token === undefined ? { sessionId } : { sessionId, token });
}

const docOf = (sessionId: string) => server.app.sessions.loaded(sessionId)!.doc;

describe('identity and ownership', () => {
  it('the creator owns the session: recognised on a new connection by the identity cookie alone', async () => {
    const identity = newIdentity();
    const a = await joinedClient(server.url, undefined, { identity });
    assert.equal(a.role, 'owner');
    assert.equal(server.app.sessions.loaded(a.sessionId)!.ownerId, identity);
    const again = await joinedClient(server.url, a.sessionId, { identity });
    assert.equal(again.role, 'owner');
  });

  it('someone else opening the bare session id is refused with linkRequired, with or without a cookie', async () => {
    const { sessionId } = await sharedSession();
    assertError(await join(await helloClient(server.url, { identity: newIdentity() }), sessionId), 'linkRequired');
    assertError(await join(await helloClient(server.url, { identity: null }), sessionId), 'linkRequired');
  });

  it('the public id in the join answer is not the identity', async () => {
    const identity = newIdentity();
    const socket = await helloClient(server.url, { identity });
    const created = await request<{ sessionId: string }>(socket, 'session:create', {});
    assert.ok(created.ok);
    const r = await join(socket, created.data.sessionId);
    assert.ok(r.ok);
    assert.notEqual(r.data.pid, identity);
    assert.ok(!identity.includes(r.data.pid) && r.data.pid.length >= 16);
  });
});

describe('share links', () => {
  it('tokens carry at least 128 random bits and are stored only as their SHA-256 hash', async () => {
    const links = new MemoryLinkStore();
    const local = await startTestServer({ links });
    try {
      const owner = await joinedClient(local.url);
      const tokens = [await createLink(owner.socket, 'editor'), await createLink(owner.socket, 'viewer')];
      for (const t of tokens) {
        assert.match(t, /^[A-Za-z0-9_-]+$/);
        assert.ok(Buffer.from(t, 'base64url').byteLength * 8 >= 128, `${t} has fewer than 128 bits`);
      }
      assert.notEqual(tokens[0], tokens[1]);
      assert.deepEqual(links.hashes().sort(), tokens.map(hashToken).sort());
      for (const h of links.hashes()) for (const t of tokens) assert.ok(!h.includes(t));
    } finally {
      await local.close();
    }
  });

  it('each link joins with its role', async () => {
    const { owner, sessionId, editToken, viewToken } = await sharedSession();
    const editor = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: editToken });
    assert.equal(editor.role, 'editor');
    const viewer = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: viewToken });
    assert.equal(viewer.role, 'viewer');
    // The owner stays the owner whatever link they open.
    const again = await join(owner.socket, sessionId, viewToken);
    assert.ok(again.ok);
    assert.equal(again.data.role, 'owner');
  });

  it('refuses forged, malformed and other sessions\' tokens with linkInvalid', async () => {
    const { sessionId } = await sharedSession();
    const other = await sharedSession();
    const guest = await helloClient(server.url, { identity: newIdentity() });
    assertError(await join(guest, sessionId, Buffer.alloc(32, 7).toString('base64url')), 'linkInvalid');
    assertError(await join(guest, sessionId, 'not a token!'), 'linkInvalid');
    assertError(await join(guest, sessionId, other.editToken), 'linkInvalid');
  });

  it('a revoked link is refused, and whoever joined with it leaves the session; a regenerated link replaces the old one', async () => {
    const { owner, sessionId, editToken, viewToken } = await sharedSession();
    const viewer = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: viewToken });
    const closed = nextEvent(viewer.socket, 'session:closed');
    assert.ok((await request(owner.socket, 'link:revoke', { role: 'viewer' })).ok);
    const [reason] = await closed;
    assert.equal(reason.code, 'linkInvalid');
    assertError(await request(viewer.socket, 'awareness:update', new Uint8Array([0])), 'notJoined');
    assertError(await join(await helloClient(server.url, { identity: newIdentity() }), sessionId, viewToken), 'linkInvalid');

    const fresh = await createLink(owner.socket, 'editor');
    assertError(await join(await helloClient(server.url, { identity: newIdentity() }), sessionId, editToken), 'linkInvalid');
    assert.equal((await joinedClient(server.url, sessionId, { identity: newIdentity(), token: fresh })).role, 'editor');
  });

  it('only the owner creates and revokes links', async () => {
    const { sessionId, editToken } = await sharedSession();
    const editor = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: editToken });
    assertError(await request(editor.socket, 'link:create', { role: 'viewer' }), 'forbidden');
    assertError(await request(editor.socket, 'link:revoke', { role: 'editor' }), 'forbidden');
  });

  it('rate-limits guessing per IP address: past the limit even a valid token is refused', async () => {
    const limited = await startTestServer({ limits: { linkFailures: 3 } });
    try {
      const owner = await joinedClient(limited.url, undefined, { identity: newIdentity() });
      const token = await createLink(owner.socket, 'editor');
      const guesser = await helloClient(limited.url, { identity: newIdentity() });
      for (let i = 0; i < 3; i++) assertError(await join(guesser, owner.sessionId, Buffer.alloc(32, i).toString('base64url')), 'linkInvalid');
      assertError(await join(guesser, owner.sessionId, Buffer.alloc(32, 9).toString('base64url')), 'rateLimited');
      assertError(await join(guesser, owner.sessionId, token), 'rateLimited');
      // The owner needs no token and is not locked out.
      const again = await join(owner.socket, owner.sessionId);
      assert.ok(again.ok);
      assert.equal(again.data.role, 'owner');
    } finally {
      await limited.close();
    }
  });
});

/** A valid payload for every event: each mutating one must be refused to a viewer. */
function validPayloads(doc: Y.Doc): Record<ClientEventName, unknown> {
  const edit = new Y.Doc();
  Y.applyUpdate(edit, Y.encodeStateAsUpdate(doc));
  const before = Y.encodeStateVector(edit);
  edit.getMap<Y.Text>('files').get('src/cart.ts')!.insert(0, '// viewer was here\n');
  const aw = new Awareness(new Y.Doc());
  aw.setLocalState({ user: { name: 'V', color: '#112233' } });
  const awareness = encodeAwarenessUpdate(aw, [aw.clientID]);
  aw.destroy();
  return {
    'session:hello': { protocolVersion: PROTOCOL_VERSION },
    'session:create': {},
    'session:join': {},
    'awareness:update': awareness,
    'doc:update': Y.encodeStateAsUpdate(edit, before),
    'file:create': { path: 'src/viewer.ts', content: 'x' },
    'file:rename': { from: 'src/cart.ts', to: 'src/cart2.ts' },
    'file:delete': { path: 'src/cart.ts' },
    'ai:prompt': { prompt: 'viewer prompt', path: 'src/cart.ts' },
    'ai:interrupt': { streamId: 'x' },
    'ai:retry': { turnId: 'x' },
    'ai:report': { streamId: 'x', browserTtftMs: 1 },
    'tests:result': { runId: 'r1', status: 'done', scope: { kind: 'all' }, files: [] },
    'link:create': { role: 'editor' },
    'link:revoke': { role: 'editor' },
    'hunk:claim': { hunkIds: ['x:0'] },
    'project:import': { name: 'x', zip: new Uint8Array([1, 2, 3]) },
    'project:clone': { url: 'http://169.254.169.254/x.git' },
    'project:template': { template: 'ts-library' },
    'blob:get': { sha256: '0'.repeat(64) },
    'project:push': { branch: 'flint/x', token: 't' },
    'agent:start': { prompt: 'viewer agent', path: 'src/cart.ts' },
    'agent:stop': { agentId: 'x' },
    'agent:result': { agentId: 'x', round: 1, report: { runId: 'r1', status: 'done', scope: { kind: 'all' }, files: [] } },
    'agent:open': { agentId: 'x' },
    'packages:install': {},
  };
}

describe('roles on every event', () => {
  it('the role table covers every event, and only presence, reading binaries and resolving packages are open to viewers once joined', () => {
    assert.deepEqual(Object.keys(EVENT_ROLE).sort(), [...CLIENT_EVENTS].sort());
    const viewerOk = CLIENT_EVENTS.filter((e) => EVENT_ROLE[e] === 'viewer' || EVENT_ROLE[e] === 'none');
    // project:import|clone|template create a new session of the sender's own, like session:create.
    assert.deepEqual(viewerOk.sort(), ['awareness:update', 'blob:get', 'packages:install', 'project:clone', 'project:import', 'project:template', 'session:create', 'session:hello', 'session:join']);
  });

  const mutating = CLIENT_EVENTS.filter((e) => EVENT_ROLE[e] === 'editor' || EVENT_ROLE[e] === 'owner');
  for (const event of mutating) {
    it(`a viewer's ${event} is refused with forbidden and changes nothing`, async () => {
      const { sessionId, viewToken, owner } = await sharedSession();
      const viewer = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: viewToken });
      const doc = docOf(sessionId);
      const before = Y.encodeStateVector(doc);
      const cart = readFile(doc, 'src/cart.ts');
      let forwarded = false;
      owner.socket.on('tests:result', () => (forwarded = true));
      const requests = server.sim.stats().requests;
      const r = await request(viewer.socket, event, validPayloads(doc)[event]);
      assertError(r, 'forbidden');
      assert.deepEqual(Y.encodeStateVector(doc), before, 'the document is unchanged');
      assert.equal(readFile(doc, 'src/cart.ts'), cart);
      assert.equal(server.sim.stats().requests, requests, 'nothing went to the tier');
      // The same payload from an editor is allowed (or fails for its own reason, never forbidden).
      const editor = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: await createLink(owner.socket, 'editor') });
      const allowed = await request(editor.socket, event, validPayloads(doc)[event]);
      if (EVENT_ROLE[event] === 'editor') assert.ok(allowed.ok || allowed.error.code !== 'forbidden', JSON.stringify(allowed));
      else assertError(allowed, 'forbidden');
      assert.equal(forwarded, event === 'tests:result' && allowed.ok);
    });
  }

  it('a viewer sent without an acknowledgement gets forbidden as protocol:error, and no prompt reaches the tier', async () => {
    const { sessionId, viewToken } = await sharedSession();
    const viewer = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: viewToken });
    const requests = server.sim.stats().requests;
    const err = nextEvent(viewer.socket, 'protocol:error');
    (viewer.socket as unknown as { emit(e: string, p: unknown): void }).emit('ai:prompt', { prompt: 'sneaky', path: 'src/cart.ts' });
    const [e] = await err;
    assert.equal(e.code, 'forbidden');
    assert.equal(server.sim.stats().requests, requests);
  });
});

describe('presence', () => {
  function awarenessUpdate(clientId: number, clock: number, state: unknown): Uint8Array {
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 1);
    encoding.writeVarUint(enc, clientId);
    encoding.writeVarUint(enc, clock);
    encoding.writeVarString(enc, JSON.stringify(state));
    return encoding.toUint8Array(enc);
  }

  /** A client's view of everyone's presence, fed by the server. */
  function watchPresence(socket: TestClient): Awareness {
    const aw = new Awareness(new Y.Doc());
    awarenesses.push(aw);
    aw.setLocalState(null);
    socket.on('awareness:update', (u) => applyAwarenessUpdate(aw, new Uint8Array(u), 'server'));
    return aw;
  }

  it('relays presence with the server\'s role and public id, shows it to late joiners, and removes it on disconnect', async () => {
    const { owner, sessionId, viewToken } = await sharedSession();
    const ownerView = watchPresence(owner.socket);
    const viewer = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: viewToken });
    // The viewer claims to be the owner: the server says otherwise.
    assert.ok((await request(viewer.socket, 'awareness:update', awarenessUpdate(1234, 1, { user: { name: 'Vi', color: '#00ff00', role: 'owner', pid: 'forged' }, file: 'src/cart.ts', viewport: { top: 3 } }))).ok);
    await waitFor(() => ownerView.getStates().has(1234), 'the owner to see the viewer');
    const seen = ownerView.getStates().get(1234) as { user: { name: string; role: string; pid: string }; file: string };
    assert.equal(seen.user.role, 'viewer');
    assert.notEqual(seen.user.pid, 'forged');
    assert.equal(seen.user.name, 'Vi');
    assert.equal(seen.file, 'src/cart.ts');

    const late = await helloClient(server.url, { identity: newIdentity() });
    const lateView = watchPresence(late);
    assert.ok((await join(late, sessionId, viewToken)).ok);
    await waitFor(() => lateView.getStates().has(1234), 'a late joiner to get the presence snapshot');

    viewer.socket.disconnect();
    await waitFor(() => !ownerView.getStates().has(1234) && !lateView.getStates().has(1234), 'the presence to be removed on disconnect');
  });

  it('refuses malformed, oversized and foreign presence with typed errors', async () => {
    const { sessionId, editToken } = await sharedSession();
    const a = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: editToken });
    const b = await joinedClient(server.url, sessionId, { identity: newIdentity(), token: editToken });
    assertError(await request(a.socket, 'awareness:update', new Uint8Array([1, 2, 3, 250, 250])), 'badRequest');
    assertError(await request(a.socket, 'awareness:update', awarenessUpdate(5, 1, { user: { name: 'x'.repeat(LIMITS.maxDisplayNameChars + 1), color: '#000000' } })), 'badRequest');
    assertError(await request(a.socket, 'awareness:update', awarenessUpdate(5, 1, { user: { name: 'ok', color: 'red' } })), 'badRequest');
    assertError(await request(a.socket, 'awareness:update', awarenessUpdate(5, 1, { user: { name: 'ok', color: '#000000' }, script: 1 })), 'badRequest');
    assertError(await request(a.socket, 'awareness:update', new Uint8Array(LIMITS.maxAwarenessBytes + 1)), 'payloadTooLarge');
    assert.ok((await request(a.socket, 'awareness:update', awarenessUpdate(77, 1, { user: { name: 'A', color: '#000000' } }))).ok);
    assertError(await request(b.socket, 'awareness:update', awarenessUpdate(77, 2, { user: { name: 'B', color: '#000000' } })), 'forbidden');
    assert.equal((server.app.presence.states(sessionId).get(77) as { user: { name: string } }).user.name, 'A');
  });
});
