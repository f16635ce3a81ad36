import type http from 'node:http';
import { ensureIdentity } from '../auth/identity';
import { applyPageHeaders, type PageHeaderOptions } from './page-headers';
import { answerHealth, type HealthReport } from './health';

type NextHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** The IDE's pages: the only responses that give a person an identity (never a cacheable asset). */
const PAGE = /^\/(s\/[^/?#]+)?(\?|$)/;

/**
 * Every HTTP request of the public port (socket.io's upgrades are answered by socket.io; the
 * metrics have a port of their own, edge/metrics-server.ts): `/healthz`; the security headers (not on the
 * sandbox document, whose route sets its own), the identity cookie on a page, then Next.js
 * (404 when this process serves no web app).
 */
export function createHttpHandler(opts: { next: NextHandler | null; pages: PageHeaderOptions; health?: () => Promise<HealthReport> }): http.RequestListener {
  const { next } = opts;
  return (req, res) => {
    const url = req.url ?? '/';
    // The readiness check (edge/health.ts): answered here, before any page machinery.
    if (opts.health && (url === '/healthz' || url.startsWith('/healthz?'))) return answerHealth(opts.health, res);
    if (!url.startsWith('/sandbox')) applyPageHeaders(req, res, opts.pages);
    // A page load carries the person's anonymous identity; the socket reads it from the handshake.
    // Pages are rendered per request (app/layout.tsx) and every one is answered `private, no-store`
    // (Next keeps a Cache-Control already set), so no shared cache keeps a response that sets one
    // and a first visit looks like any other.
    if (req.method === 'GET' && PAGE.test(url)) {
      res.setHeader('Cache-Control', 'private, no-store');
      ensureIdentity(req, res);
    }
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
