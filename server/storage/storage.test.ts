import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';
import { AI_ORIGIN } from '../ai/turn-recorder';
import { PEER_ORIGIN, SessionStore } from '../sessions/session-store';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { Storage } from './storage';
import { openDatabase } from './db';
import { tempDataDir } from '../../test/support/data-dir';
import { postgresSkip, postgresTarget } from '../../test/support/postgres';

const id = () => randomBytes(16).toString('base64url');

/** Yjs updates that type `text` into `path` one character at a time, as a client would. */
function typing(base: Y.Doc, path: string, text: string): Uint8Array[] {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (const ch of text) filesOf(doc).get(path)!.insert(filesOf(doc).get(path)!.length, ch);
  return out;
}

/**
 * The same suite on PGlite (always) and on PostgreSQL (when DATABASE_URL is set; each run gets
 * its own schema, dropped at the end).
 */
for (const target of ['pglite', 'postgres'] as const) {
  describe(`storage on ${target}`, () => {
    /** Where this run's database is: a PGlite data dir, or a PostgreSQL URL. */
    let where: { dataDir: string; databaseUrl?: string };
    const open = () => Storage.open(where);
    let cleanup = async () => {};
    let storage: Storage;
    const skip = target === 'postgres' && postgresSkip('the PostgreSQL run of the storage suite');

    before(async () => {
      if (skip) return;
      if (target === 'pglite') {
        const dir = await tempDataDir();
        where = { dataDir: dir };
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const pg = await postgresTarget(process.env.DATABASE_URL!);
        where = { databaseUrl: pg.url, dataDir: '' };
        cleanup = pg.drop;
      }
      storage = await open();
    });
    after(async () => {
      if (skip) return;
      await storage.close();
      await cleanup();
    });

    it('records each migration once, in order', { skip }, async () => {
      const { rows } = await storage.db.query<{ version: number }>(`SELECT version FROM migrations ORDER BY version`);
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      await storage.close();
      storage = await open(); // migrating again is a no-op
      const again = await storage.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM migrations`);
      assert.equal(Number(again.rows[0].n), MIGRATIONS.length);
    });

    it('refuses a database whose schema is newer than this Flint', { skip }, async () => {
      await storage.db.query(`INSERT INTO migrations (version, name) VALUES ($1, 'from the future')`, [SCHEMA_VERSION + 1]);
      try {
        await storage.close();
        await assert.rejects(open(), /newer than this Flint knows/);
      } finally {
        storage = await reopenWithout(SCHEMA_VERSION + 1);
      }
    });
    /** Opens without migrating, to undo the test above. */
    async function reopenWithout(version: number): Promise<Storage> {
      const db = await openDatabase(where);
      await db.query(`DELETE FROM migrations WHERE version = $1`, [version]);
      await db.close();
      return open();
    }

    it('stores a session and loads its snapshot and later updates; an unknown id loads as null', { skip }, async () => {
      const sid = id();
      await storage.sessions.create(sid, new Uint8Array([0, 0]), 'owner-1');
      assert.equal((await storage.sessions.get(sid))?.ownerId, 'owner-1');
      const seqs = [await storage.docs.append(sid, new Uint8Array([1])), await storage.docs.append(sid, new Uint8Array([2]))];
      assert.ok(seqs[1] > seqs[0]);
      assert.deepEqual(await storage.docs.load(sid), { snapshot: new Uint8Array([0, 0]), updates: [new Uint8Array([1]), new Uint8Array([2])] });
      assert.equal(await storage.docs.load(id()), null);
      await assert.rejects(storage.docs.append(id(), new Uint8Array([1])), 'appending to a session that does not exist fails');
    });

    it('compaction folds every update into the snapshot and loses none, even with appends running at once', { skip }, async () => {
      const base = new Y.Doc();
      filesOf(base).set('a.ts', new Y.Text('start:'));
      const sid = id();
      await storage.sessions.create(sid, Y.encodeStateAsUpdate(base));
      const updates = typing(base, 'a.ts', 'abcdefghijklmnopqrstuvwxyz0123456789');
      const appends: Promise<number>[] = [];
      const compactions: Promise<number>[] = [];
      updates.forEach((u, i) => {
        appends.push(storage.docs.append(sid, u));
        if (i % 7 === 3) compactions.push(storage.docs.compact(sid));
      });
      await Promise.all(appends);
      const folded = (await Promise.all(compactions)).reduce((a, b) => a + b, 0);
      assert.ok(folded > 0, 'some compaction folded something');
      const final = await storage.docs.compact(sid);
      assert.equal(folded + final, updates.length, 'every appended update was folded exactly once');
      const stored = (await storage.docs.load(sid))!;
      assert.deepEqual(stored.updates, []);
      const doc = new Y.Doc();
      Y.applyUpdate(doc, stored.snapshot!);
      assert.equal(readFile(doc, 'a.ts'), 'start:abcdefghijklmnopqrstuvwxyz0123456789');
      assert.equal(await storage.docs.compact(sid), 0, 'nothing left to fold');
    });

    it('links: one active link per role, creating one revokes the last, only hashes are looked up', { skip }, async () => {
      const sid = id();
      await storage.sessions.create(sid, new Uint8Array([0, 0]));
      await storage.links.create(sid, 'editor', 'hash-e1');
      await storage.links.create(sid, 'viewer', 'hash-v1');
      assert.deepEqual(await storage.links.find('hash-e1'), { sessionId: sid, role: 'editor' });
      await storage.links.create(sid, 'editor', 'hash-e2');
      assert.equal(await storage.links.find('hash-e1'), null, 'the regenerated link replaced the old one');
      assert.deepEqual(await storage.links.find('hash-e2'), { sessionId: sid, role: 'editor' });
      await storage.links.revoke(sid, 'viewer');
      await storage.links.revoke(sid, 'viewer'); // nothing left to revoke: no error
      assert.equal(await storage.links.find('hash-v1'), null);
      assert.equal(await storage.links.find('never-issued'), null);
      await Promise.all([storage.links.create(sid, 'viewer', 'hash-v2'), storage.links.create(sid, 'viewer', 'hash-v3')]);
      const active = await storage.db.query(`SELECT token_hash FROM session_links WHERE session_id = $1 AND role = 'viewer' AND revoked_at IS NULL`, [sid]);
      assert.equal(active.rows.length, 1, 'two creates at once still leave one active link');
    });

    it('SessionStore: every change made here is stored (clients, file operations, the AI) and a new store loads it', { skip }, async () => {
      const store = new SessionStore({ storage, compactAfter: { updates: 5, bytes: 1 << 20 }, log: () => {} });
      const session = await store.create({ 'a.ts': 'one\n' }, 'me');
      const updates = typing(session.doc, 'a.ts', 'typed by a client');
      for (const u of updates) Y.applyUpdate(session.doc, u, 'socket-1');
      session.doc.transact(() => filesOf(session.doc).set('b.ts', new Y.Text('by the AI')), AI_ORIGIN);
      filesOf(session.doc).delete('a.ts');
      filesOf(session.doc).set('a.ts', new Y.Text('recreated'));
      // A change another process made (and stored) is applied, not stored again.
      const peer = new Y.Doc();
      Y.applyUpdate(peer, Y.encodeStateAsUpdate(session.doc));
      let peerUpdate: Uint8Array | null = null;
      peer.on('update', (u: Uint8Array) => (peerUpdate = u));
      filesOf(peer).set('peer.ts', new Y.Text('from another process'));
      Y.applyUpdate(session.doc, peerUpdate!, PEER_ORIGIN);
      await store.saved(session);

      const reopened = await new SessionStore({ storage, log: () => {} }).get(session.id);
      assert.ok(reopened);
      assert.equal(reopened.ownerId, 'me', 'the owner is stored');
      assert.equal(readFile(reopened.doc, 'b.ts'), 'by the AI');
      assert.equal(readFile(reopened.doc, 'a.ts'), 'recreated');
      assert.equal(readFile(reopened.doc, 'peer.ts'), undefined, 'a peer update is stored by its own process');
      const rows = await storage.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM doc_updates WHERE session_id = $1`, [session.id]);
      assert.ok(Number(rows.rows[0].n) < updates.length, 'compaction ran (fewer rows than updates)');
    });

    it('SessionStore: get on an unknown id is undefined, and concurrent gets share one load', { skip }, async () => {
      const store = new SessionStore({ storage, log: () => {} });
      assert.equal(await store.get(id()), undefined);
      const created = await new SessionStore({ storage, log: () => {} }).create({ 'x.ts': 'x' });
      const [a, b] = await Promise.all([store.get(created.id), store.get(created.id)]);
      assert.ok(a && a === b);
      assert.equal(store.loaded(created.id), a);
    });
  });
}


describe('PGlite data directory', () => {
  it('a second open of a directory in use fails with a clear error; after close it opens again', async () => {
    const dir = await tempDataDir();
    try {
      const first = await Storage.open({ dataDir: dir });
      await assert.rejects(Storage.open({ dataDir: dir }), /is in use by process \d+/);
      await first.close();
      const again = await Storage.open({ dataDir: dir });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs its queries off the socket thread: this thread keeps turning while a query works', async () => {
    const dir = await tempDataDir();
    const storage = await Storage.open({ dataDir: dir });
    try {
      // In-process, PGlite would run pg_sleep synchronously and no macrotask could run meanwhile.
      let turns = 0;
      let done = false;
      const spin = () => {
        turns++;
        if (!done) setImmediate(spin);
      };
      setImmediate(spin);
      await storage.db.query('SELECT pg_sleep(0.3)');
      done = true;
      assert.ok(turns > 5, `the event loop turned ${turns} times during the query`);
      // Errors keep their SQLSTATE, which callers branch on.
      await assert.rejects(storage.db.query('SELECT * FROM no_such_table'), (err: { code?: string }) => err.code === '42P01');
      // A transaction that throws is rolled back; later queries still work.
      await assert.rejects(
        storage.db.transaction(async (tx) => {
          await tx.query(`INSERT INTO sessions (id) VALUES ('rolled-back')`);
          throw new Error('nope');
        }),
        /nope/,
      );
      assert.deepEqual((await storage.db.query(`SELECT id FROM sessions WHERE id = 'rolled-back'`)).rows, []);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
