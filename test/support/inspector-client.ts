import { createWriteStream } from 'node:fs';
import WebSocket from 'ws';

/**
 * Tests only: a minimal Chrome DevTools Protocol client for a Flint child process started with
 * `startFlintProcess(env, { inspect: true })`. Used to tell garbage from retention: a full,
 * forced collection before memory is read (`collectGarbage`, then `heapUsed`), and heap
 * snapshots to compare by constructor (`scripts/heap-summary.mjs`).
 */
export interface Inspector {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** A full garbage collection in the child (V8's, as DevTools' "collect garbage" button). */
  collectGarbage(): Promise<void>;
  /** The child's V8 heap in use, in bytes (`Runtime.getHeapUsage`). */
  heapUsed(): Promise<number>;
  /** Writes a heap snapshot of the child to `file` (it collects garbage first). */
  takeHeapSnapshot(file: string): Promise<void>;
  close(): void;
}

export async function connectInspector(url: string): Promise<Inspector> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 0 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, (params: Record<string, unknown>) => void>();
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> };
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`inspector: ${msg.error.message}`));
      else p?.resolve(msg.result);
    } else if (msg.method) listeners.get(msg.method)?.(msg.params ?? {});
  });
  ws.on('close', () => {
    for (const p of pending.values()) p.reject(new Error('inspector connection closed'));
    pending.clear();
  });
  const send = <T,>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    async collectGarbage() {
      await send('HeapProfiler.collectGarbage');
    },
    async heapUsed() {
      return (await send<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
    },
    async takeHeapSnapshot(file) {
      const out = createWriteStream(file);
      listeners.set('HeapProfiler.addHeapSnapshotChunk', (p) => out.write(String(p.chunk)));
      try {
        await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      } finally {
        listeners.delete('HeapProfiler.addHeapSnapshotChunk');
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
    },
    close: () => ws.close(),
  };
}
