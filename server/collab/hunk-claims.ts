import type * as Y from 'yjs';
import type { HunkClaimResult } from '@/lib/protocol';
import { hunkStatus } from '@/lib/collab/thread';
import { FlintError } from '../errors';

/** How long a grant holds: the accept it was for reaches the server in milliseconds. */
export const CLAIM_MS = 5_000;

/**
 * Who may decide (accept or reject) a pending hunk right now. Accepting writes the hunk's text
 * into the file from the browser (so it is one undo step in the editor); two people accepting
 * the same hunk at the same moment would each insert it — Yjs merges both inserts, and the text
 * appears twice. So a browser asks first (`hunk:claim`), and each pending hunk is granted to one
 * socket until its decision arrives (the hunk is no longer pending) or the grant lapses.
 * Per process: with several processes behind Redis, two of them could each grant it.
 */
export class HunkClaims {
  private readonly bySession = new Map<string, Map<string, { socketId: string; until: number }>>();

  claim(sessionId: string, doc: Y.Doc, socketId: string, hunkIds: string[], now = Date.now()): HunkClaimResult {
    const claims = this.bySession.get(sessionId) ?? new Map<string, { socketId: string; until: number }>();
    for (const [id, c] of claims) if (c.until <= now || hunkStatus(doc, id) !== 'pending') claims.delete(id);
    const statuses = hunkIds.map((id) => [id, hunkStatus(doc, id)] as const);
    const missing = statuses.find(([, s]) => s === undefined);
    if (missing) throw new FlintError('hunkNotFound', `There is no hunk ${missing[0].slice(0, 128)} in this session.`);
    const result: HunkClaimResult = { granted: [], refused: [] };
    for (const [id, status] of statuses) {
      const held = claims.get(id);
      if (status !== 'pending') result.refused.push({ hunkId: id, reason: 'decided' });
      else if (held && held.socketId !== socketId) result.refused.push({ hunkId: id, reason: 'claimed' });
      else {
        claims.set(id, { socketId, until: now + CLAIM_MS });
        result.granted.push(id);
      }
    }
    if (claims.size) this.bySession.set(sessionId, claims);
    else this.bySession.delete(sessionId);
    return result;
  }

  /** A socket that leaves gives up what it held. */
  release(socketId: string): void {
    for (const [sessionId, claims] of this.bySession) {
      for (const [id, c] of claims) if (c.socketId === socketId) claims.delete(id);
      if (!claims.size) this.bySession.delete(sessionId);
    }
  }
}
