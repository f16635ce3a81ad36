/**
 * The JavaScript/TypeScript test worker (bundled by scripts/sandbox-bundle-loader.cjs and started
 * by the sandbox host from a blob: URL). One worker runs one test file: it installs the test API
 * and `expect` (@vitest/expect on chai) as globals, loads the file's bundle, runs it and reports
 * every step to the host, which enforces the time limits by terminating it.
 *
 * The same script also runs in a document of its own (a file in the DOM environment, host/dom-frame.ts):
 * then it talks to the host over the MessagePort the frame's bootstrap left in `DOM_FRAME_PORT`,
 * and loads the file's bundle with a <script> element.
 */
import * as chai from 'chai';
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend, getState, setState, type ExpectStatic } from '@vitest/expect';
import { processError } from '@vitest/utils/error';
import { fn, spyOn, isMockFunction, clearAllMocks, resetAllMocks, restoreAllMocks } from '@vitest/spy';
import { format } from '@vitest/utils/display';
import { Harness, type SerializedError } from '../harness';
import { BUNDLE_URL, DOM_FRAME_PORT, MAX_EVENTS_PER_MESSAGE, WorkerStart, clipError, type WorkerBatch, type WorkerEvent } from '../protocol';
import { captureConsole, stripAnsi } from './capture';

declare function importScripts(...urls: string[]): void;

/** Where the host is: this Worker's own scope, or in a document the port the host sends first. */
const inWorker = typeof importScripts === 'function';
let toHost: { postMessage(m: unknown): void } | null = inWorker ? (globalThis as unknown as { postMessage(m: unknown): void }) : null;
function listen(onMessage: (data: unknown) => void) {
  if (inWorker) {
    (globalThis as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e) => onMessage(e.data);
    return;
  }
  const port = (globalThis as Record<string, unknown>)[DOM_FRAME_PORT] as MessagePort;
  toHost = port;
  port.onmessage = (m) => onMessage(m.data);
}

/**
 * Runs the test file's bundle. In a Worker `importScripts` throws what the file throws at load; in
 * a document that arrives as an `error` event, which is taken for the file's load error.
 */
function loadBundle(url: string): Promise<unknown> {
  if (inWorker) {
    try {
      importScripts(url);
      return Promise.resolve(undefined);
    } catch (err) {
      return Promise.resolve(err);
    }
  }
  return new Promise((resolve) => {
    let thrown: unknown;
    const onError = (e: ErrorEvent) => {
      if (e.filename !== url) return;
      thrown ??= e.error ?? new Error(e.message);
      e.preventDefault();
      e.stopImmediatePropagation();
    };
    window.addEventListener('error', onError, true);
    const script = document.createElement('script');
    script.src = url;
    const done = (err?: unknown) => {
      window.removeEventListener('error', onError, true);
      resolve(err ?? thrown);
    };
    script.onload = () => done();
    script.onerror = () => done(new Error('The test file could not be loaded into its document.'));
    document.head.append(script);
  });
}

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

/** Held back until the next `send` (see WorkerBatch): results of tests that ran since the last one. */
let held: WorkerEvent[] = [];
const flush = () => {
  if (held.length === 0) return;
  toHost?.postMessage(held.length === 1 ? held[0] : ({ type: 'batch', events: held } satisfies WorkerBatch));
  held = [];
};
const hold = (event: WorkerEvent) => {
  held.push(event);
  if (held.length >= MAX_EVENTS_PER_MESSAGE) flush();
};
/** Sends `event` now, after what was held back. */
const post = (event: WorkerEvent) => {
  hold(event);
  flush();
};

let started = false;
listen((data) => {
  if (started) return;
  const parsed = WorkerStart.safeParse(data);
  if (!parsed.success || !(parsed.data.codeUrl || parsed.data.code)) {
    post({ type: 'done', errors: [{ message: 'The sandbox worker got a malformed start message.' }], consoleDropped: 0 });
    return;
  }
  started = true;
  void run(parsed.data);
});

/** `expect.assertions(n)` / `expect.hasAssertions()`: reset before each test, checked after it, as Vitest's runner does. */
function assertionHooks(expect: ExpectStatic) {
  return {
    beforeTest: () =>
      expect.setState({ assertionCalls: 0, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null, isExpectingAssertions: false, isExpectingAssertionsError: null }),
    afterTest: () => {
      const { assertionCalls, expectedAssertionsNumber, expectedAssertionsNumberErrorGen, isExpectingAssertions, isExpectingAssertionsError } = expect.getState();
      if (expectedAssertionsNumber !== null && expectedAssertionsNumber !== undefined && assertionCalls !== expectedAssertionsNumber) {
        throw expectedAssertionsNumberErrorGen?.() ?? new Error(`expected ${expectedAssertionsNumber} assertions, got ${assertionCalls}`);
      }
      if (isExpectingAssertions && assertionCalls === 0) throw isExpectingAssertionsError ?? new Error('expected at least one assertion');
    },
  };
}

/**
 * Runs the runtime's own code once, on a throwaway harness and `expect`, while this worker waits
 * as a spare: V8 compiles functions on first call, and a fresh worker spent 15–20 ms of its file's
 * run compiling the harness, chai, the matchers and the message schemas. Nothing of it is seen by
 * the test file: no globals are installed, nothing is posted, and the state it touches belongs to
 * its own harness and `expect` instance.
 */
async function warmUp(): Promise<void> {
  try {
    const harness = new Harness();
    const expect = createExpect();
    const { describe, it, beforeEach, afterEach } = harness.api;
    describe('warm-up', () => {
      beforeEach(() => {});
      afterEach(() => {});
      it('passes', () => {
        expect(0.1 + 0.2).toBeCloseTo(0.3);
        expect([3, 1, 2].sort()).toEqual([1, 2, 3]);
        expect({ a: [1, { b: 'c' }] }).toStrictEqual({ a: [1, { b: 'c' }] });
        expect('flint').toContain('in');
        expect(1).toBe(1);
        expect(() => {
          throw new Error('x');
        }).toThrow('x');
      });
      it('fails', () => {
        expect({ a: 1 }).toEqual({ a: 2 });
      });
      it.each([[1, 2]])('each %i', (a: number, b: number) => {
        expect(a * 2).toBe(b);
      });
    });
    await harness.run({ serializeError: serialize, ...assertionHooks(expect) });
    WorkerStart.safeParse({ type: 'start', file: 'warm-up.test.ts', codeUrl: 'blob:warm-up', skipIds: [], testTimeoutMs: 5_000, consoleMaxChars: 0 });
    stripAnsi(format(['warm-up', 1, { a: [1] }]));
  } catch {
    // Only a head start: a test file runs the same either way.
  }
}
const warm = warmUp();

async function run(start: WorkerStart) {
  await warm;
  // A document cannot load the host's blob: URLs (another opaque origin): it gets the code itself.
  bundleUrl = start.code !== undefined ? URL.createObjectURL(new Blob([start.code], { type: 'text/javascript' })) : start.codeUrl!;
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
  if (!inWorker) {
    // What a Worker's `onerror` tells the host (an error thrown outside any test, in a timer say)
    // a document sees itself; the file's own load errors are taken by loadBundle first.
    window.addEventListener('error', (e) => {
      e.preventDefault();
      post({ type: 'console', entry: { level: 'error', text: `Uncaught ${e.message || 'error'}`.slice(0, 4000), ...(current ? { testId: current } : {}) } });
    });
  }
  const loadError = await loadBundle(bundleUrl);
  if (loadError !== undefined) harness.recordLoadError(loadError);
  const summary = await harness.run({
    testTimeoutMs: start.testTimeoutMs,
    filter: start.filter,
    skipIds: start.skipIds,
    serializeError: serialize,
    onCollected: (tests) => hold({ type: 'collected', tests }),
    onTestStart: (t) => {
      current = t.id;
      post(t.timeoutMs !== undefined ? { type: 'test-start', id: t.id, timeoutMs: t.timeoutMs } : { type: 'test-start', id: t.id });
    },
    onTestEnd: (result) => {
      current = undefined;
      hold({ type: 'test', result });
    },
    // Hooks are the file's own code: what is held back goes out before it runs.
    beforeHooks: flush,
    ...assertionHooks(expect),
  });
  post({ type: 'done', errors: summary.errors.map(clipError), consoleDropped: capture.dropped() });
}
