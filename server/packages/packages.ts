import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FlintError } from '../errors';
import type { AddressPolicy } from '../net/address-policy';
import { bundlePackage, splitSpecifier } from './bundle';
import { PackageResolver, readManifest, type LockedPackage, type PackageKey, type PackagesLock, type RootResult } from './resolver';

/**
 * The packages of sessions: resolve (resolver.ts) → fetch and extract into a folder per
 * package@version+integrity under FLINT_DATA_DIR (`packages/modules/<id>/node_modules/<name>`,
 * with `flint-meta.json` naming its dependencies' ids) → bundle on first request (bundle.ts),
 * kept on disk (`packages/bundles/<id>/…`) and in memory. An id (`<name>@<version>~<16 hex of
 * the sha512>`) names exactly one tarball, so its URLs are immutable.
 */

export interface PackageSettings {
  /** FLINT_NPM_REGISTRY (else npm's configured registry). */
  registry: string;
  /** FLINT_NPM_MAX_TARBALL_BYTES */
  maxTarballBytes: number;
  /** FLINT_NPM_MAX_TOTAL_BYTES: all tarballs of one session together. */
  maxTotalBytes: number;
}

export { DEFAULT_PACKAGE_LIMITS } from './limits';

/** One direct dependency as the browser sees it (`packages:status`). */
export interface PackageItem {
  name: string;
  range: string;
  version?: string;
  status: 'resolving' | 'ready' | 'error';
  /** The URL prefix of its bundles: `/_flint/pkg/<id>/`. */
  url?: string;
  /** Its `.d.ts` files (its own, or those of `@types/<name>`): `/_flint/types/<id>`. */
  types?: string;
  error?: { code: string; message: string };
}

export interface InstallResult {
  items: PackageItem[];
  lock: PackagesLock;
  /** When package.json itself could not be read. */
  error?: FlintError;
}

export const PACKAGE_URL_PREFIX = '/_flint/pkg/';
export const TYPES_URL_PREFIX = '/_flint/types/';
/** At most this much declaration text for one package and what it needs. */
const MAX_TYPES_BYTES = 16 * 1024 * 1024;

/** The DefinitelyTyped name of a package: `@scope/name` → `@types/scope__name`. */
export function typesPackageOf(name: string): string {
  return `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
}

/**
 * The shape of what bundle.ts emits. Bundles are cached on disk and served immutable under their
 * id, so a change to that shape must change every id: bump this with it.
 */
const BUNDLE_FORMAT = 2;

export function packageId(pkg: Pick<LockedPackage, 'name' | 'version' | 'integrity'>): string {
  const hex = createHash('sha256').update(`${BUNDLE_FORMAT}:${pkg.integrity}`).digest('hex').slice(0, 16);
  return `${pkg.name.replace('/', '+')}@${pkg.version}~${hex}`;
}

const ID = /^((?:@[a-z0-9][\w.-]*\+)?[a-z0-9][\w.-]*)@([\w.+-]+)~([0-9a-f]{16})$/i;

export function parseId(id: string): { name: string; version: string } | null {
  const m = ID.exec(id);
  return m ? { name: m[1].replace('+', '/'), version: m[2] } : null;
}

interface Meta {
  name: string;
  version: string;
  deps: Record<string, string>;
}

export class Packages {
  readonly resolver: PackageResolver;
  private readonly root: string;
  private readonly installing = new Map<string, Promise<number>>();
  private readonly bundles = new Map<string, Promise<string>>();

  constructor(
    dataDir: string,
    readonly settings: PackageSettings,
    policy: AddressPolicy,
    lookup?: (host: string) => Promise<Array<{ address: string }>>,
  ) {
    this.root = path.join(dataDir, 'packages');
    this.resolver = new PackageResolver({ registry: settings.registry, cacheDir: path.join(this.root, 'cacache'), maxTarballBytes: settings.maxTarballBytes, maxTotalBytes: settings.maxTotalBytes, policy, lookup });
  }

  private moduleRoot(id: string): string {
    return path.join(this.root, 'modules', id);
  }

  private packageDir(id: string, name: string): string {
    return path.join(this.moduleRoot(id), 'node_modules', ...name.split('/'));
  }

  /**
   * Resolves `package.json` (reusing `lockText` where it still fits), fetches what is missing
   * and reports each direct dependency. Never throws for a package: a failing one is an item
   * with `status: 'error'` and the rest are ready.
   */
  async install(packageJson: string | undefined, lockText: string | undefined, onProgress?: (items: PackageItem[]) => void): Promise<InstallResult> {
    const { manifest, error } = readManifest(packageJson);
    let lock: PackagesLock | undefined;
    try {
      const parsed = lockText ? JSON.parse(lockText) : undefined;
      if (parsed?.lockfileVersion === 1 && parsed.packages && parsed.roots) lock = parsed;
    } catch {
      /* a broken lock is resolved afresh */
    }
    const items = new Map<string, PackageItem>();
    for (const [name, range] of [...Object.entries(manifest.devDependencies ?? {}), ...Object.entries(manifest.dependencies ?? {})]) items.set(name, { name, range, status: 'resolving' });
    const report = () => onProgress?.([...items.values()].map((i) => ({ ...i })));
    report();

    const fail = (root: Pick<RootResult, 'name'>, err: FlintError) => {
      const item = items.get(root.name)!;
      Object.assign(item, { status: 'error', error: { code: err.code, message: err.message } });
      delete item.url;
    };
    // Type acquisition: `@types/<name>` for each direct dependency, resolved alongside (quietly:
    // most packages have none there). Used only by the editor, for those without their own.
    const typesFor = new Map<string, string>();
    const withTypes = { ...manifest, devDependencies: { ...manifest.devDependencies } };
    for (const name of items.keys()) {
      const t = typesPackageOf(name);
      if (name.startsWith('@types/') || items.has(t)) continue;
      typesFor.set(t, name);
      withTypes.devDependencies[t] = '*';
    }
    const { lock: next, roots: allRoots } = await this.resolver.resolve(withTypes, {
      lock,
      onRoot: (root) => {
        const item = items.get(root.name);
        if (!item) return; // an @types/ companion
        if (root.error) fail(root, root.error);
        else item.version = root.key!.slice(root.key!.lastIndexOf('@') + 1);
        report();
      },
    });

    const roots = allRoots.filter((r) => items.has(r.name));
    const typeRoots = allRoots.filter((r) => typesFor.has(r.name) && r.key);
    for (const r of allRoots) if (typesFor.has(r.name) && !r.key) delete next.roots[r.name];
    // Fetch every node of every resolved root; the session's total is checked as tarballs arrive.
    let total = 0;
    const fetched = new Map<PackageKey, Promise<void>>();
    const ensure = (key: PackageKey): Promise<void> => {
      let p = fetched.get(key);
      if (!p) {
        const pkg = next.packages[key];
        p = (async () => {
          const bytes = await this.ensureInstalled(pkg, next);
          total += bytes;
          if (total > this.settings.maxTotalBytes) throw new FlintError('tarballTooLarge', `The session's packages together exceed ${this.settings.maxTotalBytes} bytes (FLINT_NPM_MAX_TOTAL_BYTES) at "${pkg.name}@${pkg.version}".`);
        })();
        fetched.set(key, p);
      }
      return p;
    };
    const closure = (key: PackageKey, into = new Set<PackageKey>()) => {
      if (into.has(key)) return into;
      into.add(key);
      for (const k of Object.values(next.packages[key].dependencies)) closure(k, into);
      return into;
    };
    await Promise.all(
      roots.map(async (root) => {
        if (!root.key) return;
        try {
          await Promise.all([...closure(root.key)].map(ensure));
          const item = items.get(root.name)!;
          const id = packageId(next.packages[root.key]);
          item.status = 'ready';
          item.url = `${PACKAGE_URL_PREFIX}${id}/`;
          if (await this.hasOwnTypes(id, root.name)) item.types = `${TYPES_URL_PREFIX}${id}`;
          else {
            const companion = typeRoots.find((t) => typesFor.get(t.name) === root.name);
            if (companion) {
              try {
                await Promise.all([...closure(companion.key!)].map(ensure));
                item.types = `${TYPES_URL_PREFIX}${packageId(next.packages[companion.key!])}`;
              } catch {
                delete next.roots[companion.name]; // no types: the package still works
              }
            }
          }
        } catch (err) {
          fail(root, err instanceof FlintError ? err : new FlintError('internal', `"${root.name}" could not be installed.`));
          delete next.roots[root.name];
        }
        report();
      }),
    );
    return { items: [...items.values()], lock: next, ...(error ? { error } : {}) };
  }

  /** Fetches and extracts one package unless its folder is already complete; returns bytes fetched (0 when cached). */
  private ensureInstalled(pkg: LockedPackage, lock: PackagesLock): Promise<number> {
    const id = packageId(pkg);
    let p = this.installing.get(id);
    if (!p) {
      p = (async () => {
        const metaFile = path.join(this.moduleRoot(id), 'flint-meta.json');
        if (await fs.stat(metaFile).catch(() => null)) return 0;
        const dir = this.packageDir(id, pkg.name);
        await fs.rm(this.moduleRoot(id), { recursive: true, force: true });
        const bytes = await this.resolver.fetch(pkg, dir);
        const meta: Meta = { name: pkg.name, version: pkg.version, deps: Object.fromEntries(Object.entries(pkg.dependencies).map(([n, k]) => [n, packageId(lock.packages[k])])) };
        await fs.writeFile(metaFile, JSON.stringify(meta)); // last: its presence means complete
        return bytes;
      })();
      this.installing.set(id, p);
      p.catch(() => this.installing.delete(id));
    }
    return p;
  }

  private async hasOwnTypes(id: string, name: string): Promise<boolean> {
    const dir = this.packageDir(id, name);
    const pj = await fs
      .readFile(path.join(dir, 'package.json'), 'utf8')
      .then((t) => JSON.parse(t) as Record<string, unknown>)
      .catch(() => ({}) as Record<string, unknown>);
    if (typeof pj.types === 'string' || typeof pj.typings === 'string') return true;
    return !!(await fs.stat(path.join(dir, 'index.d.ts')).catch(() => null));
  }

  /**
   * The declaration files of a package and of everything it depends on, as the editor wants
   * them: `node_modules/<name>/<file>` → text (`.d.ts`, `.d.mts`, `.d.cts` and each
   * package.json). Null when the package is not installed here.
   */
  async types(id: string): Promise<Record<string, string> | null> {
    if (!parseId(id)) return null;
    const out: Record<string, string> = {};
    let bytes = 0;
    const seen = new Set<string>();
    const visit = async (pkgId: string): Promise<boolean> => {
      if (seen.has(pkgId)) return true;
      seen.add(pkgId);
      const meta = await fs
        .readFile(path.join(this.moduleRoot(pkgId), 'flint-meta.json'), 'utf8')
        .then((t) => JSON.parse(t) as Meta)
        .catch(() => null);
      if (!meta) return false;
      const dir = this.packageDir(pkgId, meta.name);
      const walk = async (rel: string): Promise<void> => {
        for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
          const p = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) {
            if (e.name !== 'node_modules') await walk(p);
          } else if (e.isFile() && (/\.d\.[cm]?ts$/.test(e.name) || p === 'package.json')) {
            const text = await fs.readFile(path.join(dir, p), 'utf8');
            bytes += text.length;
            if (bytes > MAX_TYPES_BYTES) return;
            out[`node_modules/${meta.name}/${p}`] = text;
          }
        }
      };
      await walk('');
      for (const dep of Object.values(meta.deps)) await visit(dep);
      return true;
    };
    return (await visit(id)) ? out : null;
  }

  /**
   * The ESM bundle of `<id>/<subpath>` (`subpath` '' for the package itself); null when that
   * package is not installed here. Errors (no such subpath, a syntax error) throw.
   */
  async bundle(id: string, subpath: string): Promise<string | null> {
    if (!parseId(id) || subpath.split('/').some((s) => s === '..' || s === '.')) return null;
    const meta = await fs
      .readFile(path.join(this.moduleRoot(id), 'flint-meta.json'), 'utf8')
      .then((t) => JSON.parse(t) as Meta)
      .catch(() => null);
    if (!meta) return null;
    const key = `${id}/${subpath}`;
    let b = this.bundles.get(key);
    if (!b) {
      b = (async () => {
        // `v2`: the bundle format (minified); a change of bundle.ts's output bumps it.
        const file = path.join(this.root, 'bundles', 'v2', id, `${encodeURIComponent(subpath || '.')}.js`);
        const cached = await fs.readFile(file, 'utf8').catch(() => null);
        if (cached !== null) return cached;
        const deps = Object.fromEntries(Object.entries(meta.deps).map(([n, depId]) => [n, `${PACKAGE_URL_PREFIX}${depId}/`]));
        const code = await bundlePackage({ dir: this.packageDir(id, meta.name), name: meta.name, subpath, deps });
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(`${file}.${process.pid}`, code);
        await fs.rename(`${file}.${process.pid}`, file);
        return code;
      })();
      this.bundles.set(key, b);
      b.catch(() => this.bundles.delete(key));
    }
    return b;
  }
}

export { splitSpecifier };
