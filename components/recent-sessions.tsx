'use client';
import { useEffect, useState } from 'react';
import Link from 'next/link';
import { recentSessionHref, recentSessions, type RecentSession } from '@/lib/client/recent-sessions';

function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

/** The sessions this browser created or joined, newest activity first (lib/client/recent-sessions.ts). */
export function RecentSessions() {
  const [list, setList] = useState<RecentSession[] | null>(null);
  useEffect(() => setList(recentSessions()), []);
  if (!list || list.length === 0) return null;
  return (
    <section className="recent">
      <h2>Recent sessions</h2>
      <ul data-testid="recent-sessions">
        {list.map((r) => (
          <li key={r.sessionId} data-testid="recent-session" data-session={r.sessionId}>
            <Link href={recentSessionHref(r)}>
              <span className="recent-name">{r.name}</span>
              <time className="recent-time" dateTime={new Date(r.lastActivity).toISOString()} title={new Date(r.lastActivity).toLocaleString()}>
                {ago(r.lastActivity)}
              </time>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
