import { z } from '@/lib/zod';
import { Limits } from './protocol';

/** The session file that sets test limits for everyone in the session, like a runner config. */
export const TEST_CONFIG_PATH = 'flint.test.json';

/**
 * Where a JS/TS test file runs, named as Vitest names it: `node` (the default) is a Worker — no
 * DOM, like Node; `jsdom`, `happy-dom` and `dom` all mean a real document of the browser's
 * (no emulation needed in a browser), for tests that render components and query the DOM.
 */
const Environment = z.enum(['node', 'jsdom', 'happy-dom', 'dom']);
const TestConfig = Limits.pick({ testTimeoutMs: true, runTimeoutMs: true, consoleMaxChars: true })
  .extend({ environment: Environment })
  .partial()
  .strict();
export type TestConfig = z.infer<typeof TestConfig>;

/**
 * Reads `flint.test.json` from the session's files, e.g. `{"testTimeoutMs": 2000, "runTimeoutMs":
 * 30000, "environment": "jsdom"}`. Missing file → no overrides; a bad file → an error that names the field.
 */
export function readTestConfig(files: ReadonlyMap<string, string>): { ok: true; config: TestConfig } | { ok: false; error: string } {
  const text = files.get(TEST_CONFIG_PATH);
  if (text === undefined || !text.trim()) return { ok: true, config: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${TEST_CONFIG_PATH} is not valid JSON (${(err as Error).message}).` };
  }
  const parsed = TestConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'the file';
    return { ok: false, error: `${TEST_CONFIG_PATH}: ${where}: ${issue.message}. Allowed: testTimeoutMs, runTimeoutMs, consoleMaxChars, environment.` };
  }
  return { ok: true, config: parsed.data };
}

/** The comments before a file's first statement, where Vitest and Jest read `@…-environment`. */
function leadingComments(source: string): string {
  let i = 0;
  for (;;) {
    while (i < source.length && /\s/.test(source[i])) i++;
    if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end + 1;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else return source.slice(0, i);
  }
}

/**
 * Where `source` (a JS/TS test file) runs: a `@vitest-environment` / `@jest-environment` comment
 * at its top wins over `flint.test.json`'s `environment`; `node` or nothing → a Worker.
 * Returns an error for an environment name Flint does not know.
 */
export function testEnvironmentOf(source: string, config: TestConfig): { ok: true; environment: 'worker' | 'dom' } | { ok: false; error: string } {
  const named = /@(?:vitest|jest)-environment\s+([\w-]+)/.exec(leadingComments(source))?.[1] ?? config.environment ?? 'node';
  const parsed = Environment.safeParse(named);
  if (!parsed.success) return { ok: false, error: `Unknown test environment "${named}": use node, jsdom, happy-dom or dom.` };
  return { ok: true, environment: parsed.data === 'node' ? 'worker' : 'dom' };
}
