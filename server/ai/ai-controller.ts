import { randomUUID } from 'node:crypto';
import { APIError, APIConnectionError, APIUserAbortError } from 'openai';
import type { Server } from 'socket.io';
import type { ClientToServerEvents, PromptPayload, ServerToClientEvents, StreamUsage } from '@/lib/protocol';
import { readFile } from '@/lib/collab/workspace-doc';
import type { InferenceProvider } from '../inference/types';
import type { Session } from '../sessions/session-store';
import { FlintError } from '../errors';
import { buildMessages } from './prompt';

type Io = Server<ClientToServerEvents, ServerToClientEvents>;

interface ActiveStream {
  id: string;
  controller: AbortController;
}

/**
 * Runs AI turns: one active stream per session. Deltas are forwarded the moment they arrive;
 * deltas parsed from the same upstream read are merged into one message (flushed on
 * `setImmediate`, i.e. before the next read), so a burst costs one socket frame, not one per token.
 *
 * Invariants:
 * - after `interrupt`, nothing more of that stream is emitted except its `ai:end`;
 * - every started stream ends with exactly one `ai:end`, whatever the upstream does;
 * - `ai:start` is never emitted before the `ai:prompt` acknowledgement.
 */
export class AiController {
  private readonly active = new Map<string, ActiveStream>();

  constructor(
    private readonly io: Io,
    private readonly provider: InferenceProvider,
    private readonly opts: { idleMs: number },
  ) {}

  start(session: Session, payload: PromptPayload): string {
    if (this.active.has(session.id)) throw new FlintError('busy');
    const content = readFile(session.doc, payload.path);
    if (content === undefined) throw new FlintError('fileNotFound', `No file ${payload.path} in this session.`);
    const stream: ActiveStream = { id: randomUUID(), controller: new AbortController() };
    this.active.set(session.id, stream);
    void this.run(session, stream, buildMessages({ ...payload, content }), payload.path);
    return stream.id;
  }

  interrupt(session: Session, streamId: string): void {
    const stream = this.active.get(session.id);
    if (!stream || stream.id !== streamId) throw new FlintError('streamNotFound');
    stream.controller.abort(new FlintError('streamNotFound', 'interrupted'));
  }

  /** Interrupts every stream, e.g. on shutdown. */
  abortAll(): void {
    for (const s of this.active.values()) s.controller.abort();
  }

  private async run(session: Session, stream: ActiveStream, messages: ReturnType<typeof buildMessages>, path: string) {
    const room = this.io.to(session.id);
    const { signal } = stream.controller;
    const startedAt = performance.now();
    // The ack of `ai:prompt` is sent in a microtask of this same turn; a macrotask later it has gone.
    const acked = new Promise<void>((resolve) => setImmediate(resolve));
    let firstByteAt: number | null = null;
    let seq = 0;
    let pending = '';
    let pendingTokens = 0;
    let flushScheduled = false;
    let tokens = 0;
    let usage: StreamUsage | undefined;
    let idle: NodeJS.Timeout | undefined;
    let stalled = false;
    const armWatchdog = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        stalled = true;
        stream.controller.abort();
      }, this.opts.idleMs);
    };

    const flush = () => {
      flushScheduled = false;
      if (!pending || signal.aborted) return;
      room.emit('ai:delta', { streamId: stream.id, seq: seq++, text: pending, tokens: pendingTokens });
      pending = '';
      pendingTokens = 0;
    };

    let status: 'done' | 'interrupted' | 'error' = 'done';
    let error: FlintError | undefined;
    try {
      armWatchdog();
      const events = this.provider.stream({ messages }, signal)[Symbol.asyncIterator]();
      await acked;
      room.emit('ai:start', { streamId: stream.id, path, provider: this.provider.name, model: this.provider.model });
      for (let next = await events.next(); !next.done; next = await events.next()) {
        const ev = next.value;
        if (ev.type === 'usage') {
          usage = { promptTokens: ev.promptTokens, completionTokens: ev.completionTokens };
          continue;
        }
        firstByteAt ??= performance.now();
        armWatchdog();
        pending += ev.text;
        pendingTokens++;
        tokens++;
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      }
      // The openai client ends the iteration quietly on abort; an aborted stream is not "done".
      if (signal.aborted) throw signal.reason;
      flush();
    } catch (err) {
      if (stalled) {
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
      this.active.delete(session.id);
    }
    await acked;
    room.emit('ai:end', {
      streamId: stream.id,
      status,
      ...(error ? { error: error.toProtocol('ai:prompt') } : {}),
      usage: usage ?? { completionTokens: tokens },
      timing: {
        serverTtftMs: firstByteAt === null ? null : firstByteAt - startedAt,
        totalMs: performance.now() - startedAt,
      },
    });
  }
}

/** Turns an upstream failure into words a person understands; never forwards raw upstream text. */
export function describeUpstreamError(err: unknown): FlintError {
  if (err instanceof APIUserAbortError) return new FlintError('upstream', 'The stream was stopped.');
  if (err instanceof APIError && typeof err.status === 'number') {
    if (err.status === 401 || err.status === 403) return new FlintError('upstream', 'The inference tier refused the API key. Check FLINT_API_KEY.');
    if (err.status === 404) return new FlintError('upstream', 'The inference tier does not know this model. Check FLINT_MODEL.');
    if (err.status === 429) return new FlintError('upstream', 'The inference tier is at capacity. Try again in a moment.');
    if (err.status >= 500) return new FlintError('upstream', `The inference tier failed (HTTP ${err.status}). Try again.`);
    return new FlintError('upstream', `The inference tier rejected the request (HTTP ${err.status}).`);
  }
  if (err instanceof APIConnectionError) return new FlintError('upstream', 'Lost the connection to the inference tier.');
  if (err instanceof SyntaxError) return new FlintError('upstream', 'The inference tier sent a malformed response.');
  return new FlintError('upstream', 'The model stream failed.');
}
