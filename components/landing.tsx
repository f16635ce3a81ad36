'use client';
import { useEffect, useState } from 'react';
import { useRouter } from 'next/navigation';
import type { ProtocolError, Response } from '@/lib/protocol';
import { getSocket } from '@/lib/client/connection';
import { hello } from '@/lib/client/session-runtime';
import { touchRecentSession } from '@/lib/client/recent-sessions';
import { OpenProject } from './open-project';
import { RecentSessions } from './recent-sessions';
import { ThemeToggle } from './theme-toggle';

export function Landing() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ProtocolError | null>(null);

  // Open the tab's socket at page load, so the session page starts on a warm connection.
  useEffect(() => {
    const socket = getSocket();
    // A connection the server refused (e.g. too many from this address) says why in `data`.
    const onError = (err: Error & { data?: ProtocolError }) => {
      if (err.data?.code) setError(err.data);
    };
    socket.on('connect_error', onError);
    return () => void socket.off('connect_error', onError);
  }, []);

  async function newSession() {
    setBusy(true);
    setError(null);
    const socket = getSocket();
    const hi = await hello(socket);
    const created: Response<{ sessionId: string }> = hi.ok
      ? await new Promise((resolve) => socket.emit('session:create', {}, resolve))
      : hi;
    if (!created.ok) {
      setError(created.error);
      setBusy(false);
      return;
    }
    touchRecentSession({ sessionId: created.data.sessionId, name: 'Example project' });
    router.push(`/s/${created.data.sessionId}`);
  }

  return (
    <main className="landing">
      <div className="landing-corner">
        <ThemeToggle />
      </div>
      <h1>
        <span className="logo">◆</span> Flint
      </h1>
      <p>Live coding with very fast models. Ask for a change and watch it stream into the editor.</p>
      <button data-testid="new-session" className="primary" onClick={newSession} disabled={busy}>
        {busy ? 'Starting…' : 'New session'}
      </button>
      <OpenProject onError={setError} />
      {error && (
        <p className="error-banner" data-testid="error-banner" role="alert" data-code={error.code}>
          {error.message}
        </p>
      )}
      <RecentSessions />
    </main>
  );
}
