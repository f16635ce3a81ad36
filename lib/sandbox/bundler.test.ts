import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import { BundleCache, bundleWith } from './bundler';
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

  it('JSX: React.createElement by default; the automatic runtime when tsconfig.json says react-jsx (comments allowed)', async () => {
    const view = { 'src/view.test.tsx': "const el = <b>hi</b>;\nit('x', () => el);\n" };
    const classic = await bundle(view, 'src/view.test.tsx');
    assert.ok(classic.ok);
    if (classic.ok) assert.match(classic.code, /React\.createElement\("b"/);
    const automatic = await bundle({ ...view, 'tsconfig.json': '{\n  // as in Vite\'s React template\n  "compilerOptions": { "jsx": "react-jsx" }\n}\n' }, 'src/view.test.tsx');
    // No packages here: the automatic runtime's import of react/jsx-runtime is what fails.
    assert.equal(automatic.ok, false);
    if (!automatic.ok) assert.match(automatic.errors[0].message, /react\/jsx-runtime/);
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

describe('BundleCache', () => {
  /** Node's esbuild, counting the builds it is asked for. */
  const counting = () => {
    const calls: string[] = [];
    const build: typeof esbuild.build = ((opts: esbuild.BuildOptions) => {
      calls.push(String((opts.entryPoints as string[])[0]));
      return esbuild.build(opts);
    }) as typeof esbuild.build;
    return { calls, esb: { build } };
  };
  const base = {
    'src/cart.ts': 'export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n',
    'src/cart.test.ts': "import { total } from './cart';\nit('sums', () => expect(total([1, 2])).toBe(3));\n",
    'src/other.test.ts': "it('one', () => expect(1).toBe(1));\n",
    'README.md': '# hi\n',
  };
  const files = (over: Record<string, string | undefined> = {}) => {
    const m = new Map(Object.entries({ ...base, ...over }).filter((e): e is [string, string] => e[1] !== undefined));
    return m;
  };

  it('reuses the bundle while its files are unchanged, also when unrelated files change', async () => {
    const cache = new BundleCache();
    const { calls, esb } = counting();
    const first = await cache.bundle(esb, files(), 'src/cart.test.ts');
    const again = await cache.bundle(esb, files(), 'src/cart.test.ts');
    const unrelated = await cache.bundle(esb, files({ 'README.md': '# changed\n', 'src/new.ts': 'export {};\n' }), 'src/cart.test.ts');
    assert.deepEqual(calls, ['src/cart.test.ts']);
    assert.ok(first.ok && again.ok && unrelated.ok);
    assert.equal(again, first);
    assert.equal(unrelated, first);
  });

  it('bundles again when the test file or a file it imports changes, with the new code', async () => {
    const cache = new BundleCache();
    const { calls, esb } = counting();
    await cache.bundle(esb, files(), 'src/cart.test.ts');
    const changedImport = await cache.bundle(esb, files({ 'src/cart.ts': 'export const total = (xs: number[]) => 42;\n' }), 'src/cart.test.ts');
    assert.ok(changedImport.ok && changedImport.code.includes('42'));
    const changedTest = await cache.bundle(esb, files({ 'src/cart.ts': 'export const total = (xs: number[]) => 42;\n', 'src/cart.test.ts': "import { total } from './cart';\nit('renamed', () => {});\n" }), 'src/cart.test.ts');
    assert.ok(changedTest.ok && changedTest.code.includes('renamed'));
    assert.equal(calls.length, 3);
  });

  it('bundles again when an import would now resolve to another file', async () => {
    const cache = new BundleCache();
    const { calls, esb } = counting();
    const viaIndex = { 'src/util/index.ts': "export const v = 'from-index';\n", 'src/x.test.ts': "import { v } from './util';\nit('v', () => v);\n" };
    const r1 = await cache.bundle(esb, files(viaIndex), 'src/x.test.ts');
    assert.ok(r1.ok && r1.code.includes('from-index'));
    // `./util` now means src/util.ts (a file beats a folder's index), though no file it read changed.
    const r2 = await cache.bundle(esb, files({ ...viaIndex, 'src/util.ts': "export const v = 'from-file';\n" }), 'src/x.test.ts');
    assert.ok(r2.ok && r2.code.includes('from-file'));
    // And a file it read being deleted is a miss too (the bundle now fails).
    const r3 = await cache.bundle(esb, files({ ...viaIndex, 'src/util/index.ts': undefined }), 'src/x.test.ts');
    assert.equal(r3.ok, false);
    assert.equal(calls.length, 3);
  });

  it('keeps one entry per test file, does not keep failures, and drops the least recently used beyond its size', async () => {
    const cache = new BundleCache(1);
    const { calls, esb } = counting();
    await cache.bundle(esb, files(), 'src/cart.test.ts');
    await cache.bundle(esb, files(), 'src/other.test.ts');
    assert.equal(cache.size, 1);
    await cache.bundle(esb, files(), 'src/other.test.ts');
    await cache.bundle(esb, files(), 'src/cart.test.ts');
    assert.deepEqual(calls, ['src/cart.test.ts', 'src/other.test.ts', 'src/cart.test.ts']);
    const broken = files({ 'src/other.test.ts': 'const = 1;\n' });
    assert.equal((await cache.bundle(esb, broken, 'src/other.test.ts')).ok, false);
    assert.equal((await cache.bundle(esb, broken, 'src/other.test.ts')).ok, false);
    assert.equal(calls.length, 5);
  });
});

describe('BundleCache with packages (vendor split)', () => {
  // Package bundles as the server makes them: ESM whose imports of other packages are their URLs.
  const BUNDLES: Record<string, string> = {
    '/_flint/pkg/react@1/': 'let n = 0; export const useId = () => ++n; export const identity = {}; export default { useId, identity };',
    '/_flint/pkg/react-dom@1/server': 'import * as React from "/_flint/pkg/react@1/"; export const sameReact = (r) => r === React.identity; export const render = () => "<b>" + React.useId() + "</b>";',
    // A CommonJS package as bundle.ts wraps it: default = module.exports, __flintCjs.
    '/_flint/pkg/chunk@1/': 'var m = function chunk(xs, n) { const out = []; for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n)); return out; }; export default m; export const __flintCjs = true;',
  };
  const loads: string[] = [];
  const packages = {
    urls: { react: '/_flint/pkg/react@1/', 'react-dom': '/_flint/pkg/react-dom@1/', chunk: '/_flint/pkg/chunk@1/' },
    errors: { broken: 'Package "broken" was not found in the registry.' },
    load: async (url: string) => {
      loads.push(url);
      if (BUNDLES[url] === undefined) throw new Error(`HTTP 404 ${url}`);
      return BUNDLES[url];
    },
  };
  const TEST = "import * as React from 'react';\nimport { render, sameReact } from 'react-dom/server';\nimport chunk from 'chunk';\nout.result = [sameReact(React.identity), render(), render(), chunk([1, 2, 3], 2), typeof React.default.useId];\n";
  const run = (code: string) => {
    const out: Record<string, unknown> = {};
    new Function('out', code)(out);
    return out.result;
  };
  const counting = () => {
    const calls: string[] = [];
    const build: typeof esbuild.build = ((opts: esbuild.BuildOptions) => {
      calls.push(String((opts.entryPoints as string[])[0]));
      return esbuild.build(opts);
    }) as typeof esbuild.build;
    return { calls, esb: { build } };
  };

  it('one copy of each package, shared by the test and the packages; default, named and namespace imports as from the bundles', async () => {
    const r = await new BundleCache().bundle(esbuild, new Map([['a.test.ts', TEST]]), 'a.test.ts', packages);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(run(r.code), [true, '<b>1</b>', '<b>2</b>', [[1, 2], [3]], 'function']);
    // The same as bundling the packages into the test's bundle.
    const inlined = await bundleWith(esbuild, new Map([['a.test.ts', TEST]]), 'a.test.ts', undefined, packages);
    assert.ok(inlined.ok);
    assert.deepEqual(run(inlined.code), run(r.code));
  });

  it('parses the packages once for every file and every edit that imports the same ones', async () => {
    const cache = new BundleCache();
    const { calls, esb } = counting();
    const files = (t: string) => new Map([['a.test.ts', t], ['b.test.ts', TEST.replace('out.result', 'out.other')]]);
    assert.ok((await cache.bundle(esb, files(TEST), 'a.test.ts', packages)).ok);
    assert.ok((await cache.bundle(esb, files(TEST), 'b.test.ts', packages)).ok);
    const edited = await cache.bundle(esb, files(`${TEST}out.edited = 'yes';\n`), 'a.test.ts', packages);
    assert.ok(edited.ok && edited.code.includes('yes'));
    assert.deepEqual(calls, ['a.test.ts', 'flint-vendor', 'b.test.ts', 'a.test.ts']);
    assert.deepEqual(run(edited.code), [true, '<b>1</b>', '<b>2</b>', [[1, 2], [3]], 'function']);
  });

  it('keeps the source map on the session’s lines after the vendor', async () => {
    const test = "import chunk from 'chunk';\n\nexport const boom = () => {\n  throw new Error('boom ' + chunk([1], 1).length);\n};\n";
    const r = await new BundleCache().bundle(esbuild, new Map([['src/x.test.ts', test]]), 'src/x.test.ts', packages);
    assert.ok(r.ok);
    const lines = r.code.split('\n');
    const line = lines.findIndex((l) => l.includes('"boom "')) + 1;
    const col = lines[line - 1].indexOf('throw') + 1;
    assert.deepEqual({ ...new StackMapper(r.map).position(line, col) }, { path: 'src/x.test.ts', line: 4, column: 2 });
  });

  it('a failed package is named at the import; a bundle that does not load fails the file; .mts importers get the packages inlined', async () => {
    const failed = await new BundleCache().bundle(esbuild, new Map([['a.test.ts', "import x from 'broken';\nit('x', () => x);\n"]]), 'a.test.ts', packages);
    assert.ok(!failed.ok && /"broken" was not found/.test(failed.errors[0].message) && failed.errors[0].location?.line === 1);
    const missing = await new BundleCache().bundle(esbuild, new Map([['a.test.ts', "import x from 'react-dom/nope';\nit('x', () => x);\n"]]), 'a.test.ts', packages);
    assert.ok(!missing.ok && /Could not load the package bundle \/_flint\/pkg\/react-dom@1\/nope: HTTP 404/.test(missing.errors[0].message));
    const mts = await new BundleCache().bundle(esbuild, new Map([['a.test.mts', "import chunk from 'chunk';\nout.result = chunk([1, 2], 1);\n"]]), 'a.test.mts', packages);
    assert.ok(mts.ok);
    assert.doesNotMatch(mts.code, /__flintPackage/);
    assert.deepEqual(run(mts.code), [[1], [2]]);
  });
});
