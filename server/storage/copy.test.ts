import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import * as Y from 'yjs';
import type { TestsResultPayload } from '@/lib/protocol';
import { addHunk, createTurn, finishTurn, readThread, recordCheckpoint } from '@/lib/collab/thread';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';
import { tempDataDir } from '@/test/support/data-dir';
import { postgresSkip, postgresTarget } from '@/test/support/postgres';
import { SessionStore } from '../sessions/session-store';
import { Storage } from './storage';
import { copyStorage } from './copy';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run: TestsResultPayload = { runId: 'r1', status: 'done', scope: { kind: 'all' }, durationMs: 5, files: [] };

/** A source database with `n` sessions that have edits, an AI turn with a hunk, links and a test run. */
async function seed(storage: Storage, n: number): Promise<string[]> {
  const store = new SessionStore({ storage, log: () => {} });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = await store.create(undefined, `owner-${i}`);
    filesOf(s.doc).get('src/cart.ts')!.insert(0, `// edit ${i}\n`);
    createTurn(s.doc, { id: `turn-${i}`, prompt: `prompt ${i}`, mode: 'instant', path: 'src/cart.ts', autoApply: false });
    recordCheckpoint(s.doc, `turn-${i}`, 'src/cart.ts');
    addHunk(s.doc, `turn-${i}`, { path: 'src/cart.ts', search: '// edit', replace: '// changed', index: 0, matchedAtProposal: true });
    finishTurn(s.doc, `turn-${i}`, { status: 'done', response: 'ok', error: null, dropped: null });
    store.recordTestRun(s, { ...run, runId: `run-${i}` });
    await storage.links.create(s.id, 'viewer', `hash-v-${i}`);
    await storage.links.create(s.id, 'editor', `hash-e-${i}`);
    ids.push(s.id);
  }
  await storage.db.query(`INSERT INTO blobs (sha256, size, bytes) VALUES ('ab', 3, $1)`, [new Uint8Array([1, 2, 3])]);
  await store.flush();
  // Let the test-run writes (queued after the result) land.
  for (const id of ids) await store.lastTestRun(store.loaded(id)!);
  return ids;
}

async function docOf(storage: Storage, id: string): Promise<Y.Doc> {
  const stored = (await storage.docs.load(id))!;
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return doc;
}

function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('copying a database (flint migrate)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const dir = async () => {
    const d = await tempDataDir();
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };

  const check = async (from: Storage, to: Storage, ids: string[]) => {
    for (const id of ids) {
      const [a, b] = [await docOf(from, id), await docOf(to, id)];
      assert.equal(readFile(b, 'src/cart.ts'), readFile(a, 'src/cart.ts'));
      assert.deepEqual(readThread(b), readThread(a), 'turns, hunks and checkpoints');
      assert.deepEqual(await to.sessions.get(id), await from.sessions.get(id), 'created at, owner');
      assert.equal(await to.sessions.lastTestRun(id), await from.sessions.lastTestRun(id));
    }
    assert.deepEqual(await to.links.find(`hash-e-0`), await from.links.find(`hash-e-0`));
    const blob = await to.db.query<{ bytes: Uint8Array }>(`SELECT bytes FROM blobs WHERE sha256 = 'ab'`);
    assert.deepEqual([...new Uint8Array(blob.rows[0].bytes)], [1, 2, 3], 'binary files too');
  };

  it('PGlite to PGlite: everything, verified; a re-run skips what is there; a different session is reported, not overwritten', async () => {
    const from = await Storage.open({ dataDir: await dir() });
    const to = await Storage.open({ dataDir: await dir() });
    cleanups.push(() => from.close(), () => to.close());
    const ids = await seed(from, 3);
    const progress: number[] = [];
    assert.deepEqual(await copyStorage(from, to, (done) => progress.push(done)), { copied: 3, alreadyThere: 0, links: 6, blobs: 1, conflicts: [] });
    assert.deepEqual(progress, [1, 2, 3]);
    await check(from, to, ids);
    assert.deepEqual(await copyStorage(from, to), { copied: 0, alreadyThere: 3, links: 0, blobs: 0, conflicts: [] });
    // The target's copy of one session changes (someone used it): it is not overwritten.
    const doc = await docOf(to, ids[1]);
    const before = Y.encodeStateVector(doc);
    filesOf(doc).get('src/cart.ts')!.insert(0, 'changed in the target\n');
    await to.docs.append(ids[1], Y.encodeStateAsUpdate(doc, before));
    const again = await copyStorage(from, to);
    assert.deepEqual(again.conflicts, [ids[1]]);
    assert.ok(readFile(await docOf(to, ids[1]), 'src/cart.ts')!.startsWith('changed in the target\n'));
  });

  it('PGlite to PostgreSQL and back (a backup)', { skip: postgresSkip('the PostgreSQL run of flint migrate') }, async () => {
    const pg = await postgresTarget(process.env.DATABASE_URL!);
    cleanups.push(() => pg.drop());
    const from = await Storage.open({ dataDir: await dir() });
    const to = await Storage.open({ databaseUrl: pg.url, dataDir: '' });
    const back = await Storage.open({ dataDir: await dir() });
    cleanups.push(() => from.close(), () => to.close(), () => back.close());
    const ids = await seed(from, 4);
    assert.equal((await copyStorage(from, to)).copied, 4);
    await check(from, to, ids);
    assert.equal((await copyStorage(to, back)).copied, 4);
    await check(from, back, ids);
  });

  it('the command: copies with progress, refuses a data directory a Flint process holds, and says how to use it', async () => {
    const source = await dir();
    const target = await dir();
    const s = await Storage.open({ dataDir: source });
    await seed(s, 2);
    // While this process holds the directory (as a running Flint does), the command refuses it.
    const held = await cli(['migrate', '--from', source, '--to', target]);
    assert.equal(held.code, 1);
    assert.match(held.out, /is in use by process \d+/);
    await s.close();
    const ok = await cli(['migrate', '--from', source, '--to', target]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /2\/2 sessions/);
    assert.match(ok.out, /2 sessions, 4 links and 1 binary files copied, 0 already there, every one verified/);
    const usage = await cli(['migrate']);
    assert.equal(usage.code, 64);
    assert.match(usage.out, /Usage: npm run flint -- migrate --to/);
  });
});
