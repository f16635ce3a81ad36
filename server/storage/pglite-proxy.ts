import { Worker } from 'node:worker_threads';
import type { Queryable } from './queryable';

/** Messages to and from `pglite-thread.mjs`. */
export type ThreadRequest =
  | { id: number; op: 'ready' | 'close' }
  | { id: number; op: 'query'; sql: string; params?: unknown[]; tx?: number }
  | { id: number; op: 'exec'; sql: string; tx?: number }
  | { id: number; op: 'begin' | 'end'; tx: number; commit?: boolean };
export type ThreadReply =
  | { id: number; ok: true; rows?: unknown[] }
  | { id: number; ok: false; error: { message: string; code?: string; detail?: string } };

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * PGlite in a worker thread, behind the same `query` / `exec` / `transaction` surface as in
 * process. PGlite executes every query synchronously in WebAssembly on its calling thread; run
 * there, a document write would hold up socket work (an AI token, a keystroke's relay) for a
 * millisecond or more each time. Parameters and rows cross by structured clone (bytea stays a
 * Uint8Array, timestamps Dates). If the thread dies, every pending and later call rejects.
 */
export class PgliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: ThreadReply & { ok: true }) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private nextTx = 1;
  private dead: Error | null = null;

  private constructor(dir: string) {
    this.worker = new Worker(new URL('./pglite-thread.mjs', import.meta.url), { workerData: { dir } });
    this.worker.on('message', (r: ThreadReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(Object.assign(new Error(r.error.message), r.error.code ? { code: r.error.code } : {}, r.error.detail ? { detail: r.error.detail } : {}));
    });
    const die = (err: Error) => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', (err) => die(new Error(`the database thread failed: ${err.message}`)));
    this.worker.on('exit', (code) => die(new Error(`the database thread exited (${code})`)));
  }

  /** Starts the thread and waits until PGlite has opened `dir`. */
  static async open(dir: string): Promise<PgliteThread> {
    const t = new PgliteThread(dir);
    try {
      await t.call({ op: 'ready' });
    } catch (err) {
      await t.worker.terminate();
      throw err;
    }
    return t;
  }

  private call(req: Distribute<ThreadRequest>): Promise<ThreadReply & { ok: true }> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  private queryable(tx?: number): Queryable {
    return {
      query: async <R extends object>(sql: string, params?: unknown[]) => ({ rows: ((await this.call({ op: 'query', sql, params, tx })).rows ?? []) as R[] }),
      exec: async (sql: string) => void (await this.call({ op: 'exec', sql, tx })),
    };
  }

  readonly query: Queryable['query'] = (sql, params) => this.queryable().query(sql, params);
  readonly exec: Queryable['exec'] = (sql) => this.queryable().exec(sql);

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = this.nextTx++;
    await this.call({ op: 'begin', tx });
    let result: T;
    try {
      result = await fn(this.queryable(tx));
    } catch (err) {
      await this.call({ op: 'end', tx, commit: false }).catch(() => {});
      throw err;
    }
    await this.call({ op: 'end', tx, commit: true });
    return result;
  }

  async close(): Promise<void> {
    if (!this.dead) await this.call({ op: 'close' }).catch(() => {});
    await this.worker.terminate();
  }
}
