'use client';
import { useEffect, useState } from 'react';
import { binariesOf } from '@/lib/workspace/project-doc';
import { FilePath } from '@/lib/protocol';
import { useIdeStore, useRuntime } from './session-provider';

type Editing = { kind: 'new' } | { kind: 'rename'; path: string } | null;

/** The workspace file list: open, create, rename (F2 or double-click) and delete files. */
export function FileTree() {
  const runtime = useRuntime();
  const files = useIdeStore((s) => s.files);
  const openPath = useIdeStore((s) => s.openPath);
  const openFile = useIdeStore((s) => s.openFile);
  const [editing, setEditing] = useState<Editing>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const openBinary = useIdeStore((s) => s.openBinary);
  const showBinary = useIdeStore((s) => s.showBinary);
  // Binary files (imported projects) are listed with the text files, and shown, not edited.
  const [binaries, setBinaries] = useState<string[]>([]);
  useEffect(() => {
    const map = binariesOf(runtime.doc);
    const refresh = () => setBinaries([...map.keys()].sort());
    refresh();
    map.observe(refresh);
    return () => map.unobserve(refresh);
  }, [runtime]);

  async function submitName(value: string) {
    const parsed = FilePath.safeParse(value.trim());
    if (!parsed.success) {
      setNameError(parsed.error.issues[0]?.message ?? 'invalid name');
      return;
    }
    const r =
      editing?.kind === 'rename'
        ? await runtime.renameFile(editing.path, parsed.data)
        : await runtime.createFile(parsed.data);
    if (!r.ok) {
      setNameError(r.error.message);
      return;
    }
    setEditing(null);
    setNameError(null);
    openFile(r.data.path);
  }

  const nameInput = (initial: string) => (
    <div className="name-edit">
      <input
        autoFocus
        data-testid="file-name-input"
        defaultValue={initial}
        placeholder="src/new-file.ts"
        aria-invalid={nameError ? true : undefined}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void submitName(e.currentTarget.value);
          if (e.key === 'Escape') {
            setEditing(null);
            setNameError(null);
          }
        }}
        onBlur={() => {
          setEditing(null);
          setNameError(null);
        }}
      />
      {nameError && (
        <div className="name-error" data-testid="file-name-error" role="alert">
          {nameError}
        </div>
      )}
    </div>
  );

  return (
    <nav className="file-tree" data-testid="file-tree" aria-label="Files">
      <div className="file-tree-head">
        <span>Files</span>
        <button data-testid="new-file" title="New file" onClick={() => setEditing({ kind: 'new' })}>
          +
        </button>
      </div>
      {editing?.kind === 'new' && nameInput('src/')}
      <ul>
        {files.map((path) =>
          editing?.kind === 'rename' && editing.path === path ? (
            <li key={path}>{nameInput(path)}</li>
          ) : (
            <li
              key={path}
              data-testid="file-item"
              data-path={path}
              className={path === openPath && !openBinary ? 'active' : undefined}
              tabIndex={0}
              onClick={() => openFile(path)}
              onDoubleClick={() => setEditing({ kind: 'rename', path })}
              onKeyDown={(e) => {
                if (e.key === 'Enter') openFile(path);
                if (e.key === 'F2') setEditing({ kind: 'rename', path });
                if (e.key === 'Delete') setConfirmDelete(path);
              }}
            >
              <span className="file-name">{path}</span>
              {confirmDelete === path ? (
                <span className="file-actions">
                  <button
                    data-testid="file-delete-confirm"
                    className="danger"
                    onClick={(e) => {
                      e.stopPropagation();
                      setConfirmDelete(null);
                      void runtime.deleteFile(path);
                    }}
                  >
                    Delete
                  </button>
                  <button
                    onClick={(e) => {
                      e.stopPropagation();
                      setConfirmDelete(null);
                    }}
                  >
                    Keep
                  </button>
                </span>
              ) : (
                <span className="file-actions">
                  <button
                    data-testid="file-rename"
                    title="Rename (F2)"
                    onClick={(e) => {
                      e.stopPropagation();
                      setEditing({ kind: 'rename', path });
                    }}
                  >
                    ✎
                  </button>
                  <button
                    data-testid="file-delete"
                    title="Delete (Del)"
                    onClick={(e) => {
                      e.stopPropagation();
                      setConfirmDelete(path);
                    }}
                  >
                    ×
                  </button>
                </span>
              )}
            </li>
          ),
        )}
        {binaries.map((path) => (
          <li
            key={`bin:${path}`}
            data-testid="file-item"
            data-path={path}
            data-binary="true"
            className={path === openBinary ? 'active' : undefined}
            tabIndex={0}
            onClick={() => showBinary(path)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') showBinary(path);
              if (e.key === 'Delete') binariesOf(runtime.doc).delete(path);
            }}
          >
            <span className="file-name">{path}</span>
            <span className="file-actions">
              <span className="muted" title="Binary file">bin</span>
              <button
                data-testid="file-delete"
                title="Delete (Del)"
                onClick={(e) => {
                  e.stopPropagation();
                  if (openBinary === path) showBinary(null);
                  binariesOf(runtime.doc).delete(path);
                }}
              >
                ×
              </button>
            </span>
          </li>
        ))}
      </ul>
    </nav>
  );
}
