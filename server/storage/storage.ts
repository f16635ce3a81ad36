import * as Y from 'yjs';
import type { LinkRole } from '@/lib/protocol';
import type { LinkStore } from './link-store';
import { bytes, openDatabase, type Database, type DatabaseOptions } from './db';
import { migrate } from './migrations';

/** What a session's stored document is: the latest snapshot (if any) and the updates after it. */
export interface StoredDoc {
  snapshot: Uint8Array | null;
  updates: Uint8Array[];
}

export interface LinkRecord {
  sessionId: string;
  role: LinkRole;
}

const isLinkRole = (r: string): r is LinkRole => r === 'editor' || r === 'viewer';

/**
 * Flint's durable state on PostgreSQL (PGlite on local disk, or a server with DATABASE_URL):
 * sessions, each document as appended Yjs updates folded into snapshots, and capability links
 * (hashes only). Every method is one statement or one transaction, so several Flint processes
 * can share one database.
 */
export class Storage {
  private constructor(readonly db: Database) {}

  static async open(opts: DatabaseOptions): Promise<Storage> {
    const db = await openDatabase(opts);
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return new Storage(db);
  }

  /** One round trip to the database (the readiness check, edge/health.ts). */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  get kind(): Database['kind'] {
    return this.db.kind;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  readonly sessions = {
    /** Creates the session with its initial document state, in one transaction. */
    create: async (id: string, state: Uint8Array, ownerId: string | null = null): Promise<void> => {
      await this.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO sessions (id, owner_id) VALUES ($1, $2)`, [id, ownerId]);
        await tx.query(`INSERT INTO doc_snapshots (session_id, upto_seq, state) VALUES ($1, 0, $2)`, [id, state]);
      });
    },
    get: async (id: string): Promise<{ id: string; createdAt: Date; ownerId: string | null } | null> => {
      const { rows } = await this.db.query<{ id: string; created_at: Date; owner_id: string | null }>(
        `SELECT id, created_at, owner_id FROM sessions WHERE id = $1`,
        [id],
      );
      const r = rows[0];
      return r ? { id: r.id, createdAt: new Date(r.created_at), ownerId: r.owner_id } : null;
    },
    /** The session's last finished test run (JSON, as the browser reported it), replacing the one before. */
    setLastTestRun: async (id: string, json: string): Promise<void> => {
      await this.db.query(`UPDATE sessions SET last_test_run = $2 WHERE id = $1`, [id, json]);
    },
    lastTestRun: async (id: string): Promise<string | null> => {
      const { rows } = await this.db.query<{ last_test_run: string | null }>(`SELECT last_test_run FROM sessions WHERE id = $1`, [id]);
      return rows[0]?.last_test_run ?? null;
    },
  };

  readonly blobs = {
    /** Stores bytes under their SHA-256 (a second put of the same bytes is a no-op). */
    put: async (sha256: string, bytes: Uint8Array): Promise<void> => {
      await this.db.query(`INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`, [sha256, bytes.byteLength, bytes]);
    },
    get: async (sha256: string): Promise<Uint8Array | null> => {
      const { rows } = await this.db.query<{ bytes: Uint8Array }>(`SELECT bytes FROM blobs WHERE sha256 = $1`, [sha256]);
      return rows[0] ? new Uint8Array(rows[0].bytes) : null;
    },
  };

  readonly docs = {
    /** Appends one update; resolves with its sequence number once committed. */
    append: async (sessionId: string, update: Uint8Array): Promise<number> => {
      const { rows } = await this.db.query<{ seq: string | number }>(
        `INSERT INTO doc_updates (session_id, update) VALUES ($1, $2) RETURNING seq`,
        [sessionId, update],
      );
      return Number(rows[0].seq);
    },

    /**
     * The snapshot and every update not folded into it, read in one statement (one consistent
     * view, so a compaction running at the same time is seen wholly or not at all). null: no
     * such session. Updates folded into the snapshot may also be listed; applying a Yjs update
     * twice changes nothing.
     */
    load: async (sessionId: string): Promise<StoredDoc | null> => {
      const { rows } = await this.db.query<{ kind: number; data: Uint8Array | null }>(
        `SELECT 0 AS kind, 0::bigint AS seq, NULL::bytea AS data FROM sessions WHERE id = $1
         UNION ALL SELECT 1, upto_seq, state FROM doc_snapshots WHERE session_id = $1
         UNION ALL SELECT 2, seq, update FROM doc_updates WHERE session_id = $1
         ORDER BY kind, seq`,
        [sessionId],
      );
      if (!rows.some((r) => Number(r.kind) === 0)) return null;
      const snapshot = rows.find((r) => Number(r.kind) === 1);
      return {
        snapshot: snapshot?.data ? bytes(snapshot.data) : null,
        updates: rows.filter((r) => Number(r.kind) === 2).map((r) => bytes(r.data)),
      };
    },

    /**
     * Folds every appended update of the session into its snapshot, in one transaction that
     * locks the session row (so two processes never fold at once) and deletes exactly the rows
     * it folded. Resolves with how many it folded.
     */
    compact: async (sessionId: string): Promise<number> =>
      this.db.transaction(async (tx) => {
        const locked = await tx.query(`SELECT id FROM sessions WHERE id = $1 FOR UPDATE`, [sessionId]);
        if (locked.rows.length === 0) return 0;
        const snap = await tx.query<{ upto_seq: string | number; state: Uint8Array }>(
          `SELECT upto_seq, state FROM doc_snapshots WHERE session_id = $1`,
          [sessionId],
        );
        const folded = await tx.query<{ seq: string | number; update: Uint8Array }>(
          `DELETE FROM doc_updates WHERE session_id = $1 RETURNING seq, update`,
          [sessionId],
        );
        if (folded.rows.length === 0) return 0;
        const doc = new Y.Doc({ gc: true });
        if (snap.rows[0]) Y.applyUpdate(doc, bytes(snap.rows[0].state));
        const updates = folded.rows.sort((a, b) => Number(a.seq) - Number(b.seq));
        for (const u of updates) Y.applyUpdate(doc, bytes(u.update));
        const state = Y.encodeStateAsUpdate(doc);
        doc.destroy();
        const upto = Math.max(Number(snap.rows[0]?.upto_seq ?? 0), Number(updates[updates.length - 1].seq));
        await tx.query(
          `INSERT INTO doc_snapshots (session_id, upto_seq, state) VALUES ($1, $2, $3)
           ON CONFLICT (session_id) DO UPDATE SET upto_seq = EXCLUDED.upto_seq, state = EXCLUDED.state`,
          [sessionId, upto, state],
        );
        return updates.length;
      }),
  };

  /**
   * Capability links: one active link per (session, role); only the token's hash is stored.
   * Creating a link revokes the previous active one for that role.
   */
  readonly links: LinkStore = {
    create: async (sessionId: string, role: LinkRole, tokenHash: string): Promise<void> => {
      const attempt = () =>
        this.db.transaction(async (tx) => {
          await tx.query(`UPDATE session_links SET revoked_at = now() WHERE session_id = $1 AND role = $2 AND revoked_at IS NULL`, [sessionId, role]);
          await tx.query(`INSERT INTO session_links (session_id, role, token_hash) VALUES ($1, $2, $3)`, [sessionId, role, tokenHash]);
        });
      try {
        await attempt();
      } catch (err) {
        // Two creates for one role at once: the loser hits the one-active-link index; once more
        // revokes the winner's link, as if this create came second.
        if ((err as { code?: string }).code !== '23505' || (await this.links.find(tokenHash))) throw err;
        await attempt();
      }
    },
    /** Revokes the active link of that role, if any. */
    revoke: async (sessionId: string, role: LinkRole): Promise<void> => {
      await this.db.query(`UPDATE session_links SET revoked_at = now() WHERE session_id = $1 AND role = $2 AND revoked_at IS NULL`, [sessionId, role]);
    },
    /** The session and role an active link's token hash opens; null when unknown or revoked. */
    find: async (tokenHash: string): Promise<LinkRecord | null> => {
      const { rows } = await this.db.query<{ session_id: string; role: string }>(
        `SELECT session_id, role FROM session_links WHERE token_hash = $1 AND revoked_at IS NULL`,
        [tokenHash],
      );
      const r = rows[0];
      return r && isLinkRole(r.role) ? { sessionId: r.session_id, role: r.role } : null;
    },
  };
}
