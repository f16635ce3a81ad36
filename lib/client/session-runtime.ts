'use client';
import * as Y from 'yjs';
import {
  PROTOCOL_VERSION,
  protocolError,
  type ProtocolError,
  type Response,
  type Selection,
  type ServerToClientEvents,
  type JoinResult,
  type TierName,
} from '@/lib/protocol';
import { filesOf, listFiles } from '@/lib/collab/workspace-doc';
import type { IdeStoreApi } from '@/lib/stores/ide-store';
import { IDLE_STREAM, type StreamState } from '@/lib/stores/ide-store';
import type { FlintSocket } from './connection';

/** Where an own stream's text goes: implemented over Monaco by the editor view. */
export interface StreamSink {
  /** The person's selection (or cursor) in `path`, as offsets; the end of the file when unknown. */
  selection(path: string): Selection;
  begin(path: string, selection: Selection): { insert(text: string): void; close(): void; clear(): void; readonly length: number } | null;
}

const REMOTE = Symbol('remote');

/** Sends `session:hello` and resolves with the server's answer. */
export function hello(socket: FlintSocket, protocolVersion = PROTOCOL_VERSION): Promise<Response<{ protocolVersion: number }>> {
  return new Promise((resolve) => socket.emit('session:hello', { protocolVersion }, resolve));
}

/**
 * The one place that speaks the wire protocol for a session page: it says hello on every
 * (re)connect, joins, keeps the local Y.Doc in sync, and turns `ai:*` events into store updates
 * and editor inserts. Components call its methods and read the store; they never touch the socket.
 *
 * Deltas are buffered as they arrive and applied once per animation frame (`frame`), never per
 * message; interrupting drops the buffer and stops painting at once, before the server confirms.
 */
export class SessionRuntime {
  readonly doc = new Y.Doc();
  private sink: StreamSink | null = null;
  private own: {
    id: string | null;
    submittedAt: number;
    path: string;
    selection: Selection;
    firstArrival: number | null;
    lastArrival: number;
    tokens: number;
    pending: string;
    painted: boolean;
    inserter: ReturnType<StreamSink['begin']>;
    /** Stop was pressed before the server acknowledged the prompt (so before the id was known). */
    interruptRequested: boolean;
  } | null = null;
  private lastInserter: ReturnType<StreamSink['begin']> = null;
  /** Streams this tab interrupted: their late deltas and end are ignored. */
  private readonly stopped = new Set<string>();
  private frameRequested = false;
  private disposed = false;
  private readonly off: Array<() => void> = [];

  constructor(
    private readonly socket: FlintSocket,
    private readonly store: IdeStoreApi,
    readonly sessionId: string,
  ) {
    const onDocUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.socket.emit('doc:update', update);
    };
    this.doc.on('update', onDocUpdate);
    this.off.push(() => this.doc.off('update', onDocUpdate));

    const refreshFiles = () => this.store.getState().setFiles(listFiles(this.doc));
    filesOf(this.doc).observe(refreshFiles);
    this.off.push(() => filesOf(this.doc).unobserve(refreshFiles));

    this.listen('connect', () => void this.connect());
    this.listen('disconnect', () => {
      if (!this.disposed && this.store.getState().connection !== 'failed') this.store.getState().setConnection('reconnecting');
    });
    this.listen('doc:update', (update) => Y.applyUpdate(this.doc, new Uint8Array(update), REMOTE));
    this.listen('ai:queued', (e) => this.onQueued(e));
    this.listen('ai:start', (e) => this.onStart(e));
    this.listen('ai:delta', (e) => this.onDelta(e));
    this.listen('ai:end', (e) => this.onEnd(e));
    this.listen('protocol:error', (e) => this.store.getState().showError(e));
    if (socket.connected) void this.connect();
  }

  private listen<E extends keyof ServerToClientEvents | 'connect' | 'disconnect'>(event: E, fn: (...args: never[]) => void) {
    const s = this.socket as unknown as { on(e: string, f: unknown): void; off(e: string, f: unknown): void };
    s.on(event, fn);
    this.off.push(() => s.off(event, fn));
  }

  private async connect() {
    const state = this.store.getState();
    state.setConnection('connecting');
    const hi = await hello(this.socket);
    if (!hi.ok) return state.setFatal(hi.error);
    state.setConnection('joining');
    const joined = await new Promise<Response<JoinResult>>((resolve) =>
      this.socket.emit('session:join', { sessionId: this.sessionId }, resolve),
    );
    if (!joined.ok) return state.setFatal(joined.error);
    this.store.setState({ tiers: joined.data.tiers });
    const serverState = new Uint8Array(joined.data.state);
    Y.applyUpdate(this.doc, serverState, REMOTE);
    // Edits made while disconnected: send what the server does not have yet.
    const missing = Y.encodeStateAsUpdate(this.doc, Y.encodeStateVectorFromUpdate(serverState));
    if (missing.byteLength > 2) this.socket.emit('doc:update', missing);
    state.setConnection('ready');
  }

  /** The person's selection in `path`; the end of the file before the editor has loaded. */
  selection(path: string): Selection {
    if (this.sink) return this.sink.selection(path);
    const end = filesOf(this.doc).get(path)?.length ?? 0;
    return { start: end, end };
  }

  /** The editor view provides the sink once Monaco is loaded. */
  attachSink(sink: StreamSink | null) {
    this.sink = sink;
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

  async prompt(prompt: string, path: string, selection: Selection, mode: TierName): Promise<Response<{ streamId: string }>> {
    const store = this.store.getState();
    store.showError(null);
    this.lastInserter?.clear();
    this.lastInserter = null;
    const own: NonNullable<SessionRuntime['own']> = (this.own = {
      id: null,
      submittedAt: performance.now(),
      path,
      selection,
      firstArrival: null,
      lastArrival: 0,
      tokens: 0,
      pending: '',
      painted: false,
      inserter: null,
      interruptRequested: false,
    });
    store.updateStream({ ...IDLE_STREAM, status: 'streaming' });
    const r = await this.request<{ streamId: string }>((ack) => this.socket.emit('ai:prompt', { prompt, path, selection, mode }, ack));
    if (!r.ok) {
      if (this.own === own) this.own = null;
      if (!own.interruptRequested) store.updateStream({ status: 'error' });
      return this.report(r);
    }
    own.id = r.data.streamId;
    if (own.interruptRequested) {
      // Stopped while the prompt was in flight: the UI already says so; now stop the server too.
      this.stopUpstream(own.id);
      return r;
    }
    store.updateStream({ id: r.data.streamId });
    return r;
  }

  /** Stops painting now, then asks the server to abort the upstream request. */
  interrupt(): void {
    const own = this.own;
    const store = this.store.getState();
    if (store.stream.status !== 'streaming' && store.stream.status !== 'queued') return;
    const id = own ? own.id : store.stream.id;
    if (own) {
      store.updateStream({ status: 'interrupted', dropped: own.pending.length });
      own.pending = '';
      own.inserter?.close();
      this.lastInserter = own.inserter;
      this.own = null;
      // Before the acknowledgement the id is unknown: `prompt()` stops the server when it arrives.
      if (id === null) own.interruptRequested = true;
    } else {
      store.updateStream({ status: 'interrupted' });
    }
    if (id) this.stopUpstream(id);
  }

  private stopUpstream(streamId: string) {
    this.stopped.add(streamId);
    this.socket.emit('ai:interrupt', { streamId }, (r) => {
      // The stream may have finished on its own in the meantime; that is not an error.
      if (!r.ok && r.error.code !== 'streamNotFound') this.store.getState().showError(r.error);
    });
  }

  /** Is this stream the one the store shows? Adopts another tab's stream of this session. */
  private current(streamId: string): boolean {
    if (this.stopped.has(streamId)) return false;
    const store = this.store.getState();
    if (this.own?.id === streamId || store.stream.id === streamId) return true;
    if (this.own) return false;
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
    this.store.getState().updateStream({ status: 'streaming', queuePosition: null, capacityRetryMs: null });
  }

  private onDelta(e: Parameters<ServerToClientEvents['ai:delta']>[0]) {
    if (this.stopped.has(e.streamId)) return;
    const own = this.own;
    if (!own || own.id !== e.streamId) return;
    const now = performance.now();
    own.firstArrival ??= now;
    own.lastArrival = now;
    own.tokens += e.tokens;
    own.pending += e.text;
    this.requestFrame();
  }

  private requestFrame() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.frame());
  }

  /** Once per animation frame: paint everything that arrived, then publish the metrics. */
  private frame() {
    this.frameRequested = false;
    const own = this.own;
    if (!own || !own.pending) return;
    if (!own.inserter && this.sink) own.inserter = this.sink.begin(own.path, own.selection);
    if (!own.inserter) return; // the editor is not ready yet: keep buffering
    own.inserter.insert(own.pending);
    own.pending = '';
    const now = performance.now();
    const patch: Partial<StreamState> = {
      tokens: own.tokens,
      chars: own.inserter.length,
      tokensPerSecond: this.rate(own),
    };
    if (!own.painted) {
      own.painted = true;
      patch.ttftMs = now - own.submittedAt;
      if (own.id) this.socket.emit('ai:report', { streamId: own.id, browserTtftMs: patch.ttftMs });
    }
    this.store.getState().updateStream(patch);
  }

  private rate(own: NonNullable<SessionRuntime['own']>): number | null {
    if (own.firstArrival === null || own.lastArrival <= own.firstArrival) return null;
    return own.tokens / ((own.lastArrival - own.firstArrival) / 1000);
  }

  private onEnd(e: Parameters<ServerToClientEvents['ai:end']>[0]) {
    if (this.stopped.delete(e.streamId)) return;
    const store = this.store.getState();
    const own = this.own;
    if (own && own.id === e.streamId) {
      this.frame(); // paint what is left before closing
      own.inserter?.close();
      this.lastInserter = own.inserter;
      this.own = null;
      store.updateStream({ status: e.status, tokensPerSecond: this.rate(own) ?? store.stream.tokensPerSecond, tokens: own.tokens });
    } else if (store.stream.id === e.streamId) {
      store.updateStream({ status: e.status });
    }
    if (e.error) store.showError(e.error);
  }

  showError(error: ProtocolError | null) {
    this.store.getState().showError(error);
  }

  dispose() {
    this.disposed = true;
    for (const off of this.off) off();
    this.doc.destroy();
  }
}
