import type { TierInfo, TierName, TierStatus } from '@/lib/protocol';
import type { InferenceProvider } from '../inference/types';
import type { Io } from '../edge/types';

/** The tiers as a joining browser sees them: who serves each, its state, and their warm-up. */
export interface TierStates {
  /** Provider and model of each tier, in the join answer. */
  readonly info: Record<TierName, TierInfo>;
  readonly names: readonly TierName[];
  /** A `tier:state` payload. */
  state(tier: TierName): { tier: TierName } & TierInfo & TierStatus;
  /** Opens the upstream connections (or loads the model) now, so the first prompt does not pay for it. */
  warm(): void;
  /** Stops broadcasting status changes. */
  close(): void;
}

/** A tier's status changes (warming, download progress, unavailable) go to everyone connected to `io`. */
export function createTierStates(io: Io, providers: Record<TierName, InferenceProvider>, log: (msg: string, err?: unknown) => void): TierStates {
  const info: Record<TierName, TierInfo> = {
    instant: { provider: providers.instant.name, model: providers.instant.model },
    deep: { provider: providers.deep.name, model: providers.deep.model },
  };
  const names = Object.keys(info) as TierName[];
  const state = (tier: TierName) => ({ tier, ...info[tier], ...(providers[tier].status?.() ?? { state: 'ready' as const }) });
  const unsubscribe = names.flatMap((tier) => {
    const off = providers[tier].onStatus?.(() => io.emit('tier:state', state(tier)));
    return off ? [off] : [];
  });
  return {
    info,
    names,
    state,
    warm() {
      for (const p of new Set(names.map((t) => providers[t]))) {
        try {
          p.warm?.();
        } catch (err) {
          log('warming a tier failed', err);
        }
      }
    },
    close() {
      for (const off of unsubscribe) off();
    },
  };
}
