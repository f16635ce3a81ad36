import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The import rules of `.dependency-cruiser.cjs`, checked with dependency-cruiser: no import
 * cycle anywhere; the product (app/, components/, lib/, server/) never imports test/, e2e/ or
 * bench/, nor a devDependency at run time; the browser code (app/, components/, lib/) never
 * imports server/ or Node built-ins.
 */
// The package's exports map hides its bin (and its package.json); npm test runs from the root.
const CLI = path.resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const TREE = ['app', 'components', 'lib', 'server', 'test', 'e2e', 'bench', 'scripts'];

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: Array<{ name: string }>;
}

function cruise(paths: string[], cwd = '.'): { violations: Violation[]; modules: number } {
  const args = [CLI, '--config', path.resolve('.dependency-cruiser.cjs'), '--output-type', 'json', '--no-progress', ...paths];
  let out: string;
  try {
    out = execFileSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    // The CLI exits non-zero when it finds violations; its JSON is still on stdout.
    out = (err as { stdout?: string }).stdout ?? '';
    if (!out) throw err;
  }
  const result = JSON.parse(out) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: result.summary.violations, modules: result.summary.totalCruised };
}

const describeViolation = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.cycle?.length ? v.cycle.map((c) => c.name).join(' → ') : v.to}`;

describe('architecture', () => {
  it('the whole tree keeps the import rules', () => {
    const { violations, modules } = cruise(TREE);
    assert.ok(modules > 100, `dependency-cruiser saw only ${modules} modules`);
    assert.deepEqual(violations.map(describeViolation), []);
  });

  it('the rules catch a cycle, a product → test import, a devDependency and a Node built-in in browser code', () => {
    // Run from the fixture folder, so its server/, test/ and lib/ are what the rules call them.
    const { violations } = cruise(['server', 'test', 'lib'], 'lib/architecture-fixtures');
    const seen = violations.map((v) => `${v.rule.name} ${v.from} ${v.to}`).sort();
    assert.deepEqual(seen, [
      'browser-not-to-node-builtins lib/browser.ts fs',
      'no-cycles server/a.ts server/b.ts',
      'product-not-to-dev-dependencies server/tool.ts ../../node_modules/typescript/lib/typescript.js',
      'product-not-to-tests server/a.ts test/harness.ts',
    ]);
  });
});
