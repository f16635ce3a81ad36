import type { TestCaseReport, TestFailure, TestFileReport, TestsResultPayload } from '@/lib/protocol';
import { TESTS_LIMITS } from '@/lib/protocol';
import { clip, type CollectedTest, type RunEvent, type SerializedError, type TestStatus } from './protocol';

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
 * What the sandbox announced and has not finished yet: files started without `file-end`, and
 * each file's collected tests. Kept beside the report (which holds finished tests only) so a run
 * the sandbox never finished can still say which tests it interrupted.
 */
export interface RunProgress {
  open: Set<string>;
  collected: Map<string, CollectedTest[]>;
}

export function createProgress(): RunProgress {
  return { open: new Set(), collected: new Map() };
}

export function trackProgress(progress: RunProgress, event: RunEvent): void {
  if (event.type === 'file-start') progress.open.add(event.file);
  else if (event.type === 'file-end') progress.open.delete(event.file);
  else if (event.type === 'collected') progress.collected.set(event.file, event.tests);
}

/**
 * The sandbox stopped in the middle of a run (its process died): in each file it was running,
 * the first collected test without a result (tests run in collection order, so the one that was
 * running) fails with `message`, the rest are `skipped` (as Stop reports what it interrupted); a
 * file that had not collected its tests yet gets `message` as a file error. The run is `error`.
 */
export function markInterrupted(report: TestsResultPayload, progress: RunProgress, message: string): void {
  for (const path of progress.open) {
    const file = report.files.find((f) => f.path === path);
    if (!file) continue;
    const done = new Set(file.tests.map((t) => t.id));
    const left = (progress.collected.get(path) ?? []).filter((t) => !done.has(t.id));
    if (left.length === 0) {
      if (file.errors.length < 20) file.errors.push({ message: clip(message, 4_000) });
      continue;
    }
    left.forEach((t, i) => {
      if (totalCases(report) >= TESTS_LIMITS.cases) return;
      const name = t.name.slice(-16).map((n) => clip(n, 300));
      file.tests.push(i === 0 ? { id: t.id, name, status: 'failed', durationMs: 0, error: { message: clip(message, 4_000) } } : { id: t.id, name, status: 'skipped', durationMs: 0 });
    });
  }
  progress.open.clear();
  report.status = 'error';
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
