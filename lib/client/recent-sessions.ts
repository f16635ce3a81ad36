'use client';

/**
 * The sessions this browser created or joined, newest activity first, kept in localStorage (the
 * identity cookie is HttpOnly and the server keeps no per-person list). A share link's token is
 * kept with its session so the entry opens it again with the same role; it is already in this
 * browser's history.
 */
export interface RecentSession {
  sessionId: string;
  name: string;
  /** ms since the epoch. */
  lastActivity: number;
  token?: string;
}

const KEY = 'flint.recentSessions';
const MAX = 30;

export function recentSessions(): RecentSession[] {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((r): r is RecentSession => typeof r?.sessionId === 'string' && typeof r?.name === 'string' && typeof r?.lastActivity === 'number')
      .sort((a, b) => b.lastActivity - a.lastActivity);
  } catch {
    return [];
  }
}

/**
 * Records activity in a session (joining it, editing in it). Without a `name` (the session's
 * project name is not known yet) the one recorded before is kept.
 */
export function touchRecentSession(entry: Omit<RecentSession, 'lastActivity' | 'name'> & { name?: string; lastActivity?: number }): void {
  try {
    const list = recentSessions().filter((r) => r.sessionId !== entry.sessionId);
    const prev = recentSessions().find((r) => r.sessionId === entry.sessionId);
    const name = entry.name ?? prev?.name ?? 'Example project';
    list.unshift({ ...prev, ...entry, name, token: entry.token ?? prev?.token, lastActivity: entry.lastActivity ?? Date.now() });
    localStorage.setItem(KEY, JSON.stringify(list.slice(0, MAX)));
  } catch {
    // Storage full or disabled: the list is a convenience.
  }
}

export function recentSessionHref(r: RecentSession): string {
  return r.token ? `/s/${r.sessionId}?t=${encodeURIComponent(r.token)}` : `/s/${r.sessionId}`;
}
