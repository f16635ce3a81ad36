import OpenAI from 'openai';
import type { InferenceEvent, InferenceProvider, InferenceRequest } from './types';

export interface OpenAICompatibleOptions {
  name: string;
  baseURL: string;
  apiKey?: string;
  model: string;
}

/**
 * Chat Completions streaming through the official `openai` client, which speaks to any
 * OpenAI-compatible tier (Cerebras, OpenAI, vLLM, llama.cpp, Ollama, the simulator).
 * Node's fetch keeps the connection alive between turns.
 */
export function createOpenAICompatibleProvider(opts: OpenAICompatibleOptions): InferenceProvider {
  const client = new OpenAI({
    baseURL: opts.baseURL,
    apiKey: opts.apiKey ?? 'none',
    maxRetries: 0,
  });
  return {
    name: opts.name,
    model: opts.model,
    async *stream(request: InferenceRequest, signal: AbortSignal): AsyncIterable<InferenceEvent> {
      const stream = await client.chat.completions.create(
        { model: opts.model, messages: request.messages, stream: true, stream_options: { include_usage: true } },
        { signal },
      );
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content;
        if (text) yield { type: 'delta', text };
        if (chunk.usage) {
          yield { type: 'usage', promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
        }
      }
    },
  };
}
