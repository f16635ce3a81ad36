import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { LIMITS, type TierName } from '@/lib/protocol';
import { normalizeOrigin } from '@/lib/sandbox/origin';
import { DEFAULT_PROJECT_SETTINGS, type ProjectSettings } from './projects/settings';
import { DEFAULT_PACKAGE_LIMITS } from './packages/limits';

/**
 * Flint's configuration: environment variables over an optional `flint.config.json` (path in
 * `FLINT_CONFIG`, else `./flint.config.json` when it exists) over embedded defaults, so
 * `npm start` runs with none set. Keep in sync with the README's configuration section.
 *
 * A tier's value is looked up as `FLINT_<TIER>_<KEY>` → `FLINT_<KEY>` → the file's
 * `tiers.<tier>.<key>` → the file's `tiers.shared.<key>` → the default.
 */

/**
 * `sim`: the fast-tier simulator inside this process; `openai`: any OpenAI-compatible Chat
 * Completions endpoint; `responses`: OpenAI's Responses API over one persistent WebSocket;
 * `local`: a GGUF model run in this process by node-llama-cpp.
 */
export const ProviderKind = z.enum(['sim', 'openai', 'responses', 'local']);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** Request fields Cerebras rejects; left out by default for base URLs on cerebras.ai. */
export const CEREBRAS_UNSUPPORTED_FIELDS = ['frequency_penalty', 'presence_penalty', 'logit_bias', 'parallel_tool_calls'];

/** OpenAI closes a Responses WebSocket after 60 minutes; Flint replaces it a little before. */
export const DEFAULT_WS_MAX_AGE_MS = 55 * 60_000;

/** A small code model that runs on a CPU; downloaded on first use when nothing else is configured. */
export const DEFAULT_MODEL_URL =
  'https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/resolve/main/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf';

const TierFile = z
  .object({
    provider: ProviderKind.optional(),
    baseURL: z.string().url().optional(),
    apiKey: z.string().optional(),
    model: z.string().min(1).optional(),
    /** Request fields this tier rejects; Flint leaves them out. */
    unsupportedFields: z.array(z.string().min(1)).optional(),
    /** Send Predicted Outputs (`prediction: {type:'content', content: <original file>}`). */
    prediction: z.boolean().optional(),
    /** Extra Chat Completions request fields, e.g. `{"temperature": 0.2}`. */
    params: z.record(z.string(), z.unknown()).optional(),
    /** `local`: the .gguf file. */
    modelPath: z.string().min(1).optional(),
    /** `local`: CPU threads; default 1 on machines with two cores or fewer. */
    threads: z.number().int().positive().max(256).optional(),
    /** `responses`: the upstream socket is replaced after this long. */
    wsMaxAgeMs: z.number().int().positive().optional(),
  })
  .strict();
type TierFile = z.infer<typeof TierFile>;

// The limits of issue #8 item 7, alike in the file and the environment (coerced there).
const MaxMessageBytes = z.number().int().min(64 * 1024, 'at least 65536 (64 KiB)').max(1024 ** 3, 'at most 1073741824 (1 GiB)');
const MaxDocBytes = z.number().int().min(64 * 1024, 'at least 65536 (64 KiB)').max(1024 ** 3, 'at most 1073741824 (1 GiB)');
const MaxFiles = z.number().int().min(1).max(100_000);
const MaxPromptChars = z.number().int().min(1).max(LIMITS.promptCharsCeiling, `at most ${LIMITS.promptCharsCeiling} (the protocol's ceiling)`);
const MaxConnectionsPerIp = z.number().int().min(1).max(1_000_000);
const ImportMaxFiles = z.number().int().min(1).max(100_000);
const ImportBytes = z.number().int().min(1024, 'at least 1024').max(4 * 1024 ** 3, 'at most 4294967296 (4 GiB)');
const GitTimeoutMs = z.number().int().min(1_000, 'at least 1000 (1 s)').max(3_600_000, 'at most 3600000 (1 h)');

/** Defaults of the limits above (README → Configuration). */
export const DEFAULT_MAX_DOC_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 1_000;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 200;

/** An http(s) origin (`https://host[:port]`, no path), stored normalized. */
const Origin = z.string().transform((text, ctx) => {
  const origin = normalizeOrigin(text.trim());
  if (!origin) {
    ctx.addIssue({ code: 'custom', message: `expected an http(s) origin like https://sandbox.example.net (no path), got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return origin;
});

const FileConfig = z
  .object({
    $schema: z.string().optional(),
    /** Where the test sandbox document is served from (lib/sandbox/origin.ts). */
    sandboxOrigin: Origin.optional(),
    /** The origins people open Flint at: the only pages allowed to embed a configured sandbox origin. */
    appOrigins: z.array(Origin).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    host: z.string().optional(),
    cacheDir: z.string().optional(),
    dataDir: z.string().optional(),
    defaultModelUrl: z.string().url().optional(),
    tiers: z.object({ shared: TierFile.optional(), instant: TierFile.optional(), deep: TierFile.optional() }).strict().optional(),
    sim: z
      .object({ port: z.number().int().min(0).max(65535).optional(), tokensPerSecond: z.number().positive().optional(), ttftMs: z.number().nonnegative().optional() })
      .strict()
      .optional(),
    limits: z
      .object({
        streamIdleMs: z.number().int().positive().optional(),
        deltaTickMs: z.number().nonnegative().max(1000).optional(),
        maxConcurrentStreams: z.number().int().positive().optional(),
        upstreamRetries: z.number().int().nonnegative().optional(),
        promptsPerMinute: z.number().int().positive().optional(),
        createsPerMinute: z.number().int().positive().optional(),
        contextTokens: z.number().int().min(1024).optional(),
        answerTokens: z.number().int().min(256).optional(),
        maxMessageBytes: MaxMessageBytes.optional(),
        maxDocBytes: MaxDocBytes.optional(),
        maxFiles: MaxFiles.optional(),
        importMaxFiles: ImportMaxFiles.optional(),
        importMaxBytes: ImportBytes.optional(),
        importMaxFileBytes: ImportBytes.optional(),
        importAllowPrivate: z.boolean().optional(),
        gitTimeoutMs: GitTimeoutMs.optional(),
        gitMaxBytes: ImportBytes.optional(),
        maxPromptChars: MaxPromptChars.optional(),
        maxConnectionsPerIp: MaxConnectionsPerIp.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type FileConfig = z.infer<typeof FileConfig>;

const num = z.coerce.number();
const Env = z.object({
  PORT: num.int().min(0).max(65535).optional(),
  HOST: z.string().optional(),
  NODE_ENV: z.string().default('production'),
  FLINT_CACHE_DIR: z.string().optional(),
  /** PGlite's data directory (unused with DATABASE_URL). */
  FLINT_DATA_DIR: z.string().min(1).optional(),
  /** PostgreSQL instead of the embedded PGlite. */
  DATABASE_URL: z.union([z.literal(''), z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…')]).optional(),
  /** Several Flint processes: socket.io and the documents fan out through this Redis. */
  REDIS_URL: z.union([z.literal(''), z.string().regex(/^rediss?:\/\//, 'expected redis://…')]).optional(),
  /** `false`: serve socket.io only, no web app. */
  FLINT_SERVE_WEB: z.enum(['true', 'false']).optional(),
  /** On SIGTERM, how long running turns may take to end before they are interrupted. */
  FLINT_DRAIN_MS: num.int().nonnegative().optional(),
  FLINT_DEFAULT_MODEL_URL: z.string().url().optional(),
  /** The test sandbox's origin; another site than the IDE's, so it gets its own browser process. */
  FLINT_SANDBOX_ORIGIN: z.preprocess((v) => (v === '' ? undefined : v), Origin.optional()),
  /** Comma-separated origins people open Flint at (required with FLINT_SANDBOX_ORIGIN). */
  FLINT_APP_ORIGINS: z
    .string()
    .transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(Origin))
    .optional(),
  FLINT_SIM_PORT: num.int().min(0).max(65535).optional(),
  FLINT_SIM_TPS: num.positive().optional(),
  FLINT_SIM_TTFT_MS: num.nonnegative().optional(),
  /** A stream that produces nothing for this long is ended with an error. */
  FLINT_STREAM_IDLE_MS: num.int().positive().optional(),
  /** A stream's deltas are coalesced into one `ai:delta` per this many ms (one shared timer). */
  FLINT_DELTA_TICK_MS: num.nonnegative().max(1000).optional(),
  /** Streams running upstream at once; more wait in a FIFO queue with their position shown. */
  FLINT_MAX_CONCURRENT_STREAMS: num.int().positive().optional(),
  /** Upstream 429s waited out (honouring retry-after) before a stream fails. */
  FLINT_UPSTREAM_RETRIES: num.int().nonnegative().optional(),
  FLINT_PROMPTS_PER_MINUTE: num.int().positive().optional(),
  /** Sessions, and share links, one identity may create a minute (four times this per address). */
  FLINT_CREATES_PER_MINUTE: num.int().positive().optional(),
  /** Where GET /metrics is served: its own listener, loopback by default; `off`: nowhere. */
  FLINT_METRICS_HOST: z.string().min(1).optional(),
  FLINT_METRICS_PORT: z.union([z.literal('off'), num.int().min(0).max(65535)]).optional(),
  /** The tier's context window, in tokens: the prompt budget is this minus FLINT_ANSWER_TOKENS. */
  FLINT_CONTEXT_TOKENS: num.int().min(1024).optional(),
  /** Tokens kept free for the model's answer. */
  FLINT_ANSWER_TOKENS: num.int().min(256).optional(),
  /** Largest socket.io frame (socket.io's maxHttpBufferSize); a larger one closes the connection. */
  FLINT_MAX_MESSAGE_BYTES: z.coerce.number().pipe(MaxMessageBytes).optional(),
  /** Largest session document (encoded Yjs state); changes that would grow it past this are refused. */
  FLINT_MAX_DOC_BYTES: z.coerce.number().pipe(MaxDocBytes).optional(),
  /** Most files in one session. */
  FLINT_MAX_FILES: z.coerce.number().pipe(MaxFiles).optional(),
  /** Longest prompt, in characters. */
  FLINT_MAX_PROMPT_CHARS: z.coerce.number().pipe(MaxPromptChars).optional(),
  /** Live socket.io connections from one address. */
  FLINT_MAX_CONNECTIONS_PER_IP: z.coerce.number().pipe(MaxConnectionsPerIp).optional(),
  /** Most files a project import may bring in (after .gitignore and skipped folders). */
  FLINT_IMPORT_MAX_FILES: z.coerce.number().pipe(ImportMaxFiles).optional(),
  /** Largest project import, all files together, in bytes. */
  FLINT_IMPORT_MAX_BYTES: z.coerce.number().pipe(ImportBytes).optional(),
  /** Largest single file of an import, in bytes. */
  FLINT_IMPORT_MAX_FILE_BYTES: z.coerce.number().pipe(ImportBytes).optional(),
  /** `true`: git servers on private and loopback addresses may be cloned (self-hosted git); link-local and metadata stay refused. */
  FLINT_IMPORT_ALLOW_PRIVATE: z.enum(['true', 'false']).optional(),
  /** The npm registry session packages come from (default: the one npm is configured with). */
  FLINT_NPM_REGISTRY: z.union([z.literal(''), z.string().regex(/^https?:\/\//, 'expected http(s)://…')]).optional(),
  FLINT_NPM_MAX_TARBALL_BYTES: z.coerce.number().int().positive().optional(),
  FLINT_NPM_MAX_TOTAL_BYTES: z.coerce.number().int().positive().optional(),
  /** A git clone that takes longer is stopped. */
  FLINT_GIT_TIMEOUT_MS: z.coerce.number().pipe(GitTimeoutMs).optional(),
  /** Bytes a git clone may fetch from its server. */
  FLINT_GIT_MAX_BYTES: z.coerce.number().pipe(ImportBytes).optional(),
});

/** One resolved tier. Keys never leave the server. */
export interface TierConfig {
  provider: ProviderKind;
  baseURL?: string;
  apiKey?: string;
  model: string;
  unsupportedFields: string[];
  prediction: boolean;
  params: Record<string, unknown>;
  /** `local`: the .gguf to load; absent = the default model, downloaded on first use. */
  modelPath?: string;
  threads: number;
  wsMaxAgeMs: number;
}

const ENV_KEYS: Record<keyof TierFile, string> = {
  provider: 'PROVIDER',
  baseURL: 'BASE_URL',
  apiKey: 'API_KEY',
  model: 'MODEL',
  unsupportedFields: 'UNSUPPORTED_FIELDS',
  prediction: 'PREDICTION',
  params: 'PARAMS',
  modelPath: 'MODEL_PATH',
  threads: 'THREADS',
  wsMaxAgeMs: 'WS_MAX_AGE_MS',
};

/** Threads for llama.cpp: 1 on two cores or fewer (more threads ran far slower there), else cores − 1, at most 8. */
export function defaultThreads(cores = os.availableParallelism?.() ?? os.cpus().length): number {
  return cores <= 2 ? 1 : Math.min(8, cores - 1);
}

/** `FLINT_UNSUPPORTED_FIELDS` etc. arrive as text; this reads them as the file's types. */
function fromEnvText(key: keyof TierFile, text: string): unknown {
  switch (key) {
    case 'unsupportedFields':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'prediction':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off|)$/i.test(text)) return false;
      return text; // fails validation with the variable's name
    case 'threads':
    case 'wsMaxAgeMs':
      return text === '' ? undefined : Number(text);
    case 'params':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text === '' ? undefined : text;
  }
}

function resolveTier(env: Record<string, string | undefined>, file: FileConfig, tier: TierName): TierConfig {
  const T = tier.toUpperCase();
  const merged: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const key of Object.keys(ENV_KEYS) as Array<keyof TierFile>) {
    const own = env[`FLINT_${T}_${ENV_KEYS[key]}`];
    const shared = env[`FLINT_${ENV_KEYS[key]}`];
    if (own !== undefined) [merged[key], source[key]] = [fromEnvText(key, own), `FLINT_${T}_${ENV_KEYS[key]}`];
    else if (shared !== undefined) [merged[key], source[key]] = [fromEnvText(key, shared), `FLINT_${ENV_KEYS[key]}`];
    else if (file.tiers?.[tier]?.[key] !== undefined) [merged[key], source[key]] = [file.tiers[tier]![key], `tiers.${tier}.${key}`];
    else if (file.tiers?.shared?.[key] !== undefined) [merged[key], source[key]] = [file.tiers.shared[key], `tiers.shared.${key}`];
  }
  const parsed = TierFile.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof TierFile;
      return `  ${source[key] ?? `FLINT_${T}_${ENV_KEYS[key] ?? key}`}: ${i.message}`;
    });
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const t = parsed.data;
  const fail = (what: string, why: string) => {
    throw new Error(`Invalid configuration:\n  FLINT_${T}_${what} (or FLINT_${what}, or tiers.${tier} in flint.config.json): ${why}`);
  };
  // No provider named: a model path means the local model, a base URL a remote tier; with
  // neither, the embedded default is the local model (downloaded on first use).
  const provider: ProviderKind = t.provider ?? (t.modelPath ? 'local' : t.baseURL ? 'openai' : 'local');
  if ((provider === 'openai' || provider === 'responses') && !t.baseURL) fail('BASE_URL', `required when the provider is ${provider}`);
  if ((provider === 'openai' || provider === 'responses') && !t.model) fail('MODEL', `required when the provider is ${provider}`);
  if (t.modelPath && provider === 'local' && !t.modelPath.endsWith('.gguf')) fail('MODEL_PATH', 'must name a .gguf file');
  const onCerebras = t.baseURL ? /(^|\.)cerebras\.ai$/i.test(new URL(t.baseURL).hostname) : false;
  const model =
    t.model ??
    (provider === 'sim' ? `flint-sim-${tier}` : provider === 'local' ? (t.modelPath ? path.basename(t.modelPath, '.gguf') : path.basename(new URL(DEFAULT_MODEL_URL).pathname, '.gguf')) : '');
  return {
    provider,
    baseURL: t.baseURL,
    apiKey: t.apiKey,
    model,
    unsupportedFields: t.unsupportedFields ?? (onCerebras ? CEREBRAS_UNSUPPORTED_FIELDS : []),
    prediction: t.prediction ?? false,
    params: (t.params as Record<string, unknown> | undefined) ?? {},
    modelPath: t.modelPath,
    threads: t.threads ?? defaultThreads(),
    wsMaxAgeMs: t.wsMaxAgeMs ?? DEFAULT_WS_MAX_AGE_MS,
  };
}

/**
 * The test sandbox's origin and the pages that may embed it. Unset: the IDE picks the loopback
 * counterpart or its own origin (lib/sandbox/origin.ts). A configured origin needs the app's
 * origins too, so the sandbox's frame-ancestors name exactly them.
 */
function resolveSandbox(e: z.infer<typeof Env>, file: FileConfig): { origin?: string; appOrigins: string[] } {
  const origin = e.FLINT_SANDBOX_ORIGIN ?? file.sandboxOrigin;
  const appOrigins = e.FLINT_APP_ORIGINS ?? file.appOrigins ?? [];
  if (origin && appOrigins.length === 0) {
    throw new Error(
      'Invalid configuration:\n  FLINT_SANDBOX_ORIGIN (or sandboxOrigin): needs FLINT_APP_ORIGINS (or appOrigins), the origins people open Flint at — only they may embed the sandbox',
    );
  }
  return { origin, appOrigins };
}

/**
 * Reads and validates `flint.config.json`. A missing default file is fine (`{}`); a file named in
 * FLINT_CONFIG that is missing, not JSON, or not of the right shape is an error that names it.
 */
export function readConfigFile(file: string | undefined, explicit: boolean): FileConfig {
  if (!file || (!explicit && !existsSync(file))) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON (${(err as Error).message})`;
    throw new Error(`Invalid configuration file ${file}: ${why}`);
  }
  const parsed = FileConfig.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(`Invalid configuration file ${file}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()) {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const file = readConfigFile(env.FLINT_CONFIG ? path.resolve(cwd, env.FLINT_CONFIG) : path.join(cwd, 'flint.config.json'), !!env.FLINT_CONFIG);
  const sandbox = resolveSandbox(e, file);
  return {
    sandbox,
    tiers: { instant: resolveTier(env, file, 'instant'), deep: resolveTier(env, file, 'deep') },
    port: e.PORT ?? file.port ?? 3000,
    host: e.HOST ?? file.host ?? '127.0.0.1',
    dev: e.NODE_ENV === 'development',
    cacheDir: path.resolve(cwd, e.FLINT_CACHE_DIR ?? file.cacheDir ?? '.flint-cache'),
    dataDir: path.resolve(cwd, e.FLINT_DATA_DIR ?? file.dataDir ?? '.flint-data'),
    databaseUrl: e.DATABASE_URL || undefined,
    redisUrl: e.REDIS_URL || undefined,
    serveWeb: e.FLINT_SERVE_WEB !== 'false',
    drainMs: e.FLINT_DRAIN_MS ?? 10_000,
    metrics: e.FLINT_METRICS_PORT === 'off' ? null : { host: e.FLINT_METRICS_HOST ?? '127.0.0.1', port: e.FLINT_METRICS_PORT ?? 9464 },
    defaultModelUrl: e.FLINT_DEFAULT_MODEL_URL ?? file.defaultModelUrl ?? DEFAULT_MODEL_URL,
    sim: {
      port: e.FLINT_SIM_PORT ?? file.sim?.port ?? 0,
      tokensPerSecond: e.FLINT_SIM_TPS ?? file.sim?.tokensPerSecond ?? 1000,
      ttftMs: e.FLINT_SIM_TTFT_MS ?? file.sim?.ttftMs ?? 0,
    },
    limits: {
      streamIdleMs: e.FLINT_STREAM_IDLE_MS ?? file.limits?.streamIdleMs ?? 30_000,
      deltaTickMs: e.FLINT_DELTA_TICK_MS ?? file.limits?.deltaTickMs ?? 8,
      maxConcurrentStreams: e.FLINT_MAX_CONCURRENT_STREAMS ?? file.limits?.maxConcurrentStreams ?? 8,
      upstreamRetries: e.FLINT_UPSTREAM_RETRIES ?? file.limits?.upstreamRetries ?? 3,
      promptsPerMinute: e.FLINT_PROMPTS_PER_MINUTE ?? file.limits?.promptsPerMinute ?? 60,
      createsPerMinute: e.FLINT_CREATES_PER_MINUTE ?? file.limits?.createsPerMinute ?? 30,
      contextTokens: e.FLINT_CONTEXT_TOKENS ?? file.limits?.contextTokens ?? 128_000,
      answerTokens: e.FLINT_ANSWER_TOKENS ?? file.limits?.answerTokens ?? 8_192,
      maxMessageBytes: e.FLINT_MAX_MESSAGE_BYTES ?? file.limits?.maxMessageBytes ?? LIMITS.maxMessageBytes,
      maxDocBytes: e.FLINT_MAX_DOC_BYTES ?? file.limits?.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES,
      maxFiles: e.FLINT_MAX_FILES ?? file.limits?.maxFiles ?? DEFAULT_MAX_FILES,
      maxPromptChars: e.FLINT_MAX_PROMPT_CHARS ?? file.limits?.maxPromptChars ?? LIMITS.maxPromptChars,
      maxConnectionsPerIp: e.FLINT_MAX_CONNECTIONS_PER_IP ?? file.limits?.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP,
    },
    /** Project imports (server/projects/): limits and the git address rule. */
    projects: {
      maxFiles: e.FLINT_IMPORT_MAX_FILES ?? file.limits?.importMaxFiles ?? DEFAULT_PROJECT_SETTINGS.maxFiles,
      maxBytes: e.FLINT_IMPORT_MAX_BYTES ?? file.limits?.importMaxBytes ?? DEFAULT_PROJECT_SETTINGS.maxBytes,
      maxFileBytes: e.FLINT_IMPORT_MAX_FILE_BYTES ?? file.limits?.importMaxFileBytes ?? DEFAULT_PROJECT_SETTINGS.maxFileBytes,
      allowPrivate: e.FLINT_IMPORT_ALLOW_PRIVATE ? e.FLINT_IMPORT_ALLOW_PRIVATE === 'true' : (file.limits?.importAllowPrivate ?? false),
      gitTimeoutMs: e.FLINT_GIT_TIMEOUT_MS ?? file.limits?.gitTimeoutMs ?? DEFAULT_PROJECT_SETTINGS.gitTimeoutMs,
      gitMaxBytes: e.FLINT_GIT_MAX_BYTES ?? file.limits?.gitMaxBytes ?? DEFAULT_PROJECT_SETTINGS.gitMaxBytes,
    } satisfies ProjectSettings,
    /** Session npm packages (server/packages/): `registry` undefined = npm's configured one (read at start). */
    packages: {
      registry: e.FLINT_NPM_REGISTRY || undefined,
      maxTarballBytes: e.FLINT_NPM_MAX_TARBALL_BYTES ?? DEFAULT_PACKAGE_LIMITS.maxTarballBytes,
      maxTotalBytes: e.FLINT_NPM_MAX_TOTAL_BYTES ?? DEFAULT_PACKAGE_LIMITS.maxTotalBytes,
    },
  };
}
