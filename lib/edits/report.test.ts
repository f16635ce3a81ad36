import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closestLines, describeFailure, failureReport } from './report';

const FILE = ['export function add(a: number, b: number) {', '  return a + b;', '}', '', 'export function sub(a: number, b: number) {', '  return a - b;', '}', ''].join('\n');

describe('closestLines', () => {
  it('finds the window most like the SEARCH', () => {
    const c = closestLines(FILE, 'export function sub(a: number, b: number): number {\n  return a - b;\n');
    assert.deepEqual(c && [c.startLine, c.endLine, c.text], [5, 6, 'export function sub(a: number, b: number) {\n  return a - b;\n']);
    assert.ok(c!.similarity > 0.8 && c!.similarity < 1);
  });
  it('gives nothing when no lines are alike, or for a missing file', () => {
    assert.equal(closestLines(FILE, 'zzzz qqqq\n'), null);
    assert.equal(closestLines(null, 'x\n'), null);
  });
  it('stays fast on a large file (it runs only on failure, but must not hang the page)', () => {
    const big = Array.from({ length: 50_000 }, (_, i) => `const value${i} = compute(${i}, "${'x'.repeat(i % 30)}");`).join('\n');
    const t = performance.now();
    const c = closestLines(big, Array.from({ length: 40 }, (_, i) => `const value${i + 100} = compute(${i + 100});`).join('\n'));
    assert.ok(c);
    assert.ok(performance.now() - t < 3000, `took ${performance.now() - t} ms`);
  });
});

describe('failure report', () => {
  it('names each failed block, its reason, the closest lines, and what applied', () => {
    const none = describeFailure(1, 'src/math.ts', FILE, { search: '  return a * b;\n  // sub\n', replace: '  return a / b;\n' })!;
    const amb = describeFailure(2, 'src/math.ts', FILE, { search: '}\n', replace: '};\n' })!;
    assert.equal(none.reason, 'none');
    assert.equal(amb.reason, 'ambiguous');
    assert.deepEqual(amb.candidates!.map((c) => c.line), [3, 7]);
    const text = failureReport([none, amb], 1);
    assert.match(text, /^2 SEARCH\/REPLACE blocks of your last answer failed to apply\./);
    assert.match(text, /## Block 2 \(src\/math\.ts\): SEARCH is not in the file/);
    assert.match(text, /Did you mean these lines of src\/math\.ts \(lines \d–\d\)\?/);
    assert.match(text, /## Block 3 \(src\/math\.ts\): SEARCH matches 2 places \(lines 3, 7\)/);
    assert.match(text, /The other 1 block applied; do not resend them\./);
  });
  it('is null for a block that applies', () => {
    assert.equal(describeFailure(0, 'a', FILE, { search: '  return a + b;\n', replace: 'x\n' }), null);
  });
});
