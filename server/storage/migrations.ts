import type { Database } from './db';

/**
 * The schema, as numbered steps. Each runs once, in order, inside one transaction together with
 * its row in `migrations`; a process that finds a newer version than it knows refuses to start.
 * Never edit a step that has shipped: add the next one.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'sessions, document updates and snapshots, links',
    sql: `
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        owner_id text NULL
      );
      -- Every Yjs update, in the order this database assigned; folded into doc_snapshots by
      -- compaction. seq is global (one sequence), so several processes can append at once.
      CREATE TABLE doc_updates (
        session_id text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq bigserial NOT NULL,
        update bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_id, seq)
      );
      CREATE TABLE doc_snapshots (
        session_id text PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        upto_seq bigint NOT NULL,
        state bytea NOT NULL
      );
      -- Capability links: only a hash of the token is stored. One active link per role.
      CREATE TABLE session_links (
        session_id text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        role text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz NULL
      );
      CREATE UNIQUE INDEX session_links_active ON session_links (session_id, role) WHERE revoked_at IS NULL;
    `,
  },
  {
    version: 2,
    name: 'content-addressed blobs (binary files of imported projects)',
    sql: `
      -- Named by the SHA-256 of their bytes; a session's document names the ones it uses.
      CREATE TABLE blobs (
        sha256 text PRIMARY KEY,
        size integer NOT NULL,
        bytes bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 3,
    name: "a session's last finished test run, for people who join later on any process",
    sql: `ALTER TABLE sessions ADD COLUMN last_test_run text NULL;`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the schema up to date. Safe when several processes start at once (an advisory lock). */
export async function migrate(db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(7262896231)`);
    await tx.query(`CREATE TABLE IF NOT EXISTS migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ v: number | null }>(`SELECT max(version) AS v FROM migrations`);
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`the database schema is version ${current}, newer than this Flint knows (${SCHEMA_VERSION}): update Flint`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await tx.exec(m.sql);
      await tx.query(`INSERT INTO migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
    return SCHEMA_VERSION;
  });
}
