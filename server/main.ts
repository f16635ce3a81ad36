import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TierName } from '@/lib/protocol';
import { loadConfig, type TierConfig } from './config';
import { createApplication } from './app';
import { createMetrics } from './metrics';
import { createProviders } from './inference/create-provider';
import type { InferenceProvider } from './inference/types';
import { SessionStore } from './sessions/session-store';
import { startSimServer, type SimServer } from './sim/sim-server';
import { Storage } from './storage/storage';
import { connectRedis } from './collab/redis';
import { createHttpHandler, prepareNext, publishSandboxSettings } from './edge/http';
import { Packages } from './packages/packages';
import { npmConfiguredRegistry } from './packages/registry';
import { startMetricsServer } from './edge/metrics-server';
import { healthReporter } from './edge/health';

/**
 * Flint's one process: Next.js (app router) and socket.io on one HTTP port.
 * A tier with provider `sim` is served by the fast-tier simulator, started in this
 * process on its own port; Flint reaches it over real HTTP, exactly as it would a remote tier.
 */
async function main() {
  const config = loadConfig();
  publishSandboxSettings(config.sandbox);
  let sim: SimServer | undefined;
  const tiers = Object.entries(config.tiers) as Array<[TierName, TierConfig]>;
  if (tiers.some(([, t]) => t.provider === 'sim')) {
    sim = await startSimServer({ port: config.sim.port, tokensPerSecond: config.sim.tokensPerSecond, ttftMs: config.sim.ttftMs });
    console.log(`[flint] fast-tier simulator on ${sim.url} (${config.sim.tokensPerSecond} tok/s)`);
  }
  const providers = createProviders(config.tiers, { simUrl: sim?.url, cacheDir: config.cacheDir, defaultModelUrl: config.defaultModelUrl, log: (l) => console.log(l) });
  if (tiers.some(([, t]) => t.provider === 'local' && !t.modelPath)) {
    console.log(`[flint] no inference tier configured: the local default model (${config.tiers.instant.model}) downloads into ${config.cacheDir} when a session opens.`);
    console.log('[flint] to use another tier, set FLINT_BASE_URL + FLINT_MODEL, FLINT_MODEL_PATH, or FLINT_PROVIDER=sim (README → Configuration).');
  }

  const started = Date.now();
  const storage = await Storage.open({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  console.log(`[flint] sessions stored in ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`} (opened in ${Date.now() - started} ms)`);
  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : undefined;
  if (redis) console.log('[flint] fanning out through Redis (REDIS_URL)');
  const sessions = new SessionStore({ storage });

  const next = config.serveWeb ? await prepareNext(config) : null;
  const metrics = createMetrics();
  let stopping = false;
  const health = healthReporter(
    { database: () => storage.ping(), ...(redis ? { redis: async () => void (await redis.client.ping()) } : {}) },
    () => stopping,
  );
  const registry = config.packages.registry ?? (await npmConfiguredRegistry());
  const packages = new Packages(config.dataDir, { ...config.packages, registry }, { allowPrivate: config.projects.allowPrivate });
  console.log(`[flint] npm packages from ${registry}${config.packages.registry ? ' (FLINT_NPM_REGISTRY)' : " (npm's configuration)"}`);
  const httpServer = http.createServer(createHttpHandler({ next, pages: { dev: config.dev, sandboxOrigin: config.sandbox.origin }, health, packages: { bundle: (id, sub) => packages.bundle(id, sub), types: (id) => packages.types(id) } }));
  const origins = { appOrigins: config.sandbox.appOrigins, sandboxOrigin: config.sandbox.origin };
  if (origins.sandboxOrigin && origins.appOrigins.includes(origins.sandboxOrigin)) {
    console.warn(`[flint] FLINT_SANDBOX_ORIGIN ${origins.sandboxOrigin} is also an app origin: code the sandbox runs is not kept from the socket by its origin (SECURITY.md)`);
  }
  const app = createApplication(httpServer, { sessions, links: storage.links, providers, metrics, limits: config.limits, projects: config.projects, packages, redis, origins });
  const metricsServer = config.metrics ? await startMetricsServer(metrics, config.metrics) : null;
  if (metricsServer) console.log(`[flint] metrics on ${metricsServer.url}`);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, resolve);
  });
  const describe = (t: InferenceProvider) => `${t.name} ${t.model}`;
  const { port } = httpServer.address() as AddressInfo;
  console.log(`[flint] ready on http://${config.host}:${port} (${config.dev ? 'development' : 'production'}; instant: ${describe(providers.instant)}, deep: ${describe(providers.deep)})`);

  /**
   * A graceful stop (SIGTERM, SIGINT): /healthz answers 503 and no new connection is accepted, so
   * a balancer sends people elsewhere; no new turn starts; the running ones get FLINT_DRAIN_MS to
   * end (then they are interrupted, partial answers kept); then the sockets close (browsers
   * reconnect to another process), everything is stored, and the process exits.
   */
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[flint] ${signal}: draining (running turns get up to ${config.drainMs} ms)…`);
    httpServer.close();
    await app.drain(config.drainMs);
    await app.close();
    await metricsServer?.close();
    await sessions.flush();
    await storage.close();
    await redis?.close();
    await Promise.all([...new Set(Object.values(providers))].map((p) => p.close?.()));
    await sim?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
