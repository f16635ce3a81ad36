'use client';
import { useEffect, useRef, useState } from 'react';
import { selectCanEdit, selectIsStreaming, type IdeStore } from '@/lib/stores/ide-store';
import { useIdeStore, useRuntime } from './session-provider';
import { BackgroundButton } from './agent-list';
import { TtftDetail } from './ttft-detail';
import { useCommand } from './commands-context';

const selectTtft = (s: IdeStore) => s.stream.ttftMs;
const selectTps = (s: IdeStore) => s.stream.tokensPerSecond;

/** The @-mention being typed right before the caret, e.g. `@src/ca`. */
function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const m = /(?:^|\s)@([^\s@]*)$/.exec(text.slice(0, caret));
  return m ? { start: caret - m[1].length - 1, query: m[1] } : null;
}

/**
 * The prompt box (with @-mention completion), the stream's status and metrics, errors, and —
 * while a turn streams — redirecting it: send now, or queue a follow-up.
 */
export function PromptPanel() {
  const runtime = useRuntime();
  const status = useIdeStore((s) => s.stream.status);
  const streaming = useIdeStore(selectIsStreaming);
  const ttft = useIdeStore(selectTtft);
  const tps = useIdeStore(selectTps);
  const tokens = useIdeStore((s) => s.stream.tokens);
  const queuePosition = useIdeStore((s) => s.stream.queuePosition);
  const capacityRetryMs = useIdeStore((s) => s.stream.capacityRetryMs);
  const error = useIdeStore((s) => s.error);
  const openPath = useIdeStore((s) => s.openPath);
  const files = useIdeStore((s) => s.files);
  const canEdit = useIdeStore(selectCanEdit);
  const ready = useIdeStore((s) => s.connection === 'ready') && canEdit;
  const mode = useIdeStore((s) => s.mode);
  const setMode = useIdeStore((s) => s.setMode);
  const autoApply = useIdeStore((s) => s.autoApply);
  const setAutoApply = useIdeStore((s) => s.setAutoApply);
  const autoRetry = useIdeStore((s) => s.autoRetry);
  const setAutoRetry = useIdeStore((s) => s.setAutoRetry);
  const draft = useIdeStore((s) => s.promptDraft);
  const tiers = useIdeStore((s) => s.tiers);
  const followups = useIdeStore((s) => s.followups);
  const context = useIdeStore((s) => s.live.context);
  const input = useRef<HTMLTextAreaElement>(null);
  const [mention, setMention] = useState<{ start: number; query: string; active: number } | null>(null);

  // A draft from elsewhere (the review's "Edit and send"): into the box, to be edited and sent.
  useEffect(() => {
    if (!draft || !input.current) return;
    input.current.value = draft.text;
    input.current.focus();
  }, [draft]);

  useCommand('prompt.focus', () => input.current?.focus());
  useCommand('prompt.send', () => void submit(streaming ? 'queue' : 'send'));
  useCommand('prompt.sendNow', () => void submit('now'));
  useCommand('stream.interrupt', () => runtime.interrupt());

  const suggestions = mention
    ? files.filter((f) => f.toLowerCase().includes(mention.query.toLowerCase())).slice(0, 8)
    : [];

  async function submit(how: 'send' | 'now' | 'queue') {
    const text = input.current?.value.trim();
    if (!text || !openPath) return;
    if (how === 'queue') {
      runtime.queueFollowUp(text);
      input.current!.value = '';
      return;
    }
    if (streaming && how !== 'now') return;
    const r = await runtime.prompt(text, runtime.promptOptions(text, { sendNow: how === 'now' }));
    if (r.ok && input.current) input.current.value = '';
  }

  function complete(path: string) {
    const el = input.current;
    if (!el || !mention) return;
    const caret = el.selectionStart;
    el.value = `${el.value.slice(0, mention.start)}@${path} ${el.value.slice(caret)}`;
    const at = mention.start + path.length + 2;
    el.setSelectionRange(at, at);
    setMention(null);
    el.focus();
  }

  function onInput() {
    const el = input.current;
    if (!el) return;
    const m = mentionAt(el.value, el.selectionStart);
    setMention(m ? { ...m, active: 0 } : null);
  }

  return (
    <div className="prompt-panel">
      <div className="stream-bar">
        <span className={`status status-${status}`} data-testid="stream-status" role="status" aria-live="polite" aria-label={`Model: ${status}`}>
          {status}
        </span>
        <span className="metric" title="Time to first token: submit → first change painted">
          TTFT <b data-testid="metric-ttft">{ttft === null ? '–' : `${Math.round(ttft)} ms`}</b>
        </span>
        <span className="metric" title="Tokens per second while streaming">
          <b data-testid="metric-tps">{tps === null ? '–' : Math.round(tps)}</b> tok/s
        </span>
        <span className="metric">{tokens} tokens</span>
        {context && (
          <span
            className="metric"
            data-testid="context-info"
            data-files={context.files.join(' ')}
            title={`Sent: ${context.files.join(', ') || 'no files'}; ${context.turns} earlier turns${context.truncated.length ? `. Left out for the token budget: ${context.truncated.join(', ')}` : ''}`}
          >
            context <b>{context.tokens.toLocaleString('en')}</b> tokens{context.truncated.length ? ' (trimmed)' : ''}
          </span>
        )}
      </div>
      <TtftDetail />
      {status === 'queued' && queuePosition !== null && (
        <p className="note">
          Waiting for a free slot: position <b data-testid="queue-position">{queuePosition}</b> in the queue. Esc cancels.
        </p>
      )}
      {status === 'streaming' && tokens === 0 && (
        <p className="note" data-testid="awaiting-first-token" role="status">
          Waiting for the model’s first token… Esc stops.
        </p>
      )}
      {status === 'queued' && capacityRetryMs !== null && (
        <p className="note" data-testid="capacity-wait">
          The model is at capacity: waiting for capacity, retrying in {Math.max(1, Math.round(capacityRetryMs / 1000))} s.
        </p>
      )}
      {error && (
        <p className="error-banner" data-testid="error-banner" role="alert" data-code={error.code}>
          {error.message}
          <button className="dismiss" aria-label="Dismiss" onClick={() => runtime.showError(null)}>
            ×
          </button>
        </p>
      )}
      {followups.length > 0 && (
        <div className="followups" data-testid="followup-queue">
          <div className="followups-head">
            Queued follow-ups ({followups.length}) — they run one by one after the current turn
            {!streaming && (
              <button data-testid="followup-run" onClick={() => void runtime.runNextFollowUp()}>
                Run next
              </button>
            )}
          </div>
          {followups.map((f, i) => (
            <div key={f.id} className="followup" data-testid="followup-item">
              <span className="followup-n">{i + 1}</span>
              <input
                data-testid="followup-edit"
                aria-label={`Follow-up ${i + 1}`}
                value={f.text}
                onChange={(e) => runtime.editFollowUp(f.id, e.target.value)}
              />
              <button data-testid="followup-remove" aria-label={`Remove follow-up ${i + 1}`} onClick={() => runtime.removeFollowUp(f.id)}>
                ×
              </button>
            </div>
          ))}
        </div>
      )}
      <div className="prompt-box">
        {mention && suggestions.length > 0 && (
          <ul className="mentions" data-testid="mention-suggestions" role="listbox">
            {suggestions.map((f, i) => (
              <li
                key={f}
                role="option"
                aria-selected={i === mention.active}
                data-testid="mention-option"
                data-path={f}
                className={i === mention.active ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  complete(f);
                }}
              >
                {f}
              </li>
            ))}
          </ul>
        )}
        <textarea
          ref={input}
          data-testid="prompt-input"
          aria-label="Prompt"
          disabled={!canEdit}
          placeholder={
            !canEdit
              ? 'View only: editors can prompt the model'
              : !openPath
              ? 'Open a file first'
              : streaming
                ? 'Redirect: Ctrl+Enter sends now (stops this turn), Enter queues it for after'
                : `Ask for a change to ${openPath} — @ to mention a file, Enter to send, Shift+Enter new line, Esc to stop`
          }
          rows={3}
          onInput={onInput}
          onBlur={() => setMention(null)}
          onKeyDown={(e) => {
            if (mention && suggestions.length > 0) {
              if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                const d = e.key === 'ArrowDown' ? 1 : -1;
                setMention({ ...mention, active: (mention.active + d + suggestions.length) % suggestions.length });
                return;
              }
              if (e.key === 'Enter' || e.key === 'Tab') {
                e.preventDefault();
                complete(suggestions[mention.active]);
                return;
              }
              if (e.key === 'Escape') {
                e.preventDefault();
                setMention(null);
                return;
              }
            }
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              if (!streaming) void submit('send');
              else void submit(e.ctrlKey || e.metaKey ? 'now' : 'queue');
            } else if (e.key === 'Escape') {
              e.preventDefault();
              runtime.interrupt();
            }
          }}
        />
      </div>
      <div className="prompt-actions">
        <select
          data-testid="mode-select"
          aria-label="Model tier"
          value={mode}
          onChange={(e) => setMode(e.target.value === 'deep' ? 'deep' : 'instant')}
          title={tiers ? `instant: ${tiers.instant.model} · deep: ${tiers.deep.model}` : undefined}
        >
          <option value="instant">Instant</option>
          <option value="deep">Deep</option>
        </select>
        <label className="toggle" title="Apply each change as soon as it is complete; undo the whole turn in one click">
          <input type="checkbox" data-testid="instant-toggle" checked={autoApply} onChange={(e) => setAutoApply(e.target.checked)} /> Apply as it streams
        </label>
        <label className="toggle" title="When a change of the answer does not apply, send the model one follow-up saying why, once">
          <input type="checkbox" data-testid="auto-retry-toggle" checked={autoRetry} onChange={(e) => setAutoRetry(e.target.checked)} /> Retry failed changes
        </label>
        <span className="spacer" />
        <BackgroundButton input={input} path={openPath} mode={mode} disabled={!ready || !openPath} />
        {streaming ? (
          <>
            <button data-testid="interrupt" className="danger" onClick={() => runtime.interrupt()}>
              Stop (Esc)
            </button>
            <button data-testid="followup-queue-add" onClick={() => void submit('queue')} title="Run after this turn (Enter)">
              Queue
            </button>
            <button data-testid="followup-send-now" className="primary" onClick={() => void submit('now')} title="Stop this turn and send (Ctrl+Enter)">
              Send now
            </button>
          </>
        ) : (
          <button data-testid="prompt-submit" className="primary" onClick={() => void submit('send')} disabled={!ready || !openPath}>
            Send
          </button>
        )}
      </div>
    </div>
  );
}
