import type http from 'node:http';
import { Server, type Socket } from 'socket.io';
import * as Y from 'yjs';
import type { z } from 'zod';
import {
  CLIENT_EVENT_SCHEMAS,
  LIMITS,
  PROTOCOL_VERSION,
  protocolError,
  type ClientEventName,
  type ClientToServerEvents,
  type LinkRole,
  type ProtocolError,
  type Role,
  type Response,
  type ServerLimits,
  type ServerToClientEvents,
  type TestsResultPayload,
  type TierName,
} from '@/lib/protocol';
import { filesOf, wellFormed } from '@/lib/collab/workspace-doc';
import { FlintError } from './errors';
import { AiController } from './ai/ai-controller';
import type { InferenceProvider } from './inference/types';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { SessionStore, type Session } from './sessions/session-store';
import { MemoryLinkStore, type LinkStore } from './sessions/links';
import { AccessControl, authorize, DEFAULT_ACCESS_LIMITS } from './auth/access';
import { identityFromCookie, newIdentityId, publicId } from './auth/identity';
import { PresenceHub } from './collab/presence';
import { createMetrics, type Metrics } from './metrics';
import { fanOutSessions, type InterServerEvents } from './collab/fanout';
import { clusterServerOptions, type RedisConnection } from './collab/redis';
import { interruptAcrossNodes, turnsRunningOnPeers } from './collab/peer-ai';
import { endOrphanTurns } from './ai/orphan-turns';
import { DocLimits, textBytes } from './sessions/doc-limits';
import { DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_MAX_DOC_BYTES, DEFAULT_MAX_FILES } from './config';
import { checkUpdate } from './collab/check-update';
import { HunkClaims } from './collab/hunk-claims';

interface SocketData {
  hello: boolean;
  /** The person's anonymous identity (cookie), or a fresh one for a client without the cookie. */
  identity: string;
  /** Its public id, as presence shows it. */
  pid: string;
  sessionId?: string;
  role?: Role;
  /** The share link this socket joined with (not the owner's): revoking it closes the socket's session. */
  link?: LinkRole;
}

type Io = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type FlintSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type Parsed<E extends ClientEventName> = z.output<(typeof CLIENT_EVENT_SCHEMAS)[E]>;

export interface AppDeps {
  sessions: SessionStore;
  /** Share links (hashes only); default: in memory. */
  links?: LinkStore;
  /** The provider behind each mode; both may be the same object. */
  providers: Record<TierName, InferenceProvider>;
  metrics?: Metrics;
  limits?: Partial<AppLimits>;
  log?: (msg: string, err?: unknown) => void;
  /** Several processes: fan out through this Redis (the caller connects and closes it). */
  redis?: RedisConnection;
}

export interface AppLimits {
  /** A stream that produces nothing for this long is ended with an error. */
  streamIdleMs: number;
  /** Streams running upstream at once, across all sessions; the rest queue (FIFO). */
  maxConcurrentStreams: number;
  /** Upstream 429s waited out (honouring retry-after) before a stream fails. */
  upstreamRetries: number;
  /** Prompts one person (for now: one IP address) may send per minute. */
  promptsPerMinute: number;
  /** Largest socket.io frame (maxHttpBufferSize); a larger one closes the connection at the transport. */
  maxMessageBytes: number;
  /** Largest session document (encoded Yjs state); a change that would grow it past this is refused. */
  maxDocBytes: number;
  /** Most files in one session. */
  maxFiles: number;
  /** Longest prompt, in characters (the schema's ceiling is `LIMITS.promptCharsCeiling`). */
  maxPromptChars: number;
  /** Live socket.io connections from one address (handshake address: a reverse proxy's, behind one). */
  maxConnectionsPerIp: number;
  /** The tier's context window in tokens, and how many of them are kept for the answer. */
  contextTokens: number;
  answerTokens: number;
  /** Wrong/revoked/malformed link tokens one IP address may try per window before being refused. */
  linkFailures: number;
  linkFailureWindowSeconds: number;
}

export const DEFAULT_LIMITS: AppLimits = {
  streamIdleMs: 30_000,
  maxConcurrentStreams: 8,
  upstreamRetries: 3,
  promptsPerMinute: 60,
  maxMessageBytes: LIMITS.maxMessageBytes,
  maxDocBytes: DEFAULT_MAX_DOC_BYTES,
  maxFiles: DEFAULT_MAX_FILES,
  maxPromptChars: LIMITS.maxPromptChars,
  maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
  contextTokens: 128_000,
  answerTokens: 8_192,
  ...DEFAULT_ACCESS_LIMITS,
};

export interface FlintApp {
  io: Io;
  sessions: SessionStore;
  links: LinkStore;
  presence: PresenceHub;
  ai: AiController;
  metrics: Metrics;
  close(): Promise<void>;
}

const KNOWN_EVENTS = new Set<string>(Object.keys(CLIENT_EVENT_SCHEMAS));

/** Summarises zod issues in one line a developer can act on, without echoing the payload. */
function describeIssues(error: z.ZodError): { code: 'badRequest' | 'payloadTooLarge'; message: string } {
  const tooBig = error.issues.some((i) => i.code === 'too_big');
  const message = error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return { code: tooBig ? 'payloadTooLarge' : 'badRequest', message: message.slice(0, 300) };
}

/**
 * The socket.io side of Flint, attached to an existing HTTP server. Every client event goes
 * through `on()`: hello first, payload validated with its zod schema, errors answered with a
 * typed `Response` (or `protocol:error` when the client sent no acknowledgement callback).
 */
export function createApplication(httpServer: http.Server, deps: AppDeps): FlintApp {
  const log = deps.log ?? ((msg, err) => console.error(`[flint] ${msg}`, err ?? ''));
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const io: Io = new Server(httpServer, {
    transports: ['websocket'],
    perMessageDeflate: false,
    maxHttpBufferSize: limits.maxMessageBytes,
    serveClient: false,
    ...(deps.redis ? clusterServerOptions(deps.redis) : {}),
  });
  const { sessions } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const docLimits = new DocLimits({ maxDocBytes: limits.maxDocBytes, maxFiles: limits.maxFiles });
  /** What the browser is told in the hello answer. */
  const serverLimits: ServerLimits = {
    maxMessageBytes: limits.maxMessageBytes,
    maxDocBytes: limits.maxDocBytes,
    maxFiles: limits.maxFiles,
    maxPromptChars: limits.maxPromptChars,
  };
  const ai = new AiController(
    io,
    deps.providers,
    {
      idleMs: limits.streamIdleMs,
      maxConcurrentStreams: limits.maxConcurrentStreams,
      upstreamRetries: limits.upstreamRetries,
      promptBudgetTokens: limits.contextTokens - limits.answerTokens,
    },
    metrics,
    docLimits,
  );
  const tiers = {
    instant: { provider: deps.providers.instant.name, model: deps.providers.instant.model },
    deep: { provider: deps.providers.deep.name, model: deps.providers.deep.model },
  };
  const tierNames = Object.keys(tiers) as TierName[];
  const tierState = (tier: TierName) => ({ tier, ...tiers[tier], ...(deps.providers[tier].status?.() ?? { state: 'ready' as const }) });
  // A tier's status changes (warming, download progress, unavailable) go to everyone.
  const unsubscribe = tierNames.flatMap((tier) => {
    const off = deps.providers[tier].onStatus?.(() => io.emit('tier:state', tierState(tier)));
    return off ? [off] : [];
  });
  /** Opens the upstream connections (or loads the model) now, so the first prompt does not pay for it. */
  const warm = () => {
    for (const p of new Set(tierNames.map((t) => deps.providers[t]))) {
      try {
        p.warm?.();
      } catch (err) {
        log('warming a tier failed', err);
      }
    }
  };
  const promptLimiter = new RateLimiterMemory({ points: limits.promptsPerMinute, duration: 60 });
  // Every change of a session's document reaches its room (on every process, with Redis).
  const stopFanOut = fanOutSessions(io as unknown as Server, sessions, { peers: !!deps.redis, log });
  const interrupt = interruptAcrossNodes(io as unknown as Server, ai, sessions, !!deps.redis);
  // A turn left `streaming` by a process that died (kill -9) is ended, not shown streaming forever.
  const stopOrphans = endOrphanTurns(sessions, {
    isRunning: (turnId) => ai.isRunning(turnId),
    runningElsewhere: deps.redis ? turnsRunningOnPeers(io as unknown as Server, ai) : undefined,
    log,
  });
  /** Each session's last finished in-browser test run, for people who join after it (this process only). */
  const lastTestRun = new WeakMap<Session, TestsResultPayload>();
  const links = deps.links ?? new MemoryLinkStore();
  const claims = new HunkClaims();
  const access = new AccessControl(links, { linkFailures: limits.linkFailures, linkFailureWindowSeconds: limits.linkFailureWindowSeconds });
  const presence = new PresenceHub((sessionId, update, except) =>
    (except ? io.to(sessionId).except(except) : io.to(sessionId)).emit('awareness:update', update),
  );

  // With several processes, each knows the presence of its own clients; a joiner asks the others.
  const peers = io as unknown as Server<Record<string, never>, Record<string, never>, InterServerEvents>;
  function presenceFromPeers(socket: FlintSocket, sessionId: string) {
    peers.serverSideEmit('presence:peer-snapshot', sessionId, (err: Error | null, updates: Array<Uint8Array | null>) => {
      if (err) log(`presence of session ${sessionId} from other processes: ${err.message}`);
      for (const u of updates ?? []) if (u instanceof Uint8Array && u.byteLength > 0 && socket.data.sessionId === sessionId) socket.emit('awareness:update', new Uint8Array(u));
    });
  }
  if (deps.redis) {
    peers.on('presence:peer-snapshot', (sessionId: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(typeof sessionId === 'string' ? presence.snapshot(sessionId) : null);
    });
  }

  // Who is connecting: the identity cookie the page got (main.ts), else a one-off identity.
  io.use((socket, next) => {
    socket.data.identity = identityFromCookie(socket.handshake.headers.cookie) ?? newIdentityId();
    socket.data.pid = publicId(socket.data.identity);
    next();
  });

  // Live connections per address. Counted here and, for a socket restored by connection-state
  // recovery (which skips middlewares), on connection; uncounted when its transport closes.
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
    if (live >= limits.maxConnectionsPerIp) {
      metrics.protocolErrors.inc({ code: 'limitExceeded' });
      const error = protocolError(
        'limitExceeded',
        `Too many connections from your address: this server allows ${limits.maxConnectionsPerIp} at once (FLINT_MAX_CONNECTIONS_PER_IP). Close some Flint tabs, then reload.`,
      );
      return next(Object.assign(new Error(error.message), { data: error }));
    }
    count(socket);
    next();
  });

  /** Takes the socket out of its session: room, presence, role. */
  async function leaveSession(socket: FlintSocket) {
    presence.leave(socket.id);
    if (socket.data.sessionId) await socket.leave(socket.data.sessionId);
    socket.data.sessionId = undefined;
    socket.data.role = undefined;
    socket.data.link = undefined;
  }

  /** Waits until the session's changes so far are stored; a storage failure is a typed error. */
  async function durable(session: Session): Promise<void> {
    try {
      await sessions.saved(session);
    } catch (err) {
      log(`storing session ${session.id} failed`, err);
      throw new FlintError('storageUnavailable', 'Your change is applied but not saved yet: storage is unavailable. It is retried; keep this tab open.');
    }
  }

  function joined(socket: FlintSocket): Session {
    const id = socket.data.sessionId;
    const session = id ? sessions.loaded(id) : undefined;
    if (!session) throw new FlintError('notJoined');
    return session;
  }

  io.on('connection', (socket) => {
    count(socket);
    socket.data.hello = false;

    function on<E extends ClientEventName>(
      event: E,
      handler: (payload: Parsed<E>) => unknown | Promise<unknown>,
    ) {
      // socket.io's typed `on` cannot express "any arity"; the edge checks arity itself.
      (socket.on as (ev: string, fn: (...args: unknown[]) => void) => void)(event, async (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: Response<unknown>) => void) : undefined;
        const reply = (r: Response<unknown>) => {
          if (ack) ack(r);
          else if (!r.ok) socket.emit('protocol:error', r.error);
        };
        const fail = (e: ProtocolError) => {
          metrics.protocolErrors.inc({ code: e.code });
          reply({ ok: false, error: e });
        };
        if (event !== 'session:hello' && !socket.data.hello) return fail(protocolError('helloRequired', undefined, event));
        if (args.length !== 1) return fail(protocolError('badRequest', `expected one payload, got ${args.length}`, event));
        const parsed = CLIENT_EVENT_SCHEMAS[event].safeParse(args[0]);
        if (!parsed.success) {
          const { code, message } = describeIssues(parsed.error);
          return fail(protocolError(code, message, event));
        }
        try {
          authorize(event, socket.data.role);
          const data = await handler(parsed.data as Parsed<E>);
          reply({ ok: true, data: data ?? {} });
        } catch (err) {
          if (err instanceof FlintError) return fail(err.toProtocol(event));
          log(`handler ${event} failed`, err);
          fail(protocolError('internal', undefined, event));
        }
      });
    }

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const error = protocolError('unknownEvent', `unknown event ${JSON.stringify(String(event).slice(0, 64))}`);
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack({ ok: false, error });
      else socket.emit('protocol:error', error);
    });

    on('session:hello', ({ protocolVersion }) => {
      if (protocolVersion !== PROTOCOL_VERSION) {
        const code = protocolVersion < PROTOCOL_VERSION ? 'clientTooOld' : 'serverTooOld';
        // The DISCONNECT packet is queued after the acknowledgement, so the client reads the reason first.
        setImmediate(() => socket.disconnect());
        throw new FlintError(code, `${code === 'clientTooOld' ? 'Flint was updated' : 'This page is newer than the server'}: protocol ${protocolVersion}, server speaks ${PROTOCOL_VERSION}. Reload the page.`);
      }
      socket.data.hello = true;
      return { protocolVersion: PROTOCOL_VERSION, limits: serverLimits };
    });

    on('session:create', async () => {
      const session = await sessions.create(undefined, socket.data.identity);
      return { sessionId: session.id };
    });

    on('session:join', async ({ sessionId, token }) => {
      const session = await sessions.get(sessionId);
      if (!session) throw new FlintError('sessionNotFound');
      const role = await access.roleFor(session, socket.data.identity, token, socket.handshake.address);
      if (socket.data.sessionId) await leaveSession(socket);
      socket.data.sessionId = sessionId;
      socket.data.role = role;
      socket.data.link = role === 'owner' ? undefined : role;
      await socket.join(sessionId);
      warm();
      for (const tier of tierNames) socket.emit('tier:state', tierState(tier));
      const others = presence.snapshot(sessionId);
      if (others) socket.emit('awareness:update', others);
      if (deps.redis) presenceFromPeers(socket, sessionId);
      // Someone joining later sees the session's last finished test run, after the join answer.
      const last = lastTestRun.get(session);
      if (last) setImmediate(() => socket.emit('tests:result', last));
      return { sessionId, state: Y.encodeStateAsUpdate(session.doc), tiers, role, pid: socket.data.pid };
    });

    on('awareness:update', (update) => {
      const session = joined(socket);
      presence.apply(session.id, session.doc, { socketId: socket.id, pid: socket.data.pid, role: socket.data.role! }, update);
    });

    /** Everyone who joined the session with its `role` link (before now) leaves it. */
    async function closeLinkHolders(sessionId: string, role: LinkRole, message: string) {
      for (const other of await io.in(sessionId).fetchSockets()) {
        if (other.data.link !== role) continue;
        const local = io.sockets.sockets.get(other.id);
        if (local) await leaveSession(local);
        other.emit('session:closed', protocolError('linkInvalid', message));
      }
    }

    // A new link replaces the role's previous one, so whoever joined with that one leaves too
    // (nobody can have joined with the new token yet: it is answered only now).
    on('link:create', async ({ role }) => {
      const session = joined(socket);
      const token = await access.createLink(session.id, role);
      await closeLinkHolders(session.id, role, 'The owner replaced the link you joined with.');
      return { role, token };
    });

    // Revoking also closes the session for everyone who joined with that link.
    on('link:revoke', async ({ role }) => {
      const session = joined(socket);
      await access.revokeLink(session.id, role);
      await closeLinkHolders(session.id, role, 'The owner revoked the link you joined with.');
    });

    socket.on('disconnect', () => {
      presence.leave(socket.id);
      claims.release(socket.id);
    });

    // Checked against the document limits first (a refused update is not applied, so neither
    // stored nor broadcast); applied (and so broadcast) at once; acknowledged once stored: an
    // acknowledged edit survives a crash.
    on('doc:update', async (update) => {
      const session = joined(socket);
      // Checked whole before it touches the document: Y.applyUpdate is not atomic (server/collab/check-update.ts).
      const invalid = checkUpdate(update, session.doc);
      if (invalid) throw new FlintError('badRequest', `not a valid Yjs update: ${invalid}`);
      try {
        docLimits.checkUpdate(session.doc, update);
        Y.applyUpdate(session.doc, update, socket.id);
      } catch (err) {
        if (err instanceof FlintError) throw err;
        log(`a checked update still failed to apply in session ${session.id}`, err);
        throw new FlintError('badRequest', 'not a valid Yjs update');
      }
      await durable(session);
    });

    on('file:create', async ({ path, content }) => {
      const session = joined(socket);
      const files = filesOf(session.doc);
      if (files.has(path)) throw new FlintError('fileExists', `${path} already exists.`);
      docLimits.checkNewFile(session.doc);
      // JSON may carry lone surrogates; what is stored and broadcast may not (workspace-doc.ts).
      const text = wellFormed(content ?? '');
      docLimits.write(session.doc, textBytes(path) + textBytes(text), (doc) => filesOf(doc).set(path, new Y.Text(text)));
      await durable(session);
      return { path };
    });

    on('file:rename', async ({ from, to }) => {
      const session = joined(socket);
      const { doc } = session;
      const files = filesOf(doc);
      const text = files.get(from);
      if (!text) throw new FlintError('fileNotFound', `${from} does not exist.`);
      if (from !== to && files.has(to)) throw new FlintError('fileExists', `${to} already exists.`);
      if (from !== to) {
        const content = text.toString();
        docLimits.write(doc, textBytes(to) + textBytes(content), (d) =>
          d.transact(() => {
            filesOf(d).delete(from);
            filesOf(d).set(to, new Y.Text(content));
          }),
        );
      }
      await durable(session);
      return { path: to };
    });

    on('file:delete', async ({ path }) => {
      const files = filesOf(joined(socket).doc);
      if (!files.has(path)) throw new FlintError('fileNotFound', `${path} does not exist.`);
      files.delete(path);
      await durable(joined(socket));
      return { path };
    });

    on('ai:prompt', async (payload) => {
      const session = joined(socket);
      if (payload.prompt.length > limits.maxPromptChars) {
        throw new FlintError(
          'payloadTooLarge',
          `The prompt is ${payload.prompt.length.toLocaleString('en')} characters; this server accepts at most ${limits.maxPromptChars.toLocaleString('en')} (FLINT_MAX_PROMPT_CHARS). Shorten it, or @-mention files instead of pasting them.`,
        );
      }
      try {
        await promptLimiter.consume(socket.handshake.address);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        throw new FlintError(
          'rateLimited',
          `Too many prompts: this server takes ${limits.promptsPerMinute} a minute from one address (FLINT_PROMPTS_PER_MINUTE): try again in ${Math.ceil(res.msBeforeNext / 1000)} s.`,
        );
      }
      return { streamId: ai.start(session, payload) };
    });

    on('ai:report', ({ browserTtftMs }) => {
      joined(socket);
      ai.report(browserTtftMs);
    });

    // In-browser test results: validated, then shown to everyone else in the session.
    on('tests:result', (report) => {
      const session = joined(socket);
      socket.to(session.id).emit('tests:result', report);
      if (report.status !== 'running') lastTestRun.set(session, report);
    });

    // Before an accept or reject: each pending hunk is decided by one person at a time.
    on('hunk:claim', ({ hunkIds }) => {
      const session = joined(socket);
      return claims.claim(session.id, session.doc, socket.id, hunkIds);
    });

    on('ai:interrupt', async ({ streamId }) => {
      await interrupt(joined(socket), streamId);
      return { streamId };
    });
  });

  return {
    io,
    sessions,
    links,
    presence,
    ai,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        ai.abortAll();
        for (const off of unsubscribe) off();
        stopFanOut();
        stopOrphans();
        presence.close();
        io.close(() => resolve());
      }),
  };
}
