import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentRecord, TestsResultPayload } from '@/lib/protocol';
import { applyBlock } from '@/lib/edits';
import { runAgent, type AgentLimits } from './agent-loop';
import { isProtectedTestPath, promptAllowsTestEdits } from './guard';
import { mergeHunks } from './merge';
import { StuckDetector } from './stuck';
import { agentLimitsFromEnv } from './config';

const LIMITS: AgentLimits = { maxRounds: 5, maxTokens: 100_000, maxMs: 60_000, promptBudgetTokens: 50_000 };

const BASE = new Map([
  ['src/sum.ts', 'export function sum(a: number, b: number) {\n  return a - b;\n}\n'],
  ['src/sum.test.ts', "import { sum } from './sum';\nit('adds', () => expect(sum(1, 2)).toBe(3));\n"],
]);

function block(path: string, search: string, replace: string): string {
  return `Fixing.\n\n${path}\n<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n`;
}

function report(tests: Array<{ name: string; ok: boolean; message?: string }>): TestsResultPayload {
  return {
    runId: 'r',
    status: 'done',
    scope: { kind: 'all' },
    files: [
      {
        path: 'src/sum.test.ts',
        tests: tests.map((t, i) => ({ id: String(i), name: [t.name], status: t.ok ? 'passed' : 'failed', durationMs: 1, ...(t.ok ? {} : { error: { message: t.message ?? 'expected 3, got -1' } }) })),
        errors: [],
        console: [],
        consoleDropped: 0,
      },
    ],
  };
}

/** A scripted model and a scripted browser: the loop's only two outside parts. */
function harness(answers: string[], judge: (files: ReadonlyMap<string, string>, round: number) => TestsResultPayload) {
  const asked: string[] = [];
  const tested: Array<Map<string, string>> = [];
  let record: Partial<AgentRecord> = {};
  const deps = {
    now: () => 0,
    update: (patch: Partial<AgentRecord>) => void (record = { ...record, ...patch }),
    ask: async (messages: Array<{ content: string }>) => {
      asked.push(messages[messages.length - 1].content);
      const text = answers.shift();
      if (text === undefined) throw new Error('the model was asked more often than scripted');
      return { text, tokens: 10 };
    },
    runTests: async (files: ReadonlyMap<string, string>, round: number) => {
      tested.push(new Map(files));
      return judge(files, round);
    },
  };
  return { deps, asked, tested, get record() { return record; } };
}

const sumPasses = (files: ReadonlyMap<string, string>) => (files.get('src/sum.ts')!.includes('a + b') ? report([{ name: 'adds', ok: true }]) : report([{ name: 'adds', ok: false }]));

describe('agent loop', () => {
  it('fixes round after round until the tests pass, on its own copy, telling the model what failed', async () => {
    const h = harness([block('src/sum.ts', '  return a - b;\n', '  return a * b;\n'), block('src/sum.ts', '  return a * b;\n', '  return a + b;\n')], sumPasses);
    const base = new Map(BASE);
    const out = await runAgent({ prompt: 'fix sum', path: 'src/sum.ts', base }, LIMITS, h.deps, new AbortController().signal);
    assert.equal(out.status, 'passed');
    assert.equal(h.record.round, 2);
    assert.deepEqual([h.record.passed, h.record.total, h.record.tokens], [1, 1, 20]);
    assert.equal(base.get('src/sum.ts'), BASE.get('src/sum.ts'), 'the base is never changed');
    assert.match(h.tested[0].get('src/sum.ts')!, /a \* b/);
    // Round 2's request names the failing test and its message, and holds the copy with round 1's edit.
    assert.match(h.asked[1], /adds \[failed\].*expected 3, got -1/);
    assert.match(h.asked[1], /return a \* b;/);
    assert.deepEqual(h.record.changes, [{ path: 'src/sum.ts', base: BASE.get('src/sum.ts'), text: 'export function sum(a: number, b: number) {\n  return a + b;\n}\n' }]);
  });

  it('fails at the round limit', async () => {
    const answers = ['1', '2', '3'].map((n) => block('src/sum.ts', n === '1' ? '  return a - b;\n' : `  return a - b - ${Number(n) - 1};\n`, `  return a - b - ${n};\n`));
    const h = harness(answers, (_f, round) => report([{ name: 'adds', ok: false, message: `wrong ${round}` }]));
    const out = await runAgent({ prompt: 'fix sum', path: 'src/sum.ts', base: BASE }, { ...LIMITS, maxRounds: 3 }, h.deps, new AbortController().signal);
    assert.equal(out.status, 'failed');
    assert.match(out.reason!, /after 3 rounds/);
  });

  it('is stuck when the model proposes the same edit twice', async () => {
    const same = block('src/sum.ts', '  return a - b;\n', '  return a * b;\n');
    // The second identical block no longer places (the first applied); the edit of round 2 is then empty… so script a toggle.
    const h = harness([same, block('src/sum.ts', '  return a * b;\n', '  return a - b;\n'), same], () => report([{ name: 'adds', ok: false, message: 'x' }, { name: 'other', ok: true }]));
    const out = await runAgent({ prompt: 'fix sum', path: 'src/sum.ts', base: BASE }, LIMITS, h.deps, new AbortController().signal);
    assert.equal(out.status, 'stuck');
    assert.match(out.reason!, /same edit/);
    assert.equal(h.tested.length, 2, 'round 3 is not tested');
  });

  it('is stuck when the same failure comes three rounds in a row', async () => {
    const answers = [0, 1, 2].map((i) => block('src/sum.ts', i === 0 ? '  return a - b;\n' : `  return a - b + ${i - 1};\n`, `  return a - b + ${i};\n`));
    const h = harness(answers, () => report([{ name: 'adds', ok: false, message: 'always the same' }]));
    const out = await runAgent({ prompt: 'fix sum', path: 'src/sum.ts', base: BASE }, LIMITS, h.deps, new AbortController().signal);
    assert.equal(out.status, 'stuck');
    assert.match(out.reason!, /3 rounds in a row/);
  });

  it('refuses edits to test files, reports them to the model and in the record', async () => {
    const cheat = block('src/sum.test.ts', "it('adds', () => expect(sum(1, 2)).toBe(3));\n", "it('adds', () => expect(sum(1, 2)).toBe(-1));\n");
    const h = harness([cheat, block('src/sum.ts', '  return a - b;\n', '  return a + b;\n')], sumPasses);
    const out = await runAgent({ prompt: 'make the tests pass', path: 'src/sum.ts', base: BASE }, LIMITS, h.deps, new AbortController().signal);
    assert.equal(out.status, 'passed');
    assert.deepEqual(h.record.refused, ['src/sum.test.ts']);
    assert.equal(h.tested[0].get('src/sum.test.ts'), BASE.get('src/sum.test.ts'), 'the test file was not changed');
    assert.match(h.asked[1], /edits to src\/sum\.test\.ts were refused/);
  });

  it('lets the prompt allow test edits', async () => {
    const edit = block('src/sum.test.ts', "it('adds', () => expect(sum(1, 2)).toBe(3));\n", "it('adds', () => expect(sum(2, 2)).toBe(4));\n");
    const h = harness([edit], () => report([{ name: 'adds', ok: true }]));
    const out = await runAgent({ prompt: 'update the tests to use 2 + 2', path: 'src/sum.ts', base: BASE }, LIMITS, h.deps, new AbortController().signal);
    assert.equal(out.status, 'passed');
    assert.deepEqual(h.record.refused, []);
    assert.match(h.tested[0].get('src/sum.test.ts')!, /sum\(2, 2\)/);
  });

  it('stops when its signal aborts, mid-round', async () => {
    const controller = new AbortController();
    const h = harness([block('src/sum.ts', '  return a - b;\n', '  return a * b;\n')], () => {
      controller.abort();
      return report([{ name: 'adds', ok: false }]);
    });
    const out = await runAgent({ prompt: 'fix sum', path: 'src/sum.ts', base: BASE }, LIMITS, h.deps, controller.signal);
    assert.equal(out.status, 'stopped');
    assert.equal(h.record.status, 'stopped');
  });

  it('fails at the token limit', async () => {
    const h = harness([block('src/sum.ts', '  return a - b;\n', '  return a * b;\n')], sumPasses);
    const out = await runAgent({ prompt: 'fix sum', path: 'src/sum.ts', base: BASE }, { ...LIMITS, maxTokens: 5 }, h.deps, new AbortController().signal);
    assert.equal(out.status, 'failed');
    assert.match(out.reason!, /token limit/);
  });
});

describe('stuck detector', () => {
  it('counts only consecutive equal failures', () => {
    const s = new StuckDetector();
    assert.equal(s.failure('a'), null);
    assert.equal(s.failure('a'), null);
    assert.equal(s.failure('b'), null);
    assert.equal(s.failure('b'), null);
    assert.match(s.failure('b')!, /3 rounds/);
  });
  it('remembers every earlier edit, not only the last', () => {
    const s = new StuckDetector();
    assert.equal(s.edit('x'), null);
    assert.equal(s.edit('y'), null);
    assert.match(s.edit('x')!, /same edit/);
  });
});

describe('test-file guard', () => {
  it('knows test files by name and folder', () => {
    for (const p of ['src/a.test.ts', 'a.spec.jsx', 'src/__tests__/a.ts', 'tests/x.py', 'test_x.py']) assert.ok(isProtectedTestPath(p), p);
    for (const p of ['src/a.ts', 'src/testing.ts', 'contest/a.ts']) assert.equal(isProtectedTestPath(p), false, p);
  });
  it('allows test edits only when the prompt says so', () => {
    assert.equal(promptAllowsTestEdits('make the tests pass'), false);
    assert.equal(promptAllowsTestEdits('fix the bug so the test passes'), false);
    assert.ok(promptAllowsTestEdits('update the tests for the new API'));
    assert.ok(promptAllowsTestEdits('you may edit the test file too'));
    assert.ok(promptAllowsTestEdits('rename it in src/a.test.ts as well', ['src/a.test.ts']));
  });
});

describe('three-way merge into review hunks', () => {
  const base = 'a\nb\nc\nd\ne\nf\n';
  const applyAll = (text: string, hunks: ReturnType<typeof mergeHunks>) =>
    hunks.filter((h) => !h.conflict).reduce((t, h) => {
      const r = applyBlock(t, h);
      assert.ok(r.ok, `hunk ${JSON.stringify(h)} places`);
      return r.text;
    }, text);

  it('takes the agent change into a file the person did not touch', () => {
    const hunks = mergeHunks(base, base, 'a\nB\nc\nd\ne\nf\n');
    assert.equal(hunks.length, 1);
    assert.equal(applyAll(base, hunks), 'a\nB\nc\nd\ne\nf\n');
  });

  it('keeps the person’s change elsewhere in the file', () => {
    const current = 'a\nb\nc\nd\nE\nf\n';
    const hunks = mergeHunks(base, current, 'a\nB\nc\nd\ne\nf\n');
    assert.deepEqual(hunks.map((h) => h.conflict), [false]);
    assert.equal(applyAll(current, hunks), 'a\nB\nc\nd\nE\nf\n');
  });

  it('widens a non-unique change with context until it is unique', () => {
    const b = 'x\n}\ny\n}\n';
    const hunks = mergeHunks(b, b, 'x\n}\ny\n};\n');
    assert.equal(hunks.length, 1);
    assert.equal(applyAll(b, hunks), 'x\n}\ny\n};\n');
  });

  it('marks a conflict when both changed the same lines, and never places it over the person’s', () => {
    const current = 'a\nMINE\nc\nd\ne\nf\n';
    const hunks = mergeHunks(base, current, 'a\nTHEIRS\nc\nd\ne\nF\n');
    assert.deepEqual(hunks.map((h) => h.conflict), [true, false]);
    assert.equal(applyBlock(current, hunks[0]).ok, false, 'the conflict hunk does not place');
    assert.equal(applyAll(current, hunks), 'a\nMINE\nc\nd\ne\nF\n');
  });

  it('an insertion where the person inserted too is a conflict', () => {
    const hunks = mergeHunks(base, 'a\nb\nmine\nc\nd\ne\nf\n', 'a\nb\ntheirs\nc\nd\ne\nf\n');
    assert.deepEqual(hunks.map((h) => h.conflict), [true]);
  });

  it('a file the agent created is one hunk creating it', () => {
    assert.deepEqual(mergeHunks(null, null, 'new\n'), [{ search: '', replace: 'new\n', conflict: false }]);
    assert.equal(mergeHunks(null, 'theirs too\n', 'new\n')[0].conflict, true);
  });
});

describe('agent config', () => {
  it('reads the limits from the environment and names a bad variable', () => {
    assert.equal(agentLimitsFromEnv({}).maxRounds, 5);
    assert.equal(agentLimitsFromEnv({ FLINT_AGENT_MAX_ROUNDS: '2', FLINT_AGENT_MAX_SECONDS: '30' }).maxMs, 30_000);
    assert.throws(() => agentLimitsFromEnv({ FLINT_AGENT_MAX_ROUNDS: 'zero' }), /FLINT_AGENT_MAX_ROUNDS/);
  });
});
