/**
 * `npm run bench:packages` — session packages (issue #21), against a local Verdaccio (no uplink):
 *
 * - Flint cold: a fresh data dir; resolve + fetch + extract react, react-dom, lodash, zod
 *   (Packages.install), bundle the entries a test imports (zod, lodash/chunk, react,
 *   react-dom/server) and the test file with them (the sandbox's bundler, Node's esbuild of the
 *   same version as the page's esbuild-wasm).
 * - Flint warm: the same again with the lock, the cache and the bundles kept (what a later test
 *   run adds).
 * - Peer: `npm install` of the same four (fresh npm cache, scripts off) + esbuild bundling the
 *   same test file from node_modules, in one run.
 *
 * Not measured here: the browser's own share (esbuild-wasm in the page, the worker's start);
 * see `npm run bench:sandbox` for those.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { bundleWith } from '../lib/sandbox/bundler';
import { cachedLoader } from '../lib/sandbox/packages';
import { Packages, PACKAGE_URL_PREFIX } from '../server/packages/packages';
import { startRegistry } from '../test/support/verdaccio';

const exec = promisify(execFile);
const TEST = `import { z } from 'zod';
import chunk from 'lodash/chunk';
import * as React from 'react';
import { renderToString } from 'react-dom/server';
export const out = [z.string().parse('x'), chunk([1, 2, 3], 2), renderToString(React.createElement('b', null, 'hi'))];
`;
const DEPS = { react: '^19', 'react-dom': '^19', lodash: '^4', zod: '^4' };
const REPS = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);

async function flintRun(dataDir: string, registry: string, lock?: string, pk?: Packages) {
  const packages = pk ?? new Packages(dataDir, { registry, maxTarballBytes: 64e6, maxTotalBytes: 512e6 }, { allowPrivate: false });
  const t0 = performance.now();
  const { items, lock: next } = await packages.install(JSON.stringify({ dependencies: DEPS }), lock);
  const tInstall = performance.now();
  const sources = {
    urls: Object.fromEntries(items.map((i) => [i.name, i.url!])),
    errors: {},
    load: cachedLoader(async (url) => {
      const [id, ...sub] = url.slice(PACKAGE_URL_PREFIX.length).split('/');
      return (await packages.bundle(id, sub.join('/')))!;
    }),
  };
  const result = await bundleWith(esbuild, new Map([['a.test.ts', TEST]]), 'a.test.ts', undefined, sources);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const t1 = performance.now();
  return { totalMs: t1 - t0, installMs: tInstall - t0, bundleMs: t1 - tInstall, lock: JSON.stringify(next), packages };
}

async function npmRun(registry: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-bench-npm-'));
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true, dependencies: DEPS }));
  await fs.writeFile(path.join(dir, 'a.test.ts'), TEST);
  const t0 = performance.now();
  await exec('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--registry', registry, '--cache', path.join(dir, '.npm-cache'), '--prefer-online'], { cwd: dir });
  const tInstall = performance.now();
  await esbuild.build({ entryPoints: [path.join(dir, 'a.test.ts')], bundle: true, write: false, format: 'iife', platform: 'browser', define: { 'process.env.NODE_ENV': '"development"' }, logLevel: 'silent' });
  const t1 = performance.now();
  await fs.rm(dir, { recursive: true, force: true });
  return { totalMs: t1 - t0, installMs: tInstall - t0, bundleMs: t1 - tInstall };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => `${Math.round(n)} ms`;

const registry = await startRegistry();
for (const name of ['react', 'react-dom', 'scheduler', 'lodash', 'zod']) await registry.publishInstalled(name);
const cold: Array<Awaited<ReturnType<typeof flintRun>>> = [];
const warm: number[] = [];
const peer: Array<Awaited<ReturnType<typeof npmRun>>> = [];
for (let i = 0; i < REPS; i++) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-bench-pk-'));
  const c = await flintRun(dataDir, registry.url);
  cold.push(c);
  // Warm: the same process (bundles in memory), the lock from the session.
  const w = await flintRun(dataDir, registry.url, c.lock, c.packages);
  warm.push(w.totalMs);
  peer.push(await npmRun(registry.url));
  await fs.rm(dataDir, { recursive: true, force: true });
}
await registry.close();
console.log(`packages bench (${REPS} reps, median) — react, react-dom, lodash, zod from a local Verdaccio`);
console.log(`  Flint cold: ${fmt(median(cold.map((c) => c.totalMs)))} (resolve+fetch+extract ${fmt(median(cold.map((c) => c.installMs)))}, package bundles + test bundle ${fmt(median(cold.map((c) => c.bundleMs)))})`);
console.log(`  Flint warm (lock + cache + bundles kept): ${fmt(median(warm))} added`);
console.log(`  npm install + esbuild: ${fmt(median(peer.map((p) => p.totalMs)))} (npm install ${fmt(median(peer.map((p) => p.installMs)))}, esbuild ${fmt(median(peer.map((p) => p.bundleMs)))})`);
