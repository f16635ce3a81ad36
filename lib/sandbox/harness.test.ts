import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, formatEachTitle, fullName, type HarnessResult, type RunOptions } from './harness';

/** Registers tests through the harness's API (as a test file would), runs them, returns the results. */
async function run(register: (api: Harness['api']) => void, options: RunOptions = {}) {
  const h = new Harness();
  try {
    register(h.api);
  } catch (err) {
    h.recordLoadError(err);
  }
  const results: HarnessResult[] = [];
  const started: string[] = [];
  const summary = await h.run({ testTimeoutMs: 200, ...options, onTestStart: (t) => started.push(t.id), onTestEnd: (r) => results.push(r) });
  const by = Object.fromEntries(results.map((r) => [fullName(r.name), r.status]));
  return { results, by, summary, started };
}

describe('harness', () => {
  it('reports pass, fail and skip, each exactly once, in order', async () => {
    const { results, by } = await run(({ it, test }) => {
      it('passes', () => {});
      test('fails', () => {
        throw new Error('boom');
      });
      it.skip('skipped', () => {});
      it.todo('later');
    });
    assert.deepEqual(by, { passes: 'passed', fails: 'failed', skipped: 'skipped', later: 'skipped' });
    assert.equal(results.find((r) => r.name[0] === 'fails')?.error?.message, 'boom');
    assert.deepEqual(results.map((r) => r.id), ['0', '1', '2', '3']);
  });

  it('nests describe titles and honours describe.skip', async () => {
    const { by } = await run(({ describe, it }) => {
      describe('outer', () => {
        describe('inner', () => it('deep', () => {}));
        describe.skip('off', () => it('never', () => assert.fail('ran')));
      });
    });
    assert.deepEqual(by, { 'outer > inner > deep': 'passed', 'outer > off > never': 'skipped' });
  });

  it('.only limits the file to focused tests and suites', async () => {
    const { by } = await run(({ describe, it }) => {
      it('plain', () => assert.fail('ran'));
      it.only('focused', () => {});
      describe.only('suite', () => {
        it('inside', () => {});
        it.skip('skipped inside', () => assert.fail('ran'));
      });
    });
    assert.deepEqual(by, { plain: 'skipped', focused: 'passed', 'suite > inside': 'passed', 'suite > skipped inside': 'skipped' });
  });

  it('.each expands arrays, objects and single values with formatted titles', async () => {
    const seen: unknown[] = [];
    const { by } = await run(({ it, describe }) => {
      it.each([
        [1, 2, 3],
        [2, 2, 4],
      ])('add(%i, %i) = %i', (a: number, b: number, sum: number) => {
        seen.push(sum);
        assert.equal(a + b, sum);
      });
      it.each([{ name: 'x', n: 1 }])('object $name #%#', (row: { n: number }) => assert.equal(row.n, 1));
      describe.each(['a', 'b'])('group %s', (letter: string) => it('has a letter', () => assert.equal(letter.length, 1)));
    });
    assert.deepEqual(by, {
      'add(1, 2) = 3': 'passed',
      'add(2, 2) = 4': 'passed',
      'object "x" #0': 'passed',
      'group a > has a letter': 'passed',
      'group b > has a letter': 'passed',
    });
    assert.deepEqual(seen, [3, 4]);
  });

  it('awaits async tests and done callbacks', async () => {
    const { by } = await run(({ it }) => {
      it('async passes', async () => {
        await new Promise((r) => setTimeout(r, 5));
      });
      it('async fails', async () => {
        await Promise.resolve();
        throw new Error('late');
      });
      it('done callback', (done: (e?: unknown) => void) => {
        setTimeout(() => done(), 5);
      });
      it('done with an error', (done: (e?: unknown) => void) => {
        setTimeout(() => done(new Error('via done')), 5);
      });
    });
    assert.deepEqual(by, { 'async passes': 'passed', 'async fails': 'failed', 'done callback': 'passed', 'done with an error': 'failed' });
  });

  it('times out a test that never settles and goes on with the next', async () => {
    const { by, results } = await run(
      ({ it }) => {
        it('hangs', () => new Promise(() => {}));
        it('custom limit', () => new Promise((r) => setTimeout(r, 100)), 20);
        it('next', () => {});
      },
      { testTimeoutMs: 50 },
    );
    assert.deepEqual(by, { hangs: 'timedout', 'custom limit': 'timedout', next: 'passed' });
    assert.match(results[0].error!.message, /timed out after 50 ms/);
  });

  it('runs hooks in order: beforeAll once, beforeEach outer→inner, afterEach inner→outer, afterAll once', async () => {
    const log: string[] = [];
    await run(({ describe, it, beforeAll, beforeEach, afterEach, afterAll }) => {
      beforeAll(() => void log.push('root:beforeAll'));
      beforeEach(() => void log.push('root:beforeEach'));
      afterEach(() => void log.push('root:afterEach'));
      afterAll(() => void log.push('root:afterAll'));
      describe('s', () => {
        beforeAll(() => void log.push('s:beforeAll'));
        beforeEach(() => void log.push('s:beforeEach'));
        afterEach(() => void log.push('s:afterEach'));
        afterAll(() => void log.push('s:afterAll'));
        it('t1', () => void log.push('t1'));
        it('t2', () => void log.push('t2'));
      });
    });
    assert.deepEqual(log, [
      'root:beforeAll',
      's:beforeAll',
      'root:beforeEach', 's:beforeEach', 't1', 's:afterEach', 'root:afterEach',
      'root:beforeEach', 's:beforeEach', 't2', 's:afterEach', 'root:afterEach',
      's:afterAll',
      'root:afterAll',
    ]);
  });

  it('calls beforeHooks before any hook runs, so a reporter holding events back can send them first', async () => {
    const log: string[] = [];
    const h = new Harness();
    const { describe, it, beforeAll, beforeEach, afterEach, afterAll } = h.api;
    describe('a', () => {
      beforeEach(() => void log.push('hook:beforeEach a'));
      afterEach(() => void log.push('hook:afterEach a'));
      afterAll(() => void log.push('hook:afterAll a'));
      it('a1', () => void log.push('body:a1'));
    });
    describe('b', () => {
      beforeAll(() => void log.push('hook:beforeAll b'));
      it('b1', () => void log.push('body:b1'));
      describe('c', () => {
        it.skip('c1', () => {});
      });
    });
    await h.run({ onTestStart: (t) => log.push(`start:${t.name.at(-1)}`), onTestEnd: (r) => log.push(`end:${r.name.at(-1)}`), beforeHooks: () => log.push('flush') });
    assert.deepEqual(log, [
      'start:a1', 'flush', 'hook:beforeEach a', 'body:a1', 'flush', 'hook:afterEach a', 'end:a1',
      'flush', 'hook:afterAll a',
      'flush', 'hook:beforeAll b', 'start:b1', 'body:b1', 'end:b1', 'end:c1',
    ]);
    // Every piece of the file's own code (hook or body) comes right after a flush or a test start.
    log.forEach((entry, i) => {
      if (entry.startsWith('hook:')) assert.equal(log[i - 1], 'flush', `${entry} at ${i}`);
      if (entry.startsWith('body:')) assert.match(log[i - 1], /^(start:|hook:beforeEach)/, `${entry} at ${i}`);
    });
  });

  it('skips hooks of suites with nothing to run', async () => {
    const log: string[] = [];
    await run(({ describe, it, beforeAll }) => {
      describe('all skipped', () => {
        beforeAll(() => void log.push('should not run'));
        it.skip('x', () => {});
      });
    });
    assert.deepEqual(log, []);
  });

  it('fails the tests of a suite whose beforeAll throws, without running them', async () => {
    let ran = false;
    const { by, results } = await run(({ describe, it, beforeAll }) => {
      describe('s', () => {
        beforeAll(() => {
          throw new Error('setup broke');
        });
        it('a', () => {
          ran = true;
        });
      });
      it('outside', () => {});
    });
    assert.equal(ran, false);
    assert.deepEqual(by, { 's > a': 'failed', outside: 'passed' });
    assert.equal(results[0].error?.message, 'setup broke');
  });

  it('fails a test whose afterEach throws, and reports afterAll errors for the file', async () => {
    const { by, summary } = await run(({ it, afterEach, afterAll }) => {
      afterEach(() => {
        throw new Error('cleanup broke');
      });
      afterAll(() => {
        throw new Error('teardown broke');
      });
      it('t', () => {});
    });
    assert.deepEqual(by, { t: 'failed' });
    assert.deepEqual(summary.errors.map((e) => e.message), ['teardown broke']);
  });

  it('reports errors thrown while registering as file errors', async () => {
    const { summary } = await run(({ describe }) => {
      describe('bad', () => {
        throw new Error('at collection');
      });
      describe('async', (async () => {}) as unknown as () => void);
    });
    assert.equal(summary.errors.length, 2);
    assert.match(summary.errors[1].message, /returned a promise/);
  });

  it('a filter runs only the named test and reports no other', async () => {
    const { by } = await run(
      ({ describe, it }) => {
        describe('s', () => {
          it('a', () => {});
          it('b', () => {});
        });
      },
      { filter: 's > b' },
    );
    assert.deepEqual(by, { 's > b': 'passed' });
  });

  it('resumes after a killed worker: skipIds are neither run nor reported', async () => {
    let ranA = false;
    const { by, started } = await run(
      ({ it }) => {
        it('a', () => {
          ranA = true;
        });
        it('b', () => {});
      },
      { skipIds: ['0'] },
    );
    assert.equal(ranA, false);
    assert.deepEqual(by, { b: 'passed' });
    assert.deepEqual(started, ['1']);
  });

  it('refuses to register tests while running', async () => {
    const { results } = await run(({ it }) => {
      it('registers late', () => {
        it('nested', () => {});
      });
    });
    assert.equal(results.length, 1);
    assert.equal(results[0].status, 'failed');
    assert.match(results[0].error!.message, /cannot be called while tests run/);
  });

  it('tells the runner a test\'s own time limit, and refuses a nonsensical one', async () => {
    const seen: Array<number | undefined> = [];
    const h = new Harness();
    h.api.it('own', () => {}, 250);
    h.api.it('default', () => {});
    assert.throws(() => h.api.it('bad', () => {}, -1), RangeError);
    assert.throws(() => h.api.it('huge', () => {}, 10 ** 9), RangeError);
    await h.run({ onTestStart: (t) => seen.push(t.timeoutMs) });
    assert.deepEqual(seen, [250, undefined]);
  });

  it('reports non-Error throws readably', async () => {
    const { results } = await run(({ it }) => {
      it('throws a string', () => {
        throw 'plain';
      });
    });
    assert.equal(results[0].error?.message, 'thrown: "plain"');
  });
});

describe('formatEachTitle', () => {
  const cases: Array<[string, unknown, number, string]> = [
    ['%s and %s', ['a', 'b'], 0, 'a and b'],
    ['%d %i %f', [1.5, 2.7, 3.25], 0, '1.5 2 3.25'],
    ['%j %o', [{ a: 1 }, [1]], 0, '{"a":1} [1]'],
    ['%p', ['s'], 0, '"s"'],
    ['#%# 100%%', [1], 4, '#4 100%'],
    ['$a.b and $missing', { a: { b: 2 } }, 0, '2 and $missing'],
    ['%s', [], 0, '%s'],
    ['single %s', 'value', 0, 'single value'],
  ];
  for (const [template, row, index, expected] of cases) {
    it(`${template} → ${expected}`, () => assert.equal(formatEachTitle(template, row, index), expected));
  }
});
