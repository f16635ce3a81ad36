import type http from 'node:http';
import { Server } from 'socket.io';
import { protocolError } from '@/lib/protocol';
import { identityFromCookie, newIdentityId, publicId } from '../auth/identity';
import { clusterServerOptions, type RedisConnection } from '../collab/redis';
import type { Metrics } from '../metrics';
import { originGate, type OriginPolicy } from './origin-check';
import type { FlintSocket, Io } from './types';

export interface SocketServerOptions {
  /** socket.io's `maxHttpBufferSize`: a larger frame closes the connection at the transport. */
  maxMessageBytes: number;
  maxConnectionsPerIp: number;
  /** Which pages may open the socket (edge/origin-check.ts). */
  origins: OriginPolicy;
  metrics: Metrics;
  redis?: RedisConnection;
}

/**
 * socket.io on `httpServer`. Before a socket exists, its handshake's `Origin` must be one of
 * Flint's pages (`allowRequest`); then the middlewares every connection passes before any
 * event: who it is (the identity cookie) and whether its address has connections to spare.
 */
export function createSocketServer(httpServer: http.Server, opts: SocketServerOptions): Io {
  const io: Io = new Server(httpServer, {
    transports: ['websocket'],
    perMessageDeflate: false,
    maxHttpBufferSize: opts.maxMessageBytes,
    serveClient: false,
    allowRequest: originGate(opts.origins, (reason) => opts.metrics.refusedHandshakes.inc({ reason })),
    ...(opts.redis ? clusterServerOptions(opts.redis) : {}),
  });

  // Who is connecting: the identity cookie the page got (edge/http.ts), else a one-off identity.
  io.use((socket, next) => {
    socket.data.identity = identityFromCookie(socket.handshake.headers.cookie) ?? newIdentityId();
    socket.data.pid = publicId(socket.data.identity);
    next();
  });

  limitConnectionsPerAddress(io, opts.maxConnectionsPerIp, opts.metrics);
  return io;
}

/**
 * Live connections per address. Counted in a middleware and, for a socket restored by
 * connection-state recovery (which skips middlewares), on connection; uncounted when its
 * transport closes. Per process.
 */
function limitConnectionsPerAddress(io: Io, max: number, metrics: Metrics) {
  const perAddress = new Map<string, number>();
  const counted = new WeakSet<FlintSocket>();
  const count = (socket: FlintSocket) => {
    if (counted.has(socket)) return;
    counted.add(socket);
    const address = socket.handshake.address;
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    socket.conn.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  };
  io.use((socket, next) => {
    const live = perAddress.get(socket.handshake.address) ?? 0;
    if (live >= max) {
      metrics.protocolErrors.inc({ code: 'limitExceeded' });
      const error = protocolError(
        'limitExceeded',
        `Too many connections from your address: this server allows ${max} at once (FLINT_MAX_CONNECTIONS_PER_IP). Close some Flint tabs, then reload.`,
      );
      return next(Object.assign(new Error(error.message), { data: error }));
    }
    count(socket);
    next();
  });
  // Before the events' connection listener (edge/dispatch.ts): a restored socket counts before it is served.
  io.on('connection', count);
}
