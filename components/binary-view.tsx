'use client';
import { useEffect, useState } from 'react';
import { binariesOf } from '@/lib/workspace/project-doc';
import { formatBytes } from '@/lib/workspace/intake';
import { readBlob } from './changes-panel';
import { useIdeStore, useRuntime } from './session-provider';

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', bmp: 'image/bmp', ico: 'image/x-icon', svg: 'image/svg+xml' };

/** A binary file, in place of the editor: an image shown as one, anything else named as binary. */
export function BinaryView() {
  const runtime = useRuntime();
  const path = useIdeStore((s) => s.openBinary);
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ref = path ? binariesOf(runtime.doc).get(path) : undefined;
  const type = path ? IMAGE_TYPES[path.split('.').pop()?.toLowerCase() ?? ''] : undefined;

  useEffect(() => {
    setUrl(null);
    setError(null);
    if (!ref || !type) return;
    let revoked = false;
    let made: string | null = null;
    readBlob(ref.sha256).then(
      (bytes) => {
        if (revoked) return;
        made = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
        setUrl(made);
      },
      (err: Error) => setError(err.message),
    );
    return () => {
      revoked = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [ref?.sha256, type]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!path || !ref) return null;
  return (
    <div className="binary-view" data-testid="binary-view" data-path={path}>
      <p>
        <strong>{path}</strong> · {formatBytes(ref.size)} · <span data-testid="binary-label">binary</span>
      </p>
      {type && url && <img data-testid="binary-image" src={url} alt={path} />}
      {type && !url && !error && <p className="muted">Loading…</p>}
      {!type && <p className="muted">This file is binary: it is kept byte for byte and is not opened as text.</p>}
      {error && (
        <p className="error-banner" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
