import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { seedFiles } from '@/lib/collab/workspace-doc';
import { EXAMPLE_PROJECT } from '@/lib/seed/example-project';

export interface Session {
  /** 128 random bits, base64url: reveals nothing and cannot be guessed. */
  id: string;
  doc: Y.Doc;
  createdAt: number;
  /** The identity (server/auth/identity.ts) that created the session; null: nobody owns it. */
  ownerId: string | null;
}

/**
 * Sessions held in this process's memory. Durable storage (PGlite / PostgreSQL) replaces this
 * behind the same interface; until then a restart forgets every session.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  create(files: Record<string, string> = EXAMPLE_PROJECT, ownerId: string | null = null): Session {
    const id = randomBytes(16).toString('base64url');
    const doc = new Y.Doc({ gc: true });
    seedFiles(doc, files);
    const session: Session = { id, doc, createdAt: Date.now(), ownerId };
    this.sessions.set(id, session);
    return session;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
