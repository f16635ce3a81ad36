import type http from 'node:http';
import type { Server } from 'socket.io';
import { LIMITS, type TierName } from '@/lib/protocol';
import { AiController } from './ai/ai-controller';
import type { InferenceProvider } from './inference/types';
import { SessionStore } from './sessions/session-store';
import { MemoryLinkStore, type LinkStore } from './sessions/links';
import { AccessControl, DEFAULT_ACCESS_LIMITS } from './auth/access';
import { PresenceHub } from './collab/presence';
import { createMetrics, type Metrics } from './metrics';
import { fanOutSessions } from './collab/fanout';
import type { RedisConnection } from './collab/redis';
import { sharedLimits } from './collab/shared-limits';
import { StreamLeases } from './ai/stream-lease';
import { interruptAcrossNodes, turnsRunningOnPeers } from './collab/peer-ai';
import { endOrphanTurns } from './ai/orphan-turns';
import { DocLimits } from './sessions/doc-limits';
import { DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_MAX_DOC_BYTES, DEFAULT_MAX_FILES } from './config';
import { HunkClaims } from './collab/hunk-claims';
import { createSocketServer } from './edge/socket-server';
import type { OriginPolicy } from './edge/origin-check';
import { CreationLimiter } from './auth/creation-limits';
import { serveEvents } from './edge/dispatch';
import type { Io } from './edge/types';
import { createHandlers } from './handlers';
import { peerPresence } from './handlers/presence';
import { createTierStates } from './handlers/tier-states';
import { blobStore } from './projects/blob-store';
import { DEFAULT_PROJECT_SETTINGS, Projects, type ProjectSettings } from './projects/projects';
import type { GuardedHttpOptions } from './projects/git-http';
import { AgentService, type AgentServiceLimits } from './agents/agent-service';
import { agentLimitsFromEnv } from './agents/config';
import type { Packages } from './packages/packages';
import { SessionPackages } from './packages/session-packages';

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
  /** Which pages may open the socket; default: a page of the origin the handshake was sent to. */
  origins?: OriginPolicy;
  /** Project import limits and the git address rule (FLINT_IMPORT_*, FLINT_GIT_*). */
  projects?: Partial<ProjectSettings>;
  /** npm packages of sessions (server/packages/); absent: `packages:install` says this server has none. */
  packages?: Packages;
  /** Tests only: the resolver behind the git clone's guarded lookup. */
  resolveForClone?: GuardedHttpOptions['resolve'];
  /** Background agents' limits; default FLINT_AGENT_* from the environment (server/agents/config.ts). */
  agents?: Partial<AgentServiceLimits>;
}

export interface AppLimits {
  /** A stream that produces nothing for this long is ended with an error. */
  streamIdleMs: number;
  /** A stream's deltas are coalesced into one `ai:delta` per this many ms (server/ai/turn-output.ts). */
  deltaTickMs: number;
  /** Streams running upstream at once, across all sessions; the rest queue (FIFO). */
  maxConcurrentStreams: number;
  /** Upstream 429s waited out (honouring retry-after) before a stream fails. */
  upstreamRetries: number;
  /** Prompts one person (for now: one IP address) may send per minute. */
  promptsPerMinute: number;
  /** Sessions, and share links, one identity may create per minute (four times this per address). */
  createsPerMinute: number;
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
  deltaTickMs: 8,
  maxConcurrentStreams: 8,
  upstreamRetries: 3,
  promptsPerMinute: 60,
  createsPerMinute: 30,
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
  /** A graceful stop's first step: no new turn starts; resolves when the running ones ended, or after `ms`. */
  drain(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The socket.io side of Flint, attached to an existing HTTP server: the composition root. The
 * edge (server/edge/) checks every event before the handler group that answers it
 * (server/handlers/) runs; the services below are built here and handed to both explicitly.
 */
export function createApplication(httpServer: http.Server, deps: AppDeps): FlintApp {
  const log = deps.log ?? ((msg, err) => console.error(`[flint] ${msg}`, err ?? ''));
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const { sessions } = deps;
  const metrics = deps.metrics ?? createMetrics();
  // Limits that hold across every process with Redis, else in this one.
  const shared = sharedLimits(deps.redis);
  const { io, stop: stopSocketServer } = createSocketServer(httpServer, {
    maxMessageBytes: limits.maxMessageBytes,
    maxConnectionsPerIp: limits.maxConnectionsPerIp,
    origins: deps.origins ?? { appOrigins: [] },
    metrics,
    redis: deps.redis,
    shared,
    log,
  });
  const streamLeases = new StreamLeases(shared, log);
  const docLimits = new DocLimits({ maxDocBytes: limits.maxDocBytes, maxFiles: limits.maxFiles });
  const ai = new AiController(
    io,
    deps.providers,
    {
      idleMs: limits.streamIdleMs,
      deltaTickMs: limits.deltaTickMs,
      maxConcurrentStreams: limits.maxConcurrentStreams,
      upstreamRetries: limits.upstreamRetries,
      promptBudgetTokens: limits.contextTokens - limits.answerTokens,
    },
    metrics,
    docLimits,
    streamLeases,
  );
  const tiers = createTierStates(io, deps.providers, log);
  // Every change of a session's document reaches its room (on every process, with Redis).
  const stopFanOut = fanOutSessions(io as unknown as Server, sessions, { peers: !!deps.redis, log });
  const interrupt = interruptAcrossNodes(io as unknown as Server, ai, sessions, !!deps.redis);
  // A turn left `streaming` by a process that died (kill -9) is ended, not shown streaming forever.
  const stopOrphans = endOrphanTurns(sessions, {
    isRunning: (turnId) => ai.isRunning(turnId),
    runningElsewhere: deps.redis ? turnsRunningOnPeers(io as unknown as Server, ai) : undefined,
    streamHeld: deps.redis ? (sessionId) => streamLeases.heldAnywhere(sessionId) : undefined,
    log,
  });
  // Background agents: their own copy of the files, rounds until the tests (run in a browser) pass.
  const agents = new AgentService({
    io,
    sessions,
    providers: deps.providers,
    limits: { ...agentLimitsFromEnv(process.env), promptBudgetTokens: limits.contextTokens - limits.answerTokens, ...deps.agents },
    docLimits,
    log,
  });
  // An agent left `running` by a process that went away is ended when its session loads again;
  // with Redis another process may be running it, so the record is left to that process.
  const stopAgentOrphans = deps.redis ? () => {} : sessions.onLoaded((session) => agents.endOrphans(session));
  const links = deps.links ?? new MemoryLinkStore();
  const access = new AccessControl(links, { linkFailures: limits.linkFailures, linkFailureWindowSeconds: limits.linkFailureWindowSeconds }, shared);
  const presence = new PresenceHub((sessionId, update, except) =>
    (except ? io.to(sessionId).except(except) : io.to(sessionId)).emit('awareness:update', update),
  );

  const projectSettings = { ...DEFAULT_PROJECT_SETTINGS, ...deps.projects };
  const blobs = blobStore(sessions.storage);
  const projects = new Projects(sessions, blobs, { ...projectSettings, maxDocBytes: limits.maxDocBytes, maxSessionFiles: limits.maxFiles }, deps.resolveForClone);
  const sessionCreations = new CreationLimiter('sessions', limits.createsPerMinute, shared);

  serveEvents(
    io,
    createHandlers({
      packages: deps.packages ? new SessionPackages(deps.packages, docLimits) : undefined,
      projects,
      blobs,
      io,
      sessions,
      access,
      presence,
      tiers,
      ai,
      interrupt,
      docLimits,
      agents,
      claims: new HunkClaims(shared),
      sessionCreations,
      linkCreations: new CreationLimiter('share links', limits.createsPerMinute, shared),
      shared,
      presenceFromPeers: deps.redis ? peerPresence(io, presence, log) : undefined,
      serverLimits: {
        maxMessageBytes: limits.maxMessageBytes,
        maxDocBytes: limits.maxDocBytes,
        maxFiles: limits.maxFiles,
        maxPromptChars: limits.maxPromptChars,
        import: { maxFiles: projectSettings.maxFiles, maxBytes: projectSettings.maxBytes, maxFileBytes: projectSettings.maxFileBytes },
      },
      limits,
      log,
    }),
    { metrics, log },
  );

  return {
    io,
    sessions,
    links,
    presence,
    ai,
    metrics,
    drain: (ms) => ai.drain(ms),
    close: () =>
      new Promise<void>((resolve) => {
        ai.close();
        agents.close();
        stopAgentOrphans();
        stopSocketServer();
        tiers.close();
        stopFanOut();
        stopOrphans();
        presence.close();
        io.close(() => resolve());
      }),
  };
}
