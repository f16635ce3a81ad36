'use client';
import { useIdeStore } from './session-provider';

function bytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * What the selected tier cannot do yet, in words: the default model downloading (bytes, %, ETA),
 * or the tier unavailable with the reason and how to configure one. Renders nothing when ready.
 * The editor, files and pairing keep working either way.
 */
export function TierNotice() {
  const mode = useIdeStore((s) => s.mode);
  const status = useIdeStore((s) => s.tierStatus[s.mode]);
  if (!status || status.state === 'ready' || status.state === 'warming') return null;
  if (status.state === 'downloading') {
    const p = status.progress;
    return (
      <p className="note tier-notice" data-testid="tier-download" role="status">
        Downloading the default local model for {mode}
        {p?.percent != null ? `: ${p.percent}%` : '…'}
        {p ? ` (${bytes(p.bytes)}${p.totalBytes ? ` of ${bytes(p.totalBytes)}` : ''}${p.etaSeconds != null ? `, about ${p.etaSeconds} s left` : ''})` : ''}
      </p>
    );
  }
  return (
    <div className="tier-notice tier-unavailable" data-testid="tier-unavailable" role="alert">
      <p>
        <b>No model for {mode}.</b> {status.reason}
      </p>
      {status.help && (
        <p className="note" data-testid="tier-help">
          {status.help}
        </p>
      )}
      <p className="note">You can still edit, share and run tests; prompts work once a tier is configured.</p>
    </div>
  );
}
