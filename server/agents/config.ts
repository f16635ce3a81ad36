import { z } from 'zod';
import type { AgentServiceLimits } from './agent-service';

/** Defaults of the agents' limits (README → Configuration). */
export const DEFAULT_AGENT_LIMITS: Omit<AgentServiceLimits, 'promptBudgetTokens'> = {
  maxRounds: 5,
  maxTokens: 200_000,
  maxMs: 10 * 60_000,
  testAnswerMs: 180_000,
  maxRunningPerSession: 16,
};

const Positive = z.coerce.number().int().positive();
const Env = z.object({
  FLINT_AGENT_MAX_ROUNDS: Positive.max(100).optional(),
  FLINT_AGENT_MAX_TOKENS: Positive.optional(),
  FLINT_AGENT_MAX_SECONDS: Positive.optional(),
  FLINT_AGENT_TEST_ANSWER_SECONDS: Positive.optional(),
  FLINT_AGENT_MAX_RUNNING: Positive.max(64).optional(),
});

/** The agents' limits from the environment over the defaults; a bad value throws naming the variable. */
export function agentLimitsFromEnv(env: Record<string, string | undefined>): Omit<AgentServiceLimits, 'promptBudgetTokens'> {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${String(issue?.path[0])}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  return {
    maxRounds: e.FLINT_AGENT_MAX_ROUNDS ?? DEFAULT_AGENT_LIMITS.maxRounds,
    maxTokens: e.FLINT_AGENT_MAX_TOKENS ?? DEFAULT_AGENT_LIMITS.maxTokens,
    maxMs: e.FLINT_AGENT_MAX_SECONDS !== undefined ? e.FLINT_AGENT_MAX_SECONDS * 1000 : DEFAULT_AGENT_LIMITS.maxMs,
    testAnswerMs: e.FLINT_AGENT_TEST_ANSWER_SECONDS !== undefined ? e.FLINT_AGENT_TEST_ANSWER_SECONDS * 1000 : DEFAULT_AGENT_LIMITS.testAnswerMs,
    maxRunningPerSession: e.FLINT_AGENT_MAX_RUNNING ?? DEFAULT_AGENT_LIMITS.maxRunningPerSession,
  };
}
