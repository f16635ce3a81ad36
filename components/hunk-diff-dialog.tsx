'use client';
import { useEffect } from 'react';
import { DiffEditor } from '@monaco-editor/react';
import { placeHunk, type HunkView } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { monacoTheme } from '@/lib/editor/themes';
import { useTheme } from './use-theme';
import { languageOf } from '@/lib/editor/monaco-setup';
import { useRuntime } from './session-provider';

/** One hunk side by side in Monaco's diff editor: the file now, and the file with the hunk applied. */
export function HunkDiffDialog({ hunk, onClose }: { hunk: HunkView; onClose: () => void }) {
  const runtime = useRuntime();
  const theme = useTheme();
  const original = readFile(runtime.doc, hunk.path) ?? '';
  const placed = placeHunk(original, hunk);
  const modified = placed.ok ? original.slice(0, placed.start) + placed.text + original.slice(placed.end) : original;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div className="dialog wide" role="dialog" aria-label={`Hunk ${hunk.index + 1} side by side`} data-testid="hunk-diff-view" onClick={(e) => e.stopPropagation()}>
        <header className="dialog-head">
          <b>{hunk.path}</b> <span className="muted">hunk #{hunk.index + 1} — left: now, right: with this hunk</span>
          <span className="spacer" />
          <button onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        {!placed.ok && <p className="hunk-conflict">This hunk does not apply to the file as it is now ({placed.detail}), so both sides are the current text.</p>}
        <div className="dialog-diff">
          <DiffEditor
            original={original}
            modified={modified}
            language={languageOf(hunk.path)}
            theme={monacoTheme(theme)}
            options={{ readOnly: true, renderSideBySide: true, minimap: { enabled: false }, automaticLayout: true, scrollBeyondLastLine: false }}
          />
        </div>
      </div>
    </div>
  );
}
