import * as Y from 'yjs';
import { turnsOf } from '@/lib/collab/thread';
import { PEER_ORIGIN, type Session, type SessionStore } from '../sessions/session-store';
import { AI_ORIGIN } from './turn-recorder';

/** The error an orphaned turn is ended with: what the person reading the thread needs to know. */
export const ORPHAN_TURN_ERROR = 'The Flint process running this turn stopped while it was streaming (a restart or a crash), so its answer is incomplete.';

/** With several processes, how often the sessions held here are checked for a turn whose process died. */
export const PEER_CRASH_SWEEP_MS = 1_000;

/**
 * A turn is recorded as `streaming` until its stream ends, and only the process that runs the
 * stream ends it. A process that dies mid-turn (kill -9, power loss) never does: the stored turn
 * would show `streaming` forever, and its Restore stays hidden. So a `streaming` turn that no
 * process runs is ended here, as an error that says why, when
 * - a session is loaded (the turn was stored by a process that is gone), and
 * - a client's update brings one back (a browser re-sends, after a crash, what the server had
 *   broadcast and not yet stored — a turn's start included).
 * - with several processes, a process running a turn dies (kill -9) while others hold the
 *   session: every PEER_CRASH_SWEEP_MS each process looks at the last turn of each session it
 *   holds, and one streaming that none of the live processes runs is ended — so the people on
 *   the other processes see it end, its partial answer and hunks kept, and can prompt again.
 * With several processes (`runningElsewhere`) the others are asked first: the turn may be theirs.
 */
export function endOrphanTurns(
  sessions: SessionStore,
  opts: {
    /** Whether this process runs the turn. */
    isRunning: (turnId: string) => boolean;
    /** Whether another process runs it (Redis); absent: there is no other process. */
    runningElsewhere?: (sessionId: string, turnId: string) => Promise<boolean>;
    /** Whether some process holds the session's stream lease (ai/stream-lease.ts): the sweep asks the others only when none does. */
    streamHeld?: (sessionId: string) => Promise<boolean>;
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
  const stopWatching = sessions.onLoaded(watch);
  if (!opts.runningElsewhere) return stopWatching;
  const sweep = setInterval(() => {
    for (const session of sessions.loadedSessions()) {
      const turns = turnsOf(session.doc);
      const last = turns.length ? turns.get(turns.length - 1) : undefined;
      if (!(last instanceof Y.Map) || last.get('status') !== 'streaming' || opts.isRunning(String(last.get('id')))) continue;
      if (!opts.streamHeld) check(session);
      else opts.streamHeld(session.id).then((held) => held || check(session), (err) => opts.log('reading a stream lease', err));
    }
  }, PEER_CRASH_SWEEP_MS);
  sweep.unref();
  return () => {
    clearInterval(sweep);
    stopWatching();
  };
}

function end(doc: Y.Doc, turns: Y.Map<unknown>[]) {
  doc.transact(() => {
    for (const t of turns) {
      t.set('status', 'error');
      t.set('error', ORPHAN_TURN_ERROR);
    }
  }, AI_ORIGIN);
}
