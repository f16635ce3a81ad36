'use client';
import { useEffect, useRef, useState } from 'react';
import type { LinkRole } from '@/lib/protocol';
import { loadLinks, saveLinks } from '@/lib/client/profile';
import { useRuntime } from './session-provider';
import { useCommand } from './commands-context';

const ROWS: Array<{ role: LinkRole; label: string; testid: string; help: string }> = [
  { role: 'editor', label: 'Can edit', testid: 'edit', help: 'Whoever opens it can edit files, prompt the model and review' },
  { role: 'viewer', label: 'View only', testid: 'view', help: 'Whoever opens it can watch: files, cursors, the model’s stream' },
];

/**
 * The owner's share menu: an edit link and a view-only link, each with a capability token the
 * server keeps only as a hash — so this browser remembers the links it created (`null`: revoked).
 * A link is created the first time the menu opens; Regenerate replaces it, Revoke ends it.
 */
export function ShareMenu({ sessionId }: { sessionId: string }) {
  const runtime = useRuntime();
  const [open, setOpen] = useState(false);
  const [links, setLinks] = useState<Partial<Record<LinkRole, string | null>>>(() => loadLinks(sessionId));
  const [copied, setCopied] = useState<LinkRole | null>(null);
  const creating = useRef(new Set<LinkRole>());
  const root = useRef<HTMLDivElement>(null);
  const first = useRef<HTMLInputElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  // Alt+S or the palette: open it with focus on the edit link, ready to copy.
  useCommand('share.open', () => {
    setOpen(true);
    requestAnimationFrame(() => first.current?.focus());
  });

  // A click outside the menu or Esc closes it.
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      // Focus was in the menu: back to its button, not lost with the menu.
      if (root.current?.contains(document.activeElement)) button.current?.focus();
      setOpen(false);
    };
    document.addEventListener('mousedown', onDown, true);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown, true);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  function store(role: LinkRole, token: string | null) {
    setLinks((prev) => {
      const next = { ...prev, [role]: token };
      saveLinks(sessionId, next);
      return next;
    });
  }

  async function create(role: LinkRole) {
    if (creating.current.has(role)) return;
    creating.current.add(role);
    const r = await runtime.createLink(role);
    creating.current.delete(role);
    if (r.ok) store(role, r.data.token);
  }

  async function revoke(role: LinkRole) {
    const r = await runtime.revokeLink(role);
    if (r.ok) store(role, null);
  }

  useEffect(() => {
    if (!open) return;
    for (const { role } of ROWS) if (links[role] === undefined) void create(role);
    // Only on opening: a revoked link (null) stays revoked until asked for again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const url = (token: string) => `${window.location.origin}/s/${sessionId}?t=${token}`;

  return (
    <div className="share" ref={root}>
      <button ref={button} type="button" data-testid="share-button" className="share-button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Share
      </button>
      {open && (
        <div className="share-menu" data-testid="share-menu" role="dialog" aria-label="Share this session">
          {ROWS.map(({ role, label, testid, help }) => {
            const token = links[role];
            return (
              <div className="share-row" key={role} title={help}>
                <label htmlFor={`share-${testid}`}>{label}</label>
                <input
                  ref={role === 'editor' ? first : undefined}
                  id={`share-${testid}`}
                  readOnly
                  data-testid={`share-link-${testid}`}
                  value={token ? url(token) : ''}
                  placeholder={token === null ? 'Revoked' : 'Creating…'}
                  onFocus={(e) => e.currentTarget.select()}
                />
                <button
                  type="button"
                  data-testid={`share-copy-${testid}`}
                  disabled={!token}
                  onClick={() => {
                    if (!token) return;
                    void navigator.clipboard?.writeText(url(token)).then(
                      () => setCopied(role),
                      () => setCopied(null),
                    );
                  }}
                >
                  {copied === role ? 'Copied' : 'Copy'}
                </button>
                <button type="button" data-testid={`share-regenerate-${testid}`} onClick={() => void create(role)} title="A new link; the old one stops working">
                  {token ? 'Regenerate' : 'New link'}
                </button>
                <button type="button" data-testid={`share-revoke-${testid}`} className="danger" disabled={!token} onClick={() => void revoke(role)}>
                  Revoke
                </button>
              </div>
            );
          })}
          <p className="share-note">Links are shown only here: Flint keeps a hash of each. Regenerate or revoke to end access; whoever joined with a revoked link leaves the session.</p>
        </div>
      )}
    </div>
  );
}
