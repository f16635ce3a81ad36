import fs from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { init as initLexer, parse as parseCjs } from 'cjs-module-lexer';

/**
 * One package@version, one subpath → browser ESM, with esbuild (which only parses: nothing of
 * the package runs here). Conditions `browser`, `import`, `default` (esbuild adds `module`),
 * deep imports (`lodash/chunk`), JSON and CSS. The package's own files are bundled; every other
 * bare import becomes an import of that dependency's bundle URL, so two packages that need
 * react import the same URL and a page has one React. A CommonJS entry gets a default export
 * (its `module.exports`, as Node gives it) and the named exports cjs-module-lexer (Node's own
 * lexer) finds in it and in what it re-exports.
 */

export interface BundleInput {
  /** The package's folder: `<root>/node_modules/<name>`. */
  dir: string;
  name: string;
  /** '' for the package itself, else the subpath without `./` (`chunk`, `server`). */
  subpath: string;
  /** Dependency name → the URL prefix of its bundles (`/_flint/pkg/<id>/`). */
  deps: Record<string, string>;
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(' '),
);

export function splitSpecifier(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, n).join('/'), subpath: parts.slice(n).join('/') };
}

function externals(input: BundleInput): esbuild.Plugin {
  return {
    name: 'flint-package-deps',
    setup(build) {
      build.onResolve({ filter: /^[^./]/, namespace: 'file' }, (args) => {
        if (args.kind === 'entry-point' || path.isAbsolute(args.path)) return undefined;
        const { name, subpath } = splitSpecifier(args.path.replace(/^node:/, ''));
        if (name === input.name) return undefined; // its own subpaths: bundled here
        const url = input.deps[name];
        // `require()` of an external cannot stay a require in ESM output (esbuild would emit a
        // throwing `__require`): it goes through a small ESM module that imports the URL.
        if (url && args.kind === 'require-call') return { path: url + subpath, namespace: 'flint-dep' };
        if (url) return { path: url + subpath, external: true };
        // Node built-ins and undeclared packages: an empty module (as bundlers for the browser do), not a crash.
        return { path: args.path, namespace: 'flint-empty' };
      });
      // The shim is CommonJS, so `require('lodash.debounce')` is the function itself when the
      // dependency came from CommonJS (its bundle carries its module.exports as `__flintCjs`),
      // else the namespace.
      build.onResolve({ filter: /.*/, namespace: 'flint-dep' }, (args) => ({ path: args.path.replace(/^flint-ns:/, ''), namespace: 'flint-ns' }));
      build.onLoad({ filter: /.*/, namespace: 'flint-dep' }, (args) => ({
        contents: `var ns = require(${JSON.stringify(`flint-ns:${args.path}`)}); module.exports = '__flintCjs' in ns ? ns.__flintCjs : ns;`,
        loader: 'js',
      }));
      build.onResolve({ filter: /.*/, namespace: 'flint-ns' }, (args) => ({ path: args.path, external: true }));
      build.onLoad({ filter: /.*/, namespace: 'flint-ns' }, (args) => {
        const url = JSON.stringify(args.path);
        return { contents: `export * from ${url}; import * as ns from ${url}; export default ns.default;`, loader: 'js' };
      });
      build.onLoad({ filter: /.*/, namespace: 'flint-empty' }, () => ({ contents: 'module.exports = {}', loader: 'js' }));
      // CSS a package imports for its side effect: a <style> where there is a document.
      build.onLoad({ filter: /\.css$/ }, async (args) => {
        const css = await fs.readFile(args.path, 'utf8');
        return {
          contents: `const css = ${JSON.stringify(css)}; if (typeof document !== 'undefined') { const s = document.createElement('style'); s.textContent = css; document.head.appendChild(s); } export default css;`,
          loader: 'js',
        };
      });
    },
  };
}

let lexerReady: Promise<void> | null = null;

/** Named exports of a CommonJS file, following `module.exports = require('./x')` re-exports. */
async function cjsExports(file: string, seen = new Set<string>()): Promise<string[]> {
  lexerReady ??= initLexer();
  await lexerReady;
  if (seen.has(file)) return [];
  seen.add(file);
  let source: string;
  try {
    source = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  const { exports, reexports } = parseCjs(source);
  const names = new Set(exports);
  for (const r of reexports) {
    if (!r.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), r);
    for (const candidate of [base, `${base}.js`, `${base}.cjs`, path.join(base, 'index.js')]) {
      const stat = await fs.stat(candidate).catch(() => null);
      if (stat?.isFile()) {
        for (const n of await cjsExports(candidate, seen)) names.add(n);
        break;
      }
    }
  }
  return [...names].filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && !RESERVED.has(n) && n !== '__esModule');
}

const options = (input: BundleInput): esbuild.BuildOptions => ({
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['browser', 'import', 'default'],
  mainFields: ['browser', 'module', 'main'],
  define: { 'process.env.NODE_ENV': '"development"', global: 'globalThis' },
  absWorkingDir: path.dirname(path.dirname(input.name.startsWith('@') ? path.dirname(input.dir) : input.dir)),
  logLevel: 'silent',
  legalComments: 'none',
  // The page's esbuild-wasm parses every package bundle again into the test's bundle: a third
  // of the text is a third of that time (seconds for zod + react-dom on a loaded machine).
  minify: true,
  plugins: [externals(input)],
});

export async function bundlePackage(input: BundleInput): Promise<string> {
  const spec = input.subpath ? `${input.name}/${input.subpath}` : input.name;
  const base = options(input);
  const first = await esbuild.build({ ...base, entryPoints: [spec], outfile: 'out.js', metafile: true });
  const out = Object.values(first.metafile!.outputs)[0];
  const entry = out?.entryPoint;
  const format = entry ? first.metafile!.inputs[entry]?.format : undefined;
  if (format !== 'cjs') return first.outputFiles![0].text;
  const names = await cjsExports(path.resolve(base.absWorkingDir!, entry!));
  // `require`, not `import m from`: esbuild's default import of a CommonJS module marked
  // `__esModule` is its `exports.default` (undefined for aria-query, say). The default export
  // follows the bundlers (that `exports.default` when there is one, else module.exports);
  // `__flintCjs` carries module.exports itself, for a `require()` from another package.
  const wrapper = [
    `const m = require(${JSON.stringify(spec)});`,
    "export default m != null && m.__esModule && 'default' in m ? m.default : m;",
    'export const __flintCjs = m;',
    names.length ? `export const { ${names.join(', ')} } = m;` : '',
  ].join('\n');
  const second = await esbuild.build({ ...base, stdin: { contents: wrapper, resolveDir: base.absWorkingDir!, loader: 'js' }, outfile: 'out.js' });
  return second.outputFiles![0].text;
}
