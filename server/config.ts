import { z } from 'zod';
import type { TierName } from '@/lib/protocol';

/**
 * Flint's configuration, from the environment. Every value has an embedded default, so
 * `npm start` runs with none set. Keep in sync with the README's configuration table.
 */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  NODE_ENV: z.string().default('production'),
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
  /** The tier's context window, in tokens: the prompt budget is this minus FLINT_ANSWER_TOKENS. */
  FLINT_CONTEXT_TOKENS: z.coerce.number().int().min(1024).default(128_000),
  /** Tokens kept free for the model's answer. */
  FLINT_ANSWER_TOKENS: z.coerce.number().int().min(256).default(8_192),
});

/**
 * One inference tier. `sim` starts the fast-tier simulator inside this process; `openai` is any
 * OpenAI-compatible endpoint at `baseURL`.
 */
const Tier = z
  .object({
    provider: z.enum(['sim', 'openai']).default('sim'),
    baseURL: z.string().url().optional(),
    apiKey: z.string().optional(),
    model: z.string().optional(),
  })
  .refine((t) => t.provider !== 'openai' || t.baseURL, { message: 'a base URL is required when the provider is openai', path: ['baseURL'] });
export type TierConfig = { provider: 'sim' | 'openai'; baseURL?: string; apiKey?: string; model: string };

/** `FLINT_INSTANT_MODEL`, else `FLINT_MODEL`: each tier's variable falls back to the shared one. */
function tierFromEnv(env: Record<string, string | undefined>, tier: TierName) {
  const pick = (key: string) => env[`FLINT_${tier.toUpperCase()}_${key}`] ?? env[`FLINT_${key}`];
  const parsed = Tier.safeParse({ provider: pick('PROVIDER'), baseURL: pick('BASE_URL'), apiKey: pick('API_KEY'), model: pick('MODEL') });
  if (!parsed.success) {
    const names: Record<string, string> = { provider: 'PROVIDER', baseURL: 'BASE_URL', apiKey: 'API_KEY', model: 'MODEL' };
    const lines = parsed.error.issues.map((i) => `  FLINT_${tier.toUpperCase()}_${names[String(i.path[0])] ?? ''}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const t = parsed.data;
  if (t.provider === 'openai' && !t.model) throw new Error(`Invalid configuration:\n  FLINT_${tier.toUpperCase()}_MODEL (or FLINT_MODEL): required when the provider is openai`);
  return { ...t, model: t.model ?? `flint-sim-${tier}` } satisfies TierConfig;
}

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    tiers: { instant: tierFromEnv(env, 'instant'), deep: tierFromEnv(env, 'deep') },
    port: e.PORT,
    host: e.HOST,
    dev: e.NODE_ENV === 'development',
    sim: { port: e.FLINT_SIM_PORT, tokensPerSecond: e.FLINT_SIM_TPS, ttftMs: e.FLINT_SIM_TTFT_MS },
    limits: {
      streamIdleMs: e.FLINT_STREAM_IDLE_MS,
      maxConcurrentStreams: e.FLINT_MAX_CONCURRENT_STREAMS,
      upstreamRetries: e.FLINT_UPSTREAM_RETRIES,
      promptsPerMinute: e.FLINT_PROMPTS_PER_MINUTE,
      contextTokens: e.FLINT_CONTEXT_TOKENS,
      answerTokens: e.FLINT_ANSWER_TOKENS,
    },
  };
}
