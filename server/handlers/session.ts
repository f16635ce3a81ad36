import * as Y from 'yjs';
import { PROTOCOL_VERSION, type ServerLimits } from '@/lib/protocol';
import { FlintError } from '../errors';
import type { AccessControl } from '../auth/access';
import type { CreationLimiter } from '../auth/creation-limits';
import type { PresenceHub } from '../collab/presence';
import type { Session, SessionStore } from '../sessions/session-store';
import type { FlintSocket, HandlerGroup } from '../edge/types';
import type { TierStates } from './tier-states';
import { leaveSession } from './membership';

export interface SessionContext {
  sessions: SessionStore;
  access: AccessControl;
  presence: PresenceHub;
  tiers: TierStates;
  sessionCreations: CreationLimiter;
  /** What the browser is told in the hello answer. */
  serverLimits: ServerLimits;
  /** With several processes: asks the others for their clients' presence (handlers/presence.ts). */
  presenceFromPeers?: (socket: FlintSocket, sessionId: string) => void;
}

/** `session:*`: the protocol handshake, creating a session, joining one with a role. */
export function sessionHandlers(ctx: SessionContext): HandlerGroup {
  const { sessions, access, presence, tiers } = ctx;
  return {
    name: 'session',
    events: {
      'session:hello': (socket, { protocolVersion }) => {
        if (protocolVersion !== PROTOCOL_VERSION) {
          const code = protocolVersion < PROTOCOL_VERSION ? 'clientTooOld' : 'serverTooOld';
          // The DISCONNECT packet is queued after the acknowledgement, so the client reads the reason first.
          setImmediate(() => socket.disconnect());
          throw new FlintError(code, `${code === 'clientTooOld' ? 'Flint was updated' : 'This page is newer than the server'}: protocol ${protocolVersion}, server speaks ${PROTOCOL_VERSION}. Reload the page.`);
        }
        socket.data.hello = true;
        return { protocolVersion: PROTOCOL_VERSION, limits: ctx.serverLimits };
      },

      'session:create': async (socket) => {
        await ctx.sessionCreations.consume(socket.data.identity, socket.handshake.address);
        const session = await sessions.create(undefined, socket.data.identity);
        return { sessionId: session.id };
      },

      'session:join': async (socket, { sessionId, token }) => {
        const session = await sessions.get(sessionId);
        if (!session) throw new FlintError('sessionNotFound');
        const role = await access.roleFor(session, socket.data.identity, token, socket.handshake.address);
        if (socket.data.sessionId) await leaveSession(presence, socket);
        socket.data.sessionId = sessionId;
        socket.data.role = role;
        socket.data.link = role === 'owner' ? undefined : role;
        await socket.join(sessionId);
        tiers.warm();
        for (const tier of tiers.names) socket.emit('tier:state', tiers.state(tier));
        const others = presence.snapshot(sessionId);
        if (others) socket.emit('awareness:update', others);
        ctx.presenceFromPeers?.(socket, sessionId);
        // Someone joining later sees the session's last finished test run (stored: it may have
        // run on another process), after the join answer and without holding it up.
        setImmediate(() => void sessions.lastTestRun(session).then((last) => last && socket.emit('tests:result', last)));
        return { sessionId, state: Y.encodeStateAsUpdate(session.doc), tiers: tiers.info, role, pid: socket.data.pid };
      },
    },
  };
}
