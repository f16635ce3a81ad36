import * as Y from 'yjs';

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface DocWriterOptions {
  /** Appends one update to storage; resolves once committed. */
  append(update: Uint8Array): Promise<unknown>;
  /** Folds the appended updates into a snapshot. */
  compact(): Promise<unknown>;
  compactAfter: { updates: number; bytes: number };
  /** Updates already appended after the snapshot when the session was loaded. */
  appendedSinceSnapshot?: number;
  log: (msg: string, err?: unknown) => void;
  /** Wait before retrying a failed append. */
  retryMs?: number;
}

/**
 * Appends one session's updates to storage in order, one write at a time: updates that arrive
 * while a write is in flight are merged (Y.mergeUpdates) into the next one, so a burst of
 * keystrokes costs one commit, not one each. `saved()` is the promise of the write that holds
 * every update pushed so far. A failed write rejects its waiters and its updates go back to the
 * front of the queue, retried with the next write (or after `retryMs`). Compaction runs in the
 * background once enough has been appended.
 */
export class DocWriter {
  private queue: Uint8Array[] = [];
  /** The write that will take the queued updates; null when the queue is empty. */
  private next: Promise<void> | null = null;
  /** The last write started (or the one before it, if that already finished). */
  private last: Promise<void> = Promise.resolve();
  private tail: Promise<void> = Promise.resolve();
  private sinceCompaction = { updates: 0, bytes: 0 };
  private compacting = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: DocWriterOptions) {
    this.sinceCompaction.updates = opts.appendedSinceSnapshot ?? 0;
  }

  push(update: Uint8Array): void {
    this.queue.push(update);
    this.schedule();
  }

  saved(): Promise<void> {
    return this.next ?? this.last;
  }

  private schedule(): void {
    if (this.next) return;
    // The write starts on a macrotask: an embedded database (PGlite) runs its query on this
    // thread, and socket work queued in this turn (an AI delta, an acknowledgement) goes first.
    const write = this.tail.then(nextMacrotask).then(async () => {
      this.next = null;
      const batch = this.queue.splice(0);
      if (batch.length === 0) return;
      const update = batch.length === 1 ? batch[0] : Y.mergeUpdates(batch);
      try {
        await this.opts.append(update);
      } catch (err) {
        // Not stored: keep it first in line, so no later write is committed without it.
        this.queue.unshift(update);
        this.retryLater();
        throw err;
      }
      this.sinceCompaction.updates += batch.length;
      this.sinceCompaction.bytes += update.byteLength;
      this.maybeCompact();
    });
    this.next = write;
    this.last = write;
    this.tail = write.catch(() => {});
  }

  private retryLater() {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.queue.length > 0) this.schedule();
    }, this.opts.retryMs ?? 1000);
    this.retryTimer.unref();
  }

  private maybeCompact() {
    const { updates, bytes } = this.opts.compactAfter;
    if (this.compacting || (this.sinceCompaction.updates < updates && this.sinceCompaction.bytes < bytes)) return;
    this.compacting = true;
    this.sinceCompaction = { updates: 0, bytes: 0 };
    this.opts
      .compact()
      .catch((err) => this.opts.log('compacting a session failed (its updates stay appended)', err))
      .finally(() => {
        this.compacting = false;
      });
  }
}
