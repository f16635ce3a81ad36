'use client';
import type { ServerToClientEvents } from '@/lib/protocol';
import type { IdeStoreApi } from '@/lib/stores/ide-store';
import type { FlintSocket } from './connection';

/**
 * Keeps the store's per-tier status in step with the server's `tier:state` events (sent after
 * every join and whenever a tier changes: warming, download progress, ready, unavailable).
 * Returns the function that stops listening.
 */
export function followTierStatus(socket: FlintSocket, store: IdeStoreApi): () => void {
  const onState: ServerToClientEvents['tier:state'] = ({ tier, provider, model, ...status }) => {
    void provider;
    void model;
    store.getState().setTierStatus(tier, status);
  };
  socket.on('tier:state', onState);
  return () => socket.off('tier:state', onState);
}
