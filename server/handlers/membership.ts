import { FlintError } from '../errors';
import type { PresenceHub } from '../collab/presence';
import type { Session, SessionStore } from '../sessions/session-store';
import type { FlintSocket } from '../edge/types';

/** The session the socket joined; `notJoined` when it has none (or it is no longer loaded). */
export function joined(sessions: SessionStore, socket: FlintSocket): Session {
  const id = socket.data.sessionId;
  const session = id ? sessions.loaded(id) : undefined;
  if (!session) throw new FlintError('notJoined');
  return session;
}

/** Takes the socket out of its session: room, presence, role. */
export async function leaveSession(presence: PresenceHub, socket: FlintSocket): Promise<void> {
  presence.leave(socket.id);
  if (socket.data.sessionId) await socket.leave(socket.data.sessionId);
  socket.data.sessionId = undefined;
  socket.data.role = undefined;
  socket.data.link = undefined;
}
