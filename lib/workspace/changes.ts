import type * as Y from 'yjs';
import { filesOf } from '@/lib/collab/workspace-doc';
import { baseOf, binariesOf } from './project-doc';

/**
 * A workspace as plain data: every file by path, text or a binary named by its SHA-256. The
 * current files (`currentFiles`) and the imported base (`baseFiles`) are compared here, for the
 * changes panel, the patch export (patch.ts) and the zip export (export-zip.ts).
 */
export type FileState = { kind: 'text'; text: string } | { kind: 'binary'; sha256: string; size: number };
export type Snapshot = Map<string, FileState>;

export type ChangeKind = 'added' | 'modified' | 'deleted';
export interface Change {
  path: string;
  change: ChangeKind;
}

export function currentFiles(doc: Y.Doc): Snapshot {
  const out: Snapshot = new Map();
  for (const [path, text] of filesOf(doc)) out.set(path, { kind: 'text', text: text.toString() });
  for (const [path, b] of binariesOf(doc)) if (b && typeof b.sha256 === 'string') out.set(path, { kind: 'binary', sha256: b.sha256, size: b.size });
  return out;
}

export function baseFiles(doc: Y.Doc): Snapshot {
  const out: Snapshot = new Map();
  for (const [path, e] of baseOf(doc)) {
    if (e?.kind === 'text') out.set(path, { kind: 'text', text: e.text });
    else if (e?.kind === 'binary') out.set(path, { kind: 'binary', sha256: e.sha256, size: e.size });
  }
  return out;
}

export function sameContent(a: FileState, b: FileState): boolean {
  if (a.kind === 'text' && b.kind === 'text') return a.text === b.text;
  if (a.kind === 'binary' && b.kind === 'binary') return a.sha256 === b.sha256;
  return false;
}

/** What changed from `base` to `current`, by path (a rename is a deletion and an addition here). */
export function diffSnapshots(base: Snapshot, current: Snapshot): Change[] {
  const out: Change[] = [];
  for (const [path, now] of current) {
    const was = base.get(path);
    if (!was) out.push({ path, change: 'added' });
    else if (!sameContent(was, now)) out.push({ path, change: 'modified' });
  }
  for (const path of base.keys()) if (!current.has(path)) out.push({ path, change: 'deleted' });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Calls `onChange` (debounced, `delayMs`) whenever the files, the binaries, the base or the
 * project meta change; returns the function that stops watching. Comparing against the base
 * reads every file, so it is not done per keystroke.
 */
export function watchProject(doc: Y.Doc, onChange: () => void, delayMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = () => {
    if (timer === null) timer = setTimeout(() => ((timer = null), onChange()), delayMs);
  };
  const types = [filesOf(doc), binariesOf(doc), baseOf(doc), doc.getMap('project')];
  for (const t of types) t.observeDeep(schedule);
  onChange();
  return () => {
    if (timer !== null) clearTimeout(timer);
    for (const t of types) t.unobserveDeep(schedule);
  };
}
