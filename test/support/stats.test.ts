import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cumulative, deliveryLags, p50, quantile } from './stats';

describe('bench stats', () => {
  it('pairs each upstream write with the first paint that covers it, on the page clock', () => {
    // Simulator clock = page clock + 100. Writes at 110 (5 chars) and 120 (10 chars).
    const writes = [110, 5, 120, 10];
    const paints = cumulative([15, 3, 25, 7]); // 3 chars at 15, 10 in all at 25
    assert.deepEqual(deliveryLags(writes, paints, 100), [
      { lag: 15, chars: 5 }, // 5 chars first fully painted at 25 − (110 − 100)
      { lag: 5, chars: 5 },
    ]);
  });

  it('stops at writes never painted', () => {
    assert.deepEqual(deliveryLags([0, 5, 1, 9], [2, 5], 0), [{ lag: 2, chars: 5 }]);
  });

  it('takes nearest-rank quantiles', () => {
    assert.equal(p50([3, 1, 2]), 2);
    assert.equal(quantile([1, 2, 3, 4], 0.99), 4);
    assert.ok(Number.isNaN(p50([])));
  });
});
