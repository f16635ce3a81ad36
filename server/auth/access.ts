import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { MemorySharedLimits, type SharedLimits } from '../collab/shared-limits';
import type { ClientEventName, LinkRole, Role } from '@/lib/protocol';
import { FlintError } from '../errors';
import type { LinkStore } from '../sessions/links';
import { hashToken, isWellFormedToken, newLinkToken } from './capability';

/**
 * The least role each event needs; `none`: allowed before joining (the handler checks the rest).
 * Exhaustive over the protocol's events, so a new event cannot be added without deciding.
 * Keep in sync with the roles table in lib/protocol/CONTEXT.md.
 */
export const EVENT_ROLE: Record<ClientEventName, 'none' | Role> = {
  'session:hello': 'none',
  'session:create': 'none',
  'session:join': 'none',
  'awareness:update': 'viewer',
  // Accept, reject and restore are document edits, so they travel as doc:update (an accept or
  // reject after a hunk:claim).
  'doc:update': 'editor',
  'file:create': 'editor',
  'file:rename': 'editor',
  'file:delete': 'editor',
  'ai:prompt': 'editor',
  'ai:interrupt': 'editor',
  'ai:retry': 'editor',
  'ai:report': 'editor',
  'tests:result': 'editor',
  'link:create': 'owner',
  'link:revoke': 'owner',
  'hunk:claim': 'editor',
  // Each starts a new session owned by the sender, like session:create (and counted with it).
  'project:import': 'none',
  'project:clone': 'none',
  'project:template': 'none',
  // Reading a binary file of the joined session.
  'blob:get': 'viewer',
  // Pushing the session's files with the person's own token.
  'project:push': 'editor',
  // Background agents edit a copy and propose a review: what an editor's prompt does.
  'agent:start': 'editor',
  'agent:stop': 'editor',
  'agent:result': 'editor',
  'agent:open': 'editor',
  // Resolves the session's package.json (anyone who can run its tests needs its packages).
  'packages:install': 'viewer',
};

const RANK: Record<Role, number> = { viewer: 0, editor: 1, owner: 2 };

export function allows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/**
 * Throws the typed error for `event` by someone with `role` (undefined: not joined yet):
 * `notJoined`, or `forbidden` naming the role needed.
 */
export function authorize(event: ClientEventName, role: Role | undefined): void {
  const needed = EVENT_ROLE[event];
  if (needed === 'none') return;
  if (!role) throw new FlintError('notJoined');
  if (!allows(role, needed)) {
    throw new FlintError('forbidden', `${needed === 'owner' ? 'Only the session’s owner' : 'Only editors'} can do that; you are a ${role} here.`);
  }
}

export interface AccessLimits {
  /** Wrong, revoked or malformed link tokens one IP address may send per window before being refused. */
  linkFailures: number;
  linkFailureWindowSeconds: number;
}

export const DEFAULT_ACCESS_LIMITS: AccessLimits = { linkFailures: 20, linkFailureWindowSeconds: 600 };

/** Who may join a session with what role, and the owner's share links. */
export class AccessControl {
  private readonly failures: RateLimiterAbstract;

  constructor(
    private readonly links: LinkStore,
    private readonly limits: AccessLimits = DEFAULT_ACCESS_LIMITS,
    /** Failures are counted across every process with Redis (collab/shared-limits.ts). */
    shared: SharedLimits = new MemorySharedLimits(),
  ) {
    this.failures = shared.rateLimiter('link-failures', limits.linkFailures, limits.linkFailureWindowSeconds);
  }

  /**
   * The role `identityId` gets in the session: owner when it created it, else the role of the
   * link whose token it presents. No token: `linkRequired`. A wrong, revoked, replaced, malformed
   * or other session's token: `linkInvalid`, counted against `ip`; past the limit every token
   * from `ip` is refused with `rateLimited` until the window ends, valid ones included, so
   * guessing gains nothing.
   */
  async roleFor(session: { id: string; ownerId: string | null }, identityId: string, token: string | undefined, ip: string): Promise<Role> {
    if (session.ownerId !== null && session.ownerId === identityId) return 'owner';
    if (token === undefined || token === '') throw new FlintError('linkRequired');
    const seen = await this.failures.get(ip);
    if (seen && seen.consumedPoints >= this.limits.linkFailures) throw this.limited(seen);
    const link = isWellFormedToken(token) ? await this.links.find(hashToken(token)) : null;
    if (link && link.sessionId === session.id) return link.role;
    try {
      await this.failures.consume(ip);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw this.limited(res);
    }
    throw new FlintError('linkInvalid');
  }

  private limited(res: RateLimiterRes): FlintError {
    const minutes = Math.max(1, Math.ceil(res.msBeforeNext / 60_000));
    return new FlintError('rateLimited', `Too many invalid links from your address. Try again in ${minutes} min.`);
  }

  /** A new link for `role`, replacing the previous one; the token is returned once, only its hash kept. */
  async createLink(sessionId: string, role: LinkRole): Promise<string> {
    const token = newLinkToken();
    await this.links.create(sessionId, role, hashToken(token));
    return token;
  }

  revokeLink(sessionId: string, role: LinkRole): Promise<void> {
    return this.links.revoke(sessionId, role);
  }
}
