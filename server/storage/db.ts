import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PgliteThread } from './pglite-proxy';
import type { Queryable } from './queryable';

/**
 * The little SQL surface Flint needs, over either PGlite (PostgreSQL in WebAssembly, on local
 * disk) or a real PostgreSQL server through `pg`. Both speak PostgreSQL: the same SQL, `$n`
 * parameters, `bytea` as bytes. Only the driver differs.
 */
export type { Queryable };

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…`: use that server. Otherwise PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(opts.dataDir);
}

/** Bytes from either driver (`pg` returns Buffers, PGlite Uint8Arrays) as a plain Uint8Array. */
export function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError('expected bytea');
}

async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would end the process. The next query gets a fresh connection.
  pool.on('error', (err) => console.error('[flint] postgres connection lost:', err.message));
  const query: Queryable['query'] = async (sql, params) => {
    const r = await pool.query(sql, params as unknown[]);
    return { rows: r.rows };
  };
  return {
    kind: 'postgres',
    query,
    exec: async (sql) => void (await pool.query(sql)),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async (sql, params) => ({ rows: (await client.query(sql, params as unknown[])).rows }),
          exec: async (sql) => void (await client.query(sql)),
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const releaseLock = lockDataDir(dir);
  try {
    // PGlite runs its queries on the thread that calls it: that is a worker, not the socket thread.
    const db = await PgliteThread.open(path.join(dir, 'pg'));
    return {
      kind: 'pglite',
      query: db.query,
      exec: db.exec,
      transaction: (fn) => db.transaction(fn),
      async close() {
        await db.close();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * PGlite takes no lock on its directory, and two processes writing one directory corrupt it.
 * A pid file guards it: a live owner stops this start with a clear message, a dead one's file
 * (left by a crash) is taken over.
 */
function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'flint.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(`FLINT_DATA_DIR ${dir} is in use by process ${pid}; give each Flint process its own data directory, or use DATABASE_URL to share one PostgreSQL.`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock FLINT_DATA_DIR ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
