'use client';
import { useEffect, useRef, useState } from 'react';
import Editor from '@monaco-editor/react';
import type { editor } from 'monaco-editor';
import * as Y from 'yjs';
import { loadMonaco, languageOf, type Monaco } from '@/lib/editor/monaco-setup';
import { monacoTheme } from '@/lib/editor/themes';
import { ModelRegistry } from '@/lib/editor/model-registry';
import { DiffView } from '@/lib/editor/diff-view';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';
import type { TextTarget } from '@/lib/collab/thread';
import type { DiffItem } from '@/lib/client/session-runtime';
import { selectCanEdit, selectIsStreaming, type Participant } from '@/lib/stores/ide-store';
import { useIdeStore, useRuntime } from './session-provider';
import { useTheme } from './use-theme';

/**
 * The Monaco editor of the open file. Monaco and y-monaco load client-side only, after mount;
 * every file has a live model (ModelRegistry) and the editor switches between them. Proposed
 * changes are painted by a DiffView; accepts write through the models so they are undo steps.
 */
export function CodeEditor() {
  const runtime = useRuntime();
  const theme = useTheme();
  const openPath = useIdeStore((s) => s.openPath);
  const connection = useIdeStore((s) => s.connection);
  const streaming = useIdeStore(selectIsStreaming);
  const canEdit = useIdeStore(selectCanEdit);
  const participants = useIdeStore((s) => s.participants);
  const following = useIdeStore((s) => s.following);
  const follow = useIdeStore((s) => s.follow);
  const openFile = useIdeStore((s) => s.openFile);
  const [monaco, setMonaco] = useState<Monaco | null>(null);
  const [registry, setRegistry] = useState<ModelRegistry | null>(null);
  const editorRef = useRef<editor.IStandaloneCodeEditor | null>(null);
  const diffRef = useRef<DiffView | null>(null);
  const itemsRef = useRef<ReadonlyMap<string, DiffItem[]>>(new Map());
  const pendingReveal = useRef<{ path: string; offset: number } | null>(null);
  const streamingKey = useRef<editor.IContextKey<boolean> | null>(null);

  useEffect(() => {
    let cancelled = false;
    let reg: ModelRegistry | null = null;
    void (async () => {
      const m = await loadMonaco();
      const { MonacoBinding } = await import('y-monaco');
      if (cancelled) return;
      reg = new ModelRegistry(m, MonacoBinding, runtime.doc, runtime.awareness);
      setMonaco(m);
      setRegistry(reg);
      const doc = runtime.doc;
      const target: TextTarget = {
        batch(fn) {
          // One undo step per model: stack elements around the whole batch.
          const models = [...filesOf(doc).keys()].map((p) => reg?.get(p)).filter((x): x is editor.ITextModel => !!x);
          for (const model of models) model.pushStackElement();
          fn();
          for (const model of models) if (!model.isDisposed()) model.pushStackElement();
        },
        read: (path) => reg?.get(path)?.getValue() ?? readFile(doc, path) ?? null,
        replace(path, start, end, text) {
          const model = reg?.get(path);
          if (!model) {
            filesOf(doc).set(path, new Y.Text(text));
            return;
          }
          const a = model.getPositionAt(start);
          const b = model.getPositionAt(end);
          model.pushEditOperations([], [{ range: new m.Range(a.lineNumber, a.column, b.lineNumber, b.column), text }], () => null);
        },
        remove: (path) => filesOf(doc).delete(path),
      };
      runtime.attachEditor({
        selection(path) {
          const model = reg?.get(path);
          const ed = editorRef.current;
          if (!model) return { start: 0, end: 0 };
          const sel = ed && ed.getModel() === model ? ed.getSelection() : null;
          if (!sel) return { start: 0, end: 0 };
          return { start: model.getOffsetAt(sel.getStartPosition()), end: model.getOffsetAt(sel.getEndPosition()) };
        },
        paint(items) {
          itemsRef.current = items;
          const ed = editorRef.current;
          const path = ed?.getModel()?.uri.path.slice(1);
          if (ed && diffRef.current && path !== undefined) diffRef.current.render(items.get(path) ?? []);
        },
        target: () => target,
        reveal(path, offset) {
          const ed = editorRef.current;
          const model = reg?.get(path);
          if (ed && model && ed.getModel() === model) {
            const pos = model.getPositionAt(offset);
            ed.revealLineInCenter(pos.lineNumber);
            ed.setPosition(pos);
          } else {
            pendingReveal.current = { path, offset };
          }
        },
      });
    })();
    return () => {
      cancelled = true;
      runtime.attachEditor(null);
      reg?.destroy();
    };
  }, [runtime]);

  useEffect(() => {
    streamingKey.current?.set(streaming);
  }, [streaming]);

  // Follow mode: show the followed person's file, scrolled where they are.
  const followed = following === null ? null : (participants.find((p) => p.clientId === following) ?? null);
  useEffect(() => {
    if (!followed?.file) return;
    if (followed.file !== openPath) {
      openFile(followed.file);
      return;
    }
    const ed = editorRef.current;
    if (ed && followed.top !== null && ed.getModel()?.uri.path.slice(1) === followed.file) {
      ed.setScrollTop(ed.getTopForLineNumber(followed.top));
    }
  }, [followed?.file, followed?.top, openPath, openFile, followed]);

  const ready = monaco && registry && connection !== 'connecting' && connection !== 'joining' && openPath && registry.get(openPath);

  // Switching files: repaint the new file's proposals, and honour a reveal asked for before.
  useEffect(() => {
    const ed = editorRef.current;
    if (!ready || !ed || !openPath) return;
    diffRef.current?.render(itemsRef.current.get(openPath) ?? []);
    const want = pendingReveal.current;
    if (want && want.path === openPath && ed.getModel()) {
      pendingReveal.current = null;
      const pos = ed.getModel()!.getPositionAt(want.offset);
      ed.revealLineInCenter(pos.lineNumber);
      ed.setPosition(pos);
    }
  }, [ready, openPath]);

  return (
    <div
      className="editor"
      data-testid="editor"
      data-path={openPath ?? undefined}
      data-ready={ready ? 'true' : 'false'}
      data-readonly={canEdit ? 'false' : 'true'}
      data-following={followed ? followed.name : undefined}
      // Any move of your own ends follow mode.
      onMouseDownCapture={() => following !== null && follow(null)}
      onKeyDownCapture={() => following !== null && follow(null)}
      onWheelCapture={() => following !== null && follow(null)}
    >
      <style>{remoteCursorCss(participants)}</style>
      {followed && <div className="following-banner" data-testid="following">Following {followed.name}</div>}
      {ready ? (
        <Editor
          path={`file:///${openPath}`}
          language={languageOf(openPath)}
          theme={monacoTheme(theme)}
          keepCurrentModel
          options={{
            fontSize: 14,
            minimap: { enabled: false },
            automaticLayout: true,
            scrollBeyondLastLine: false,
            tabSize: 2,
            readOnly: !canEdit,
            readOnlyMessage: { value: 'You joined with a view-only link.' },
          }}
          onMount={(ed, m) => {
            editorRef.current = ed;
            registry?.attachEditor(ed);
            // Tell the others where I am (file, first visible line), at most once per frame.
            let scheduled = false;
            const publish = () => {
              if (scheduled) return;
              scheduled = true;
              requestAnimationFrame(() => {
                scheduled = false;
                const path = ed.getModel()?.uri.path.slice(1) ?? null;
                runtime.setLocation(path, ed.getVisibleRanges()[0]?.startLineNumber ?? null);
              });
            };
            ed.onDidScrollChange(publish);
            ed.onDidChangeModel(publish);
            publish();
            diffRef.current = new DiffView(m, ed);
            ed.onDidChangeModel(() => {
              const path = ed.getModel()?.uri.path.slice(1);
              if (path !== undefined) diffRef.current?.render(itemsRef.current.get(path) ?? []);
            });
            const path = ed.getModel()?.uri.path.slice(1);
            if (path !== undefined) diffRef.current.render(itemsRef.current.get(path) ?? []);
            streamingKey.current = ed.createContextKey('flintStreaming', false);
            streamingKey.current.set(streaming);
            // Esc interrupts a running stream, unless a widget (suggest, find) wants it first.
            ed.addCommand(m.KeyCode.Escape, () => runtime.interrupt(), 'flintStreaming && !suggestWidgetVisible && !findWidgetVisible');
          }}
        />
      ) : (
        <div className="editor-loading">{openPath ? 'Loading editor…' : 'No file open'}</div>
      )}
    </div>
  );
}

/** A CSS string literal for any text (a person's name), escaped so it cannot end the rule. */
function cssString(text: string): string {
  return `"${[...text].map((c) => (/[\p{L}\p{N} _.-]/u.test(c) ? c : `\\${c.codePointAt(0)!.toString(16)} `)).join('')}"`;
}

/** Each other participant's cursor and selection in their colour, with their name above the cursor. */
function remoteCursorCss(participants: Participant[]): string {
  return participants
    .filter((p) => !p.self && /^#[0-9a-fA-F]{6}$/.test(p.color))
    .map(
      (p) =>
        `.yRemoteSelection-${p.clientId}{background-color:${p.color}40}` +
        `.yRemoteSelectionHead-${p.clientId}{border-color:${p.color}}` +
        `.yRemoteSelectionHead-${p.clientId}::after{content:${cssString(p.name)};background:${p.color}}`,
    )
    .join('\n');
}
