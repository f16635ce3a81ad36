import { z } from 'zod';

/**
 * What the simulator is scripted with and what it reports, shared by the HTTP server
 * (`sim-server.ts`) and the Responses WebSocket mode (`responses-ws.ts`).
 */

const Fault = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), status: z.number().int().min(400).max(599), retryAfter: z.number().optional() }),
  z.object({ type: z.literal('drop'), afterTokens: z.number().int().nonnegative() }),
  z.object({ type: z.literal('stall'), afterTokens: z.number().int().nonnegative(), ms: z.number().nonnegative() }),
  z.object({ type: z.literal('malformed'), afterTokens: z.number().int().nonnegative() }),
]);

export const SimRule = z
  .object({
    /** Applies when the last user message contains this text; no match = any request. */
    match: z.string().optional(),
    /** The exact answer; otherwise a generated block of about `tokens` tokens. */
    text: z.string().optional(),
    tokens: z.number().int().positive().max(1_000_000).optional(),
    ttftMs: z.number().nonnegative().optional(),
    tokensPerSecond: z.number().positive().optional(),
    fault: Fault.optional(),
    /** How many requests this rule answers before it is removed; unlimited when absent. */
    times: z.number().int().positive().optional(),
  })
  .strict();
export type SimRule = z.infer<typeof SimRule>;

export interface SimStats {
  /** Chat Completions requests and Responses `response.create` turns. */
  requests: number;
  completed: number;
  aborted: number;
  active: number;
  /** `GET /v1/models` (and HEAD): what Flint sends to warm a tier's connection. */
  warmups: number;
  /** TCP connections accepted on the HTTP port (a keep-alive client opens few). */
  connections: number;
  /** Responses WebSocket connections opened. */
  wsConnections: number;
}

/** A request body as the simulator received it (the last 50 are kept). */
export interface SimRecordedRequest {
  transport: 'http' | 'ws';
  path: string;
  body: Record<string, unknown>;
}
