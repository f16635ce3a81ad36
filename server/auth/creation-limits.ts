import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { FlintError } from '../errors';

/**
 * How many sessions, and how many share links, one person may create a minute: `perMinute` per
 * identity and four times that per address (people behind one NAT share an address; an
 * identity is free to mint — a socket without the cookie gets a new one — so the address is the
 * limit that holds against a script). `FLINT_CREATES_PER_MINUTE`. Per process, like the prompt
 * limit.
 */
export class CreationLimiter {
  private readonly perIdentity: RateLimiterMemory;
  private readonly perAddress: RateLimiterMemory;

  constructor(
    private readonly what: string,
    private readonly perMinute: number,
  ) {
    this.perIdentity = new RateLimiterMemory({ points: perMinute, duration: 60 });
    this.perAddress = new RateLimiterMemory({ points: perMinute * 4, duration: 60 });
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
