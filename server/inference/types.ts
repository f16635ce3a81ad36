import type { TierStatus } from '@/lib/protocol';

/** One chat message sent upstream. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface InferenceRequest {
  messages: ChatMessage[];
  /**
   * The file being edited, as it was when the prompt was sent. A tier configured for Predicted
   * Outputs receives it as `prediction: {type:'content', content}`; others ignore it.
   */
  original?: string;
  /** Sampling temperature for this request (parallel attempts vary it); the tier's own setting otherwise. */
  temperature?: number;
  /**
   * Filled in by a provider that can tell (performance.now() times): when the request was handed
   * to the HTTP client, and when the response headers arrived. For the per-stage TTFT breakdown.
   */
  marks?: RequestMarks;
}

export interface RequestMarks {
  sentAt?: number;
  headersAt?: number;
}

/** What a provider yields: text as it arrives, then usage when the tier reports it. */
export type InferenceEvent =
  | { type: 'delta'; text: string }
  | { type: 'usage'; promptTokens?: number; completionTokens: number };

/** Every inference tier speaks this: a stream of text deltas that stops when `signal` aborts. */
export interface InferenceProvider {
  readonly name: string;
  readonly model: string;
  stream(request: InferenceRequest, signal: AbortSignal): AsyncIterable<InferenceEvent>;
  /**
   * Answers this tier can produce at once (a local model: one; a Responses socket: one turn at a
   * time). More wait in Flint's queue, where people see their position, not inside the provider.
   */
  readonly maxConcurrentStreams?: number;
  /** The tier's context window in tokens, when it is smaller than Flint's configured budget. */
  contextTokens?(): number;
  /**
   * Prepares the tier for a first prompt without blocking the caller: opens (or re-opens) the
   * upstream connection, loads or downloads the local model. Called when a session joins.
   */
  warm?(): void | Promise<void>;
  /** The tier's state as people see it (`provider-status`). Absent = always ready. */
  status?(): TierStatus;
  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus?(listener: (status: TierStatus) => void): () => void;
  /** Closes upstream connections and frees the model. */
  close?(): Promise<void>;
}
