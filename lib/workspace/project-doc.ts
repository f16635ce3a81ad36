import * as Y from 'yjs';
import { filesOf } from '@/lib/collab/workspace-doc';

/**
 * What a session's document holds about its project, beside `files` (lib/collab/workspace-doc.ts):
 * - `binaries`: Y.Map<path, BinaryRef> — files that are not text. Their bytes live outside the
 *   document, in the server's content-addressed blob store (server/projects/blob-store.ts),
 *   fetched with `blob:get`; the document only names them.
 * - `base`: Y.Map<path, BaseEntry> — the project as it was imported, never edited: what the
 *   changes panel and the patch export compare against.
 * - `project`: Y.Map — `ProjectMeta` (name, where it came from).
 * Written once by the server when it creates the session; a rename or delete of a binary file is
 * an edit of `binaries` like any other.
 */
export interface BinaryRef {
  sha256: string;
  size: number;
}
export type BaseEntry = { kind: 'text'; text: string } | ({ kind: 'binary' } & BinaryRef);

export interface ProjectMeta {
  name: string;
  source: 'zip' | 'folder' | 'git' | 'template' | 'example';
  /** Git projects: the URL cloned (without credentials), the ref asked for, the commit it was at. */
  url?: string;
  ref?: string;
  commit?: string;
}

export function binariesOf(doc: Y.Doc): Y.Map<BinaryRef> {
  return doc.getMap<BinaryRef>('binaries');
}
export function baseOf(doc: Y.Doc): Y.Map<BaseEntry> {
  return doc.getMap<BaseEntry>('base');
}
function metaMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>('project');
}

export function projectMeta(doc: Y.Doc): ProjectMeta | null {
  const m = metaMap(doc);
  const name = m.get('name');
  if (typeof name !== 'string') return null;
  const str = (k: string) => (typeof m.get(k) === 'string' ? (m.get(k) as string) : undefined);
  return { name, source: (str('source') as ProjectMeta['source']) ?? 'zip', url: str('url'), ref: str('ref'), commit: str('commit') };
}

/** One file of a project being created: text, or a binary already in the blob store. */
export type ProjectFile = { path: string; text: string } | { path: string; binary: BinaryRef };

/** Seeds a new session's document with a project: files, their base copy, the binaries, the meta. */
export function seedProject(doc: Y.Doc, files: ProjectFile[], meta: ProjectMeta): void {
  doc.transact(() => {
    const texts = filesOf(doc);
    const bins = binariesOf(doc);
    const base = baseOf(doc);
    for (const f of files) {
      if ('text' in f) {
        texts.set(f.path, new Y.Text(f.text));
        base.set(f.path, { kind: 'text', text: f.text });
      } else {
        bins.set(f.path, { sha256: f.binary.sha256, size: f.binary.size });
        base.set(f.path, { kind: 'binary', sha256: f.binary.sha256, size: f.binary.size });
      }
    }
    const m = metaMap(doc);
    for (const [k, v] of Object.entries(meta)) if (v !== undefined) m.set(k, v);
  });
}

/** Whether `sha256` is named by the document (a current binary or one in the base): `blob:get` serves only those. */
export function namesBlob(doc: Y.Doc, sha256: string): boolean {
  for (const b of binariesOf(doc).values()) if (b?.sha256 === sha256) return true;
  for (const b of baseOf(doc).values()) if (b?.kind === 'binary' && b.sha256 === sha256) return true;
  return false;
}
