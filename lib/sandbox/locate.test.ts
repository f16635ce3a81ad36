import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { StackMapper, locatePython } from './locate';
import { BUNDLE_URL } from './protocol';

/**
 * A real esbuild bundle and source map (the same esbuild the browser runs as wasm): a stack
 * position in the bundle must map back to the line a person wrote.
 */
async function bundle(files: Record<string, string>, entry: string) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    outfile: 'bundle.js',
    sourcemap: 'external',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'mem',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => ({ path: a.kind === 'entry-point' ? a.path : a.path.replace('./', 'src/') + '.ts', namespace: 'flint' }));
          b.onLoad({ filter: /.*/, namespace: 'flint' }, (a) => ({ contents: files[a.path], loader: 'ts' }));
        },
      },
    ],
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  return { code, map };
}

/** Where `needle` is in the bundle, as a 1-based line and column (like a V8 stack frame). */
function positionOf(code: string, needle: string): { line: number; column: number } {
  const at = code.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in bundle`);
  const before = code.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

describe('StackMapper', () => {
  it('maps bundle frames back to the test file and the code under test', async () => {
    const files = {
      'src/a.test.ts': `import { boom } from './lib';\n\ntype T = { x: number };\nconst t: T = { x: 1 };\nit('x', () => {\n  expect(t.x).toBe(2);\n  boom();\n});\n`,
      'src/lib.ts': `export function boom(): never {\n  // comment\n  throw new Error('kaboom');\n}\n`,
    };
    const { code, map } = await bundle(files, 'src/a.test.ts');
    const mapper = new StackMapper(map);
    const e = positionOf(code, 'expect(t.x)');
    const b = positionOf(code, 'throw new Error');
    const stack = `Error: kaboom\n    at boom (${BUNDLE_URL}:${b.line}:${b.column})\n    at Object.fn (${BUNDLE_URL}:${e.line}:${e.column})\n    at run (blob:null/abc:1:2000)`;
    assert.deepEqual(mapper.locate(stack), { path: 'src/lib.ts', line: 3, column: 2 });
    assert.deepEqual(mapper.position(e.line, e.column), { path: 'src/a.test.ts', line: 6, column: 2 });
    const rewritten = mapper.rewrite(stack);
    assert.match(rewritten, /src\/lib\.ts:3:3/);
    assert.match(rewritten, /src\/a\.test\.ts:6:3/);
    assert.doesNotMatch(rewritten, /blob:/, 'runtime frames are dropped');
  });

  it('finds nothing in a stack without bundle frames', async () => {
    const { map } = await bundle({ 'src/a.test.ts': 'it("x", () => {});\n' }, 'src/a.test.ts');
    assert.equal(new StackMapper(map).locate('Error\n    at x (blob:null/1:1:1)'), null);
    assert.equal(new StackMapper(map).locate(undefined), null);
  });
});

describe('locatePython', () => {
  it('takes the innermost frame in a session file', () => {
    const tb = `Traceback (most recent call last):\n  File "/flint/py/test_calc.py", line 12, in test_error\n    divide(1, 0)\n  File "/flint/py/calc.py", line 5, in divide\n    return a / b\n  File "/lib/python3.13/x.py", line 1, in y\nZeroDivisionError: division by zero`;
    assert.deepEqual(locatePython(tb, '/flint'), { path: 'py/calc.py', line: 5, column: 0 });
    assert.equal(locatePython('no frames', '/flint'), null);
  });
});
