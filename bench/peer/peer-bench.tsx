import { useEffect, useRef, useState } from 'react';
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport } from 'ai';
import type { editor } from 'monaco-editor';
import { loadMonaco } from '@/lib/editor/monaco-setup';
import { DiffView } from '@/lib/editor/diff-view';
import { EditStreamParser, type EditEvent } from '@/lib/edits';
import { placeHunk } from '@/lib/collab/thread';
import { benchHook } from '@/lib/client/bench-hook';
import type { DiffItem } from '@/lib/client/session-runtime';
import { EXAMPLE_PROJECT } from '@/lib/seed/example-project';

const PATH = 'src/cart.ts';
const API = '/api'; // PEER_API in server.ts

/** The block being streamed, as Flint's runtime keeps it. */
interface Block {
  index: number;
  path: string;
  phase: 'search' | 'replace';
  search: string;
  replace: string;
}

/**
 * The peer harness's page: `useChat` reads the route's UI-message stream and the answer is
 * painted into Monaco exactly as Flint paints it — parsed with the same EditStreamParser once per
 * animation frame and drawn by the same DiffView — so the two harnesses differ only in transport.
 */
export function PeerBench() {
  const hostRef = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  const [prompt, setPrompt] = useState('');
  const paint = useRef<{ consumed: number; pending: string; turn: string } | null>(null);
  const viewRef = useRef<{ ed: editor.IStandaloneCodeEditor; diff: DiffView } | null>(null);
  const stateRef = useRef({ parser: new EditStreamParser({ defaultPath: PATH }), block: null as Block | null, closed: [] as DiffItem[], frame: false });
  const { messages, sendMessage, setMessages, stop, status } = useChat({ transport: new DefaultChatTransport({ api: API }) });

  useEffect(() => {
    let disposed = false;
    let ed: editor.IStandaloneCodeEditor | null = null;
    void loadMonaco().then((monaco) => {
      if (disposed || !hostRef.current) return;
      const model = monaco.editor.getModel(monaco.Uri.parse(`file:///${PATH}`)) ?? monaco.editor.createModel(EXAMPLE_PROJECT[PATH], 'typescript', monaco.Uri.parse(`file:///${PATH}`));
      ed = monaco.editor.create(hostRef.current, { model, theme: 'vs-dark', fontSize: 14, minimap: { enabled: false }, automaticLayout: true, scrollBeyondLastLine: false, tabSize: 2 });
      viewRef.current = { ed, diff: new DiffView(monaco, ed) };
      setReady(true);
    });
    return () => {
      disposed = true;
      ed?.dispose();
    };
  }, []);

  // The no-op request, for the benchmark's round-trip measurement.
  useEffect(() => {
    (window as unknown as { __peerNoop?: () => Promise<void> }).__peerNoop = async () => {
      await fetch(API, { method: 'POST', headers: { 'x-bench-noop': '1', 'content-type': 'application/json' }, body: '{}' });
    };
  }, []);

  const frame = () => {
    const st = stateRef.current;
    st.frame = false;
    const p = paint.current;
    const view = viewRef.current;
    if (!p || !p.pending || !view) return;
    const text = p.pending;
    p.pending = '';
    consume(st, st.parser.push(text));
    render(st, view.diff);
    benchHook()?.frame?.(p.turn, text);
  };

  // Each render of the hook's messages: take the new text, paint it on the next frame.
  useEffect(() => {
    const last = messages.at(-1);
    if (!last || last.role !== 'assistant') return;
    const text = last.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
    const p = (paint.current ??= { consumed: 0, pending: '', turn: last.id });
    if (text.length <= p.consumed) return;
    p.pending += text.slice(p.consumed);
    p.consumed = text.length;
    const st = stateRef.current;
    if (!st.frame) {
      st.frame = true;
      requestAnimationFrame(frame);
    }
  });

  const send = () => {
    const st = stateRef.current;
    st.parser = new EditStreamParser({ defaultPath: PATH });
    st.block = null;
    st.closed = [];
    paint.current = null;
    if (viewRef.current) viewRef.current.diff.render([]);
    setMessages([]);
    void sendMessage({ text: prompt });
  };

  const onStop = () => {
    void stop();
    // As Flint does: stop painting at once and drop the half-written block.
    paint.current = null;
    const st = stateRef.current;
    st.block = null;
    if (viewRef.current) render(st, viewRef.current.diff);
  };

  const streaming = status === 'submitted' || status === 'streaming';
  return (
    <main style={{ display: 'grid', gridTemplateRows: 'auto 1fr', height: '100vh' }}>
      <div style={{ display: 'flex', gap: 8, padding: 8 }}>
        <textarea data-testid="prompt-input" value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={1} style={{ flex: 1 }} />
        <button data-testid="prompt-submit" disabled={!ready || streaming} onClick={send}>Send</button>
        {streaming && <button data-testid="interrupt" onClick={onStop}>Stop</button>}
        <span data-testid="stream-status">{status === 'ready' ? (messages.length ? 'done' : 'idle') : status}</span>
      </div>
      <div className="editor" data-testid="editor" data-ready={ready ? 'true' : 'false'} ref={hostRef} style={{ minHeight: 0 }} />
    </main>
  );
}

function consume(st: { block: Block | null; closed: DiffItem[] }, events: EditEvent[]) {
  for (const ev of events) {
    switch (ev.type) {
      case 'blockOpen':
        st.block = { index: ev.index, path: ev.path ?? PATH, phase: 'search', search: '', replace: '' };
        break;
      case 'searchDelta':
        if (st.block) st.block.search += ev.text;
        break;
      case 'searchEnd':
        if (st.block) st.block.phase = 'replace';
        break;
      case 'replaceDelta':
        if (st.block) st.block.replace += ev.text;
        break;
      case 'blockClose':
        if (st.block) {
          const placement = placeHunk(EXAMPLE_PROJECT[PATH], st.block);
          if (placement.ok) st.closed.push({ key: `closed:${st.block.index}`, kind: 'pending', start: placement.start, end: placement.end, added: placement.text });
        }
        st.block = null;
        break;
      case 'blockAbort':
        st.block = null;
        break;
      default:
        break;
    }
  }
}

function render(st: { block: Block | null; closed: DiffItem[] }, diff: DiffView) {
  const items = [...st.closed];
  const b = st.block;
  if (b && b.phase === 'replace') {
    const placement = placeHunk(EXAMPLE_PROJECT[PATH], b);
    if (placement.ok) items.push({ key: `live:${b.index}`, kind: 'live', start: placement.start, end: placement.end, added: placement.text });
  }
  diff.render(items);
}
