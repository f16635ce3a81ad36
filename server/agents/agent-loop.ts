import type { AgentChange, AgentRecord, TestsResultPayload } from '@/lib/protocol';
import { applyBlock, describeFailure, EditStreamParser, failureReport, resolvePath, type BlockFailure } from '@/lib/edits';
import { countResults, failCount } from '@/lib/sandbox/aggregate';
import { buildFixPrompt } from '@/lib/sandbox/fix-prompt';
import type { ChatMessage } from '../inference/types';
import { buildContext } from '../ai/prompt';
import { isProtectedTestPath, promptAllowsTestEdits } from './guard';
import { editSignature, failureSignature, StuckDetector } from './stuck';
import { diffStats } from './merge';

export interface AgentLimits {
  /** Rounds (ask → apply → test) before the agent gives up (`FLINT_AGENT_MAX_ROUNDS`). */
  maxRounds: number;
  /** Completion tokens over all rounds (`FLINT_AGENT_MAX_TOKENS`). */
  maxTokens: number;
  /** Wall time from the start (`FLINT_AGENT_MAX_MS`); checked between steps. */
  maxMs: number;
  /** Prompt tokens one round may use. */
  promptBudgetTokens: number;
}

/** What one agent works with; everything with an effect is injected, so the loop is tested without a network or a browser. */
export interface AgentDeps {
  /** One upstream answer, whole, and its completion tokens. */
  ask(messages: ChatMessage[], signal: AbortSignal): Promise<{ text: string; tokens: number }>;
  /** Runs the session's tests on `files` in a browser's sandbox; resolves with its report. */
  runTests(files: ReadonlyMap<string, string>, round: number, signal: AbortSignal): Promise<TestsResultPayload>;
  /** The record changed (written to the session document by the caller). */
  update(patch: Partial<AgentRecord>): void;
  now(): number;
}

export type AgentOutcome = Pick<AgentRecord, 'status' | 'reason'>;

/**
 * One background agent's rounds, on its own copy of the files (never the session's document):
 *
 *   ask the model (prompt, the copy, last round's failures) → apply its SEARCH/REPLACE blocks to
 *   the copy (test files refused unless the prompt allows them) → run the tests on the copy in a
 *   browser → all pass: `passed`; else the next round, until a limit (`failed`) or no progress
 *   (`stuck`: the same edit twice, the same failure three times in a row).
 *
 * Invariants:
 * - `base` is never changed; the copy starts equal to it;
 * - every exit writes exactly one final status with its reason (`stopped` when `signal` aborts);
 * - the record's `changes` always describe the copy against `base` as it is after the round's edits.
 */
export async function runAgent(
  init: { prompt: string; path: string; base: ReadonlyMap<string, string> },
  limits: AgentLimits,
  deps: AgentDeps,
  signal: AbortSignal,
): Promise<AgentOutcome> {
  const startedAt = deps.now();
  const copy = new Map(init.base);
  const testPaths = [...init.base.keys()].filter(isProtectedTestPath);
  const allowTests = promptAllowsTestEdits(init.prompt, testPaths);
  const stuck = new StuckDetector();
  const refused = new Set<string>();
  let tokens = 0;
  let feedback: string[] = [];
  const end = (status: AgentRecord['status'], reason: string): AgentOutcome => {
    deps.update({ status, reason, note: null, endedAt: deps.now() });
    return { status, reason };
  };
  try {
    for (let round = 1; round <= limits.maxRounds; round++) {
      if (signal.aborted) return end('stopped', 'Stopped.');
      deps.update({ round, note: 'asking the model' });
      const answer = await deps.ask(agentMessages(init.prompt, init.path, copy, feedback, limits.promptBudgetTokens), signal);
      tokens += answer.tokens;
      const { applied, failures, refusedPaths } = applyAnswer(answer.text, copy, init.path, allowTests);
      for (const p of refusedPaths) refused.add(p);
      const changes = changesOf(init.base, copy);
      deps.update({ tokens, refused: [...refused], changes, diffLines: changes.reduce((n, c) => n + diffStats(c.base ?? '', c.text ?? '').lines, 0) });
      if (signal.aborted) return end('stopped', 'Stopped.');
      const sameEdit = stuck.edit(editSignature(applied));
      if (sameEdit) return end('stuck', sameEdit);
      if (tokens > limits.maxTokens) return end('failed', `Stopped at the token limit (${tokens} of ${limits.maxTokens} tokens).`);
      if (deps.now() - startedAt > limits.maxMs) return end('failed', `Stopped at the time limit (${Math.round(limits.maxMs / 1000)} s).`);

      deps.update({ note: 'running the tests' });
      const report = await deps.runTests(copy, round, signal);
      if (signal.aborted) return end('stopped', 'Stopped.');
      const counts = countResults(report);
      const total = counts.passed + counts.failed + counts.timedout;
      deps.update({ passed: counts.passed, total, note: null });
      if (report.status === 'done' && total > 0 && failCount(counts) === 0) return end('passed', `All ${total} tests pass after round ${round}.`);
      if (total === 0 && failCount(counts) === 0) return end('failed', 'The session has no tests to run.');
      const sameFailure = stuck.failure(failureSignature(report));
      if (sameFailure) return end('stuck', sameFailure);
      if (deps.now() - startedAt > limits.maxMs) return end('failed', `Stopped at the time limit (${Math.round(limits.maxMs / 1000)} s).`);
      feedback = roundFeedback(round, report, copy, failures, refusedPaths, applied.length);
    }
    return end('failed', `The tests still fail after ${limits.maxRounds} rounds.`);
  } catch (err) {
    if (signal.aborted) return end('stopped', 'Stopped.');
    return end('failed', err instanceof Error && err.message ? err.message : 'The agent failed.');
  }
}

/** The request: the prompt and the copy as it is now, then what the last round showed. */
export function agentMessages(prompt: string, path: string, copy: ReadonlyMap<string, string>, feedback: string[], budgetTokens: number): ChatMessage[] {
  const request = feedback.length ? `${prompt}\n\n${feedback.join('\n\n')}` : prompt;
  const others = [...copy.keys()].filter((p) => p !== path).sort();
  return buildContext({ prompt: request, path, mentions: others.slice(0, 32), read: (p) => copy.get(p), budgetTokens }).messages;
}

/**
 * Applies an answer's blocks to `copy` in order. A block for a test file is refused (not
 * applied) unless `allowTests`; a block that does not place is reported back next round.
 */
export function applyAnswer(text: string, copy: Map<string, string>, defaultPath: string, allowTests: boolean) {
  const parser = new EditStreamParser({ defaultPath, resolvePath: (written) => resolvePath(written, copy.keys()) });
  const events = [...parser.push(text), ...parser.end()];
  const applied: Array<{ path: string; search: string; replace: string }> = [];
  const failures: BlockFailure[] = [];
  const refusedPaths: string[] = [];
  for (const ev of events) {
    if (ev.type !== 'blockClose' || ev.path === null) continue;
    const path = ev.path.replace(/^\.\//, '');
    if (isProtectedTestPath(path) && !allowTests) {
      if (!refusedPaths.includes(path)) refusedPaths.push(path);
      continue;
    }
    const before = copy.get(path) ?? null;
    const result = applyBlock(before, ev);
    if (result.ok) {
      copy.set(path, result.text);
      applied.push({ path, search: ev.search, replace: ev.replace });
    } else {
      const failure = describeFailure(ev.index, path, before, ev, result);
      if (failure) failures.push(failure);
    }
  }
  return { applied, failures, refusedPaths };
}

function roundFeedback(round: number, report: TestsResultPayload, copy: ReadonlyMap<string, string>, failures: BlockFailure[], refusedPaths: string[], applied: number): string[] {
  const out = [`Round ${round} of your changes was applied and the tests were run on the files above (they already contain your changes).`];
  const fix = buildFixPrompt(report, copy);
  if (fix) out.push(fix.prompt);
  if (failures.length) out.push(failureReport(failures, applied));
  if (refusedPaths.length) out.push(`Your edits to ${refusedPaths.join(', ')} were refused: test files may not be changed. Change the code under test instead.`);
  return out;
}

/** The files that differ between `base` and `copy`, sorted by path. */
export function changesOf(base: ReadonlyMap<string, string>, copy: ReadonlyMap<string, string>): AgentChange[] {
  const paths = new Set([...base.keys(), ...copy.keys()]);
  const out: AgentChange[] = [];
  for (const path of [...paths].sort()) {
    const a = base.get(path) ?? null;
    const b = copy.get(path) ?? null;
    if (a !== b) out.push({ path, base: a, text: b });
  }
  return out;
}
