import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BundleUrlCache } from './url-cache';

function cache(max?: number) {
  let n = 0;
  const created: string[] = [];
  const revoked: string[] = [];
  const c = new BundleUrlCache(
    (code) => {
      const url = `blob:${++n}:${code}`;
      created.push(url);
      return url;
    },
    (url) => void revoked.push(url),
    max,
  );
  return { c, created, revoked };
}

describe('BundleUrlCache', () => {
  it('gives the same URL for the same file and code, a new one (revoking the old) when the code changes', () => {
    const { c, created, revoked } = cache();
    const a1 = c.urlFor('a.test.ts', 'A');
    assert.equal(c.urlFor('a.test.ts', 'A'), a1);
    const b1 = c.urlFor('b.test.ts', 'A');
    assert.notEqual(b1, a1, 'one URL per file, even for equal code');
    const a2 = c.urlFor('a.test.ts', 'A2');
    assert.notEqual(a2, a1);
    assert.deepEqual(revoked, [a1]);
    assert.equal(c.urlFor('a.test.ts', 'A2'), a2);
    assert.equal(c.urlFor('b.test.ts', 'A'), b1);
    assert.equal(created.length, 3);
  });

  it('revokes the oldest file\'s URL beyond its size, never the one just made', () => {
    const { c, revoked } = cache(2);
    const a = c.urlFor('a', '1');
    const b = c.urlFor('b', '1');
    const b2 = c.urlFor('b', '2'); // b changes: now the newest
    const d = c.urlFor('d', '1');
    assert.deepEqual(revoked, [b, a]);
    assert.equal(c.urlFor('b', '2'), b2);
    assert.equal(c.urlFor('d', '1'), d);
  });
});
