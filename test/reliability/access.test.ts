import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { strToU8, zipSync } from 'fflate';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { CLIENT_EVENT_SCHEMAS, CLIENT_EVENTS, PROTOCOL_VERSION, type ClientEventName, type ErrorCode, type Response } from '@/lib/protocol';
import { readThread } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { EVENT_ROLE } from '@/server/auth/access';
import { hashToken } from '@/server/auth/capability';
import { MemoryLinkStore } from '@/server/sessions/links';
import { SessionStore } from '@/server/sessions/session-store';
import { helloClient, joinedClient, newIdentity, nextEvent, request, type TestClient } from '../support/protocol-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait';
import { FULL } from './profile';
import { recordFigures } from './report';

/**
 * Who may act on a session, for every client event of the protocol (the list comes from
 * CLIENT_EVENT_SCHEMAS, so a new event is covered as soon as it gets a payload below — the
 * compiler asks for one). Each outsider sends a valid payload for the event and is refused with
 * its typed error, and nothing in the target session changes: document, thread, links, members,
 * presence, the stream it runs, what its owner receives.
 *
 * Share-link tokens carrying ≥ 256 random bits and stored only hashed: server/sharing.test.ts
 * ("tokens carry at least 128 random bits…"). Session ids: below.
 */

const links = new MemoryLinkStore();
let server: TestServer;
before(async () => {
  // Every client here is 127.0.0.1: the guessing limit is tested on its own server below.
  server = await startTestServer({ links, limits: { promptsPerMinute: 1_000_000, linkFailures: 1_000_000 } });
});
after(async () => {
  await server.close();
});

function assertError(r: Response<unknown>, code: ErrorCode, what: string) {
  assert.equal(r.ok, false, `${what}: expected ${code}, got ${JSON.stringify(r).slice(0, 200)}`);
  if (!r.ok) assert.equal(r.error.code, code, `${what}: expected ${code}, got ${r.error.code}: ${r.error.message}`);
}

async function createLink(owner: TestClient, role: 'editor' | 'viewer'): Promise<string> {
  const r = await request<{ token: string }>(owner, 'link:create', { role });
  assert.ok(r.ok, JSON.stringify(r));
  return r.data.token;
}

/** A forged token: the right length and alphabet, random. */
const forgedToken = () => randomBytes(32).toString('base64url');

// ---------------------------------------------------------------------------------------------
// The target: a session with both links, someone viewing it, and a turn streaming.

interface Target {
  sessionId: string;
  owner: TestClient;
  viewToken: string;
  /** The turn streaming in it all along (prose only: the document changes only at its end). */
  streamId: string;
  /** What the owner received, except the running stream's deltas and tier status (global). */
  received: string[];
}

let target: Target;
const STREAM_MARKER = 'access-matrix-stream';

async function startTarget(): Promise<Target> {
  const owner = await joinedClient(server.url, undefined, { identity: newIdentity() });
  await createLink(owner.socket, 'editor');
  const viewToken = await createLink(owner.socket, 'viewer');
  const received: string[] = [];
  owner.socket.onAny((event: string) => {
    if (event !== 'ai:delta' && event !== 'tier:state') received.push(event);
  });
  server.sim.addRule({ match: STREAM_MARKER, text: 'thinking '.repeat(50_000), tokensPerSecond: 50 });
  const started = nextEvent(owner.socket, 'ai:delta');
  const r = await request<{ streamId: string }>(owner.socket, 'ai:prompt', { prompt: `think ${STREAM_MARKER}`, path: 'src/cart.ts' });
  assert.ok(r.ok, JSON.stringify(r));
  await started;
  received.length = 0;
  return { sessionId: owner.sessionId, owner: owner.socket, viewToken, streamId: r.data.streamId, received };
}

/** Everything an outsider could change in the target session. */
async function snapshot(t: Target) {
  const doc = server.app.sessions.loaded(t.sessionId)!.doc;
  const hashes: string[] = [];
  for (const h of links.hashes()) if ((await links.find(h))?.sessionId === t.sessionId) hashes.push(`${h}:${(await links.find(h))!.role}`);
  return {
    state: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'),
    thread: JSON.stringify(readThread(doc)),
    cart: readFile(doc, 'src/cart.ts'),
    links: hashes.sort(),
    presence: [...server.app.presence.states(t.sessionId).keys()].sort(),
    members: (await server.app.io.in(t.sessionId).fetchSockets()).map((s) => s.id).sort(),
    received: [...t.received],
  };
}

// ---------------------------------------------------------------------------------------------
// A valid payload for every event. Record<ClientEventName, …>: a new event does not compile
// until it has one here, and the matrix below covers it.

const INJECTED = 'src/injected.ts';

function payloadFor(t: Target, heldToken: string | undefined): Record<ClientEventName, unknown> {
  // A self-contained Yjs update (it depends on nothing), so it would apply to any session.
  const edit = new Y.Doc();
  edit.getMap<Y.Text>('files').set(INJECTED, new Y.Text('// injected\n'));
  const update = Y.encodeStateAsUpdate(edit);
  edit.destroy();
  const aw = new Awareness(new Y.Doc());
  aw.setLocalState({ user: { name: 'Mallory', color: '#112233' }, file: 'src/cart.ts' });
  const awareness = encodeAwarenessUpdate(aw, [aw.clientID]);
  aw.destroy();
  return {
    'session:hello': { protocolVersion: PROTOCOL_VERSION },
    'session:create': {},
    'session:join': heldToken === undefined ? { sessionId: t.sessionId } : { sessionId: t.sessionId, token: heldToken },
    'doc:update': update,
    'file:create': { path: INJECTED, content: '// injected\n' },
    'file:rename': { from: 'src/cart.ts', to: 'src/renamed.ts' },
    'file:delete': { path: 'src/cart.ts' },
    // sendNow: would stop the target's running turn if it were let through.
    'ai:prompt': { prompt: 'injected prompt', path: 'src/cart.ts', sendNow: true },
    'ai:interrupt': { streamId: t.streamId },
    // would start a turn in the target's session
    'ai:retry': { turnId: t.streamId },
    'ai:report': { streamId: t.streamId, browserTtftMs: 1 },
    'tests:result': { runId: 'injected', status: 'done', scope: { kind: 'all' }, files: [] },
    'awareness:update': awareness,
    'link:create': { role: 'editor' },
    'link:revoke': { role: 'viewer' },
    // The target's first hunk, by the id it will have (its turn's id and index).
    'hunk:claim': { hunkIds: [`${t.streamId}:0`] },
    'project:import': { name: 'x', zip: zipSync({ 'a.txt': strToU8('a\n') }) },
    'project:clone': { url: 'http://169.254.169.254/x.git' },
    'project:template': { template: 'ts-library' },
    'blob:get': { sha256: '0'.repeat(64) },
    'project:push': { branch: 'flint/x', token: 't' },
    // would start agents on (and so read) the target's files
    'agent:start': { prompt: 'injected agent', path: 'src/cart.ts', attempts: 8 },
    'agent:stop': { agentId: t.streamId },
    'agent:result': { agentId: t.streamId, round: 1, report: { runId: 'injected', status: 'done', scope: { kind: 'all' }, files: [] } },
    'agent:open': { agentId: t.streamId },
    'packages:install': {},
  };
}

// ---------------------------------------------------------------------------------------------
// The outsiders.

interface Outsider {
  socket: TestClient;
  /** The token it holds for the target (revoked, forged, another session's), if any. */
  token?: string;
  /** Its own session, when it is joined to one. */
  ownSession?: string;
}

type Kind = 'viewer' | 'revoked while joined' | 'replaced while joined' | 'revoked token' | 'forged token' | 'another session’s token' | 'joined to another session';

async function refusedJoin(socket: TestClient, t: Target, token: string) {
  assertError(await request(socket, 'session:join', { sessionId: t.sessionId, token }), 'linkInvalid', 'joining the target');
}

const OUTSIDERS: Record<Kind, (t: Target) => Promise<Outsider>> = {
  viewer: async (t) => ({ socket: (await joinedClient(server.url, t.sessionId, { identity: newIdentity(), token: t.viewToken })).socket, token: t.viewToken }),
  'revoked while joined': async (t) => {
    const token = await createLink(t.owner, 'editor');
    const { socket } = await joinedClient(server.url, t.sessionId, { identity: newIdentity(), token });
    const closed = nextEvent(socket, 'session:closed');
    assert.ok((await request(t.owner, 'link:revoke', { role: 'editor' })).ok);
    assert.equal((await closed)[0].code, 'linkInvalid');
    return { socket, token };
  },
  // Regenerating a link replaces it: whoever joined with the old one is out, as with a revoke.
  'replaced while joined': async (t) => {
    const token = await createLink(t.owner, 'editor');
    const { socket } = await joinedClient(server.url, t.sessionId, { identity: newIdentity(), token });
    const closed = nextEvent(socket, 'session:closed');
    await createLink(t.owner, 'editor');
    assert.equal((await closed)[0].code, 'linkInvalid');
    return { socket, token };
  },
  'revoked token': async (t) => {
    const token = await createLink(t.owner, 'editor');
    assert.ok((await request(t.owner, 'link:revoke', { role: 'editor' })).ok);
    const socket = await helloClient(server.url, { identity: newIdentity() });
    await refusedJoin(socket, t, token);
    return { socket, token };
  },
  'forged token': async (t) => {
    const token = forgedToken();
    const socket = await helloClient(server.url, { identity: newIdentity() });
    await refusedJoin(socket, t, token);
    return { socket, token };
  },
  'another session’s token': async (t) => {
    const other = await joinedClient(server.url, undefined, { identity: newIdentity() });
    const token = await createLink(other.socket, 'editor');
    const socket = await helloClient(server.url, { identity: newIdentity() });
    await refusedJoin(socket, t, token);
    return { socket, token };
  },
  // The owner of its own session: everything it sends acts on that session, never the target.
  'joined to another session': async () => {
    const own = await joinedClient(server.url, undefined, { identity: newIdentity() });
    return { socket: own.socket, ownSession: own.sessionId };
  },
};

/** What `kind` sending `event` gets: a refusal, or (for events that never reach the target) success. */
function expected(kind: Kind, event: ClientEventName): ErrorCode | 'ok' {
  if (kind === 'viewer') return 'forbidden';
  if (event === 'session:hello' || event === 'session:create') return 'ok';
  // Each makes a new session of the sender's own, like session:create; the clone's address is refused before any connection.
  if (event === 'project:import' || event === 'project:template') return 'ok';
  if (event === 'project:clone') return 'addressRefused';
  if (kind === 'joined to another session') {
    if (event === 'session:join') return 'linkRequired';
    if (event === 'ai:interrupt') return 'streamNotFound'; // the target's stream, named by its id
    if (event === 'ai:retry') return 'streamNotFound'; // the target's turn, named by its id
    if (event === 'hunk:claim') return 'hunkNotFound'; // the target's hunk, named by its id
    if (event === 'blob:get') return 'blobNotFound'; // its own session names no such blob
    if (event === 'project:push') return 'badRequest'; // its own session was not cloned from git
    // The target's agent, named by its id: not an agent of its own session.
    if (event === 'agent:stop' || event === 'agent:result' || event === 'agent:open') return 'agentNotFound';
    if (event === 'packages:install') return 'packageInvalid'; // this test server resolves no packages
    return 'ok'; // acts on its own session (checked below)
  }
  if (event === 'session:join') return 'linkInvalid';
  return 'notJoined';
}

const KINDS = Object.keys(OUTSIDERS) as Kind[];
/** The viewer is in the session: only what a viewer may not do is an attack. */
const eventsFor = (kind: Kind) => (kind === 'viewer' ? CLIENT_EVENTS.filter((e) => EVENT_ROLE[e] === 'editor' || EVENT_ROLE[e] === 'owner') : CLIENT_EVENTS);

describe('access: every event, every outsider', () => {
  before(async () => {
    target = await startTarget();
  });
  after(async () => {
    // The target's turn streamed through every attempt; its owner stops it now.
    const end = nextEvent(target.owner, 'ai:end');
    assert.ok((await request(target.owner, 'ai:interrupt', { streamId: target.streamId })).ok, 'the target’s stream is still running');
    assert.equal((await end)[0].status, 'interrupted');
    target.owner.disconnect();
    server.sim.clearRules();
  });

  it('every payload below is valid for its event', () => {
    const payloads = payloadFor({ sessionId: 'A'.repeat(22), streamId: 's', owner: null!, viewToken: '', received: [] }, forgedToken());
    for (const e of CLIENT_EVENTS) {
      const parsed = CLIENT_EVENT_SCHEMAS[e].safeParse(payloads[e]);
      assert.ok(parsed.success, `${e}: ${parsed.success ? '' : parsed.error.message}`);
    }
  });

  for (const kind of KINDS) {
    describe(kind, () => {
      for (const event of eventsFor(kind)) {
        const want = expected(kind, event);
        it(`${event}: ${want === 'ok' ? 'acts only outside the target' : want}; the target is unchanged`, async () => {
          const outsider = await OUTSIDERS[kind](target);
          try {
            const before = await snapshot(target);
            const ownEnd = kind === 'joined to another session' && event === 'ai:prompt' ? nextEvent(outsider.socket, 'ai:end') : null;
            const r = await request<{ sessionId?: string }>(outsider.socket, event, payloadFor(target, outsider.token)[event]);
            if (want === 'ok') assert.ok(r.ok, `${kind} ${event}: ${JSON.stringify(r)}`);
            else assertError(r, want, `${kind} ${event}`);
            if (event === 'session:create' && r.ok) assert.notEqual(r.data.sessionId, target.sessionId);
            if (ownEnd) await ownEnd; // its turn ran in its own session, to the end
            // Its events went to its own session.
            if (outsider.ownSession && (event === 'doc:update' || event === 'file:create')) {
              assert.equal(readFile(server.app.sessions.loaded(outsider.ownSession)!.doc, INJECTED), '// injected\n');
            }
            if (outsider.ownSession && event === 'file:delete') assert.equal(readFile(server.app.sessions.loaded(outsider.ownSession)!.doc, 'src/cart.ts'), undefined);
            // A barrier: the owner's own round trip, after anything the attempt could have sent it.
            assert.ok((await request(target.owner, 'session:hello', { protocolVersion: PROTOCOL_VERSION })).ok);
            assert.deepEqual(await snapshot(target), before, `${kind} ${event} changed the target session`);
          } finally {
            outsider.socket.disconnect();
          }
        });
      }
    });
  }
});

describe('no payload names another session', () => {
  it('only session:join carries a session id; an extra sessionId anywhere else is refused (badRequest)', async () => {
    const withId = CLIENT_EVENTS.filter((e) => {
      const shape = (CLIENT_EVENT_SCHEMAS[e] as { shape?: Record<string, unknown> }).shape;
      return shape !== undefined && Object.keys(shape).some((k) => /session/i.test(k));
    });
    assert.deepEqual(withId, ['session:join']);

    const victim = await joinedClient(server.url, undefined, { identity: newIdentity() });
    const mine = await joinedClient(server.url, undefined, { identity: newIdentity() });
    const t: Target = { sessionId: victim.sessionId, owner: victim.socket, viewToken: '', streamId: 'none', received: [] };
    const payloads = payloadFor(t, undefined);
    const doc = server.app.sessions.loaded(victim.sessionId)!.doc;
    const before = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
    let tried = 0;
    for (const e of CLIENT_EVENTS) {
      const p = payloads[e];
      if (e === 'session:join' || p instanceof Uint8Array) continue; // binary updates carry no ids
      for (const key of ['sessionId', 'session', 'sid']) {
        assertError(await request(mine.socket, e, { ...(p as object), [key]: victim.sessionId }), 'badRequest', `${e} with ${key}`);
        tried++;
      }
    }
    assert.ok(tried >= 3 * 10, `tried ${tried}`);
    assert.equal(Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'), before);
    victim.socket.disconnect();
    mine.socket.disconnect();
  });
});

describe('guessing tokens is rate-limited wherever a token is taken', () => {
  // session:join is the only entry point that takes a token: the page /s/<id>?t= does not read
  // it on the server (e2e/access.spec.ts shows the page is the same for any token), the browser
  // sends it with session:join.
  it('every kind of wrong token counts, across sessions and connections; past the limit even a valid token is refused, the owner never', async () => {
    const LIMIT = 6;
    const limited = await startTestServer({ limits: { linkFailures: LIMIT } });
    try {
      const a = await joinedClient(limited.url, undefined, { identity: newIdentity() });
      const b = await joinedClient(limited.url, undefined, { identity: newIdentity() });
      const aEdit = await createLink(a.socket, 'editor');
      const revoked = await createLink(a.socket, 'viewer');
      assert.ok((await request(a.socket, 'link:revoke', { role: 'viewer' })).ok);
      const replaced = await createLink(b.socket, 'viewer');
      const bView = await createLink(b.socket, 'viewer');
      const join = (s: TestClient, sessionId: string, token?: string) => request(s, 'session:join', token === undefined ? { sessionId } : { sessionId, token });

      // No token is not a guess: never counted (bare links are how owners come back).
      const bare = await helloClient(limited.url, { identity: newIdentity() });
      for (let i = 0; i < LIMIT + 2; i++) assertError(await join(bare, a.sessionId), 'linkRequired', 'bare join');

      const wrong: Array<[string, string]> = [
        [a.sessionId, forgedToken()],
        [a.sessionId, revoked],
        [b.sessionId, replaced],
        [a.sessionId, bView], // another session's token
        [b.sessionId, 'not-a-token'], // malformed
        [b.sessionId, forgedToken()],
      ];
      assert.equal(wrong.length, LIMIT);
      for (const [i, [sessionId, token]] of wrong.entries()) {
        const s = await helloClient(limited.url, { identity: newIdentity() }); // a new connection each time
        assertError(await join(s, sessionId, token), 'linkInvalid', `wrong token ${i}`);
      }
      const late = await helloClient(limited.url, { identity: newIdentity() });
      assertError(await join(late, a.sessionId, forgedToken()), 'rateLimited', 'past the limit');
      assertError(await join(late, a.sessionId, aEdit), 'rateLimited', 'a valid token past the limit');
      assertError(await join(late, b.sessionId, bView), 'rateLimited', 'another session past the limit');
      const cookieless = await helloClient(limited.url, { identity: null });
      assertError(await join(cookieless, a.sessionId, aEdit), 'rateLimited', 'no cookie past the limit');
      // The owners need no token and are not locked out.
      assert.ok((await join(a.socket, a.sessionId)).ok);
      assert.ok((await join(b.socket, b.sessionId)).ok);
    } finally {
      await limited.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Session ids reveal nothing: 128 random bits, base64url; not sequential, not time- or owner-derived.

const ID_COUNT = Number(process.env.FLINT_SESSION_IDS || (FULL ? 20_000 : 2_000));
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Pearson's chi-square of `counts` against a uniform distribution over `cells` cells. */
function chiSquare(counts: Map<string, number>, cells: number, n: number): number {
  const e = n / cells;
  let x = 0;
  for (let i = 0; i < cells; i++) x += ((counts.get(ALPHABET[i]) ?? 0) - e) ** 2 / e;
  return x;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

function bitsDiffering(a: string, b: string): number {
  const x = Buffer.from(a, 'base64url');
  const y = Buffer.from(b, 'base64url');
  let n = 0;
  for (let i = 0; i < x.length; i++) for (let v = x[i] ^ y[i]; v; v &= v - 1) n++;
  return n;
}

describe('session ids reveal nothing', () => {
  it(`${ID_COUNT} ids from session:create, one owner, in bursts: 128 random bits each, unique, uniformly spread, no shared prefixes`, async () => {
    const owner = await helloClient(server.url, { identity: newIdentity() });
    const ids: string[] = [];
    const started = performance.now();
    while (ids.length < ID_COUNT) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, ID_COUNT - ids.length) }, () => request<{ sessionId: string }>(owner, 'session:create', {})),
      );
      for (const r of batch) {
        assert.ok(r.ok, JSON.stringify(r));
        ids.push(r.data.sessionId);
      }
    }
    const ms = performance.now() - started;
    owner.disconnect();

    for (const id of ids) {
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(Buffer.from(id, 'base64url').byteLength, 16);
      assert.equal(Buffer.from(id, 'base64url').toString('base64url'), id, `${id} is canonical base64url`);
    }
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');

    // 22 characters carry 128 bits: the first 21 are 6 random bits each, the last 2 (A, Q, g or w).
    // Per position, chi-square over the 64 symbols (63 degrees of freedom: mean 63, sd ≈ 11.2); the
    // bound, mean + 12 sd, is crossed by chance with probability < 1e-15. A counter or a clock
    // in any position puts its chi-square in the thousands.
    const bound = 63 + 12 * Math.sqrt(2 * 63);
    let worst = 0;
    for (let pos = 0; pos < 21; pos++) {
      const counts = new Map<string, number>();
      for (const id of ids) counts.set(id[pos], (counts.get(id[pos]) ?? 0) + 1);
      const x = chiSquare(counts, 64, ids.length);
      worst = Math.max(worst, x);
      assert.ok(x < bound, `position ${pos}: chi-square ${x.toFixed(1)} ≥ ${bound.toFixed(1)}: not uniform`);
    }
    const last = new Map<string, number>();
    for (const id of ids) last.set(id[21], (last.get(id[21]) ?? 0) + 1);
    assert.deepEqual([...last.keys()].sort(), ['A', 'Q', 'g', 'w'], 'the last character carries 2 random bits');

    // Consecutive ids (created in that order, often in the same millisecond) share no prefix:
    // 5 equal leading characters by chance: about 1 in 10^9 per pair.
    let longest = 0;
    for (let i = 1; i < ids.length; i++) longest = Math.max(longest, commonPrefix(ids[i - 1], ids[i]));
    assert.ok(longest < 5, `two consecutive ids share ${longest} leading characters`);
    // Across all ids, the longest shared prefix is what chance gives (sorted neighbours):
    // for n ids, about log64(n²/2); +3 characters is a bound chance crosses < 1 in 10^5.
    const sorted = [...ids].sort();
    let longestAny = 0;
    for (let i = 1; i < sorted.length; i++) longestAny = Math.max(longestAny, commonPrefix(sorted[i - 1], sorted[i]));
    const chance = Math.log(ids.length ** 2 / 2) / Math.log(64);
    assert.ok(longestAny < chance + 3, `ids share ${longestAny} leading characters; chance gives about ${chance.toFixed(1)}`);
    recordFigures('access: session ids', { ids: ids.length, worstChiSquare: Number(worst.toFixed(1)), chiSquareBound: Number(bound.toFixed(1)), longestSharedPrefix: longestAny, createsPerSecond: Math.round(ids.length / (ms / 1000)) });
  });

  it('two sessions of one owner created in the same millisecond share nothing', async () => {
    const store = new SessionStore({ log: () => {} });
    const owner = newIdentity();
    mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
    try {
      const distances: number[] = [];
      for (let i = 0; i < 200; i++) {
        const [a, b] = await Promise.all([store.create(undefined, owner), store.create(undefined, owner)]);
        assert.equal(a.createdAt, b.createdAt, 'the same millisecond');
        assert.notEqual(a.id, b.id);
        assert.ok(commonPrefix(a.id, b.id) < 5, `${a.id} and ${b.id} share a prefix`);
        for (const id of [a.id, b.id]) assert.ok(!id.includes(owner.slice(0, 6)), `${id} contains the owner's identity`);
        distances.push(bitsDiffering(a.id, b.id));
      }
      // Independent random ids differ in about 64 of 128 bits (sd ≈ 5.7): each pair within
      // 64 ± 40, the mean of 200 pairs within 64 ± 4 (10 sd).
      for (const d of distances) assert.ok(d > 24 && d < 104, `two ids differ in ${d} bits`);
      const mean = distances.reduce((s, d) => s + d, 0) / distances.length;
      assert.ok(Math.abs(mean - 64) < 4, `ids differ in ${mean.toFixed(1)} bits on average`);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('an unknown session and one you may not open', () => {
  // The page /s/<id> is the same HTML for both (e2e/access.spec.ts). Over the socket a stranger
  // gets sessionNotFound for an id that was never created and linkRequired / linkInvalid for one
  // that exists: this tells whether an id exists, and nothing else. Kept on purpose: ids are 128
  // random bits and sessions are never deleted, so the only ids whose existence can be asked
  // about are ones the asker already holds (it never changes); and a mistyped URL deserves
  // "does not exist" rather than "ask the owner". What must not differ is anything about the
  // session itself — checked here.
  it('a stranger learns nothing of an existing session beyond its existence, with any token', async () => {
    const owner = await joinedClient(server.url, undefined, { identity: newIdentity() });
    await createLink(owner.socket, 'editor');
    const stranger = await helloClient(server.url, { identity: newIdentity() });
    const unknown = randomBytes(16).toString('base64url');
    const answers: Response<unknown>[] = [];
    for (const token of [undefined, forgedToken(), 'x']) {
      for (const sessionId of [owner.sessionId, unknown]) {
        answers.push(await request(stranger, 'session:join', token === undefined ? { sessionId } : { sessionId, token }));
      }
    }
    for (const r of answers) {
      assert.equal(r.ok, false);
      if (r.ok) continue;
      assert.ok(['sessionNotFound', 'linkRequired', 'linkInvalid'].includes(r.error.code), r.error.code);
      assert.deepEqual(Object.keys(r.error).filter((k) => !['code', 'message', 'event'].includes(k)), []);
      // The fixed message of its code: no owner, no file, no size, no id.
      assert.ok(!r.error.message.includes(owner.sessionId) && !r.error.message.includes('cart'), r.error.message);
    }
    owner.socket.disconnect();
    stranger.disconnect();
  });
});

describe('a replaced link closes the session for whoever joined with it', () => {
  // Regression: link:create replaced the role's link but left its holders in the session, so a
  // regenerated link kept an editor in with full rights — though the share menu promises
  // "Regenerate or revoke to end access".
  it('the holder of the old link gets session:closed and can no longer edit; holders of the other role stay', async () => {
    const owner = await joinedClient(server.url, undefined, { identity: newIdentity() });
    const oldEdit = await createLink(owner.socket, 'editor');
    const view = await createLink(owner.socket, 'viewer');
    const editor = await joinedClient(server.url, owner.sessionId, { identity: newIdentity(), token: oldEdit });
    const viewer = await joinedClient(server.url, owner.sessionId, { identity: newIdentity(), token: view });
    let viewerClosed = false;
    viewer.socket.on('session:closed', () => (viewerClosed = true));
    const closed = nextEvent(editor.socket, 'session:closed');
    const fresh = await createLink(owner.socket, 'editor');
    assert.equal((await closed)[0].code, 'linkInvalid');
    assertError(await request(editor.socket, 'file:create', { path: 'src/after.ts' }), 'notJoined', 'the old editor');
    assertError(await request(editor.socket, 'session:join', { sessionId: owner.sessionId, token: oldEdit }), 'linkInvalid', 'the old link');
    assert.equal(readFile(server.app.sessions.loaded(owner.sessionId)!.doc, 'src/after.ts'), undefined);
    // The viewer's link was not replaced; the new edit link works.
    assert.ok((await request(viewer.socket, 'awareness:update', payloadFor({ sessionId: owner.sessionId, owner: owner.socket, viewToken: view, streamId: 'x', received: [] }, undefined)['awareness:update'])).ok);
    assert.equal(viewerClosed, false);
    const again = await joinedClient(server.url, owner.sessionId, { identity: newIdentity(), token: fresh });
    assert.equal(again.role, 'editor');
    await waitFor(async () => (await server.app.io.in(owner.sessionId).fetchSockets()).length === 3, 'owner, viewer and the new editor in the room');
    for (const s of [owner.socket, editor.socket, viewer.socket, again.socket]) s.disconnect();
  });
});
