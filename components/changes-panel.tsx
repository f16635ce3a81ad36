'use client';
import { useEffect, useState } from 'react';
import { getSocket } from '@/lib/client/connection';
import { fetchBlob } from '@/lib/client/projects';
import { touchRecentSession } from '@/lib/client/recent-sessions';
import { baseFiles, ChangeTracker, currentFiles, type Change } from '@/lib/workspace/changes';
import { projectMeta, type ProjectMeta } from '@/lib/workspace/project-doc';
import { useIdeStore, useRuntime } from './session-provider';
import { PushBranch } from './push-branch';

const MARK: Record<Change['change'], string> = { added: 'A', modified: 'M', deleted: 'D' };

/** Reads a binary file's bytes from the server; an error is thrown with the server's message. */
export async function readBlob(sha256: string): Promise<Uint8Array> {
  const r = await fetchBlob(getSocket(), sha256);
  if (!r.ok) throw new Error(r.error.message);
  return new Uint8Array(r.data.bytes);
}

function download(name: string, data: Uint8Array | string, type: string) {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * What changed against the imported base (`changes-panel`), and the ways out: the workspace as a
 * zip, the changes as a patch `git apply` takes. The zip and diff code is loaded on click.
 */
export function ChangesPanel({ sessionId, token }: { sessionId: string; token?: string }) {
  const runtime = useRuntime();
  const openFile = useIdeStore((s) => s.openFile);
  const showBinary = useIdeStore((s) => s.showBinary);
  const role = useIdeStore((s) => s.role);
  const [changes, setChanges] = useState<Change[]>([]);
  const [meta, setMeta] = useState<ProjectMeta | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const tracker = new ChangeTracker(runtime.doc, (list) => {
      setChanges(list);
      setMeta(projectMeta(runtime.doc));
    });
    return () => tracker.stop();
  }, [runtime]);

  // This browser's recent sessions: the session, its name, when it was last open or edited here.
  useEffect(() => {
    if (!role) return;
    // Undefined until the document's project metadata is read: the name recorded at import stays.
    const name = meta?.name;
    touchRecentSession({ sessionId, name, token });
    let last = Date.now();
    const onUpdate = () => {
      if (Date.now() - last < 30_000) return;
      last = Date.now();
      touchRecentSession({ sessionId, name, token });
    };
    runtime.doc.on('update', onUpdate);
    return () => runtime.doc.off('update', onUpdate);
  }, [role, meta?.name, sessionId, token, runtime]);

  const name = (meta?.name ?? 'workspace').replace(/[^\p{L}\p{N}._-]+/gu, '-') || 'workspace';

  async function run(what: string, work: () => Promise<void>) {
    setBusy(what);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(`${what} failed: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="changes-panel" data-testid="changes-panel" aria-label="Changes">
      <div className="changes-head">
        <strong>Changes</strong> {meta ? <span className="muted">against {meta.source === 'git' ? `${meta.ref ?? 'HEAD'} @ ${meta.commit?.slice(0, 7)}` : 'the import'}</span> : <span className="muted">against an empty project</span>}
      </div>
      {changes.length === 0 ? (
        <p className="muted" data-testid="no-changes">
          No changes yet.
        </p>
      ) : (
        <ul>
          {changes.map((c) => (
            <li
              key={c.path}
              data-testid="changed-file"
              data-path={c.path}
              data-change={c.change}
              className="changed-file"
              onClick={() => {
                if (c.change === 'deleted') return;
                if (runtime.doc.getMap('binaries').has(c.path)) showBinary(c.path);
                else openFile(c.path);
              }}
            >
              <span className="change-mark">{MARK[c.change]}</span>
              <span className="file-name">{c.path}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="changes-actions">
        <button
          data-testid="export-zip"
          disabled={busy !== null}
          onClick={() =>
            void run('Zip download', async () => {
              const { buildZip } = await import('@/lib/workspace/export-zip');
              download(`${name}.zip`, await buildZip(currentFiles(runtime.doc), readBlob), 'application/zip');
            })
          }
        >
          {busy === 'Zip download' ? 'Packing…' : 'Download zip'}
        </button>
        <button
          data-testid="export-patch"
          disabled={busy !== null}
          onClick={() =>
            void run('Patch download', async () => {
              const { buildPatch } = await import('@/lib/workspace/patch');
              download(`${name}.patch`, await buildPatch(baseFiles(runtime.doc), currentFiles(runtime.doc), readBlob), 'text/x-diff');
            })
          }
        >
          {busy === 'Patch download' ? 'Diffing…' : 'Download patch'}
        </button>
      </div>
      {meta?.source === 'git' && (role === 'owner' || role === 'editor') && <PushBranch defaultBranch={`flint/${sessionId.slice(0, 8).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`} />}
      {error && (
        <p className="error-banner" role="alert" data-testid="export-error">
          {error}
        </p>
      )}
    </section>
  );
}
