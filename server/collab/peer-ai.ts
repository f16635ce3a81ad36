import type { Server } from 'socket.io';
import type { AiController } from '../ai/ai-controller';
import { FlintError } from '../errors';
import type { Session, SessionStore } from '../sessions/session-store';
import type { InterServerEvents } from './fanout';

/**
 * A session's AI stream runs on the process that took the prompt; its `ai:*` events reach every
 * process through the room. An interrupt may arrive at another process: when this one does not
 * run the stream, it asks the others (`ai:peer-interrupt`), and only when none does is the
 * answer `streamNotFound`.
 */
export function interruptAcrossNodes(
  io: Server,
  ai: AiController,
  sessions: SessionStore,
  peersEnabled: boolean,
): (session: Session, streamId: string) => Promise<void> {
  const peers = io as unknown as Server<Record<string, never>, Record<string, never>, InterServerEvents>;
  if (peersEnabled) {
    peers.on('ai:peer-interrupt', (sessionId: unknown, streamId: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const session = typeof sessionId === 'string' ? sessions.loaded(sessionId) : undefined;
      if (!session || typeof streamId !== 'string') return ack(false);
      try {
        ai.interrupt(session, streamId);
        ack(true);
      } catch {
        ack(false);
      }
    });
  }
  return async (session, streamId) => {
    try {
      ai.interrupt(session, streamId);
    } catch (err) {
      if (!peersEnabled || !(err instanceof FlintError) || err.code !== 'streamNotFound') throw err;
      const answers = await new Promise<boolean[]>((resolve) =>
        peers.serverSideEmit('ai:peer-interrupt', session.id, streamId, (_e: Error | null, r: boolean[]) => resolve(r ?? [])),
      );
      if (!answers.some((a) => a === true)) throw err;
    }
  };
}

/**
 * With several processes: answers `ai:peer-running` for this process's turns, and returns the
 * question to ask the others ("does any of you run this turn?") before a `streaming` turn is
 * ended as orphaned (server/ai/orphan-turns.ts). A process that does not answer counts as not
 * running it.
 */
export function turnsRunningOnPeers(io: Server, ai: AiController): (sessionId: string, turnId: string) => Promise<boolean> {
  const peers = io as unknown as Server<Record<string, never>, Record<string, never>, InterServerEvents>;
  peers.on('ai:peer-running', (_sessionId: unknown, turnId: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    ack(typeof turnId === 'string' && ai.isRunning(turnId));
  });
  return (sessionId, turnId) =>
    new Promise<boolean>((resolve) =>
      peers.serverSideEmit('ai:peer-running', sessionId, turnId, (_e: Error | null, answers: boolean[]) => resolve((answers ?? []).some((a) => a === true))),
    );
}
