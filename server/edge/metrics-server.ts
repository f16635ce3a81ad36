import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../metrics';

/**
 * `GET /metrics` (Prometheus text) on a listener of its own, never on the public port: process
 * and session figures are for whoever runs Flint. `FLINT_METRICS_HOST` (127.0.0.1) and
 * `FLINT_METRICS_PORT` (9464; 0 = any free port; `off` = none). A port already in use is a
 * warning, not a failed start: a second Flint on the same machine still serves people.
 */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: Metrics, opts: { host: string; port: number }): Promise<MetricsServer | null> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, resolve);
    });
  } catch (err) {
    console.warn(`[flint] metrics not served: ${opts.host}:${opts.port}: ${err instanceof Error ? err.message : String(err)} (set FLINT_METRICS_PORT)`);
    return null;
  }
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
