/**
 * The colour theme: `light`, `dark`, or `system` (follows `prefers-color-scheme`, the default
 * until the person picks one). The choice is kept per browser (localStorage) and applied to
 * `<html data-theme>` before the first paint by `THEME_BOOT_SCRIPT` (app/layout.tsx inlines it
 * with the page's CSP nonce), so a dark-theme reader never sees a light flash.
 *
 * app/globals.css reads `data-theme` (its tokens are `light-dark()` pairs, switched through
 * `color-scheme`); Monaco follows through `monacoTheme` (lib/editor/themes.ts defines them).
 */
export type ThemePref = 'light' | 'dark' | 'system';
export type Theme = 'light' | 'dark';

/** localStorage key; keep in sync with THEME_BOOT_SCRIPT. */
export const THEME_KEY = 'flint:theme';
const CHANGED = 'flint:theme-changed';

function systemTheme(): Theme {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function readThemePref(): ThemePref {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export function resolveTheme(pref: ThemePref): Theme {
  return pref === 'system' ? systemTheme() : pref;
}

/** The theme on the page now. */
export function currentTheme(): Theme {
  return resolveTheme(readThemePref());
}

function apply(theme: Theme): void {
  const root = document.documentElement;
  root.dataset.theme = theme;
  root.style.colorScheme = theme;
}

/** Saves the choice for this browser and applies it; `system` forgets it. */
export function setThemePref(pref: ThemePref): void {
  try {
    if (pref === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, pref);
  } catch {
    // Storage refused (private mode): the choice holds for this page only.
  }
  apply(resolveTheme(pref));
  window.dispatchEvent(new Event(CHANGED));
}

/** Switches to the other theme of the one shown, and keeps that choice. */
export function toggleTheme(): Theme {
  const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
  setThemePref(next);
  return next;
}

/**
 * Calls `fn` with the theme whenever it changes: the toggle, another tab's toggle (storage
 * event), or the system's scheme while the choice is `system`. Returns the unsubscribe.
 */
export function subscribeTheme(fn: (theme: Theme) => void): () => void {
  const media = matchMedia('(prefers-color-scheme: light)');
  const update = () => {
    const theme = currentTheme();
    apply(theme);
    fn(theme);
  };
  const onStorage = (e: StorageEvent) => e.key === THEME_KEY && update();
  window.addEventListener(CHANGED, update);
  window.addEventListener('storage', onStorage);
  media.addEventListener('change', update);
  return () => {
    window.removeEventListener(CHANGED, update);
    window.removeEventListener('storage', onStorage);
    media.removeEventListener('change', update);
  };
}

/**
 * Runs in `<head>` before the body paints: the saved choice, else the system's scheme.
 * Keep in sync with `readThemePref` / `apply` above.
 */
export const THEME_BOOT_SCRIPT = `(function(){try{var v=localStorage.getItem(${JSON.stringify(THEME_KEY)});var t=v==='light'||v==='dark'?v:(matchMedia('(prefers-color-scheme: light)').matches?'light':'dark');var r=document.documentElement;r.dataset.theme=t;r.style.colorScheme=t;}catch(e){}})();`;
