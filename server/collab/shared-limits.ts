import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisConnection } from './redis';

/**
 * The limits that must hold across every Flint process, not in each: rate limits, leases (one
 * holder at a time, with an expiry, so a process that dies cannot keep what it held) and counted
 * sets (live members, each with an expiry). Without Redis they are this process's own
 * (`MemorySharedLimits`) and nothing changes; with `REDIS_URL` they are keys in Redis
 * (`RedisSharedLimits`), changed by Lua scripts so a check and its write are one step for every
 * process, timed by the Redis server's clock (the processes' clocks need not agree).
 *
 * Used for: the prompt, creation and link-guessing rate limits (auth/, handlers/ai.ts), one
 * stream per session (`stream:<session>`, ai/ai-controller.ts), the grant of a hunk to one
 * reviewer (`claim:<session>:<hunk>`, collab/hunk-claims.ts) and live connections per address
 * (`conns:<address>`, edge/socket-server.ts).
 */
export interface SharedLimits {
  /** `process` without Redis, `cluster` with it: said in the messages of limits that were per process. */
  readonly scope: 'process' | 'cluster';
  /** A rate limiter named `name` (its keys are apart from every other limiter's). */
  rateLimiter(name: string, points: number, durationSeconds: number): RateLimiterAbstract;
  /** Takes `key` for `holder` for `ms`, or renews it when `holder` has it; false when another holder has it. */
  lease(key: string, holder: string, ms: number): Promise<boolean>;
  /** Who holds `key` now, if anyone. */
  holder(key: string): Promise<string | null>;
  /** Gives `key` up, if `holder` still has it. */
  release(key: string, holder: string): Promise<void>;
  /** Adds `member` to the set `key` when it has fewer than `max` live members; a member lapses after `ms` unless kept alive. */
  admit(key: string, member: string, max: number, ms: number): Promise<boolean>;
  /** Extends the members' expiry to `ms` from now (the ones still in the set). */
  keepAlive(key: string, members: readonly string[], ms: number): Promise<void>;
  leave(key: string, member: string): Promise<void>;
}

export class MemorySharedLimits implements SharedLimits {
  readonly scope = 'process';
  private readonly leases = new Map<string, { holder: string; until: number }>();
  private readonly sets = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  rateLimiter(_name: string, points: number, durationSeconds: number): RateLimiterAbstract {
    return new RateLimiterMemory({ points, duration: durationSeconds });
  }

  private writes = 0;

  async lease(key: string, holder: string, ms: number): Promise<boolean> {
    const held = await this.holder(key);
    if (held !== null && held !== holder) return false;
    const now = this.now();
    this.leases.set(key, { holder, until: now + ms });
    // Leases nobody asks about again (a claimed hunk that was decided) are swept now and then.
    if (++this.writes % 1024 === 0) for (const [k, l] of this.leases) if (l.until <= now) this.leases.delete(k);
    return true;
  }

  async holder(key: string): Promise<string | null> {
    const l = this.leases.get(key);
    if (!l) return null;
    if (l.until > this.now()) return l.holder;
    this.leases.delete(key);
    return null;
  }

  async release(key: string, holder: string): Promise<void> {
    if (this.leases.get(key)?.holder === holder) this.leases.delete(key);
  }

  async admit(key: string, member: string, max: number, ms: number): Promise<boolean> {
    const now = this.now();
    const set = this.sets.get(key) ?? new Map<string, number>();
    for (const [m, until] of set) if (until <= now) set.delete(m);
    if (set.size >= max) return false;
    set.set(member, now + ms);
    this.sets.set(key, set);
    return true;
  }

  async keepAlive(key: string, members: readonly string[], ms: number): Promise<void> {
    const set = this.sets.get(key);
    if (!set) return;
    for (const m of members) if (set.has(m)) set.set(m, this.now() + ms);
  }

  async leave(key: string, member: string): Promise<void> {
    const set = this.sets.get(key);
    set?.delete(member);
    if (set?.size === 0) this.sets.delete(key);
  }
}

/** The Redis server's clock in ms, inside a script. */
const NOW = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";
const LEASE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const ADMIT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
const KEEP_ALIVE = `${NOW}
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`;

export class RedisSharedLimits implements SharedLimits {
  readonly scope = 'cluster';
  private readonly client: RedisConnection['client'];
  private readonly prefix: string;

  constructor(redis: RedisConnection) {
    this.client = redis.client;
    this.prefix = redis.keyPrefix;
  }

  rateLimiter(name: string, points: number, durationSeconds: number): RateLimiterAbstract {
    return new RateLimiterRedis({
      storeClient: this.client,
      useRedisPackage: true,
      keyPrefix: `${this.prefix}rl:${name}`,
      points,
      duration: durationSeconds,
      // While Redis is unreachable, each process limits on its own instead of failing every request.
      insuranceLimiter: new RateLimiterMemory({ points, duration: durationSeconds }),
    });
  }

  async lease(key: string, holder: string, ms: number): Promise<boolean> {
    return (await this.client.eval(LEASE, { keys: [this.prefix + key], arguments: [holder, String(Math.ceil(ms))] })) === 1;
  }

  async holder(key: string): Promise<string | null> {
    return (await this.client.get(this.prefix + key)) ?? null;
  }

  async release(key: string, holder: string): Promise<void> {
    await this.client.eval(RELEASE, { keys: [this.prefix + key], arguments: [holder] });
  }

  async admit(key: string, member: string, max: number, ms: number): Promise<boolean> {
    return (await this.client.eval(ADMIT, { keys: [this.prefix + key], arguments: [member, String(max), String(Math.ceil(ms))] })) === 1;
  }

  async keepAlive(key: string, members: readonly string[], ms: number): Promise<void> {
    if (members.length === 0) return;
    await this.client.eval(KEEP_ALIVE, { keys: [this.prefix + key], arguments: [String(Math.ceil(ms)), ...members] });
  }

  async leave(key: string, member: string): Promise<void> {
    await this.client.zRem(this.prefix + key, member);
  }
}

export function sharedLimits(redis: RedisConnection | undefined): SharedLimits {
  return redis ? new RedisSharedLimits(redis) : new MemorySharedLimits();
}
