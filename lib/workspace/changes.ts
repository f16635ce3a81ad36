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
 * The changes against the base, kept up to date as the document changes, for the changes panel.
 * Invariants: a full comparison runs at start and whenever the base, the binaries or the meta
 * change (rare: an import, a binary deleted); an edit of a text file re-compares only the files
 * it touched (observeDeep names them), once per `delayMs` burst — typing never re-reads every file.
 */
export class ChangeTracker {
  private readonly changes = new Map<string, ChangeKind>();
  private readonly dirty = new Set<string>();
  private full = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly doc: Y.Doc,
    private readonly onChange: (changes: Change[]) => void,
    private readonly delayMs = 250,
  ) {
    const files = filesOf(doc);
    const onFiles = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
      for (const e of events) {
        if (e.target === files) for (const key of e.changes.keys.keys()) this.dirty.add(key);
        else if (typeof e.path[0] === 'string') this.dirty.add(e.path[0]);
      }
      this.schedule();
    };
    const onOther = () => {
      this.full = true;
      this.schedule();
    };
    files.observeDeep(onFiles);
    this.stops.push(() => files.unobserveDeep(onFiles));
    for (const t of [binariesOf(doc), baseOf(doc), doc.getMap('project')]) {
      t.observeDeep(onOther);
      this.stops.push(() => t.unobserveDeep(onOther));
    }
    this.flush();
  }

  private schedule(): void {
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  private flush(): void {
    this.timer = null;
    if (this.full) {
      this.full = false;
      this.dirty.clear();
      this.changes.clear();
      for (const c of diffSnapshots(baseFiles(this.doc), currentFiles(this.doc))) this.changes.set(c.path, c.change);
    } else {
      const base = baseOf(this.doc);
      for (const path of this.dirty) {
        const text = filesOf(this.doc).get(path);
        const bin = binariesOf(this.doc).get(path);
        const now: FileState | undefined = text ? { kind: 'text', text: text.toString() } : bin ? { kind: 'binary', sha256: bin.sha256, size: bin.size } : undefined;
        const b = base.get(path);
        const was: FileState | undefined = b?.kind === 'text' ? { kind: 'text', text: b.text } : b?.kind === 'binary' ? { kind: 'binary', sha256: b.sha256, size: b.size } : undefined;
        const change: ChangeKind | null = !now && !was ? null : !was ? 'added' : !now ? 'deleted' : sameContent(was, now) ? null : 'modified';
        if (change) this.changes.set(path, change);
        else this.changes.delete(path);
      }
      this.dirty.clear();
    }
    this.onChange([...this.changes].map(([path, change]) => ({ path, change })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    for (const s of this.stops) s();
  }
}
