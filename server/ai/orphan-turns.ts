import * as Y from 'yjs';
import { turnsOf } from '@/lib/collab/thread';
import { PEER_ORIGIN, type Session, type SessionStore } from '../sessions/session-store';
import { AI_ORIGIN } from './turn-recorder';

/** The error an orphaned turn is ended with: what the person reading the thread needs to know. */
export const ORPHAN_TURN_ERROR = 'Flint stopped while this turn was streaming (the server restarted), so its answer is incomplete.';

/**
 * A turn is recorded as `streaming` until its stream ends, and only the process that runs the
 * stream ends it. A process that dies mid-turn (kill -9, power loss) never does: the stored turn
 * would show `streaming` forever, and its Restore stays hidden. So a `streaming` turn that no
 * process runs is ended here, as an error that says why, when
 * - a session is loaded (the turn was stored by a process that is gone), and
 * - a client's update brings one back (a browser re-sends, after a crash, what the server had
 *   broadcast and not yet stored — a turn's start included).
 * With several processes (`runningElsewhere`) the others are asked first: the turn may be theirs.
 */
export function endOrphanTurns(
  sessions: SessionStore,
  opts: {
    /** Whether this process runs the turn. */
    isRunning: (turnId: string) => boolean;
    /** Whether another process runs it (Redis); absent: there is no other process. */
    runningElsewhere?: (sessionId: string, turnId: string) => Promise<boolean>;
    log: (msg: string, err?: unknown) => void;
  },
): () => void {
  const checking = new Set<string>();

  const check = (session: Session) => {
    // The thread is everyone's to edit: an entry that is not a turn (a map) is not one to end.
    const orphans = turnsOf(session.doc)
      .toArray()
      .filter((t): t is Y.Map<unknown> => (t as unknown) instanceof Y.Map)
      .filter((t) => t.get('status') === 'streaming' && !opts.isRunning(String(t.get('id'))) && !checking.has(String(t.get('id'))));
    if (!orphans.length) return;
    if (!opts.runningElsewhere) return end(session.doc, orphans);
    for (const turn of orphans) {
      const id = String(turn.get('id'));
      checking.add(id);
      void opts
        .runningElsewhere(session.id, id)
        .then(
          (elsewhere) => {
            if (!elsewhere && turn.get('status') === 'streaming' && !opts.isRunning(id)) end(session.doc, [turn]);
          },
          (err) => opts.log(`asking the other processes about turn ${id}`, err),
        )
        .finally(() => checking.delete(id));
    }
  };

  const watch = (session: Session) => {
    check(session);
    turnsOf(session.doc).observeDeep((_events, tx) => {
      // This process's own turns end themselves; another process's turns are its business.
      if (tx.origin === AI_ORIGIN || tx.origin === PEER_ORIGIN) return;
      check(session);
    });
  };
  return sessions.onLoaded(watch);
}

function end(doc: Y.Doc, turns: Y.Map<unknown>[]) {
  doc.transact(() => {
    for (const t of turns) {
      t.set('status', 'error');
      t.set('error', ORPHAN_TURN_ERROR);
    }
  }, AI_ORIGIN);
}
