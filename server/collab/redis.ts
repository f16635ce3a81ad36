import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { ServerOptions } from 'socket.io';

export type RedisConnection = Awaited<ReturnType<typeof connectRedis>>;

/**
 * One Redis client for the socket.io adapter (it opens its own subscriber beside it) and the
 * limits shared by every process (collab/shared-limits.ts), whose keys start with `keyPrefix`.
 */
export async function connectRedis(url: string, log: (msg: string, err?: unknown) => void = console.error, keyPrefix = 'flint:') {
  const client = createClient({ url });
  // Without a listener a lost connection would end the process; the client reconnects itself.
  client.on('error', (err: Error) => log(`[flint] redis: ${err.message}`));
  await client.connect();
  return {
    client,
    keyPrefix,
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * socket.io options for several Flint processes: the Redis Streams adapter (room broadcasts and
 * `serverSideEmit` reach every process, in one ordered stream) and connection-state recovery (a
 * client that reconnects within two minutes, to any process, gets the packets it missed).
 */
export function clusterServerOptions(redis: RedisConnection): Partial<ServerOptions> {
  return {
    adapter: createAdapter(redis.client),
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: true },
  };
}
