import { z } from '@/lib/zod';

/**
 * Messages between the IDE page, the sandbox iframe (the "host") and its workers. Every side
 * validates what it receives with these schemas: the iframe runs untrusted code next to it, and
 * a worker may be in any state when it posts. Keep in sync with lib/sandbox/CONTEXT.md.
 *
 * IDE → host: `ping`, `run`, `cancel`.   host → IDE: `pong`, `run-events` (a batch of `RunEvent`s, in order).
 * host → worker: `start`.                worker → host: `WorkerEvent`.
 * Example: `{type:'run-events', runId:'r1', events:[{type:'test', file:'src/a.test.ts', result:{…}}]}`
 */

export const SANDBOX_PROTOCOL = 2;

/** What a worker writes in stacks in place of its test bundle's blob: URL (see locate.ts). */
export const BUNDLE_URL = 'flint-bundle';

/** Limits a run is held to; the IDE sends them with each run, the host enforces them. */
export const DEFAULT_LIMITS = {
  testTimeoutMs: 5_000,
  runTimeoutMs: 60_000,
  /** Console text kept per file, in characters; the rest is counted, not kept. */
  consoleMaxChars: 20_000,
  /** How many times a file's worker is restarted after a runaway test was killed. */
  maxRestarts: 20,
} as const;

const Str = (max: number) => z.string().max(max);
export const TestStatus = z.enum(['passed', 'failed', 'skipped', 'timedout']);
export type TestStatus = z.infer<typeof TestStatus>;

export const SerializedError = z.object({
  message: Str(20_000),
  name: Str(200).optional(),
  stack: Str(20_000).optional(),
  expected: Str(20_000).optional(),
  actual: Str(20_000).optional(),
  diff: Str(40_000).optional(),
});
export type SerializedError = z.infer<typeof SerializedError>;

export const CollectedTest = z.object({ id: Str(32), name: z.array(Str(2_000)).min(1).max(64) });
export type CollectedTest = z.infer<typeof CollectedTest>;

export const TestResult = CollectedTest.extend({
  status: TestStatus,
  durationMs: z.number().nonnegative(),
  error: SerializedError.optional(),
});
export type TestResult = z.infer<typeof TestResult>;

export const ConsoleLevel = z.enum(['log', 'info', 'warn', 'error', 'debug']);
export const ConsoleEntry = z.object({
  level: ConsoleLevel,
  text: Str(4_000),
  /** The test that was running, if any. */
  testId: Str(32).optional(),
});
export type ConsoleEntry = z.infer<typeof ConsoleEntry>;

export const Limits = z.object({
  testTimeoutMs: z.number().int().min(10).max(600_000),
  runTimeoutMs: z.number().int().min(100).max(3_600_000),
  consoleMaxChars: z.number().int().min(0).max(1_000_000),
  maxRestarts: z.number().int().min(0).max(1_000),
});
export type Limits = z.infer<typeof Limits>;

/** One test file to run, already prepared by the IDE. */
export const RunUnit = z.discriminatedUnion('kind', [
  /**
   * `code`: the test file bundled with what it imports (an IIFE); `sourceMap` stays in the IDE.
   * `environment: 'dom'` runs it in a document of its own instead of a Worker (project-config.ts).
   */
  z.object({ kind: z.literal('js'), file: Str(256), code: Str(20_000_000), environment: z.enum(['worker', 'dom']).optional() }),
  /** Python files are run from the session's sources; every .py file is written to the FS. */
  z.object({ kind: z.literal('py'), file: Str(256) }),
]);
export type RunUnit = z.infer<typeof RunUnit>;

const Bytes = z.instanceof(ArrayBuffer);
export const PyodideAssets = z.object({
  'pyodide.asm.mjs': Bytes,
  'pyodide.asm.wasm': Bytes,
  'python_stdlib.zip': Bytes,
  'pyodide-lock.json': Bytes,
});
export type PyodideAssets = z.infer<typeof PyodideAssets>;

export const RunRequest = z.object({
  type: z.literal('run'),
  runId: Str(64),
  units: z.array(RunUnit).max(500),
  /** Full test name (titles joined with " > ") to run only that test. */
  filter: Str(4_000).optional(),
  limits: Limits,
  /** Source of the worker runtimes, sent once per iframe (the host keeps them). */
  jsRuntime: Str(20_000_000).optional(),
  pyRuntime: Str(20_000_000).optional(),
  pyodide: PyodideAssets.optional(),
  /** Every .py file of the session, for Python units. */
  pyFiles: z.record(Str(256), Str(2_000_000)).optional(),
});
export type RunRequest = z.infer<typeof RunRequest>;

export const IdeToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), nonce: Str(64) }),
  RunRequest,
  z.object({ type: z.literal('cancel'), runId: Str(64) }),
]);
export type IdeToHost = z.infer<typeof IdeToHost>;

/** What a run reports, in order: per file `file-start`, `collected`, `test`/`console`…, `file-end`; then `run-end`. */
export const RunEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file-start'), file: Str(256) }),
  z.object({ type: z.literal('collected'), file: Str(256), tests: z.array(CollectedTest).max(100_000) }),
  z.object({ type: z.literal('test'), file: Str(256), result: TestResult }),
  z.object({ type: z.literal('console'), file: Str(256), entry: ConsoleEntry }),
  z.object({
    type: z.literal('file-end'),
    file: Str(256),
    /** A problem outside any single test: a load error, a failing afterAll, a crash, a time limit. */
    errors: z.array(SerializedError).max(50),
    /** Console characters dropped beyond the cap. */
    consoleDropped: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('run-end'), status: z.enum(['done', 'timedout', 'cancelled']), durationMs: z.number().nonnegative() }),
]);
export type RunEvent = z.infer<typeof RunEvent>;

/** The most events one `run-events` message carries (the host sends more in further messages). */
export const MAX_EVENTS_PER_MESSAGE = 1_000;

export const HostToIde = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pong'), nonce: Str(64), protocol: z.number().int() }),
  /** The host sends a run's events in batches (what accumulated while it was busy), not one message each. */
  z.object({ type: z.literal('run-events'), runId: Str(64), events: z.array(RunEvent).min(1).max(MAX_EVENTS_PER_MESSAGE) }),
]);
export type HostToIde = z.infer<typeof HostToIde>;

/** The global a DOM-environment test document's bootstrap leaves the host's MessagePort in (host/dom-frame.ts). */
export const DOM_FRAME_PORT = '__flintHostPort';

export const WorkerStart = z.object({
  type: z.literal('start'),
  file: Str(256),
  /** For JS: the bundle's blob: URL (created by the host). */
  codeUrl: Str(512).optional(),
  /** For JS in the DOM environment: the bundle itself (host/dom-frame.ts: the host's blob: URLs are not the frame's). */
  code: Str(20_000_000).optional(),
  filter: Str(4_000).optional(),
  skipIds: z.array(Str(32)).max(100_000),
  testTimeoutMs: z.number().int().positive(),
  consoleMaxChars: z.number().int().nonnegative(),
  pyodide: PyodideAssets.optional(),
  pyFiles: z.record(Str(256), Str(2_000_000)).optional(),
});
export type WorkerStart = z.infer<typeof WorkerStart>;

/**
 * Sent to a fresh Python worker right away, so Pyodide boots while it waits for its first file
 * (the host keeps one booted spare between runs). A Python worker then takes several `start`s,
 * one file after another, in the same interpreter (as pytest runs a session in one process).
 */
export const WorkerBoot = z.object({ type: z.literal('boot'), pyodide: PyodideAssets });
export type WorkerBoot = z.infer<typeof WorkerBoot>;
export const HostToWorker = z.discriminatedUnion('type', [WorkerStart, WorkerBoot]);

export const WorkerEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('collected'), tests: z.array(CollectedTest).max(100_000) }),
  /** `timeoutMs`: the test's own limit (`it(name, fn, ms)`), when it has one. */
  z.object({ type: z.literal('test-start'), id: Str(32), timeoutMs: z.number().int().min(1).max(600_000).optional() }),
  z.object({ type: z.literal('test'), result: TestResult }),
  z.object({ type: z.literal('console'), entry: ConsoleEntry }),
  z.object({ type: z.literal('done'), errors: z.array(SerializedError).max(50), consoleDropped: z.number().int().nonnegative() }),
]);
export type WorkerEvent = z.infer<typeof WorkerEvent>;

/**
 * Several events in one message, in order. A JS worker holds `collected` and `test` back and
 * sends them with the next `test-start`, `console` or `done`, or before a hook runs: the host
 * always knows which test is running before that test's code runs, with one message per test
 * instead of two.
 */
export const WorkerBatch = z.object({ type: z.literal('batch'), events: z.array(WorkerEvent).min(1).max(MAX_EVENTS_PER_MESSAGE) });
export type WorkerBatch = z.infer<typeof WorkerBatch>;

/** Cuts a string to `max` characters, saying how much was cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `… [${text.length - max} more characters]`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/** Fits an error into the schema's limits instead of failing validation on a huge message. */
export function clipError(e: SerializedError): SerializedError {
  const out: SerializedError = { message: clip(e.message, 20_000) };
  if (e.name !== undefined) out.name = clip(e.name, 200);
  if (e.stack !== undefined) out.stack = clip(e.stack, 20_000);
  if (e.expected !== undefined) out.expected = clip(e.expected, 20_000);
  if (e.actual !== undefined) out.actual = clip(e.actual, 20_000);
  if (e.diff !== undefined) out.diff = clip(e.diff, 40_000);
  return out;
}
