'use client';
import { useRef, useState } from 'react';
import { conflictMessage, type HunkView, type TurnRecord } from '@/lib/collab/thread';
import { selectCanEdit } from '@/lib/stores/ide-store';
import { useIdeStore, useRuntime } from './session-provider';
import { HunkDiffDialog } from './hunk-diff-dialog';
import { useCommand } from './commands-context';
import { commandForKey, formatShortcut, isMacPlatform } from '@/lib/client/commands';

const isMac = isMacPlatform();
const MOD = isMac ? '⌘' : 'Ctrl';

/**
 * The proposed hunks, each with accept / reject, a compact diff and a side-by-side view.
 * Keys: Alt+] / Alt+[ move between open hunks from anywhere; on a selected hunk Ctrl/⌘+Enter
 * accepts and Ctrl/⌘+Backspace rejects, then the next open hunk is selected.
 */
export function ReviewPanel() {
  const runtime = useRuntime();
  const hunks = useIdeStore((s) => s.hunks);
  const live = useIdeStore((s) => s.live);
  const selected = useIdeStore((s) => s.selectedHunk);
  const thread = useIdeStore((s) => s.thread);
  const canEdit = useIdeStore(selectCanEdit);
  const retries = new Set(thread.filter((t) => t.retryOf).map((t) => t.id));
  // Blocks that never became hunks, of the last turn and of the turn it re-asked about: the same review.
  const last = thread.at(-1);
  const reviewTurns = last ? [thread.find((t) => t.id === last.retryOf), last].filter((t): t is TurnRecord => !!t && !t.revertedBy) : [];
  const failedBlocks = reviewTurns.flatMap((turn) => (turn.failedBlocks ?? []).map((block) => ({ turn, block })));
  const select = useIdeStore((s) => s.selectHunk);
  const [sideBySide, setSideBySide] = useState<HunkView | null>(null);
  const refs = useRef(new Map<string, HTMLDivElement>());
  const open = hunks.filter((h) => h.view === 'pending' || h.view === 'conflict');
  const pending = hunks.filter((h) => h.view === 'pending');

  function focusHunk(id: string | null) {
    select(id);
    if (!id) return;
    const el = refs.current.get(id);
    el?.focus();
    const h = hunks.find((x) => x.id === id);
    if (h?.placement?.ok) runtime.reveal(h.path, h.placement.start);
  }

  function move(from: string | null, d: 1 | -1) {
    if (!open.length) return;
    const i = open.findIndex((h) => h.id === from);
    const next = i < 0 ? (d === 1 ? 0 : open.length - 1) : (i + d + open.length) % open.length;
    focusHunk(open[next].id);
  }

  function decide(h: HunkView, accept: boolean) {
    const after = open.filter((x) => x.id !== h.id);
    const i = open.findIndex((x) => x.id === h.id);
    if (accept) runtime.accept([h.id]);
    else runtime.reject([h.id]);
    const next = after[Math.min(i, after.length - 1)];
    // Keep the keyboard flow going: select the next open hunk once the list has re-rendered.
    requestAnimationFrame(() => focusHunk(next?.id ?? null));
  }

  // Alt+] / Alt+[ from anywhere, the editor included (the keys: lib/client/commands.ts).
  useCommand('hunk.next', () => move(selected, 1));
  useCommand('hunk.previous', () => move(selected, -1));
  const selectedHunk = () => open.find((h) => h.id === selected) ?? open[0];
  useCommand('hunk.accept', () => {
    const h = selectedHunk();
    if (h?.view === 'pending') decide(h, true);
  });
  useCommand('hunk.reject', () => {
    const h = selectedHunk();
    if (h) decide(h, false);
  });
  useCommand('hunk.acceptAll', () => runtime.accept(runtime.reviewable()));
  useCommand('hunk.rejectAll', () => runtime.reject(runtime.rejectable()));

  if (!hunks.length && !failedBlocks.length && !live.block && !live.dropped) return null;
  return (
    <section className="review-panel" data-testid="review-panel" aria-label="Proposed changes">
      <header className="review-head">
        <span>
          Changes <span className="muted">{pending.length} to review</span>
        </span>
        <span className="spacer" />
        <button data-testid="accept-all" disabled={!pending.length} onClick={() => runtime.accept(runtime.reviewable())} title="Accept every hunk that applies">
          Accept all
        </button>
        <button data-testid="reject-all" disabled={!open.length} onClick={() => runtime.reject(runtime.rejectable())}>
          Reject all
        </button>
      </header>
      <div className="hunks">
        {hunks.map((h) => (
          <div
            key={h.id}
            ref={(el) => {
              if (el) refs.current.set(h.id, el);
              else refs.current.delete(h.id);
            }}
            className={`hunk hunk-${h.view}${selected === h.id ? ' selected' : ''}`}
            data-testid="hunk"
            data-status={h.view}
            data-failed={h.failed ? 'true' : undefined}
            data-reason={h.view === 'conflict' && h.placement && !h.placement.ok ? h.placement.reason : undefined}
            data-hunk-id={h.id}
            tabIndex={0}
            onFocus={() => select(h.id)}
            onClick={() => h.placement?.ok && runtime.reveal(h.path, h.placement.start)}
            role="group"
            aria-label={`Hunk ${h.index + 1} of ${h.path}: ${h.failed ? 'failed' : h.view}, ${lineCount(h.search)} lines removed, ${lineCount(h.replace)} added`}
            onKeyDown={(e) => {
              const command = commandForKey(e, ['hunk'], isMac);
              if (command === 'hunk.accept' && h.view === 'pending') {
                e.preventDefault();
                decide(h, true);
              } else if (command === 'hunk.reject' && (h.view === 'pending' || h.view === 'conflict')) {
                e.preventDefault();
                decide(h, false);
              }
            }}
          >
            <div className="hunk-head">
              <span className="hunk-path">{h.path}</span>
              <span className="muted">
                #{h.index + 1} · <span className="del">−{lineCount(h.search)}</span> <span className="add">+{lineCount(h.replace)}</span>
              </span>
              {h.placement?.ok && (h.placement.match === 'create' || h.placement.match === 'append') && (
                <span className="muted" data-testid="hunk-match" data-match={h.placement.match}>
                  {h.placement.match === 'create' ? 'new file' : 'appends to the file'}
                </span>
              )}
              {retries.has(turnOf(h.id)) && (
                <span className="muted" data-testid="hunk-retry-of" title="From the follow-up that told the model which changes failed">
                  retry
                </span>
              )}
              <span className={`badge badge-${h.view}`}>{h.failed ? 'failed' : h.view}</span>
              <span className="spacer" />
              {(h.view === 'pending' || h.view === 'conflict') && (
                <>
                  <button data-testid="hunk-side-by-side" aria-label="Side by side" onClick={(e) => (e.stopPropagation(), setSideBySide(h))} title="Side by side">
                    ⇆
                  </button>
                  <button
                    data-testid="hunk-accept"
                    className="primary"
                    disabled={h.view !== 'pending'}
                    onClick={(e) => (e.stopPropagation(), decide(h, true))}
                    title={`Accept (${MOD}+Enter)`}
                  >
                    Accept
                  </button>
                  <button data-testid="hunk-reject" onClick={(e) => (e.stopPropagation(), decide(h, false))} title={`Reject (${MOD}+Backspace)`}>
                    Reject
                  </button>
                </>
              )}
            </div>
            {h.view === 'conflict' && h.placement && !h.placement.ok && !h.failed && <p className="hunk-conflict">{conflictMessage(h, h.placement.reason)}</p>}
            {h.view === 'conflict' && h.placement && !h.placement.ok && (h.failed || h.placement.reason === 'ambiguous') && (
              <EditFailure hunk={h} failure={h.placement} canEdit={canEdit} />
            )}
            <pre className="hunk-diff" tabIndex={0} role="region" aria-label={`Diff of hunk ${h.index + 1}`}>
              {lines(h.search).map((l, i) => (
                <div key={`d${i}`} className="del">
                  −{l}
                </div>
              ))}
              {lines(h.replace).map((l, i) => (
                <div key={`a${i}`} className="add">
                  +{l}
                </div>
              ))}
            </pre>
          </div>
        ))}
        {failedBlocks.map(({ turn, block }) => (
          <div key={`${turn.id}:${block.index}`} className="hunk hunk-conflict" data-testid="edit-failure" data-reason={block.reason} data-block={block.index}>
            <div className="hunk-head">
              <span className="hunk-path">{block.path ?? '(no file named)'}</span>
              <span className="muted">#{block.index + 1}</span>
              <span className="badge badge-conflict">failed</span>
            </div>
            <p className="hunk-conflict" data-testid="edit-failure-reason">
              {block.reason === 'malformed'
                ? 'This change is malformed: it has no ======= line between SEARCH and REPLACE, so it was not applied.'
                : `This change names no file of the workspace${block.path ? ` (${block.path})` : ''}, so it was not applied.`}
              {turn.failedBlocksRetriedBy && ' It was sent back to the model; its answer is below.'}
            </p>
            <pre className="hunk-diff" tabIndex={0} role="region" aria-label={`Failed change ${block.index + 1}`}>
              {lines(block.search).map((l, i) => (
                <div key={`d${i}`} className="del">
                  −{l}
                </div>
              ))}
              {lines(block.replace ?? '').map((l, i) => (
                <div key={`a${i}`} className="add">
                  +{l}
                </div>
              ))}
            </pre>
            {!turn.failedBlocksRetriedBy && <FailureActions turnId={turn.id} canEdit={canEdit} />}
          </div>
        ))}
        {live.block && (
          <div className="hunk hunk-streaming" data-testid="hunk-streaming">
            <span className="hunk-path">{live.block.path ?? '(no file named)'}</span>{' '}
            <span className="muted">
              #{live.block.index + 1} streaming… {live.block.placed === false ? '— its SEARCH text is not in the file, so it will not apply' : ''}
            </span>
          </div>
        )}
        {live.dropped && !live.block && (
          <p className="note" data-testid="dropped-block">
            The block that was streaming{live.dropped.path ? ` for ${live.dropped.path}` : ''} was dropped when the turn stopped ({live.dropped.chars} characters); it was not applied.
          </p>
        )}
      </div>
      <p className="muted keys">
        {formatShortcut('Alt+]', isMac)} / {formatShortcut('Alt+[', isMac)} next / previous · {MOD}+Enter accept · {MOD}+Backspace reject
      </p>
      {sideBySide && <HunkDiffDialog hunk={sideBySide} onClose={() => setSideBySide(null)} />}
    </section>
  );
}

const turnOf = (hunkId: string) => hunkId.slice(0, hunkId.lastIndexOf(':'));

type Failure = Extract<NonNullable<HunkView['placement']>, { ok: false }>;

/**
 * A block that does not apply, never dropped silently: why, the closest lines of the file (or,
 * when its SEARCH matches several places, those places to pick from), and what to do about it.
 */
function EditFailure({ hunk: h, failure, canEdit }: { hunk: HunkView; failure: Failure; canEdit: boolean }) {
  const runtime = useRuntime();
  const sentBack = !!h.retriedBy;
  return (
    <div className="edit-failure" data-testid="edit-failure" data-reason={failure.reason} onClick={(e) => e.stopPropagation()}>
      <p className="hunk-conflict" data-testid="edit-failure-reason">
        {failure.reason === 'ambiguous'
          ? `This change matches several places in ${h.path}: ${failure.detail}. It is not applied at a guess; pick where it goes.`
          : `This change did not apply to ${h.path}: ${failure.detail}.`}
        {sentBack && ' It was sent back to the model; its answer is below.'}
      </p>
      {failure.reason === 'ambiguous' ? (
        <ol className="hunk-candidates" data-testid="hunk-candidates">
          {failure.candidates.map((c, i) => (
            <li key={c.start} data-testid="hunk-candidate" data-line={c.line}>
              <button className="link" onClick={() => runtime.reveal(h.path, c.start)} title="Show in the editor">
                line {c.line}
              </button>{' '}
              <button data-testid="hunk-candidate-pick" disabled={!canEdit} onClick={() => void runtime.pick(h.id, i, failure.count)}>
                Apply here
              </button>
            </li>
          ))}
          {failure.count > failure.candidates.length && <li className="muted">and {failure.count - failure.candidates.length} more</li>}
        </ol>
      ) : h.closest ? (
        <div data-testid="edit-failure-closest" data-start-line={h.closest.startLine}>
          <p className="muted">
            Closest lines in {h.path} (lines {h.closest.startLine}–{h.closest.endLine}, {Math.round(h.closest.similarity * 100)}% alike):
          </p>
          <pre className="hunk-diff" tabIndex={0} role="region" aria-label="Closest lines">{h.closest.text}</pre>
        </div>
      ) : (
        <p className="muted">No lines of {h.path} are like its SEARCH text.</p>
      )}
      {!sentBack && <FailureActions turnId={turnOf(h.id)} canEdit={canEdit} />}
    </div>
  );
}

/** Send the turn's failures back to the model now, or put the report into the prompt box first. */
function FailureActions({ turnId, canEdit }: { turnId: string; canEdit: boolean }) {
  const runtime = useRuntime();
  return (
    <div className="edit-failure-actions">
      <button data-testid="edit-failure-retry" disabled={!canEdit} onClick={() => void runtime.retry(turnId)} title="Send the model a report of this turn's failed changes and let it fix them">
        Ask the model to fix
      </button>
      <button data-testid="edit-failure-send" disabled={!canEdit} onClick={() => runtime.draftFailureReport(turnId)} title="Put the failure report into the prompt box to edit before sending">
        Edit report and send…
      </button>
    </div>
  );
}

function lines(text: string): string[] {
  if (!text) return [];
  return text.replace(/\n$/, '').split('\n');
}

function lineCount(text: string): number {
  return lines(text).length;
}
