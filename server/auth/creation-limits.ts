import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { FlintError } from '../errors';
import { MemorySharedLimits, type SharedLimits } from '../collab/shared-limits';

/**
 * How many sessions, and how many share links, one person may create a minute: `perMinute` per
 * identity and four times that per address (people behind one NAT share an address; an
 * identity is free to mint — a socket without the cookie gets a new one — so the address is the
 * limit that holds against a script). `FLINT_CREATES_PER_MINUTE`. Across every process with
 * Redis (collab/shared-limits.ts), else per process.
 */
export class CreationLimiter {
  private readonly perIdentity: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;

  constructor(
    private readonly what: string,
    private readonly perMinute: number,
    shared: SharedLimits = new MemorySharedLimits(),
  ) {
    const name = `create-${what.replace(/\W+/g, '-')}`;
    this.perIdentity = shared.rateLimiter(`${name}-identity`, perMinute, 60);
    this.perAddress = shared.rateLimiter(`${name}-address`, perMinute * 4, 60);
  }

  /** Counts one creation; throws `rateLimited` (saying when to retry) when over either limit. */
  async consume(identity: string, address: string): Promise<void> {
    try {
      await this.perAddress.consume(address);
      await this.perIdentity.consume(identity);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw new FlintError(
        'rateLimited',
        `Too many ${this.what} created: this server allows ${this.perMinute} a minute per person (FLINT_CREATES_PER_MINUTE). Try again in ${Math.ceil(res.msBeforeNext / 1000)} s.`,
      );
    }
  }
}
