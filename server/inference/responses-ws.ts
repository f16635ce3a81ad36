import { createHash, type Hash } from 'node:crypto';
import WebSocket from 'ws';
import { APIConnectionError, APIError } from 'openai';
import type { TierStatus } from '@/lib/protocol';
import type { ChatMessage, InferenceEvent, InferenceProvider, InferenceRequest } from './types';
import { StatusHolder } from './tier-status';

export interface ResponsesWsOptions {
  name: string;
  /** The HTTP base URL, e.g. `https://api.openai.com/v1`; the socket goes to `wss://…/v1/responses`. */
  baseURL: string;
  apiKey?: string;
  model: string;
  /** The socket is replaced once it is this old (OpenAI closes it at 60 minutes). */
  maxAgeMs: number;
  /** Extra `response.create` fields (e.g. `{"reasoning": {"effort": "low"}}`), minus `unsupportedFields`. */
  params?: Record<string, unknown>;
  unsupportedFields?: string[];
  connectTimeoutMs?: number;
}

/** One upstream socket and the responses it can continue (`store: false`: the chain lives on the socket). */
interface Conn {
  ws: WebSocket;
  openedAt: number;
  /** Set when the socket closed, errored or became untrustworthy: the next turn opens a new one. */
  dead: boolean;
  /** Frames of the turn in progress go here. */
  onFrame: ((data: string) => void) | null;
  onClose: ((err: Error) => void) | null;
}

const CHAIN_MEMORY = 256;

/** sha256 of each prefix of `messages` (index k = the first k messages), computed incrementally. */
function prefixHashes(messages: ChatMessage[]): string[] {
  const out: string[] = [];
  const h: Hash = createHash('sha256');
  out.push(h.copy().digest('hex'));
  for (const m of messages) {
    h.update(JSON.stringify([m.role, m.content]));
    h.update('\n');
    out.push(h.copy().digest('hex'));
  }
  return out;
}

export function responsesSocketUrl(baseURL: string): string {
  const url = new URL(baseURL.replace(/\/+$/, '') + '/responses');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * OpenAI's Responses API in WebSocket mode: one persistent upstream socket per tier, one
 * `response.create` per turn, answered by `response.output_text.delta` events and a
 * `response.completed`. A follow-up turn whose messages extend an earlier turn's (its messages
 * plus the answer) sends only the new messages and `previous_response_id`, when that response was
 * made on the current socket.
 *
 * Invariants:
 * - one turn at a time on the socket (turns queue on a lock);
 * - the socket is replaced when it reaches `maxAgeMs` (idle sockets are closed then; a busy one
 *   after its turn), after a drop, a malformed frame, a 5xx, or an interrupt mid-turn (closing
 *   the socket is how a turn is stopped upstream);
 * - `previous_response_not_found` or `websocket_connection_limit_reached` is retried once, on a
 *   fresh socket with the whole input; other `error` events become `APIError`s, so 429s are
 *   retried by the caller exactly like Chat Completions ones.
 */
export function createResponsesWsProvider(opts: ResponsesWsOptions): InferenceProvider {
  const url = responsesSocketUrl(opts.baseURL);
  const host = new URL(opts.baseURL).host;
  const status = new StatusHolder({ state: 'ready' });
  /** Prefix hash of (messages + answer) → the response that produced it, on which socket. */
  const chain = new Map<string, { responseId: string; conn: Conn }>();
  let conn: Conn | null = null;
  let connecting: Promise<Conn> | null = null;
  let lock: Promise<void> = Promise.resolve();
  let busy = false;
  let closed = false;

  const unavailable = (reason: string, help: string): TierStatus => ({ state: 'unavailable', reason, help });

  function retire(c: Conn) {
    c.dead = true;
    if (c.ws.readyState === WebSocket.OPEN || c.ws.readyState === WebSocket.CONNECTING) c.ws.terminate();
    if (conn === c) conn = null;
  }

  function open(): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
        perMessageDeflate: false,
        handshakeTimeout: opts.connectTimeoutMs ?? 10_000,
      });
      const c: Conn = { ws, openedAt: Date.now(), dead: false, onFrame: null, onClose: null };
      let settled = false;
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        res.on('end', () => {
          let parsed: { error?: { message?: string } } | undefined;
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = undefined;
          }
          settled = true;
          c.dead = true;
          const headers = new Headers(Object.entries(res.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : [])));
          reject(APIError.generate(res.statusCode ?? 500, parsed, parsed?.error?.message ?? `HTTP ${res.statusCode}`, headers));
          ws.terminate();
        });
      });
      ws.on('open', () => {
        settled = true;
        // Replace the socket before the tier's limit: idle → close now; busy → after the turn.
        const timer = setTimeout(() => {
          if (conn === c && !busy) retire(c);
          else c.dead = true;
        }, opts.maxAgeMs);
        timer.unref();
        ws.on('close', () => clearTimeout(timer));
        resolve(c);
      });
      ws.on('message', (data, isBinary) => c.onFrame?.(isBinary ? '' : data.toString('utf8')));
      ws.on('close', () => {
        c.dead = true;
        if (conn === c) conn = null;
        c.onClose?.(new APIConnectionError({ message: 'The Responses WebSocket closed.' }));
      });
      ws.on('error', (err) => {
        c.dead = true;
        if (!settled) {
          settled = true;
          reject(new APIConnectionError({ message: `Cannot open ${url}: ${err.message}`, cause: err }));
        }
      });
    });
  }

  /** The current socket, or a new one when there is none, it died, or it reached its age. */
  async function socket(): Promise<Conn> {
    if (conn && (conn.dead || Date.now() - conn.openedAt >= opts.maxAgeMs)) retire(conn);
    if (conn) return conn;
    connecting ??= open().finally(() => (connecting = null));
    const c = await connecting;
    if (closed) {
      retire(c);
      throw new APIConnectionError({ message: 'The provider is closed.' });
    }
    conn = c;
    return c;
  }

  function statusAfter(err: unknown): TierStatus | null {
    if (err instanceof APIError && (err.status === 401 || err.status === 403)) {
      return unavailable(`${host} refused the API key.`, 'Check FLINT_API_KEY (or this tier’s FLINT_INSTANT_API_KEY / FLINT_DEEP_API_KEY).');
    }
    if (err instanceof APIConnectionError) return unavailable(`Cannot reach ${host} over WebSocket.`, 'Check FLINT_BASE_URL and that the tier supports the Responses WebSocket mode.');
    return null;
  }

  /** Runs one `response.create` on `c`, yielding events; resolves with the response id. */
  async function* turn(c: Conn, body: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<InferenceEvent, { responseId: string; text: string } | null> {
    const frames: string[] = [];
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const nudge = () => {
      wake?.();
      wake = null;
    };
    c.onFrame = (data) => {
      frames.push(data);
      nudge();
    };
    c.onClose = (err) => {
      failure ??= err;
      nudge();
    };
    const onAbort = () => nudge();
    signal.addEventListener('abort', onAbort, { once: true });
    let text = '';
    try {
      c.ws.send(JSON.stringify({ type: 'response.create', ...body }));
      for (;;) {
        if (signal.aborted) {
          retire(c); // the only way to stop a response upstream in this mode
          return null;
        }
        const frame = frames.shift();
        if (frame === undefined) {
          if (failure) throw failure;
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(frame);
        } catch {
          retire(c);
          throw new SyntaxError('The Responses WebSocket sent a frame that is not JSON.');
        }
        switch (event.type) {
          case 'response.output_text.delta':
            if (typeof event.delta === 'string' && event.delta) {
              text += event.delta;
              yield { type: 'delta', text: event.delta };
            }
            break;
          case 'response.completed': {
            const response = event.response as { id: string; usage?: { input_tokens?: number; output_tokens?: number } };
            if (response.usage) yield { type: 'usage', promptTokens: response.usage.input_tokens, completionTokens: response.usage.output_tokens ?? 0 };
            return { responseId: response.id, text };
          }
          case 'response.failed':
          case 'response.incomplete': {
            retire(c);
            const response = event.response as { error?: { message?: string; code?: string } } | undefined;
            throw APIError.generate(500, response?.error ?? {}, response?.error?.message ?? `The response ${String(event.type).slice(9)}.`, new Headers());
          }
          case 'error': {
            const e = (event.error ?? {}) as { code?: string; message?: string };
            const statusCode = typeof event.status === 'number' ? event.status : 400;
            const raw = (event.headers ?? {}) as Record<string, unknown>;
            const headers = new Headers(Object.entries(raw).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : [])));
            if (statusCode >= 500 || e.code === 'websocket_connection_limit_reached') retire(c);
            const err = APIError.generate(statusCode, e, e.message ?? `Responses error ${statusCode}`, headers);
            (err as APIError & { wsCode?: string }).wsCode = e.code;
            throw err;
          }
          default:
            break; // response.created, output_item.*, content_part.*, output_text.done…
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      c.onFrame = null;
      c.onClose = null;
    }
  }

  function requestBody(messages: ChatMessage[], previousResponseId?: string): Record<string, unknown> {
    const body: Record<string, unknown> = {
      ...opts.params,
      model: opts.model,
      input: messages.map((m) => ({ type: 'message', role: m.role, content: m.content })),
      store: false,
      ...(previousResponseId ? { previous_response_id: previousResponseId } : {}),
    };
    for (const f of opts.unsupportedFields ?? []) delete body[f];
    return body;
  }

  /** The longest earlier turn (on socket `c`) that `messages` continues: send only what follows it. */
  function continuation(messages: ChatMessage[], hashes: string[], c: Conn): { from: number; responseId: string } | null {
    for (let k = messages.length - 1; k >= 1; k--) {
      const hit = chain.get(hashes[k]);
      if (hit && hit.conn === c && messages[k - 1].role === 'assistant') return { from: k, responseId: hit.responseId };
    }
    return null;
  }

  function remember(messages: ChatMessage[], answer: string, responseId: string, c: Conn) {
    const key = prefixHashes([...messages, { role: 'assistant', content: answer }]).at(-1)!;
    chain.delete(key);
    chain.set(key, { responseId, conn: c });
    if (chain.size > CHAIN_MEMORY) chain.delete(chain.keys().next().value!);
  }

  return {
    name: opts.name,
    // One response in flight per socket: further turns wait in Flint's queue, positions shown.
    maxConcurrentStreams: 1,
    model: opts.model,
    status: () => status.get(),
    onStatus: (l) => status.subscribe(l),
    warm() {
      if (conn && !conn.dead) return;
      if (status.get().state !== 'ready') status.set({ state: 'warming' });
      socket().then(
        () => status.set({ state: 'ready' }),
        (err) => status.set(statusAfter(err) ?? { state: 'ready' }),
      );
    },
    async *stream(request: InferenceRequest, signal: AbortSignal): AsyncIterable<InferenceEvent> {
      let release!: () => void;
      const previous = lock;
      lock = new Promise<void>((r) => (release = r));
      await previous;
      busy = true;
      try {
        if (signal.aborted) return;
        const hashes = prefixHashes(request.messages);
        for (let attempt = 0; ; attempt++) {
          let c: Conn;
          try {
            c = await socket();
          } catch (err) {
            if (!signal.aborted) status.set(statusAfter(err) ?? status.get());
            throw err;
          }
          const cont = attempt === 0 ? continuation(request.messages, hashes, c) : null;
          const body = cont ? requestBody(request.messages.slice(cont.from), cont.responseId) : requestBody(request.messages);
          try {
            const events = turn(c, body, signal);
            let next = await events.next();
            status.set({ state: 'ready' });
            for (; !next.done; next = await events.next()) yield next.value;
            if (next.value) remember(request.messages, next.value.text, next.value.responseId, c);
            return;
          } catch (err) {
            const code = (err as { wsCode?: string }).wsCode;
            if (attempt === 0 && (code === 'previous_response_not_found' || code === 'websocket_connection_limit_reached')) {
              retire(c);
              continue;
            }
            const after = statusAfter(err);
            if (after && !signal.aborted) status.set(after);
            throw err;
          }
        }
      } finally {
        busy = false;
        if (conn?.dead) retire(conn);
        release();
      }
    },
    async close() {
      closed = true;
      if (conn) retire(conn);
    },
  };
}
