import { z } from 'zod';

/**
 * Flint's configuration, from the environment. Every value has an embedded default, so
 * `npm start` runs with none set. Keep in sync with the README's configuration table.
 */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  NODE_ENV: z.string().default('production'),
  /** `sim` starts the fast-tier simulator inside this process; `openai` uses FLINT_BASE_URL. */
  FLINT_PROVIDER: z.enum(['sim', 'openai']).default('sim'),
  FLINT_BASE_URL: z.string().url().optional(),
  FLINT_API_KEY: z.string().optional(),
  FLINT_MODEL: z.string().default('flint-sim'),
  FLINT_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  FLINT_SIM_TPS: z.coerce.number().positive().default(1000),
  FLINT_SIM_TTFT_MS: z.coerce.number().nonnegative().default(0),
  /** A stream that produces nothing for this long is ended with an error. */
  FLINT_STREAM_IDLE_MS: z.coerce.number().int().positive().default(30_000),
  /** Streams running upstream at once; more wait in a FIFO queue with their position shown. */
  FLINT_MAX_CONCURRENT_STREAMS: z.coerce.number().int().positive().default(8),
  /** Upstream 429s waited out (honouring retry-after) before a stream fails. */
  FLINT_UPSTREAM_RETRIES: z.coerce.number().int().nonnegative().default(3),
  FLINT_PROMPTS_PER_MINUTE: z.coerce.number().int().positive().default(60),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.FLINT_PROVIDER === 'openai' && !e.FLINT_BASE_URL) {
    throw new Error('Invalid configuration:\n  FLINT_BASE_URL: required when FLINT_PROVIDER=openai');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dev: e.NODE_ENV === 'development',
    provider: e.FLINT_PROVIDER,
    baseURL: e.FLINT_BASE_URL,
    apiKey: e.FLINT_API_KEY,
    model: e.FLINT_MODEL,
    sim: { port: e.FLINT_SIM_PORT, tokensPerSecond: e.FLINT_SIM_TPS, ttftMs: e.FLINT_SIM_TTFT_MS },
    limits: {
      streamIdleMs: e.FLINT_STREAM_IDLE_MS,
      maxConcurrentStreams: e.FLINT_MAX_CONCURRENT_STREAMS,
      upstreamRetries: e.FLINT_UPSTREAM_RETRIES,
      promptsPerMinute: e.FLINT_PROMPTS_PER_MINUTE,
    },
  };
}
