import { isTestFile } from '@/lib/sandbox/resolve';

/**
 * Test files: what the agent's work is checked against, so it may not change them unless the
 * prompt says so. `*.test.*`, `*.spec.*` and Python's `test_*.py` / `*_test.py` (the sandbox's
 * own rule, lib/sandbox/resolve.ts), and anything under a `__tests__/` or `tests/` folder.
 */
export function isProtectedTestPath(path: string): boolean {
  return isTestFile(path) || /(^|\/)(__tests__|tests?)\//.test(path);
}

/**
 * Whether the prompt allows editing test files: it names one of them, or says "test file(s)" /
 * "the tests" next to a verb of changing them ("update the tests", "you may edit the test file").
 * "Make the tests pass" does not: that is what the tests are for.
 */
export function promptAllowsTestEdits(prompt: string, testPaths: Iterable<string> = []): boolean {
  for (const p of testPaths) if (prompt.includes(p)) return true;
  const changing = '(?:edit|change|update|modify|rewrite|fix|adjust|add to|extend)';
  const tests = '(?:the\\s+)?(?:tests?|specs?|test\\s+files?|test\\s+cases?)';
  return new RegExp(`\\b${changing}\\s+${tests}\\b`, 'i').test(prompt) || /\b(?:may|can|allowed to)\s+(?:also\s+)?(?:edit|change|touch|modify)\s+(?:the\s+)?test/i.test(prompt);
}
