import type { LinkRole } from '@/lib/protocol';
import type { LinkStore } from '../storage/link-store';

export type { LinkStore } from '../storage/link-store';

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
