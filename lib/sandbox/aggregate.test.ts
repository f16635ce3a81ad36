import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TESTS_LIMITS, TestsResultPayload } from '@/lib/protocol';
import { applyEvent, countResults, emptyReport, failCount } from './aggregate';
import type { RunEvent } from './protocol';

const result = (id: string, status: 'passed' | 'failed' | 'skipped' | 'timedout', error?: { message: string; stack?: string }) =>
  ({ type: 'test', file: 'a.test.ts', result: { id, name: ['suite', `t${id}`], status, durationMs: 2, ...(error ? { error } : {}) } }) as RunEvent;

describe('aggregate', () => {
  it('folds a run into a report the relay schema accepts, with counts', () => {
    const report = emptyReport('r1', { kind: 'all' });
    const events: RunEvent[] = [
      { type: 'file-start', file: 'a.test.ts' },
      { type: 'collected', file: 'a.test.ts', tests: [] },
      result('0', 'passed'),
      result('1', 'failed', { message: 'expected 1 to be 2', stack: 'at flint-bundle:3:7' }),
      result('2', 'skipped'),
      result('3', 'timedout', { message: 'too slow' }),
      { type: 'console', file: 'a.test.ts', entry: { level: 'log', text: 'hi', testId: '0' } },
      { type: 'file-end', file: 'a.test.ts', errors: [], consoleDropped: 4 },
      { type: 'file-start', file: 'b.test.ts' },
      { type: 'file-end', file: 'b.test.ts', errors: [{ message: 'afterAll failed' }], consoleDropped: 0 },
      { type: 'run-end', status: 'done', durationMs: 12 },
    ];
    for (const e of events) applyEvent(report, e, { locate: (file) => ({ path: file, line: 3, column: 6 }), rewriteStack: (_f, s) => s.replace('flint-bundle', 'a.test.ts') });
    assert.ok(TestsResultPayload.safeParse(report).success);
    assert.equal(report.status, 'done');
    assert.deepEqual(report.files.map((f) => f.path), ['a.test.ts', 'b.test.ts']);
    const failed = report.files[0].tests[1];
    assert.deepEqual(failed.error?.location, { path: 'a.test.ts', line: 3, column: 6 });
    assert.equal(failed.error?.stack, 'at a.test.ts:3:7');
    assert.equal(report.files[0].tests[0].error, undefined);
    assert.equal(report.files[0].consoleDropped, 4);
    const counts = countResults(report);
    assert.deepEqual(counts, { passed: 1, failed: 1, skipped: 1, timedout: 1, fileErrors: 1 });
    assert.equal(failCount(counts), 3);
  });

  it('counts a test reported twice once', () => {
    const report = emptyReport('r', { kind: 'all' });
    applyEvent(report, { type: 'file-start', file: 'a.test.ts' });
    applyEvent(report, result('0', 'passed'));
    applyEvent(report, result('0', 'failed', { message: 'again' }));
    assert.deepEqual(countResults(report), { passed: 1, failed: 0, skipped: 0, timedout: 0, fileErrors: 0 });
  });

  it('caps console lines and cases so the report always fits the relay limits', () => {
    const report = emptyReport('r', { kind: 'all' });
    applyEvent(report, { type: 'file-start', file: 'a.test.ts' });
    for (let i = 0; i < TESTS_LIMITS.console + 50; i++) applyEvent(report, { type: 'console', file: 'a.test.ts', entry: { level: 'log', text: 'x'.repeat(3000) } });
    for (let i = 0; i < TESTS_LIMITS.cases + 10; i++) applyEvent(report, result(String(i), 'passed'));
    assert.equal(report.files[0].console.length, TESTS_LIMITS.console);
    assert.equal(report.files[0].consoleDropped, 50);
    assert.equal(report.files[0].tests.length, TESTS_LIMITS.cases);
    assert.ok(TestsResultPayload.safeParse(report).success);
  });

  it('ignores events for files that never started', () => {
    const report = emptyReport('r', { kind: 'all' });
    applyEvent(report, result('0', 'passed'));
    assert.equal(report.files.length, 0);
  });

  it('counts nothing for no report', () => {
    assert.equal(failCount(countResults(null)), 0);
  });
});
