import type { HunkClaims } from '../collab/hunk-claims';
import type { SessionStore } from '../sessions/session-store';
import type { HandlerGroup } from '../edge/types';
import { joined } from './membership';

export interface ReviewContext {
  sessions: SessionStore;
  claims: HunkClaims;
}

/**
 * `hunk:claim`: before an accept or reject, each pending hunk is decided by one person at a time
 * (collab/hunk-claims.ts). The decision itself is a `doc:update` (handlers/document.ts).
 */
export function reviewHandlers({ sessions, claims }: ReviewContext): HandlerGroup {
  return {
    name: 'review',
    events: {
      'hunk:claim': async (socket, { hunkIds }) => {
        const session = joined(sessions, socket);
        return claims.claim(session.id, session.doc, socket.id, hunkIds);
      },
    },
    disconnect: (socket) => claims.release(socket.id),
  };
}
