import { PROTOCOL_VERSION, protocolError, type HelloResult, type LinkRole, type Response } from '@/lib/protocol';
import type { FlintSocket } from './connection';
import type { RuntimeContext } from './context';

/** Sends `session:hello` and resolves with the server's answer. */
export function hello(socket: FlintSocket, protocolVersion = PROTOCOL_VERSION): Promise<Response<HelloResult>> {
  return new Promise((resolve) => socket.emit('session:hello', { protocolVersion }, resolve));
}

/** Sends a request and resolves with its answer; `notJoined` at once when there is no connection. */
export function request<T>(ctx: RuntimeContext, send: (ack: (r: Response<T>) => void) => void): Promise<Response<T>> {
  if (!ctx.socket.connected) return Promise.resolve({ ok: false, error: protocolError('notJoined', 'Not connected to the server. Reconnecting…') });
  return new Promise((resolve) => send(resolve));
}

/** Shows a refusal to the person; passes the answer on. */
export function report<T>(ctx: RuntimeContext, r: Response<T>): Response<T> {
  if (!r.ok) ctx.store.getState().showError(r.error);
  return r;
}

// File operations and share links: one request each, a refusal shown.

export async function createFile(ctx: RuntimeContext, path: string) {
  return report(ctx, await request<{ path: string }>(ctx, (ack) => ctx.socket.emit('file:create', { path }, ack)));
}

export async function renameFile(ctx: RuntimeContext, from: string, to: string) {
  return report(ctx, await request<{ path: string }>(ctx, (ack) => ctx.socket.emit('file:rename', { from, to }, ack)));
}

export async function deleteFile(ctx: RuntimeContext, path: string) {
  return report(ctx, await request<{ path: string }>(ctx, (ack) => ctx.socket.emit('file:delete', { path }, ack)));
}

/** Owner only: a new share link for `role` (the previous one stops working). Resolves with its token. */
export async function createLink(ctx: RuntimeContext, role: LinkRole) {
  return report(ctx, await request<{ role: LinkRole; token: string }>(ctx, (ack) => ctx.socket.emit('link:create', { role }, ack)));
}

export async function revokeLink(ctx: RuntimeContext, role: LinkRole) {
  return report(ctx, await request<Record<string, never>>(ctx, (ack) => ctx.socket.emit('link:revoke', { role }, ack)));
}
