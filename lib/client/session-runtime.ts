'use client';
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { LinkRole, ProtocolError, Response, Selection, ServerToClientEvents } from '@/lib/protocol';
import { filesOf, listFiles } from '@/lib/collab/workspace-doc';
import type { IdeStoreApi } from '@/lib/stores/ide-store';
import type { FlintSocket } from './connection';
import type { Profile } from './profile';
import { benchHook } from './bench-hook';
import { canEdit, REMOTE, selectionIn, type RuntimeContext } from './context';
import { DocSync } from './doc-sync';
import { FollowUps } from './follow-ups';
import { join } from './join';
import { parsePending } from './live-turn';
import { Presence } from './presence';
import * as requests from './requests';
import { Review } from './review';
import { TurnStream } from './turn-stream';
import type { EditorBridge, PromptOptions } from './types';

export type { DiffItem, EditorBridge, PromptOptions } from './types';
export { hello } from './requests';

/**
 * The one place that speaks the wire protocol for a session page: it says hello on every
 * (re)connect, joins, keeps the local Y.Doc in sync, parses the session's AI stream into a live
 * diff, keeps the thread and review state in the store, and carries out review actions.
 * Components call its methods and read the store; they never touch the socket.
 *
 * Per-token work is buffering only: deltas are parsed and painted once per animation frame
 * (`frame`). Interrupting drops the buffer and the half-streamed block at once, before the server
 * confirms.
 *
 * This class wires the parts (lib/client/CONTEXT.md) and routes each socket event to one of them.
 */
export class SessionRuntime {
  readonly doc = new Y.Doc();
  /** Presence of everyone in the session (y-protocols), synced over the session socket. */
  readonly awareness: Awareness;
  /** Reloads the page (a fresh join rebuilds the copy from the server). Tests replace it. */
  reloadPage: () => void = () => window.location.reload();

  private readonly ctx: RuntimeContext;
  private readonly sync: DocSync;
  private readonly presence: Presence;
  private readonly stream: TurnStream;
  private readonly review: Review;
  private readonly followUps: FollowUps;
  private frameRequested = false;

  constructor(
    private readonly socket: FlintSocket,
    private readonly store: IdeStoreApi,
    readonly sessionId: string,
    /** The capability token of the share link this page was opened with. */
    private readonly token?: string,
    profile: Profile = { name: 'Guest', color: '#61afef' },
  ) {
    const ctx: RuntimeContext = (this.ctx = {
      socket,
      store,
      doc: this.doc,
      editor: null,
      joined: false,
      disposed: false,
      requestFrame: this.requestFrame,
      off: [],
    });
    this.presence = new Presence(ctx, profile);
    this.awareness = this.presence.awareness;
    this.sync = new DocSync(ctx, () => this.reloadPage());
    this.stream = new TurnStream(ctx, {
      paint: () => this.review.paint(),
      refreshReview: () => this.review.refresh(),
      ownTurnDone: (turnId) => void this.afterOwnTurn(turnId),
    });
    this.review = new Review(ctx, () => this.stream.live?.block ?? null);
    this.followUps = new FollowUps(ctx, this.stream);

    // Per keystroke (and per remote change): send mine, re-place hunks on the next frame.
    const onDocUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.sync.send(update);
      this.review.filesChanged();
    };
    this.doc.on('update', onDocUpdate);
    const refreshFiles = () => store.getState().setFiles(listFiles(this.doc));
    filesOf(this.doc).observe(refreshFiles);
    ctx.off.push(() => this.doc.off('update', onDocUpdate), () => filesOf(this.doc).unobserve(refreshFiles));

    this.listen('connect', () => void this.connect());
    // The server refused the connection in a middleware (e.g. too many connections from this
    // address): socket.io does not retry that on its own, so it is fatal for the page.
    this.listen('connect_error', (err: Error & { data?: unknown }) => {
      const e = err.data as ProtocolError | undefined;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') store.getState().setFatal(e);
    });
    this.listen('disconnect', (_reason: string, details?: { context?: { code?: number } }) => {
      ctx.joined = false;
      this.sync.disconnected(details?.context?.code);
      this.presence.dropOthers();
      if (!ctx.disposed && store.getState().connection !== 'failed') store.getState().setConnection('reconnecting');
    });
    this.listen('awareness:update', (update) => this.presence.applyRemote(new Uint8Array(update)));
    this.listen('session:closed', (e) => {
      ctx.joined = false;
      store.getState().setFatal(e);
    });
    this.listen('doc:update', (update) => this.sync.applyRemote(new Uint8Array(update)));
    this.listen('ai:queued', (e) => this.stream.onQueued(e));
    this.listen('ai:start', (e) => this.stream.onStart(e));
    this.listen('ai:delta', (e) => this.stream.onDelta(e));
    this.listen('ai:end', (e) => this.stream.onEnd(e));
    this.listen('protocol:error', (e) => store.getState().showError(e));
    if (socket.connected) void this.connect();
    benchHook()?.attach?.(socket);
  }

  private connect() {
    return join(this.ctx, this.sync, this.presence, this.sessionId, this.token);
  }

  private listen<E extends keyof ServerToClientEvents | 'connect' | 'connect_error' | 'disconnect'>(event: E, fn: (...args: never[]) => void) {
    const s = this.socket as unknown as { on(e: string, f: unknown): void; off(e: string, f: unknown): void };
    s.on(event, fn);
    this.ctx.off.push(() => s.off(event, fn));
  }

  /** Per token and per keystroke: at most one frame pending. */
  private readonly requestFrame = () => {
    if (this.frameRequested || this.ctx.disposed) return;
    this.frameRequested = true;
    requestAnimationFrame(this.frame);
  };

  /** Once per animation frame: parse what arrived, refresh the thread and review, paint the diff. */
  private readonly frame = () => {
    this.frameRequested = false;
    if (this.ctx.disposed) return;
    const live = this.stream.live;
    const text = live?.pending ?? '';
    if (live && text) parsePending(this.store, live);
    // Hunk views change only with the thread or the files; a frame of new tokens repaints the live block.
    if (this.review.stale) this.review.refresh();
    else if (text) this.review.paint();
    // After painting: publishing reads whether the live block placed.
    if (live && text) {
      this.stream.publish(live);
      benchHook()?.frame?.(live.id, text);
    }
  };

  /** Local updates sent and not yet acknowledged (= not yet stored by the server). */
  get unacknowledged(): number {
    return this.sync.unacknowledged;
  }

  /** Whether every local change has been accepted by the server (none refused, none in flight). */
  get saved(): boolean {
    return this.sync.saved;
  }

  // Identity, presence, links, files

  canEdit(): boolean {
    return canEdit(this.ctx);
  }

  /** A new name or colour: saved by the caller, announced here. */
  setProfile(profile: Profile) {
    this.presence.setProfile(profile);
  }

  /** Where I am: the open file and the first visible line (for others' follow mode). */
  setLocation(file: string | null, top: number | null) {
    this.presence.setLocation(file, top);
  }

  /** Owner only: a new share link for `role` (the previous one stops working). Resolves with its token. */
  createLink(role: LinkRole) {
    return requests.createLink(this.ctx, role);
  }

  revokeLink(role: LinkRole) {
    return requests.revokeLink(this.ctx, role);
  }

  createFile(path: string) {
    return requests.createFile(this.ctx, path);
  }

  renameFile(from: string, to: string) {
    return requests.renameFile(this.ctx, from, to);
  }

  deleteFile(path: string) {
    return requests.deleteFile(this.ctx, path);
  }

  // The editor

  /** The person's selection in `path`; the end of the file before the editor has loaded. */
  selection(path: string): Selection {
    return selectionIn(this.ctx, path);
  }

  /** The editor view attaches itself once Monaco is loaded. */
  attachEditor(editor: EditorBridge | null) {
    this.ctx.editor = editor;
    this.review.filesChanged();
  }

  // Prompting, interrupting, redirecting; follow-ups queued while a turn streams

  prompt(prompt: string, opts: PromptOptions): Promise<Response<{ streamId: string }>> {
    return this.stream.prompt(prompt, opts);
  }

  /** Stops painting now, then asks the server to abort the upstream request. */
  interrupt(): void {
    this.stream.interrupt();
  }

  queueFollowUp(text: string) {
    this.followUps.queue(text);
  }

  editFollowUp(id: string, text: string) {
    this.followUps.edit(id, text);
  }

  removeFollowUp(id: string) {
    this.followUps.remove(id);
  }

  /** Runs the first queued follow-up against the file open now. */
  runNextFollowUp() {
    return this.followUps.runNext();
  }

  /** Everything a prompt carries besides its text, from the current editor state. */
  promptOptions(text: string, extra: Partial<PromptOptions> = {}): PromptOptions {
    return this.followUps.promptOptions(text, extra);
  }

  // Review and checkpoints

  /** Claims the hunks (`hunk:claim`), then writes them through the editor as one undo step. */
  accept(ids: string[]) {
    return this.review.accept(ids);
  }

  /** Applies an ambiguous hunk at the candidate the person picked (`index` of `of`). */
  pick(hunkId: string, index: number, of: number) {
    return this.review.pick(hunkId, index, of);
  }

  /** Sends the blocks of turn `turnId` that did not apply back to the model (`ai:retry`), as a turn of this tab's. */
  retry(turnId: string, auto = false): Promise<Response<{ streamId: string }>> {
    const path = this.review.turnPath(turnId) ?? this.store.getState().openPath ?? '';
    return this.stream.retry(turnId, auto, path);
  }

  /** Puts the failure report of turn `turnId` into the prompt box, to edit and send. */
  draftFailureReport(turnId: string) {
    this.review.draftFailureReport(turnId);
  }

  /**
   * This tab's turn finished: with "Retry failed changes" on, one automatic follow-up reports its
   * failed blocks to the model (aider's reflection); its end runs the queued follow-ups.
   */
  private async afterOwnTurn(turnId: string) {
    this.review.refresh();
    if (this.store.getState().autoRetry && canEdit(this.ctx) && this.review.needsAutoRetry(turnId)) {
      const r = await this.retry(turnId, true);
      if (r.ok) return;
    }
    await this.followUps.runNext();
  }

  reject(ids: string[]) {
    return this.review.reject(ids);
  }

  /** Pending, placeable hunks: what "accept all" applies. */
  reviewable(): string[] {
    return this.review.reviewable();
  }

  rejectable(): string[] {
    return this.review.rejectable();
  }

  restore(turnId: string) {
    this.review.restore(turnId);
  }

  undoRestore(restoreId: string) {
    this.review.undoRestore(restoreId);
  }

  reveal(path: string, offset: number) {
    this.review.reveal(path, offset);
  }

  showError(error: ProtocolError | null) {
    this.store.getState().showError(error);
  }

  dispose() {
    this.ctx.disposed = true;
    this.sync.dispose();
    for (const off of this.ctx.off) off();
    this.presence.dispose();
    this.doc.destroy();
  }
}
