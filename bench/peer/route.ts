import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { convertToModelMessages, streamText, type UIMessage } from 'ai';

/**
 * The benchmark's peer harness route (bench/README.md): the pattern most web AI apps use — the
 * browser POSTs the chat to a route handler that calls the upstream with the AI SDK and streams it
 * back as the SDK's UI-message SSE stream. A Fetch API handler, the shape of a Next.js app-router
 * `POST` export; `server.ts` serves it beside the peer page.
 */
export function createPeerRoute(opts: { upstreamUrl: string; model?: string }): (req: Request) => Promise<Response> {
  const provider = createOpenAICompatible({ name: 'flint-sim', baseURL: opts.upstreamUrl });
  return async (req) => {
    // The no-op request: the same route, answered without calling the upstream.
    if (req.headers.get('x-bench-noop')) return new Response(null, { status: 204 });
    const { messages } = (await req.json()) as { messages: UIMessage[] };
    const result = streamText({
      model: provider.chatModel(opts.model ?? 'flint-sim'),
      messages: await convertToModelMessages(messages),
      abortSignal: req.signal,
    });
    return result.toUIMessageStreamResponse();
  };
}
