import type { Response, ServerToClientEvents } from '@/lib/protocol';
import { IDLE_LIVE, IDLE_STREAM, type StreamState } from '@/lib/stores/ide-store';
import { filesOf } from '@/lib/collab/workspace-doc';
import { benchHook } from './bench-hook';
import type { RuntimeContext } from './context';
import { newLiveTurn, parseEnd, rate, type LiveTurn } from './live-turn';
import { report, request } from './requests';
import { ttftStages } from './ttft-stages';
import type { PromptOptions } from './types';

type ServerEvent<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/** What the turn stream asks of the rest of the runtime. */
export interface TurnStreamHooks {
  /** Repaints the diff: the live block went away. */
  paint(): void;
  /** A turn ended: re-read the thread and review, repaint. */
  refreshReview(): void;
  /** A turn this tab sent finished (`done`): an automatic retry or the next queued follow-up may run. */
  ownTurnDone(turnId: string): void;
}

/**
 * The session's AI stream as this tab sees it: prompting, interrupting, redirecting, and the
 * `ai:*` events of whoever's turn it is, into the live turn and the store's `stream`.
 *
 * Per-token work is buffering only (`onDelta`): the runtime's frame parses and paints
 * (`parsePending`, `publish`). Interrupting drops the buffer and the half-streamed block at
 * once, before the server confirms.
 */
export class TurnStream {
  /** The turn streaming now, seen from its start. */
  live: LiveTurn | null = null;
  /** A prompt sent and not yet acknowledged. */
  sending: { interruptRequested: boolean } | null = null;
  /** Streams this tab stopped: their late deltas and end are ignored. */
  private readonly stopped = new Set<string>();

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly hooks: TurnStreamHooks,
  ) {}

  async prompt(prompt: string, opts: PromptOptions): Promise<Response<{ streamId: string }>> {
    if (opts.sendNow && this.live) this.stopLocally(this.live.id);
    return this.send(opts.path, (ack) =>
      this.ctx.socket.emit(
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
  }

  /** Sends the failures of turn `turnId` back to the model (`ai:retry`): a new turn of this tab's. `path`: that turn's file. */
  retry(turnId: string, auto: boolean, path: string): Promise<Response<{ streamId: string }>> {
    return this.send(path, (ack) => this.ctx.socket.emit('ai:retry', { turnId, auto }, ack));
  }

  /** A request that starts a turn of this tab's: the stream shown from now, adopted as own once acknowledged. */
  private async send(path: string, emit: (ack: (r: Response<{ streamId: string }>) => void) => void): Promise<Response<{ streamId: string }>> {
    const ctx = this.ctx;
    const store = ctx.store.getState();
    store.showError(null);
    const sending = (this.sending = { interruptRequested: false });
    const submittedAt = performance.now();
    let sentAt = submittedAt;
    store.updateStream({ ...IDLE_STREAM, status: 'streaming' });
    store.updateLive({ ...IDLE_LIVE });
    const r = await request<{ streamId: string }>(ctx, (ack) => {
      sentAt = performance.now();
      emit(ack);
    });
    if (this.sending === sending) this.sending = null;
    if (!r.ok) {
      if (!sending.interruptRequested) store.updateStream({ status: 'error' });
      return report(ctx, r);
    }
    const id = r.data.streamId;
    if (sending.interruptRequested) {
      // Stopped while the prompt was in flight: the UI already says so; now stop the server too.
      this.stopUpstream(id);
      return r;
    }
    // `ai:start` may have arrived before the acknowledgement and adopted the stream already.
    const live = this.live?.id === id ? this.live : this.beginLive(id, path);
    live.own = true;
    live.submittedAt = submittedAt;
    live.sentAt = sentAt;
    store.updateStream({ id });
    return r;
  }

  /** Stops painting now, then asks the server to abort the upstream request. */
  interrupt(): void {
    const store = this.ctx.store.getState();
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
    const store = this.ctx.store.getState();
    if (live) {
      const block = live.block;
      this.live = null;
      store.updateLive({ block: null, dropped: block ? { path: block.path, chars: block.chars } : null });
      store.updateStream({ status: 'interrupted', dropped: live.pending.length + (block?.chars ?? 0) });
      this.hooks.paint();
    } else {
      store.updateStream({ status: 'interrupted' });
    }
  }

  private stopUpstream(streamId: string) {
    this.stopped.add(streamId);
    this.ctx.socket.emit('ai:interrupt', { streamId }, (r) => {
      // The stream may have finished on its own in the meantime; that is not an error.
      if (!r.ok && r.error.code !== 'streamNotFound') this.ctx.store.getState().showError(r.error);
    });
  }

  private beginLive(id: string, path: string): LiveTurn {
    this.live = newLiveTurn(id, path, () => filesOf(this.ctx.doc).keys());
    this.ctx.store.getState().updateLive({ ...IDLE_LIVE, turnId: id });
    return this.live;
  }

  /** Is this stream the one the store shows? Adopts another tab's stream of this session. */
  private current(streamId: string): boolean {
    if (this.stopped.has(streamId)) return false;
    const store = this.ctx.store.getState();
    if (this.live?.id === streamId || store.stream.id === streamId) return true;
    if (this.sending) return false; // our own prompt is on its way: its stream is the one to show
    store.updateStream({ ...IDLE_STREAM, id: streamId, status: 'streaming' });
    return true;
  }

  onQueued(e: ServerEvent<'ai:queued'>) {
    if (!this.current(e.streamId)) return;
    this.ctx.store.getState().updateStream(
      e.reason === 'queue'
        ? { status: 'queued', queuePosition: e.position, capacityRetryMs: null }
        : { status: 'queued', queuePosition: null, capacityRetryMs: e.retryInMs },
    );
  }

  onStart(e: ServerEvent<'ai:start'>) {
    if (!this.current(e.streamId)) return;
    if (this.live?.id !== e.streamId) this.beginLive(e.streamId, e.path);
    this.ctx.store.getState().updateStream({ status: 'streaming', queuePosition: null, capacityRetryMs: null });
    this.ctx.store.getState().updateLive({ context: e.context });
  }

  /** Per token: buffer the text and ask for a frame, nothing else. */
  onDelta(e: ServerEvent<'ai:delta'>) {
    const live = this.live;
    // Only a stream seen from its start can be parsed (a late joiner sees its hunks as they land).
    if (!live || live.id !== e.streamId || e.seq !== live.nextSeq) return;
    live.nextSeq++;
    const now = performance.now();
    live.firstArrival ??= now;
    live.lastArrival = now;
    live.tokens += e.tokens;
    live.pending += e.text;
    this.ctx.requestFrame();
  }

  /** The parsed turn into the store: the live slice for everyone, TTFT and rate for the sender. */
  publish(live: LiveTurn) {
    const store = this.ctx.store.getState();
    const block = live.block;
    store.updateLive({
      prose: live.prose,
      closed: live.closed,
      block: block ? { index: block.index, path: block.path, phase: block.phase, placed: block.placed, chars: block.chars } : null,
    });
    if (!live.own) return;
    const patch: Partial<StreamState> = { tokens: live.tokens, chars: live.prose.length + (block?.chars ?? 0), tokensPerSecond: rate(live) };
    if (!live.painted) {
      live.painted = true;
      live.paintedAt = performance.now();
      patch.ttftMs = live.paintedAt - live.submittedAt;
      this.ctx.socket.emit('ai:report', { streamId: live.id, browserTtftMs: patch.ttftMs });
    }
    store.updateStream(patch);
  }

  onEnd(e: ServerEvent<'ai:end'>) {
    if (this.stopped.delete(e.streamId)) return;
    const store = this.ctx.store.getState();
    const live = this.live?.id === e.streamId ? this.live : null;
    if (live) {
      const text = live.pending;
      parseEnd(this.ctx.store, live);
      this.publish(live);
      this.live = null;
      store.updateStream({ status: e.status, tokensPerSecond: rate(live) ?? store.stream.tokensPerSecond, tokens: live.tokens });
      if (live.own && live.paintedAt !== null) {
        // The first token's way, stage by stage (the metrics detail; the benchmark prints it too).
        const stages = ttftStages({ submittedAt: live.submittedAt, sentAt: live.sentAt, firstArrivalAt: live.firstArrival, paintedAt: live.paintedAt }, e.timing.stages);
        store.updateStream({ ttftStages: stages });
        benchHook()?.stages?.(live.id, stages);
      }
      this.hooks.refreshReview();
      if (text) benchHook()?.frame?.(live.id, text);
    } else if (store.stream.id === e.streamId) {
      store.updateStream({ status: e.status });
    }
    if (e.error) store.showError(e.error);
    if (live?.own && e.status === 'done') this.hooks.ownTurnDone(e.streamId);
  }
}
