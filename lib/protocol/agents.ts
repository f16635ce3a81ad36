import { z } from '@/lib/zod';
import { FilePath, StreamId, TestsResultPayload, TierName } from './values';

/**
 * Background agents (server/agents/CONTEXT.md): a prompt worked on a copy of the workspace,
 * round after round, with the tests run in a browser's sandbox, until they pass or a limit.
 * An agent's record lives in the session's Yjs document (`agents` map, lib/collab/agents.ts),
 * so everyone sees it and it survives a reload; these events start, stop and drive it.
 */

/** How many parallel attempts one prompt may run as. Keep in sync with the `attempts-select` options. */
export const ATTEMPT_COUNTS = [1, 2, 4, 8] as const;
export const AgentStatus = z.enum(['running', 'passed', 'failed', 'stopped', 'stuck']);
export type AgentStatus = z.infer<typeof AgentStatus>;

/**
 * Start an agent (or `attempts` independent ones) for a prompt; `path`: the file the prompt is
 * about, as with `ai:prompt`. Example: `{prompt:'make the cart tests pass', path:'src/cart.ts', attempts:4}`
 */
export const AgentStartPayload = z
  .object({
    prompt: z.string().trim().min(1, 'prompt is empty').max(64 * 1024),
    path: FilePath,
    mode: TierName.default('instant'),
    attempts: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(1),
  })
  .strict();
export type AgentStartPayload = z.infer<typeof AgentStartPayload>;

/** Stop an agent (its current round is abandoned); `agent:open` on it: its result as a review. */
export const AgentIdPayload = z.object({ agentId: StreamId }).strict();

/**
 * The driving browser's test run of an agent's round, over the files `agent:run` sent.
 * Example: `{agentId:'a1', round:2, report:{runId:'r', status:'done', scope:{kind:'all'}, files:[…]}}`
 */
export const AgentResultPayload = z.object({ agentId: StreamId, round: z.number().int().min(1).max(1_000), report: TestsResultPayload }).strict();

/**
 * Server → the one browser driving an agent: run the session's tests on these files (the
 * agent's copy, not the workspace) and answer with `agent:result`. The server never runs them.
 */
export const AgentRunEvent = z.object({ agentId: z.string(), round: z.number(), files: z.record(z.string(), z.string()) });
export type AgentRunEvent = z.infer<typeof AgentRunEvent>;

export const AgentStartResult = z.object({ agentIds: z.array(z.string()) });
export const AgentOpenResult = z.object({ turnId: z.string() });

/** One file the agent changed: its text when the agent started (`base`) and now (`text`); null = absent. */
export const AgentChange = z.object({ path: FilePath, base: z.string().nullable(), text: z.string().nullable() });
export type AgentChange = z.infer<typeof AgentChange>;

/**
 * An agent as everyone in the session sees it (the `agents` map of the session's document).
 * `round`: the round it is in (or ended in); `passed`/`total`: its last test run (null before
 * one); `note`: what it is doing now, in words ("waiting for a browser…"); `reason`: why it
 * ended; `refused`: test files whose edits it was refused; `group`: the attempts of one prompt.
 */
export const AgentRecord = z.object({
  id: z.string(),
  group: z.string(),
  attempt: z.number(),
  attempts: z.number(),
  prompt: z.string(),
  path: z.string(),
  mode: TierName,
  status: AgentStatus,
  round: z.number(),
  maxRounds: z.number(),
  passed: z.number().nullable(),
  total: z.number().nullable(),
  tokens: z.number(),
  temperature: z.number().nullable(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  note: z.string().nullable(),
  reason: z.string().nullable(),
  refused: z.array(z.string()),
  /** Lines added plus lines removed, the agent's copy against its base. */
  diffLines: z.number(),
  changes: z.array(AgentChange),
  /** The review turn `agent:open` made, when taken. */
  openedTurn: z.string().nullable(),
});
export type AgentRecord = z.infer<typeof AgentRecord>;
