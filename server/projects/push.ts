import fs from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import git from 'isomorphic-git';
import type * as Y from 'yjs';
import { baseFiles, currentFiles, diffSnapshots } from '@/lib/workspace/changes';
import { projectMeta } from '@/lib/workspace/project-doc';
import { FlintError } from '../errors';
import { AddressRefusedError } from '../net/address-policy';
import type { BlobStore } from './blob-store';
import { guardedHttp } from './git-http';
import type { ProjectLimits } from './settings';

export interface PushRequest {
  branch: string;
  token: string;
  username?: string;
  message?: string;
}

/**
 * Pushes a git session's changes as one commit on a new (or fast-forwarded) branch of its
 * origin: a fresh shallow clone of the imported ref (through the guarded http plugin), checked
 * to still be at the imported commit, the changes against the base written over it, committed,
 * pushed with the person's token. The token is only ever in `onAuth` for this push; it is not
 * stored, logged, or put in any message. The clone is removed afterwards, whatever happened.
 */
export async function pushSession(doc: Y.Doc, req: PushRequest, blobs: BlobStore, limits: ProjectLimits, author: string): Promise<{ branch: string; commit: string; url: string }> {
  const meta = projectMeta(doc);
  if (meta?.source !== 'git' || !meta.url || !meta.commit) throw new FlintError('badRequest', 'This session was not cloned from git, so it has no origin to push to.');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flint-push-'));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), limits.gitTimeoutMs);
  const http = guardedHttp({ policy: { allowPrivate: limits.allowPrivate }, maxBytes: limits.gitMaxBytes, signal: controller.signal });
  const onAuth = () => ({ username: req.username || 'x-access-token', password: req.token });
  try {
    try {
      await git.clone({ fs, http, dir, url: meta.url, ref: meta.ref, singleBranch: true, depth: 1, noTags: true, onAuth });
    } catch (err) {
      throw pushError(err, meta.url, controller.signal.aborted);
    }
    const head = await git.resolveRef({ fs, dir, ref: 'HEAD' });
    if (head !== meta.commit) {
      throw new FlintError('pushRejected', `${meta.ref ?? 'The default branch'} moved on the origin since the import (${meta.commit.slice(0, 7)} → ${head.slice(0, 7)}); download the patch and apply it to the new state instead.`);
    }
    const base = baseFiles(doc);
    const current = currentFiles(doc);
    const changes = diffSnapshots(base, current);
    if (changes.length === 0) throw new FlintError('badRequest', 'There are no changes to push.');
    for (const c of changes) {
      const abs = path.join(dir, ...c.path.split('/'));
      // FilePath rules keep every path inside the clone; checked again here, where it would matter.
      if (!abs.startsWith(dir + path.sep)) throw new FlintError('badRequest', `${c.path} is outside the project.`);
      if (c.change === 'deleted') {
        await git.remove({ fs, dir, filepath: c.path });
        await rm(abs, { force: true });
        continue;
      }
      const f = current.get(c.path)!;
      const bytes = f.kind === 'text' ? new TextEncoder().encode(f.text) : await blobs.get(f.sha256);
      if (!bytes) throw new FlintError('blobNotFound', `The content of ${c.path} is missing from storage.`);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, bytes);
      await git.add({ fs, dir, filepath: c.path });
    }
    const who = { name: author.slice(0, 100) || 'Flint', email: 'flint@localhost' };
    const commit = await git.commit({ fs, dir, message: req.message || `Changes from a Flint session (${changes.length} file${changes.length === 1 ? '' : 's'})`, author: who, committer: who });
    let result: Awaited<ReturnType<typeof git.push>>;
    try {
      result = await git.push({ fs, http, dir, remote: 'origin', ref: 'HEAD', remoteRef: `refs/heads/${req.branch}`, onAuth });
    } catch (err) {
      throw pushError(err, meta.url, controller.signal.aborted);
    }
    if (!result.ok) throw new FlintError('pushRejected', `The git server refused the push to ${req.branch}: ${String(result.error ?? Object.values(result.refs ?? {}).find((r) => !r.ok)?.error ?? 'no reason given').slice(0, 300)}`);
    return { branch: req.branch, commit, url: branchUrl(meta.url, req.branch) };
  } finally {
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Where a person sees the branch: the forge's branch page for hosts whose layout is known, else the repository URL. */
export function branchUrl(repoUrl: string, branch: string): string {
  const u = new URL(repoUrl);
  const repo = `${u.origin}${u.pathname.replace(/\.git$/, '').replace(/\/+$/, '')}`;
  const b = branch.split('/').map(encodeURIComponent).join('/');
  if (u.hostname === 'github.com' || u.hostname === 'gitlab.com' || u.hostname === 'codeberg.org') return `${repo}/${u.hostname === 'gitlab.com' ? '-/tree' : u.hostname === 'codeberg.org' ? 'src/branch' : 'tree'}/${b}`;
  if (u.hostname === 'bitbucket.org') return `${repo}/branch/${b}`;
  return `${repo}.git (branch ${branch})`;
}

function pushError(err: unknown, url: string, timedOut: boolean): Error {
  if (err instanceof FlintError) return err;
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; reason?: string } };
  if (err instanceof AddressRefusedError || e.code === 'addressRefused') return new FlintError('addressRefused', `Flint will not connect to ${url}: ${e.message}`);
  if (timedOut) return new FlintError('gitFailed', `The push to ${url} took too long (FLINT_GIT_TIMEOUT_MS) and was stopped.`);
  if (e.code === 'HttpError') {
    const status = e.data?.statusCode;
    if (status === 401 || status === 403) return new FlintError('pushRejected', `The git server refused the token (HTTP ${status}): check that it is valid and may push to this repository.`);
    return new FlintError('pushRejected', `The git server answered HTTP ${status} to the push.`);
  }
  if (e.code === 'PushRejectedError') return new FlintError('pushRejected', `The git server refused the push: the branch exists with other commits (${e.data?.reason ?? 'not a fast-forward'}). Choose another branch name.`);
  if (e.code === 'limitExceeded') return new FlintError('limitExceeded', e.message);
  return new FlintError('gitFailed', `Pushing to ${url} failed: ${(e.message ?? String(err)).slice(0, 300)}`);
}
