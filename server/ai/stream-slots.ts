/**
 * A concurrency cap with a FIFO queue: at most `capacity` streams run against a tier at once;
 * the rest wait in arrival order and are told their position whenever it changes.
 *
 * Invariants:
 * - `running <= capacity`; a slot is handed straight to the head of the queue on release;
 * - a waiter whose signal aborts leaves the queue at once and everyone behind moves up;
 * - every acquired slot is released exactly once (the release function is idempotent).
 */
export class StreamSlots {
  private running = 0;
  private readonly waiting: Array<{ grant: () => void; onPosition: (position: number) => void }> = [];

  constructor(private readonly capacity: number) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason on abort. */
  acquire(signal: AbortSignal, onPosition: (position: number) => void): Promise<() => void> {
    signal.throwIfAborted();
    if (this.running < this.capacity && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
        onPosition,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        this.announce(i);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      onPosition(this.waiting.length);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        next.grant(); // the slot passes on: `running` is unchanged
        this.announce(0);
      } else {
        this.running--;
      }
    };
  }

  /** Tells every waiter from index `from` on its new position. */
  private announce(from: number) {
    for (let i = Math.max(0, from); i < this.waiting.length; i++) this.waiting[i].onPosition(i + 1);
  }
}
