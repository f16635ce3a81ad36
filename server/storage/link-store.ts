import type { LinkRole } from '@/lib/protocol';

/**
 * Share links of sessions, stored by the SHA-256 hash of their capability token only (the token
 * itself is shown to the owner once and never kept). One active link per session and role.
 * The durable store (storage.ts, PGlite / PostgreSQL) implements it, and so does the in-memory
 * MemoryLinkStore (sessions/links.ts). It lives here, beside the durable store, so the
 * dependency points one way: server/sessions imports server/storage, never the reverse.
 */
export interface LinkStore {
  /** Makes `tokenHash` the active link of `role` in the session, replacing the previous one. */
  create(sessionId: string, role: LinkRole, tokenHash: string): Promise<void>;
  /** Ends the session's active link of `role`, if any. */
  revoke(sessionId: string, role: LinkRole): Promise<void>;
  /** The session and role an active link's hash grants, or null (unknown, revoked or replaced). */
  find(tokenHash: string): Promise<{ sessionId: string; role: LinkRole } | null>;
}
