import type { Server } from 'socket.io';
import type { PresenceHub } from '../collab/presence';
import type { InterServerEvents } from '../collab/fanout';
import type { SessionStore } from '../sessions/session-store';
import type { FlintSocket, HandlerGroup, Io } from '../edge/types';
import { joined } from './membership';

export interface PresenceContext {
  sessions: SessionStore;
  presence: PresenceHub;
}

/** `awareness:update`: who is here and where their cursor is (collab/presence.ts validates and stamps it). */
export function presenceHandlers({ sessions, presence }: PresenceContext): HandlerGroup {
  return {
    name: 'presence',
    events: {
      'awareness:update': (socket, update) => {
        const session = joined(sessions, socket);
        presence.apply(session.id, session.doc, { socketId: socket.id, pid: socket.data.pid, role: socket.data.role! }, update);
      },
    },
    disconnect: (socket) => presence.leave(socket.id),
  };
}

/**
 * With several processes each knows the presence of its own clients: this one answers the
 * others' `presence:peer-snapshot` and returns how a joiner here asks them.
 */
export function peerPresence(io: Io, presence: PresenceHub, log: (msg: string, err?: unknown) => void): (socket: FlintSocket, sessionId: string) => void {
  const peers = io as unknown as Server<Record<string, never>, Record<string, never>, InterServerEvents>;
  peers.on('presence:peer-snapshot', (sessionId: unknown, ack: unknown) => {
    if (typeof ack === 'function') ack(typeof sessionId === 'string' ? presence.snapshot(sessionId) : null);
  });
  return (socket, sessionId) => {
    peers.serverSideEmit('presence:peer-snapshot', sessionId, (err: Error | null, updates: Array<Uint8Array | null>) => {
      if (err) log(`presence of session ${sessionId} from other processes: ${err.message}`);
      for (const u of updates ?? []) if (u instanceof Uint8Array && u.byteLength > 0 && socket.data.sessionId === sessionId) socket.emit('awareness:update', new Uint8Array(u));
    });
  };
}
