import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { convertToModelMessages, streamText, type UIMessage } from 'ai';

/**
 * The benchmark's peer harness (bench/README.md): the pattern most web AI apps use — the browser
 * POSTs the chat to a route handler that calls the upstream with the AI SDK and streams it back
 * as the SDK's UI-message SSE stream. Not part of Flint: it answers 404 unless FLINT_BENCH=1,
 * and nothing in the product links here.
 */
export const dynamic = 'force-dynamic';

const upstreamUrl = () => process.env.FLINT_BENCH_UPSTREAM ?? 'http://127.0.0.1:4010/v1';
let provider: ReturnType<typeof createOpenAICompatible> | null = null;

export async function POST(req: Request): Promise<Response> {
  if (process.env.FLINT_BENCH !== '1') return new Response('Not found', { status: 404 });
  // The no-op request: the same route, answered without calling the upstream.
  if (req.headers.get('x-bench-noop')) return new Response(null, { status: 204 });
  const { messages } = (await req.json()) as { messages: UIMessage[] };
  provider ??= createOpenAICompatible({ name: 'flint-sim', baseURL: upstreamUrl() });
  const result = streamText({
    model: provider.chatModel(process.env.FLINT_BENCH_MODEL ?? 'flint-sim'),
    messages: await convertToModelMessages(messages),
    abortSignal: req.signal,
  });
  return result.toUIMessageStreamResponse();
}
