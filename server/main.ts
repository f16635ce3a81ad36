import http from 'node:http';
import next from 'next';
import { loadConfig } from './config';
import { createApplication } from './app';
import { createMetrics } from './metrics';
import { createOpenAICompatibleProvider } from './inference/openai-compatible';
import { SessionStore } from './sessions/session-store';
import { startSimServer, type SimServer } from './sim/sim-server';

/**
 * Flint's one process: Next.js (app router) and socket.io on one HTTP port.
 * With FLINT_PROVIDER=sim (the default) the fast-tier simulator runs in this process on its own
 * port and Flint reaches it over real HTTP, exactly as it would a remote tier.
 */
async function main() {
  const config = loadConfig();
  let sim: SimServer | undefined;
  let baseURL = config.baseURL;
  if (config.provider === 'sim') {
    sim = await startSimServer({ port: config.sim.port, tokensPerSecond: config.sim.tokensPerSecond, ttftMs: config.sim.ttftMs });
    baseURL = `${sim.url}/v1`;
    console.log(`[flint] fast-tier simulator on ${sim.url} (${config.sim.tokensPerSecond} tok/s)`);
  }
  const provider = createOpenAICompatibleProvider({
    name: config.provider === 'sim' ? 'simulator' : new URL(baseURL!).host,
    baseURL: baseURL!,
    apiKey: config.apiKey,
    model: config.model,
  });

  const nextApp = next({ dev: config.dev, hostname: config.host, port: config.port });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  const metrics = createMetrics();
  const httpServer = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      });
      return;
    }
    void handle(req, res);
  });
  const app = createApplication(httpServer, { sessions: new SessionStore(), provider, metrics, limits: config.limits });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, resolve);
  });
  console.log(`[flint] ready on http://${config.host}:${config.port} (${config.dev ? 'development' : 'production'}, provider ${provider.name})`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await sim?.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
