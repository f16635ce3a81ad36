import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, HostToIde, MAX_EVENTS_PER_MESSAGE, IdeToHost, WorkerBatch, WorkerEvent, WorkerStart, clip, clipError } from './protocol';

const limits = { ...DEFAULT_LIMITS };

describe('sandbox messages', () => {
  it('accept a well-formed run request', () => {
    const r = IdeToHost.safeParse({ type: 'run', runId: 'r1', units: [{ kind: 'js', file: 'a.test.ts', code: '1' }, { kind: 'py', file: 'test_a.py' }], limits });
    assert.ok(r.success);
  });
  it('reject unknown message types, missing fields and wrong kinds', () => {
    for (const bad of [
      null,
      'run',
      { type: 'eval', code: 'alert(1)' },
      { type: 'run', runId: 'r1', units: [], limits: { ...limits, testTimeoutMs: -1 } },
      { type: 'run', runId: 'r1', units: [{ kind: 'js', file: 'a.ts' }], limits },
      { type: 'run', runId: 'r1', units: [{ kind: 'rb', file: 'a.rb' }], limits },
      { type: 'ping' },
    ]) {
      assert.equal(IdeToHost.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
  it('bound the run time limit (no endless runs by request)', () => {
    assert.equal(IdeToHost.safeParse({ type: 'run', runId: 'r', units: [], limits: { ...limits, runTimeoutMs: 10 * 3_600_000 } }).success, false);
  });
  it('accept host events and reject a forged status', () => {
    const test = { type: 'test', file: 'a.test.ts', result: { id: '0', name: ['x'], status: 'passed', durationMs: 1 } };
    assert.ok(HostToIde.safeParse({ type: 'run-events', runId: 'r', events: [test, { type: 'file-end', file: 'a.test.ts', errors: [], consoleDropped: 0 }] }).success);
    assert.equal(HostToIde.safeParse({ type: 'run-events', runId: 'r', events: [test, { ...test, result: { ...test.result, status: 'pwned' } }] }).success, false);
    assert.equal(HostToIde.safeParse({ type: 'run-events', runId: 'r', events: [{ ...test, result: { ...test.result, durationMs: -5 } }] }).success, false);
    assert.equal(HostToIde.safeParse({ type: 'run-events', runId: 'r', events: [] }).success, false);
    assert.equal(HostToIde.safeParse({ type: 'run-events', runId: 'r', events: Array(MAX_EVENTS_PER_MESSAGE + 1).fill(test) }).success, false);
  });
  it('validate what a worker posts: a test that posts garbage is ignored, not trusted', () => {
    assert.ok(WorkerEvent.safeParse({ type: 'test-start', id: '3' }).success);
    assert.equal(WorkerEvent.safeParse({ type: 'test-start', id: 3 }).success, false);
    assert.equal(WorkerEvent.safeParse({ hello: 'host' }).success, false);
    assert.equal(WorkerEvent.safeParse({ type: 'console', entry: { level: 'shout', text: 'x' } }).success, false);
  });
  it('validate a worker batch as a whole: one forged event refuses the batch', () => {
    const ok = { type: 'test', result: { id: '0', name: ['t'], status: 'passed', durationMs: 1 } };
    assert.ok(WorkerBatch.safeParse({ type: 'batch', events: [ok, { type: 'test-start', id: '1' }] }).success);
    assert.equal(WorkerBatch.safeParse({ type: 'batch', events: [ok, { type: 'test-start', id: 1 }] }).success, false);
    assert.equal(WorkerBatch.safeParse({ type: 'batch', events: [{ type: 'batch', events: [ok] }] }).success, false);
    assert.equal(WorkerBatch.safeParse({ type: 'batch', events: [] }).success, false);
  });
  it('require skip ids and limits in a worker start', () => {
    assert.ok(WorkerStart.safeParse({ type: 'start', file: 'a', codeUrl: 'blob:x', skipIds: [], testTimeoutMs: 5, consoleMaxChars: 0 }).success);
    assert.equal(WorkerStart.safeParse({ type: 'start', file: 'a', testTimeoutMs: 5, consoleMaxChars: 0 }).success, false);
  });
});

describe('clip', () => {
  it('keeps short text and says how much was cut from long text', () => {
    assert.equal(clip('abc', 10), 'abc');
    const c = clip('x'.repeat(1000), 100);
    assert.equal(c.length, 100);
    assert.match(c, /\[\d+ more characters\]$/);
  });
  it('fits a huge error into the schema', () => {
    const e = clipError({ message: 'm'.repeat(100_000), stack: 's'.repeat(100_000), diff: 'd'.repeat(100_000) });
    assert.ok(WorkerEvent.safeParse({ type: 'test', result: { id: '0', name: ['t'], status: 'failed', durationMs: 0, error: e } }).success);
  });
});
