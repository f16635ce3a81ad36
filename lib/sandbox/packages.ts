/**
 * The browser side of a session's npm packages at bundle time. The server bundles each
 * package@version into ESM whose imports of other packages are URLs of their bundles
 * (`/_flint/pkg/<id>/<subpath>`, immutable). The test bundler rewrites a bare specifier of the
 * session's code (`react`, `lodash/chunk`) to that URL; the package bundles a test file imports
 * are bundled once into a vendor script per set of URLs (bundler.ts `BundleCache`), which the
 * session's bundle is joined to, so a test's bundle is one script (workers get no import map)
 * holding one copy of each package: react-dom's `react` and the test's `react` are the same
 * URL, one module. The preview inlines them with `bundleWith` into a vendor script of its own.
 */

/** What the bundler needs to know about the session's packages (from `packages:status`). */
export interface PackageSources {
  /** Direct dependency name → URL prefix of its bundles, for the ready ones. */
  urls: Readonly<Record<string, string>>;
  /** Direct dependencies that failed, with the reason shown to people (names the package). */
  errors: Readonly<Record<string, string>>;
  /** Fetches a bundle's text (by absolute or root-relative URL). */
  load(url: string): Promise<string>;
}

/** `@scope/name/sub` → name `@scope/name`, subpath `sub`. */
export function splitSpecifier(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, n).join('/'), subpath: parts.slice(n).join('/') };
}

/** The bundle URL a bare specifier of session code stands for, or why it has none. */
export function packageUrl(sources: PackageSources | undefined, spec: string): { url: string } | { error: string } {
  const { name, subpath } = splitSpecifier(spec);
  const failed = sources?.errors[name];
  if (failed) return { error: failed };
  const prefix = sources?.urls[name];
  if (prefix) return { url: prefix + subpath };
  return { error: `Cannot import "${spec}": "${name}" is not in this session's package.json dependencies.` };
}

/** A cache of bundle texts by URL: they are immutable, so one fetch per page. */
export function cachedLoader(fetchText: (url: string) => Promise<string>): (url: string) => Promise<string> {
  const texts = new Map<string, Promise<string>>();
  return (url) => {
    let t = texts.get(url);
    if (!t) {
      t = fetchText(url);
      texts.set(url, t);
      t.catch(() => texts.delete(url));
    }
    return t;
  };
}
