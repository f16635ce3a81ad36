'use client';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@/lib/protocol';

export type FlintSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let socket: FlintSocket | null = null;

/**
 * The tab's one persistent socket, opened at page load and kept across client-side navigation
 * (landing page → session), so the first prompt never pays for a handshake.
 */
export function getSocket(): FlintSocket {
  socket ??= io({ transports: ['websocket'], autoConnect: true });
  return socket;
}
