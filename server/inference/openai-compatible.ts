import OpenAI, { APIConnectionError, APIError } from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import type { TierStatus } from '@/lib/protocol';
import type { InferenceEvent, InferenceProvider, InferenceRequest } from './types';
import { StatusHolder } from './tier-status';
import { sseData } from './sse';

export interface OpenAICompatibleOptions {
  name: string;
  baseURL: string;
  apiKey?: string;
  model: string;
  /** Request fields this tier rejects (e.g. Cerebras: frequency_penalty, presence_penalty, logit_bias, parallel_tool_calls). */
  unsupportedFields?: string[];
  /** Send Predicted Outputs: `prediction: {type:'content', content: <original file>}`. */
  prediction?: boolean;
  /** Extra request fields (temperature, penalties…), sent unless the tier rejects them. */
  params?: Record<string, unknown>;
}

/** How long an idle upstream connection stays open for the next turn. */
const KEEP_ALIVE_MS = 120_000;
const WARM_TIMEOUT_MS = 10_000;

/** The Chat Completions request body Flint sends for `request`: params, prediction, then unsupported fields removed. */
export function chatRequestBody(opts: OpenAICompatibleOptions, request: InferenceRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...opts.params,
    model: opts.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (opts.prediction && request.original !== undefined) body.prediction = { type: 'content', content: request.original };
  for (const field of opts.unsupportedFields ?? []) delete body[field];
  return body;
}

/**
 * Chat Completions streaming through the official `openai` client, which speaks to any
 * OpenAI-compatible tier (Cerebras, OpenAI, vLLM, llama.cpp, Ollama, the simulator).
 *
 * Every request (streams and the warm-up) goes through one undici keep-alive Agent, so the TCP
 * and TLS handshakes are paid once: `warm()` (on session join) opens the connection with a cheap
 * `GET /models`, and the first prompt reuses it.
 */
export function createOpenAICompatibleProvider(opts: OpenAICompatibleOptions): InferenceProvider {
  const agent = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, keepAliveMaxTimeout: 10 * KEEP_ALIVE_MS, connect: { keepAlive: true } });
  const client = new OpenAI({
    baseURL: opts.baseURL,
    apiKey: opts.apiKey ?? 'none',
    maxRetries: 0,
    fetch: undiciFetch as unknown as typeof fetch,
    fetchOptions: { dispatcher: agent } as Record<string, unknown>,
  });
  const status = new StatusHolder({ state: 'ready' });
  let warming: Promise<void> | null = null;
  const host = new URL(opts.baseURL).host;

  const unavailable = (reason: string, help: string): TierStatus => ({ state: 'unavailable', reason, help });
  /** What a failed request says about the tier; null when it says nothing lasting (e.g. a 500). */
  function statusAfter(err: unknown): TierStatus | null {
    if (err instanceof APIError && (err.status === 401 || err.status === 403)) {
      return unavailable(`${host} refused the API key.`, 'Check FLINT_API_KEY (or this tier’s FLINT_INSTANT_API_KEY / FLINT_DEEP_API_KEY).');
    }
    if (err instanceof APIConnectionError) {
      return unavailable(`Cannot reach ${host}.`, 'Check FLINT_BASE_URL and that the server is running.');
    }
    return null;
  }

  return {
    name: opts.name,
    model: opts.model,
    status: () => status.get(),
    onStatus: (l) => status.subscribe(l),
    warm() {
      if (warming) return warming;
      if (status.get().state !== 'ready') status.set({ state: 'warming' });
      return (warming = (async () => {
        try {
          await client.models.list({ signal: AbortSignal.timeout(WARM_TIMEOUT_MS) });
          status.set({ state: 'ready' });
        } catch (err) {
          // A tier without GET /models (404 and the like) is still warm: the connection is open.
          status.set(statusAfter(err) ?? { state: 'ready' });
        } finally {
          warming = null;
        }
      })());
    },
    async *stream(request: InferenceRequest, signal: AbortSignal): AsyncIterable<InferenceEvent> {
      // The client sends the request and turns HTTP errors into APIErrors (429s retry upstream
      // of here); the body is read with Flint's own SSE reader (see sse.ts for why).
      let response: Response;
      const body0 = chatRequestBody(opts, request) as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
      if (request.marks) request.marks.sentAt = performance.now();
      try {
        response = await client.chat.completions
          .create(body0, { signal })
          .asResponse();
        if (request.marks) request.marks.headersAt = performance.now();
      } catch (err) {
        const after = statusAfter(err);
        if (after && !signal.aborted) status.set(after);
        throw err;
      }
      status.set({ state: 'ready' });
      const body = response.body as unknown as (AsyncIterable<Uint8Array> & { cancel(): Promise<void> }) | null;
      if (!body) return;
      let done = false;
      try {
        for await (const data of sseData(body)) {
          if (done) continue; // after [DONE]: read to the end, so the connection is reused
          if (data.startsWith('[DONE]')) {
            done = true;
            continue;
          }
          const chunk = JSON.parse(data) as OpenAI.ChatCompletionChunk & { error?: unknown };
          if (chunk.error) throw new APIError(undefined, chunk.error as Record<string, unknown>, undefined, response.headers);
          const text = chunk.choices?.[0]?.delta?.content;
          if (text) yield { type: 'delta', text };
          if (chunk.usage) {
            yield { type: 'usage', promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
          }
        }
        done = true;
      } catch (err) {
        // Stopped on purpose: end quietly, as the openai client does (the caller checks the signal).
        if (signal.aborted) return;
        // undici reports a connection closed mid-body as `TypeError: terminated`: say what it is.
        if (err instanceof TypeError) throw new APIConnectionError({ message: 'The connection to the tier dropped mid-stream.', cause: err });
        throw err;
      } finally {
        // Left early (the caller stopped iterating): release the connection.
        if (!done) void body.cancel().catch(() => undefined);
      }
    },
    async close() {
      await agent.close();
    },
  };
}
