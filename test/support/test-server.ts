import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TierName } from '@/lib/protocol';
import { createApplication, type AppDeps, type AppLimits, type FlintApp } from '@/server/app';
import type { ProjectSettings } from '@/server/projects/settings';
import { createOpenAICompatibleProvider } from '@/server/inference/openai-compatible';
import type { InferenceProvider } from '@/server/inference/types';
import { SessionStore, type SessionStoreOptions } from '@/server/sessions/session-store';
import type { RedisConnection } from '@/server/collab/redis';
import type { LinkStore } from '@/server/sessions/links';
import type { OriginPolicy } from '@/server/edge/origin-check';
import { startSimServer, type SimServer } from '@/server/sim/sim-server';

/** Tests only: Flint's socket server in this process (clients: `protocol-client.ts`). */
export interface TestServer {
  url: string;
  app: FlintApp;
  sim: SimServer;
  close(): Promise<void>;
}

/** A real Flint socket server on a random port, in front of a real simulator on another. */
export async function startTestServer(
  opts: {
    limits?: Partial<AppLimits>;
    tokensPerSecond?: number;
    /** The providers behind the tiers; default: Chat Completions against the simulator. */
    providers?: (sim: SimServer) => Record<TierName, InferenceProvider>;
    /** Sessions stored here (e.g. a `Storage` on a temp data dir); default: memory only. */
    store?: SessionStoreOptions;
    redis?: RedisConnection;
    links?: LinkStore;
    /** Which pages may open the socket; default: the server's own origin (as `npm start`). */
    origins?: OriginPolicy;
    /** Project import settings (default: Flint's, with loopback git servers allowed). */
    projects?: Partial<ProjectSettings>;
    resolveForClone?: AppDeps['resolveForClone'];
  } = {},
): Promise<TestServer> {
  const sim = await startSimServer({ tokensPerSecond: opts.tokensPerSecond ?? 1000 });
  const tier = (model: string) => createOpenAICompatibleProvider({ name: 'simulator', baseURL: `${sim.url}/v1`, model });
  const providers = opts.providers?.(sim) ?? { instant: tier('flint-sim-instant'), deep: tier('flint-sim-deep') };
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const sessions = new SessionStore({ log: () => {}, ...opts.store });
  const links = opts.links ?? opts.store?.storage?.links;
  // Suites create hundreds of sessions a minute as one test identity; the limit's own tests set it.
  const limits = { createsPerMinute: 1_000_000, ...opts.limits };
  const app = createApplication(httpServer, { sessions, links, providers, limits, log: () => {}, redis: opts.redis, origins: opts.origins, projects: { allowPrivate: true, ...opts.projects }, resolveForClone: opts.resolveForClone });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    sim,
    async close() {
      await app.close();
      await sessions.flush();
      await Promise.all([...new Set(Object.values(providers))].map((p) => p.close?.()));
      await sim.close();
    },
  };
}
