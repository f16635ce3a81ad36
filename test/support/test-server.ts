import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, Response, ServerToClientEvents, TierName } from '@/lib/protocol';
import { PROTOCOL_VERSION } from '@/lib/protocol';
import { createApplication, type AppLimits, type FlintApp } from '../../server/app';
import { createOpenAICompatibleProvider } from '../../server/inference/openai-compatible';
import type { InferenceProvider } from '../../server/inference/types';
import { SessionStore, type SessionStoreOptions } from '../../server/sessions/session-store';
import type { RedisConnection } from '../../server/collab/redis';
import type { LinkStore } from '../../server/sessions/links';
import { IDENTITY_COOKIE, newIdentityId } from '../../server/auth/identity';
import { startSimServer, type SimServer } from '../../server/sim/sim-server';

export type TestClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  url: string;
  app: FlintApp;
  sim: SimServer;
  close(): Promise<void>;
}

/** A real Flint socket server on a random port, in front of a real simulator on another. */
export async function startTestServer(
  opts: {
    limits?: Partial<AppLimits>;
    tokensPerSecond?: number;
    /** The providers behind the tiers; default: Chat Completions against the simulator. */
    providers?: (sim: SimServer) => Record<TierName, InferenceProvider>;
    /** Sessions stored here (e.g. a `Storage` on a temp data dir); default: memory only. */
    store?: SessionStoreOptions;
    redis?: RedisConnection;
    links?: LinkStore;
  } = {},
): Promise<TestServer> {
  const sim = await startSimServer({ tokensPerSecond: opts.tokensPerSecond ?? 1000 });
  const tier = (model: string) => createOpenAICompatibleProvider({ name: 'simulator', baseURL: `${sim.url}/v1`, model });
  const providers = opts.providers?.(sim) ?? { instant: tier('flint-sim-instant'), deep: tier('flint-sim-deep') };
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const sessions = new SessionStore({ log: () => {}, ...opts.store });
  const links = opts.links ?? opts.store?.storage?.links;
  const app = createApplication(httpServer, { sessions, links, providers, limits: opts.limits, log: () => {}, redis: opts.redis });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    sim,
    async close() {
      await app.close();
      await sessions.flush();
      await Promise.all([...new Set(Object.values(providers))].map((p) => p.close?.()));
      await sim.close();
    },
  };
}

const clients: TestClient[] = [];

/**
 * The person test clients are by default: every client without an explicit identity sends this
 * identity cookie, so a session one client creates is owned by the others too (like two tabs of
 * one browser). Role tests pass `newIdentity()` for other people.
 */
export const TEST_IDENTITY = newIdentityId();
export const newIdentity = newIdentityId;

export interface ClientOptions {
  /** The identity cookie to send; null: none (the server gives the connection a one-off identity). */
  identity?: string | null;
}

export function connectClient(url: string, opts: ClientOptions = {}): Promise<TestClient> {
  const identity = opts.identity === undefined ? TEST_IDENTITY : opts.identity;
  const socket: TestClient = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: identity ? { cookie: `${IDENTITY_COOKIE}=${identity}` } : undefined,
  });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export function closeClients() {
  for (const c of clients.splice(0)) c.disconnect();
}

/** Emits any event with any arguments and waits for the acknowledgement. */
export function request<T = unknown>(socket: TestClient, event: string, ...args: unknown[]): Promise<Response<T>> {
  return (socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<Response<T>> } })
    .timeout(5000)
    .emitWithAck(event, ...args);
}

export async function helloClient(url: string, opts: ClientOptions = {}): Promise<TestClient> {
  const socket = await connectClient(url, opts);
  const r = await request(socket, 'session:hello', { protocolVersion: PROTOCOL_VERSION });
  if (!r.ok) throw new Error(`hello failed: ${r.error.message}`);
  return socket;
}

/** A client that said hello, created a session (none given) and joined it (with `token`, when given). */
export async function joinedClient(
  url: string,
  sessionId?: string,
  opts: ClientOptions & { token?: string } = {},
): Promise<{ socket: TestClient; sessionId: string; state: Uint8Array; role: string }> {
  const socket = await helloClient(url, opts);
  if (!sessionId) {
    const created = await request<{ sessionId: string }>(socket, 'session:create', {});
    if (!created.ok) throw new Error(created.error.message);
    sessionId = created.data.sessionId;
  }
  const joined = await request<{ state: Uint8Array; role: string }>(socket, 'session:join', opts.token === undefined ? { sessionId } : { sessionId, token: opts.token });
  if (!joined.ok) throw new Error(`${joined.error.code}: ${joined.error.message}`);
  return { socket, sessionId, state: new Uint8Array(joined.data.state), role: joined.data.role };
}

export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: TestClient,
  event: E,
  filter: (...args: Parameters<ServerToClientEvents[E]>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>> {
  return new Promise((resolve, reject) => {
    const s = socket as unknown as { on(e: string, f: (...a: never[]) => void): void; off(e: string, f: (...a: never[]) => void): void };
    const timer = setTimeout(() => {
      s.off(event, fn);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const fn = (...args: never[]) => {
      if (!filter(...(args as unknown as Parameters<ServerToClientEvents[E]>))) return;
      clearTimeout(timer);
      s.off(event, fn);
      resolve(args as unknown as Parameters<ServerToClientEvents[E]>);
    };
    s.on(event, fn);
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
