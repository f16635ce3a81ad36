'use client';
import type { editor } from 'monaco-editor';
import type { Theme } from '@/lib/client/theme';

type Monaco = typeof import('monaco-editor');

/**
 * Flint's Monaco themes, one per page theme (lib/client/theme.ts). The token colours are chosen
 * to keep WCAG AA contrast (≥ 4.5:1) on the editor background *and* on the tinted background of
 * a line a proposal removes (`.flint-removed` in app/globals.css) — Monaco's stock light theme
 * does not (its comment green on a pink line is ≈4.2:1). Keep the backgrounds in sync with
 * globals.css `--editor-bg`.
 */
export const MONACO_THEMES: Record<Theme, { name: string; data: editor.IStandaloneThemeData }> = {
  dark: {
    name: 'flint-dark',
    data: {
      base: 'vs-dark',
      inherit: true,
      rules: [
        { token: 'comment', foreground: '9ea7b3' },
        { token: 'keyword', foreground: 'ff9492' },
        { token: 'string', foreground: 'a5d6ff' },
        { token: 'number', foreground: '79c0ff' },
        { token: 'type', foreground: 'ffa657' },
      ],
      colors: {
        'editor.background': '#0d1117',
        'editor.foreground': '#e6edf3',
        'editorLineNumber.foreground': '#8b949e',
        'editorLineNumber.activeForeground': '#e6edf3',
        // The number after a file's last newline: dimmer, still AA.
        'editorLineNumber.dimmedForeground': '#7d8590',
        // Unused code is faded, less than Monaco's default, so it keeps AA.
        'editorUnnecessaryCode.opacity': '#000000e6',
        'editorGutter.background': '#0d1117',
      },
    },
  },
  light: {
    name: 'flint-light',
    data: {
      base: 'vs',
      inherit: true,
      rules: [
        { token: '', foreground: '1f2328' },
        { token: 'comment', foreground: '4b5560' },
        { token: 'keyword', foreground: 'a0111f' },
        { token: 'string', foreground: '0a3069' },
        { token: 'number', foreground: '0550ae' },
        { token: 'type', foreground: '8a3c00' },
        { token: 'delimiter', foreground: '1f2328' },
        { token: 'identifier', foreground: '1f2328' },
        { token: 'attribute.name', foreground: 'a0111f' },
        { token: 'metatag', foreground: 'a0111f' },
        { token: 'number.hex', foreground: '0550ae' },
      ],
      colors: {
        'editor.background': '#ffffff',
        'editor.foreground': '#1f2328',
        'editorLineNumber.foreground': '#57606a',
        'editorLineNumber.activeForeground': '#1f2328',
        'editorLineNumber.dimmedForeground': '#656d76',
        'editorUnnecessaryCode.opacity': '#000000e6',
        'editorGutter.background': '#ffffff',
      },
    },
  },
};

let defined = false;

/** Defines both themes once (Monaco's themes are global to the page). */
export function defineMonacoThemes(monaco: Monaco): void {
  if (defined) return;
  defined = true;
  for (const { name, data } of Object.values(MONACO_THEMES)) monaco.editor.defineTheme(name, data);
}

export function monacoTheme(theme: Theme): string {
  return MONACO_THEMES[theme].name;
}
