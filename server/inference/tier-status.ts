import type { TierStatus } from '@/lib/protocol';

/** Holds a provider's status and tells listeners when it changes (same-status updates are not repeated). */
export class StatusHolder {
  private current: TierStatus;
  private readonly listeners = new Set<(s: TierStatus) => void>();

  constructor(initial: TierStatus) {
    this.current = initial;
  }

  get(): TierStatus {
    return this.current;
  }

  set(next: TierStatus): void {
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    for (const l of this.listeners) l(next);
  }

  subscribe(listener: (s: TierStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
