import type { TestCaseReport, TestFailure, TestFileReport, TestsResultPayload } from '@/lib/protocol';
import { TESTS_LIMITS } from '@/lib/protocol';
import { clip, type RunEvent, type SerializedError, type TestStatus } from './protocol';

/**
 * Folds the sandbox's run events into the report the test panel shows and the session relays
 * (`tests:result`). Pure, so the rules are unit-tested: counts, order, caps, and what a file
 * error does to the totals.
 *
 * Invariants:
 * - Files appear in the order they started; tests in the order they finished.
 * - A test id is counted once per file even if a (misbehaving) worker reports it twice.
 * - Console lines past `TESTS_LIMITS.console` per file are counted in `consoleDropped`.
 */

export type Locator = (file: string, error: SerializedError) => TestFailure['location'];

export function emptyReport(runId: string, scope: TestsResultPayload['scope']): TestsResultPayload {
  return { runId, status: 'running', scope, files: [] };
}

export function toFailure(error: SerializedError, location?: TestFailure['location'], rewriteStack?: (s: string) => string): TestFailure {
  const f: TestFailure = { message: clip(error.message, 4_000) };
  if (error.name) f.name = clip(error.name, 200);
  if (error.diff) f.diff = clip(error.diff, 8_000);
  if (error.expected !== undefined) f.expected = clip(error.expected, 2_000);
  if (error.actual !== undefined) f.actual = clip(error.actual, 2_000);
  if (error.stack) f.stack = clip(rewriteStack ? rewriteStack(error.stack) : error.stack, 4_000);
  if (location) f.location = location;
  return f;
}

function fileOf(report: TestsResultPayload, path: string): TestFileReport {
  let file = report.files.find((f) => f.path === path);
  if (!file) {
    file = { path, tests: [], errors: [], console: [], consoleDropped: 0 };
    report.files.push(file);
  }
  return file;
}

function totalCases(report: TestsResultPayload): number {
  return report.files.reduce((n, f) => n + f.tests.length, 0);
}

/**
 * Applies one event, mutating `report` (the caller copies it for React). `locate` turns an
 * error into a session location (through source maps); `rewriteStack` makes its stack readable.
 */
export function applyEvent(
  report: TestsResultPayload,
  event: RunEvent,
  helpers: { locate?: Locator; rewriteStack?: (file: string, stack: string) => string } = {},
): void {
  const failure = (file: string, e: SerializedError) =>
    toFailure(e, helpers.locate?.(file, e) ?? undefined, helpers.rewriteStack ? (s) => helpers.rewriteStack!(file, s) : undefined);
  switch (event.type) {
    case 'file-start':
      if (report.files.length < TESTS_LIMITS.files) fileOf(report, event.file);
      return;
    case 'collected':
      return;
    case 'test': {
      const file = report.files.find((f) => f.path === event.file);
      if (!file || file.tests.some((t) => t.id === event.result.id)) return;
      if (totalCases(report) >= TESTS_LIMITS.cases) return;
      const r = event.result;
      const c: TestCaseReport = {
        id: r.id,
        name: r.name.slice(-16).map((n) => clip(n, 300)),
        status: r.status,
        durationMs: Math.min(r.durationMs, 3_600_000),
      };
      if (r.error && r.status !== 'passed' && r.status !== 'skipped') c.error = failure(event.file, r.error);
      file.tests.push(c);
      return;
    }
    case 'console': {
      const file = report.files.find((f) => f.path === event.file);
      if (!file) return;
      if (file.console.length >= TESTS_LIMITS.console) {
        file.consoleDropped += 1;
        return;
      }
      const { level, text, testId } = event.entry;
      file.console.push(testId === undefined ? { level, text: clip(text, 1_000) } : { level, text: clip(text, 1_000), testId });
      return;
    }
    case 'file-end': {
      const file = report.files.find((f) => f.path === event.file);
      if (!file) return;
      file.consoleDropped += event.consoleDropped;
      for (const e of event.errors) if (file.errors.length < 20) file.errors.push(failure(event.file, e));
      return;
    }
    case 'run-end':
      report.status = event.status;
      report.durationMs = Math.min(event.durationMs, 3_600_000);
      return;
  }
}

/**
 * Copies of a report as it grows, for the panel's store: each copy can be kept while the report
 * keeps changing, and a file that did not change since the last copy is the same object as in
 * that copy (so React skips it), where `structuredClone` made every file and test new each frame.
 * Test, failure and console entries are shared with the live report: `applyEvent` creates them
 * and never changes them afterwards; it only appends to a file's lists and adds to
 * `consoleDropped`, which is what tells a changed file here.
 */
export function createSnapshotter(): (report: TestsResultPayload) => TestsResultPayload {
  const last = new WeakMap<TestFileReport, { tests: number; errors: number; console: number; dropped: number; copy: TestFileReport }>();
  return (report) => ({
    ...report,
    files: report.files.map((f) => {
      const seen = last.get(f);
      if (seen && seen.tests === f.tests.length && seen.errors === f.errors.length && seen.console === f.console.length && seen.dropped === f.consoleDropped) return seen.copy;
      const copy: TestFileReport = { ...f, tests: f.tests.slice(), errors: f.errors.slice(), console: f.console.slice() };
      last.set(f, { tests: f.tests.length, errors: f.errors.length, console: f.console.length, dropped: f.consoleDropped, copy });
      return copy;
    }),
  });
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  timedout: number;
  /** Files that failed outside any test (could not load, a failing afterAll, …). */
  fileErrors: number;
}

export function countResults(report: TestsResultPayload | null): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, timedout: 0, fileErrors: 0 };
  if (!report) return counts;
  for (const file of report.files) {
    if (file.errors.length > 0) counts.fileErrors += 1;
    for (const t of file.tests) counts[t.status as TestStatus] += 1;
  }
  return counts;
}

/** Failures as shown in `test-fail-count`: failed and timed-out tests, plus files that failed to run. */
export function failCount(c: Counts): number {
  return c.failed + c.timedout + c.fileErrors;
}
