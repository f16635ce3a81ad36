import * as Y from 'yjs';
import { filesOf, wellFormed } from '@/lib/collab/workspace-doc';
import { FlintError } from '../errors';
import { checkUpdate } from '../collab/check-update';
import { textBytes, type DocLimits } from '../sessions/doc-limits';
import type { Session, SessionStore } from '../sessions/session-store';
import type { HandlerGroup } from '../edge/types';
import { joined } from './membership';

export interface DocumentContext {
  sessions: SessionStore;
  docLimits: DocLimits;
  log: (msg: string, err?: unknown) => void;
}

/**
 * `doc:update` and `file:*`: changes to the session's Yjs document. Each is checked against the
 * document limits first (a refused change is not applied, so neither stored nor broadcast),
 * applied (and so broadcast, collab/fanout.ts) at once, and acknowledged once stored: an
 * acknowledged edit survives a crash.
 */
export function documentHandlers({ sessions, docLimits, log }: DocumentContext): HandlerGroup {
  /** Waits until the session's changes so far are stored; a storage failure is a typed error. */
  async function durable(session: Session): Promise<void> {
    try {
      await sessions.saved(session);
    } catch (err) {
      log(`storing session ${session.id} failed`, err);
      throw new FlintError('storageUnavailable', 'Your change is applied but not saved yet: storage is unavailable. It is retried; keep this tab open.');
    }
  }

  return {
    name: 'document',
    events: {
      'doc:update': async (socket, update) => {
        const session = joined(sessions, socket);
        // Checked whole before it touches the document: Y.applyUpdate is not atomic (server/collab/check-update.ts).
        const invalid = checkUpdate(update, session.doc);
        if (invalid) throw new FlintError('badRequest', `not a valid Yjs update: ${invalid}`);
        try {
          docLimits.checkUpdate(session.doc, update);
          Y.applyUpdate(session.doc, update, socket.id);
        } catch (err) {
          if (err instanceof FlintError) throw err;
          log(`a checked update still failed to apply in session ${session.id}`, err);
          throw new FlintError('badRequest', 'not a valid Yjs update');
        }
        await durable(session);
      },

      'file:create': async (socket, { path, content }) => {
        const session = joined(sessions, socket);
        const files = filesOf(session.doc);
        if (files.has(path)) throw new FlintError('fileExists', `${path} already exists.`);
        docLimits.checkNewFile(session.doc);
        // JSON may carry lone surrogates; what is stored and broadcast may not (workspace-doc.ts).
        const text = wellFormed(content ?? '');
        docLimits.write(session.doc, textBytes(path) + textBytes(text), (doc) => filesOf(doc).set(path, new Y.Text(text)));
        await durable(session);
        return { path };
      },

      'file:rename': async (socket, { from, to }) => {
        const session = joined(sessions, socket);
        const { doc } = session;
        const files = filesOf(doc);
        const text = files.get(from);
        if (!text) throw new FlintError('fileNotFound', `${from} does not exist.`);
        if (from !== to && files.has(to)) throw new FlintError('fileExists', `${to} already exists.`);
        if (from !== to) {
          const content = text.toString();
          docLimits.write(doc, textBytes(to) + textBytes(content), (d) =>
            d.transact(() => {
              filesOf(d).delete(from);
              filesOf(d).set(to, new Y.Text(content));
            }),
          );
        }
        await durable(session);
        return { path: to };
      },

      'file:delete': async (socket, { path }) => {
        const files = filesOf(joined(sessions, socket).doc);
        if (!files.has(path)) throw new FlintError('fileNotFound', `${path} does not exist.`);
        files.delete(path);
        await durable(joined(sessions, socket));
        return { path };
      },
    },
  };
}
