import type * as Esbuild from 'esbuild-wasm/esm/browser.js';
import { resolveImport } from '@/lib/sandbox/resolve';
import { bundleWith } from '@/lib/sandbox/bundler';
import type { PackageSources } from '@/lib/sandbox/packages';
import { MODULE_URL, type PreviewModule } from './protocol';

/**
 * Turns the session's files into the preview's modules: each file is transformed on its own
 * (esbuild-wasm `transform`, CommonJS) and cached by its text, so an edit re-transforms one file;
 * the npm packages the app imports are bundled once into a vendor script (the packages issue's
 * per-version ESM bundles, loaded by URL through lib/sandbox's bundler) and reused while the set
 * of imported packages and the packages themselves stay the same. Components (top-level
 * functions or consts named with a capital) are registered with react-refresh, with a
 * signature of the file's hook calls, so an edit of a component keeps its state unless its
 * hooks changed.
 */

export interface Location {
  path: string;
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
}

export interface BuildError {
  message: string;
  location?: Location;
}

export interface BuiltModule extends PreviewModule {
  /** The module's source map (lines are the code's, before the wrapper line). */
  map: string;
}

export type PreviewBuild =
  | { ok: true; entry: string; body: string; modules: BuiltModule[]; vendor: string; vendorKey: string }
  | { ok: false; errors: BuildError[] };

export type EsbuildApi = Pick<typeof Esbuild, 'build' | 'transform'>;

const ENTRIES = ['src/main.tsx', 'src/main.jsx', 'src/main.ts', 'src/main.js', 'src/index.tsx', 'src/index.jsx', 'main.tsx', 'main.jsx', 'index.tsx', 'index.jsx'];
const SCRIPT_EXT = /\.(m?[jt]sx?|cjs)$/;
const ASSET_EXT = /\.(svg|png|jpe?g|gif|webp|ico|avif)$/i;

/** Where the app starts: index.html's module script, else a conventional entry. Null: nothing to preview. */
export function findEntry(files: ReadonlyMap<string, string>): { entry: string; body: string } | null {
  const html = files.get('index.html');
  if (html !== undefined) {
    const src = /<script[^>]*type=["']module["'][^>]*src=["']([^"']+)["']/i.exec(html)?.[1] ?? /<script[^>]*src=["']([^"']+)["'][^>]*type=["']module["']/i.exec(html)?.[1];
    const body = (/<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? '').replace(/<script[\s\S]*?<\/script>/gi, '');
    if (src) {
      const path = src.replace(/^\.?\//, '');
      if (files.has(path)) return { entry: path, body };
    }
    const fallback = ENTRIES.find((e) => files.has(e));
    return fallback ? { entry: fallback, body } : null;
  }
  const entry = ENTRIES.find((e) => files.has(e));
  return entry ? { entry, body: '<div id="root"></div>' } : null;
}

function loaderOf(path: string): Esbuild.Loader {
  if (path.endsWith('.tsx')) return 'tsx';
  if (/\.[cm]?ts$/.test(path)) return 'ts';
  if (path.endsWith('.jsx')) return 'jsx';
  if (path.endsWith('.json')) return 'json';
  return 'jsx'; // .js files of React apps often hold JSX
}

/** Top-level component names of a source file (functions or consts named with a capital). */
export function componentNames(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/^(?:export\s+(?:default\s+)?)?(?:async\s+)?function\s*\*?\s*([A-Z][\w$]*)/gm)) names.add(m[1]);
  for (const m of source.matchAll(/^(?:export\s+)?(?:const|let|var)\s+([A-Z][\w$]*)\s*(?::[^=]+)?=\s*(?:\(|function\b|async\b|[\w$.]*(?:memo|forwardRef)\s*\()/gm)) names.add(m[1]);
  return [...names];
}

/** A file's hook calls in order: its components' signature (a change forces a remount, as react-refresh's Babel plugin does). */
export function hookSignature(source: string): string {
  return [...source.matchAll(/\b(use[A-Z]\w*|use)\s*\(/g)].map((m) => m[1]).join(',');
}

const wrap = (path: string, code: string) =>
  `__flintDefine(${JSON.stringify(path)}, function (require, module, exports, $RefreshReg$, $RefreshSig$) {\n${code}\n});\n//# sourceURL=${MODULE_URL}${path}`;

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const MIME: Record<string, string> = { svg: 'image/svg+xml', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', ico: 'image/x-icon', avif: 'image/avif' };

/** An image file as a data: URL. Text files (SVG) as written; others are held base64 in the workspace. */
export function assetUrl(path: string, text: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const mime = MIME[ext] ?? 'application/octet-stream';
  if (ext === 'svg') return `data:${mime};base64,${base64(text)}`;
  const b64 = text.replace(/^data:[^,]*,/, '').replace(/\s+/g, '');
  return `data:${mime};base64,${b64}`;
}

function lineOf(source: string, needle: string): Location['line'] {
  const i = source.indexOf(needle);
  return i < 0 ? 1 : source.slice(0, i).split('\n').length;
}

interface Transformed {
  text: string;
  module?: BuiltModule;
  requires?: string[];
  errors?: BuildError[];
}

export class PreviewBuilder {
  private readonly transformed = new Map<string, Transformed>();
  private vendor: { key: string; code: string } | null = null;

  constructor(private readonly esbuild: EsbuildApi) {}

  private async transformFile(path: string, text: string): Promise<Transformed> {
    const hit = this.transformed.get(path);
    if (hit && hit.text === text) return hit;
    let result: Transformed;
    if (path.endsWith('.css')) {
      const code = `var css = ${JSON.stringify(text)};\nmodule.exports = css;\nrequire.style(css);`;
      result = { text, requires: [], module: { path, code: wrap(path, code), deps: {}, css: true, map: '' } };
    } else if (ASSET_EXT.test(path)) {
      result = { text, requires: [], module: { path, code: wrap(path, `module.exports = ${JSON.stringify(assetUrl(path, text))};`), deps: {}, map: '' } };
    } else {
      try {
        const out = await this.esbuild.transform(text, {
          loader: loaderOf(path),
          format: 'cjs',
          sourcefile: path,
          sourcemap: 'external',
          sourcesContent: false,
          jsx: 'automatic',
          target: 'es2022',
          logLevel: 'silent',
        });
        const names = SCRIPT_EXT.test(path) && !path.endsWith('.json') ? componentNames(text) : [];
        const signature = hookSignature(text);
        const refresh = names.map((n) => `\n$RefreshReg$(${n}, ${JSON.stringify(n)}, ${JSON.stringify(signature)});`).join('');
        const code = out.code + refresh;
        const requires = [...new Set([...out.code.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))];
        result = { text, requires, module: { path, code: wrap(path, code), deps: {}, map: out.map } };
      } catch (err) {
        const failure = err as Partial<Esbuild.TransformFailure>;
        const errors = Array.isArray(failure.errors)
          ? failure.errors.slice(0, 20).map((m) => ({
              message: `${path}:${m.location?.line ?? 1}:${(m.location?.column ?? 0) + 1}: ${m.text}`,
              location: { path, line: m.location?.line ?? 1, column: m.location?.column ?? 0 },
            }))
          : [{ message: `${path}: ${String(err)}`, location: { path, line: 1, column: 0 } }];
        result = { text, errors };
      }
    }
    this.transformed.set(path, result);
    return result;
  }

  /** Builds the app from these files; only files reachable from the entry are transformed. */
  async build(files: ReadonlyMap<string, string>, packages?: PackageSources): Promise<PreviewBuild> {
    const found = findEntry(files);
    if (!found) return { ok: false, errors: [{ message: 'Nothing to preview: add an index.html with a module script, or a src/main.tsx (or main.jsx, index.tsx) entry.' }] };
    const modules: BuiltModule[] = [];
    const errors: BuildError[] = [];
    const bare = new Set<string>();
    const seen = new Set<string>([found.entry]);
    const queue = [found.entry];
    while (queue.length) {
      const path = queue.shift()!;
      const text = files.get(path)!;
      const t = await this.transformFile(path, text);
      if (t.errors) {
        errors.push(...t.errors);
        continue;
      }
      const deps: Record<string, string> = {};
      for (const spec of t.requires!) {
        const resolved = resolveImport(files, path, spec);
        if (resolved) {
          deps[spec] = resolved;
          if (!seen.has(resolved)) {
            seen.add(resolved);
            queue.push(resolved);
          }
        } else if (spec.startsWith('.') || spec.startsWith('/')) {
          const line = lineOf(text, spec);
          errors.push({ message: `${path}:${line}: Cannot find "${spec}": there is no such file in this session.`, location: { path, line, column: 0 } });
        } else {
          deps[spec] = `pkg:${spec}`;
          bare.add(spec);
        }
      }
      modules.push({ ...t.module!, deps });
    }
    if (errors.length) return { ok: false, errors };
    const vendor = await this.vendorFor([...bare].sort(), files, packages);
    if ('errors' in vendor) return { ok: false, errors: vendor.errors };
    return { ok: true, entry: found.entry, body: found.body, modules, vendor: vendor.code, vendorKey: vendor.key };
  }

  private async vendorFor(specs: string[], files: ReadonlyMap<string, string>, packages?: PackageSources): Promise<{ key: string; code: string } | { errors: BuildError[] }> {
    const key = JSON.stringify([specs, packages?.urls ?? {}, packages?.errors ?? {}]);
    if (this.vendor?.key === key) return this.vendor;
    const entry = '.flint/preview-vendor.js';
    const lines = specs.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`);
    lines.push(`globalThis.__flintPkgs = {${specs.map((s, i) => `${JSON.stringify(s)}: m${i}`).join(', ')}};`);
    const withEntry = new Map(files);
    withEntry.set(entry, lines.join('\n'));
    const out = await bundleWith(this.esbuild, withEntry, entry, undefined, packages ?? { urls: {}, errors: {}, load: () => Promise.reject(new Error('no packages')) });
    if (!out.ok) return { errors: out.errors.map((e) => ({ message: e.message, ...(e.location && e.location.path !== entry ? { location: e.location } : {}) })) };
    this.vendor = { key, code: out.code };
    return this.vendor;
  }
}
