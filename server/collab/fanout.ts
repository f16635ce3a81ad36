import type { Server } from 'socket.io';
import * as Y from 'yjs';
import { PEER_ORIGIN, type Session, type SessionStore } from '../sessions/session-store';

/**
 * Events between Flint processes (socket.io `serverSideEmit`, carried by the Redis adapter).
 * Payloads come from another process, not a browser, but are still checked before use.
 */
export interface InterServerEvents {
  /** A change made on the sending process (by its clients or its AI), already stored by it. */
  'doc:peer-update': (sessionId: string, update: Uint8Array) => void;
  /** "I just loaded this session; send what you have beyond this state vector." */
  'doc:peer-sync': (sessionId: string, stateVector: Uint8Array, ack: (diff: Uint8Array | null) => void) => void;
  /** "Interrupt this stream if you run it" (a client on another process pressed Stop). */
  'ai:peer-interrupt': (sessionId: string, streamId: string, ack: (interrupted: boolean) => void) => void;
  /** "Do you run this AI turn?" — before a process ends a `streaming` turn as orphaned (server/ai/orphan-turns.ts). */
  'ai:peer-running': (sessionId: string, turnId: string, ack: (running: boolean) => void) => void;
  /** "Who is here on your process?" — the awareness of that session's participants there. */
  'presence:peer-snapshot': (sessionId: string, ack: (update: Uint8Array | null) => void) => void;
}

/** Origin of what a peer sent back to `doc:peer-sync`: not stored here, shown to local clients. */
export const PEER_SYNC_ORIGIN = 'flint:peer-sync';

// Only the parts fan-out uses, so any typed `Server` fits.
interface FanOutIo {
  to(room: string): { except(id: string): { emit(ev: 'doc:update', u: Uint8Array): unknown }; emit(ev: 'doc:update', u: Uint8Array): unknown };
  local: { to(room: string): { emit(ev: 'doc:update', u: Uint8Array): unknown } };
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

/**
 * Every change of a session's document goes to its room, except back to the socket that sent
 * it (a client's update has that socket's id as origin). Through the Redis adapter the room
 * spans every process; with `peers` the change also reaches the other processes' own Y.Docs
 * (`doc:peer-update`), and a process that loads a session asks the others for what it lacks
 * (`doc:peer-sync`), so a change still on its way to storage is not missed.
 */
export function fanOutSessions(
  io: Server,
  sessions: SessionStore,
  opts: { peers: boolean; log: (msg: string, err?: unknown) => void },
): () => void {
  const room = io as unknown as FanOutIo;
  const peers = io as unknown as Server<Record<string, never>, Record<string, never>, InterServerEvents>;

  const watch = (session: Session) => {
    session.doc.on('update', (update: Uint8Array, origin: unknown) => {
      // Its own process stored it and broadcast it to the whole room.
      if (origin === PEER_ORIGIN) return;
      if (origin === PEER_SYNC_ORIGIN) {
        room.local.to(session.id).emit('doc:update', update);
        return;
      }
      (typeof origin === 'string' ? room.to(session.id).except(origin) : room.to(session.id)).emit('doc:update', update);
      if (opts.peers) peers.serverSideEmit('doc:peer-update', session.id, update);
    });
    if (opts.peers) {
      peers.serverSideEmit('doc:peer-sync', session.id, Y.encodeStateVector(session.doc), (err: Error | null, diffs: Array<Uint8Array | null>) => {
        if (err) opts.log(`catching up on session ${session.id}: ${err.message}`);
        for (const diff of diffs ?? []) {
          if (!isBytes(diff)) continue;
          try {
            Y.applyUpdate(session.doc, new Uint8Array(diff), PEER_SYNC_ORIGIN);
          } catch (e) {
            opts.log('a peer sent an invalid catch-up update', e);
          }
        }
      });
    }
  };
  const offLoaded = sessions.onLoaded(watch);

  if (opts.peers) {
    peers.on('doc:peer-update', (sessionId: unknown, update: unknown) => {
      if (!isId(sessionId) || !isBytes(update)) return opts.log('ignored a malformed doc:peer-update');
      try {
        sessions.applyRemote(sessionId, new Uint8Array(update));
      } catch (e) {
        opts.log('a peer sent an invalid update', e);
      }
    });
    peers.on('doc:peer-sync', (sessionId: unknown, stateVector: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const session = isId(sessionId) ? sessions.loaded(sessionId) : undefined;
      if (!session || !isBytes(stateVector)) return ack(null);
      try {
        ack(Y.encodeStateAsUpdate(session.doc, new Uint8Array(stateVector)));
      } catch {
        ack(null);
      }
    });
  }
  return offLoaded;
}
