import * as Y from 'yjs';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';
import type { PackagesStatus } from '@/lib/protocol';
import { textBytes, type DocLimits } from '../sessions/doc-limits';
import type { Session } from '../sessions/session-store';
import type { Packages } from './packages';

/** Flint's lock, beside the session's package.json (the next install resolves the same versions). */
export const LOCK_PATH = '.flint/packages-lock.json';
/** Origin of the lock's writes into the document. */
export const PACKAGES_ORIGIN = 'flint:packages';

/**
 * One install at a time per session and package.json text: a second request for the same text
 * (another participant, the test run) shares the running one. Progress goes to `emit` (the
 * session's room); the lock is written into the session when it changed.
 */
export class SessionPackages {
  private readonly running = new Map<string, { input: string; result: Promise<PackagesStatus> }>();

  constructor(
    private readonly packages: Packages,
    private readonly docLimits: DocLimits,
  ) {}

  install(session: Session, emit: (status: PackagesStatus) => void): Promise<PackagesStatus> {
    const packageJson = readFile(session.doc, 'package.json');
    const input = packageJson ?? '';
    const current = this.running.get(session.id);
    if (current && current.input === input) return current.result;
    const result = (async (): Promise<PackagesStatus> => {
      const lockText = readFile(session.doc, LOCK_PATH);
      const out = await this.packages.install(packageJson, lockText, (items) => emit({ items, resolving: true }));
      if (Object.keys(out.lock.roots).length > 0) {
        const text = `${JSON.stringify(out.lock, null, 2)}\n`;
        if (text !== lockText) this.writeLock(session, text);
      }
      const status: PackagesStatus = { items: out.items, resolving: false, ...(out.error ? { error: { code: out.error.code, message: out.error.message } } : {}) };
      emit(status);
      return status;
    })();
    const entry = { input, result };
    this.running.set(session.id, entry);
    const done = () => {
      if (this.running.get(session.id) === entry) this.running.delete(session.id);
    };
    result.then(done, done);
    return result;
  }

  private writeLock(session: Session, text: string): void {
    try {
      if (!filesOf(session.doc).has(LOCK_PATH)) this.docLimits.checkNewFile(session.doc);
      this.docLimits.write(session.doc, textBytes(LOCK_PATH) + textBytes(text), (doc) =>
        doc.transact(() => {
          const files = filesOf(doc);
          const old = files.get(LOCK_PATH);
          if (old) {
            old.delete(0, old.length);
            old.insert(0, text);
          } else files.set(LOCK_PATH, new Y.Text(text));
        }, PACKAGES_ORIGIN),
      );
    } catch {
      // A session at its size or file limit keeps working without a lock: the next install resolves again.
    }
  }
}
