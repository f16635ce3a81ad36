import ignore, { type Ignore } from 'ignore';
import { FilePath } from '@/lib/protocol/values';

/**
 * What comes into a session from a project (a folder, a zip, a git clone), the same rules in the
 * browser (before a folder is read) and on the server (on what it unpacks or clones):
 * folders that are never source (`.git`, `node_modules`, build output) are skipped, `.gitignore`
 * files are honoured (each for its own folder and below, as git does), every path must be a
 * `FilePath`, and the import limits hold. A limit names the file or the total that broke it.
 */

/** Folders skipped wherever they appear. Keep in sync with README → Projects. */
export const SKIPPED_DIRS = new Set([
  '.git', 'node_modules', '.next', 'dist', 'build', 'out', 'coverage', '.turbo', '.cache', '.parcel-cache',
  '.svelte-kit', '.nuxt', 'target', '__pycache__', '.pytest_cache', '.mypy_cache', '.venv', 'venv', '.tox', '.idea', '.vscode-test',
]);
const SKIPPED_FILES = new Set(['.DS_Store', 'Thumbs.db']);

export interface ImportLimits {
  maxFiles: number;
  maxBytes: number;
  maxFileBytes: number;
}

/** Limit failures carry which limit, so the server answers `limitExceeded` and the page names it. */
export class ImportLimitError extends Error {
  readonly code = 'limitExceeded';
  constructor(message: string) {
    super(message);
    this.name = 'ImportLimitError';
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Whether a path is under a skipped folder or is a skipped file (before .gitignore). */
export function alwaysSkipped(path: string): boolean {
  const parts = path.split('/');
  if (SKIPPED_FILES.has(parts[parts.length - 1])) return true;
  return parts.slice(0, -1).some((p) => SKIPPED_DIRS.has(p));
}

/** `.gitignore` rules of a tree: add each file's text, then ask about paths. */
export class GitignoreRules {
  private readonly byDir = new Map<string, Ignore>();

  add(gitignorePath: string, text: string): void {
    const dir = gitignorePath.includes('/') ? gitignorePath.slice(0, gitignorePath.lastIndexOf('/')) : '';
    this.byDir.set(dir, ignore().add(text));
  }

  ignores(path: string): boolean {
    for (const [dir, rules] of this.byDir) {
      if (dir !== '' && !path.startsWith(`${dir}/`)) continue;
      const rel = dir === '' ? path : path.slice(dir.length + 1);
      if (rel && rules.ignores(rel)) return true;
    }
    return false;
  }
}

export interface Candidate {
  path: string;
  size: number;
}

/**
 * Picks what of `candidates` comes in: skipped folders, `.gitignore` (`gitignores`: each
 * `.gitignore` among the candidates and its text), then the limits — throws `ImportLimitError`
 * naming the file or the total. A path that is not a valid `FilePath` is an error too (naming it).
 */
export function selectFiles<C extends Candidate>(candidates: C[], gitignores: Map<string, string>, limits: ImportLimits): { kept: C[]; skipped: number } {
  const rules = new GitignoreRules();
  for (const [path, text] of gitignores) if (!alwaysSkipped(path)) rules.add(path, text);
  const kept: C[] = [];
  let skipped = 0;
  let total = 0;
  for (const c of candidates) {
    if (alwaysSkipped(c.path) || rules.ignores(c.path)) {
      skipped++;
      continue;
    }
    const valid = FilePath.safeParse(c.path);
    if (!valid.success) throw new InvalidPathError(`"${c.path.slice(0, 300)}" is not a usable file name: ${valid.error.issues[0]?.message}`);
    if (c.size > limits.maxFileBytes) {
      throw new ImportLimitError(`${c.path} is ${formatBytes(c.size)}, over the ${formatBytes(limits.maxFileBytes)} limit for one file (FLINT_IMPORT_MAX_FILE_BYTES).`);
    }
    total += c.size;
    if (total > limits.maxBytes) {
      throw new ImportLimitError(`The project is over the ${formatBytes(limits.maxBytes)} limit in total (FLINT_IMPORT_MAX_BYTES), reached at ${c.path}.`);
    }
    kept.push(c);
    if (kept.length > limits.maxFiles) {
      throw new ImportLimitError(`The project has more than ${limits.maxFiles} files, the limit (FLINT_IMPORT_MAX_FILES); ${c.path} is one too many.`);
    }
  }
  return { kept, skipped };
}

export class InvalidPathError extends Error {
  readonly code = 'importInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPathError';
  }
}

/**
 * Text is valid UTF-8 with no NUL byte (what git's own heuristic looks at, plus encoding): the
 * text goes into a Y.Text; anything else is binary and kept byte for byte.
 */
export function decodeText(bytes: Uint8Array): string | null {
  if (bytes.subarray(0, 8000).includes(0)) return null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    // A Y.Text turns \r\n into nothing special, but a lone surrogate can't be in valid UTF-8 anyway.
    return text;
  } catch {
    return null;
  }
}
