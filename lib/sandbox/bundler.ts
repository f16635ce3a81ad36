'use client';
import type * as Esbuild from 'esbuild-wasm/esm/browser.js';
import { resolveImport } from './resolve';
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

function plugin(files: ReadonlyMap<string, string>): Esbuild.Plugin {
  return {
    name: 'flint-session-files',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return { path: args.path, namespace: NAMESPACE };
        const resolved = resolveImport(files, args.importer, args.path);
        if (resolved) return { path: resolved, namespace: NAMESPACE };
        const relative = args.path.startsWith('.') || args.path.startsWith('/');
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

export async function bundleTestFile(files: ReadonlyMap<string, string>, entry: string): Promise<BundleResult> {
  return bundleWith(await loadEsbuild(), files, entry);
}

/** The bundling itself, given an esbuild (the wasm one in the page; unit tests pass Node's, same version). */
export async function bundleWith(esbuild: Pick<typeof Esbuild, 'build'>, files: ReadonlyMap<string, string>, entry: string): Promise<BundleResult> {
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
      jsx: 'transform',
      logLevel: 'silent',
      plugins: [plugin(files)],
    });
    const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
    const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
    if (!js || !map) return { ok: false, errors: [{ message: 'esbuild produced no output.' }] };
    return { ok: true, code: js.text, map: map.text };
  } catch (err) {
    const failure = err as Partial<Esbuild.BuildFailure>;
    if (!Array.isArray(failure.errors)) return { ok: false, errors: [{ message: `Could not bundle ${entry}: ${String(err)}` }] };
    return {
      ok: false,
      errors: failure.errors.slice(0, 20).map((m) => {
        const loc = m.location;
        const where = loc ? `${sourcePath(loc.file)}:${loc.line}:${loc.column + 1}` : entry;
        return {
          name: 'BuildError',
          message: `${where}: ${m.text}`,
          ...(loc ? { location: { path: sourcePath(loc.file), line: loc.line, column: loc.column } } : {}),
        };
      }),
    };
  }
}
