/** One chat message sent upstream. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface InferenceRequest {
  messages: ChatMessage[];
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
}
