'use client';
import type { ProjectCreated, Response, ServerLimits, TemplateName } from '@/lib/protocol';
import { protocolError } from '@/lib/protocol/errors';
import type { FlintSocket } from './connection';
import { hello } from './session-runtime';

/**
 * The landing page's ways into a project, over the tab's socket: each says hello (once per
 * connection is enough, again is harmless), sends its request and reports `project:progress`
 * until the answer. The server creates the session; the page then opens it.
 */
export type ProgressReport = { phase: string; loaded: number; total?: number };

async function ready(socket: FlintSocket): Promise<Response<ServerLimits | undefined>> {
  const hi = await hello(socket);
  return hi.ok ? { ok: true, data: hi.data.limits } : hi;
}

async function withProgress<T>(socket: FlintSocket, onProgress: (p: ProgressReport) => void, send: () => Promise<Response<T>>): Promise<Response<T>> {
  const listener = (p: ProgressReport) => onProgress(p);
  socket.on('project:progress', listener);
  try {
    return await send();
  } finally {
    socket.off('project:progress', listener);
  }
}

export async function serverLimits(socket: FlintSocket): Promise<Response<ServerLimits | undefined>> {
  return ready(socket);
}

export async function importZip(socket: FlintSocket, name: string, zip: Uint8Array, onProgress: (p: ProgressReport) => void): Promise<Response<ProjectCreated>> {
  const hi = await ready(socket);
  if (!hi.ok) return hi;
  const max = hi.data?.maxMessageBytes;
  // A frame over the server's maxMessageBytes would close the connection instead of being answered.
  if (max && zip.byteLength + 4096 > max) {
    return { ok: false, error: protocolError('payloadTooLarge', `The packed project is ${(zip.byteLength / 1024 / 1024).toFixed(1)} MiB, over the ${(max / 1024 / 1024).toFixed(1)} MiB this server accepts in one message (FLINT_MAX_MESSAGE_BYTES).`) };
  }
  return withProgress(socket, onProgress, () => new Promise((resolve) => socket.emit('project:import', { name: name.slice(0, 120) || 'project', zip }, resolve)));
}

export async function cloneRepository(socket: FlintSocket, url: string, ref: string | undefined, onProgress: (p: ProgressReport) => void): Promise<Response<ProjectCreated>> {
  const hi = await ready(socket);
  if (!hi.ok) return hi;
  return withProgress(socket, onProgress, () => new Promise((resolve) => socket.emit('project:clone', ref ? { url, ref } : { url }, resolve)));
}

export async function startTemplate(socket: FlintSocket, template: TemplateName): Promise<Response<ProjectCreated>> {
  const hi = await ready(socket);
  if (!hi.ok) return hi;
  return new Promise((resolve) => socket.emit('project:template', { template }, resolve));
}

/** A binary file's bytes (`blob:get`), for the viewer and the zip export. */
export function fetchBlob(socket: FlintSocket, sha256: string): Promise<Response<{ bytes: Uint8Array }>> {
  return new Promise((resolve) => socket.emit('blob:get', { sha256 }, resolve));
}

/** Pushes the session's changes as `branch` of its git origin; `token` goes in this request only. */
export function pushBranch(socket: FlintSocket, req: { branch: string; token: string; username?: string; message?: string }): Promise<Response<{ branch: string; commit: string; url: string }>> {
  return new Promise((resolve) => socket.emit('project:push', req, resolve));
}
