import type { LinkRole } from '@/lib/protocol';

/**
 * Share links of sessions, stored by the SHA-256 hash of their capability token only (the token
 * itself is shown to the owner once and never kept). One active link per session and role.
 * The durable store (PGlite / PostgreSQL) implements this same interface; keep the method names.
 */
export interface LinkStore {
  /** Makes `tokenHash` the active link of `role` in the session, replacing the previous one. */
  create(sessionId: string, role: LinkRole, tokenHash: string): Promise<void>;
  /** Ends the session's active link of `role`, if any. */
  revoke(sessionId: string, role: LinkRole): Promise<void>;
  /** The session and role an active link's hash grants, or null (unknown, revoked or replaced). */
  find(tokenHash: string): Promise<{ sessionId: string; role: LinkRole } | null>;
}

/** Links in this process's memory: a restart forgets them (with the sessions they belong to). */
export class MemoryLinkStore implements LinkStore {
  private readonly byHash = new Map<string, { sessionId: string; role: LinkRole }>();
  /** `${sessionId}:${role}` → the active hash. */
  private readonly active = new Map<string, string>();

  async create(sessionId: string, role: LinkRole, tokenHash: string): Promise<void> {
    await this.revoke(sessionId, role);
    this.byHash.set(tokenHash, { sessionId, role });
    this.active.set(`${sessionId}:${role}`, tokenHash);
  }

  async revoke(sessionId: string, role: LinkRole): Promise<void> {
    const key = `${sessionId}:${role}`;
    const hash = this.active.get(key);
    if (hash === undefined) return;
    this.byHash.delete(hash);
    this.active.delete(key);
  }

  async find(tokenHash: string): Promise<{ sessionId: string; role: LinkRole } | null> {
    const link = this.byHash.get(tokenHash);
    return link ? { ...link } : null;
  }

  /** Every stored hash: lets tests prove no token is kept in clear. */
  hashes(): string[] {
    return [...this.byHash.keys()];
  }
}
