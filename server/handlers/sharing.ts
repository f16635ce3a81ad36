import { protocolError, type LinkRole } from '@/lib/protocol';
import type { AccessControl } from '../auth/access';
import type { CreationLimiter } from '../auth/creation-limits';
import type { PresenceHub } from '../collab/presence';
import type { SessionStore } from '../sessions/session-store';
import type { HandlerGroup, Io } from '../edge/types';
import { joined, leaveSession } from './membership';

export interface SharingContext {
  io: Io;
  sessions: SessionStore;
  access: AccessControl;
  presence: PresenceHub;
  linkCreations: CreationLimiter;
}

/** `link:*`: the owner's share links (auth/access.ts); only the owner's role reaches these. */
export function sharingHandlers({ io, sessions, access, presence, linkCreations }: SharingContext): HandlerGroup {
  /** Everyone who joined the session with its `role` link (before now) leaves it. */
  async function closeLinkHolders(sessionId: string, role: LinkRole, message: string) {
    for (const other of await io.in(sessionId).fetchSockets()) {
      if (other.data.link !== role) continue;
      const local = io.sockets.sockets.get(other.id);
      if (local) await leaveSession(presence, local);
      other.emit('session:closed', protocolError('linkInvalid', message));
    }
  }

  return {
    name: 'sharing',
    events: {
      // A new link replaces the role's previous one, so whoever joined with that one leaves too
      // (nobody can have joined with the new token yet: it is answered only now).
      'link:create': async (socket, { role }) => {
        const session = joined(sessions, socket);
        await linkCreations.consume(socket.data.identity, socket.handshake.address);
        const token = await access.createLink(session.id, role);
        await closeLinkHolders(session.id, role, 'The owner replaced the link you joined with.');
        return { role, token };
      },

      // Revoking also closes the session for everyone who joined with that link.
      'link:revoke': async (socket, { role }) => {
        const session = joined(sessions, socket);
        await access.revokeLink(session.id, role);
        await closeLinkHolders(session.id, role, 'The owner revoked the link you joined with.');
      },
    },
  };
}
