import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { joinPath, relativeImports, resolveImport, testKindOf } from './resolve';

describe('testKindOf', () => {
  for (const [path, kind] of [
    ['src/cart.test.ts', 'js'],
    ['a.spec.tsx', 'js'],
    ['x.test.mjs', 'js'],
    ['py/test_calc.py', 'py'],
    ['calc_test.py', 'py'],
    ['src/cart.ts', null],
    ['testing.py', null],
    ['src/test.ts', null],
  ] as const) {
    it(`${path} → ${kind}`, () => assert.equal(testKindOf(path), kind));
  }
});

describe('resolveImport', () => {
  const files = new Set(['src/cart.ts', 'src/util/index.ts', 'src/data.json', 'lib/esm.ts', 'src/view.tsx', 'root.js']);
  const cases: Array<[string, string, string | null]> = [
    ['src/cart.test.ts', './cart', 'src/cart.ts'],
    ['src/cart.test.ts', './cart.ts', 'src/cart.ts'],
    ['src/cart.test.ts', './cart.js', 'src/cart.ts'],
    ['src/cart.test.ts', './util', 'src/util/index.ts'],
    ['src/cart.test.ts', './data.json', 'src/data.json'],
    ['src/cart.test.ts', '../lib/esm.js', 'lib/esm.ts'],
    ['src/cart.test.ts', './view', 'src/view.tsx'],
    ['src/cart.test.ts', '../root', 'root.js'],
    ['src/cart.test.ts', '/src/cart', 'src/cart.ts'],
    ['src/cart.test.ts', './missing', null],
    ['src/cart.test.ts', '../../../etc/passwd', null],
    ['src/cart.test.ts', 'react', null],
  ];
  for (const [importer, spec, expected] of cases) {
    it(`${spec} from ${importer} → ${expected}`, () => assert.equal(resolveImport(files, importer, spec), expected));
  }
  it('joins paths without climbing above the root', () => {
    assert.equal(joinPath('a/b/c.ts', '../d'), 'a/d');
    assert.equal(joinPath('a.ts', '../x'), null);
  });
});

describe('relativeImports', () => {
  it('finds static, dynamic and require imports, skipping packages', () => {
    const src = `import { a } from './a';\nimport b from "../b";\nimport * as c from 'lib';\nexport { d } from './d';\nconst e = await import('./e');\nconst f = require('./f');`;
    assert.deepEqual(relativeImports(src), ['./a', '../b', './d', './e', './f']);
  });
});
