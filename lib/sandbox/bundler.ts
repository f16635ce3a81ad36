'use client';
import type * as Esbuild from 'esbuild-wasm/esm/browser.js';
import { resolveImport } from './resolve';
import { packageUrl, type PackageSources } from './packages';
import type { SerializedError } from './protocol';

/**
 * Transpiles and bundles one JS/TS test file, with everything it imports, from the session's
 * in-memory files, using esbuild-wasm in this page (esbuild only parses: the code runs in the
 * sandbox). The wasm binary is emitted by Next as a hashed, immutable static asset, never from a
 * CDN. Each test file is its own bundle, so a syntax error fails only that file.
 */

export interface Location {
  path: string;
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
}

export type BundleResult =
  | { ok: true; code: string; map: string }
  | { ok: false; errors: Array<SerializedError & { location?: Location }> };

let ready: Promise<typeof Esbuild> | null = null;

/** Starts esbuild-wasm once (≈1 s the first time); later calls share it. */
export function loadEsbuild(): Promise<typeof Esbuild> {
  ready ??= (async () => {
    const esbuild = await import('esbuild-wasm/esm/browser.js');
    const wasmURL = new URL('esbuild-wasm/esbuild.wasm', import.meta.url).href;
    await esbuild.initialize({ wasmURL, worker: true });
    return esbuild;
  })();
  ready.catch(() => {
    ready = null;
  });
  return ready;
}

const NAMESPACE = 'flint';

function loaderOf(path: string): Esbuild.Loader {
  if (path.endsWith('.tsx')) return 'tsx';
  if (/\.[cm]?ts$/.test(path)) return 'ts';
  if (path.endsWith('.jsx')) return 'jsx';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.css')) return 'text';
  return 'js';
}

/**
 * What a bundle was made from: every file esbuild read (with the text it read) and every import
 * it resolved (with what it resolved to). A bundle is a pure function of these, so it can be
 * reused while they all still hold.
 */
interface Inputs {
  loaded: Map<string, string | null>;
  resolved: Array<{ importer: string; spec: string; to: string | null }>;
}

const PACKAGE = 'flint-pkg';

/** Inside a package bundle every import is a URL of another package bundle (or relative to one). */
function packageBundles(build: Esbuild.PluginBuild, packages: PackageSources | undefined): void {
  build.onResolve({ filter: /.*/, namespace: PACKAGE }, (args) => ({ path: new URL(args.path, `https://pkg.invalid${args.importer}`).pathname, namespace: PACKAGE }));
  build.onLoad({ filter: /.*/, namespace: PACKAGE }, async (args) => {
    try {
      return { contents: await packages!.load(args.path), loader: 'js' };
    } catch (err) {
      return { errors: [{ text: `Could not load the package bundle ${args.path}: ${err instanceof Error ? err.message : String(err)}` }] };
    }
  });
}

/** The function a split test bundle calls for a package's namespace (defined by `joinVendor`). */
const VENDOR_GET = '__flintPackage';
const PACKAGE_REF = 'flint-pkg-ref';

function plugin(files: ReadonlyMap<string, string>, inputs?: Inputs, packages?: PackageSources, external?: Set<string>): Esbuild.Plugin {
  return {
    name: 'flint-session-files',
    setup(build) {
      packageBundles(build, packages);
      // Split mode: a package is a reference into the vendor script (see `BundleCache`), not its code.
      build.onLoad({ filter: /.*/, namespace: PACKAGE_REF }, (args) => ({ contents: `module.exports = ${VENDOR_GET}(${JSON.stringify(args.path)});`, loader: 'js' }));
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return { path: args.path, namespace: NAMESPACE };
        const resolved = resolveImport(files, args.importer, args.path);
        inputs?.resolved.push({ importer: args.importer, spec: args.path, to: resolved });
        if (resolved) return { path: resolved, namespace: NAMESPACE };
        const relative = args.path.startsWith('.') || args.path.startsWith('/');
        if (!relative && packages) {
          const pkg = packageUrl(packages, args.path);
          inputs?.resolved.push({ importer: args.importer, spec: args.path, to: 'url' in pkg ? pkg.url : null });
          if ('url' in pkg && external) {
            external.add(pkg.url);
            return { path: pkg.url, namespace: PACKAGE_REF };
          }
          if ('url' in pkg) return { path: pkg.url, namespace: PACKAGE };
          return { errors: [{ text: pkg.error }] };
        }
        return {
          errors: [
            {
              text: relative
                ? `Cannot find module "${args.path}" imported from ${args.importer}: there is no such file in this session.`
                : `Cannot import "${args.path}": packages are not available in the test sandbox, only this session's files.`,
            },
          ],
        };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const contents = files.get(args.path);
        inputs?.loaded.set(args.path, contents ?? null);
        if (contents === undefined) return { errors: [{ text: `${args.path} no longer exists.` }] };
        return { contents, loader: loaderOf(args.path) };
      });
    },
  };
}

/** Source paths in the map come out as `flint:src/a.ts`; the IDE wants `src/a.ts`. */
export function sourcePath(source: string): string {
  return source.replace(/^(\.\.\/)*/, '').replace(new RegExp(`^${NAMESPACE}:`), '');
}

/**
 * Bundles of test files kept between runs, so an unchanged file is not bundled again (esbuild-wasm
 * takes 5–20 ms a file, more on a busy machine). An entry is reused only while every file the
 * bundle read still has the text it read and every import it resolved still resolves to the same
 * file (a new `index.ts`, say, can change what `./util` means). Only successful bundles are kept;
 * at most `max` entries, the least recently used one goes first.
 *
 * With packages, a test's bundle is made of two builds: the session's code, where each package
 * import is a reference (`__flintPackage(url)`), and a **vendor** script holding the packages
 * the file imports (their bundles, one copy each: react-dom's `react` is the test's `react`),
 * built once per set of package URLs and reused by every test file and every later run that
 * imports the same set. The package bundles are large (react-dom + zod ≈ 1.5 MB) and parsing
 * them is most of esbuild-wasm's work, so an edit of a test file re-bundles only the session's
 * code. The two are joined into the one classic script a worker runs (`joinVendor`); the
 * packages are evaluated when session code first imports one.
 */
export class BundleCache {
  private readonly entries = new Map<string, { inputs: Inputs; packagesKey: string; result: Extract<BundleResult, { ok: true }> }>();
  private readonly vendors = new Map<string, Promise<BundleResult>>();

  constructor(
    private readonly max = 200,
    private readonly maxVendors = 8,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async bundle(esbuild: Pick<typeof Esbuild, 'build'>, files: ReadonlyMap<string, string>, entry: string, packages?: PackageSources): Promise<BundleResult> {
    // Package bundles are immutable per URL: the bundle still holds while the packages map does
    // (and the tsconfig.json that sets how JSX compiles).
    const packagesKey = JSON.stringify([packages?.urls, packages?.errors, files.get(TSCONFIG)]);
    const hit = this.entries.get(entry);
    if (hit && hit.packagesKey === packagesKey && stillHolds(hit.inputs, files)) {
      this.entries.delete(entry); // most recently used last
      this.entries.set(entry, hit);
      return hit.result;
    }
    let inputs: Inputs = { loaded: new Map(), resolved: [] };
    let result: BundleResult;
    if (packages) {
      const used = new Set<string>();
      result = await bundleWith(esbuild, files, entry, inputs, packages, used);
      // esbuild's CommonJS interop follows Node for .mjs/.mts importers (a default import is the
      // whole module), which a reference cannot honour: those files get the packages inlined.
      const nodeMode = inputs.resolved.some((r) => /\.m[jt]s$/.test(r.importer) && r.to !== null && used.has(r.to));
      if (result.ok && nodeMode) {
        inputs = { loaded: new Map(), resolved: [] };
        result = await bundleWith(esbuild, files, entry, inputs, packages);
      } else if (result.ok && used.size > 0) {
        const vendor = await this.vendor(esbuild, [...used].sort(), packagesKey, packages);
        result = vendor.ok ? joinVendor(vendor.code, result) : vendor;
      }
    } else {
      result = await bundleWith(esbuild, files, entry, inputs);
    }
    this.entries.delete(entry);
    if (result.ok) {
      this.entries.set(entry, { inputs, packagesKey, result });
      while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    }
    return result;
  }

  private vendor(esbuild: Pick<typeof Esbuild, 'build'>, urls: string[], packagesKey: string, packages: PackageSources): Promise<BundleResult> {
    const key = JSON.stringify([packagesKey, urls]);
    let v = this.vendors.get(key);
    if (v) {
      this.vendors.delete(key);
    } else {
      v = bundleVendor(esbuild, urls, packages);
      v.then((r) => !r.ok && this.vendors.get(key) === v && this.vendors.delete(key)).catch(() => this.vendors.delete(key));
    }
    this.vendors.set(key, v);
    while (this.vendors.size > this.maxVendors) this.vendors.delete(this.vendors.keys().next().value!);
    return v;
  }
}

function stillHolds(inputs: Inputs, files: ReadonlyMap<string, string>): boolean {
  for (const [path, text] of inputs.loaded) if ((files.get(path) ?? null) !== text) return false;
  for (const r of inputs.resolved) if (resolveImport(files, r.importer, r.spec) !== r.to) return false;
  return true;
}

const VENDOR_OUT = '__flintVendorOut';
const VENDOR_ENTRY = 'flint-vendor';

/**
 * The packages `urls` in one IIFE that fills `__flintVendorOut[url]` with each one's namespace,
 * marked `__esModule` (live getters), so esbuild's interop in the session's bundle gives named
 * imports, `default` and `import * as` exactly as from the package bundle itself.
 */
async function bundleVendor(esbuild: Pick<typeof Esbuild, 'build'>, urls: string[], packages: PackageSources): Promise<BundleResult> {
  const contents = [
    ...urls.map((u, i) => `import * as m${i} from ${JSON.stringify(u)};`),
    'const esm = (m) => { const o = {}; Object.defineProperty(o, "__esModule", { value: true }); for (const k of Object.keys(m)) Object.defineProperty(o, k, { get: () => m[k], enumerable: true }); return o; };',
    ...urls.map((u, i) => `${VENDOR_OUT}[${JSON.stringify(u)}] = esm(m${i});`),
  ].join('\n');
  try {
    const result = await esbuild.build({
      entryPoints: [VENDOR_ENTRY],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      outfile: 'vendor.js',
      logLevel: 'silent',
      plugins: [
        {
          name: 'flint-vendor',
          setup(build) {
            packageBundles(build, packages);
            build.onResolve({ filter: /.*/ }, (args) => (args.kind === 'entry-point' ? { path: args.path, namespace: VENDOR_ENTRY } : { path: args.path, namespace: PACKAGE }));
            build.onLoad({ filter: /.*/, namespace: VENDOR_ENTRY }, () => ({ contents, loader: 'js' }));
          },
        },
      ],
    });
    const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
    if (!js) return { ok: false, errors: [{ message: 'esbuild produced no output.' }] };
    return { ok: true, code: js.text, map: '' };
  } catch (err) {
    return failureOf(err, VENDOR_ENTRY);
  }
}

/**
 * One classic script: the vendor (run on the first `__flintPackage` call) and the session's
 * bundle, in a function scope of their own. The session's source map is shifted down by the
 * lines put before its code.
 */
export function joinVendor(vendorCode: string, test: Extract<BundleResult, { ok: true }>): Extract<BundleResult, { ok: true }> {
  // Every function around the vendor is parenthesized: V8 compiles those eagerly, where a plain
  // `function` would be pre-parsed (≈ 1 MB) and then parsed again on its first call.
  const prefix = `(function(){var ${VENDOR_GET}=(function(){var out=null;return (function(url){if(out===null){out={};(function(${VENDOR_OUT}){\n${vendorCode}\n})(out);}return out[url];});})();\n`;
  let lines = 0;
  for (let i = prefix.indexOf('\n'); i !== -1; i = prefix.indexOf('\n', i + 1)) lines++;
  const map = JSON.parse(test.map) as { mappings: string };
  map.mappings = ';'.repeat(lines) + map.mappings;
  return { ok: true, code: `${prefix}${test.code}\n})();\n`, map: JSON.stringify(map) };
}

const cache = new BundleCache();

export async function bundleTestFile(files: ReadonlyMap<string, string>, entry: string, packages?: PackageSources): Promise<BundleResult> {
  return cache.bundle(await loadEsbuild(), files, entry, packages);
}

const TSCONFIG = 'tsconfig.json';

/**
 * How the session's TypeScript and JSX compile, as Vitest's esbuild does it: from its
 * tsconfig.json when it has one (`"jsx": "react-jsx"` → React's automatic runtime), else the
 * automatic runtime when React is among its packages (Vite's React template), else
 * `React.createElement`.
 */
function compilerOptions(files: ReadonlyMap<string, string>, packages?: PackageSources): Pick<Esbuild.BuildOptions, 'jsx' | 'tsconfigRaw'> {
  const tsconfig = files.get(TSCONFIG);
  if (tsconfig?.trim()) return { tsconfigRaw: tsconfig };
  return { jsx: packages?.urls.react ? 'automatic' : 'transform' };
}

/**
 * The bundling itself, given an esbuild (the wasm one in the page; unit tests pass Node's, same
 * version). With `external`, package imports become `__flintPackage(url)` references (their URLs
 * are added to it) for `joinVendor`; without, the package bundles are bundled in.
 */
export async function bundleWith(esbuild: Pick<typeof Esbuild, 'build'>, files: ReadonlyMap<string, string>, entry: string, inputs?: Inputs, packages?: PackageSources, external?: Set<string>): Promise<BundleResult> {
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      outfile: 'bundle.js',
      sourcemap: 'external',
      sourcesContent: false,
      ...compilerOptions(files, packages),
      logLevel: 'silent',
      plugins: [plugin(files, inputs, packages, external)],
    });
    const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
    const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
    if (!js || !map) return { ok: false, errors: [{ message: 'esbuild produced no output.' }] };
    return { ok: true, code: js.text, map: map.text };
  } catch (err) {
    return failureOf(err, entry);
  }
}

function failureOf(err: unknown, entry: string): Extract<BundleResult, { ok: false }> {
  const failure = err as Partial<Esbuild.BuildFailure>;
  if (!Array.isArray(failure.errors)) return { ok: false, errors: [{ message: `Could not bundle ${entry}: ${String(err)}` }] };
  return {
    ok: false,
    errors: failure.errors.slice(0, 20).map((m) => {
      const loc = m.location;
      const where = loc ? `${sourcePath(loc.file)}:${loc.line}:${loc.column + 1}` : entry;
      // Errors inside a package bundle are located in the package, not in a session file.
      if (loc?.file.startsWith(`${PACKAGE}:`)) return { name: 'BuildError', message: `${loc.file.slice(PACKAGE.length + 1)}: ${m.text}` };
      // The vendor's own entry is generated: its errors (a package bundle that did not load) say enough.
      if (loc?.file.startsWith(`${VENDOR_ENTRY}:`)) return { name: 'BuildError', message: m.text };
      return {
        name: 'BuildError',
        message: `${where}: ${m.text}`,
        ...(loc ? { location: { path: sourcePath(loc.file), line: loc.line, column: loc.column } } : {}),
      };
    }),
  };
}
