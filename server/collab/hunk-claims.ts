import type * as Y from 'yjs';
import type { HunkClaimResult } from '@/lib/protocol';
import { hunkStatus } from '@/lib/collab/thread';
import { FlintError } from '../errors';
import { MemorySharedLimits, type SharedLimits } from './shared-limits';

/** How long a grant holds: the accept it was for reaches the server in milliseconds. */
export const CLAIM_MS = 5_000;

/**
 * Who may decide (accept or reject) a pending hunk right now. Accepting writes the hunk's text
 * into the file from the browser (so it is one undo step in the editor); two people accepting
 * the same hunk at the same moment would each insert it — Yjs merges both inserts, and the text
 * appears twice. So a browser asks first (`hunk:claim`), and each pending hunk is granted to one
 * socket until its decision arrives (the hunk is no longer pending) or the grant lapses.
 * A grant is a lease (collab/shared-limits.ts): with Redis, one for every process, so two
 * people on two processes are not both granted the hunk.
 */
export class HunkClaims {
  /** The leases this process granted, per socket: given up when the socket leaves. */
  private readonly bySocket = new Map<string, Set<string>>();

  constructor(private readonly shared: SharedLimits = new MemorySharedLimits()) {}

  async claim(sessionId: string, doc: Y.Doc, socketId: string, hunkIds: string[]): Promise<HunkClaimResult> {
    const statuses = hunkIds.map((id) => [id, hunkStatus(doc, id)] as const);
    const missing = statuses.find(([, s]) => s === undefined);
    if (missing) throw new FlintError('hunkNotFound', `There is no hunk ${missing[0].slice(0, 128)} in this session.`);
    const result: HunkClaimResult = { granted: [], refused: [] };
    for (const [id, status] of statuses) {
      const key = `claim:${sessionId}:${id}`;
      if (status !== 'pending') result.refused.push({ hunkId: id, reason: 'decided' });
      else if (await this.shared.lease(key, socketId, CLAIM_MS)) {
        result.granted.push(id);
        const held = this.bySocket.get(socketId) ?? new Set<string>();
        this.bySocket.set(socketId, held.add(key));
      } else result.refused.push({ hunkId: id, reason: 'claimed' });
    }
    return result;
  }

  /** A socket that leaves gives up what it held. */
  release(socketId: string): void {
    const held = this.bySocket.get(socketId);
    this.bySocket.delete(socketId);
    // A release that does not reach Redis only means the grant lapses on its own.
    for (const key of held ?? []) this.shared.release(key, socketId).catch(() => {});
  }
}
