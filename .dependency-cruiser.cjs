/**
 * The import rules lib/architecture.test.ts enforces (dependency-cruiser). Folders, not files:
 * the product is app/, components/, lib/ and server/; test/, e2e/ and bench/ are not.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Import cycles hide the direction of a dependency; type-only imports count too.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-not-to-tests',
      severity: 'error',
      comment: 'What npm start runs or builds never imports the tests, e2e or benchmarks.',
      from: { path: '^(app|components|lib|server)/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^(test|e2e|bench)/' },
    },
    {
      name: 'product-not-to-dev-dependencies',
      severity: 'error',
      comment: 'The product depends on what it runs: a devDependency (tsx, the AI SDK of the bench peer, Playwright) is not installed by npm install --omit=dev.',
      from: { path: '^(app|components|lib|server)/', pathNot: '\\.test\\.tsx?$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'browser-not-to-server',
      severity: 'error',
      comment: 'The browser bundle (app/, components/, lib/) never imports the Node server or Node built-ins.',
      from: { path: '^(app|components|lib)/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^server/' },
    },
    {
      name: 'browser-zod-through-lib-zod',
      severity: 'error',
      comment: 'Browser code takes z from lib/zod.ts, which turns off the JIT that the page CSP forbids before any schema is built.',
      from: { path: '^(app|components|lib)/', pathNot: '(^lib/zod\\.ts$)|(\\.test\\.tsx?$)' },
      to: { path: 'node_modules/zod/' },
    },
    {
      name: 'browser-not-to-node-builtins',
      severity: 'error',
      from: { path: '^(app|components|lib)/', pathNot: '\\.test\\.tsx?$' },
      to: { dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(\\.next|dist|bench/results)/|architecture-fixtures/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
