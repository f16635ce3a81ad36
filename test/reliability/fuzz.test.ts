import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { CLIENT_EVENTS, ErrorCode, LIMITS, PROTOCOL_VERSION, type ClientEventName } from '@/lib/protocol';
import { filesOf, listFiles } from '@/lib/collab/workspace-doc';
import { readThread } from '@/lib/collab/thread';
import { startFlintProcess, type FlintProcess } from '../support/flint-process';
import { connectInspector } from '../support/inspector-client';
import { EditingClient, linesIn, connectClient, joinedClient, newIdentity, request, type TestClient } from '../support/protocol-client';
import { tempDataDir } from '../support/data-dir';
import { waitFor } from '../support/wait';
import { SIZES, runSeed } from './profile';
import { int, pick, prng } from './random';
import { recordFigures } from './report';

/**
 * Protocol fuzz against a real Flint process (a child process, so the RSS measured is the
 * server's alone and a crash is a real exit): SIZES.fuzzMessages generated messages over every
 * client event — wrong types, missing and extra fields, huge strings and arrays, binary garbage
 * and corrupted Yjs / awareness updates, unknown events, events before hello or join, floods —
 * with and without acknowledgements, with 0, 1 or several arguments, from a handful of sockets.
 * Meanwhile a well-behaved pair edits its own session. Every answer must be a typed Response
 * with a known code and never `internal`; afterwards the server serves a fresh client, the pair
 * converged with every edit acknowledged, the fuzzed sessions' documents read the same for
 * observers, a fresh join and a restart from storage, and RSS grew far less than what was sent.
 * FLINT_SEED replays a run.
 */
const SEED = runSeed();
const N = SIZES.fuzzMessages;
const SLOTS = 3;
const WINDOW = 24;
const where = `(seed ${SEED}: FLINT_SEED=${SEED} replays it)`;

type Random = () => number;
const KNOWN_CODES = new Set<string>(ErrorCode.options);

/** A seeded pool that huge payloads are sliced from, so a 2 MB payload costs no PRNG time. */
function pools(random: Random) {
  const bytes = new Uint8Array(4 << 20);
  const view = new Uint32Array(bytes.buffer);
  for (let i = 0; i < view.length; i++) view[i] = (random() * 2 ** 32) >>> 0;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 \n\t{}()[];:"\'\\/<>=+-*&|!?.,ßéü中文😀\u0000\u2028\ud800';
  let s = '';
  while (s.length < 3_500_000) s += alphabet[int(random, 0, alphabet.length - 1)].repeat(int(random, 1, 40));
  return { bytes, text: s };
}

function str(random: Random, max = 40): string {
  const chars = 'aZ09_.-/@ \n\u00e9\u4e2d\ud83d\ude00\ud800\u0000"\\<>%$';
  let s = '';
  const n = int(random, 0, max);
  for (let i = 0; i < n; i++) s += chars[int(random, 0, chars.length - 1)];
  return s;
}

const HOSTILE_PATHS = ['../x', '/etc/passwd', 'a//b', '', 'a/./b', 'src/../../x', 'ünï/😀.ts', 'a'.repeat(300), 'x\u0000y', '.git/config', '__proto__', 'constructor', 'toString', 'src/cart.ts ', ' src/cart.ts', 'C:\\x', 'a/', '/'];

function path(random: Random): string {
  const r = random();
  if (r < 0.4) return pick(random, ['src/cart.ts', 'src/cart.test.ts', 'README.md', 'package.json']);
  if (r < 0.75) return `f${int(random, 0, 30)}/${pick(random, ['a', 'b', '.c', 'd@e', 'x-y_z'])}.ts`;
  return random() < 0.7 ? pick(random, HOSTILE_PATHS) : str(random, 30);
}

function sessionId(random: Random, known: string[]): string {
  const r = random();
  if (r < 0.5 && known.length) return pick(random, known);
  if (r < 0.8) return Buffer.from(Array.from({ length: 16 }, () => int(random, 0, 255))).toString('base64url');
  return str(random, 30);
}

function junk(random: Random, pool: ReturnType<typeof pools>, depth = 0): unknown {
  switch (int(random, 0, depth > 3 ? 7 : 11)) {
    case 0: return null;
    case 1: return int(random, -5, 5) * 10 ** int(random, 0, 308);
    case 2: return random() < 0.5;
    case 3: return str(random);
    case 4: return '';
    case 5: return -1;
    case 6: return 1.5;
    case 7: return pool.bytes.subarray(0, int(random, 0, 64));
    case 8: return Array.from({ length: int(random, 0, 5) }, () => junk(random, pool, depth + 1));
    case 9: return Object.fromEntries(Array.from({ length: int(random, 0, 4) }, () => [str(random, 8), junk(random, pool, depth + 1)]));
    case 10: return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}');
    default: {
      // Deep nesting.
      let v: unknown = 1;
      for (let i = 0; i < 300; i++) v = random() < 0.5 ? [v] : { a: v };
      return v;
    }
  }
}

/** A payload that is valid (or nearly) for `event`, from what the socket knows. */
function validish(event: ClientEventName, random: Random, ctx: { sessions: string[]; streams: string[]; tokens: string[] }): unknown {
  switch (event) {
    case 'session:hello': return { protocolVersion: PROTOCOL_VERSION };
    case 'session:create': return {};
    case 'session:join': return random() < 0.3 ? { sessionId: sessionId(random, ctx.sessions), token: random() < 0.5 && ctx.tokens.length ? pick(random, ctx.tokens) : str(random, 50) } : { sessionId: sessionId(random, ctx.sessions) };
    case 'file:create': return random() < 0.5 ? { path: path(random) } : { path: path(random), content: str(random, 200) };
    case 'file:rename': return { from: path(random), to: path(random) };
    case 'file:delete': return { path: path(random) };
    case 'ai:prompt': return { prompt: str(random, 100) || ' ', path: path(random), ...(random() < 0.3 ? { selection: { start: int(random, -2, 50), end: int(random, -2, 50) } } : {}), ...(random() < 0.3 ? { mode: pick(random, ['instant', 'deep', 'fast']) } : {}), ...(random() < 0.3 ? { mentions: Array.from({ length: int(random, 0, 40) }, () => path(random)) } : {}), ...(random() < 0.2 ? { sendNow: random() < 0.5 } : {}), ...(random() < 0.2 ? { instant: random() < 0.5 } : {}) };
    case 'ai:interrupt': return { streamId: ctx.streams.length && random() < 0.5 ? pick(random, ctx.streams) : str(random, 70) };
    case 'ai:report': return { streamId: str(random, 70), browserTtftMs: pick(random, [0, 12.5, -1, 1e9, NaN]) };
    case 'tests:result': return { runId: str(random, 70) || 'r', status: pick(random, ['running', 'done', 'timedout', 'cancelled', 'error', 'exploded']), scope: pick(random, [{ kind: 'all' }, { kind: 'file', path: path(random) }, { kind: 'test', path: path(random), name: str(random) }, { kind: 'nope' }]), files: Array.from({ length: int(random, 0, 3) }, () => ({ path: path(random), tests: [{ id: 't', name: [str(random, 10) || 'n'], status: 'passed', durationMs: 1 }], errors: [], console: [{ level: 'log', text: str(random) }], consoleDropped: 0 })) };
    case 'link:create':
    case 'link:revoke': return { role: pick(random, ['editor', 'viewer', 'owner', '']) };
    case 'doc:update':
    case 'awareness:update': return new Uint8Array(0);
  }
}

/** Mutations of an object payload: missing, wrong-typed and extra fields. */
function mutate(payload: unknown, random: Random, pool: ReturnType<typeof pools>): unknown {
  if (typeof payload !== 'object' || payload === null || payload instanceof Uint8Array) return payload;
  const p = { ...(payload as Record<string, unknown>) };
  const keys = Object.keys(p);
  const r = random();
  if (r < 0.25 && keys.length) delete p[pick(random, keys)];
  else if (r < 0.55 && keys.length) p[pick(random, keys)] = junk(random, pool);
  else if (r < 0.75) p[str(random, 10) || 'extra'] = junk(random, pool);
  else return junk(random, pool);
  return p;
}

/** Corrupts a genuine update the way a broken or hostile client might. */
function corrupt(update: Uint8Array, random: Random, other?: Uint8Array): Uint8Array {
  const u = new Uint8Array(update);
  switch (int(random, 0, 5)) {
    case 0: {
      for (let k = int(random, 1, 4); k > 0; k--) u[int(random, 0, u.length - 1)] = int(random, 0, 255);
      return u;
    }
    case 1: return u.slice(0, int(random, 1, Math.max(1, u.length - 1)));
    case 2: return new Uint8Array([...u, ...Array.from({ length: int(random, 1, 16) }, () => int(random, 0, 255))]);
    case 3: return other ? new Uint8Array([...u.slice(0, int(random, 0, u.length)), ...other.slice(int(random, 0, other.length))]) : u.reverse();
    case 4: {
      // A varuint field set to something huge (clock, length or client).
      const at = int(random, 1, u.length - 1);
      return new Uint8Array([...u.slice(0, at), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, ...u.slice(at + 1)]);
    }
    default: {
      for (let k = int(random, 1, 3); k > 0; k--) u[int(random, 0, u.length - 1)] ^= 1 << int(random, 0, 7);
      return u;
    }
  }
}

interface Slot {
  socket: TestClient;
  hello: boolean;
  joined: string | null;
  outstanding: Set<Promise<void>>;
  /** What this socket believes the joined session's document is (its acknowledged edits and what it received). */
  mirror: Y.Doc | null;
  fork: Y.Doc | null;
  forkAge: number;
  awareness: Awareness;
  lastUpdate: Uint8Array | null;
  expectDisconnect: boolean;
  /** The last few messages sent, for the failure message when the server drops the socket. */
  recent: string[];
  /** Resolvers of the acknowledgements still awaited (released when the connection closes). */
  waiting: Set<() => void>;
  dead: boolean;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

/**
 * What the server keeps, not garbage it has yet to collect: a full collection in the child
 * first (through its inspector), then its V8 heap in use and the least RSS over a few samples
 * (array buffer memory is released just after the collection). Without the forced collection
 * the run's garbage decided the figures: heap used read up to 202 MiB after seed 624209425's
 * run, where a forced collection leaves 69–71 MiB every time (56–57 at the baseline; the
 * growth is mostly the ~1,150 sessions the run creates).
 */
async function retained(flint: FlintProcess, samples = 6): Promise<{ rss: number; heap: number; uncollectedHeap: number }> {
  const uncollectedHeap = await metric(flint.metricsUrl, 'flint_process_nodejs_heap_size_used_bytes');
  const inspector = await connectInspector(flint.inspectorUrl!);
  try {
    // Twice: what the first one's finalizers release goes in the second.
    await inspector.collectGarbage();
    await inspector.collectGarbage();
    const heap = await inspector.heapUsed();
    let rss = Infinity;
    for (let i = 0; i < samples; i++) {
      await new Promise((r) => setTimeout(r, 500));
      rss = Math.min(rss, await metric(flint.metricsUrl, 'flint_process_process_resident_memory_bytes'));
    }
    return { rss, heap, uncollectedHeap };
  } finally {
    inspector.close();
  }
}

/**
 * Flint as this suite runs it: with its inspector (for `retained`) and glibc's mmap threshold
 * fixed at 128 KiB. By default glibc raises that threshold after the first big buffer is freed
 * (up to 32 MiB), so the run's huge payloads (256 KiB–3 MiB, received and freed) came from the
 * main heap, and what was freed stayed resident: in some runs that heap grew 18 → 417 MiB
 * (RSS +420 MiB) with the V8 heap after a collection at its usual 69–71 MiB; in runs checked
 * with malloc_stats, live native memory stayed ≈37 MiB and malloc_trim gave the rest back.
 * With the threshold fixed they are mapped and unmapped one by one, so RSS tracks what is kept.
 */
const startFuzzedFlint = (dataDir: string) =>
  startFlintProcess({ FLINT_DATA_DIR: dataDir, FLINT_SIM_TPS: '5000', FLINT_MAX_FILES: '20000', GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072' }, { inspect: true });

/** A document as everyone reads it: the files' texts and the thread. */
function contentOf(doc: Y.Doc) {
  const files: Record<string, string> = {};
  const all = filesOf(doc) as Y.Map<unknown>;
  for (const p of [...all.keys()].sort()) {
    const t = all.get(p);
    files[p] = t instanceof Y.Text ? t.toString() : `<not a text: ${JSON.stringify(t instanceof Y.AbstractType ? t.toJSON() : t)}>`;
  }
  return { files, thread: readThread(doc) };
}

/** JSON-safe, as Yjs content must be. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

function docFrom(state: Uint8Array): Y.Doc {
  const d = new Y.Doc();
  Y.applyUpdate(d, state);
  return d;
}

describe(`protocol fuzz ${where}`, () => {
  let flint: FlintProcess;
  let dataDir: string;
  const fuzzIdentity = newIdentity();
  const goodIdentity = newIdentity();
  const failures: string[] = [];
  const fail = (msg: string) => {
    if (failures.length < 30) failures.push(msg);
  };

  before(async () => {
    dataDir = await tempDataDir('flint-fuzz-');
    flint = await startFuzzedFlint(dataDir);
  });
  after(async () => {
    for (const s of liveSockets) s.disconnect();
    await flint?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const liveSockets = new Set<TestClient>();
  const connect = async (identity: string) => {
    const s = await connectClient(flint.url, { identity });
    liveSockets.add(s);
    return s;
  };

  const fuzzSessions: string[] = [];
  const observers: Array<{ sessionId: string; doc: Y.Doc; socket: TestClient }> = [];

  it(`${N} generated messages: typed answers only, the server stays up, a neighbouring session is unaffected, memory stays bounded`, { timeout: 30 * 60_000 }, async () => {
    const random = prng(SEED);
    const pool = pools(prng(SEED ^ 0x5eed));

    // The well-behaved pair, in its own session, as another person.
    const a = await joinedClient(flint.url, undefined, { identity: goodIdentity });
    const b = await joinedClient(flint.url, a.sessionId, { identity: goodIdentity });
    liveSockets.add(a.socket).add(b.socket);
    const editor = new EditingClient(a.socket, a.state, 'good');
    const peer = docFrom(b.state);
    b.socket.on('doc:update', (u) => Y.applyUpdate(peer, new Uint8Array(u)));
    let editing = true;
    const editRandom = prng(SEED + 1);
    const editLoop = (async () => {
      while (editing) {
        await editor.edit(editRandom).catch((e) => fail(`the good client's edit was refused: ${e.message}`));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // Three fuzz sessions, each with a well-behaved observer that must end up with what the server has.
    for (let i = 0; i < SLOTS; i++) {
      const o = await joinedClient(flint.url, undefined, { identity: fuzzIdentity });
      liveSockets.add(o.socket);
      const doc = docFrom(o.state);
      o.socket.on('doc:update', (u) => Y.applyUpdate(doc, new Uint8Array(u)));
      observers.push({ sessionId: o.sessionId, doc, socket: o.socket });
      fuzzSessions.push(o.sessionId);
    }
    const ctx = { sessions: fuzzSessions, streams: [] as string[], tokens: [] as string[] };
    let created = 0;

    const waiting = new Set<string>();
    const trace = process.env.FLINT_FUZZ_TRACE ? setInterval(() => console.log(`[fuzz] sent ${stats.sent}; waiting for ${waiting.size}: ${[...waiting].slice(0, 3).join(' | ')}; failures: ${failures.join(' ;; ')}`), 5000) : undefined;
    /** Size of the last acknowledged message per slot: what an `ok` answer means the server keeps (at most). */
    const lastSize = new Map<Slot, number>();
    const stats = { acceptedBytes: 0, lostToDisconnect: 0, sent: 0, acked: 0, noAck: 0, bytes: 0, ok: 0, reconnects: 0, floods: 0, reservedRefused: 0, huge: 0, genuineUpdates: 0, corruptUpdates: 0 };
    const codes: Record<string, number> = {};
    const protocolErrors: Record<string, number> = {};

    const newSlot = async (): Promise<Slot> => {
      const socket = await connect(fuzzIdentity);
      const slot: Slot = { socket, hello: false, joined: null, outstanding: new Set(), mirror: null, fork: null, forkAge: 0, awareness: new Awareness(new Y.Doc()), lastUpdate: null, expectDisconnect: false, recent: [], waiting: new Set(), dead: false };
      clearInterval((slot.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
      socket.on('protocol:error', (e) => {
        if (e?.code === 'clientTooOld' || e?.code === 'serverTooOld') slot.expectDisconnect = true;
        protocolErrors[e?.code] = (protocolErrors[e?.code] ?? 0) + 1;
        if (!KNOWN_CODES.has(e?.code) || e.code === 'internal') fail(`protocol:error ${JSON.stringify(e).slice(0, 200)}`);
      });
      socket.on('doc:update', (u) => {
        try {
          if (slot.mirror) Y.applyUpdate(slot.mirror, new Uint8Array(u));
        } catch (e) {
          fail(`the server sent an update that does not apply: ${(e as Error).message}`);
        }
      });
      socket.on('disconnect', (reason) => {
        slot.dead = true;
        // Answers still being computed for a closed connection are never delivered.
        if (slot.expectDisconnect) stats.lostToDisconnect += slot.waiting.size;
        for (const release of slot.waiting) release();
        if (!slot.expectDisconnect) fail(`the server dropped a fuzz socket unasked (${reason}) after ${slot.recent.join(' | ')}`);
      });
      return slot;
    };
    const slots: Slot[] = [];
    for (let i = 0; i < SLOTS; i++) slots.push(await newSlot());

    const drain = async (slot: Slot) => {
      while (slot.outstanding.size) await Promise.all(slot.outstanding);
    };
    const replace = async (i: number) => {
      const old = slots[i];
      await drain(old);
      old.expectDisconnect = true;
      if (!old.dead) old.socket.disconnect();
      liveSockets.delete(old.socket);
      slots[i] = await newSlot();
      stats.reconnects++;
    };

    const checkAnswer = (slot: Slot, event: string, r: unknown, onOk?: (data: unknown) => void) => {
      const res = r as { ok?: unknown; data?: unknown; error?: { code?: unknown; message?: unknown } };
      if (typeof res !== 'object' || res === null || typeof res.ok !== 'boolean') return fail(`${event}: not a Response: ${JSON.stringify(r)?.slice(0, 200)}`);
      if (res.ok) {
        stats.ok++;
        stats.acceptedBytes += lastSize.get(slot) ?? 0;
        onOk?.(res.data);
        return;
      }
      const code = String(res.error?.code);
      // A hello with another protocol version (a mutation may produce one) is answered, then disconnected.
      if (code === 'clientTooOld' || code === 'serverTooOld') slot.expectDisconnect = true;
      codes[code] = (codes[code] ?? 0) + 1;
      if (!KNOWN_CODES.has(code)) fail(`${event}: unknown error code ${code}`);
      if (code === 'storageUnavailable') fail(`${event}: storage failed ${JSON.stringify(res.error).slice(0, 200)}`);
      if (code === 'internal') fail(`${event}: internal error (a handler threw) ${JSON.stringify(res.error).slice(0, 200)}`);
      if (typeof res.error?.message !== 'string') fail(`${event}: error without a message`);
    };

    /** Sends one message; `ack` decides whether an acknowledgement callback goes with it. */
    const send = (slot: Slot, event: string, args: unknown[], ack: boolean, onOk?: (data: unknown) => void): Promise<void> => {
      // Closed while we awaited something (after a version mismatch): what is emitted now is never sent.
      if (slot.dead) return Promise.resolve();
      stats.sent++;
      let size = 0;
      for (const x of args) size += x instanceof Uint8Array ? x.byteLength : typeof x === 'string' ? x.length : JSON.stringify(x ?? null)?.length ?? 0;
      stats.bytes += size;
      slot.recent.push(`${event.slice(0, 40)}(${args.map((x) => (x instanceof Uint8Array ? `${x.byteLength} bytes` : (JSON.stringify(x) ?? 'undefined').slice(0, 80) + ` [${(JSON.stringify(x) ?? '').length} chars]`)).join(', ')})${ack ? ' +ack' : ''}`);
      if (slot.recent.length > 4) slot.recent.shift();
      const emit = (slot.socket as unknown as { emit(e: string, ...a: unknown[]): void }).emit.bind(slot.socket);
      try {
        if (!ack) {
          stats.noAck++;
          emit(event, ...args);
          return Promise.resolve();
        }
        stats.acked++;
        let done!: () => void;
        const p = new Promise<void>((resolve) => (done = resolve));
        const release = () => {
          slot.waiting.delete(release);
          done();
        };
        slot.waiting.add(release);
        emit(event, ...args, (r: unknown) => {
          lastSize.set(slot, size);
          checkAnswer(slot, event, r, onOk);
          release();
        });
        slot.outstanding.add(p);
        const label = `${stats.sent}:${event.slice(0, 30)}:${JSON.stringify(args.map((x) => (x instanceof Uint8Array ? `bytes ${x.byteLength}` : x))).slice(0, 120)}`;
        waiting.add(label);
        void p.then(() => {
          slot.outstanding.delete(p);
          waiting.delete(label);
        });
        return p;
      } catch {
        // socket.io-client refuses reserved names (connect, disconnect, …) before sending.
        stats.reservedRefused++;
        return Promise.resolve();
      }
    };

    /** A genuine Yjs update made on a fork of what the socket knows (or of nothing). */
    const genuineUpdate = (slot: Slot): Uint8Array | null => {
      if (!slot.fork || slot.forkAge++ > 100) {
        slot.fork = slot.mirror ? docFrom(Y.encodeStateAsUpdate(slot.mirror)) : new Y.Doc();
        slot.forkAge = 0;
      }
      const fork = slot.fork;
      let update: Uint8Array | null = null;
      const grab = (u: Uint8Array) => (update = update ? Y.mergeUpdates([update, u]) : u);
      fork.on('update', grab);
      const files = filesOf(fork);
      const names = [...files.keys()];
      const r = random();
      try {
      if (r < 0.4 && names.length) {
        const t = files.get(pick(random, names));
        if (t instanceof Y.Text) t.insert(int(random, 0, t.length), str(random, 20) || 'x');
      } else if (r < 0.6 && names.length) {
        const t = files.get(pick(random, names));
        if (t instanceof Y.Text && t.length > 0) t.delete(int(random, 0, t.length - 1), 1);
      } else if (r < 0.7) files.set(path(random), new Y.Text(str(random, 50)));
      else if (r < 0.75 && names.length) files.delete(pick(random, names));
      else if (r < 0.8) (files as unknown as Y.Map<unknown>).set(path(random), plain(junk(random, pool, 3))); // not a Y.Text
      else if (r < 0.87) fork.getArray<unknown>('turns').push([pick(random, ['junk', 1, null, new Y.Map(), new Y.Array()])]);
      else if (r < 0.92) {
        const m = new Y.Map<unknown>();
        m.set('id', str(random, 10));
        m.set('hunks', pick(random, ['x', new Y.Array()]));
        m.set('checkpoint', pick(random, [null, new Y.Map()]));
        fork.getArray<unknown>('turns').push([m]);
      } else if (r < 0.96) fork.getMap<unknown>(str(random, 12) || 'root').set('k', plain(junk(random, pool, 3)));
      else fork.getMap<unknown>('restores').set(str(random, 8), pick(random, ['x', new Y.Map()]));
      } catch {
        // Yjs refuses some values locally (e.g. an object whose own `constructor` is not Object).
      }
      fork.off('update', grab);
      return update;
    };

    const binary = (slot: Slot, event: 'doc:update' | 'awareness:update'): Uint8Array => {
      const r = random();
      if (r < 0.12) {
        const off = int(random, 0, 1 << 20);
        return pool.bytes.slice(off, off + int(random, 0, 200));
      }
      if (r < 0.2) return new Uint8Array(Array.from({ length: int(random, 0, 12) }, () => int(random, 0, 255)));
      if (event === 'awareness:update') {
        const state = random() < 0.5 ? { user: { name: str(random, 10) || 'n', color: '#aabbcc' }, file: path(random) } : junk(random, pool, 2);
        try {
          slot.awareness.setLocalState(state as Record<string, unknown> | null);
        } catch {
          // y-protocols itself refuses some states
        }
        const u = encodeAwarenessUpdate(slot.awareness, [slot.awareness.clientID]);
        return random() < 0.5 ? u : corrupt(u, random);
      }
      const u = genuineUpdate(slot);
      if (!u) return new Uint8Array([0, 0]);
      if (random() < 0.35) {
        stats.genuineUpdates++;
        if (slot.mirror && slot.fork) Y.applyUpdate(slot.mirror, u);
        slot.lastUpdate = u;
        return u;
      }
      stats.corruptUpdates++;
      slot.fork = null; // the fork holds an edit the server may not have
      return corrupt(u, random, slot.lastUpdate ?? undefined);
    };

    const hugeArgs = (slot: Slot): [string, unknown] => {
      stats.huge++;
      const len = int(random, 256 << 10, 3 << 20);
      const off = int(random, 0, 256 << 10);
      switch (int(random, 0, 7)) {
        case 0: return ['doc:update', pool.bytes.slice(off, off + len)];
        case 1: return ['awareness:update', pool.bytes.slice(off, off + len)];
        case 2: return ['ai:prompt', { prompt: pool.text.slice(off, off + len), path: 'src/cart.ts' }];
        // Above the content limit: a huge file that is taken would be data the server must keep.
        case 3: return ['file:create', { path: path(random), content: pool.text.slice(off, off + LIMITS.maxDocUpdateBytes + 1 + (len >> 2)) }];
        case 4: return ['ai:prompt', { prompt: 'x', path: 'src/cart.ts', mentions: Array.from({ length: len >> 6 }, (_, i) => `m${i}.ts`) }];
        case 5: return ['tests:result', { runId: 'r', status: 'done', scope: { kind: 'all' }, files: Array.from({ length: len >> 8 }, () => ({ path: 'a.ts', tests: [], errors: [], console: [], consoleDropped: 0 })) }];
        case 6: return [pool.text.slice(off, off + 2000), pool.text.slice(off, off + len)];
        default: return [pick(random, CLIENT_EVENTS), pool.text.slice(off, off + len)];
      }
    };

    const UNKNOWN = ['nope', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'session:hello ', 'SESSION:HELLO', 'doc:update:x', '', 'x'.repeat(5000), 'connect', 'disconnect', 'disconnecting', 'newListener', 'removeListener', 'error'];

    const step = async (i: number) => {
      if (slots[i].dead) return replace(i);
      const slot = slots[i];
      const r = random();
      const ack = random() < 0.7;
      // Lifecycle: a new connection (events before hello again), a wrong protocol version, hello, join.
      if (r < 0.003) return replace(i);
      if (r < 0.004) {
        await drain(slot);
        slot.expectDisconnect = true;
        await send(slot, 'session:hello', [{ protocolVersion: pick(random, [0, 1, PROTOCOL_VERSION + 1, 2 ** 31]) }], true);
        return replace(i);
      }
      if (r < 0.0045) {
        // A flood of messages without acknowledgement.
        stats.floods++;
        const event = pick(random, [...CLIENT_EVENTS, 'nope']);
        for (let k = 0; k < 300; k++) void send(slot, event, [event === 'doc:update' || event === 'awareness:update' ? binary(slot, event) : mutate(validish(event as ClientEventName, random, ctx) ?? {}, random, pool)], false);
        return;
      }
      if (r < 0.011) {
        const [event, payload] = hugeArgs(slot);
        await send(slot, event, [payload], random() < 0.8);
        return;
      }
      if (!slot.hello && r < 0.5) {
        return void send(slot, 'session:hello', [{ protocolVersion: PROTOCOL_VERSION }], true, () => (slot.hello = true));
      }
      if (slot.hello && !slot.joined && r < 0.3) {
        const sessionId = pick(random, fuzzSessions);
        return void send(slot, 'session:join', [{ sessionId }], true, (data) => {
          slot.joined = sessionId;
          slot.mirror = docFrom(new Uint8Array((data as { state: Uint8Array }).state));
          slot.fork = null;
        });
      }
      // Any event, any shape.
      const unknown = random() < 0.06;
      const event: string = unknown ? (random() < 0.7 ? pick(random, UNKNOWN) : str(random, 30)) : pick(random, CLIENT_EVENTS);
      let payload: unknown;
      if (event === 'doc:update' || event === 'awareness:update') payload = random() < 0.9 ? binary(slot, event) : junk(random, pool);
      else if (unknown) payload = junk(random, pool);
      else if (event === 'session:create' && created >= 20) payload = mutate({ x: 1 }, random, pool);
      else {
        const valid = validish(event as ClientEventName, random, ctx);
        payload = random() < 0.35 ? valid : mutate(valid, random, pool);
      }
      const arity = random();
      const args = arity < 0.05 ? [] : arity < 0.12 ? [payload, junk(random, pool), junk(random, pool)] : [payload];
      const onOk = (data: unknown) => {
        const d = data as Record<string, unknown>;
        if (event === 'session:hello') slot.hello = true;
        if (event === 'session:create') created++;
        if (event === 'session:join') {
          slot.joined = String(d.sessionId);
          slot.mirror = docFrom(new Uint8Array(d.state as Uint8Array));
          slot.fork = null;
        }
        if (event === 'ai:prompt') ctx.streams.push(String(d.streamId));
        if (event === 'link:create') ctx.tokens.push(String(d.token));
      };
      const p = send(slot, event, args, ack, onOk);
      if (slot.outstanding.size >= WINDOW) await p;
    };

    // Warm-up (JIT, socket buffers, storage caches), then the baseline RSS.
    const warm = Math.min(2000, Math.floor(N / 20));
    const run = async (from: number, to: number) => {
      const perSlot = Math.ceil((to - from) / SLOTS);
      await Promise.all(
        slots.map(async (_, i) => {
          for (let k = 0; k < perSlot && stats.sent < to; k++) await step(i);
          await drain(slots[i]);
        }),
      );
    };
    // One PRNG drives all slots; the interleaving of awaits is the only nondeterminism.
    await run(0, warm);
    const memBefore = await retained(flint);
    const bytesAtBaseline = stats.bytes;
    const started = performance.now();
    await run(warm, N);
    for (const s of slots) await drain(s);
    const fuzzMs = performance.now() - started;
    clearInterval(trace);
    editing = false;
    await editLoop;
    const memAfter = await retained(flint);
    await editor.settled();

    assert.equal(flint.child.exitCode, null, `the server exited during the fuzz ${where}\n${flint.output().slice(-3000)}`);
    assert.deepEqual(failures, [], `fuzz failures ${where}`);
    const logged = /handler \S+ failed|an AI turn failed|recording the end of a turn failed|checked update still failed/;
    const at = flint.output().search(logged);
    assert.equal(at, -1, `the server logged a failure ${where}:\n${flint.output().slice(Math.max(0, at - 200), at + 1500)}`);

    // A fresh client can still do everything.
    const fresh = await joinedClient(flint.url, undefined, { identity: newIdentity() });
    liveSockets.add(fresh.socket);
    const freshEditor = new EditingClient(fresh.socket, fresh.state, 'fresh');
    await freshEditor.edit();
    assert.ok((await request(fresh.socket, 'file:create', { path: 'src/after-fuzz.ts', content: 'ok' })).ok);

    // The neighbouring session: every edit acknowledged, both sides converged, the server agrees.
    assert.ok(editor.acked.length > 0, 'the good client edited during the fuzz');
    await waitFor(() => filesOf(peer).get('src/cart.ts')?.toString() === editor.text(), 'the second good client to converge', 30_000);
    const present = linesIn(editor.text());
    for (const line of editor.acked) assert.ok(present.has(line), `acknowledged ${line} is missing ${where}`);
    const goodAgain = await joinedClient(flint.url, a.sessionId, { identity: goodIdentity });
    liveSockets.add(goodAgain.socket);
    assert.deepEqual(contentOf(docFrom(goodAgain.state)), contentOf(editor.doc), `the server's copy of the good session differs ${where}`);

    // Memory: RSS of the server, baseline after warm-up versus after the run, settled.
    const sentMiB = (stats.bytes - bytesAtBaseline) / 2 ** 20;
    const growthMiB = (memAfter.rss - memBefore.rss) / 2 ** 20;
    const heapGrowthMiB = (memAfter.heap - memBefore.heap) / 2 ** 20;
    recordFigures('protocol fuzz', {
      seed: SEED,
      messages: stats.sent,
      acked: stats.acked,
      withoutAck: stats.noAck,
      okAnswers: stats.ok,
      floods: stats.floods,
      hugePayloads: stats.huge,
      reconnects: stats.reconnects,
      answersLostToVersionDisconnect: stats.lostToDisconnect,
      genuineDocUpdates: stats.genuineUpdates,
      corruptDocUpdates: stats.corruptUpdates,
      sentMiB: Math.round(sentMiB),
      acceptedMiB: Math.round(stats.acceptedBytes / 2 ** 20),
      rssBeforeMiB: Math.round(memBefore.rss / 2 ** 20),
      rssAfterMiB: Math.round(memAfter.rss / 2 ** 20),
      heapBeforeMiB: Math.round(memBefore.heap / 2 ** 20),
      heapAfterMiB: Math.round(memAfter.heap / 2 ** 20),
      heapUncollectedAfterMiB: Math.round(memAfter.uncollectedHeap / 2 ** 20),
      fuzzSeconds: Math.round(fuzzMs / 100) / 10,
      messagesPerSecond: Math.round(stats.sent / (fuzzMs / 1000)),
      goodEdits: editor.acked.length,
    });
    console.log(`[fuzz] error codes: ${JSON.stringify(codes)}; protocol:error: ${JSON.stringify(protocolErrors)}`);
    // What the server keeps legitimately: the sessions the run creates (session:create has no
    // limit, and unacknowledged floods and mutated payloads create them: ~1,100 at CI size, each
    // a loaded document of ≈8 KiB that stays in memory), JIT code, and what it took (answered
    // ok, at most `acceptedMiB`, held as UTF-16 and in storage caches). Both figures are read
    // after a forced collection (`retained`). A server that kept even a quarter of what it was
    // sent would exceed this.
    const acceptedMiB = stats.acceptedBytes / 2 ** 20;
    const allowedMiB = 160 + 4 * acceptedMiB;
    assert.ok(growthMiB < allowedMiB, `RSS grew ${growthMiB.toFixed(0)} MiB over a run that sent ${sentMiB.toFixed(0)} MiB ${where}`);
    assert.ok(heapGrowthMiB < allowedMiB, `the V8 heap kept ${heapGrowthMiB.toFixed(0)} MiB more over a run that sent ${sentMiB.toFixed(0)} MiB ${where}`);
    if (N >= 50_000) assert.ok(sentMiB > 4 * allowedMiB, `the run sent ${sentMiB.toFixed(0)} MiB: too little for the memory bound to mean anything`);
  });

  it('payloads valid per schema but hostile: 10,000 files, unicode, empty strings, odd paths; refused paths stay refused', { timeout: 10 * 60_000 }, async () => {
    const { socket, sessionId } = await joinedClient(flint.url, undefined, { identity: fuzzIdentity });
    liveSockets.add(socket);
    fuzzSessions.push(sessionId);
    for (const p of ['../x', '/etc/passwd', 'a//b', '', 'a/./b', 'src/../x', 'a\\b', 'tab\tx', 'a\u2028b', 'lone\ud800', 'a'.repeat(LIMITS.maxPathChars + 1), 'x\u0000y', 'a/']) {
      const r = await request(socket, 'file:create', { path: p });
      assert.equal(r.ok ? 'ok' : r.error.code, p.length > LIMITS.maxPathChars ? 'payloadTooLarge' : 'badRequest', `path ${JSON.stringify(p)}`);
    }
    // Any printable name is a file name (issue #20): Unicode and spaces included.
    const odd = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '.git/config', '@/x', '-', '_', 'a.b.c', 'x'.repeat(LIMITS.maxPathChars), 'ünï/x.ts', 'with space/中文 😀.ts'];
    for (const p of odd) assert.ok((await request(socket, 'file:create', { path: p, content: '' })).ok, p);
    const unicode = 'ünï 中文 😀 \u2028 \u0000 \ud83d';
    assert.ok((await request(socket, 'file:create', { path: 'unicode.ts', content: unicode })).ok);
    assert.equal((await request(socket, 'ai:prompt', { prompt: '   ', path: 'unicode.ts' })).ok, false);
    // 10,000 files, several in flight at a time.
    const many = 10_000;
    let i = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (i < many) {
          const n = i++;
          const r = await request(socket, 'file:create', { path: `many/${n}.ts`, content: n % 2 ? `// ${n} ${unicode}` : '' });
          assert.ok(r.ok, `file ${n}: ${JSON.stringify(r)}`);
        }
      }),
    );
    assert.ok((await request(socket, 'file:rename', { from: '__proto__', to: 'constructor' })).ok === false, 'rename onto an existing path is refused');
    assert.ok((await request(socket, 'file:delete', { path: 'toString' })).ok);
    const prompt = await request<{ streamId: string }>(socket, 'ai:prompt', { prompt: unicode, path: 'unicode.ts', mentions: odd.slice(0, 5), openFiles: ['many/1.ts'] });
    assert.ok(prompt.ok || prompt.error.code === 'rateLimited', JSON.stringify(prompt));
    const again = await joinedClient(flint.url, sessionId, { identity: fuzzIdentity });
    liveSockets.add(again.socket);
    const doc = docFrom(again.state);
    const files = listFiles(doc);
    assert.equal(files.filter((f) => f.startsWith('many/')).length, many);
    assert.ok(files.includes('__proto__') && files.includes('constructor') && !files.includes('toString'));
    assert.equal(filesOf(doc).get('many/1.ts')!.toString().startsWith('// 1 ünï 中文 😀'), true);
  });

  /** The session as a fresh join reads it now. */
  const fresh = async (id: string) => {
    const j = await joinedClient(flint.url, id, { identity: fuzzIdentity });
    j.socket.disconnect();
    const doc = docFrom(j.state);
    // Readable: it encodes again and every file is text or reported.
    assert.doesNotThrow(() => docFrom(Y.encodeStateAsUpdate(doc)), `session ${id} does not re-encode ${where}`);
    return contentOf(doc);
  };

  // Found by this suite: hostile updates with missing dependencies were held pending by Yjs (in
  // the server's encoded state, in no broadcast): observers and fresh joins differed. Such updates
  // are now refused (server/collab/check-update.ts).
  it('every fuzzed session reads the same for its observer as for a fresh join', { timeout: 5 * 60_000 }, async () => {
    // The fuzzing sockets go first: on a loaded machine messages they sent without an
    // acknowledgement can still be on their way, and would change the sessions under the check.
    const observerSockets = new Set(observers.map((o) => o.socket));
    for (const s of liveSockets) {
      if (observerSockets.has(s)) continue;
      s.disconnect();
      liveSockets.delete(s);
    }
    for (const o of observers) {
      // Until what was in flight has landed, both may still move: poll both.
      let server = await fresh(o.sessionId);
      await waitFor(
        async () => {
          server = await fresh(o.sessionId);
          return JSON.stringify(contentOf(o.doc)) === JSON.stringify(server);
        },
        `observer of ${o.sessionId} to match the server ${where}`,
        30_000,
      ).catch(() => {});
      assert.deepEqual(contentOf(o.doc), server, `the observer of ${o.sessionId} differs from the server ${where}`);
    }
  });

  // Same cause: what the server stored could differ from what it held in memory.
  it('every fuzzed session reads the same after a restart from storage', { timeout: 5 * 60_000 }, async () => {
    for (const s of liveSockets) s.disconnect();
    liveSockets.clear();
    const seen = new Map<string, ReturnType<typeof contentOf>>();
    for (const id of fuzzSessions) seen.set(id, await fresh(id));
    await flint.stop();
    flint = await startFlintProcess({ FLINT_DATA_DIR: dataDir, FLINT_SIM_TPS: '5000', FLINT_MAX_FILES: '20000' });
    for (const id of fuzzSessions) {
      const j = await joinedClient(flint.url, id, { identity: fuzzIdentity });
      liveSockets.add(j.socket);
      assert.deepEqual(contentOf(docFrom(j.state)), seen.get(id), `session ${id} reloaded from storage differs ${where}`);
    }
  });
});
