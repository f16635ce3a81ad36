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
export function createHttpHandler(opts: { next: NextHandler | null; pages: PageHeaderOptions; health?: () => Promise<HealthReport>; packages?: { bundle: PackageBundles; types: PackageTypes } }): http.RequestListener {
  const { next } = opts;
  return (req, res) => {
    const url = req.url ?? '/';
    // The readiness check (edge/health.ts): answered here, before any page machinery.
    if (opts.health && (url === '/healthz' || url.startsWith('/healthz?'))) return answerHealth(opts.health, res);
    if (opts.packages && url.startsWith(PACKAGE_PREFIX)) return void answerPackage(opts.packages.bundle, req, res);
    if (opts.packages && url.startsWith(TYPES_PREFIX)) return void answerTypes(opts.packages.types, req, res);
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

/** `/_flint/pkg/<id>/<subpath>` → the ESM bundle of that package's subpath (server/packages/); null: no such package here. */
export type PackageBundles = (id: string, subpath: string) => Promise<string | null>;
/** `/_flint/types/<id>` → its declaration files and its dependencies' (path → text), for the editor. */
export type PackageTypes = (id: string) => Promise<Record<string, string> | null>;
// keep in sync with PACKAGE_URL_PREFIX and TYPES_URL_PREFIX in server/packages/packages.ts
const PACKAGE_PREFIX = '/_flint/pkg/';
const TYPES_PREFIX = '/_flint/types/';

async function answerTypes(types: PackageTypes, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const common = { 'X-Content-Type-Options': 'nosniff', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
  if (req.method !== 'GET') return void res.writeHead(405, { ...common, Allow: 'GET' }).end();
  let id: string;
  try {
    id = decodeURIComponent((req.url ?? '').slice(TYPES_PREFIX.length).split('?')[0]);
  } catch {
    return void res.writeHead(400, common).end();
  }
  const files = await types(id).catch(() => null);
  if (!files) return void res.writeHead(404, { ...common, 'Cache-Control': 'no-store' }).end();
  const body = Buffer.from(JSON.stringify({ files }));
  res.writeHead(200, { ...common, 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'public, max-age=31536000, immutable' });
  res.end(body);
}

/**
 * A package bundle: public code named by version and integrity, so immutable and readable from
 * any origin (the IDE page fetches it from the sandbox origin and bundles it into a test).
 * Nothing else of the site is served this way.
 */
async function answerPackage(bundles: PackageBundles, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const common = { 'X-Content-Type-Options': 'nosniff', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { ...common, Allow: 'GET, HEAD' }).end();
  const rest = (req.url ?? '').slice(PACKAGE_PREFIX.length).split('?')[0];
  const slash = rest.indexOf('/');
  let id: string, subpath: string;
  try {
    id = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
    subpath = slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1));
  } catch {
    return void res.writeHead(400, { ...common, 'Content-Type': 'text/plain' }).end('bad package URL');
  }
  try {
    const code = await bundles(id, subpath);
    if (code === null) return void res.writeHead(404, { ...common, 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end(`no package ${id}`);
    const body = Buffer.from(code);
    res.writeHead(200, { ...common, 'Content-Type': 'text/javascript; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'public, max-age=31536000, immutable' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    // No such subpath, or a file esbuild cannot parse: said plainly, never cached.
    const text = (err as { errors?: Array<{ text: string }> }).errors?.map((e) => e.text).join('\n') ?? 'the package could not be bundled';
    res.writeHead(422, { ...common, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(`${id}/${subpath}: ${text}`.slice(0, 2000));
  }
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
