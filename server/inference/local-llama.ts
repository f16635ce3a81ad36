import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, ChatHistoryItem } from 'node-llama-cpp';
import type { TierStatus } from '@/lib/protocol';
import { FlintError } from '../errors';
import type { InferenceEvent, InferenceProvider, InferenceRequest } from './types';
import { StatusHolder } from './tier-status';
import { cachePathFor, DownloadError, downloadModel, exists, type DownloadProgress } from './model-download';

export interface LocalLlamaOptions {
  name: string;
  model: string;
  /** The .gguf to run. Absent: the default model, downloaded from `download.url` on first use. */
  modelPath?: string;
  download?: { url: string; cacheDir: string };
  /** CPU threads (1 on two cores or fewer: more ran far slower there). */
  threads: number;
  /** Upper bound on the context; the model's own training context if smaller. */
  contextSize?: number;
  /** Longest answer, in tokens. */
  maxTokens?: number;
  /** Terminal progress lines (download, load). */
  log?: (line: string) => void;
  /** Sees every text chunk the model generates, and whether the signal had aborted by then. */
  onGenerated?: (afterAbort: boolean) => void;
}

/** What a person can do when no model is available: shown under `provider-status`. */
export const CONFIGURE_HELP =
  'Configure a tier: FLINT_BASE_URL + FLINT_MODEL (+ FLINT_API_KEY) for an OpenAI-compatible endpoint such as Cerebras, OpenAI, vLLM, llama.cpp or Ollama; ' +
  'FLINT_MODEL_PATH=/path/to/model.gguf for a local model; or FLINT_PROVIDER=sim for the built-in simulator. See README → Configuration.';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * A GGUF model run in this process by node-llama-cpp, on the CPU. Nothing is loaded at import
 * or construction: `warm()` (a session joined) or the first prompt downloads the default model
 * when needed, then loads it. One answer at a time (one context sequence); generation stops
 * within a decode step when the signal aborts.
 *
 * Status: `warming` (loading), `downloading` with progress, `ready`, or `unavailable` with the
 * reason (offline, disk full, file missing, not a model) and how to configure a tier instead.
 * A failed download or load is retried by the next `warm()` or prompt.
 */
export function createLocalLlamaProvider(opts: LocalLlamaOptions): InferenceProvider {
  const status = new StatusHolder(opts.modelPath ? { state: 'ready' } : { state: 'warming' });
  const log = opts.log ?? (() => {});
  type Loaded = { llama: Llama; model: LlamaModel; context: LlamaContext; sequence: LlamaContextSequence };
  let loading: Promise<Loaded> | null = null;
  let loaded: Loaded | null = null;
  let lock: Promise<void> = Promise.resolve();
  let lastProgressLog = 0;

  const unavailable = (reason: string): TierStatus => ({ state: 'unavailable', reason, help: CONFIGURE_HELP });

  function onProgress(p: DownloadProgress) {
    status.set({ state: 'downloading', progress: p });
    const now = performance.now();
    if (now - lastProgressLog > 2000 || p.percent === 100) {
      lastProgressLog = now;
      const pct = p.percent === null ? '' : ` ${p.percent}%`;
      const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds} s`;
      log(`[flint] downloading ${opts.model}${pct} (${mb(p.bytes)}${p.totalBytes ? ` of ${mb(p.totalBytes)}` : ''}${eta})`);
    }
  }

  async function modelFile(): Promise<string> {
    if (opts.modelPath) {
      if (!(await exists(opts.modelPath))) throw new DownloadError(`The model file ${opts.modelPath} does not exist.`, 'notGguf');
      return opts.modelPath;
    }
    if (!opts.download) throw new DownloadError('No model is configured.', 'notGguf');
    const dest = cachePathFor(opts.download.url, opts.download.cacheDir);
    if (await exists(dest)) return dest;
    log(`[flint] no inference tier configured: downloading the default model ${opts.model} into ${opts.download.cacheDir}`);
    return downloadModel(opts.download.url, dest, onProgress);
  }

  function load(): Promise<Loaded> {
    loading ??= (async () => {
      const file = await modelFile();
      status.set({ state: 'warming' });
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: opts.threads });
      let model: LlamaModel;
      try {
        model = await llama.loadModel({ modelPath: file });
      } catch (err) {
        await llama.dispose();
        throw new DownloadError(`${file} could not be loaded as a model (${(err as Error).message.slice(0, 120)}).`, 'notGguf');
      }
      const context = await model.createContext({
        threads: opts.threads,
        sequences: 1,
        contextSize: { max: Math.min(opts.contextSize ?? 4096, model.trainContextSize) },
      });
      const sequence = context.getSequence();
      log(`[flint] local model ${opts.model} loaded (${opts.threads} thread${opts.threads === 1 ? '' : 's'})`);
      return { llama, model, context, sequence };
    })().then(
      (m) => {
        loaded = m;
        status.set({ state: 'ready' });
        return m;
      },
      (err) => {
        loading = null; // the next warm() or prompt tries again
        const reason = err instanceof DownloadError ? err.message : `The local model failed to start: ${(err as Error).message}`;
        status.set(unavailable(reason));
        log(`[flint] local model unavailable: ${reason}`);
        throw new FlintError('tierUnavailable', `${reason} ${CONFIGURE_HELP}`);
      },
    );
    return loading;
  }

  return {
    name: opts.name,
    model: opts.model,
    maxConcurrentStreams: 1,
    contextTokens: () => loaded?.context.contextSize ?? opts.contextSize ?? 4096,
    status: () => status.get(),
    onStatus: (l) => status.subscribe(l),
    warm() {
      if (!loaded) load().catch(() => {});
    },
    async *stream(request: InferenceRequest, signal: AbortSignal): AsyncIterable<InferenceEvent> {
      const s = status.get();
      if (s.state === 'downloading') {
        throw new FlintError('tierUnavailable', `The local model is still downloading${s.progress?.percent != null ? ` (${s.progress.percent}%)` : ''}. Try again when it is ready.`);
      }
      const m = loaded ?? (await load());
      let release!: () => void;
      const previous = lock;
      lock = new Promise<void>((r) => (release = r));
      await previous;
      try {
        if (signal.aborted) return;
        const { LlamaChatSession } = await import('node-llama-cpp');
        await m.sequence.clearHistory();
        const system = request.messages.filter((x) => x.role === 'system').map((x) => x.content).join('\n\n');
        const turns = request.messages.filter((x) => x.role !== 'system');
        const last = turns.at(-1);
        const history: ChatHistoryItem[] = [
          ...(system ? [{ type: 'system', text: system } as const] : []),
          ...turns.slice(0, -1).map((x): ChatHistoryItem => (x.role === 'user' ? { type: 'user', text: x.content } : { type: 'model', response: [x.content] })),
        ];
        const session = new LlamaChatSession({ contextSequence: m.sequence, autoDisposeSequence: false });
        session.setChatHistory(history);

        const chunks: string[] = [];
        let finished = false;
        let failure: unknown = null;
        let wake: (() => void) | null = null;
        const nudge = () => {
          wake?.();
          wake = null;
        };
        let answer = '';
        const prompting = session
          .prompt(last?.content ?? '', {
            signal,
            stopOnAbortSignal: true,
            maxTokens: opts.maxTokens ?? 1024,
            onTextChunk: (t) => {
              opts.onGenerated?.(signal.aborted);
              chunks.push(t);
              nudge();
            },
          })
          .then(
            (text) => (answer = text),
            (err) => (failure = err),
          )
          .finally(() => {
            finished = true;
            nudge();
          });
        try {
          for (;;) {
            const next = chunks.shift();
            if (next !== undefined) {
              if (!signal.aborted) yield { type: 'delta', text: next };
              continue;
            }
            if (finished) break;
            await new Promise<void>((r) => (wake = r));
          }
          if (failure && !signal.aborted) throw failure;
          if (!signal.aborted) yield { type: 'usage', completionTokens: m.model.tokenize(answer).length };
        } finally {
          await prompting;
          session.dispose({ disposeSequence: false });
        }
      } finally {
        release();
      }
    },
    async close() {
      const m = loaded ?? (await loading?.catch(() => null));
      if (!m) return;
      await m.context.dispose();
      await m.model.dispose();
      await m.llama.dispose();
    },
  };
}
