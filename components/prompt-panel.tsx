'use client';
import { useRef } from 'react';
import { selectIsStreaming, type IdeStore } from '@/lib/stores/ide-store';
import { useIdeStore, useRuntime } from './session-provider';

const selectTtft = (s: IdeStore) => s.stream.ttftMs;
const selectTps = (s: IdeStore) => s.stream.tokensPerSecond;

/** The prompt box, the stream's status and metrics, and errors. */
export function PromptPanel() {
  const runtime = useRuntime();
  const status = useIdeStore((s) => s.stream.status);
  const streaming = useIdeStore(selectIsStreaming);
  const ttft = useIdeStore(selectTtft);
  const tps = useIdeStore(selectTps);
  const tokens = useIdeStore((s) => s.stream.tokens);
  const dropped = useIdeStore((s) => s.stream.dropped);
  const queuePosition = useIdeStore((s) => s.stream.queuePosition);
  const capacityRetryMs = useIdeStore((s) => s.stream.capacityRetryMs);
  const error = useIdeStore((s) => s.error);
  const openPath = useIdeStore((s) => s.openPath);
  const ready = useIdeStore((s) => s.connection === 'ready');
  const mode = useIdeStore((s) => s.mode);
  const setMode = useIdeStore((s) => s.setMode);
  const tiers = useIdeStore((s) => s.tiers);
  const input = useRef<HTMLTextAreaElement>(null);

  async function submit() {
    const text = input.current?.value.trim();
    if (!text || !openPath || streaming) return;
    const r = await runtime.prompt(text, openPath, runtime.selection(openPath), mode);
    if (r.ok && input.current) input.current.value = '';
  }

  return (
    <div className="prompt-panel">
      <div className="stream-bar">
        <span className={`status status-${status}`} data-testid="stream-status">
          {status}
        </span>
        <span className="metric" title="Time to first token: submit → first character painted">
          TTFT <b data-testid="metric-ttft">{ttft === null ? '–' : `${Math.round(ttft)} ms`}</b>
        </span>
        <span className="metric" title="Tokens per second while streaming">
          <b data-testid="metric-tps">{tps === null ? '–' : Math.round(tps)}</b> tok/s
        </span>
        <span className="metric">{tokens} tokens</span>
      </div>
      {status === 'queued' && queuePosition !== null && (
        <p className="note">
          Waiting for a free slot: position <b data-testid="queue-position">{queuePosition}</b> in the queue. Esc cancels.
        </p>
      )}
      {status === 'queued' && capacityRetryMs !== null && (
        <p className="note" data-testid="capacity-wait">
          The model is at capacity: waiting for capacity, retrying in {Math.max(1, Math.round(capacityRetryMs / 1000))} s.
        </p>
      )}
      {status === 'interrupted' && dropped > 0 && (
        <p className="note">Interrupted: {dropped} characters that had arrived were not applied.</p>
      )}
      {error && (
        <p className="error-banner" data-testid="error-banner" role="alert" data-code={error.code}>
          {error.message}
          <button className="dismiss" aria-label="Dismiss" onClick={() => runtime.showError(null)}>
            ×
          </button>
        </p>
      )}
      <textarea
        ref={input}
        data-testid="prompt-input"
        placeholder={openPath ? `Ask for a change to ${openPath} — Enter to send, Shift+Enter for a new line, Esc to stop` : 'Open a file first'}
        rows={3}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void submit();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            runtime.interrupt();
          }
        }}
      />
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
        {streaming ? (
          <button data-testid="interrupt" className="danger" onClick={() => runtime.interrupt()}>
            Stop (Esc)
          </button>
        ) : null}
        <button data-testid="prompt-submit" className="primary" onClick={() => void submit()} disabled={!ready || streaming || !openPath}>
          Send
        </button>
      </div>
    </div>
  );
}
