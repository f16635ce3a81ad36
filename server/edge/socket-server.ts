import type http from 'node:http';
import { Server } from 'socket.io';
import { protocolError } from '@/lib/protocol';
import { identityFromCookie, newIdentityId, publicId } from '../auth/identity';
import { clusterServerOptions, type RedisConnection } from '../collab/redis';
import type { Metrics } from '../metrics';
import type { SharedLimits } from '../collab/shared-limits';
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
  /** Where connections per address are counted (collab/shared-limits.ts). */
  shared: SharedLimits;
  log: (msg: string, err?: unknown) => void;
}

/**
 * socket.io on `httpServer`. Before a socket exists, its handshake's `Origin` must be one of
 * Flint's pages (`allowRequest`); then the middlewares every connection passes before any
 * event: who it is (the identity cookie) and whether its address has connections to spare.
 */
export function createSocketServer(httpServer: http.Server, opts: SocketServerOptions): { io: Io; stop(): void } {
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

  const stop = limitConnectionsPerAddress(io, opts.maxConnectionsPerIp, opts.metrics, opts.shared, opts.log);
  return { io, stop };
}

/** A connection's entry lapses this long after its process last renewed it (a process that died). */
export const CONNECTION_LEASE_MS = 60_000;

/**
 * Live connections per address, counted in a set of live members per address
 * (collab/shared-limits.ts): across every process with Redis, else in this one. A socket is
 * admitted in a middleware and, when restored by connection-state recovery (which skips
 * middlewares), counted on connection without a check; it leaves when its transport closes;
 * this process renews its sockets' entries, so those of a process that died lapse. When Redis
 * cannot be reached, sockets are admitted (a limit must not lock everyone out).
 */
function limitConnectionsPerAddress(io: Io, max: number, metrics: Metrics, shared: SharedLimits, log: (msg: string, err?: unknown) => void): () => void {
  const live = new Map<string, Set<string>>();
  const counted = new WeakSet<FlintSocket>();
  const key = (address: string) => `conns:${address}`;
  const track = (socket: FlintSocket) => {
    if (counted.has(socket)) return false;
    counted.add(socket);
    const { address } = socket.handshake;
    const id = socket.id;
    live.set(address, (live.get(address) ?? new Set<string>()).add(id));
    socket.conn.once('close', () => {
      const ids = live.get(address);
      ids?.delete(id);
      if (ids?.size === 0) live.delete(address);
      shared.leave(key(address), id).catch(() => {});
    });
    return true;
  };
  io.use((socket, next) => {
    shared.admit(key(socket.handshake.address), socket.id, max, CONNECTION_LEASE_MS).then(
      (admitted) => {
        if (!admitted) {
          metrics.protocolErrors.inc({ code: 'limitExceeded' });
          const where = shared.scope === 'cluster' ? 'Flint allows' : 'this server allows';
          const error = protocolError(
            'limitExceeded',
            `Too many connections from your address: ${where} ${max} at once (FLINT_MAX_CONNECTIONS_PER_IP). Close some Flint tabs, then reload.`,
          );
          return next(Object.assign(new Error(error.message), { data: error }));
        }
        track(socket);
        next();
      },
      (err: unknown) => {
        log('connections per address: the shared count is unreachable; admitting', err);
        track(socket);
        next();
      },
    );
  });
  // Before the events' connection listener (edge/dispatch.ts): a restored socket counts before it is served.
  io.on('connection', (socket) => {
    if (track(socket)) shared.admit(key(socket.handshake.address), socket.id, Number.MAX_SAFE_INTEGER, CONNECTION_LEASE_MS).catch(() => {});
  });
  const renew = setInterval(() => {
    for (const [address, ids] of live) shared.keepAlive(key(address), [...ids], CONNECTION_LEASE_MS).catch(() => {});
  }, CONNECTION_LEASE_MS / 3);
  renew.unref();
  return () => clearInterval(renew);
}
