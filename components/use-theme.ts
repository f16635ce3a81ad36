'use client';
import { useSyncExternalStore } from 'react';
import { currentTheme, subscribeTheme, type Theme } from '@/lib/client/theme';

/** The page's theme, re-rendering on every change (toggle, other tab, system scheme). */
export function useTheme(): Theme {
  // The server renders dark; the boot script already set the real theme on <html>.
  return useSyncExternalStore(subscribeTheme, currentTheme, () => 'dark');
}
