import dns from 'node:dns';
import fs from 'node:fs/promises';
import path from 'node:path';
import npa from 'npm-package-arg';
import pacote from 'pacote';
import semver from 'semver';
import ssri from 'ssri';
import { FlintError } from '../errors';
import { AddressRefusedError, checkAddress, checkUrl, type AddressPolicy } from '../net/address-policy';
import type { ErrorCode } from '@/lib/protocol';

/**
 * Resolving a session's package.json against an npm registry and fetching the tarballs, with
 * npm's own libraries: pacote (manifests, dist-tags, tarballs checked against their sha512
 * integrity by ssri, a content-addressed cacache under FLINT_DATA_DIR) and semver. Install
 * scripts never run: tarballs are only extracted (pacote's `extract` runs no lifecycle script;
 * `ignoreScripts` is passed as well), and nothing fetched is ever required by this process.
 *
 * Invariants:
 * - one node per `name@version`; an edge reuses a version already chosen for that name when it
 *   satisfies the range (the direct dependencies are resolved first, so a peer dependency such
 *   as react-dom → react lands on the session's own react: one copy);
 * - a locked version is used, without asking the registry, while it satisfies the range;
 * - a failure fails every direct dependency whose tree reaches it, naming the package that
 *   failed; the other direct dependencies resolve and fetch as usual.
 */

export type PackageKey = `${string}@${string}`;

export interface LockedPackage {
  name: string;
  version: string;
  /** `sha512-…` (SRI), checked on every fetch. */
  integrity: string;
  resolved: string;
  /** Dependency name → the node it resolved to (dependencies and non-optional peers). */
  dependencies: Record<string, PackageKey>;
}

/** Flint's lock (`.flint/packages-lock.json` in the session). */
export interface PackagesLock {
  lockfileVersion: 1;
  /** Direct dependency name → node. */
  roots: Record<string, PackageKey>;
  packages: Record<PackageKey, LockedPackage>;
}

export interface RootResult {
  name: string;
  range: string;
  dev: boolean;
  /** Set when it and everything it needs resolved and (with `fetch`) were fetched. */
  key?: PackageKey;
  error?: FlintError;
}

export interface ResolverOptions {
  registry: string;
  /** cacache folder (content-addressed tarballs and registry answers). */
  cacheDir: string;
  maxTarballBytes: number;
  maxTotalBytes: number;
  /** Applies to tarball hosts other than the configured registry's. */
  policy: AddressPolicy;
  /** For tests: how a tarball host is resolved before the policy judges it. */
  lookup?: (host: string) => Promise<Array<{ address: string }>>;
}

export interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const keyOf = (name: string, version: string): PackageKey => `${name}@${version}`;

/** Parses package.json text; a missing or broken one is an empty manifest plus a reason. */
export function readManifest(text: string | undefined): { manifest: Manifest; error?: FlintError } {
  if (text === undefined || text.trim() === '') return { manifest: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { manifest: {}, error: new FlintError('packageInvalid', `package.json is not valid JSON: ${(err as Error).message.slice(0, 200)}`) };
  }
  if (!json || typeof json !== 'object') return { manifest: {}, error: new FlintError('packageInvalid', 'package.json must hold an object.') };
  const pick = (v: unknown): Record<string, string> => {
    if (!v || typeof v !== 'object') return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  };
  const j = json as Record<string, unknown>;
  return { manifest: { dependencies: pick(j.dependencies), devDependencies: pick(j.devDependencies) } };
}

/** A pacote / npm-registry-fetch failure as the typed error a person reads, naming the package. */
export function packageError(err: unknown, name: string, range: string): FlintError {
  if (err instanceof FlintError) return err;
  if (err instanceof AddressRefusedError) return new FlintError('addressRefused', `${name}: the tarball address was refused: ${err.message}`);
  const e = err as { code?: string; statusCode?: number; message?: string };
  const code: ErrorCode =
    e.code === 'E404' || e.statusCode === 404
      ? 'packageNotFound'
      : e.code === 'ETARGET'
        ? 'versionNotFound'
        : e.code === 'EINTEGRITY'
          ? 'integrityMismatch'
          : e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT' || e.code === 'ECONNRESET' || e.code === 'EAI_AGAIN' || e.code === 'FETCH_ERROR' || (e.statusCode ?? 0) >= 500
            ? 'registryUnreachable'
            : 'packageInvalid';
  const message: Record<ErrorCode, string> = {
    packageNotFound: `Package "${name}" was not found in the registry.`,
    versionNotFound: `No version of "${name}" matches "${range}".`,
    integrityMismatch: `The tarball of "${name}" does not match its integrity checksum (sha512); it was not used.`,
    registryUnreachable: `The registry could not be reached for "${name}" (${e.code ?? e.statusCode ?? 'no answer'}).`,
  } as Record<ErrorCode, string>;
  return new FlintError(code, message[code] ?? `"${name}@${range}" could not be used: ${String(e.message ?? err).slice(0, 300)}`);
}

export class PackageResolver {
  private readonly registryOrigin: string;
  private readonly manifests = new Map<string, Promise<pacote.AbbreviatedManifest & pacote.ManifestResult>>();

  constructor(private readonly opts: ResolverOptions) {
    this.registryOrigin = new URL(opts.registry).origin;
  }

  private pacoteOptions(): pacote.Options {
    return { registry: this.opts.registry, cache: this.opts.cacheDir, ignoreScripts: true, fullMetadata: false, preferOnline: false } as pacote.Options;
  }

  private manifest(name: string, range: string) {
    const id = `${name}@${range}`;
    let m = this.manifests.get(id);
    if (!m) {
      m = pacote.manifest(id, { ...this.pacoteOptions(), preferOnline: true });
      this.manifests.set(id, m);
      m.catch(() => this.manifests.delete(id));
    }
    return m;
  }

  /**
   * Resolves every direct dependency (dev ones with `dev`) to a tree and returns the lock of
   * what resolved. `onRoot` is called as each direct dependency settles (for progress).
   */
  async resolve(manifest: Manifest, opts: { lock?: PackagesLock; onRoot?: (root: RootResult) => void } = {}): Promise<{ lock: PackagesLock; roots: RootResult[] }> {
    const lock = opts.lock;
    const nodes = new Map<PackageKey, { pkg: LockedPackage; done: Promise<void> }>();
    const chosen = new Map<string, Set<string>>();
    const choose = (name: string, version: string) => {
      let set = chosen.get(name);
      if (!set) chosen.set(name, (set = new Set()));
      set.add(version);
    };

    const pick = async (name: string, range: string): Promise<LockedPackage & { fromLock?: Record<string, PackageKey> }> => {
      const parsed = npa.resolve(name, range);
      if (parsed.type !== 'range' && parsed.type !== 'version' && parsed.type !== 'tag') {
        throw new FlintError('packageInvalid', `"${name}": only registry versions, ranges and tags are supported, not "${range}" (${parsed.type}).`);
      }
      const isRange = parsed.type !== 'tag' && semver.validRange(range) !== null;
      if (isRange) {
        for (const v of chosen.get(name) ?? []) if (semver.satisfies(v, range)) return nodes.get(keyOf(name, v))!.pkg;
        const locked = Object.values(lock?.packages ?? {}).find((p) => p.name === name && semver.satisfies(p.version, range));
        if (locked) return { ...locked, dependencies: {}, fromLock: locked.dependencies };
      }
      const m = await this.manifest(name, range);
      return { name, version: m.version, integrity: m._integrity, resolved: m._resolved, dependencies: {} };
    };

    const edge = async (name: string, range: string, trail: PackageKey[]): Promise<PackageKey> => {
      let pkg: LockedPackage & { fromLock?: Record<string, PackageKey> };
      try {
        pkg = await pick(name, range);
      } catch (err) {
        throw packageError(err, name, range);
      }
      const key = keyOf(pkg.name, pkg.version);
      let node = nodes.get(key);
      if (!node) {
        choose(pkg.name, pkg.version);
        const { fromLock, ...rest } = pkg;
        const entry: LockedPackage = { ...rest, dependencies: {} };
        node = { pkg: entry, done: Promise.resolve() };
        nodes.set(key, node);
        const next = (n: string, r: string) => edge(n, r, [...trail, key]);
        // A locked node's edges come from the lock (exact versions): no registry request.
        node.done = fromLock
          ? Promise.all(Object.entries(fromLock).map(async ([n, k]) => (entry.dependencies[n] = await next(n, k.slice(k.lastIndexOf('@') + 1))))).then(() => {})
          : this.expand(entry, next);
        node.done.catch(() => {});
      }
      if (!trail.includes(key)) await node.done; // a cycle does not wait on its own ancestor
      return key;
    };

    const direct: Array<{ name: string; range: string; dev: boolean }> = [
      ...Object.entries(manifest.dependencies ?? {}).map(([name, range]) => ({ name, range, dev: false })),
      ...Object.entries(manifest.devDependencies ?? {})
        .filter(([name]) => !(manifest.dependencies ?? {})[name])
        .map(([name, range]) => ({ name, range, dev: true })),
    ];
    // Direct dependencies pick their versions first, so shared and peer dependencies reuse them.
    const roots = await Promise.all(
      direct.map(async (d): Promise<RootResult> => {
        let root: RootResult;
        try {
          root = { ...d, key: await edge(d.name, d.range, []) };
        } catch (err) {
          root = { ...d, error: packageError(err, d.name, d.range) };
        }
        opts.onRoot?.(root);
        return root;
      }),
    );
    const out: PackagesLock = { lockfileVersion: 1, roots: {}, packages: {} };
    const visit = (key: PackageKey) => {
      if (out.packages[key]) return;
      const node = nodes.get(key)!;
      out.packages[key] = node.pkg;
      for (const k of Object.values(node.pkg.dependencies)) visit(k);
    };
    for (const r of roots) {
      if (!r.key) continue;
      out.roots[r.name] = r.key;
      visit(r.key);
    }
    return { lock: out, roots };
  }

  /** The node's dependencies and required peers, from its manifest at that exact version. */
  private async expand(pkg: LockedPackage, edge: (name: string, range: string) => Promise<PackageKey>): Promise<void> {
    let m: pacote.AbbreviatedManifest & pacote.ManifestResult;
    try {
      m = await pacote.manifest(keyOf(pkg.name, pkg.version), this.pacoteOptions());
    } catch (err) {
      throw packageError(err, pkg.name, pkg.version);
    }
    const meta = (m as { peerDependenciesMeta?: Record<string, { optional?: boolean }> }).peerDependenciesMeta ?? {};
    const peers = Object.entries(m.peerDependencies ?? {}).filter(([n]) => !meta[n]?.optional);
    const deps = [...Object.entries(m.dependencies ?? {}), ...peers];
    const optional = Object.entries(m.optionalDependencies ?? {});
    await Promise.all([
      ...deps.map(async ([name, range]) => {
        pkg.dependencies[name] = await edge(name, range);
      }),
      // An optional dependency that does not resolve is left out, as npm does.
      ...optional.map(async ([name, range]) => {
        try {
          pkg.dependencies[name] = await edge(name, range);
        } catch {
          /* optional */
        }
      }),
    ]);
  }

  /**
   * Fetches one locked package's tarball (integrity checked, at most `maxTarballBytes`) and
   * extracts it into `dest` (no scripts). Returns the tarball's size. A host other than the
   * registry's must pass the address policy.
   */
  async fetch(pkg: LockedPackage, dest: string): Promise<number> {
    try {
      if (!ssri.parse(pkg.integrity, { single: true })) throw new FlintError('integrityMismatch', `"${pkg.name}" has no integrity checksum in the registry; it was not used.`);
      const url = new URL(pkg.resolved);
      if (url.origin !== this.registryOrigin) await this.checkHost(pkg.resolved);
      const opts = { ...this.pacoteOptions(), integrity: pkg.integrity, resolved: pkg.resolved };
      const spec = `${pkg.name}@${pkg.resolved}`;
      let bytes = 0;
      const max = this.opts.maxTarballBytes;
      const data = await pacote.tarball.stream(
        spec,
        async (stream) => {
          const chunks: Buffer[] = [];
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            bytes += chunk.length;
            if (bytes > max) {
              (stream as { destroy?: () => void }).destroy?.();
              throw new FlintError('tarballTooLarge', `The tarball of "${pkg.name}@${pkg.version}" is larger than ${max} bytes (FLINT_NPM_MAX_TARBALL_BYTES).`);
            }
            chunks.push(chunk);
          }
          return Buffer.concat(chunks);
        },
        opts,
      );
      // Extract from the bytes just checked (pacote reads the file: spec; no scripts).
      const tmp = `${dest}.tgz.${process.pid}`;
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.writeFile(tmp, data);
      try {
        await pacote.extract(`file:${tmp}`, dest, { ...this.pacoteOptions(), integrity: pkg.integrity });
      } finally {
        await fs.rm(tmp, { force: true });
      }
      return data.length;
    } catch (err) {
      throw packageError(err, pkg.name, pkg.version);
    }
  }

  private async checkHost(resolved: string): Promise<void> {
    const url = checkUrl(resolved, this.opts.policy);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = await (this.opts.lookup ?? ((h: string) => dns.promises.lookup(h, { all: true })))(host);
    for (const a of addresses) {
      const verdict = checkAddress(a.address, this.opts.policy);
      if (!verdict.ok) throw new AddressRefusedError(`${url.host} resolves to ${a.address}, which ${verdict.reason}`);
    }
  }
}
