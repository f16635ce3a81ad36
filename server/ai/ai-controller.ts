import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { APIError, APIConnectionError, APIUserAbortError } from 'openai';
import type { Server } from 'socket.io';
import type { ClientToServerEvents, PromptPayload, ServerToClientEvents, StreamUsage, TierName } from '@/lib/protocol';
import { readFile } from '@/lib/collab/workspace-doc';
import { readThread } from '@/lib/collab/thread';
import type { InferenceEvent, InferenceProvider } from '../inference/types';
import type { Session } from '../sessions/session-store';
import type { Metrics } from '../metrics';
import { FlintError } from '../errors';
import { buildContext } from './prompt';
import { TurnRecorder } from './turn-recorder';
import { StreamSlots } from './stream-slots';
import type { DocLimits } from '../sessions/doc-limits';

type Io = Server<ClientToServerEvents, ServerToClientEvents>;

interface ActiveStream {
  id: string;
  controller: AbortController;
  /** Settles when the stream has ended and its turn is recorded. */
  done: Promise<void>;
}

export interface AiOptions {
  /** A stream that produces nothing for this long is ended with an error. */
  idleMs: number;
  /** Streams running upstream at once; the rest wait in a FIFO queue. */
  maxConcurrentStreams: number;
  /** How many upstream 429s are waited out before the stream fails. */
  upstreamRetries: number;
  /** Prompt tokens a turn may use (context window minus the answer's share). */
  promptBudgetTokens: number;
}

/**
 * Runs AI turns: one active stream per session, at most `maxConcurrentStreams` upstream at
 * once (FIFO queue beyond). Deltas are forwarded the moment they arrive; deltas parsed from
 * the same upstream read are merged into one message (flushed on `setImmediate`, i.e. before
 * the next read), so a burst costs one socket frame, not one per token.
 *
 * Invariants:
 * - after `interrupt`, nothing more of that stream is emitted except its `ai:end`;
 * - every started stream ends with exactly one `ai:end`, whatever the upstream does;
 * - no `ai:*` event of a stream is emitted before the `ai:prompt` acknowledgement;
 * - the idle watchdog only runs while waiting on the upstream, never while queued.
 */
export class AiController {
  private readonly active = new Map<string, ActiveStream>();
  /** Turns started here whose record is not finished yet (an interrupted one included, until it has ended). */
  private readonly recording = new Set<string>();
  /** One concurrency cap and queue per tier. */
  private readonly slots: Record<TierName, StreamSlots>;

  constructor(
    private readonly io: Io,
    private readonly providers: Record<TierName, InferenceProvider>,
    private readonly opts: AiOptions,
    private readonly metrics: Metrics,
    /** The session document's limits: a turn that would grow it past them is refused or stopped. */
    private readonly docLimits?: DocLimits,
  ) {
    // A tier that answers one prompt at a time (a local model) queues here, with positions shown;
    // two modes served by the same provider share its queue.
    const slotsFor = (p: InferenceProvider) => new StreamSlots(Math.min(opts.maxConcurrentStreams, p.maxConcurrentStreams ?? Infinity));
    const instant = slotsFor(providers.instant);
    this.slots = { instant, deep: providers.deep === providers.instant ? instant : slotsFor(providers.deep) };
  }

  /**
   * Starts a turn and returns its id (the stream id). With `sendNow`, a running turn of the
   * session is interrupted first and this one runs as soon as it has ended, so its context
   * includes that turn's partial answer; otherwise a running turn makes this `busy`.
   */
  start(session: Session, payload: PromptPayload): string {
    const previous = this.active.get(session.id);
    if (previous && !payload.sendNow) throw new FlintError('busy');
    if (readFile(session.doc, payload.path) === undefined) throw new FlintError('fileNotFound', `No file ${payload.path} in this session.`);
    const id = randomUUID();
    // Records the turn in the document; throws `limitExceeded` (nothing started) when it does not fit.
    const recorder = new TurnRecorder(session.doc, { id, prompt: payload.prompt, mode: payload.mode, path: payload.path, autoApply: payload.autoApply }, this.docLimits);
    const controller = new AbortController();
    let settle!: () => void;
    const stream: ActiveStream = { id, controller, done: new Promise((resolve) => (settle = resolve)) };
    this.active.set(session.id, stream);
    if (previous) previous.controller.abort(new Error('interrupted'));
    this.recording.add(id);
    // Never an unhandled rejection (it would stop the process): a turn that fails is logged.
    void this.run(session, stream, payload, recorder, previous?.done)
      .catch((err) => console.error('[flint] an AI turn failed', err))
      .finally(settle);
    return id;
  }

  interrupt(session: Session, streamId: string): void {
    const stream = this.active.get(session.id);
    if (!stream || stream.id !== streamId) throw new FlintError('streamNotFound');
    stream.controller.abort(new Error('interrupted'));
  }

  /** Whether this process runs the turn `turnId` (it has started and its record is not finished). */
  isRunning(turnId: string): boolean {
    return this.recording.has(turnId);
  }

  /** The browser's own measurement of a stream (submit → first painted character). */
  report(browserTtftMs: number): void {
    this.metrics.browserTtft.observe(browserTtftMs / 1000);
  }

  /** Interrupts every stream, e.g. on shutdown. */
  abortAll(): void {
    for (const s of this.active.values()) s.controller.abort(new Error('shutdown'));
  }

  private syncGauges() {
    const all = [...new Set(Object.values(this.slots))];
    this.metrics.activeStreams.set(all.reduce((n, s) => n + s.active, 0));
    this.metrics.queuedStreams.set(all.reduce((n, s) => n + s.queued, 0));
  }

  private async run(session: Session, stream: ActiveStream, payload: PromptPayload, recorder: TurnRecorder, after: Promise<void> | undefined) {
    const { path, mode } = payload;
    const room = this.io.to(session.id);
    const provider = this.providers[mode];
    const { signal } = stream.controller;
    const acceptedAt = performance.now();
    // The ack of `ai:prompt` is sent in a microtask of this same turn; a macrotask later it has gone.
    const acked = new Promise<void>((resolve) => setImmediate(resolve));
    let requestedAt = acceptedAt;
    let firstByteAt: number | null = null;
    let lastByteAt = 0;
    let seq = 0;
    let pending = '';
    let pendingTokens = 0;
    let flushScheduled = false;
    let tokens = 0;
    let usage: StreamUsage | undefined;
    let idle: NodeJS.Timeout | undefined;
    let stalled = false;
    let release: (() => void) | undefined;
    const armWatchdog = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        stalled = true;
        stream.controller.abort(new Error('stalled'));
      }, this.opts.idleMs);
    };

    const flush = () => {
      flushScheduled = false;
      if (!pending || signal.aborted) return;
      room.emit('ai:delta', { streamId: stream.id, seq: seq++, text: pending, tokens: pendingTokens });
      pending = '';
      pendingTokens = 0;
    };
    const onEvent = (ev: InferenceEvent) => {
      if (ev.type === 'usage') {
        usage = { promptTokens: ev.promptTokens, completionTokens: ev.completionTokens };
        return;
      }
      lastByteAt = performance.now();
      firstByteAt ??= lastByteAt;
      armWatchdog();
      pending += ev.text;
      recorder.push(ev.text);
      // A write the document's limits refused: the turn stops here, what it proposed before stays.
      if (recorder.limitError && !signal.aborted) stream.controller.abort(recorder.limitError);
      pendingTokens++;
      tokens++;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    };

    let status: 'done' | 'interrupted' | 'error' = 'done';
    let error: FlintError | undefined;
    try {
      // A redirect runs once the turn it interrupted has ended and been recorded.
      if (after) await after;
      if (signal.aborted) throw signal.reason;
      const context = buildContext({
        prompt: payload.prompt,
        path,
        selection: payload.selection,
        mentions: payload.mentions,
        openFiles: payload.openFiles,
        turns: readThread(session.doc).filter((t) => t.id !== stream.id),
        read: (p) => readFile(session.doc, p),
        budgetTokens: promptBudget(this.opts.promptBudgetTokens, provider),
      });
      const messages = context.messages;
      // The open file as it is now: the tier's Predicted Outputs guess, when configured.
      const original = readFile(session.doc, path);
      const takeSlot = this.slots[mode].acquire(signal, (position) => {
        void acked.then(() => !signal.aborted && room.emit('ai:queued', { streamId: stream.id, reason: 'queue', position }));
      });
      this.syncGauges();
      release = await takeSlot;
      this.syncGauges();
      this.metrics.queueWait.observe((performance.now() - acceptedAt) / 1000);

      for (let attempt = 0; ; attempt++) {
        requestedAt = performance.now();
        armWatchdog();
        const events = provider.stream({ messages, original }, signal)[Symbol.asyncIterator]();
        try {
          // The request goes out now; nothing reaches the room before the prompt's acknowledgement.
          const pendingFirst = events.next(); // a 429 surfaces here
          pendingFirst.catch(() => {}); // handled below, after the acknowledgement has gone
          await acked;
          const first = await pendingFirst;
          room.emit('ai:start', {
            streamId: stream.id,
            path,
            mode,
            provider: provider.name,
            model: provider.model,
            context: { tokens: context.tokens, files: context.files, turns: context.turns, truncated: context.truncated },
          });
          for (let next = first; !next.done; next = await events.next()) onEvent(next.value);
          break;
        } catch (err) {
          const waitMs = retryDelayMs(err, attempt);
          if (waitMs === null || attempt >= this.opts.upstreamRetries || signal.aborted) throw err;
          clearTimeout(idle);
          this.metrics.upstreamRetries.inc();
          room.emit('ai:queued', { streamId: stream.id, reason: 'capacity', retryInMs: waitMs });
          await sleep(waitMs, undefined, { signal });
        }
      }
      // The openai client ends the iteration quietly on abort; an aborted stream is not "done".
      if (signal.aborted) throw signal.reason;
      flush();
    } catch (err) {
      if (recorder.limitError) {
        status = 'error';
        error = recorder.limitError;
      } else if (stalled) {
        status = 'error';
        error = new FlintError('upstream', `The model sent nothing for ${Math.round(this.opts.idleMs / 1000)} s, so the stream was stopped.`);
      } else if (signal.aborted) {
        status = 'interrupted';
      } else {
        status = 'error';
        error = describeUpstreamError(err);
        flush();
      }
    } finally {
      clearTimeout(idle);
      release?.();
      this.syncGauges();
      if (this.active.get(session.id) === stream) this.active.delete(session.id);
      try {
        recorder.finish(status, error?.message ?? null);
      } catch (err) {
        // The document is everyone's to edit; whatever is in it, the stream still gets its ai:end.
        console.error('[flint] recording the end of a turn failed', err);
      }
      this.recording.delete(stream.id);
      // The block closed by the end of the stream may have been the one that did not fit.
      if (recorder.limitError && status !== 'error') [status, error] = ['error', recorder.limitError];
    }
    await acked;
    const now = performance.now();
    this.metrics.streams.inc({ status });
    this.metrics.duration.observe((now - acceptedAt) / 1000);
    if (firstByteAt !== null) this.metrics.serverTtft.observe((firstByteAt - requestedAt) / 1000);
    if (firstByteAt !== null && lastByteAt > firstByteAt) this.metrics.tokensPerSecond.observe(tokens / ((lastByteAt - firstByteAt) / 1000));
    room.emit('ai:end', {
      streamId: stream.id,
      status,
      ...(error ? { error: error.toProtocol('ai:prompt') } : {}),
      usage: usage ?? { completionTokens: tokens },
      timing: {
        queueMs: requestedAt - acceptedAt,
        serverTtftMs: firstByteAt === null ? null : firstByteAt - requestedAt,
        totalMs: now - acceptedAt,
      },
    });
  }
}

/** Flint's budget, or three quarters of a smaller tier's own window (the rest for the answer). */
export function promptBudget(configured: number, provider: InferenceProvider): number {
  const window = provider.contextTokens?.();
  return window ? Math.min(configured, Math.floor(window * 0.75)) : configured;
}

const MAX_RETRY_WAIT_MS = 30_000;

/** How long to wait before retrying a 429 (honouring `retry-after`), or null when not retryable. */
export function retryDelayMs(err: unknown, attempt: number): number | null {
  if (!(err instanceof APIError) || err.status !== 429) return null;
  const header = err.headers?.get?.('retry-after') ?? null;
  const seconds = header === null ? NaN : Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_WAIT_MS);
  const date = header === null ? NaN : Date.parse(header);
  if (Number.isFinite(date)) return Math.min(Math.max(0, date - Date.now()), MAX_RETRY_WAIT_MS);
  return Math.min(250 * 2 ** attempt, MAX_RETRY_WAIT_MS);
}

/** Turns an upstream failure into words a person understands; never forwards raw upstream text. */
export function describeUpstreamError(err: unknown): FlintError {
  if (err instanceof FlintError) return err; // a provider's own typed error (e.g. tierUnavailable) is already in words
  if (err instanceof APIUserAbortError) return new FlintError('upstream', 'The stream was stopped.');
  if (err instanceof APIError && typeof err.status === 'number') {
    if (err.status === 401 || err.status === 403) return new FlintError('upstream', 'The inference tier refused the API key. Check FLINT_API_KEY.');
    if (err.status === 404) return new FlintError('upstream', 'The inference tier does not know this model. Check FLINT_MODEL.');
    if (err.status === 429) return new FlintError('upstream', 'The inference tier is still at capacity after several retries. Try again in a moment.');
    if (err.status >= 500) return new FlintError('upstream', `The inference tier failed (HTTP ${err.status}). Try again.`);
    return new FlintError('upstream', `The inference tier rejected the request (HTTP ${err.status}).`);
  }
  if (err instanceof APIConnectionError) return new FlintError('upstream', 'Lost the connection to the inference tier.');
  if (err instanceof SyntaxError) return new FlintError('upstream', 'The inference tier sent a malformed response.');
  return new FlintError('upstream', 'The model stream failed.');
}
