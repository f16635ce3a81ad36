import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import type { HunkClaimResult, JoinResult, Response } from '@/lib/protocol';
import { filesOf, listFiles, readFile } from '@/lib/collab/workspace-doc';
import { acceptHunks, readThread, rejectHunks, yTextTarget } from '@/lib/collab/thread';
import { scriptedResponse } from '@/lib/seed/scripted-edits';
import { Storage } from '../../server/storage/storage';
import { SessionStore } from '../../server/sessions/session-store';
import { tempDataDir } from '../support/data-dir';
import { helloClient, nextEvent, request, type TestClient } from '../support/protocol-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait';
import { SIZES, runSeed } from './profile';
import { int, pick, prng } from './random';
import { recordFigures } from './report';

/**
 * Randomized convergence, after Yjs's own `applyRandomTests`: per seed, five clients — each its
 * own Y.Doc synced over the real protocol the way the browser's SessionRuntime does it (local
 * updates sent as `doc:update` with an acknowledgement while joined; on reconnect: hello, join,
 * apply the server's state, send what it lacks) — make random inserts, deletes and file
 * creations, drop and regain their connections, prompt the simulator for hunks and accept them
 * two at once, or let an instant turn write while they type. Then every client, the server and a
 * fresh SessionStore loading the session from storage must hold the same files and thread.
 * Many seeds share one server; FLINT_SEED=<n> replays a run (seed i of it is n + i).
 */
const BASE_SEED = runSeed();
const SEEDS = SIZES.convergenceSeeds;
const CLIENTS = 5;
const REMOTE = Symbol('remote');

function contentOf(doc: Y.Doc) {
  const files: Record<string, string> = {};
  const all = filesOf(doc) as Y.Map<unknown>;
  for (const p of [...all.keys()].sort()) {
    const t = all.get(p);
    files[p] = t instanceof Y.Text ? t.toString() : `<${typeof t}>`;
  }
  return { files, thread: readThread(doc) };
}
const same = (a: Y.Doc, b: Y.Doc) => JSON.stringify(contentOf(a)) === JSON.stringify(contentOf(b));

/** A participant as SessionRuntime is one, minus the editor. */
class Peer {
  readonly doc = new Y.Doc();
  socket: TestClient | null = null;
  private ready = false;
  private readonly inFlight = new Set<Promise<void>>();
  acked = 0;

  constructor(
    private readonly url: string,
    private readonly sessionId: string,
    private readonly fail: (msg: string) => void,
  ) {
    this.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE && this.ready) this.send(u);
    });
  }

  get connected() {
    return this.ready;
  }

  async connect() {
    const socket = await helloClient(this.url);
    socket.on('doc:update', (u) => Y.applyUpdate(this.doc, new Uint8Array(u), REMOTE));
    const joined = (await request<JoinResult>(socket, 'session:join', { sessionId: this.sessionId })) as Response<JoinResult>;
    if (!joined.ok) throw new Error(`join: ${joined.error.code}`);
    const serverState = new Uint8Array(joined.data.state);
    Y.applyUpdate(this.doc, serverState, REMOTE);
    const missing = Y.encodeStateAsUpdate(this.doc, Y.encodeStateVectorFromUpdate(serverState));
    this.socket = socket;
    this.ready = true;
    if (missing.byteLength > 2) this.send(missing);
  }

  disconnect() {
    this.ready = false;
    this.socket?.disconnect();
    this.socket = null;
    this.inFlight.clear(); // the acknowledgements of a closed connection never come; reconnecting resends
  }

  private send(update: Uint8Array) {
    const socket = this.socket!;
    const p = new Promise<void>((resolve) => {
      (socket as unknown as { emit(e: string, u: Uint8Array, ack: (r: Response<unknown>) => void): void }).emit('doc:update', update, (r) => {
        if (r.ok) this.acked++;
        else this.fail(`doc:update answered ${r.error.code}: ${r.error.message}`);
        resolve();
      });
    });
    this.inFlight.add(p);
    void p.then(() => this.inFlight.delete(p));
  }

  async settled() {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }
}

describe(`convergence over the real server (${SEEDS} seeds from ${BASE_SEED}: FLINT_SEED=${BASE_SEED} replays them)`, () => {
  let server: TestServer;
  let storage: Storage;
  let dataDir: string;
  before(async () => {
    dataDir = await tempDataDir('flint-converge-');
    storage = await Storage.open({ dataDir });
    server = await startTestServer({ store: { storage }, tokensPerSecond: 50_000, limits: { promptsPerMinute: 1_000_000 } });
  });
  after(async () => {
    await server?.close();
    await storage?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every client, the server and the stored document end identical', { timeout: 30 * 60_000 }, async () => {
    const figures = { seeds: 0, ops: 0, inserts: 0, deletes: 0, fileCreates: 0, disconnects: 0, prompts: 0, concurrentAccepts: 0, instantTurns: 0 };
    const started = performance.now();
    for (let s = 0; s < SEEDS; s++) {
      const seed = BASE_SEED + s;
      const where = `seed ${seed} (FLINT_SEED=${BASE_SEED}, run ${s})`;
      const random = prng(seed);
      const failures: string[] = [];
      const fail = (m: string) => failures.push(m);
      const owner = await helloClient(server.url);
      const created = await request<{ sessionId: string }>(owner, 'session:create', {});
      assert.ok(created.ok);
      const sessionId = created.data.sessionId;
      owner.disconnect();
      const t0 = performance.now();
      const peers = Array.from({ length: CLIENTS }, () => new Peer(server.url, sessionId, fail));
      for (const p of peers) await p.connect();
      const turns: Promise<unknown>[] = [];
      const decided: Array<{ hunkId: string; tag: string }> = [];
      // At most two turns a seed (one may be instant): they cost most of a seed's time.
      let turnsThisSeed = 0;
      let instantUsed = false;

      const ops = int(random, 20, 50);
      for (let k = 0; k < ops; k++) {
        figures.ops++;
        const peer = pick(random, peers);
        const files = filesOf(peer.doc);
        const names = [...files.keys()].sort();
        const r = random();
        if (r < 0.4) {
          const t = files.get(pick(random, names));
          if (t instanceof Y.Text) {
            t.insert(int(random, 0, t.length), pick(random, ['x', 'hello ', '\n', `${k}:${s}\n`, '😀', 'ab\ncd']));
            figures.inserts++;
          }
        } else if (r < 0.6) {
          const t = files.get(pick(random, names));
          if (t instanceof Y.Text && t.length > 0) {
            const at = int(random, 0, t.length - 1);
            t.delete(at, Math.min(int(random, 1, 8), t.length - at));
            figures.deletes++;
          }
        } else if (r < 0.68) {
          const path = `gen/${int(random, 0, 6)}.ts`;
          if (peer.connected) {
            // The browser creates files with file:create; a concurrent one may find it exists.
            const res = await request(peer.socket!, 'file:create', { path, content: `// ${path}\n` });
            if (!res.ok && res.error.code !== 'fileExists') fail(`file:create answered ${res.error.code}`);
          } else if (!files.has(path)) {
            files.set(path, new Y.Text(`// offline ${path}\n`));
          }
          figures.fileCreates++;
        } else if (r < 0.78) {
          if (peer.connected) {
            peer.disconnect();
            figures.disconnects++;
          } else await peer.connect();
        } else if (r < 0.86 && peer.connected && turnsThisSeed < 2) {
          // A prompt whose answer replaces one line of a file: two clients then accept it at once.
          const path = pick(random, names.filter((n) => (files.get(n)?.toString() ?? '').includes('\n')));
          const text = files.get(path)?.toString() ?? '';
          const lines = text.split('\n').filter((l) => l.length > 0 && text.split(l).length === 2);
          if (!path || lines.length === 0) continue;
          const line = pick(random, lines);
          const instant = turnsThisSeed++ === 0 ? random() < 0.3 : !instantUsed;
          if (instant) instantUsed = true;
          // Fixed width: a random delete inside one tag can never leave another tag ("turn s:13"
          // less its "3" was "turn s:1", which made the at-most-once check count a hunk twice).
          const tag = `turn ${seed}:${String(k).padStart(2, '0')}`;
          server.sim.addRule({ match: tag, text: scriptedResponse([{ path, search: `${line}\n`, replace: `${line} /* ${tag} */\n` }]), times: 1 });
          const res = await request<{ streamId: string }>(peer.socket!, 'ai:prompt', { prompt: tag, path, autoApply: instant });
          if (!res.ok) {
            if (res.error.code !== 'busy') fail(`ai:prompt answered ${res.error.code}`);
            continue;
          }
          figures.prompts++;
          const streamId = res.data.streamId;
          const ended = nextEvent(peer.socket!, 'ai:end', (e) => e.streamId === streamId, 20_000);
          if (instant) {
            // Let the server write while everyone goes on typing.
            figures.instantTurns++;
            // The prompter may drop its connection meanwhile: watch the server's record of the turn.
            void ended.catch(() => {});
            const serverDoc = server.app.sessions.loaded(sessionId)!.doc;
            turns.push(waitFor(() => readThread(serverDoc).some((t) => t.id === streamId && t.status !== 'streaming'), `${where}: the instant turn to end`, 20_000));
            continue;
          }
          await ended;
          const hunkId = `${streamId}:0`;
          const reviewers = peers.filter((p) => p.connected);
          const [x, y] = [pick(random, reviewers), pick(random, reviewers)];
          const sees = (p: Peer) => readThread(p.doc).some((t) => t.hunks.some((h) => h.id === hunkId));
          await waitFor(() => sees(x) && sees(y), `${where}: the hunk to reach the reviewers`, 10_000);
          // Both ask in one tick, as two browsers do (hunk:claim), and decide what they were granted.
          const acceptBoth = random() < 0.8;
          const [gx, gy] = await Promise.all([x, y].map((p) => (p.socket ? request<HunkClaimResult>(p.socket, 'hunk:claim', { hunkIds: [hunkId] }) : null)));
          const granted = (g: typeof gx) => !!g && g.ok && g.data.granted.includes(hunkId);
          if (granted(gx)) acceptHunks(x.doc, [hunkId], yTextTarget(x.doc));
          if (granted(gy)) acceptBoth ? acceptHunks(y.doc, [hunkId], yTextTarget(y.doc)) : rejectHunks(y.doc, [hunkId]);
          if (acceptBoth) figures.concurrentAccepts++;
          decided.push({ hunkId, tag });
        }
        // Let some messages through now and then, so edits interleave with what arrives.
        if (random() < 0.3) await new Promise((res) => setTimeout(res, int(random, 0, 3)));
      }

      const tOps = performance.now();
      // Everyone back online; every update acknowledged; every turn ended.
      for (const p of peers) if (!p.connected) await p.connect();
      await Promise.all(turns);
      for (const p of peers) await p.settled();
      const serverDoc = server.app.sessions.loaded(sessionId)!.doc;
      const tSettled = performance.now();
      await waitFor(() => peers.every((p) => same(p.doc, serverDoc)), `${where}: clients to converge with the server`, 20_000).catch(() => {});
      assert.deepEqual(failures, [], where);
      for (const [i, p] of peers.entries()) assert.deepEqual(contentOf(p.doc), contentOf(serverDoc), `${where}: client ${i} differs from the server`);
      // A decided hunk's text is in the file at most once (typing may have cut it), and a rejected one's never.
      const all = listFiles(serverDoc).map((f) => readFile(serverDoc, f) ?? '').join('\n');
      for (const { hunkId, tag } of decided) {
        const status = readThread(serverDoc).flatMap((t) => t.hunks).find((h) => h.id === hunkId)?.status;
        const times = all.split(`/* ${tag} */`).length - 1;
        assert.ok(status === 'rejected' ? times === 0 : times <= 1, `${where}: hunk ${hunkId} (${status}) is in the files ${times} times`);
      }
      await server.app.sessions.flush();
      const reloaded = await new SessionStore({ storage, log: () => {} }).get(sessionId);
      assert.ok(reloaded, `${where}: the session does not reload`);
      assert.deepEqual(contentOf(reloaded.doc), contentOf(serverDoc), `${where}: the stored document differs from the server's`);
      for (const p of peers) p.disconnect();
      figures.seeds++;
      if (process.env.FLINT_CONVERGENCE_TRACE) console.log(`seed ${seed}: ${Math.round(performance.now() - t0)} ms, ops ${Math.round(tOps - t0)}, settle ${Math.round(tSettled - tOps)}`);
    }
    recordFigures('convergence', { baseSeed: BASE_SEED, ...figures, clientsPerSeed: CLIENTS, seconds: Math.round((performance.now() - started) / 100) / 10 });
  });
});
