import { z } from '@/lib/zod';
import { ProtocolErrorSchema } from './errors';
import { AgentRunEvent } from './agents';
import { Bytes, PackagesStatus, TestsResultPayload, TierInfo, TierName } from './values';

/**
 * Server → client: one payload schema per event, and the socket's TypeScript event map derived
 * from them. `ai:*` events carry the stream id, so a late delta of an interrupted stream can be
 * dropped by the client. The tests check each event they read against its schema.
 * Example: `ai:delta {streamId:'s1', seq:3, text:'const x', tokens:2}`
 */

/** How a stream ended. */
export const StreamEndStatus = z.enum(['done', 'interrupted', 'error']);
export type StreamEndStatus = z.infer<typeof StreamEndStatus>;

/** Token usage as the provider reported it, or as counted from deltas when it did not. */
export const StreamUsage = z.object({ promptTokens: z.number().optional(), completionTokens: z.number() });
export type StreamUsage = z.infer<typeof StreamUsage>;

/**
 * What a tier can do right now, as `provider-status` shows it: `ready`; `warming` (connecting
 * upstream or loading the model); `downloading` (the default local model, `progress` set);
 * `unavailable` (`reason` says why in words a person understands, `help` how to fix it).
 */
export const TierStatus = z.object({
  state: z.enum(['ready', 'warming', 'downloading', 'unavailable']),
  reason: z.string().optional(),
  help: z.string().optional(),
  progress: z.object({ bytes: z.number(), totalBytes: z.number().nullable(), percent: z.number().nullable(), etaSeconds: z.number().nullable() }).optional(),
});
export type TierStatus = z.infer<typeof TierStatus>;

const Binary = Bytes();

export const SERVER_EVENT_SCHEMAS = {
  /** A Yjs update from another participant or the server. */
  'doc:update': Binary,
  /**
   * The stream waits: for a slot (`queue`, its 1-based `position` in the FIFO queue) or for the
   * tier to have capacity again after a 429 (`capacity`, retried in `retryInMs`).
   */
  'ai:queued': z.union([
    z.object({ streamId: z.string(), reason: z.literal('queue'), position: z.number() }),
    z.object({ streamId: z.string(), reason: z.literal('capacity'), retryInMs: z.number() }),
  ]),
  /**
   * The request went upstream. `context`: prompt tokens as counted by Flint's tokenizer, the files
   * sent, how many earlier turns, and what the budget left out (see server/ai/prompt.ts).
   */
  'ai:start': z.object({
    streamId: z.string(),
    path: z.string(),
    mode: TierName,
    provider: z.string(),
    model: z.string(),
    context: z.object({ tokens: z.number(), files: z.array(z.string()), turns: z.number(), truncated: z.array(z.string()) }),
  }),
  /** `tokens`: how many upstream deltas this message merges (one per upstream chunk). */
  'ai:delta': z.object({ streamId: z.string(), seq: z.number(), text: z.string(), tokens: z.number() }),
  'ai:end': z.object({
    streamId: z.string(),
    status: StreamEndStatus,
    error: ProtocolErrorSchema.optional(),
    usage: StreamUsage,
    /**
     * Server-side: accepted → upstream request sent (queue and retries), request sent → first token, accepted → end.
     * `stages`: the first token's way through the server, each in ms after the prompt was accepted
     * (null when it did not get there): context built, upstream request sent, response headers
     * (first upstream byte), first `ai:delta` emitted. Example: `{contextMs:0.4, requestMs:0.6, firstByteMs:2.1, firstTokenMs:2.5}`
     */
    timing: z.object({
      queueMs: z.number(),
      serverTtftMs: z.number().nullable(),
      totalMs: z.number(),
      stages: z
        .object({ contextMs: z.number().nullable(), requestMs: z.number().nullable(), firstByteMs: z.number().nullable(), firstTokenMs: z.number().nullable() })
        .optional(),
    }),
  }),
  /**
   * A tier's status changed (sent to everyone), or the current status of both tiers (sent to a
   * socket right after it joins). Example: `tier:state {tier:'instant', provider:'local',
   * model:'qwen2.5-coder', state:'downloading', progress:{bytes, totalBytes, percent:42, etaSeconds:30}}`
   */
  'tier:state': z.object({ tier: TierName, ...TierInfo.shape, ...TierStatus.shape }),
  /** Another participant's test run (its start, then its result), as they sent it. */
  'tests:result': TestsResultPayload,
  /** Presence of the others in the session: a y-protocols awareness update (all states right after join). */
  'awareness:update': Binary,
  /**
   * How a `project:clone` or `project:import` the socket sent is going, before its answer:
   * git's own phases while cloning (`Counting objects`, `Receiving objects`, `Resolving deltas`…),
   * then `Unpacking` and `Storing`. `total` when known. Example: `{phase:'Receiving objects', loaded:42, total:120}`
   */
  'project:progress': z.object({ phase: z.string().max(100), loaded: z.number(), total: z.number().optional() }),
  /** To the browser driving an agent: run the tests on the agent's copy of the files (lib/protocol/agents.ts). */
  'agent:run': AgentRunEvent,
  /** The session's packages while they resolve and when they are ready (sent to the whole session). */
  'packages:status': PackagesStatus,
  /** The link this socket joined with was revoked: it has left the session. */
  'session:closed': ProtocolErrorSchema,
  /** An error not tied to an acknowledgement (an unknown event, or a request sent without one). */
  'protocol:error': ProtocolErrorSchema,
} as const;
export type ServerEventName = keyof typeof SERVER_EVENT_SCHEMAS;

/** The socket.io event map of server → client, derived from the schemas above. */
export type ServerToClientEvents = {
  [E in ServerEventName]: (e: z.output<(typeof SERVER_EVENT_SCHEMAS)[E]>) => void;
};
