/**
 * The JavaScript test API that test files see as globals (`describe`, `it`, `test`, hooks) and
 * the runner behind it. Pure: no worker, DOM or Node APIs, so it is unit-tested in Node and
 * bundled into the sandbox worker unchanged. `expect` is not here: it comes from @vitest/expect.
 *
 * Invariants:
 * - Collection is synchronous: a file registers everything while it loads; `describe` callbacks
 *   run at once. Test ids are the order of registration ("0", "1", …), so the same file collects
 *   the same ids again — which is how a killed worker resumes (`skipIds`) after a runaway test.
 * - `.only` anywhere in the file limits the run to tests marked `.only` (directly or through a
 *   `describe.only`); everything else is reported `skipped`. A `filter` (run one test) removes
 *   the others from the report altogether.
 * - Hooks: a suite's `beforeAll`/`afterAll` run once, and only when it has a test to run.
 *   `beforeEach` runs outer → inner, `afterEach` inner → outer, even after a failure. A failing
 *   `beforeAll` fails that suite's tests without running them.
 * - Each test is reported exactly once, through `onTestEnd`.
 */

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'timedout';
type Fn = (...args: never[]) => unknown;
type Mode = 'run' | 'skip' | 'only' | 'todo';

export interface SerializedError {
  message: string;
  name?: string;
  stack?: string;
  expected?: string;
  actual?: string;
  diff?: string;
}

export interface CollectedTest {
  id: string;
  /** Describe titles, then the test's own title. */
  name: string[];
}

export interface StartedTest extends CollectedTest {
  /** The test's own time limit, when it set one (`it(name, fn, ms)`). */
  timeoutMs?: number;
}

export interface HarnessResult extends CollectedTest {
  status: TestStatus;
  durationMs: number;
  error?: SerializedError;
}

export interface RunOptions {
  /** Per-test (and per-hook) time limit for asynchronous work. Default 5000. */
  testTimeoutMs?: number;
  /** Only the test whose full name (titles joined with " > ") is this. */
  filter?: string;
  /** Tests already reported by an earlier, killed attempt at this file. */
  skipIds?: readonly string[];
  serializeError?: (err: unknown) => SerializedError;
  onCollected?: (tests: CollectedTest[]) => void;
  onTestStart?: (test: StartedTest) => void;
  onTestEnd?: (result: HarnessResult) => void;
  /** Called around each test, e.g. to reset `expect`'s assertion count. */
  beforeTest?: (test: CollectedTest) => void;
  afterTest?: (test: CollectedTest) => void;
  /**
   * Called before hooks (the file's own code) run, as `onTestStart` is before a test: a reporter
   * that holds events back to send several in one message sends them here, so they are out
   * before code that might never return.
   */
  beforeHooks?: () => void;
  now?: () => number;
}

export interface RunSummary {
  /** Errors outside any test: in `afterAll`, or thrown while registering tests. */
  errors: SerializedError[];
}

interface Suite {
  kind: 'suite';
  name: string;
  parent: Suite | null;
  mode: Mode;
  children: Array<Suite | TestCase>;
  beforeAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
  afterAll: Fn[];
}

interface TestCase {
  kind: 'test';
  id: string;
  name: string;
  suite: Suite;
  mode: Mode;
  fn?: Fn;
  timeoutMs?: number;
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export const FULL_NAME_SEPARATOR = ' > ';

export function fullName(name: readonly string[]): string {
  return name.join(FULL_NAME_SEPARATOR);
}

/** `%s`-style and `$key` formatting of `.each` titles, as Jest and Vitest do it. */
export function formatEachTitle(template: string, row: unknown, index: number): string {
  const args = Array.isArray(row) ? row : [row];
  let i = 0;
  let title = template.replace(/%([sdifjoOp#%])/g, (match, flag: string) => {
    if (flag === '%') return '%';
    if (flag === '#') return String(index);
    if (i >= args.length) return match;
    const value = args[i++];
    switch (flag) {
      case 'd':
      case 'i':
        return String(flag === 'i' ? Math.trunc(Number(value)) : Number(value));
      case 'f':
        return String(Number(value));
      case 's':
        return typeof value === 'string' ? value : show(value);
      default:
        return show(value);
    }
  });
  if (!Array.isArray(row) && row !== null && typeof row === 'object') {
    title = title.replace(/\$([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)/g, (match, path: string) => {
      let v: unknown = row;
      for (const key of path.split('.')) {
        if (v === null || typeof v !== 'object' || !(key in v)) return match;
        v = (v as Record<string, unknown>)[key];
      }
      return show(v);
    });
  }
  return title;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'symbol' || value === null) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function defaultSerialize(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { message: `thrown: ${show(err)}` };
}

function withTimeout<T>(work: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    Promise.resolve()
      .then(work)
      .then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
  });
}

/** Calls a test or hook; a function declaring a parameter gets a `done` callback. */
function invoke(fn: Fn): Promise<unknown> {
  if (fn.length === 0) return Promise.resolve((fn as () => unknown)());
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(undefined));
    (fn as unknown as (d: typeof done) => unknown)(done);
  });
}

export interface TestApi {
  describe: DescribeFn;
  it: ItFn;
  test: ItFn;
  beforeAll(fn: Fn): void;
  beforeEach(fn: Fn): void;
  afterEach(fn: Fn): void;
  afterAll(fn: Fn): void;
}

type EachFn<R> = (table: readonly unknown[]) => (title: string, fn: (...args: never[]) => unknown, timeoutMs?: number) => R;

export interface DescribeFn {
  (name: string, fn: () => void): void;
  skip(name: string, fn: () => void): void;
  only(name: string, fn: () => void): void;
  each: EachFn<void>;
}

export interface ItFn {
  (name: string, fn?: Fn, timeoutMs?: number): void;
  skip(name: string, fn?: Fn, timeoutMs?: number): void;
  only(name: string, fn?: Fn, timeoutMs?: number): void;
  todo(name: string): void;
  each: EachFn<void> & { skip: EachFn<void>; only: EachFn<void> };
}

export class Harness {
  private readonly root: Suite = newSuite('', null, 'run');
  private current: Suite = this.root;
  private readonly tests: TestCase[] = [];
  private readonly collectErrors: SerializedError[] = [];
  private hasOnly = false;
  private running = false;
  readonly api: TestApi;

  constructor() {
    const self = this;
    const describeWith = (mode: Mode) => (name: string, fn: () => void) => self.describe(String(name), fn, mode);
    const describeEach = (mode: Mode): EachFn<void> => (table) => (title, body) => {
      if (!Array.isArray(table)) throw new TypeError('.each expects an array of rows');
      table.forEach((row, i) => self.describe(formatEachTitle(title, row, i), () => void callRow(body, row), mode));
    };
    const describe = Object.assign(describeWith('run'), {
      skip: describeWith('skip'),
      only: describeWith('only'),
      each: describeEach('run'),
    }) as DescribeFn;
    const itWith = (mode: Mode) => (name: string, fn?: Fn, timeoutMs?: number) => self.addTest(String(name), fn, mode, timeoutMs);
    const eachWith = (mode: Mode): EachFn<void> => (table) => (title, body, timeoutMs) => {
      if (!Array.isArray(table)) throw new TypeError('.each expects an array of rows');
      table.forEach((row, i) => self.addTest(formatEachTitle(title, row, i), () => callRow(body, row), mode, timeoutMs));
    };
    const it = Object.assign(itWith('run'), {
      skip: itWith('skip'),
      only: itWith('only'),
      todo: (name: string) => self.addTest(String(name), undefined, 'todo'),
      each: Object.assign(eachWith('run'), { skip: eachWith('skip'), only: eachWith('only') }),
    }) as ItFn;
    this.api = {
      describe,
      it,
      test: it,
      beforeAll: (f) => this.hook('beforeAll', f),
      beforeEach: (f) => this.hook('beforeEach', f),
      afterEach: (f) => this.hook('afterEach', f),
      afterAll: (f) => this.hook('afterAll', f),
    };
  }

  private guardCollecting(what: string) {
    if (this.running) throw new Error(`${what} cannot be called while tests run; call it at the top level of the file or inside describe()`);
  }

  private describe(name: string, fn: () => void, mode: Mode) {
    this.guardCollecting('describe()');
    if (typeof fn !== 'function') throw new TypeError(`describe("${name}") needs a callback`);
    if (mode === 'only') this.hasOnly = true;
    const suite = newSuite(name, this.current, mode);
    this.current.children.push(suite);
    const parent = this.current;
    this.current = suite;
    try {
      const r = fn() as unknown;
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        throw new Error(`describe("${name}") callback returned a promise: register tests synchronously`);
      }
    } catch (err) {
      this.collectErrors.push(defaultSerialize(err));
      // Keep the real error object for the runtime's richer serializer.
      this.rawCollectErrors.push(err);
    } finally {
      this.current = parent;
    }
  }

  private readonly rawCollectErrors: unknown[] = [];

  private addTest(name: string, fn: Fn | undefined, mode: Mode, timeoutMs?: number) {
    this.guardCollecting('it()/test()');
    if (fn !== undefined && typeof fn !== 'function') throw new TypeError(`test "${name}": the second argument must be a function`);
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= 600_000)) {
      throw new RangeError(`test "${name}": the time limit must be a whole number of ms between 1 and 600000`);
    }
    if (mode === 'only') this.hasOnly = true;
    const test: TestCase = { kind: 'test', id: String(this.tests.length), name, suite: this.current, mode: fn || mode === 'todo' ? mode : 'todo', fn, timeoutMs };
    this.tests.push(test);
    this.current.children.push(test);
  }

  private hook(kind: 'beforeAll' | 'beforeEach' | 'afterEach' | 'afterAll', fn: Fn) {
    this.guardCollecting(`${kind}()`);
    if (typeof fn !== 'function') throw new TypeError(`${kind} needs a function`);
    this.current[kind].push(fn);
  }

  /** Records an error thrown while the file itself was loading (outside any describe). */
  recordLoadError(err: unknown) {
    this.rawCollectErrors.push(err);
    this.collectErrors.push(defaultSerialize(err));
  }

  collected(): CollectedTest[] {
    return this.tests.map((t) => ({ id: t.id, name: titles(t) }));
  }

  async run(options: RunOptions = {}): Promise<RunSummary> {
    const serialize = options.serializeError ?? defaultSerialize;
    const now = options.now ?? (() => performance.now());
    const timeoutMs = options.testTimeoutMs ?? 5000;
    const skipIds = new Set(options.skipIds ?? []);
    const errors: SerializedError[] = this.rawCollectErrors.map((e) => serialize(e));
    this.running = true;

    const inFilter = (t: TestCase) => options.filter === undefined || fullName(titles(t)) === options.filter;
    const reported = (t: TestCase) => inFilter(t) && !skipIds.has(t.id);
    const runnable = (t: TestCase) => {
      if (!reported(t) || t.mode === 'todo' || t.mode === 'skip' || !t.fn) return false;
      const chain = ancestors(t.suite);
      if (chain.some((s) => s.mode === 'skip')) return false;
      if (this.hasOnly && options.filter === undefined) return t.mode === 'only' || chain.some((s) => s.mode === 'only');
      return true;
    };
    const info = (t: TestCase): CollectedTest => ({ id: t.id, name: titles(t) });
    const emit = (t: TestCase, status: TestStatus, durationMs: number, error?: SerializedError) =>
      options.onTestEnd?.({ ...info(t), status, durationMs, ...(error ? { error } : {}) });

    options.onCollected?.(this.tests.filter(reported).map(info));

    const runHooks = async (hooks: Fn[], what: string) => {
      if (hooks.length > 0) options.beforeHooks?.();
      for (const h of hooks) await withTimeout(() => invoke(h), timeoutMs, what);
    };
    /** Outermost first: the order `beforeEach` hooks run in. */
    const eachChain = (suite: Suite): Suite[] => ancestors(suite).reverse();

    const runTest = async (t: TestCase, inheritedError: unknown) => {
      options.onTestStart?.(t.timeoutMs !== undefined ? { ...info(t), timeoutMs: t.timeoutMs } : info(t));
      const started = now();
      if (inheritedError !== undefined) return emit(t, 'failed', 0, serialize(inheritedError));
      let error: unknown;
      let timedOut = false;
      const chain = eachChain(t.suite);
      options.beforeTest?.(info(t));
      try {
        for (const s of chain) await runHooks(s.beforeEach, 'beforeEach hook');
        const limit = t.timeoutMs ?? timeoutMs;
        await withTimeout(() => invoke(t.fn!), limit, `test "${t.name}"`);
      } catch (err) {
        error = err;
        timedOut = err instanceof TimeoutError;
      }
      for (const s of [...chain].reverse()) {
        try {
          await runHooks(s.afterEach, 'afterEach hook');
        } catch (err) {
          error ??= err;
        }
      }
      try {
        options.afterTest?.(info(t));
      } catch (err) {
        error ??= err;
      }
      const duration = now() - started;
      if (error === undefined) emit(t, 'passed', duration);
      else emit(t, timedOut ? 'timedout' : 'failed', duration, serialize(error));
    };

    const runSuite = async (suite: Suite, inheritedError: unknown) => {
      const tests = testsOf(suite);
      const toRun = tests.filter(runnable);
      let beforeAllError = inheritedError;
      if (toRun.length > 0 && beforeAllError === undefined) {
        try {
          await runHooks(suite.beforeAll, 'beforeAll hook');
        } catch (err) {
          beforeAllError = err;
        }
      }
      for (const child of suite.children) {
        if (child.kind === 'suite') await runSuite(child, beforeAllError);
        else if (runnable(child)) await runTest(child, beforeAllError);
        else if (reported(child)) emit(child, 'skipped', 0);
      }
      if (toRun.length > 0) {
        try {
          await runHooks(suite.afterAll, 'afterAll hook');
        } catch (err) {
          errors.push(serialize(err));
        }
      }
    };

    try {
      await runSuite(this.root, undefined);
    } finally {
      this.running = false;
    }
    return { errors };
  }
}

function newSuite(name: string, parent: Suite | null, mode: Mode): Suite {
  return { kind: 'suite', name, parent, mode, children: [], beforeAll: [], beforeEach: [], afterEach: [], afterAll: [] };
}

function ancestors(suite: Suite): Suite[] {
  const out: Suite[] = [];
  for (let s: Suite | null = suite; s; s = s.parent) out.push(s);
  return out;
}

function titles(t: TestCase): string[] {
  return ancestors(t.suite)
    .reverse()
    .filter((s) => s.parent !== null)
    .map((s) => s.name)
    .concat(t.name);
}

function testsOf(suite: Suite): TestCase[] {
  return suite.children.flatMap((c) => (c.kind === 'test' ? [c] : testsOf(c)));
}

function callRow(body: (...args: never[]) => unknown, row: unknown): unknown {
  return Array.isArray(row) ? (body as (...a: unknown[]) => unknown)(...row) : (body as (a: unknown) => unknown)(row);
}
