import { z } from '@/lib/zod';
import { Limits } from './protocol';

/** The session file that sets test limits for everyone in the session, like a runner config. */
export const TEST_CONFIG_PATH = 'flint.test.json';

const TestConfig = Limits.pick({ testTimeoutMs: true, runTimeoutMs: true, consoleMaxChars: true }).partial().strict();
export type TestConfig = z.infer<typeof TestConfig>;

/**
 * Reads `flint.test.json` from the session's files, e.g. `{"testTimeoutMs": 2000, "runTimeoutMs":
 * 30000}`. Missing file → no overrides; a bad file → an error that names the field.
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
    return { ok: false, error: `${TEST_CONFIG_PATH}: ${where}: ${issue.message}. Allowed: testTimeoutMs, runTimeoutMs, consoleMaxChars.` };
  }
  return { ok: true, config: parsed.data };
}
