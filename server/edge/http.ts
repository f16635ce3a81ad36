import type http from 'node:http';
import { ensureIdentity } from '../auth/identity';
import type { Metrics } from '../metrics';

type NextHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/**
 * Every HTTP request of the process (socket.io's upgrades are answered by socket.io):
 * `/metrics`, else the identity cookie, then Next.js (404 when this process serves no web app).
 */
export function createHttpHandler(opts: { metrics: Metrics; next: NextHandler | null }): http.RequestListener {
  const { metrics, next } = opts;
  return (req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      });
      return;
    }
    // Every page load carries the person's anonymous identity; the socket reads it from the handshake.
    // Not the test sandbox document: it is usually loaded from another site (no cookie of ours
    // is sent or kept there) and has no use for one.
    if (!req.url?.startsWith('/sandbox')) ensureIdentity(req, res);
    if (next) void next(req, res);
    else res.writeHead(404).end();
  };
}

/**
 * The Next side of this process (the session page, the /sandbox route) never imports server/:
 * it reads the validated sandbox settings from the environment (lib/sandbox/origin.ts).
 * Call before Next.js starts.
 */
export function publishSandboxSettings(sandbox: { origin?: string; appOrigins: readonly string[] }): void {
  process.env.FLINT_SANDBOX_ORIGIN = sandbox.origin ?? '';
  process.env.FLINT_APP_ORIGINS = sandbox.appOrigins.join(',');
}

/** Next.js's request handler, loaded only when the web app is served: a socket-only process (FLINT_SERVE_WEB=false) starts without it. */
export async function prepareNext(config: { dev: boolean; host: string; port: number }): Promise<NextHandler> {
  const { default: next } = await import('next');
  const nextApp = next({ dev: config.dev, hostname: config.host, port: config.port });
  await nextApp.prepare();
  return nextApp.getRequestHandler();
}
