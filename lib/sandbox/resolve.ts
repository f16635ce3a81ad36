/**
 * Finding test files and resolving imports among the session's files (pure; used by the
 * in-browser bundler and by "fix with AI" to find the code under test).
 */

/** `*.test.ts`, `*.spec.tsx`, … for JS/TS; `test_*.py` and `*_test.py` for Python. */
export function testKindOf(path: string): 'js' | 'py' | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (/\.(test|spec)\.[cm]?[jt]sx?$/.test(name)) return 'js';
  if (/^test_.*\.py$/.test(name) || /_test\.py$/.test(name)) return 'py';
  return null;
}

export function isTestFile(path: string): boolean {
  return testKindOf(path) !== null;
}

const EXTENSIONS = ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts', '.json'];

/** Joins `spec` onto the importer's folder; null when it climbs above the workspace root. */
export function joinPath(importer: string, spec: string): string | null {
  const parts = spec.startsWith('/') ? [] : importer.split('/').slice(0, -1);
  for (const seg of spec.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

/**
 * Resolves a relative import the way TypeScript's bundler resolution does for local files:
 * the exact path, then with an extension, then `index.*` in a folder. A `.js` specifier also
 * finds the `.ts` file (the ESM-with-TypeScript convention). Returns null when nothing matches.
 */
export function resolveImport(files: ReadonlySet<string> | ReadonlyMap<string, unknown>, importer: string, spec: string): string | null {
  if (!spec.startsWith('./') && !spec.startsWith('../') && !spec.startsWith('/') && spec !== '.' && spec !== '..') return null;
  const base = joinPath(importer, spec);
  if (base === null) return null;
  const has = (p: string) => files.has(p);
  const candidates = [base, ...EXTENSIONS.map((e) => base + e)];
  const js = /\.([cm]?)js(x?)$/.exec(base);
  if (js) {
    const stem = base.slice(0, -js[0].length);
    candidates.push(`${stem}.${js[1]}ts${js[2]}`, `${stem}.ts`, `${stem}.tsx`);
  }
  candidates.push(...EXTENSIONS.map((e) => `${base}/index${e}`));
  return candidates.find((c) => c !== '' && has(c)) ?? null;
}

/** The relative imports of a JS/TS source, in order (a regex scan: good enough to pick a target). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|require\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
    out.push(m[1] ?? m[2] ?? m[3]);
  }
  return out;
}
