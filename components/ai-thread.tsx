'use client';
import { useEffect, useMemo, useRef, useState } from 'react';
import { EditStreamParser } from '@/lib/edits';
import type { TurnRecord } from '@/lib/collab/thread';
import { useIdeStore, useRuntime } from './session-provider';
import { useCommand } from './commands-context';

/** The prose of an answer (its blocks are shown as hunks). */
function proseOf(response: string): string {
  const parser = new EditStreamParser();
  const events = [...parser.push(response), ...parser.end()];
  return events.map((e) => (e.type === 'text' ? e.text : '')).join('').trim();
}

/**
 * The session's AI thread: each turn with its prompt, answer, what became of its hunks, and its
 * checkpoint. Restoring returns the workspace to just before a turn (later turns included) after
 * a confirmation, and can itself be undone.
 */
export function AiThread() {
  const runtime = useRuntime();
  const thread = useIdeStore((s) => s.thread);
  const restores = useIdeStore((s) => s.restores);
  const live = useIdeStore((s) => s.live);
  const [confirming, setConfirming] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);
  const undoButton = useRef<HTMLButtonElement>(null);
  /** A restore was confirmed here: its "Undo restore" takes the focus once it shows (the confirm is gone). */
  const focusUndo = useRef(false);
  const lastRestore = restores.filter((r) => !r.undone).at(-1);

  useEffect(() => {
    if (!lastRestore || !focusUndo.current) return;
    focusUndo.current = false;
    undoButton.current?.focus();
  }, [lastRestore]);

  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [thread.length, live.prose]);

  // The palette's "Restore the last checkpoint…": the latest turn that can be restored, asked to confirm.
  useCommand('checkpoint.restore', () => {
    const turn = [...thread].reverse().find((t) => !t.revertedBy && t.status !== 'streaming' && Object.keys(t.checkpoint).length > 0);
    if (turn) setConfirming(turn.id);
  });

  if (!thread.length) {
    return (
      <section className="thread empty" aria-label="AI thread">
        <p className="muted">
          Ask for a change below. The model answers with targeted edits that stream into the editor as a live diff; you review them hunk by hunk.
        </p>
      </section>
    );
  }
  return (
    <section className="thread" aria-label="AI thread" role="region" tabIndex={0}>
      {lastRestore && (
        <p className="note restore-note" data-testid="restore-note">
          Restored to before turn {thread.findIndex((t) => t.id === lastRestore.turnId) + 1}.
          <button ref={undoButton} data-testid="restore-undo" onClick={() => runtime.undoRestore(lastRestore.id)}>
            Undo restore
          </button>
        </p>
      )}
      {thread.map((turn, i) => (
        <Turn
          key={turn.id}
          turn={turn}
          n={i + 1}
          liveProse={live.turnId === turn.id && turn.status === 'streaming' ? live.prose : null}
          confirming={confirming === turn.id}
          onRestore={() => setConfirming(turn.id)}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            focusUndo.current = true;
            setConfirming(null);
            runtime.restore(turn.id);
          }}
          onUndoTurn={() => runtime.restore(turn.id)}
          isLast={i === thread.length - 1}
        />
      ))}
      <div ref={end} />
    </section>
  );
}

function Turn(props: {
  turn: TurnRecord;
  n: number;
  liveProse: string | null;
  confirming: boolean;
  isLast: boolean;
  onRestore(): void;
  onCancel(): void;
  onConfirm(): void;
  onUndoTurn(): void;
}) {
  const { turn } = props;
  const prose = useMemo(() => (props.liveProse !== null ? props.liveProse.trim() : proseOf(turn.response)), [props.liveProse, turn.response]);
  const counts = { accepted: 0, rejected: 0, pending: 0 };
  for (const h of turn.hunks) counts[h.status]++;
  const touched = Object.keys(turn.checkpoint);
  const appliedInstantly = turn.autoApply && counts.accepted > 0;
  return (
    <article className={`turn turn-${turn.status}${turn.revertedBy ? ' reverted' : ''}`} data-testid="turn" data-status={turn.status} data-reverted={turn.revertedBy ? 'true' : 'false'}>
      <header className="turn-head">
        <span className="turn-n">#{props.n}</span>
        <span className="muted">
          {turn.mode}
          {turn.autoApply ? ' · applied as it streamed' : ''} · {turn.status}
          {turn.revertedBy ? ' · reverted' : ''}
        </span>
        <span className="spacer" />
        {!turn.revertedBy && touched.length > 0 && turn.status !== 'streaming' && (
          <>
            {appliedInstantly && props.isLast && (
              <button data-testid="turn-undo" onClick={props.onUndoTurn} title="Undo every change this turn applied">
                Undo turn
              </button>
            )}
            <button data-testid="checkpoint-restore" onClick={props.onRestore} aria-label={`Restore the checkpoint before turn ${props.n}`} title={`Restore ${touched.join(', ')} to before this turn`}>
              Restore
            </button>
          </>
        )}
      </header>
      <p className="turn-prompt">{turn.prompt}</p>
      {prose && <p className="turn-prose">{prose}</p>}
      {turn.hunks.length > 0 && (
        <p className="muted turn-hunks">
          {turn.hunks.length} hunk{turn.hunks.length === 1 ? '' : 's'}: {counts.accepted} accepted, {counts.rejected} rejected, {counts.pending} open
        </p>
      )}
      {turn.dropped && (
        <p className="note" data-testid="turn-dropped">
          Stopped mid-block: the unfinished change{turn.dropped.path ? ` to ${turn.dropped.path}` : ''} was dropped, not applied.
        </p>
      )}
      {turn.error && <p className="turn-error" data-testid="turn-error">{turn.error}</p>}
      {props.confirming && (
        <div className="confirm" role="alertdialog" aria-label="Restore checkpoint">
          <p>
            Restore {touched.join(', ')} to how {touched.length === 1 ? 'it was' : 'they were'} before this turn? Changes made by later turns are undone too.
            You can undo the restore.
          </p>
          <button data-testid="checkpoint-restore-confirm" className="danger" onClick={props.onConfirm} autoFocus>
            Restore
          </button>
          <button data-testid="checkpoint-restore-cancel" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      )}
    </article>
  );
}
