import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { seedFiles } from '@/lib/collab/workspace-doc';
import { EXAMPLE_PROJECT } from '@/lib/seed/example-project';
import { CLIENT_EVENT_SCHEMAS, type TestsResultPayload } from '@/lib/protocol';
import type { Storage } from '../storage/storage';
import { DocWriter } from './doc-writer';

export interface Session {
  /** 128 random bits, base64url: reveals nothing and cannot be guessed. */
  id: string;
  doc: Y.Doc;
  createdAt: number;
  /** The identity (server/auth/identity.ts) that created the session; null: nobody owns it. */
  ownerId: string | null;
}

const TestsResult = CLIENT_EVENT_SCHEMAS['tests:result'];

/** Origin of updates applied from another Flint process: that process stored and broadcast them. */
export const PEER_ORIGIN = 'flint:peer';
/** Origin of the stored state applied when a session is loaded. */
const LOAD_ORIGIN = Symbol('flint:load');

export interface SessionStoreOptions {
  /** Where sessions are kept. Without it they live in this process's memory only (tests). */
  storage?: Storage;
  /** Fold a session's appended updates into its snapshot after this many updates or bytes. */
  compactAfter?: { updates: number; bytes: number };
  log?: (msg: string, err?: unknown) => void;
}

interface Entry {
  session: Session;
  writer: DocWriter | null;
}

const DEFAULT_COMPACT_AFTER = { updates: 500, bytes: 1 << 20 };

/**
 * A session's document, one Y.Doc per session in this process. Every change made here — a
 * client's update, a file operation, the AI's hunks — is appended to storage as it happens
 * (`saved(session)` resolves once everything so far is committed), and compacted into a
 * snapshot now and then. A session not in memory is loaded on `get`: snapshot, then the updates
 * after it. Changes made by another process arrive through `applyRemote` and are not stored
 * again.
 */
export class SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry | undefined>>();
  /** Updates from other processes that arrived while this one was loading the session. */
  private readonly early = new Map<string, Uint8Array[]>();
  private readonly loadedListeners = new Set<(session: Session) => void>();
  /** Each session's last finished test run; with storage, also stored (for the other processes). */
  private readonly testRuns = new WeakMap<Session, TestsResultPayload>();
  /** One write of a session's test run at a time, in the order they were reported. */
  private readonly testRunWrites = new Map<string, Promise<void>>();
  /** Where sessions are stored (links live there too); undefined in memory-only tests. */
  readonly storage?: Storage;
  private readonly compactAfter: { updates: number; bytes: number };
  private readonly log: (msg: string, err?: unknown) => void;

  constructor(opts: SessionStoreOptions = {}) {
    this.storage = opts.storage;
    this.compactAfter = opts.compactAfter ?? DEFAULT_COMPACT_AFTER;
    this.log = opts.log ?? ((msg, err) => console.error(`[flint] ${msg}`, err ?? ''));
  }

  /**
   * Creates a session seeded with `files` (or by `seed`, which writes the new document: a project
   * import, server/projects/); resolves once it is stored.
   */
  async create(files: Record<string, string> | ((doc: Y.Doc) => void) = EXAMPLE_PROJECT, ownerId: string | null = null): Promise<Session> {
    const id = randomBytes(16).toString('base64url');
    const doc = new Y.Doc({ gc: true });
    if (typeof files === 'function') files(doc);
    else seedFiles(doc, files);
    await this.storage?.sessions.create(id, Y.encodeStateAsUpdate(doc), ownerId);
    return this.register({ id, doc, createdAt: Date.now(), ownerId }).session;
  }

  /** The session, loaded from storage when it is not in memory; undefined when there is none. */
  async get(id: string): Promise<Session | undefined> {
    const entry = this.entries.get(id);
    if (entry) return entry.session;
    if (!this.storage) return undefined;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id).finally(() => {
        this.loading.delete(id);
        this.early.delete(id);
      });
      this.loading.set(id, pending);
    }
    return (await pending)?.session;
  }

  /**
   * Keeps `report` as the session's last finished run, for people who join later on any process.
   * Stored after the result went out (never awaited on the way to the room), one write at a time.
   */
  recordTestRun(session: Session, report: TestsResultPayload): void {
    this.testRuns.set(session, report);
    const storage = this.storage;
    if (!storage) return;
    const json = JSON.stringify(report);
    const write = (this.testRunWrites.get(session.id) ?? Promise.resolve())
      .then(() => storage.sessions.setLastTestRun(session.id, json))
      .catch((err: unknown) => this.log(`storing the last test run of ${session.id} failed`, err));
    this.testRunWrites.set(session.id, write);
    void write.finally(() => {
      if (this.testRunWrites.get(session.id) === write) this.testRunWrites.delete(session.id);
    });
  }

  /** The session's last finished run: the stored one (another process may have recorded it), else this process's. */
  async lastTestRun(session: Session): Promise<TestsResultPayload | undefined> {
    if (!this.storage) return this.testRuns.get(session);
    await this.testRunWrites.get(session.id);
    const stored = await this.storage.sessions.lastTestRun(session.id).catch((err: unknown) => {
      this.log(`reading the last test run of ${session.id} failed`, err);
      return null;
    });
    if (stored === null) return this.testRuns.get(session);
    const parsed = TestsResult.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : this.testRuns.get(session);
  }

  /** Every session this process has in memory. */
  *loadedSessions(): IterableIterator<Session> {
    for (const e of this.entries.values()) yield e.session;
  }

  /** The session if this process has it in memory (it does for every session a socket joined). */
  loaded(id: string): Session | undefined {
    return this.entries.get(id)?.session;
  }

  /** Called with each session this process loads or creates (another process may hold it too). */
  onLoaded(fn: (session: Session) => void): () => void {
    this.loadedListeners.add(fn);
    return () => this.loadedListeners.delete(fn);
  }

  /**
   * Resolves once every change made so far to the session's document in this process is
   * committed to storage; rejects when the write failed (it is retried with the next one).
   */
  saved(session: Session): Promise<void> {
    return this.entries.get(session.id)?.writer?.saved() ?? Promise.resolve();
  }

  /** An update another Flint process made (and stored). Ignored for sessions not in memory. */
  applyRemote(id: string, update: Uint8Array): void {
    const entry = this.entries.get(id);
    if (entry) return Y.applyUpdate(entry.session.doc, update, PEER_ORIGIN);
    if (this.loading.has(id)) (this.early.get(id) ?? this.early.set(id, []).get(id)!).push(update);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Waits for every pending write. The storage itself is closed by whoever opened it. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.writer?.saved()));
  }

  private async load(id: string): Promise<Entry | undefined> {
    const stored = await this.storage!.docs.load(id);
    if (!stored) return undefined;
    const row = await this.storage!.sessions.get(id);
    const doc = new Y.Doc({ gc: true });
    doc.transact(() => {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
      for (const u of stored.updates) Y.applyUpdate(doc, u);
    }, LOAD_ORIGIN);
    const entry = this.register({ id, doc, createdAt: row?.createdAt.getTime() ?? Date.now(), ownerId: row?.ownerId ?? null }, stored.updates.length);
    for (const u of this.early.get(id) ?? []) {
      try {
        Y.applyUpdate(doc, u, PEER_ORIGIN);
      } catch (err) {
        this.log('ignored an invalid update from another process', err);
      }
    }
    return entry;
  }

  private register(session: Session, appendedSinceSnapshot = 0): Entry {
    const storage = this.storage;
    const writer = storage
      ? new DocWriter({
          append: (update) => storage.docs.append(session.id, update),
          compact: () => storage.docs.compact(session.id),
          compactAfter: this.compactAfter,
          appendedSinceSnapshot,
          log: this.log,
        })
      : null;
    if (writer) {
      session.doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === PEER_ORIGIN || origin === LOAD_ORIGIN) return;
        writer.push(update);
      });
    }
    const entry: Entry = { session, writer };
    this.entries.set(session.id, entry);
    for (const fn of this.loadedListeners) {
      try {
        fn(session);
      } catch (err) {
        this.log('a session listener failed', err);
      }
    }
    return entry;
  }
}
