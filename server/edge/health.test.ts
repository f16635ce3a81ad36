import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { healthReporter } from './health';

describe('the readiness report', () => {
  it('is ready only when every check answers and the process is not draining', async () => {
    let draining = false;
    let redisUp = true;
    const report = healthReporter(
      {
        database: async () => {},
        redis: async () => {
          if (!redisUp) throw new Error('connection refused');
        },
      },
      () => draining,
    );
    assert.deepEqual(await report(), { ready: true, checks: { database: 'ok', redis: 'ok' } });
    redisUp = false;
    assert.deepEqual(await report(), { ready: false, checks: { database: 'ok', redis: 'connection refused' } });
    redisUp = true;
    draining = true;
    const r = await report();
    assert.equal(r.ready, false);
    assert.match(r.checks.process, /draining/);
  });

  it('a check that hangs fails after its timeout instead of holding the answer', async () => {
    const report = healthReporter({ database: () => new Promise<void>(() => {}) }, () => false);
    const r = await report();
    assert.equal(r.ready, false);
    assert.match(r.checks.database, /no answer within/);
  });
});
