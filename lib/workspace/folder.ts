import { alwaysSkipped, selectFiles, type ImportLimits } from './intake';

/**
 * A folder from the person's disk, as the browser gives it — an `<input webkitdirectory>`
 * FileList, a drop (DataTransfer entries) or a File System Access directory handle — turned
 * into one zip for `project:import`. Skipped folders (node_modules…) are never read or even
 * walked into, `.gitignore` and the import limits are applied before any file is read (the
 * server applies them again), and reading reports progress.
 */
export interface FolderFile {
  /** Path inside the folder (its own name stripped). */
  path: string;
  size: number;
  file: File;
}

export interface PickedFolder {
  name: string;
  files: FolderFile[];
}

/** From `<input type=file webkitdirectory>`: each File's webkitRelativePath starts with the folder's name. */
export function folderFromFileList(list: FileList | File[]): PickedFolder {
  const all = [...list];
  const name = all[0]?.webkitRelativePath.split('/')[0] || 'project';
  const files: FolderFile[] = [];
  for (const file of all) {
    const rel = file.webkitRelativePath || file.name;
    const path = rel.includes('/') ? rel.slice(rel.indexOf('/') + 1) : rel;
    if (!alwaysSkipped(path)) files.push({ path, size: file.size, file });
  }
  return { name, files };
}

/** From a drop: a directory entry (webkitGetAsEntry), walked without descending into skipped folders. */
export async function folderFromDrop(items: DataTransferItemList): Promise<PickedFolder | null> {
  const entries = [...items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return null;
  const files: FolderFile[] = [];
  const readAll = (dir: FileSystemDirectoryEntry) =>
    new Promise<FileSystemEntry[]>((resolve, reject) => {
      const reader = dir.createReader();
      const out: FileSystemEntry[] = [];
      const next = () => reader.readEntries((batch) => (batch.length ? (out.push(...batch), next()) : resolve(out)), reject);
      next();
    });
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      if (alwaysSkipped(`${path}/x`)) return;
      for (const child of await readAll(entry as FileSystemDirectoryEntry)) await walk(child, path);
    } else if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      files.push({ path, size: file.size, file });
    }
  };
  // One folder dropped: its contents are the project. Several items: they are.
  if (entries.length === 1 && entries[0].isDirectory) {
    for (const child of await readAll(entries[0] as FileSystemDirectoryEntry)) await walk(child, '');
    return { name: entries[0].name, files };
  }
  for (const e of entries) await walk(e, '');
  return { name: 'dropped files', files };
}

interface DirHandle {
  name: string;
  kind: 'directory';
  values(): AsyncIterable<{ kind: 'file' | 'directory'; name: string; getFile?: () => Promise<File> } & Partial<DirHandle>>;
}

/** From the File System Access API (`showDirectoryPicker`), where the browser has it. */
export async function folderFromHandle(root: DirHandle): Promise<PickedFolder> {
  const files: FolderFile[] = [];
  const walk = async (dir: DirHandle, prefix: string): Promise<void> => {
    for await (const h of dir.values()) {
      const path = prefix ? `${prefix}/${h.name}` : h.name;
      if (h.kind === 'directory') {
        if (!alwaysSkipped(`${path}/x`)) await walk(h as DirHandle, path);
      } else if (h.getFile) {
        const file = await h.getFile();
        files.push({ path, size: file.size, file });
      }
    }
  };
  await walk(root, '');
  return { name: root.name, files };
}

/** The File System Access API's picker, when this browser has one (Chromium on desktop). */
export function directoryPicker(): (() => Promise<DirHandle>) | null {
  const w = globalThis as unknown as { showDirectoryPicker?: (o?: object) => Promise<DirHandle> };
  return typeof w.showDirectoryPicker === 'function' ? () => w.showDirectoryPicker!({ mode: 'read' }) : null;
}

/**
 * Applies .gitignore and the limits, reads what is kept and packs it as a zip (fflate, loaded
 * here: only someone importing a folder downloads it). Throws `ImportLimitError` naming the file.
 */
export async function packFolder(folder: PickedFolder, limits: ImportLimits, onProgress: (done: number, total: number) => void): Promise<{ zip: Uint8Array; files: number; skipped: number }> {
  const gitignores = new Map<string, string>();
  for (const f of folder.files) if ((f.path === '.gitignore' || f.path.endsWith('/.gitignore')) && f.size < 1024 * 1024) gitignores.set(f.path, await f.file.text());
  const { kept, skipped } = selectFiles(folder.files, gitignores, limits);
  const { zipSync } = await import('fflate');
  const entries: Record<string, Uint8Array> = {};
  for (let i = 0; i < kept.length; i++) {
    entries[kept[i].path] = new Uint8Array(await kept[i].file.arrayBuffer());
    onProgress(i + 1, kept.length);
  }
  return { zip: zipSync(entries, { level: 6 }), files: kept.length, skipped };
}
