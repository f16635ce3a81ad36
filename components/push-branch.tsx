'use client';
import { useState } from 'react';
import { getSocket } from '@/lib/client/connection';
import { pushBranch } from '@/lib/client/projects';
import type { ProtocolError } from '@/lib/protocol';

/**
 * For a session cloned from git: push its changes as a branch of the origin, with a token the
 * person types. The token is sent with that one request and cleared from the form right after;
 * nothing keeps it (not the store, not the browser's storage).
 */
export function PushBranch({ defaultBranch }: { defaultBranch: string }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ProtocolError | null>(null);
  const [done, setDone] = useState<{ branch: string; url: string; commit: string } | null>(null);

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    const tokenInput = form.elements.namedItem('token') as HTMLInputElement;
    const req = { branch: String(data.get('branch') ?? '').trim(), token: String(data.get('token') ?? ''), username: String(data.get('username') ?? '').trim() || undefined, message: String(data.get('message') ?? '').trim() || undefined };
    tokenInput.value = '';
    setBusy(true);
    setError(null);
    setDone(null);
    const r = await pushBranch(getSocket(), req);
    setBusy(false);
    if (r.ok) setDone(r.data);
    else setError(r.error);
  }

  if (!open) {
    return (
      <button data-testid="push-open" onClick={() => setOpen(true)}>
        Push a branch…
      </button>
    );
  }
  return (
    <form
      className="push-form"
      data-testid="push-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <input name="branch" data-testid="push-branch" defaultValue={defaultBranch} required aria-label="Branch name" />
      <input name="username" data-testid="push-username" placeholder="user (optional)" aria-label="User name" autoComplete="off" />
      <input name="token" data-testid="push-token" type="password" placeholder="access token" required aria-label="Access token" autoComplete="off" />
      <input name="message" data-testid="push-message" placeholder="commit message (optional)" aria-label="Commit message" />
      <button type="submit" data-testid="push-submit" disabled={busy}>
        {busy ? 'Pushing…' : 'Push'}
      </button>
      {done && (
        <p data-testid="push-result" role="status">
          Pushed <code>{done.branch}</code> ({done.commit.slice(0, 7)}):{' '}
          {/^https?:\/\/\S+$/.test(done.url) ? (
            <a href={done.url} target="_blank" rel="noreferrer" data-testid="push-url">
              {done.url}
            </a>
          ) : (
            <span data-testid="push-url">{done.url}</span>
          )}
        </p>
      )}
      {error && (
        <p className="error-banner" role="alert" data-testid="push-error" data-code={error.code}>
          {error.message}
        </p>
      )}
    </form>
  );
}
