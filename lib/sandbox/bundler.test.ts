import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import { bundleWith } from './bundler';
import { StackMapper } from './locate';

/** The in-browser bundling, run with Node's esbuild (the same version as esbuild-wasm). */
const bundle = (files: Record<string, string>, entry: string) => bundleWith(esbuild, new Map(Object.entries(files)), entry);

describe('bundleWith', () => {
  it('bundles a TS test with the code it imports into one IIFE with a source map', async () => {
    const r = await bundle(
      {
        'src/cart.ts': 'export const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);\n',
        'src/util/index.ts': "export * from '../cart';\n",
        'src/cart.test.ts': "import { total } from './util';\nit('sums', () => expect(total([1, 2])).toBe(3));\n",
      },
      'src/cart.test.ts',
    );
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.match(r.code, /^\(\(\) => \{/);
    assert.doesNotMatch(r.code, /\bimport\b/);
    assert.deepEqual(JSON.parse(r.map).sources.map((s: string) => s.replace(/^flint:/, '')).sort(), ['src/cart.test.ts', 'src/cart.ts']);
    // Positions in the bundle map back to the session's files.
    const line = r.code.split('\n').findIndex((l) => l.includes('xs.reduce')) + 1;
    const col = r.code.split('\n')[line - 1].indexOf('xs.reduce') + 1;
    assert.equal(new StackMapper(r.map).position(line, col)?.path, 'src/cart.ts');
  });

  it('reports a syntax error at its file and line', async () => {
    const r = await bundle({ 'a.test.ts': "it('x', () => {});\nconst = 1;\n" }, 'a.test.ts');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.errors[0].location?.path, 'a.test.ts');
    assert.equal(r.errors[0].location?.line, 2);
    assert.match(r.errors[0].message, /^a\.test\.ts:2:\d+: /);
  });

  it('reports a missing import at the import line', async () => {
    const r = await bundle({ 'src/a.test.ts': "\nimport { x } from './nope';\nit('x', () => x);\n" }, 'src/a.test.ts');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.errors[0].message, /Cannot find module "\.\/nope" imported from src\/a\.test\.ts/);
    assert.deepEqual(r.errors[0].location && { path: r.errors[0].location.path, line: r.errors[0].location.line }, { path: 'src/a.test.ts', line: 2 });
  });

  it('refuses npm packages with a clear error', async () => {
    const r = await bundle({ 'src/a.test.ts': "import React from 'react';\nit('x', () => React);\n" }, 'src/a.test.ts');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.errors[0].message, /"react": packages are not available in the test sandbox/);
  });

  it('compiles TSX and JSON imports', async () => {
    const r = await bundle(
      {
        'src/data.json': '{"n": 2}',
        'src/view.test.tsx': "import data from './data.json';\nconst h = (t: string) => t;\nconst el = <div>{data.n}</div>;\nit('x', () => {});\n",
      },
      'src/view.test.tsx',
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  });
});
