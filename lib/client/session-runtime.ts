'use client';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import {
  PROTOCOL_VERSION,
  protocolError,
  type ProtocolError,
  type Response,
  type Selection,
  type ServerToClientEvents,
  type HelloResult,
  type JoinResult,
  type LinkRole,
  type ServerLimits,
  type Role,
  type TierName,
  type HunkClaimResult,
} from '@/lib/protocol';
import { filesOf, listFiles, readFile } from '@/lib/collab/workspace-doc';
import {
  acceptHunks,
  placeHunk,
  readRestores,
  readThread,
  rejectHunks,
  restoreCheckpoint,
  restoresOf,
  turnsOf,
  undoRestore,
  viewHunk,
  yTextTarget,
  type HunkView,
  type TextTarget,
  type TurnRecord,
} from '@/lib/collab/thread';
import { EditStreamParser, type EditEvent } from '@/lib/edits';
import type { IdeStoreApi, LiveBlock, Participant } from '@/lib/stores/ide-store';
import type { Profile } from './profile';
import { IDLE_LIVE, IDLE_STREAM, type StreamState } from '@/lib/stores/ide-store';
import type { FlintSocket } from './connection';
import { benchHook } from './bench-hook';

/** One region of the live diff: `[start, end)` of the file is removed and `added` takes its place. */
export interface DiffItem {
  key: string;
  kind: 'live' | 'pending';
  start: number;
  end: number;
  added: string;
}

/** What the editor view provides once Monaco is loaded. */
export interface EditorBridge {
  /** The person's selection (or cursor) in `path`, as offsets. */
  selection(path: string): Selection;
  /** Shows the live diff. Called at most once per animation frame, with every file's items. */
  paint(items: ReadonlyMap<string, DiffItem[]>): void;
  /** Writes through the editor's models, so an accept is one undo step there. */
  target(): TextTarget;
  /** Opens `path` and scrolls to `offset`. */
  reveal(path: string, offset: number): void;
}

export interface PromptOptions {
  path: string;
  selection?: Selection;
  mode: TierName;
  mentions?: string[];
  openFiles?: string[];
  autoApply?: boolean;
  /** Redirect: stop the running turn and run this one now, with the partial answer in context. */
  sendNow?: boolean;
}

const REMOTE = Symbol('remote');

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Sends `session:hello` and resolves with the server's answer. */
export function hello(socket: FlintSocket, protocolVersion = PROTOCOL_VERSION): Promise<Response<HelloResult>> {
  return new Promise((resolve) => socket.emit('session:hello', { protocolVersion }, resolve));
}

/** A turn being streamed, parsed here to paint the live diff; whoever in the session started it. */
interface LiveTurn {
  id: string;
  parser: EditStreamParser;
  /** Text received and not parsed yet: parsed once per animation frame. */
  pending: string;
  nextSeq: number;
  prose: string;
  block: (LiveBlock & { search: string; replace: string }) | null;
  closed: number;
  /** This browser sent the prompt: it measures TTFT and rate. */
  own: boolean;
  submittedAt: number;
  firstArrival: number | null;
  lastArrival: number;
  tokens: number;
  painted: boolean;
}

/**
 * The one place that speaks the wire protocol for a session page: it says hello on every
 * (re)connect, joins, keeps the local Y.Doc in sync, parses the session's AI stream into a live
 * diff, keeps the thread and review state in the store, and carries out review actions.
 * Components call its methods and read the store; they never touch the socket.
 *
 * Per-token work is buffering only: deltas are parsed and painted once per animation frame
 * (`frame`). Interrupting drops the buffer and the half-streamed block at once, before the server
 * confirms.
 */
export class SessionRuntime {
  readonly doc = new Y.Doc();
  /** Presence of everyone in the session (y-protocols), synced over the session socket. */
  readonly awareness = new Awareness(this.doc);
  private joined = false;
  private editor: EditorBridge | null = null;
  private live: LiveTurn | null = null;
  /** A prompt sent and not yet acknowledged. */
  private sending: { interruptRequested: boolean } | null = null;
  /** Streams this tab stopped: their late deltas and end are ignored. */
  private readonly stopped = new Set<string>();
  private frameRequested = false;
  private threadDirty = true;
  private filesDirty = true;
  private thread: TurnRecord[] = [];
  private disposed = false;
  private readonly off: Array<() => void> = [];

  constructor(
    private readonly socket: FlintSocket,
    private readonly store: IdeStoreApi,
    readonly sessionId: string,
    /** The capability token of the share link this page was opened with. */
    private readonly token?: string,
    private profile: Profile = { name: 'Guest', color: '#61afef' },
  ) {
    // The server removes a participant when their socket goes; no timeouts here, so a throttled
    // background tab does not vanish from everyone's list.
    clearInterval((this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
    this.awareness.setLocalState(null);
    const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const mine = [...added, ...updated, ...removed].includes(this.doc.clientID);
      if (origin !== REMOTE && mine && this.joined && this.socket.connected) {
        this.socket.emit('awareness:update', encodeAwarenessUpdate(this.awareness, [this.doc.clientID]), (r) => {
          if (!r.ok) console.warn('[flint] presence refused:', r.error.message);
        });
      }
    };
    this.awareness.on('update', onAwareness);
    const onChange = () => this.refreshParticipants();
    this.awareness.on('change', onChange);
    this.off.push(() => this.awareness.off('update', onAwareness), () => this.awareness.off('change', onChange));

    const onDocUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.sendUpdate(update);
      this.filesDirty = true;
      this.requestFrame();
    };
    this.doc.on('update', onDocUpdate);
    this.off.push(() => this.doc.off('update', onDocUpdate));

    const refreshFiles = () => this.store.getState().setFiles(listFiles(this.doc));
    filesOf(this.doc).observe(refreshFiles);
    this.off.push(() => filesOf(this.doc).unobserve(refreshFiles));
    const threadChanged = () => {
      this.threadDirty = true;
      this.requestFrame();
    };
    turnsOf(this.doc).observeDeep(threadChanged);
    restoresOf(this.doc).observeDeep(threadChanged);
    this.off.push(() => turnsOf(this.doc).unobserveDeep(threadChanged), () => restoresOf(this.doc).unobserveDeep(threadChanged));

    this.listen('connect', () => void this.connect());
    // The server refused the connection in a middleware (e.g. too many connections from this
    // address): socket.io does not retry that on its own, so it is fatal for the page.
    this.listen('connect_error', (err: Error & { data?: unknown }) => {
      const e = err.data as ProtocolError | undefined;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') this.store.getState().setFatal(e);
    });
    this.listen('disconnect', (_reason: string, details?: { context?: { code?: number } }) => {
      this.joined = false;
      // 1009: a frame larger than the server's maxHttpBufferSize (sendUpdate checks its own first).
      if (details?.context?.code === 1009) {
        const max = this.limits ? ` of ${formatBytes(this.limits.maxMessageBytes)}` : '';
        this.store.getState().showError(protocolError('payloadTooLarge', `The server closed the connection: a message was larger than its limit${max} (FLINT_MAX_MESSAGE_BYTES). Reconnecting…`));
      }
      const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.doc.clientID);
      removeAwarenessStates(this.awareness, others, REMOTE);
      if (!this.disposed && this.store.getState().connection !== 'failed') this.store.getState().setConnection('reconnecting');
    });
    this.listen('awareness:update', (update) => applyAwarenessUpdate(this.awareness, new Uint8Array(update), REMOTE));
    this.listen('session:closed', (e) => {
      this.joined = false;
      this.store.getState().setFatal(e);
    });
    this.listen('doc:update', (update) => {
      if (this.broken) return;
      try {
        Y.applyUpdate(this.doc, new Uint8Array(update), REMOTE);
      } catch (err) {
        this.onBrokenCopy(err);
      }
    });
    this.listen('ai:queued', (e) => this.onQueued(e));
    this.listen('ai:start', (e) => this.onStart(e));
    this.listen('ai:delta', (e) => this.onDelta(e));
    this.listen('ai:end', (e) => this.onEnd(e));
    this.listen('protocol:error', (e) => this.store.getState().showError(e));
    if (socket.connected) void this.connect();
    benchHook()?.attach?.(socket);
  }

  private listen<E extends keyof ServerToClientEvents | 'connect' | 'connect_error' | 'disconnect'>(event: E, fn: (...args: never[]) => void) {
    const s = this.socket as unknown as { on(e: string, f: unknown): void; off(e: string, f: unknown): void };
    s.on(event, fn);
    this.off.push(() => s.off(event, fn));
  }

  private async connect() {
    const state = this.store.getState();
    state.setConnection('connecting');
    const hi = await hello(this.socket);
    if (!hi.ok) return state.setFatal(hi.error);
    this.limits = hi.data.limits ?? null;
    state.setConnection('joining');
    const joined = await new Promise<Response<JoinResult>>((resolve) =>
      this.socket.emit('session:join', this.token ? { sessionId: this.sessionId, token: this.token } : { sessionId: this.sessionId }, resolve),
    );
    if (!joined.ok) return state.setFatal(joined.error);
    this.store.setState({ tiers: joined.data.tiers });
    state.setRole(joined.data.role, joined.data.pid);
    const serverState = new Uint8Array(joined.data.state);
    const empty = this.doc.store.clients.size === 0;
    try {
      Y.applyUpdate(this.doc, serverState, REMOTE);
    } catch (err) {
      // Reloading would not help when the server's own state does not apply to a fresh copy.
      if (this.broken || empty) return state.setFatal(protocolError('internal', 'The session’s document from the server could not be read here.'));
      return this.onBrokenCopy(err);
    }
    // Edits made while disconnected: send what the server does not have yet (a viewer has none to send).
    const missing = Y.encodeStateAsUpdate(this.doc, Y.encodeStateVectorFromUpdate(serverState));
    this.joined = true;
    // Announce myself; a new clock, so the server takes it even if it saw this client id before.
    this.awareness.setLocalState({ file: null, ...this.awareness.getLocalState(), user: { ...this.profile } });
    state.setConnection('ready');
    this.unacknowledged = 0; // acks of a previous connection never come
    // `missing` covers every refused change too: start over from what the server has.
    this.refused = null;
    this.store.getState().setUnsaved(null);
    if (missing.byteLength > 2 && this.canEdit()) this.sendUpdate(missing);
  }

  /**
   * Set when a change from the server threw inside Yjs while it was applied here: this copy is
   * then half-applied and no longer the server's, so nothing more is sent from it or applied to it.
   */
  private broken = false;
  /** Reloads the page (a fresh join rebuilds the copy from the server). Tests replace it. */
  reloadPage: () => void = () => window.location.reload();

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
    this.store.getState().showError(protocolError('internal', 'This page’s copy of the session could not take a change from the server. Reloading it from the server…'));
    let waited = 0;
    const reloadWhenStored = () => {
      if (this.disposed) return;
      // What this page sent before is stored once acknowledged; wait for that, but not forever.
      if (this.unacknowledged === 0 || waited >= 5_000) return this.reloadPage();
      waited += 100;
      setTimeout(reloadWhenStored, 100);
    };
    reloadWhenStored();
  }

  /** Local updates sent and not yet acknowledged (= not yet stored by the server). */
  unacknowledged = 0;
  /** The limits the server announced in its hello answer (null: an older server). */
  private limits: ServerLimits | null = null;
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

  /**
   * The server acknowledges a `doc:update` once it is stored. Nothing is kept for resending:
   * after any reconnect (a server crash included) `connect()` sends everything the server's
   * state lacks, which covers every update it never stored.
   *
   * A refused update (over the document size or file limit, too large a message) was not
   * applied by the server. Later updates of this client depend on it, so per-update sending
   * stops until a resync is accepted; the person sees "not saved" and keeps their text.
   */
  private sendUpdate(update: Uint8Array) {
    if (this.broken) return; // made on a half-applied copy: the reload starts over from the server
    // Not joined yet (or reconnecting): connect() sends it with the rest once joined.
    if (!this.socket.connected || this.store.getState().connection !== 'ready') return;
    if (this.refused) {
      this.changesWhileRefused++;
      return this.scheduleResync();
    }
    // A frame above the server's limit would close the connection (and again after each reconnect).
    const tooLarge = this.tooLarge(update);
    if (tooLarge) return this.onRefused(update, tooLarge);
    this.unacknowledged++;
    this.socket.emit('doc:update', update, (r) => {
      this.unacknowledged--;
      if (r.ok) return;
      // Applied, not yet durable: the server retries storing it.
      if (r.error.code === 'storageUnavailable') return this.store.getState().showError(r.error);
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
    const me = this.doc.clientID;
    let from: number;
    try {
      from = Y.parseUpdateMeta(update).from.get(me) ?? Y.getState(this.doc.store, me);
    } catch {
      from = 0; // cannot tell: send everything of mine again
    }
    // Updates sent before the first refusal came back depend on the refused one, so the server
    // refuses them too ("depends on changes this session does not have"); the first refusal is the
    // reason the person needs to see.
    const reason = this.refused?.error ?? error;
    this.refused = { from: Math.min(from, this.refused?.from ?? Infinity), error: reason };
    this.store.getState().setUnsaved(reason);
  }

  private scheduleResync() {
    if (this.resyncTimer || this.disposed) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      void this.resync();
    }, 300);
  }

  /** Sends every change of mine the server lacks since the refusal, as one update. */
  private resync() {
    const refused = this.refused;
    if (!refused || this.resyncing || this.disposed) return;
    if (!this.socket.connected || this.store.getState().connection !== 'ready') return; // connect() resends
    const me = this.doc.clientID;
    const known = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    known.set(me, refused.from);
    const diff = Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(known));
    const tooLarge = this.tooLarge(diff);
    if (tooLarge) {
      this.refused = { ...refused, error: tooLarge };
      return this.store.getState().setUnsaved(tooLarge);
    }
    const clock = Y.getState(this.doc.store, me);
    const changes = this.changesWhileRefused;
    this.resyncing = true;
    this.unacknowledged++;
    this.socket.emit('doc:update', diff, (r) => {
      this.unacknowledged--;
      this.resyncing = false;
      if (this.refused !== refused) return; // reconnected meanwhile: connect() took over
      if (!r.ok && r.error.code !== 'storageUnavailable') {
        this.refused = { ...refused, error: r.error };
        return this.store.getState().setUnsaved(r.error);
      }
      if (this.changesWhileRefused !== changes) {
        // Edited while this was in flight: the server has everything up to `clock`; send the rest.
        this.refused = { ...refused, from: clock };
        return this.scheduleResync();
      }
      this.refused = null;
      this.store.getState().setUnsaved(null);
      if (!r.ok) this.store.getState().showError(r.error);
    });
  }

  /** Whether every local change has been accepted by the server (none refused, none in flight). */
  get saved(): boolean {
    return this.refused === null && this.unacknowledged === 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Identity, presence, links

  canEdit(): boolean {
    const role = this.store.getState().role;
    return role === 'owner' || role === 'editor';
  }

  /** A new name or colour: saved by the caller, announced here. */
  setProfile(profile: Profile) {
    this.profile = profile;
    if (this.awareness.getLocalState() !== null) this.awareness.setLocalStateField('user', { ...profile });
  }

  /** Where I am: the open file and the first visible line (for others' follow mode). */
  setLocation(file: string | null, top: number | null) {
    const local = this.awareness.getLocalState();
    if (!local || (local.file === file && (local.viewport?.top ?? null) === top)) return;
    this.awareness.setLocalState({ ...local, file, viewport: top === null ? null : { top } });
  }

  private refreshParticipants() {
    const store = this.store.getState();
    const list: Participant[] = [];
    for (const [clientId, raw] of this.awareness.getStates()) {
      const state = raw as { user?: { name?: unknown; color?: unknown; pid?: unknown; role?: unknown }; file?: unknown; viewport?: { top?: unknown } | null };
      const self = clientId === this.doc.clientID;
      const user = state.user;
      if (!user || typeof user.name !== 'string' || typeof user.color !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(user.color)) continue;
      const role = (self ? store.role : user.role) as Role | null | undefined;
      if (role !== 'owner' && role !== 'editor' && role !== 'viewer') continue;
      list.push({
        clientId,
        pid: self ? (store.pid ?? '') : String(user.pid ?? ''),
        name: user.name,
        color: user.color,
        role,
        file: typeof state.file === 'string' ? state.file : null,
        top: typeof state.viewport?.top === 'number' ? state.viewport.top : null,
        self,
      });
    }
    const rank = { owner: 0, editor: 1, viewer: 2 } as const;
    list.sort((a, b) => Number(b.self) - Number(a.self) || rank[a.role] - rank[b.role] || a.name.localeCompare(b.name) || a.clientId - b.clientId);
    store.setParticipants(list);
  }

  /** Owner only: a new share link for `role` (the previous one stops working). Resolves with its token. */
  async createLink(role: LinkRole) {
    return this.report(await this.request<{ role: LinkRole; token: string }>((ack) => this.socket.emit('link:create', { role }, ack)));
  }

  async revokeLink(role: LinkRole) {
    return this.report(await this.request<Record<string, never>>((ack) => this.socket.emit('link:revoke', { role }, ack)));
  }

  /** The person's selection in `path`; the end of the file before the editor has loaded. */
  selection(path: string): Selection {
    if (this.editor) return this.editor.selection(path);
    const end = filesOf(this.doc).get(path)?.length ?? 0;
    return { start: end, end };
  }

  /** The editor view attaches itself once Monaco is loaded. */
  attachEditor(editor: EditorBridge | null) {
    this.editor = editor;
    this.filesDirty = true;
    this.requestFrame();
  }

  private request<T>(send: (ack: (r: Response<T>) => void) => void): Promise<Response<T>> {
    if (!this.socket.connected) return Promise.resolve({ ok: false, error: protocolError('notJoined', 'Not connected to the server. Reconnecting…') });
    return new Promise((resolve) => send(resolve));
  }

  private report<T>(r: Response<T>): Response<T> {
    if (!r.ok) this.store.getState().showError(r.error);
    return r;
  }

  async createFile(path: string) {
    return this.report(await this.request<{ path: string }>((ack) => this.socket.emit('file:create', { path }, ack)));
  }

  async renameFile(from: string, to: string) {
    return this.report(await this.request<{ path: string }>((ack) => this.socket.emit('file:rename', { from, to }, ack)));
  }

  async deleteFile(path: string) {
    return this.report(await this.request<{ path: string }>((ack) => this.socket.emit('file:delete', { path }, ack)));
  }

  // ---------------------------------------------------------------------------------------------
  // Prompting, interrupting, redirecting

  async prompt(prompt: string, opts: PromptOptions): Promise<Response<{ streamId: string }>> {
    const store = this.store.getState();
    store.showError(null);
    if (opts.sendNow && this.live) this.stopLocally(this.live.id);
    const sending = (this.sending = { interruptRequested: false });
    const submittedAt = performance.now();
    store.updateStream({ ...IDLE_STREAM, status: 'streaming' });
    store.updateLive({ ...IDLE_LIVE });
    const r = await this.request<{ streamId: string }>((ack) =>
      this.socket.emit(
        'ai:prompt',
        {
          prompt,
          path: opts.path,
          selection: opts.selection,
          mode: opts.mode,
          mentions: opts.mentions ?? [],
          openFiles: opts.openFiles ?? [],
          autoApply: opts.autoApply ?? false,
          sendNow: opts.sendNow ?? false,
        },
        ack,
      ),
    );
    if (this.sending === sending) this.sending = null;
    if (!r.ok) {
      if (!sending.interruptRequested) store.updateStream({ status: 'error' });
      return this.report(r);
    }
    const id = r.data.streamId;
    if (sending.interruptRequested) {
      // Stopped while the prompt was in flight: the UI already says so; now stop the server too.
      this.stopUpstream(id);
      return r;
    }
    // `ai:start` may have arrived before the acknowledgement and adopted the stream already.
    const live = this.live?.id === id ? this.live : this.beginLive(id, opts.path);
    live.own = true;
    live.submittedAt = submittedAt;
    store.updateStream({ id });
    return r;
  }

  /** Stops painting now, then asks the server to abort the upstream request. */
  interrupt(): void {
    const store = this.store.getState();
    if (store.stream.status !== 'streaming' && store.stream.status !== 'queued') return;
    if (this.sending && !this.live) {
      // Before the acknowledgement the id is unknown: `prompt()` stops the server when it arrives.
      this.sending.interruptRequested = true;
      store.updateStream({ status: 'interrupted' });
      return;
    }
    const id = this.live?.id ?? store.stream.id;
    if (!id) return;
    this.stopLocally(id);
    this.stopUpstream(id);
  }

  /** Ends the live turn in this browser at once: nothing more is painted; a half block is dropped. */
  private stopLocally(id: string) {
    this.stopped.add(id);
    const live = this.live?.id === id ? this.live : null;
    const store = this.store.getState();
    if (live) {
      const block = live.block;
      this.live = null;
      store.updateLive({ block: null, dropped: block ? { path: block.path, chars: block.chars } : null });
      store.updateStream({ status: 'interrupted', dropped: live.pending.length + (block?.chars ?? 0) });
      this.paint();
    } else {
      store.updateStream({ status: 'interrupted' });
    }
  }

  private stopUpstream(streamId: string) {
    this.stopped.add(streamId);
    this.socket.emit('ai:interrupt', { streamId }, (r) => {
      // The stream may have finished on its own in the meantime; that is not an error.
      if (!r.ok && r.error.code !== 'streamNotFound') this.store.getState().showError(r.error);
    });
  }

  private beginLive(id: string, path: string): LiveTurn {
    this.live = {
      id,
      parser: new EditStreamParser({ defaultPath: path }),
      pending: '',
      nextSeq: 0,
      prose: '',
      block: null,
      closed: 0,
      own: false,
      submittedAt: performance.now(),
      firstArrival: null,
      lastArrival: 0,
      tokens: 0,
      painted: false,
    };
    this.store.getState().updateLive({ ...IDLE_LIVE, turnId: id });
    return this.live;
  }

  /** Is this stream the one the store shows? Adopts another tab's stream of this session. */
  private current(streamId: string): boolean {
    if (this.stopped.has(streamId)) return false;
    const store = this.store.getState();
    if (this.live?.id === streamId || store.stream.id === streamId) return true;
    if (this.sending) return false; // our own prompt is on its way: its stream is the one to show
    store.updateStream({ ...IDLE_STREAM, id: streamId, status: 'streaming' });
    return true;
  }

  private onQueued(e: Parameters<ServerToClientEvents['ai:queued']>[0]) {
    if (!this.current(e.streamId)) return;
    this.store.getState().updateStream(
      e.reason === 'queue'
        ? { status: 'queued', queuePosition: e.position, capacityRetryMs: null }
        : { status: 'queued', queuePosition: null, capacityRetryMs: e.retryInMs },
    );
  }

  private onStart(e: Parameters<ServerToClientEvents['ai:start']>[0]) {
    if (!this.current(e.streamId)) return;
    if (this.live?.id !== e.streamId) this.beginLive(e.streamId, e.path);
    this.store.getState().updateStream({ status: 'streaming', queuePosition: null, capacityRetryMs: null });
    this.store.getState().updateLive({ context: e.context });
  }

  private onDelta(e: Parameters<ServerToClientEvents['ai:delta']>[0]) {
    const live = this.live;
    // Only a stream seen from its start can be parsed (a late joiner sees its hunks as they land).
    if (!live || live.id !== e.streamId || e.seq !== live.nextSeq) return;
    live.nextSeq++;
    const now = performance.now();
    live.firstArrival ??= now;
    live.lastArrival = now;
    live.tokens += e.tokens;
    live.pending += e.text;
    this.requestFrame();
  }

  private requestFrame() {
    if (this.frameRequested || this.disposed) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.frame());
  }

  /** Once per animation frame: parse what arrived, refresh the thread and review, paint the diff. */
  private frame() {
    this.frameRequested = false;
    if (this.disposed) return;
    const live = this.live;
    let liveChanged = false;
    const text = live?.pending ?? '';
    if (live && live.pending) {
      this.consume(live, live.parser.push(live.pending));
      live.pending = '';
      liveChanged = true;
    }
    // Hunk views change only with the thread or the files; a frame of new tokens repaints the live block.
    if (this.threadDirty || this.filesDirty) this.refreshReview();
    else if (liveChanged) this.paint();
    if (liveChanged && live) {
      this.publishLive(live);
      benchHook()?.frame?.(live.id, text);
    }
  }

  private consume(live: LiveTurn, events: EditEvent[]) {
    for (const ev of events) {
      switch (ev.type) {
        case 'text':
          live.prose += ev.text;
          break;
        case 'blockOpen':
          live.block = { index: ev.index, path: ev.path, phase: 'search', placed: null, chars: 0, search: '', replace: '' };
          break;
        case 'searchDelta':
          if (live.block) {
            live.block.search += ev.text;
            live.block.chars += ev.text.length;
          }
          break;
        case 'searchEnd':
          if (live.block) live.block.phase = 'replace';
          break;
        case 'replaceDelta':
          if (live.block) {
            live.block.replace += ev.text;
            live.block.chars += ev.text.length;
          }
          break;
        case 'blockClose':
          live.block = null;
          live.closed++;
          break;
        case 'blockAbort':
          this.store.getState().updateLive({ dropped: { path: ev.path, chars: ev.partial.search.length + (ev.partial.replace?.length ?? 0) } });
          live.block = null;
          break;
      }
    }
  }

  private publishLive(live: LiveTurn) {
    const store = this.store.getState();
    const block = live.block;
    store.updateLive({
      prose: live.prose,
      closed: live.closed,
      block: block ? { index: block.index, path: block.path, phase: block.phase, placed: block.placed, chars: block.chars } : null,
    });
    if (!live.own) return;
    const patch: Partial<StreamState> = { tokens: live.tokens, chars: live.prose.length + (block?.chars ?? 0), tokensPerSecond: this.rate(live) };
    if (!live.painted) {
      live.painted = true;
      patch.ttftMs = performance.now() - live.submittedAt;
      this.socket.emit('ai:report', { streamId: live.id, browserTtftMs: patch.ttftMs });
    }
    store.updateStream(patch);
  }

  private rate(live: LiveTurn): number | null {
    if (live.firstArrival === null || live.lastArrival <= live.firstArrival) return null;
    return live.tokens / ((live.lastArrival - live.firstArrival) / 1000);
  }

  /** Re-reads the thread when it changed, re-places pending hunks in the current text, repaints. */
  private refreshReview() {
    if (this.threadDirty) this.thread = readThread(this.doc);
    const threadChanged = this.threadDirty;
    this.threadDirty = false;
    this.filesDirty = false;
    const last = this.thread.at(-1);
    const hunks: HunkView[] = [];
    for (const turn of this.thread) {
      if (turn.revertedBy) continue;
      for (const h of turn.hunks) {
        if (h.status === 'pending' || turn === last) hunks.push(viewHunk(h, readFile(this.doc, h.path) ?? null));
      }
    }
    const store = this.store.getState();
    store.setThread(threadChanged ? this.thread : store.thread, hunks, threadChanged ? readRestores(this.doc) : store.restores);
    if (store.selectedHunk && !hunks.some((h) => h.id === store.selectedHunk && h.view !== 'accepted' && h.view !== 'rejected')) {
      store.selectHunk(null);
    }
    this.paint();
  }

  /** The diff the editor shows: pending hunks where they place now, and the block streaming now. */
  private paint() {
    if (!this.editor) return;
    const items = new Map<string, DiffItem[]>();
    const add = (path: string, item: DiffItem) => {
      const list = items.get(path) ?? [];
      list.push(item);
      items.set(path, list);
    };
    for (const h of this.store.getState().hunks) {
      if (h.view === 'pending' && h.placement?.ok) add(h.path, { key: h.id, kind: 'pending', start: h.placement.start, end: h.placement.end, added: h.placement.text });
    }
    const block = this.live?.block;
    if (block && block.path && block.phase === 'replace') {
      const placement = placeHunk(readFile(this.doc, block.path) ?? null, { search: block.search, replace: block.replace });
      block.placed = placement.ok;
      if (placement.ok) add(block.path, { key: `live:${block.index}`, kind: 'live', start: placement.start, end: placement.end, added: placement.text });
    }
    this.editor.paint(items);
  }

  private onEnd(e: Parameters<ServerToClientEvents['ai:end']>[0]) {
    if (this.stopped.delete(e.streamId)) return;
    const store = this.store.getState();
    const live = this.live?.id === e.streamId ? this.live : null;
    if (live) {
      const text = live.pending;
      if (live.pending) {
        this.consume(live, live.parser.push(live.pending));
        live.pending = '';
      }
      this.consume(live, live.parser.end());
      this.publishLive(live);
      this.live = null;
      store.updateStream({ status: e.status, tokensPerSecond: this.rate(live) ?? store.stream.tokensPerSecond, tokens: live.tokens });
      this.refreshReview();
      if (text) benchHook()?.frame?.(live.id, text);
    } else if (store.stream.id === e.streamId) {
      store.updateStream({ status: e.status });
    }
    if (e.error) store.showError(e.error);
    if (live?.own && e.status === 'done') void this.runNextFollowUp();
  }

  // ---------------------------------------------------------------------------------------------
  // Follow-ups queued while a turn streams

  queueFollowUp(text: string) {
    const s = this.store.getState();
    s.setFollowups([...s.followups, { id: crypto.randomUUID(), text }]);
  }

  editFollowUp(id: string, text: string) {
    const s = this.store.getState();
    s.setFollowups(s.followups.map((f) => (f.id === id ? { ...f, text } : f)));
  }

  removeFollowUp(id: string) {
    const s = this.store.getState();
    s.setFollowups(s.followups.filter((f) => f.id !== id));
  }

  /** Runs the first queued follow-up against the file open now. */
  async runNextFollowUp() {
    const s = this.store.getState();
    const next = s.followups[0];
    if (!next || !s.openPath || this.live || this.sending) return;
    s.setFollowups(s.followups.slice(1));
    const r = await this.prompt(next.text, this.promptOptions(next.text));
    if (!r.ok) this.store.getState().setFollowups([next, ...this.store.getState().followups]);
  }

  /** Everything a prompt carries besides its text, from the current editor state. */
  promptOptions(text: string, extra: Partial<PromptOptions> = {}): PromptOptions {
    const s = this.store.getState();
    const path = s.openPath!;
    const files = new Set(s.files);
    const mentions = [...text.matchAll(/(?:^|\s)@([^\s]+)/g)].map((m) => m[1].replace(/[.,;:!?)]+$/, '')).filter((p) => files.has(p));
    return {
      path,
      selection: this.selection(path),
      mode: s.mode,
      mentions: [...new Set(mentions)].slice(0, 32),
      openFiles: s.recentPaths.filter((p) => p !== path && files.has(p)).slice(0, 8),
      autoApply: s.autoApply,
      ...extra,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Review and checkpoints

  private target(): TextTarget {
    return this.editor?.target() ?? yTextTarget(this.doc);
  }

  /**
   * Accepts hunks: the server first grants each to this person alone (`hunk:claim`: two people
   * accepting one hunk at once would both insert its text), then they are written here, through
   * the editor, as one undo step.
   */
  async accept(ids: string[]) {
    if (!this.canEdit() || !ids.length) return;
    const granted = await this.claim(ids);
    if (!granted) return;
    const errors = [...granted.refused, ...acceptHunks(this.doc, granted.ids, this.target())];
    if (errors.length) this.showError(protocolError('conflict', errors.map((e) => e.message).join(' ')));
    else this.showError(null);
  }

  async reject(ids: string[]) {
    if (!this.canEdit() || !ids.length) return;
    const granted = await this.claim(ids);
    if (!granted) return;
    rejectHunks(this.doc, granted.ids);
    if (granted.refused.length) this.showError(protocolError('conflict', granted.refused.map((e) => e.message).join(' ')));
  }

  /** The hunks this person may decide now, and why the others may not; null when refused outright. */
  private async claim(ids: string[]): Promise<{ ids: string[]; refused: Array<{ message: string }> } | null> {
    const r = this.report(await this.request<HunkClaimResult>((ack) => this.socket.emit('hunk:claim', { hunkIds: ids }, ack)));
    if (!r.ok) return null;
    const label = (id: string) => {
      const hunk = this.store.getState().hunks.find((h) => h.id === id);
      return hunk ? `Hunk ${hunk.index + 1}` : 'A hunk';
    };
    return {
      ids: r.data.granted,
      refused: r.data.refused.map(({ hunkId, reason }) => ({
        message: reason === 'decided' ? `${label(hunkId)} was already decided by someone else.` : `${label(hunkId)} is being decided by someone else right now.`,
      })),
    };
  }

  /** Pending, placeable hunks: what "accept all" applies. */
  reviewable(): string[] {
    return this.store.getState().hunks.filter((h) => h.view === 'pending').map((h) => h.id);
  }

  rejectable(): string[] {
    return this.store.getState().hunks.filter((h) => h.view === 'pending' || h.view === 'conflict').map((h) => h.id);
  }

  restore(turnId: string) {
    if (!this.canEdit()) return;
    restoreCheckpoint(this.doc, turnId, this.target(), crypto.randomUUID());
  }

  undoRestore(restoreId: string) {
    if (!this.canEdit()) return;
    undoRestore(this.doc, restoreId, this.target());
  }

  reveal(path: string, offset: number) {
    this.store.getState().openFile(path);
    this.editor?.reveal(path, offset);
  }

  showError(error: ProtocolError | null) {
    this.store.getState().showError(error);
  }

  dispose() {
    this.disposed = true;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    for (const off of this.off) off();
    this.awareness.destroy();
    this.doc.destroy();
  }
}
