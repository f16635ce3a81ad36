/**
 * The JavaScript/TypeScript test worker (bundled by scripts/sandbox-bundle-loader.cjs and started
 * by the sandbox host from a blob: URL). One worker runs one test file: it installs the test API
 * and `expect` (@vitest/expect on chai) as globals, loads the file's bundle, runs it and reports
 * every step to the host, which enforces the time limits by terminating it.
 */
import * as chai from 'chai';
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend, getState, setState, type ExpectStatic } from '@vitest/expect';
import { processError } from '@vitest/utils/error';
import { fn, spyOn, isMockFunction, clearAllMocks, resetAllMocks, restoreAllMocks } from '@vitest/spy';
import { format } from '@vitest/utils/display';
import { Harness, type SerializedError } from '../harness';
import { BUNDLE_URL, WorkerStart, clipError, type WorkerEvent } from '../protocol';
import { captureConsole, stripAnsi } from './capture';

declare const self: { postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null };
declare function importScripts(...urls: string[]): void;

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** Vitest's own construction of `expect` (packages/vitest/src/integrations/chai). */
function createExpect() {
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect);
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    return chai.expect(value, message);
  }) as unknown as ExpectStatic & { assertions(n: number): void; hasAssertions(): void };
  Object.assign(expect, chai.expect);
  expect.getState = () => getState(expect);
  expect.setState = (state) => setState(state, expect);
  expect.extend = (matchers) => (chai.expect as unknown as { extend(e: unknown, m: unknown): void }).extend(expect, matchers);
  expect.assertions = (expected: number) => {
    const errorGen = () => new Error(`expected number of assertions to be ${expected}, but got ${expect.getState().assertionCalls}`);
    expect.setState({ expectedAssertionsNumber: expected, expectedAssertionsNumberErrorGen: errorGen });
  };
  expect.hasAssertions = () => {
    expect.setState({ isExpectingAssertions: true, isExpectingAssertionsError: new Error('expected any number of assertion, but got none') });
  };
  return expect;
}

let bundleUrl = '';

function serialize(err: unknown): SerializedError {
  let e: { message?: unknown; name?: unknown; stack?: unknown; expected?: unknown; actual?: unknown; diff?: unknown };
  try {
    e = processError(err) as typeof e;
  } catch {
    e = { message: String(err) };
  }
  const str = (v: unknown) => (typeof v === 'string' ? stripAnsi(v) : undefined);
  const out: SerializedError = { message: str(e.message) ?? String(err) };
  if (typeof e.name === 'string') out.name = e.name;
  if (typeof e.stack === 'string') out.stack = bundleUrl ? e.stack.split(bundleUrl).join(BUNDLE_URL) : e.stack;
  if (typeof e.diff === 'string') out.diff = stripAnsi(e.diff);
  if (e.expected !== undefined) out.expected = str(e.expected);
  if (e.actual !== undefined) out.actual = str(e.actual);
  if (!(err instanceof Error) && err !== null && typeof err !== 'object') out.message = `thrown: ${String(err)}`;
  return clipError(out);
}

const post = (event: WorkerEvent) => self.postMessage(event);

let started = false;
self.onmessage = (message) => {
  if (started) return;
  const parsed = WorkerStart.safeParse(message.data);
  if (!parsed.success || !parsed.data.codeUrl) {
    post({ type: 'done', errors: [{ message: 'The sandbox worker got a malformed start message.' }], consoleDropped: 0 });
    return;
  }
  started = true;
  void run(parsed.data);
};

async function run(start: WorkerStart) {
  bundleUrl = start.codeUrl!;
  const harness = new Harness();
  const g = globalThis as Record<string, unknown>;
  // Mocks for `toHaveBeenCalled…`: `vi.fn()`/`vi.spyOn()`, also spelled `jest.*`.
  const mocks = { fn, spyOn, isMockFunction, clearAllMocks, resetAllMocks, restoreAllMocks };
  Object.assign(g, harness.api, { expect: createExpect(), vi: mocks, jest: mocks });
  const expect = g.expect as unknown as ExpectStatic;
  let current: string | undefined;
  const capture = captureConsole(
    console,
    start.consoleMaxChars,
    (args) => stripAnsi(format(args)),
    (entry) => post({ type: 'console', entry }),
    () => current,
  );
  try {
    importScripts(start.codeUrl!);
  } catch (err) {
    harness.recordLoadError(err);
  }
  const summary = await harness.run({
    testTimeoutMs: start.testTimeoutMs,
    filter: start.filter,
    skipIds: start.skipIds,
    serializeError: serialize,
    onCollected: (tests) => post({ type: 'collected', tests }),
    onTestStart: (t) => {
      current = t.id;
      post(t.timeoutMs !== undefined ? { type: 'test-start', id: t.id, timeoutMs: t.timeoutMs } : { type: 'test-start', id: t.id });
    },
    onTestEnd: (result) => {
      current = undefined;
      post({ type: 'test', result });
    },
    beforeTest: () =>
      expect.setState({ assertionCalls: 0, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null, isExpectingAssertions: false, isExpectingAssertionsError: null }),
    // `expect.assertions(n)` / `expect.hasAssertions()`, checked as Vitest's runner does.
    afterTest: () => {
      const { assertionCalls, expectedAssertionsNumber, expectedAssertionsNumberErrorGen, isExpectingAssertions, isExpectingAssertionsError } = expect.getState();
      if (expectedAssertionsNumber !== null && expectedAssertionsNumber !== undefined && assertionCalls !== expectedAssertionsNumber) {
        throw expectedAssertionsNumberErrorGen?.() ?? new Error(`expected ${expectedAssertionsNumber} assertions, got ${assertionCalls}`);
      }
      if (isExpectingAssertions && assertionCalls === 0) throw isExpectingAssertionsError ?? new Error('expected at least one assertion');
    },
  });
  post({ type: 'done', errors: summary.errors.map(clipError), consoleDropped: capture.dropped() });
}
