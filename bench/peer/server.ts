import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { createPeerRoute } from './route';

/**
 * The peer harness's own server (bench/README.md): the page (`main.tsx`, bundled here by esbuild
 * for the browser) and its route (`route.ts`) on one origin, as a Next.js app would serve them.
 * Not part of Flint's build: the benchmark starts it (`node --import tsx bench/peer/server.ts`,
 * or `startPeerServer`), its own process like the simulator. Env when run alone: PEER_PORT
 * (0 = any), PEER_HOST, PEER_UPSTREAM (the OpenAI-compatible base URL).
 */

/** The route's path; keep in sync with `API` in peer-bench.tsx. */
export const PEER_API = '/api';

/**
 * Monaco's workers, bundled beside the page's script: lib/editor/monaco-setup.ts starts them as
 * `new URL('monaco-editor/…', import.meta.url)`, which from `/peer.js` is `/monaco-editor/…`
 * (keep in sync with it).
 */
const WORKERS = ['monaco-editor/editor/editor.worker', 'monaco-editor/language/typescript/ts.worker', 'monaco-editor/language/json/json.worker'];

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json' };

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Peer harness</title><link rel="stylesheet" href="/peer.css"></head>
<body><div id="root"></div><script type="module" src="/peer.js"></script></body>
</html>
`;

/** The page's files by URL path (`/peer.js`, `/peer.css`, the workers, Monaco's font). */
export async function buildPeerBundle(): Promise<Map<string, Uint8Array>> {
  const outdir = path.resolve('.peer-bundle'); // never written: write is false
  const result = await esbuild.build({
    entryPoints: [{ in: path.join(import.meta.dirname, 'main.tsx'), out: 'peer' }, ...WORKERS.map((w) => ({ in: w, out: w }))],
    outdir,
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // As `next build` does: React's production build.
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.ttf': 'file' },
    assetNames: 'assets/[name]-[hash]',
    publicPath: '/',
    jsx: 'automatic',
    logLevel: 'error',
  });
  const files = new Map<string, Uint8Array>();
  for (const f of result.outputFiles) files.set('/' + path.relative(outdir, f.path).split(path.sep).join('/'), f.contents);
  return files;
}

/** A Node request as a Fetch API Request whose signal aborts when the client goes away (as Next's `req.signal`). */
async function toFetchRequest(req: http.IncomingMessage, res: http.ServerResponse, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const aborted = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort();
  });
  return new Request(new URL(req.url ?? '/', origin), { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, signal: aborted.signal });
}

/** Writes each chunk of the Fetch Response as it comes (the SSE stream is not buffered). */
async function sendFetchResponse(response: Response, res: http.ServerResponse): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      res.write(value);
    }
  } catch {
    // The client left (Stop): the route's signal has already aborted the upstream.
  }
  res.end();
}

export interface PeerServer {
  url: string;
  close(): Promise<void>;
}

export async function startPeerServer(opts: { upstreamUrl: string; port?: number; host?: string; model?: string }): Promise<PeerServer> {
  const files = await buildPeerBundle();
  const route = createPeerRoute({ upstreamUrl: opts.upstreamUrl, model: opts.model });
  const host = opts.host ?? '127.0.0.1';
  let origin = '';
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://peer').pathname;
    if (pathname === PEER_API && req.method === 'POST') {
      void toFetchRequest(req, res, origin)
        .then(route)
        .then((response) => sendFetchResponse(response, res))
        .catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err instanceof Error ? err.message : String(err));
        });
      return;
    }
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
    // Workers are requested without their extension (see WORKERS).
    const file = files.get(pathname) ?? files.get(`${pathname}.js`);
    if (!file) return void res.writeHead(404).end('Not found');
    const type = TYPES[path.extname(files.has(pathname) ? pathname : `${pathname}.js`)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(file);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const upstreamUrl = process.env.PEER_UPSTREAM;
  if (!upstreamUrl) {
    console.error('PEER_UPSTREAM (the upstream base URL, e.g. http://127.0.0.1:4010/v1) is required');
    process.exit(1);
  }
  const peer = await startPeerServer({ upstreamUrl, port: Number(process.env.PEER_PORT ?? 0), host: process.env.PEER_HOST });
  console.log(`[peer] peer harness on ${peer.url}`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void peer.close().then(() => process.exit(0)));
}
