import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { BundleCache, bundleWith } from '@/lib/sandbox/bundler';
import { cachedLoader, type PackageSources } from '@/lib/sandbox/packages';
import { startRegistry, type Registry } from '@/test/support/verdaccio';
import { Packages, PACKAGE_URL_PREFIX, type PackageItem } from './packages';
import { npmConfiguredRegistry, registryFor } from './registry';

/**
 * Against a real registry (Verdaccio, no uplink, loopback) holding tarballs packed from this
 * repository's node_modules: resolution, integrity, the cache and the lock, every error, and
 * the bundles run — a session file importing zod, lodash/chunk, react and react-dom/server
 * bundled the way the sandbox does it (bundler.ts with Node's esbuild, same version) and run,
 * split (session code + a vendor script, the test runner's way) and inlined (the preview's).
 */

let registry: Registry;
let dataDir: string;
const PUBLISHED = ['react', 'react-dom', 'scheduler', 'zod', 'lodash', '@types/react', 'csstype', '@jridgewell/trace-mapping', '@jridgewell/resolve-uri', '@jridgewell/sourcemap-codec'];

const make = (over: Partial<{ registry: string; maxTarballBytes: number; maxTotalBytes: number; dir: string }> = {}) =>
  new Packages(over.dir ?? dataDir, { registry: over.registry ?? registry.url, maxTarballBytes: over.maxTarballBytes ?? 50e6, maxTotalBytes: over.maxTotalBytes ?? 500e6 }, { allowPrivate: false });
const pj = (dependencies: Record<string, string>, devDependencies: Record<string, string> = {}) => JSON.stringify({ name: 'session', dependencies, devDependencies });
const byName = (items: PackageItem[]) => Object.fromEntries(items.map((i) => [i.name, i]));

/** The sandbox's bundling of session files with these packages, then the bundle run here. */
async function runSession(pk: Packages, items: PackageItem[], files: Record<string, string>, entry: string) {
  const sources: PackageSources = {
    urls: Object.fromEntries(items.filter((i) => i.url).map((i) => [i.name, i.url!])),
    errors: Object.fromEntries(items.filter((i) => i.error).map((i) => [i.name, i.error!.message])),
    load: cachedLoader(async (url) => {
      const [id, ...sub] = url.slice(PACKAGE_URL_PREFIX.length).split('/');
      const code = await pk.bundle(id, sub.join('/'));
      if (code === null) throw new Error(`no bundle ${url}`);
      return code;
    }),
  };
  // The sandbox's way (BundleCache: session code + a vendor script of the packages) and the
  // inlined one (bundleWith, as the preview's vendor does) must run alike.
  const result = await new BundleCache().bundle(esbuild, new Map(Object.entries(files)), entry, sources);
  const inlined = await bundleWith(esbuild, new Map(Object.entries(files)), entry, undefined, sources);
  assert.equal(inlined.ok, result.ok);
  if (!result.ok) return { errors: result.errors.map((e) => e.message) };
  const out: Record<string, unknown> = {};
  new Function('out', result.code)(out);
  const outInlined: Record<string, unknown> = {};
  new Function('out', (inlined as { code: string }).code)(outInlined);
  assert.deepEqual(outInlined, out);
  return { out };
}

before(async () => {
  registry = await startRegistry();
  for (const name of PUBLISHED) await registry.publishInstalled(name);
  await registry.publishInstalled('lodash', { as: 'lodash-next', version: '1.0.0' });
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-packages-'));
});
after(async () => {
  await esbuild.stop(); // its service process would keep the test process alive
  await registry?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('registry configuration', () => {
  it('FLINT_NPM_REGISTRY wins; otherwise npm’s own configuration (npm_config_registry, .npmrc)', async () => {
    assert.equal(await registryFor({ FLINT_NPM_REGISTRY: 'http://127.0.0.1:9/npm' }), 'http://127.0.0.1:9/npm/');
    assert.equal(await npmConfiguredRegistry({ npm_config_registry: 'http://127.0.0.1:8/' }), 'http://127.0.0.1:8/');
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-home-'));
    await fs.writeFile(path.join(home, '.npmrc'), 'registry=http://mirror.invalid/npm/\n');
    assert.equal(await npmConfiguredRegistry({ HOME: home, npm_config_userconfig: path.join(home, '.npmrc') }), 'http://mirror.invalid/npm/');
    await fs.rm(home, { recursive: true, force: true });
  });
});

describe('resolve, fetch, bundle', () => {
  it('resolves ranges and dist-tags to one tree: react-dom’s peer react is the session’s react', async () => {
    const pk = make();
    const { items, lock } = await pk.install(pj({ react: '^19.0.0', 'react-dom': 'latest', zod: '^4', lodash: '4.x' }), undefined);
    const it = byName(items);
    for (const n of ['react', 'react-dom', 'zod', 'lodash']) assert.equal(it[n].status, 'ready', JSON.stringify(it[n]));
    assert.equal(it['react-dom'].version, '19.3.1');
    assert.equal(lock.packages['react-dom@19.3.1'].dependencies.react, 'react@19.3.1');
    assert.equal(lock.packages['react-dom@19.3.1'].dependencies.scheduler, 'scheduler@0.28.0');
    assert.match(lock.packages['zod@4.6.7'].integrity, /^sha512-/);
    assert.equal(Object.keys(lock.packages).filter((k) => k.startsWith('react@')).length, 1);
  });

  it('runs a session file importing zod (ESM), lodash/chunk (CJS deep import), react and react-dom/server (subpath exports, one React)', async () => {
    const pk = make();
    const { items } = await pk.install(pj({ react: '^19', 'react-dom': '^19', zod: '^4', lodash: '^4' }), undefined);
    const { out, errors } = await runSession(
      pk,
      items,
      {
        'src/app.test.tsx': `
          import { z } from 'zod';
          import chunk from 'lodash/chunk';
          import * as React from 'react';
          import { renderToString } from 'react-dom/server';
          const User = z.object({ name: z.string() });
          function Hello({ name }: { name: string }) { const [n] = React.useState(name); return <b>hi {n}</b>; }
          out.parsed = User.parse({ name: 'ada' });
          out.bad = User.safeParse({ name: 1 }).success;
          out.chunks = chunk([1, 2, 3, 4, 5], 2);
          out.html = renderToString(<Hello name="ada" />);
        `,
      },
      'src/app.test.tsx',
    );
    assert.deepEqual(errors, undefined);
    assert.deepEqual(out!.parsed, { name: 'ada' });
    assert.equal(out!.bad, false);
    assert.deepEqual(out!.chunks, [[1, 2], [3, 4], [5]]);
    // A hook renders only when react-dom and the component share one React.
    assert.equal(out!.html, '<b>hi <!-- -->ada</b>');
  });

  it('CommonJS compiled from ESM (`__esModule`): default as the bundlers give it, named exports, and require() from another package', async () => {
    // aria-query's shape: `__esModule` and named exports, no default; a Babel-compiled default; a CJS user of the first.
    await registry.publishFiles({ 'package.json': JSON.stringify({ name: 'flag-named', version: '1.0.0', main: 'index.js' }), 'index.js': `Object.defineProperty(exports, '__esModule', { value: true });\nexports.roles = new Map([['button', 1]]);\n` });
    await registry.publishFiles({ 'package.json': JSON.stringify({ name: 'flag-default', version: '1.0.0', main: 'index.js' }), 'index.js': `Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = function greet(n) { return 'hi ' + n; };\nexports.extra = 2;\n` });
    await registry.publishFiles({ 'package.json': JSON.stringify({ name: 'flag-user', version: '1.0.0', main: 'index.js', dependencies: { 'flag-named': '^1.0.0' } }), 'index.js': `var named = require('flag-named');\nmodule.exports = function size() { return named.roles.size; };\n` });
    const pk = make();
    const { items } = await pk.install(pj({ 'flag-named': '^1', 'flag-default': '^1', 'flag-user': '^1' }), undefined);
    const { out, errors } = await runSession(
      pk,
      items,
      {
        'a.test.ts': `
          import { roles } from 'flag-named';
          import * as named from 'flag-named';
          import greet, { extra } from 'flag-default';
          import size from 'flag-user';
          out.roles = roles.get('button');
          out.namespaceRoles = named.roles === roles;
          out.greet = greet('ada');
          out.extra = extra;
          out.size = size();
        `,
      },
      'a.test.ts',
    );
    assert.deepEqual(errors, undefined);
    assert.deepEqual(out, { roles: 1, namespaceRoles: true, greet: 'hi ada', extra: 2, size: 1 });
  });

  it('a scoped package with scoped dependencies', async () => {
    const pk = make();
    const { items, lock } = await pk.install(pj({}, { '@jridgewell/trace-mapping': '^0.3.0' }), undefined);
    assert.equal(byName(items)['@jridgewell/trace-mapping'].status, 'ready');
    assert.ok(lock.packages['@jridgewell/sourcemap-codec@1.6.0']);
    const { out, errors } = await runSession(pk, items, { 'a.test.ts': `import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping'; out.t = typeof TraceMap; out.o = typeof originalPositionFor;` }, 'a.test.ts');
    assert.deepEqual(errors, undefined);
    assert.deepEqual(out, { t: 'function', o: 'function' });
  });

  it('keeps tarballs in a content-addressed cache and reuses the lock without asking the registry', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-packages-lock-'));
    const first = await make({ dir }).install(pj({ 'lodash-next': '^1.0.0' }), undefined);
    assert.equal(first.items[0].version, '1.0.0');
    await registry.publishInstalled('lodash', { as: 'lodash-next', version: '1.1.0' });
    // Locked: the same version, even from a registry that is gone (nothing is fetched).
    const locked = await make({ dir, registry: 'http://127.0.0.1:9/' }).install(pj({ 'lodash-next': '^1.0.0' }), JSON.stringify(first.lock));
    assert.equal(locked.items[0].status, 'ready', JSON.stringify(locked.items[0]));
    assert.equal(locked.items[0].version, '1.0.0');
    // Without the lock the registry's newest match is taken.
    const fresh = await make({ dir }).install(pj({ 'lodash-next': '^1.0.0' }), undefined);
    assert.equal(fresh.items[0].version, '1.1.0');
    const cacache = await fs.readdir(path.join(dir, 'packages', 'cacache'));
    assert.ok(cacache.includes('content-v2'), cacache.join());
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe('types for the editor', () => {
  it('a package’s own declarations, or those of @types/<name> with their dependencies', async () => {
    const pk = make();
    const { items } = await pk.install(pj({ react: '^19', zod: '^4', lodash: '^4' }), undefined);
    const it = byName(items);
    const typesOf = async (name: string) => pk.types(it[name].types!.split('/').pop()!);
    const zod = (await typesOf('zod'))!;
    assert.ok(zod['node_modules/zod/package.json']);
    assert.ok(Object.keys(zod).some((p) => /^node_modules\/zod\/.*\.d\.c?ts$/.test(p)));
    // react ships none: @types/react is acquired, with its dependency csstype.
    assert.match(it.react.types!, /@types\+react@19\.3\.0~/);
    const react = (await typesOf('react'))!;
    assert.ok(react['node_modules/@types/react/index.d.ts']?.includes('function useState'));
    assert.ok(react['node_modules/csstype/index.d.ts']);
    // lodash has no types here (no @types/lodash in this registry): it still works, without types.
    assert.equal(it.lodash.status, 'ready');
    assert.equal(it.lodash.types, undefined);
  });
});

describe('errors name the package; the others still work', () => {
  it('unknown package, unknown version', async () => {
    const { items } = await make().install(pj({ 'no-such-package-flint': '^1', zod: '^99', lodash: '^4' }), undefined);
    const it = byName(items);
    assert.equal(it['no-such-package-flint'].error?.code, 'packageNotFound');
    assert.match(it['no-such-package-flint'].error!.message, /no-such-package-flint/);
    assert.equal(it.zod.error?.code, 'versionNotFound');
    assert.match(it.zod.error!.message, /"zod".*\^99/);
    assert.equal(it.lodash.status, 'ready');
  });

  it('a tampered tarball fails its sha512 integrity and is not used', async () => {
    const { name, version } = await registry.publishFiles({ 'package.json': JSON.stringify({ name: 'tampered-pkg', version: '1.0.0', main: 'index.js' }), 'index.js': 'module.exports = 1;' });
    const other = await registry.publishFiles({ 'package.json': JSON.stringify({ name: 'honest-pkg', version: '1.0.0', main: 'index.js' }), 'index.js': 'module.exports = 2;' });
    // Swap the stored tarball for another package's bytes: the registry's metadata no longer matches.
    const store = path.join(registry.storage, 'storage');
    await fs.copyFile(path.join(store, other.name, `${other.name}-${other.version}.tgz`), path.join(store, name, `${name}-${version}.tgz`));
    const { items } = await make().install(pj({ 'tampered-pkg': '1.0.0', 'honest-pkg': '1.0.0' }), undefined);
    const it = byName(items);
    assert.equal(it['tampered-pkg'].error?.code, 'integrityMismatch', JSON.stringify(it['tampered-pkg']));
    assert.match(it['tampered-pkg'].error!.message, /tampered-pkg/);
    assert.equal(it['honest-pkg'].status, 'ready');
  });

  it('a tarball over FLINT_NPM_MAX_TARBALL_BYTES, and a session over the total', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-packages-big-'));
    const { items } = await make({ dir, maxTarballBytes: 200_000 }).install(pj({ zod: '^4', scheduler: '*' }), undefined);
    const it = byName(items);
    assert.equal(it.zod.error?.code, 'tarballTooLarge');
    assert.match(it.zod.error!.message, /zod@4\.6\.7.*200000/);
    assert.equal(it.scheduler.status, 'ready');
    const total = await make({ dir: await fs.mkdtemp(path.join(os.tmpdir(), 'flint-packages-total-')), maxTotalBytes: 100_000 }).install(pj({ lodash: '^4' }), undefined);
    assert.equal(total.items[0].error?.code, 'tarballTooLarge');
    assert.match(total.items[0].error!.message, /FLINT_NPM_MAX_TOTAL_BYTES/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('an unreachable registry', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-packages-down-'));
    const { items } = await make({ dir, registry: `http://127.0.0.1:${port}/` }).install(pj({ 'left-pad-flint': '^1' }), undefined);
    assert.equal(items[0].error?.code, 'registryUnreachable', JSON.stringify(items[0]));
    assert.match(items[0].error!.message, /left-pad-flint/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('an import of a package that failed says why, naming it', async () => {
    const pk = make();
    const { items } = await pk.install(pj({ 'no-such-package-flint': '^1' }), undefined);
    const { errors } = await runSession(pk, items, { 'a.test.ts': `import x from 'no-such-package-flint'; out.x = x;` }, 'a.test.ts');
    assert.match(errors!.join('\n'), /no-such-package-flint.*not found/);
    const missing = await runSession(pk, items, { 'a.test.ts': `import x from 'zod'; out.x = x;` }, 'a.test.ts');
    assert.match(missing.errors!.join('\n'), /"zod" is not in this session's package.json/);
  });
});
