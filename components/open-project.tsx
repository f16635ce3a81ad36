'use client';
import { useEffect, useRef, useState } from 'react';
import { useRouter } from 'next/navigation';
import type { ProjectCreated, ProtocolError, Response, ServerLimits, TemplateName } from '@/lib/protocol';
import { protocolError } from '@/lib/protocol/errors';
import { getSocket } from '@/lib/client/connection';
import { cloneRepository, importZip, serverLimits, startTemplate, type ProgressReport } from '@/lib/client/projects';
import { touchRecentSession } from '@/lib/client/recent-sessions';
import { directoryPicker, folderFromDrop, folderFromFileList, folderFromHandle, packFolder, type PickedFolder } from '@/lib/workspace/folder';

/** Keep in sync with `TemplateName` (lib/protocol/values.ts) and server/projects/templates.ts. */
const TEMPLATES: Array<{ id: TemplateName; title: string; about: string }> = [
  { id: 'ts-library', title: 'TypeScript library', about: 'functions with describe/it tests' },
  { id: 'react-app', title: 'React app', about: 'a component and its tested logic' },
  { id: 'python-package', title: 'Python package', about: 'a module with pytest-style tests' },
];

const DEFAULT_IMPORT_LIMITS = { maxFiles: 2_000, maxBytes: 32 * 1024 * 1024, maxFileBytes: 8 * 1024 * 1024 };

/**
 * The landing page's "Open project": a folder (picker, File System Access, or dropped on the
 * page), a zip, a git URL, a template. Each ends in a new session the page opens, or in a typed
 * error shown here (nothing is created then: the server creates the session last).
 */
export function OpenProject({ onError }: { onError: (e: ProtocolError | null) => void }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const busy = progress !== null;
  const folderInput = useRef<HTMLInputElement>(null);
  const [canPick, setCanPick] = useState(false);
  useEffect(() => setCanPick(directoryPicker() !== null), []);

  async function finish(name: string, r: Response<ProjectCreated>) {
    if (!r.ok) {
      setProgress(null);
      onError(r.error);
      return;
    }
    touchRecentSession({ sessionId: r.data.sessionId, name });
    setProgress(`Opening ${name}…`);
    router.push(`/s/${r.data.sessionId}`);
  }

  const report = (p: ProgressReport) => setProgress(`${p.phase}${p.total ? ` ${Math.round((p.loaded / p.total) * 100)}%` : p.loaded ? ` ${p.loaded}` : ''}`);

  async function importFolder(folder: PickedFolder) {
    onError(null);
    if (folder.files.length === 0) return onError(protocolError('importInvalid', 'That folder has no files to import.'));
    setProgress(`Reading ${folder.name}…`);
    try {
      const socket = getSocket();
      const limits = await serverLimits(socket);
      const importLimits = (limits.ok && (limits.data as ServerLimits | undefined)?.import) || DEFAULT_IMPORT_LIMITS;
      const packed = await packFolder(folder, importLimits, (done, total) => setProgress(`Reading files ${done}/${total}`));
      setProgress('Uploading…');
      await finish(folder.name, await importZip(socket, folder.name, packed.zip, report));
    } catch (err) {
      setProgress(null);
      const e = err as Error & { code?: string };
      onError(protocolError(e.code === 'limitExceeded' ? 'limitExceeded' : 'importInvalid', e.message));
    }
  }

  async function importZipFile(file: File) {
    onError(null);
    const name = file.name.replace(/\.zip$/i, '') || 'project';
    setProgress(`Uploading ${file.name}…`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    await finish(name, await importZip(getSocket(), name, bytes, report));
  }

  async function clone(form: HTMLFormElement) {
    onError(null);
    const data = new FormData(form);
    let url = String(data.get('url') ?? '').trim();
    let ref = String(data.get('ref') ?? '').trim() || undefined;
    // "https://host/repo.git#branch" names the branch too.
    const hash = url.indexOf('#');
    if (hash > 0) (ref ??= url.slice(hash + 1) || undefined), (url = url.slice(0, hash));
    if (!url) return;
    setProgress('Connecting…');
    const name = url.replace(/\/+$/, '').split('/').pop()?.replace(/\.git$/, '') || url;
    await finish(name, await cloneRepository(getSocket(), url, ref, report));
  }

  async function template(id: TemplateName, title: string) {
    onError(null);
    setProgress(`Starting ${title}…`);
    await finish(title, await startTemplate(getSocket(), id));
  }

  // Dropping a folder (or a zip) anywhere on the page imports it.
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = () => setDragging(false);
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer) return;
      e.preventDefault();
      setDragging(false);
      const files = [...e.dataTransfer.files];
      // Entries must be taken now, inside the event: folderFromDrop does so before its first await.
      const fromEntries = folderFromDrop(e.dataTransfer.items);
      void fromEntries.then((folder) => {
        if (files.length === 1 && /\.zip$/i.test(files[0].name) && (!folder || folder.files.length <= 1)) return importZipFile(files[0]);
        if (folder && folder.files.length > 0) return importFolder(folder);
        if (files.length > 0) return importFolder(folderFromFileList(files.map((f) => f)));
      });
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <section className={`open-project${dragging ? ' dragging' : ''}`}>
      <button data-testid="open-project" aria-expanded={open} onClick={() => setOpen((o) => !o)} disabled={busy}>
        Open project…
      </button>
      {open && (
        <div className="open-project-choices" data-testid="open-project-choices">
          <div className="choice">
            <h3>Folder</h3>
            <label className="file-button">
              Choose a folder
              <input
                ref={folderInput}
                data-testid="import-folder-input"
                type="file"
                disabled={busy}
                // React has no typed prop for these; the browser needs both spellings on some engines.
                {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
                onChange={(e) => {
                  const list = e.currentTarget.files;
                  if (list && list.length) void importFolder(folderFromFileList(list));
                  e.currentTarget.value = '';
                }}
              />
            </label>
            {canPick && (
              <button
                data-testid="import-folder-pick"
                disabled={busy}
                onClick={async () => {
                  try {
                    const handle = await directoryPicker()!();
                    await importFolder(await folderFromHandle(handle));
                  } catch (err) {
                    if ((err as Error).name !== 'AbortError') onError(protocolError('importInvalid', (err as Error).message));
                  }
                }}
              >
                Open with access…
              </button>
            )}
            <p className="hint">or drop a folder or a .zip anywhere on this page</p>
          </div>
          <div className="choice">
            <h3>Zip</h3>
            <label className="file-button">
              Choose a .zip
              <input
                data-testid="import-zip-input"
                type="file"
                accept=".zip,application/zip"
                disabled={busy}
                onChange={(e) => {
                  const f = e.currentTarget.files?.[0];
                  if (f) void importZipFile(f);
                  e.currentTarget.value = '';
                }}
              />
            </label>
          </div>
          <form
            className="choice"
            onSubmit={(e) => {
              e.preventDefault();
              void clone(e.currentTarget);
            }}
          >
            <h3>Git repository</h3>
            <input name="url" data-testid="import-git-url" type="url" placeholder="https://github.com/owner/repo.git" required disabled={busy} />
            <input name="ref" data-testid="import-git-ref" placeholder="branch or tag (optional)" disabled={busy} />
            <button data-testid="import-git-submit" type="submit" disabled={busy}>
              Clone
            </button>
          </form>
          <div className="choice">
            <h3>Templates</h3>
            <ul className="templates">
              {TEMPLATES.map((t) => (
                <li key={t.id}>
                  <button data-testid="template" data-template={t.id} disabled={busy} onClick={() => void template(t.id, t.title)}>
                    <strong>{t.title}</strong> <span>{t.about}</span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {progress && (
        <p className="import-progress" data-testid="import-progress" role="status">
          {progress}
        </p>
      )}
    </section>
  );
}
