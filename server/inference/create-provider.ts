import type { TierName } from '@/lib/protocol';
import type { TierConfig } from '../config';
import { createLocalLlamaProvider } from './local-llama';
import { createOpenAICompatibleProvider } from './openai-compatible';
import { createResponsesWsProvider } from './responses-ws';
import type { InferenceProvider } from './types';

export interface ProviderContext {
  /** The embedded simulator's URL, when a tier uses it. */
  simUrl?: string;
  cacheDir: string;
  defaultModelUrl: string;
  log?: (line: string) => void;
}

/**
 * One provider per distinct tier configuration: two tiers configured alike share one provider
 * (one upstream connection, one loaded model, one download).
 */
export function createProviders(tiers: Record<TierName, TierConfig>, ctx: ProviderContext): Record<TierName, InferenceProvider> {
  const made = new Map<string, InferenceProvider>();
  const get = (t: TierConfig) => {
    const key = JSON.stringify(t);
    let p = made.get(key);
    if (!p) made.set(key, (p = createProvider(t, ctx)));
    return p;
  };
  return { instant: get(tiers.instant), deep: get(tiers.deep) };
}

export function createProvider(t: TierConfig, ctx: ProviderContext): InferenceProvider {
  switch (t.provider) {
    case 'sim':
      if (!ctx.simUrl) throw new Error('the simulator is not running');
      return createOpenAICompatibleProvider({ name: 'simulator', baseURL: `${ctx.simUrl}/v1`, model: t.model, params: t.params, unsupportedFields: t.unsupportedFields, prediction: t.prediction });
    case 'openai':
      return createOpenAICompatibleProvider({
        name: new URL(t.baseURL!).host, baseURL: t.baseURL!, apiKey: t.apiKey, model: t.model,
        params: t.params, unsupportedFields: t.unsupportedFields, prediction: t.prediction,
      });
    case 'responses':
      return createResponsesWsProvider({
        name: `${new URL(t.baseURL!).host} (Responses WebSocket)`, baseURL: t.baseURL!, apiKey: t.apiKey, model: t.model,
        maxAgeMs: t.wsMaxAgeMs, params: t.params, unsupportedFields: t.unsupportedFields,
      });
    case 'local':
      return createLocalLlamaProvider({
        name: 'local',
        model: t.model,
        modelPath: t.modelPath,
        download: t.modelPath ? undefined : { url: ctx.defaultModelUrl, cacheDir: ctx.cacheDir },
        threads: t.threads,
        log: ctx.log,
      });
  }
}
