import * as Y from 'yjs';
import { protocolError, type ProtocolError, type ServerLimits } from '@/lib/protocol';
import { canEdit, REMOTE, type RuntimeContext } from './context';

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/**
 * Keeps this page's Y.Doc and the server's in step: local updates out (`send`), the server's in
 * (`applyRemote`, `applyJoinState`), refusals and a copy the server's changes broke.
 */
export class DocSync {
  /** Local updates sent and not yet acknowledged (= not yet stored by the server). */
  unacknowledged = 0;
  /** The limits the server announced in its hello answer (null: an older server). */
  limits: ServerLimits | null = null;
  /**
   * Set when a change from the server threw inside Yjs while it was applied here: this copy is
   * then half-applied and no longer the server's, so nothing more is sent from it or applied to it.
   */
  private broken = false;
  /**
   * The server refused a change of mine (a limit): from clock `from` of my client on, it lacks
   * my changes. They stay in this document (and the editor); each later local change tries
   * again to send all of them (`resync`), so deleting text brings the session back to saved.
   */
  private refused: { from: number; error: ProtocolError } | null = null;
  private resyncTimer: ReturnType<typeof setTimeout> | null = null;
  private resyncing = false;
  /** Local changes made while refused; one made during a resync means it must run again. */
  private changesWhileRefused = 0;

  constructor(
    private readonly ctx: RuntimeContext,
    /** Reloads the page (a fresh join rebuilds the copy from the server). */
    private readonly reloadPage: () => void,
  ) {}

  /** Whether every local change has been accepted by the server (none refused, none in flight). */
  get saved(): boolean {
    return this.refused === null && this.unacknowledged === 0;
  }

  /** A `doc:update` from the server. */
  applyRemote(update: Uint8Array) {
    if (this.broken) return;
    try {
      Y.applyUpdate(this.ctx.doc, update, REMOTE);
    } catch (err) {
      this.onBrokenCopy(err);
    }
  }

  /**
   * The whole document from the `session:join` answer. Returns what this page has and the server
   * lacks (edits made while disconnected), to send once joined; null when it did not apply.
   */
  applyJoinState(serverState: Uint8Array): Uint8Array | null {
    const { doc, store } = this.ctx;
    const empty = doc.store.clients.size === 0;
    try {
      Y.applyUpdate(doc, serverState, REMOTE);
    } catch (err) {
      // Reloading would not help when the server's own state does not apply to a fresh copy.
      if (this.broken || empty) store.getState().setFatal(protocolError('internal', 'The session’s document from the server could not be read here.'));
      else this.onBrokenCopy(err);
      return null;
    }
    return Y.encodeStateAsUpdate(doc, Y.encodeStateVectorFromUpdate(serverState));
  }

  /** Joined (again), connection `ready`: start over from what the server has and send `missing`. */
  joined(missing: Uint8Array) {
    this.unacknowledged = 0; // acks of a previous connection never come
    // `missing` covers every refused change too: start over from what the server has.
    this.refused = null;
    this.ctx.store.getState().setUnsaved(null);
    // A viewer has none to send.
    if (missing.byteLength > 2 && canEdit(this.ctx)) this.send(missing);
  }

  /** The connection closed; 1009: a frame larger than the server's maxHttpBufferSize (`send` checks its own first). */
  disconnected(closeCode: number | undefined) {
    if (closeCode !== 1009) return;
    const max = this.limits ? ` of ${formatBytes(this.limits.maxMessageBytes)}` : '';
    this.ctx.store.getState().showError(protocolError('payloadTooLarge', `The server closed the connection: a message was larger than its limit${max} (FLINT_MAX_MESSAGE_BYTES). Reconnecting…`));
  }

  /**
   * A change from the server did not apply to this page's copy of the session (Yjs threw
   * halfway; `server/collab/check-update.ts` refuses what it can, but a hostile editor can still
   * leave structure another replica chokes on — test/reliability/CONTEXT.md). The copy is
   * replaced by a fresh one from the server: the page reloads once what it sent is stored.
   */
  private onBrokenCopy(err: unknown) {
    if (this.broken) return;
    this.broken = true;
    console.error('[flint] a change from the server did not apply to this page', err);
    this.ctx.store.getState().showError(protocolError('internal', 'This page’s copy of the session could not take a change from the server. Reloading it from the server…'));
    let waited = 0;
    const reloadWhenStored = () => {
      if (this.ctx.disposed) return;
      // What this page sent before is stored once acknowledged; wait for that, but not forever.
      if (this.unacknowledged === 0 || waited >= 5_000) return this.reloadPage();
      waited += 100;
      setTimeout(reloadWhenStored, 100);
    };
    reloadWhenStored();
  }

  /**
   * The server acknowledges a `doc:update` once it is stored. Nothing is kept for resending:
   * after any reconnect (a server crash included) `connect()` sends everything the server's
   * state lacks, which covers every update it never stored.
   *
   * A refused update (over the document size or file limit, too large a message) was not
   * applied by the server. Later updates of this client depend on it, so per-update sending
   * stops until a resync is accepted; the person sees "not saved" and keeps their text.
   */
  send(update: Uint8Array) {
    if (this.broken) return; // made on a half-applied copy: the reload starts over from the server
    const { socket, store } = this.ctx;
    // Not joined yet (or reconnecting): connect() sends it with the rest once joined.
    if (!socket.connected || store.getState().connection !== 'ready') return;
    if (this.refused) {
      this.changesWhileRefused++;
      return this.scheduleResync();
    }
    // A frame above the server's limit would close the connection (and again after each reconnect).
    const tooLarge = this.tooLarge(update);
    if (tooLarge) return this.onRefused(update, tooLarge);
    this.unacknowledged++;
    socket.emit('doc:update', update, (r) => {
      this.unacknowledged--;
      if (r.ok) return;
      // Applied, not yet durable: the server retries storing it.
      if (r.error.code === 'storageUnavailable') return store.getState().showError(r.error);
      this.onRefused(update, r.error);
    });
  }

  private tooLarge(update: Uint8Array): ProtocolError | null {
    if (!this.limits || update.byteLength <= this.limits.maxMessageBytes) return null;
    return protocolError(
      'payloadTooLarge',
      `This change is ${formatBytes(update.byteLength)}; the server takes messages of at most ${formatBytes(this.limits.maxMessageBytes)} (FLINT_MAX_MESSAGE_BYTES). Remove some of it.`,
      'doc:update',
    );
  }

  private onRefused(update: Uint8Array, error: ProtocolError) {
    const doc = this.ctx.doc;
    const me = doc.clientID;
    let from: number;
    try {
      from = Y.parseUpdateMeta(update).from.get(me) ?? Y.getState(doc.store, me);
    } catch {
      from = 0; // cannot tell: send everything of mine again
    }
    // Updates sent before the first refusal came back depend on the refused one, so the server
    // refuses them too ("depends on changes this session does not have"); the first refusal is the
    // reason the person needs to see.
    const reason = this.refused?.error ?? error;
    this.refused = { from: Math.min(from, this.refused?.from ?? Infinity), error: reason };
    this.ctx.store.getState().setUnsaved(reason);
  }

  private scheduleResync() {
    if (this.resyncTimer || this.ctx.disposed) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      void this.resync();
    }, 300);
  }

  /** Sends every change of mine the server lacks since the refusal, as one update. */
  private resync() {
    const { socket, store, doc } = this.ctx;
    const refused = this.refused;
    if (!refused || this.resyncing || this.ctx.disposed) return;
    if (!socket.connected || store.getState().connection !== 'ready') return; // connect() resends
    const me = doc.clientID;
    const known = Y.decodeStateVector(Y.encodeStateVector(doc));
    known.set(me, refused.from);
    const diff = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(known));
    const tooLarge = this.tooLarge(diff);
    if (tooLarge) {
      this.refused = { ...refused, error: tooLarge };
      return store.getState().setUnsaved(tooLarge);
    }
    const clock = Y.getState(doc.store, me);
    const changes = this.changesWhileRefused;
    this.resyncing = true;
    this.unacknowledged++;
    socket.emit('doc:update', diff, (r) => {
      this.unacknowledged--;
      this.resyncing = false;
      if (this.refused !== refused) return; // reconnected meanwhile: connect() took over
      if (!r.ok && r.error.code !== 'storageUnavailable') {
        this.refused = { ...refused, error: r.error };
        return store.getState().setUnsaved(r.error);
      }
      if (this.changesWhileRefused !== changes) {
        // Edited while this was in flight: the server has everything up to `clock`; send the rest.
        this.refused = { ...refused, from: clock };
        return this.scheduleResync();
      }
      this.refused = null;
      store.getState().setUnsaved(null);
      if (!r.ok) store.getState().showError(r.error);
    });
  }

  dispose() {
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
  }
}
