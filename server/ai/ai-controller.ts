import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { APIError, APIConnectionError, APIUserAbortError } from 'openai';
import type { Server } from 'socket.io';
import { ERROR_MESSAGES, type ClientToServerEvents, type PromptPayload, type ServerToClientEvents, type StreamUsage, type TierName } from '@/lib/protocol';
import { readFile } from '@/lib/collab/workspace-doc';
import { markRetried, readRecentTurns, readThread, turnFailures } from '@/lib/collab/thread';
import { failureReport } from '@/lib/edits/report';
import type { InferenceEvent, InferenceProvider, RequestMarks } from '../inference/types';
import type { Session } from '../sessions/session-store';
import type { Metrics } from '../metrics';
import { FlintError } from '../errors';
import { buildContext, MAX_TURNS } from './prompt';
import { AI_ORIGIN, TurnRecorder } from './turn-recorder';
import { StreamSlots } from './stream-slots';
import { DeltaTicker, TurnOutput } from './turn-output';
import { StreamLeases } from './stream-lease';
import { MemorySharedLimits } from '../collab/shared-limits';
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
  /** Deltas of a stream are coalesced into one `ai:delta` per this many ms (turn-output.ts); default 8. */
  deltaTickMs?: number;
}

/**
 * Runs AI turns: one active stream per session, at most `maxConcurrentStreams` upstream at
 * once (FIFO queue beyond). A stream's deltas are coalesced per tick (`deltaTickMs`, one shared
 * timer, turn-output.ts): the first after a quiet spell goes out once the upstream read is done,
 * the rest at most one `ai:delta` per stream per tick, so a stream costs one socket frame and one
 * recorder (parser) call per tick, not one per token.
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
  /** One timer for every stream's coalesced deltas. */
  private readonly ticker: DeltaTicker;

  constructor(
    private readonly io: Io,
    private readonly providers: Record<TierName, InferenceProvider>,
    private readonly opts: AiOptions,
    private readonly metrics: Metrics,
    /** The session document's limits: a turn that would grow it past them is refused or stopped. */
    private readonly docLimits?: DocLimits,
    /** One stream per session across processes (stream-lease.ts); default: this process's own. */
    private readonly leases: StreamLeases = new StreamLeases(new MemorySharedLimits(), () => {}),
  ) {
    // A tier that answers one prompt at a time (a local model) queues here, with positions shown;
    // two modes served by the same provider share its queue.
    const slotsFor = (p: InferenceProvider) => new StreamSlots(Math.min(opts.maxConcurrentStreams, p.maxConcurrentStreams ?? Infinity));
    this.ticker = new DeltaTicker(opts.deltaTickMs ?? DEFAULT_DELTA_TICK_MS);
    const instant = slotsFor(providers.instant);
    this.slots = { instant, deep: providers.deep === providers.instant ? instant : slotsFor(providers.deep) };
  }

  /**
   * Starts a turn and returns its id (the stream id). With `sendNow`, a running turn of the
   * session is interrupted first and this one runs as soon as it has ended, so its context
   * includes that turn's partial answer; otherwise a running turn makes this `busy`.
   */
  async start(session: Session, payload: PromptPayload, retryOf?: string): Promise<string> {
    const acceptedAt = performance.now();
    if (this.draining) throw new FlintError('shuttingDown');
    if (this.active.has(session.id) && !payload.sendNow) throw new FlintError('busy');
    if (readFile(session.doc, payload.path) === undefined) throw new FlintError('fileNotFound', `No file ${payload.path} in this session.`);
    // Another process may run this session's turn (stream-lease.ts); `sendNow` to it is handled by the caller.
    if (!(await this.leases.take(session.id))) throw new FlintError('busy', `${ERROR_MESSAGES.busy} (It runs on another Flint process.)`);
    // After the await: another prompt of this process may have started meanwhile.
    const previous = this.active.get(session.id);
    if (previous && !payload.sendNow) throw new FlintError('busy');
    const id = randomUUID();
    let recorder: TurnRecorder;
    try {
      // Records the turn in the document; throws `limitExceeded` (nothing started) when it does not fit.
      recorder = new TurnRecorder(session.doc, { id, prompt: payload.prompt, mode: payload.mode, path: payload.path, autoApply: payload.autoApply, retryOf: retryOf ?? null }, this.docLimits);
    } catch (err) {
      if (!previous) this.leases.release(session.id);
      throw err;
    }
    const controller = new AbortController();
    let settle!: () => void;
    const stream: ActiveStream = { id, controller, done: new Promise((resolve) => (settle = resolve)) };
    this.active.set(session.id, stream);
    if (previous) previous.controller.abort(new Error('interrupted'));
    this.recording.add(id);
    // Never an unhandled rejection (it would stop the process): a turn that fails is logged.
    void this.run(session, stream, payload, recorder, previous?.done, acceptedAt)
      .catch((err) => console.error('[flint] an AI turn failed', err))
      .finally(settle);
    return id;
  }

  /**
   * Re-asks the model about the blocks of turn `turnId` that do not apply (aider's reflection):
   * a new turn whose prompt is the failure report, in the same mode and review. `auto`: the
   * automatic follow-up after a turn — only blocks that failed outright (an ambiguous one is the
   * person's call), and never for a turn that is itself a retry (one automatic follow-up).
   */
  async retry(session: Session, turnId: string, auto: boolean): Promise<string> {
    const turn = readThread(session.doc).find((t) => t.id === turnId);
    if (!turn) throw new FlintError('streamNotFound', `No turn ${turnId} in this session.`);
    if (auto && turn.retryOf) throw new FlintError('badRequest', 'A retry is not retried automatically again.');
    const { failures, applied } = turnFailures(session.doc, turnId);
    const wanted = failures.filter((f) => !f.retriedBy && (!auto || f.reason !== 'ambiguous'));
    if (!wanted.length) throw new FlintError('badRequest', 'Every block of that turn applies, waits for a choice or was already sent back: there is nothing to retry.');
    const paths = [...new Set(wanted.flatMap((f) => (f.path === null ? [] : [f.path])))].filter((p) => readFile(session.doc, p) !== undefined);
    const path = readFile(session.doc, turn.path) !== undefined ? turn.path : paths[0];
    if (path === undefined) throw new FlintError('fileNotFound', 'The files of the failed blocks no longer exist.');
    const id = await this.start(
      session,
      {
        prompt: failureReport(wanted, applied),
        path,
        mode: turn.mode === 'deep' ? 'deep' : 'instant',
        mentions: paths.filter((p) => p !== path).slice(0, 32),
        openFiles: [],
        autoApply: turn.autoApply,
        sendNow: false,
      },
      turnId,
    );
    markRetried(session.doc, turnId, wanted, id, AI_ORIGIN);
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

  private draining = false;

  /**
   * A graceful stop (SIGTERM): no new turn starts here (`shuttingDown`); resolves once the
   * running ones have ended and been recorded, or after `ms` (the rest are then interrupted by
   * `close`, their partial answers kept).
   */
  async drain(ms: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + ms;
    while (this.recording.size > 0 && Date.now() < deadline) await sleep(50);
  }

  /** Gives up the stream leases this process holds (on close). */
  close(): void {
    this.abortAll();
    this.leases.close();
  }

  private syncGauges() {
    const all = [...new Set(Object.values(this.slots))];
    this.metrics.activeStreams.set(all.reduce((n, s) => n + s.active, 0));
    this.metrics.queuedStreams.set(all.reduce((n, s) => n + s.queued, 0));
  }

  /**
   * One turn, in its steps: context → queue → prompt (with 429 retries) → stream → record →
   * finish. Nothing here awaits storage: deltas go from the upstream read to the room directly.
   */
  private async run(session: Session, stream: ActiveStream, payload: PromptPayload, recorder: TurnRecorder, after: Promise<void> | undefined, acceptedAt: number) {
    const { signal } = stream.controller;
    // The ack of `ai:prompt` is sent in a microtask of this same turn; a macrotask later it has gone.
    const acked = new Promise<void>((resolve) => setImmediate(resolve));
    const turn = new TurnStream(stream.id, this.io.to(session.id), stream.controller, recorder, this.opts.idleMs, this.ticker, acceptedAt);
    let outcome: TurnOutcome = { status: 'done' };
    let release: (() => void) | undefined;
    try {
      // A redirect runs once the turn it interrupted has ended and been recorded.
      if (after) await after;
      if (signal.aborted) throw signal.reason;
      const context = this.context(session, stream.id, payload);
      turn.contextAt = performance.now();
      release = await this.queue(turn, payload.mode, signal, acked);
      await this.prompt(turn, payload, context, signal, acked);
      // The openai client ends the iteration quietly on abort; an aborted stream is not "done".
      if (signal.aborted) throw signal.reason;
      turn.flush();
    } catch (err) {
      outcome = this.failure(err, turn, recorder);
    } finally {
      turn.disarm();
      // What the last read left buffered: to the room (or, interrupted, only to the record).
      turn.flush();
      release?.();
      outcome = this.record(session, stream, recorder, outcome);
    }
    await acked;
    this.finish(turn, outcome);
  }

  /** What the model is sent: the thread and files as they are now, within the token budget. */
  private context(session: Session, turnId: string, payload: PromptPayload): TurnContext {
    const built = buildContext({
      prompt: payload.prompt,
      path: payload.path,
      selection: payload.selection,
      mentions: payload.mentions,
      openFiles: payload.openFiles,
      // Only the turns the context can use (buildContext keeps the last MAX_TURNS not reverted).
      turns: readRecentTurns(session.doc, MAX_TURNS, (t) => t.id !== turnId && (t.revertedBy === null || t.revertedBy === undefined)),
      read: (p) => readFile(session.doc, p),
      budgetTokens: promptBudget(this.opts.promptBudgetTokens, this.providers[payload.mode]),
    });
    // The open file as it is now: the tier's Predicted Outputs guess, when configured.
    return { ...built, original: readFile(session.doc, payload.path) };
  }

  /** Waits for one of the tier's upstream slots (FIFO); positions go out as `ai:queued` after the ack. */
  private async queue(turn: TurnStream, mode: TierName, signal: AbortSignal, acked: Promise<void>): Promise<() => void> {
    const takeSlot = this.slots[mode].acquire(signal, (position) => {
      void acked.then(() => !signal.aborted && turn.room.emit('ai:queued', { streamId: turn.id, reason: 'queue', position }));
    });
    this.syncGauges();
    const release = await takeSlot;
    this.syncGauges();
    this.metrics.queueWait.observe((performance.now() - turn.acceptedAt) / 1000);
    return release;
  }

  /** Sends the request; an upstream 429 is waited out (honouring retry-after, shown as `ai:queued`) and sent again. */
  private async prompt(turn: TurnStream, payload: PromptPayload, context: TurnContext, signal: AbortSignal, acked: Promise<void>): Promise<void> {
    const provider = this.providers[payload.mode];
    for (let attempt = 0; ; attempt++) {
      turn.requestedAt = performance.now();
      turn.marks = {};
      turn.armWatchdog();
      const events = provider.stream({ messages: context.messages, original: context.original, marks: turn.marks }, signal)[Symbol.asyncIterator]();
      try {
        return await this.stream(turn, events, acked, {
          streamId: turn.id,
          path: payload.path,
          mode: payload.mode,
          provider: provider.name,
          model: provider.model,
          context: { tokens: context.tokens, files: context.files, turns: context.turns, truncated: context.truncated },
        });
      } catch (err) {
        const waitMs = retryDelayMs(err, attempt);
        if (waitMs === null || attempt >= this.opts.upstreamRetries || signal.aborted) throw err;
        turn.disarm();
        this.metrics.upstreamRetries.inc();
        turn.room.emit('ai:queued', { streamId: turn.id, reason: 'capacity', retryInMs: waitMs });
        await sleep(waitMs, undefined, { signal });
      }
    }
  }

  /** Reads one upstream response: `ai:start` with its first event, then every event forwarded as it arrives. */
  private async stream(turn: TurnStream, events: AsyncIterator<InferenceEvent>, acked: Promise<void>, start: AiStart): Promise<void> {
    // The request goes out now; nothing reaches the room before the prompt's acknowledgement.
    const pendingFirst = events.next(); // a 429 surfaces here
    pendingFirst.catch(() => {}); // handled by the caller, after the acknowledgement has gone
    await acked;
    const first = await pendingFirst;
    turn.room.emit('ai:start', start);
    for (let next = first; !next.done; next = await events.next()) turn.push(next.value);
  }

  /** How a turn that threw ended: the document's limits, the watchdog, an interrupt, or the upstream. */
  private failure(err: unknown, turn: TurnStream, recorder: TurnRecorder): TurnOutcome {
    if (recorder.limitError) return { status: 'error', error: recorder.limitError };
    if (turn.stalled) return { status: 'error', error: new FlintError('upstream', `The model sent nothing for ${Math.round(this.opts.idleMs / 1000)} s, so the stream was stopped.`) };
    if (turn.aborted) return { status: 'interrupted' };
    const error = describeUpstreamError(err);
    turn.flush();
    return { status: 'error', error };
  }

  /** The turn leaves this controller and its end is written into the document; never throws. */
  private record(session: Session, stream: ActiveStream, recorder: TurnRecorder, outcome: TurnOutcome): TurnOutcome {
    this.syncGauges();
    if (this.active.get(session.id) === stream) this.active.delete(session.id);
    // The flush after the last read (turn-output.ts) may have crossed the limit: record that error.
    if (recorder.limitError && outcome.status !== 'error') outcome = { status: 'error', error: recorder.limitError };
    try {
      recorder.finish(outcome.status, outcome.error?.message ?? null);
    } catch (err) {
      // The document is everyone's to edit; whatever is in it, the stream still gets its ai:end.
      console.error('[flint] recording the end of a turn failed', err);
    }
    // Recorded: another process may now run the session's next turn.
    if (!this.active.has(session.id)) this.leases.release(session.id);
    this.recording.delete(stream.id);
    // The block closed by the end of the stream may have been the one that did not fit.
    if (recorder.limitError && outcome.status !== 'error') return { status: 'error', error: recorder.limitError };
    return outcome;
  }

  /** The turn's figures, and its one `ai:end`. */
  private finish(turn: TurnStream, { status, error }: TurnOutcome): void {
    const now = performance.now();
    const { acceptedAt, requestedAt, firstByteAt, lastByteAt, tokens } = turn;
    this.metrics.streams.inc({ status });
    this.metrics.duration.observe((now - acceptedAt) / 1000);
    if (firstByteAt !== null) this.metrics.serverTtft.observe((firstByteAt - requestedAt) / 1000);
    if (firstByteAt !== null && lastByteAt > firstByteAt) this.metrics.tokensPerSecond.observe(tokens / ((lastByteAt - firstByteAt) / 1000));
    turn.room.emit('ai:end', {
      streamId: turn.id,
      status,
      ...(error ? { error: error.toProtocol('ai:prompt') } : {}),
      usage: turn.usage ?? { completionTokens: tokens },
      timing: {
        queueMs: requestedAt - acceptedAt,
        serverTtftMs: firstByteAt === null ? null : firstByteAt - requestedAt,
        totalMs: now - acceptedAt,
        stages: turn.stages(),
      },
    });
  }
}

type Room = ReturnType<Io['to']>;
type TurnStages = NonNullable<Parameters<ServerToClientEvents['ai:end']>[0]['timing']['stages']>;

/** FLINT_DELTA_TICK_MS's default: about half a display frame. */
export const DEFAULT_DELTA_TICK_MS = 8;
type AiStart = Parameters<ServerToClientEvents['ai:start']>[0];
type TurnContext = ReturnType<typeof buildContext> & { original: string | undefined };

interface TurnOutcome {
  status: 'done' | 'interrupted' | 'error';
  error?: FlintError;
}

/**
 * One turn's stream on its way to the room: its timings, its output (deltas coalesced per tick,
 * turn-output.ts) and the idle watchdog.
 */
class TurnStream {
  /** When the controller took the prompt (the server-side stages are offsets from it). */
  readonly acceptedAt: number;
  contextAt: number | null = null;
  requestedAt: number;
  /** The current attempt's request as the provider reports it (sent, response headers). */
  marks: RequestMarks = {};
  firstByteAt: number | null = null;
  firstEmitAt: number | null = null;
  lastByteAt = 0;
  tokens = 0;
  usage: StreamUsage | undefined;
  /** The watchdog stopped the stream: the upstream sent nothing for `idleMs`. */
  stalled = false;
  readonly output: TurnOutput;
  /** Last upstream activity: the watchdog re-arms from it instead of one timer per token. */
  private lastActivity = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly room: Room,
    private readonly controller: AbortController,
    private readonly recorder: TurnRecorder,
    private readonly idleMs: number,
    ticker: DeltaTicker,
    acceptedAt: number,
  ) {
    this.acceptedAt = acceptedAt;
    this.requestedAt = acceptedAt;
    this.output = new TurnOutput(ticker, {
      record: (text) => {
        this.recorder.push(text);
        // A write the document's limits refused: the turn stops here, what it proposed before stays.
        if (this.recorder.limitError && !this.aborted) this.controller.abort(this.recorder.limitError);
      },
      emit: (d) => {
        if (this.aborted) return;
        this.firstEmitAt ??= performance.now();
        this.room.emit('ai:delta', { streamId: this.id, seq: d.seq, text: d.text, tokens: d.tokens });
      },
    });
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  armWatchdog(): void {
    this.lastActivity = performance.now();
    clearTimeout(this.idle);
    const check = (wait: number) => {
      this.idle = setTimeout(() => {
        const quiet = performance.now() - this.lastActivity;
        if (quiet < this.idleMs) return check(this.idleMs - quiet);
        this.stalled = true;
        this.controller.abort(new Error('stalled'));
      }, wait);
    };
    check(this.idleMs);
  }

  disarm(): void {
    clearTimeout(this.idle);
  }

  /** One upstream event: its text is buffered for this stream's next flush (turn-output.ts). */
  push(ev: InferenceEvent): void {
    if (ev.type === 'usage') {
      this.usage = { promptTokens: ev.promptTokens, completionTokens: ev.completionTokens };
      return;
    }
    this.lastByteAt = this.lastActivity = performance.now();
    this.firstByteAt ??= this.lastByteAt;
    this.tokens++;
    this.output.push(ev.text);
  }

  /** Sends what is buffered now (before `ai:end`); nothing reaches the room once aborted. */
  flush(): void {
    if (this.aborted) this.output.drop();
    else this.output.flush();
  }

  /** The server's stages, ms from `acceptedAt` (lib/protocol `ai:end` timing.stages). */
  stages(): TurnStages {
    const at = (t: number | null | undefined) => (t === null || t === undefined ? null : t - this.acceptedAt);
    return {
      contextMs: at(this.contextAt),
      requestMs: at(this.marks.sentAt ?? this.requestedAt),
      firstByteMs: at(this.marks.headersAt ?? this.firstByteAt),
      firstTokenMs: at(this.firstEmitAt),
    };
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
