'use client';
import { useEffect, useRef, useState } from 'react';
import Editor from '@monaco-editor/react';
import type { editor } from 'monaco-editor';
import { loadMonaco, languageOf, type Monaco } from '@/lib/editor/monaco-setup';
import { ModelRegistry } from '@/lib/editor/model-registry';
import { StreamInserter } from '@/lib/editor/stream-inserter';
import { selectIsStreaming } from '@/lib/stores/ide-store';
import { useIdeStore, useRuntime } from './session-provider';

/**
 * The Monaco editor of the open file. Monaco and y-monaco load client-side only, after mount;
 * every file has a live model (ModelRegistry) and the editor switches between them.
 */
export function CodeEditor() {
  const runtime = useRuntime();
  const openPath = useIdeStore((s) => s.openPath);
  const connection = useIdeStore((s) => s.connection);
  const streaming = useIdeStore(selectIsStreaming);
  const [monaco, setMonaco] = useState<Monaco | null>(null);
  const [registry, setRegistry] = useState<ModelRegistry | null>(null);
  const editorRef = useRef<editor.IStandaloneCodeEditor | null>(null);
  const streamingKey = useRef<editor.IContextKey<boolean> | null>(null);

  useEffect(() => {
    let cancelled = false;
    let reg: ModelRegistry | null = null;
    void (async () => {
      const m = await loadMonaco();
      const { MonacoBinding } = await import('y-monaco');
      if (cancelled) return;
      reg = new ModelRegistry(m, MonacoBinding, runtime.doc);
      setMonaco(m);
      setRegistry(reg);
      runtime.attachSink({
        selection(path) {
          const model = reg?.get(path);
          const ed = editorRef.current;
          if (!model) return { start: 0, end: 0 };
          const sel = ed && ed.getModel() === model ? ed.getSelection() : null;
          if (!sel) {
            const end = model.getValueLength();
            return { start: end, end };
          }
          const a = model.getOffsetAt(sel.getStartPosition());
          const b = model.getOffsetAt(sel.getEndPosition());
          return { start: a, end: b };
        },
        begin(path, selection) {
          const model = reg?.get(path);
          if (!model) return null;
          const inserter = new StreamInserter(m, model, selection);
          return {
            insert(text) {
              inserter.insert(text);
              const ed = editorRef.current;
              const end = inserter.end();
              if (ed && end && ed.getModel() === model) ed.revealPositionInCenterIfOutsideViewport(end);
            },
            close: () => inserter.close(),
            clear: () => inserter.clear(),
            get length() {
              return inserter.length;
            },
          };
        },
      });
    })();
    return () => {
      cancelled = true;
      runtime.attachSink(null);
      reg?.destroy();
    };
  }, [runtime]);

  useEffect(() => {
    streamingKey.current?.set(streaming);
  }, [streaming]);

  const ready = monaco && registry && connection !== 'connecting' && connection !== 'joining' && openPath && registry.get(openPath);
  return (
    <div className="editor" data-testid="editor" data-path={openPath ?? undefined} data-ready={ready ? 'true' : 'false'}>
      {ready ? (
        <Editor
          path={`file:///${openPath}`}
          language={languageOf(openPath)}
          theme="vs-dark"
          keepCurrentModel
          options={{
            fontSize: 14,
            minimap: { enabled: false },
            automaticLayout: true,
            scrollBeyondLastLine: false,
            tabSize: 2,
          }}
          onMount={(ed, m) => {
            editorRef.current = ed;
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
