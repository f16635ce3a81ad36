// @ts-check
/**
 * The worker thread that owns Flint's PGlite (started by `pglite-proxy.ts`; messages typed there
 * as ThreadRequest / ThreadReply). PGlite runs each query synchronously in WebAssembly on the
 * thread that calls it; here that is not the thread that serves sockets. A transaction holds
 * PGlite's own lock, so other queries wait for its end exactly as they would in-process.
 * Plain JavaScript: worker threads do not inherit tsx's loader, and this needs none.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const reply = (/** @type {object} */ r) => port.postMessage(r);
/** Keeps what callers read from a PostgreSQL error (SQLSTATE code, detail), not the whole object. */
const failure = (/** @type {number} */ id, /** @type {any} */ err) => ({
  id,
  ok: false,
  error: { message: err?.message ?? String(err), code: typeof err?.code === 'string' ? err.code : undefined, detail: typeof err?.detail === 'string' ? err.detail : undefined },
});

const open = PGlite.create(workerData.dir);
/** @type {Map<number, { tx: any, end: (commit: boolean) => void, done: Promise<unknown> }>} */
const transactions = new Map();
const ROLLBACK = new Error('rollback');

/** The database, or an open transaction's handle. */
function target(/** @type {any} */ db, /** @type {number | undefined} */ tx) {
  if (tx === undefined) return db;
  const t = transactions.get(tx);
  if (!t) throw new Error(`transaction ${tx} is not open`);
  return t.tx;
}

port.on('message', async (/** @type {any} */ m) => {
  try {
    const db = await open;
    switch (m.op) {
      case 'ready':
        return reply({ id: m.id, ok: true });
      case 'query': {
        const r = await target(db, m.tx).query(m.sql, m.params);
        return reply({ id: m.id, ok: true, rows: r.rows });
      }
      case 'exec':
        await target(db, m.tx).exec(m.sql);
        return reply({ id: m.id, ok: true });
      case 'begin': {
        // Answered once the transaction holds the lock; `end` commits or rolls back.
        let answered = false;
        const done = db.transaction(
          (/** @type {any} */ tx) =>
            new Promise((resolve, reject) => {
              transactions.set(m.tx, { tx, end: (commit) => (commit ? resolve(undefined) : reject(ROLLBACK)), done });
              answered = true;
              reply({ id: m.id, ok: true });
            }),
        );
        // BEGIN itself failed: the callback never ran.
        done.catch((/** @type {unknown} */ err) => !answered && reply(failure(m.id, err)));
        return;
      }
      case 'end': {
        const t = transactions.get(m.tx);
        if (!t) throw new Error(`transaction ${m.tx} is not open`);
        transactions.delete(m.tx);
        t.end(m.commit === true);
        try {
          await t.done;
        } catch (err) {
          if (err !== ROLLBACK) throw err; // COMMIT failed
        }
        return reply({ id: m.id, ok: true });
      }
      case 'close':
        await db.close();
        return reply({ id: m.id, ok: true });
      default:
        throw new Error(`unknown request ${m.op}`);
    }
  } catch (err) {
    reply(failure(m.id, err));
  }
});
