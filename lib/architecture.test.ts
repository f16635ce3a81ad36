import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The browser bundle (app/, components/, lib/) must never import the Node server. */
function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(tsx?|jsx?|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

describe('architecture', () => {
  // Tests run in Node and are never bundled.
  const browserFiles = ['app', 'components', 'lib'].flatMap((d) => sources(d)).filter((f) => !f.endsWith('.test.ts'));

  it('finds the browser sources', () => assert.ok(browserFiles.length > 10));

  for (const file of browserFiles) {
    it(`${file} does not import server code`, () => {
      const text = readFileSync(file, 'utf8');
      const imports = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
      const bad = imports.filter((spec) => /(^|\/)server(\/|$)/.test(spec) || spec.startsWith('node:'));
      assert.deepEqual(bad, [], `${file} imports ${bad.join(', ')}`);
    });
  }
});
