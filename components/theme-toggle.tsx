'use client';
import { toggleTheme } from '@/lib/client/theme';
import { useTheme } from './use-theme';

/** Light / dark. Follows the system's `prefers-color-scheme` until used; then kept per browser. */
export function ThemeToggle() {
  const theme = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button type="button" className="theme-toggle" data-testid="theme-toggle" data-theme={theme} aria-label={`Switch to the ${next} theme`} title={`Switch to the ${next} theme`} onClick={() => toggleTheme()}>
      <span aria-hidden="true">{theme === 'dark' ? '☾' : '☀'}</span>
    </button>
  );
}
