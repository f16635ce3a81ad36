import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TESTS_LIMITS, TestsResultPayload } from '@/lib/protocol';
import { applyEvent, countResults, createProgress, createSnapshotter, emptyReport, failCount, markInterrupted, trackProgress } from './aggregate';
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

describe('createSnapshotter', () => {
  const inB = (e: RunEvent) => ({ ...e, file: 'b.test.ts' }) as RunEvent;

  it('copies equal to the report, unaffected by later events, sharing only the files that did not change', () => {
    const report = emptyReport('r1', { kind: 'all' });
    const snapshot = createSnapshotter();
    for (const e of [{ type: 'file-start', file: 'a.test.ts' }, result('0', 'passed'), { type: 'file-start', file: 'b.test.ts' }, inB(result('0', 'passed'))] as RunEvent[]) applyEvent(report, e);
    const s1 = snapshot(report);
    assert.deepEqual(s1, structuredClone(report));

    applyEvent(report, inB(result('1', 'failed', { message: 'no' })));
    const s2 = snapshot(report);
    assert.deepEqual(s2, structuredClone(report));
    assert.equal(s1.files[1].tests.length, 1, 'an earlier copy does not see later events');
    assert.equal(s2.files[0], s1.files[0], 'an unchanged file is the same object');
    assert.notEqual(s2.files[1], s1.files[1]);
    assert.equal(s2.files[1].tests[0], s1.files[1].tests[0], 'unchanged tests are shared');

    // Console lines, dropped console counts, file errors and the run's end each count as a change.
    applyEvent(report, { type: 'console', file: 'a.test.ts', entry: { level: 'log', text: 'hi' } });
    const s3 = snapshot(report);
    assert.notEqual(s3.files[0], s2.files[0]);
    assert.equal(s3.files[1], s2.files[1]);
    applyEvent(report, { type: 'file-end', file: 'a.test.ts', errors: [], consoleDropped: 3 });
    const s4 = snapshot(report);
    assert.equal(s4.files[0].consoleDropped, 3);
    assert.equal(s3.files[0].consoleDropped, 0);
    applyEvent(report, { type: 'file-end', file: 'b.test.ts', errors: [{ message: 'afterAll failed' }], consoleDropped: 0 });
    applyEvent(report, { type: 'run-end', status: 'done', durationMs: 5 });
    const s5 = snapshot(report);
    assert.deepEqual(s5, structuredClone(report));
    assert.equal(s4.status, 'running');
    assert.equal(s5.files[1].errors.length, 1);
    assert.equal(s4.files[1].errors.length, 0);
  });
});

describe('a run the sandbox did not finish', () => {
  it('fails the test that was running, skips the rest of its file, keeps finished files, and is an error', () => {
    const report = emptyReport('r1', { kind: 'all' });
    const progress = createProgress();
    const tests = (file: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i), name: [file, `t${i}`] }));
    const events: RunEvent[] = [
      { type: 'file-start', file: 'a.test.ts' },
      { type: 'collected', file: 'a.test.ts', tests: tests('a', 1) },
      { type: 'test', file: 'a.test.ts', result: { id: '0', name: ['a', 't0'], status: 'passed', durationMs: 1 } },
      { type: 'file-end', file: 'a.test.ts', errors: [], consoleDropped: 0 },
      { type: 'file-start', file: 'b.test.ts' },
      { type: 'collected', file: 'b.test.ts', tests: tests('b', 3) },
      { type: 'test', file: 'b.test.ts', result: { id: '0', name: ['b', 't0'], status: 'passed', durationMs: 1 } },
      // t1 was allocating when the process died; t2 never ran.
    ];
    for (const e of events) {
      trackProgress(progress, e);
      applyEvent(report, e);
    }
    markInterrupted(report, progress, 'The test sandbox stopped');
    assert.equal(report.status, 'error');
    assert.deepEqual(report.files[0].tests.map((t) => t.status), ['passed']);
    assert.deepEqual(report.files[1].tests.map((t) => [t.name.join(' > '), t.status, t.error?.message]), [
      ['b > t0', 'passed', undefined],
      ['b > t1', 'failed', 'The test sandbox stopped'],
      ['b > t2', 'skipped', undefined],
    ]);
    assert.ok(TestsResultPayload.safeParse(report).success);
  });
  it('a file that stopped before collecting its tests gets the message as a file error', () => {
    const report = emptyReport('r1', { kind: 'all' });
    const progress = createProgress();
    for (const e of [{ type: 'file-start', file: 'c.test.ts' }] as RunEvent[]) {
      trackProgress(progress, e);
      applyEvent(report, e);
    }
    markInterrupted(report, progress, 'The test sandbox stopped');
    assert.deepEqual(report.files[0].errors.map((e) => e.message), ['The test sandbox stopped']);
    assert.equal(countResults(report).fileErrors, 1);
  });
});
