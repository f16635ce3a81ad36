import { randomUUID } from 'node:crypto';
import type { SharedLimits } from '../collab/shared-limits';

/** How long a process's hold on a session's stream lasts unless renewed (a third of it): what a process that died blocks at most. */
export const STREAM_LEASE_MS = 3_000;

/**
 * One stream per session across every process: the process that runs a session's turn holds the
 * lease `stream:<session>` (collab/shared-limits.ts) from the prompt until the turn is recorded,
 * renewing it while it runs. Within the process, `AiController.active` decides (and `sendNow`
 * hands the stream over there); the lease only keeps the other processes out. Without Redis the
 * lease is this process's own and always free to it. When Redis cannot be reached, this process
 * decides alone rather than refusing every prompt.
 */
export class StreamLeases {
  private readonly renewals = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly shared: SharedLimits,
    private readonly log: (msg: string, err?: unknown) => void,
    private readonly holder: string = randomUUID(),
    private readonly ms: number = STREAM_LEASE_MS,
  ) {}

  /** Takes (or keeps) the session's stream for this process; false when another process has it. */
  async take(sessionId: string): Promise<boolean> {
    const key = `stream:${sessionId}`;
    const ok = await this.shared.lease(key, this.holder, this.ms).catch((err: unknown) => {
      this.log('the shared stream lease is unreachable; this process decides alone', err);
      return true;
    });
    if (ok && !this.renewals.has(sessionId)) {
      const renew = setInterval(() => this.shared.lease(key, this.holder, this.ms).catch(() => {}), this.ms / 3);
      renew.unref();
      this.renewals.set(sessionId, renew);
    }
    return ok;
  }

  /** Whether any process holds the session's stream (a turn of it runs somewhere). */
  async heldAnywhere(sessionId: string): Promise<boolean> {
    return (await this.shared.holder(`stream:${sessionId}`)) !== null;
  }

  /** This process no longer runs a stream of the session. */
  release(sessionId: string): void {
    const renew = this.renewals.get(sessionId);
    if (!renew) return;
    clearInterval(renew);
    this.renewals.delete(sessionId);
    this.shared.release(`stream:${sessionId}`, this.holder).catch(() => {});
  }

  close(): void {
    for (const id of [...this.renewals.keys()]) this.release(id);
  }
}
