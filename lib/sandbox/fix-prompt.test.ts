import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestsResultPayload } from '@/lib/protocol';
import { LIMITS } from '@/lib/protocol';
import { buildFixPrompt } from './fix-prompt';

const files = new Map([
  ['src/cart.ts', 'export class Cart {}'],
  ['src/cart.test.ts', "import { Cart } from './cart';\nit('total', () => {});"],
]);

function report(location?: { path: string; line: number; column: number }): TestsResultPayload {
  return {
    runId: 'r',
    status: 'done',
    scope: { kind: 'all' },
    files: [
      {
        path: 'src/cart.test.ts',
        tests: [
          { id: '0', name: ['Cart', 'total'], status: 'failed', durationMs: 1, error: { message: 'expected 6 to be 7', expected: '7', actual: '6', ...(location ? { location } : {}) } },
          { id: '1', name: ['Cart', 'ok'], status: 'passed', durationMs: 1 },
        ],
        errors: [],
        console: [],
        consoleDropped: 0,
      },
    ],
  };
}

describe('buildFixPrompt', () => {
  it('targets the code under test through the test file\'s import, and names the failure', () => {
    const fix = buildFixPrompt(report({ path: 'src/cart.test.ts', line: 2, column: 0 }), files)!;
    assert.equal(fix.path, 'src/cart.ts');
    assert.match(fix.prompt, /Change src\/cart\.ts/);
    assert.match(fix.prompt, /Cart › total \[failed\] at src\/cart\.test\.ts:2: expected 6 to be 7/);
    assert.match(fix.prompt, /expected: 7\n\s+received: 6/);
    assert.match(fix.prompt, /Test file src\/cart\.test\.ts:\nimport \{ Cart \}/);
    assert.doesNotMatch(fix.prompt, /Cart › ok/);
  });
  it('targets the file a failure was thrown in when it is not a test file', () => {
    const fix = buildFixPrompt(report({ path: 'src/cart.ts', line: 1, column: 0 }), files)!;
    assert.equal(fix.path, 'src/cart.ts');
  });
  it('returns null when nothing failed', () => {
    const r = report();
    r.files[0].tests = r.files[0].tests.filter((t) => t.status === 'passed');
    assert.equal(buildFixPrompt(r, files), null);
  });
  it('stays within the prompt limit', () => {
    const big = new Map(files);
    big.set('src/cart.test.ts', "import { Cart } from './cart';\n" + 'x'.repeat(200_000));
    const fix = buildFixPrompt(report(), big)!;
    assert.ok(fix.prompt.length <= LIMITS.maxPromptChars);
  });
});
