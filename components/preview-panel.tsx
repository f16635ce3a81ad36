'use client';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { getSocket } from '@/lib/client/connection';
import { filesOf } from '@/lib/collab/workspace-doc';
import { revealLocation } from '@/lib/sandbox/editor-bridge';
import { PackagesClient } from '@/lib/sandbox/packages-client';
import { placeSandbox } from '@/lib/sandbox/origin';
import { PreviewClient, type PreviewState } from '@/lib/preview/preview-client';
import { proposalSize, withProposal } from '@/lib/preview/proposal';
import { binariesOf } from '@/lib/workspace/project-doc';
import { readBlob } from './changes-panel';
import { useIdeStore, useRuntime } from './session-provider';
import styles from './preview-panel.module.css';

const IMAGE = /\.(png|jpe?g|gif|webp|avif|ico|svg)$/i;

/**
 * The workspace's files as the preview builds them: text files as they are, binary images of an
 * imported project as base64 data: text once their bytes arrived (`fetched` is called then, to
 * rebuild); the build turns those into data: URL modules.
 */
function snapshot(doc: import('yjs').Doc, images: Map<string, string | null>, fetched: () => void): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, text] of filesOf(doc).entries()) out.set(path, text.toString());
  for (const [path, ref] of binariesOf(doc).entries()) {
    if (!IMAGE.test(path)) continue;
    const have = images.get(ref.sha256);
    if (have) out.set(path, have);
    else if (have === undefined) {
      images.set(ref.sha256, null);
      readBlob(ref.sha256).then(
        (bytes) => {
          let s = '';
          for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          images.set(ref.sha256, `data:;base64,${btoa(s)}`);
          fetched();
        },
        () => images.delete(ref.sha256),
      );
    }
  }
  return out;
}

/**
 * The live preview (lib/preview): the app in a sandboxed frame on the sandbox origin, rebuilt on
 * every change of the workspace, its console, its uncaught error with the stack in source lines
 * (click to open), build errors, and the switch to the workspace with the pending proposal applied.
 */
export function PreviewPanel({ sandboxOrigin = null }: { sandboxOrigin?: string | null }) {
  const runtime = useRuntime();
  const openFile = useIdeStore((s) => s.openFile);
  const hunks = useIdeStore((s) => s.hunks);
  const pending = proposalSize(hunks);
  const [showProposal, setShowProposal] = useState(false);
  const frameRef = useRef<HTMLDivElement>(null);
  const [client, setClient] = useState<PreviewClient | null>(null);
  const options = useRef({ proposal: false, hunks });
  options.current = { proposal: showProposal && pending > 0, hunks };

  useEffect(() => {
    if (!frameRef.current) return;
    const packages = new PackagesClient(runtime.doc, getSocket(), placeSandbox(window.location.origin, sandboxOrigin).origin);
    const images = new Map<string, string | null>();
    let c: PreviewClient | null = null;
    const files = () => {
      const live = snapshot(runtime.doc, images, () => c?.schedule());
      return options.current.proposal ? withProposal(live, options.current.hunks) : live;
    };
    c = new PreviewClient(frameRef.current, sandboxOrigin, files, () => packages.sources());
    const client = c;
    setClient(client);
    const onChange = () => client.schedule();
    const map = filesOf(runtime.doc);
    map.observeDeep(onChange);
    binariesOf(runtime.doc).observe(onChange);
    return () => {
      map.unobserveDeep(onChange);
      binariesOf(runtime.doc).unobserve(onChange);
      client.dispose();
      packages.dispose();
      setClient(null);
    };
  }, [runtime, sandboxOrigin]);

  // The proposal changed (a block closed, a hunk decided) or the switch moved: rebuild.
  useEffect(() => {
    client?.schedule();
  }, [client, showProposal, hunks]);

  return (
    <section className={styles.panel} data-testid="preview-panel" aria-label="Preview">
      <div className={styles.bar}>
        <strong>Preview</strong>
        {client && <Status client={client} />}
        <label className={styles.proposal} title={pending ? 'Show the app with the pending proposal applied (nothing is accepted)' : 'No pending proposal'}>
          <input type="checkbox" data-testid="preview-proposal-toggle" checked={showProposal} disabled={pending === 0 && !showProposal} onChange={(e) => setShowProposal(e.target.checked)} />
          with proposal{pending ? ` (${pending})` : ''}
        </label>
        <button type="button" data-testid="preview-reload" onClick={() => client?.reload()}>
          Reload
        </button>
      </div>
      <div className={styles.stage} ref={frameRef} data-proposal={options.current.proposal ? 'true' : 'false'}>
        {client && <Overlay client={client} onOpen={(path, line, column) => void revealLocation(openFile, path, line, column)} />}
      </div>
      {client && <Console client={client} />}
    </section>
  );
}

function Status({ client }: { client: PreviewClient }) {
  const status = useStore(client.store, (s: PreviewState) => s.status);
  const revision = useStore(client.store, (s: PreviewState) => s.revision);
  const hot = useStore(client.store, (s: PreviewState) => s.hot);
  const loads = useStore(client.store, (s: PreviewState) => s.loads);
  return (
    <span className={styles.status} data-testid="preview-status" data-status={status} data-revision={revision} data-hot={hot} data-loads={loads}>
      {status === 'nothing' ? 'nothing to preview' : status}
    </span>
  );
}

function Overlay({ client, onOpen }: { client: PreviewClient; onOpen: (path: string, line: number, column: number) => void }) {
  const error = useStore(client.store, (s: PreviewState) => s.error);
  const buildErrors = useStore(client.store, (s: PreviewState) => s.buildErrors);
  const status = useStore(client.store, (s: PreviewState) => s.status);
  if (status === 'build-error' || status === 'nothing') {
    return (
      <div className={styles.overlay} data-testid="preview-error" data-kind={status === 'nothing' ? 'nothing' : 'build'} role="alert">
        {buildErrors.map((e, i) => (
          <p key={i}>
            {e.location ? (
              <button type="button" className={styles.link} data-testid="preview-error-location" data-path={e.location.path} data-line={e.location.line} onClick={() => onOpen(e.location!.path, e.location!.line, e.location!.column)}>
                {e.message}
              </button>
            ) : (
              e.message
            )}
          </p>
        ))}
      </div>
    );
  }
  if (!error) return null;
  return (
    <div className={styles.overlay} data-testid="preview-error" data-kind="runtime" role="alert">
      <p className={styles.message}>{error.message}</p>
      <ol>
        {error.frames.map((f, i) => (
          <li key={i}>
            <button type="button" className={styles.link} data-testid="preview-error-location" data-path={f.path} data-line={f.line} onClick={() => onOpen(f.path, f.line, f.column)}>
              {f.fn ? `${f.fn} ` : ''}
              {f.path}:{f.line}:{f.column + 1}
            </button>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => client.store.setState({ error: null })}>
        Dismiss
      </button>
    </div>
  );
}

function Console({ client }: { client: PreviewClient }) {
  const entries = useStore(client.store, (s: PreviewState) => s.console);
  const list = useMemo(() => entries.slice(-200), [entries]);
  return (
    <div className={styles.console} data-testid="preview-console" aria-label="Preview console" aria-live="polite">
      {list.map((e) => (
        <div key={e.id} className={styles[e.level]} data-testid="preview-console-entry" data-level={e.level}>
          {e.text}
        </div>
      ))}
    </div>
  );
}
