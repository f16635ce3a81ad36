'use client';
import { LIMITS } from '@/lib/protocol';

/**
 * The name and colour a person shows in presence, kept in this browser's localStorage (the
 * identity itself is an HttpOnly cookie the page never sees).
 */
export interface Profile {
  name: string;
  color: string;
}

const KEY = 'flint:profile';
export const PALETTE = ['#e06c75', '#61afef', '#98c379', '#e5c07b', '#c678dd', '#56b6c2', '#d19a66', '#f472b6'];
const ANIMALS = ['Otter', 'Heron', 'Lynx', 'Fox', 'Wren', 'Orca', 'Ibex', 'Kite', 'Panda', 'Stoat'];

function random<T>(items: T[]): T {
  return items[crypto.getRandomValues(new Uint32Array(1))[0] % items.length];
}

export function normalizeName(name: string): string {
  return name.trim().slice(0, LIMITS.maxDisplayNameChars);
}

export function loadProfile(): Profile {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Profile> | null;
    if (saved && typeof saved.name === 'string' && normalizeName(saved.name) && typeof saved.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(saved.color)) {
      return { name: normalizeName(saved.name), color: saved.color };
    }
  } catch {
    // Unreadable storage: a fresh profile below.
  }
  const profile = { name: `${random(ANIMALS)} ${Math.floor(Math.random() * 90 + 10)}`, color: random(PALETTE) };
  saveProfile(profile);
  return profile;
}

export function saveProfile(profile: Profile): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(profile));
  } catch {
    // Private mode or full storage: the profile lasts for this page only.
  }
}

/** Share links this browser created, by session: only the server's hash survives elsewhere. */
export function loadLinks(sessionId: string): Partial<Record<'editor' | 'viewer', string | null>> {
  try {
    return (JSON.parse(localStorage.getItem(`flint:links:${sessionId}`) ?? '{}') as Partial<Record<'editor' | 'viewer', string | null>>) ?? {};
  } catch {
    return {};
  }
}

/** `null`: the owner revoked that link (it is not created again by just opening the menu). */
export function saveLinks(sessionId: string, links: Partial<Record<'editor' | 'viewer', string | null>>): void {
  try {
    localStorage.setItem(`flint:links:${sessionId}`, JSON.stringify(links));
  } catch {
    // See saveProfile.
  }
}
