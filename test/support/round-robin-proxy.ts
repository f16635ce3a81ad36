import http from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';

/**
 * Tests only: a load balancer in front of several Flint processes, as a deployment has one —
 * round robin, no stickiness, WebSocket upgrades passed through (http-proxy), on 127.0.0.1.
 * HTTP requests and WebSocket upgrades rotate separately, so consecutive sockets land on
 * consecutive targets; `upgrades` records where each went. A target that refuses (a dead
 * process) fails that request or socket — the browser's reconnect then reaches the next one.
 * `targets` may be replaced (a restarted process listens on a new port).
 */
export interface RoundRobinProxy {
  url: string;
  targets: string[];
  /** The target each WebSocket upgrade was sent to, in order. */
  upgrades: string[];
  close(): Promise<void>;
}

export async function startRoundRobinProxy(targets: string[]): Promise<RoundRobinProxy> {
  const proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
  const state = { targets: [...targets], upgrades: [] as string[] };
  let nextRequest = 0;
  let nextUpgrade = 0;
  proxy.on('error', (_err, _req, res) => {
    // `res` is a ServerResponse for HTTP and a net.Socket for an upgrade.
    if (res instanceof http.ServerResponse) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    } else res.destroy();
  });
  const server = http.createServer((req, res) => {
    const target = state.targets[nextRequest++ % state.targets.length];
    proxy.web(req, res, { target });
  });
  const sockets = new Set<import('node:stream').Duplex>();
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const target = state.targets[nextUpgrade++ % state.targets.length];
    state.upgrades.push(target);
    proxy.ws(req, socket, head, { target });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get targets() {
      return state.targets;
    },
    set targets(t: string[]) {
      state.targets = [...t];
    },
    upgrades: state.upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
        proxy.close();
        server.close(() => resolve());
      }),
  };
}
