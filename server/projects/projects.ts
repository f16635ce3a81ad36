import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import git from 'isomorphic-git';
import type { ProjectCreated, TemplateName } from '@/lib/protocol';
import { seedProject, type ProjectFile, type ProjectMeta } from '@/lib/workspace/project-doc';
import { decodeText, formatBytes, ImportLimitError, selectFiles } from '@/lib/workspace/intake';
import type { ProjectLimits } from './settings';
import type { SessionStore } from '../sessions/session-store';
import { FlintError } from '../errors';
import { AddressRefusedError, checkUrl } from '../net/address-policy';
import type { BlobStore } from './blob-store';
import { guardedHttp, type GuardedHttpOptions } from './git-http';
import { TEMPLATES } from './templates';
import { commonTopFolder, readZip } from './zip-reader';

export type { ProjectLimits, ProjectSettings } from './settings';
export { DEFAULT_PROJECT_SETTINGS } from './settings';

export type Progress = (phase: string, loaded: number, total?: number) => void;

interface Entry {
  path: string;
  size: number;
  read(): Uint8Array | Promise<Uint8Array>;
}

/**
 * Creates sessions from projects: a zip (or a folder the browser packed as one), a git
 * repository cloned over smart HTTP, or a template. Everything is checked and read whole first —
 * paths, .gitignore, limits, text or binary, binaries put into the blob store — and only then is
 * the session created, in one stored write: a refused or failed import leaves no session.
 * (Blobs of a failed import may stay in the store: they are content-addressed and named by no
 * document.) Reading yields to the event loop between files so sockets keep being served.
 */
export class Projects {
  constructor(
    private readonly sessions: SessionStore,
    private readonly blobs: BlobStore,
    readonly limits: ProjectLimits,
    /** For tests: the resolver behind the clone's guarded lookup. */
    private readonly resolve?: GuardedHttpOptions['resolve'],
  ) {}

  async fromZip(zip: Uint8Array, name: string, ownerId: string, progress: Progress): Promise<ProjectCreated> {
    const entries = readZip(zip, this.limits.maxFiles);
    const top = commonTopFolder(entries.map((e) => e.path));
    const inProject = top ? entries.map((e) => ({ ...e, path: e.path.slice(top.length + 1), read: e.read })) : entries;
    return this.create(inProject, { name, source: 'zip' }, ownerId, progress, true);
  }

  async fromTemplate(template: TemplateName, ownerId: string): Promise<ProjectCreated> {
    const t = TEMPLATES[template];
    const enc = new TextEncoder();
    const entries = Object.entries(t.files).map(([p, text]) => ({ path: p, size: enc.encode(text).length, read: () => enc.encode(text) }));
    return this.create(entries, { name: t.name, source: 'template' }, ownerId, () => {}, true);
  }

  async fromGit(url: string, ref: string | undefined, ownerId: string, progress: Progress): Promise<ProjectCreated> {
    // Scheme and IP literals first (isomorphic-git would refuse other schemes with a vaguer error).
    try {
      checkUrl(url, { allowPrivate: this.limits.allowPrivate });
    } catch (err) {
      throw cloneError(err, url, ref, false, this.limits.gitTimeoutMs);
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flint-clone-'));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), this.limits.gitTimeoutMs);
    const http = guardedHttp({ policy: { allowPrivate: this.limits.allowPrivate }, maxBytes: this.limits.gitMaxBytes, signal: controller.signal, resolve: this.resolve });
    try {
      let last = '';
      await git.clone({
        fs,
        http,
        dir,
        url,
        ref,
        singleBranch: true,
        depth: 1,
        noTags: true,
        onProgress: (e) => {
          const key = `${e.phase}:${e.total ? Math.floor((e.loaded / e.total) * 50) : Math.floor(e.loaded / 100)}`;
          if (key !== last) (last = key), progress(e.phase, e.loaded, e.total || undefined);
        },
      });
      const commit = await git.resolveRef({ fs, dir, ref: 'HEAD' });
      const entries = await this.workingTree(dir);
      const safeUrl = new URL(url);
      safeUrl.username = '';
      safeUrl.password = '';
      const name = decodeURIComponent(safeUrl.pathname.split('/').filter(Boolean).pop() ?? safeUrl.host).replace(/\.git$/, '') || safeUrl.host;
      // Tracked files are the project: git already applied .gitignore to them.
      return await this.create(entries, { name, source: 'git', url: safeUrl.href, ref, commit }, ownerId, progress, false);
    } catch (err) {
      throw cloneError(err, url, ref, controller.signal.aborted, this.limits.gitTimeoutMs);
    } finally {
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The checked-out files of a clone, without `.git`; symbolic links are skipped, never followed. */
  private async workingTree(root: string): Promise<Entry[]> {
    const out: Entry[] = [];
    const walk = async (rel: string) => {
      for (const d of await readdir(path.join(root, rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${d.name}` : d.name;
        if (p === '.git') continue;
        const abs = path.join(root, p);
        const st = await lstat(abs);
        if (st.isDirectory()) await walk(p);
        else if (st.isFile()) out.push({ path: p, size: st.size, read: () => readFile(abs) });
      }
    };
    await walk('');
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  private async create(entries: Entry[], meta: ProjectMeta, ownerId: string, progress: Progress, gitignore: boolean): Promise<ProjectCreated> {
    const gitignores = new Map<string, string>();
    if (gitignore) {
      for (const e of entries) {
        if (e.path === '.gitignore' || e.path.endsWith('/.gitignore')) {
          if (e.size > 1024 * 1024) continue;
          gitignores.set(e.path, new TextDecoder().decode(await e.read()));
        }
      }
    }
    const { kept, skipped } = selectFiles(entries, gitignores, this.limits);
    const files: ProjectFile[] = [];
    let textTotal = 0;
    let texts = 0;
    for (let i = 0; i < kept.length; i++) {
      const e = kept[i];
      if (i % 50 === 0) {
        progress('Unpacking', i, kept.length);
        await new Promise((r) => setImmediate(r));
      }
      const bytes = await e.read();
      if (bytes.byteLength > this.limits.maxFileBytes) {
        throw new ImportLimitError(`${e.path} is ${formatBytes(bytes.byteLength)}, over the ${formatBytes(this.limits.maxFileBytes)} limit for one file (FLINT_IMPORT_MAX_FILE_BYTES).`);
      }
      const text = decodeText(bytes);
      if (text !== null) {
        files.push({ path: e.path, text });
        textTotal += bytes.byteLength + e.path.length * 3;
        texts++;
      } else {
        files.push({ path: e.path, binary: { sha256: await this.blobs.put(bytes), size: bytes.byteLength } });
      }
    }
    // The text is in the document twice (the files and their base), so it must fit twice.
    if (textTotal * 2 > this.limits.maxDocBytes) {
      throw new ImportLimitError(`The project's text is ${formatBytes(textTotal)}; with its base copy it would not fit the session's ${formatBytes(this.limits.maxDocBytes)} (FLINT_MAX_DOC_BYTES).`);
    }
    if (texts > this.limits.maxSessionFiles) {
      throw new ImportLimitError(`The project has ${texts} text files, over the ${this.limits.maxSessionFiles} a session may hold (FLINT_MAX_FILES).`);
    }
    progress('Storing', kept.length, kept.length);
    const session = await this.sessions.create((doc) => seedProject(doc, files, meta), ownerId);
    return { sessionId: session.id, files: files.length, skipped };
  }
}

/** What a failed clone tells the person: typed, with the cause in words, never a stack. */
function cloneError(err: unknown, url: string, ref: string | undefined, timedOut: boolean, timeoutMs: number): Error {
  if (err instanceof FlintError || err instanceof ImportLimitError) return err;
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string }; cause?: unknown };
  if (err instanceof AddressRefusedError || e.code === 'addressRefused') return new FlintError('addressRefused', `Flint will not fetch ${url}: ${e.message}`);
  if (e.cause instanceof AddressRefusedError) return new FlintError('addressRefused', `Flint will not fetch ${url}: ${e.cause.message}`);
  if (e.code === 'limitExceeded') return new FlintError('limitExceeded', e.message);
  if (timedOut) return new FlintError('gitFailed', `The clone of ${url} took longer than ${Math.round(timeoutMs / 1000)} s (FLINT_GIT_TIMEOUT_MS) and was stopped.`);
  if (e.code === 'HttpError') {
    const status = e.data?.statusCode;
    if (status === 404) return new FlintError('gitFailed', `There is no git repository at ${url} (HTTP 404).`);
    if (status === 401 || status === 403) return new FlintError('gitFailed', `${url} needs credentials (HTTP ${status}); only public repositories can be cloned.`);
    return new FlintError('gitFailed', `The git server answered HTTP ${status} ${e.data?.statusMessage ?? ''} for ${url}.`.trim());
  }
  if (e.code === 'NotFoundError' && ref) return new FlintError('gitFailed', `${url} has no branch or tag named "${ref}".`);
  if (e.code === 'SmartHttpError' || e.code === 'ParseError' || e.code === 'UnknownTransportError') return new FlintError('gitFailed', `${url} did not answer as a git server (smart HTTP).`);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new FlintError('gitFailed', `The host of ${url} was not found.`);
  if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'ETIMEDOUT') return new FlintError('gitFailed', `Could not connect to ${url} (${e.code}).`);
  return new FlintError('gitFailed', `Cloning ${url} failed: ${(e.message ?? String(err)).slice(0, 300)}`);
}
