/**
 * `npm run bench:packages` — session packages (issue #21), against a local Verdaccio (no uplink).
 * A report, never a pass/fail test: every figure is compared with another one taken in the same
 * run (a run without packages, the `npm install` + esbuild peer).
 *
 * 1. In the browser (what a person waits for): Flint's production server on a fresh
 *    FLINT_DATA_DIR per rep, Debian's Chromium. Timed in the page from the click on `run-tests`
 *    to the test panel leaving `running`:
 *    - "no packages": a new tab, a session whose test imports no package (same shape of tests);
 *      its first run (esbuild-wasm start, runtime sent to the sandbox) and later runs;
 *    - "cold": a new tab, a session whose test imports zod, lodash/chunk, react and
 *      react-dom/server; package.json (react, react-dom, lodash, zod) is added after the page is
 *      open, so the run waits for resolve + fetch + extract (server), the package bundles
 *      (server esbuild, on first request), their fetch, the page's esbuild-wasm bundling them
 *      into the test's bundle and the sandbox worker parsing and running it;
 *    - "new tab, server cached": the same in another new session on the same server;
 *    - warm: in each tab, runs again unchanged (BENCH_WARM_RUNS) and after typing a comment
 *      into the test file in the editor (BENCH_WARM_RUNS: the bundle cache misses, as in the
 *      edit → run loop), each after BENCH_IDLE_MS of idle time (3000, as bench:sandbox).
 *    "Added by packages" = a packages figure − the no-packages figure of the same rep.
 * 2. In Node (the server's share, stage by stage): Packages.install split into resolve and
 *    fetch + extract, each package bundle (server esbuild), and the test bundle built with them
 *    by the page's bundler code on Node's esbuild (same version as the page's esbuild-wasm).
 * 3. Peer: `npm install` of the same four (fresh npm cache, scripts off) + esbuild bundling the
 *    same test file from node_modules, in the same run.
 *
 *   npm run bench:packages                    # builds if stale; BENCH_REPS (3), BENCH_PACKAGES_BROWSER=0 skips 1.
 * Results: stdout and bench/results/packages-latest.json.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from '@playwright/test';
import { io } from 'socket.io-client';
import { BundleCache, bundleWith } from '../lib/sandbox/bundler';
import { cachedLoader } from '../lib/sandbox/packages';
import { PROTOCOL_VERSION } from '../lib/protocol/version';
import { Packages, PACKAGE_URL_PREFIX } from '../server/packages/packages';
import { startRegistry } from '../test/support/verdaccio';
import { BENCH_COOKIE, createBenchSession, useBenchIdentity } from './lib/identity';

const exec = promisify(execFile);
const REPS = Number(process.env.BENCH_REPS ?? process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 3);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000);
const BROWSER = process.env.BENCH_PACKAGES_BROWSER !== '0';

const DEPS = { react: '^19', 'react-dom': '^19', lodash: '^4', zod: '^4' };
/** What the registry holds: the four, their dependency (scheduler) and the editor's types for react (as on npmjs). */
const PUBLISHED = ['react', 'react-dom', 'scheduler', 'lodash', 'zod', '@types/react', '@types/react-dom', 'csstype'];

/** The test of e2e/packages.spec.ts: three tests, one per package use. */
const PKG_TEST = `import { z } from 'zod';
import chunk from 'lodash/chunk';
import * as React from 'react';
import { renderToString } from 'react-dom/server';

function Hello({ name }: { name: string }) {
  const [who] = React.useState(name);
  return <b>hi {who}</b>;
}

describe('packages', () => {
  it('zod parses', () => {
    expect(z.object({ n: z.number() }).parse({ n: 1 })).toEqual({ n: 1 });
    expect(z.number().safeParse('x').success).toBe(false);
  });
  it('lodash/chunk splits', () => {
    expect(chunk([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
  });
  it('react-dom/server renders a component with a hook', () => {
    expect(renderToString(<Hello name="ada" />)).toBe('<b>hi <!-- -->ada</b>');
  });
});
`;

/** The same three tests without any package. */
const BASE_TEST = `function parse(v: { n: unknown }) {
  if (typeof v.n !== 'number') throw new Error('n: expected a number');
  return v;
}
function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
const render = (name: string) => '<b>hi <!-- -->' + name + '</b>';

describe('packages', () => {
  it('zod parses', () => {
    expect(parse({ n: 1 })).toEqual({ n: 1 });
    expect(() => parse({ n: 'x' })).toThrow();
  });
  it('lodash/chunk splits', () => {
    expect(chunk([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
  });
  it('react-dom/server renders a component with a hook', () => {
    expect(render('ada')).toBe('<b>hi <!-- -->ada</b>');
  });
});
`;
/** Same limits in both sessions: a cold fresh worker parsing ≈1.5 MB may take seconds on a loaded machine. */
const TEST_CONFIG = JSON.stringify({ testTimeoutMs: 60_000, runTimeoutMs: 180_000 });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r0 = (n: number) => Math.round(n);
const fmt = (n: number) => `${r0(n)} ms`;

// ───────────────────────────── 2. Node: the server's share ─────────────────────────────

const NODE_TEST = PKG_TEST;

async function flintRun(dataDir: string, registry: string, lock?: string, pk?: Packages) {
  const packages = pk ?? new Packages(dataDir, { registry, maxTarballBytes: 64e6, maxTotalBytes: 512e6 }, { allowPrivate: false });
  // Stage timings, taken around the resolver's own methods (one resolve, one fetch per package).
  const stages = { resolveMs: 0, fetchFirst: Infinity, fetchLast: 0, fetches: 0 };
  const resolver = packages.resolver as unknown as { resolve: (...a: unknown[]) => Promise<unknown>; fetch: (...a: unknown[]) => Promise<number> };
  const origResolve = resolver.resolve.bind(resolver);
  const origFetch = resolver.fetch.bind(resolver);
  resolver.resolve = async (...a) => {
    const t = performance.now();
    try {
      return await origResolve(...a);
    } finally {
      stages.resolveMs += performance.now() - t;
    }
  };
  resolver.fetch = async (...a) => {
    const t = performance.now();
    stages.fetchFirst = Math.min(stages.fetchFirst, t);
    try {
      return await origFetch(...a);
    } finally {
      stages.fetches++;
      stages.fetchLast = Math.max(stages.fetchLast, performance.now());
    }
  };
  const bundleMs: Record<string, number> = {};
  const t0 = performance.now();
  const { items, lock: next } = await packages.install(JSON.stringify({ dependencies: DEPS }), lock);
  const tInstall = performance.now();
  resolver.resolve = origResolve;
  resolver.fetch = origFetch;
  const sources = {
    urls: Object.fromEntries(items.map((i) => [i.name, i.url!])),
    errors: {},
    load: cachedLoader(async (url) => {
      const [id, ...sub] = url.slice(PACKAGE_URL_PREFIX.length).split('/');
      const t = performance.now();
      const code = (await packages.bundle(id, sub.join('/')))!;
      bundleMs[`${id.replace(/~.*/, '')}/${sub.join('/')}`] = r0(performance.now() - t);
      return code;
    }),
  };
  const result = await bundleWith(esbuild, new Map([['a.test.tsx', NODE_TEST]]), 'a.test.tsx', undefined, sources);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const t1 = performance.now();
  // The test runner's own path (BundleCache), package bundles already loaded: its first bundle, then one after an edit.
  const runnerCache = new BundleCache();
  const tr0 = performance.now();
  const runner = await runnerCache.bundle(esbuild, new Map([['a.test.tsx', NODE_TEST]]), 'a.test.tsx', sources);
  const tr1 = performance.now();
  const edited = await runnerCache.bundle(esbuild, new Map([['a.test.tsx', `${NODE_TEST}// edited\n`]]), 'a.test.tsx', sources);
  const tr2 = performance.now();
  if (!runner.ok || !edited.ok) throw new Error('runner bundle failed');
  return {
    totalMs: t1 - t0,
    installMs: tInstall - t0,
    resolveMs: stages.resolveMs,
    fetchExtractMs: stages.fetches ? stages.fetchLast - stages.fetchFirst : 0,
    fetches: stages.fetches,
    bundleMs: t1 - tInstall,
    perBundleMs: bundleMs,
    testBundleBytes: result.code.length,
    runnerBundleBytes: runner.code.length,
    runnerFirstMs: tr1 - tr0,
    runnerEditedMs: tr2 - tr1,
    lock: JSON.stringify(next),
    packages,
  };
}

async function npmRun(registry: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-bench-npm-'));
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true, dependencies: DEPS }));
  await fs.writeFile(path.join(dir, 'a.test.tsx'), NODE_TEST);
  const t0 = performance.now();
  await exec('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--registry', registry, '--cache', path.join(dir, '.npm-cache'), '--prefer-online'], { cwd: dir });
  const tInstall = performance.now();
  await esbuild.build({ entryPoints: [path.join(dir, 'a.test.tsx')], bundle: true, write: false, format: 'iife', platform: 'browser', jsx: 'transform', define: { 'process.env.NODE_ENV': '"development"' }, logLevel: 'silent' });
  const t1 = performance.now();
  await fs.rm(dir, { recursive: true, force: true });
  return { totalMs: t1 - t0, installMs: tInstall - t0, bundleMs: t1 - tInstall };
}

// ───────────────────────────── 1. The browser ─────────────────────────────

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startFlint(dataDir: string, registry: string): Promise<{ url: string; child: ChildProcess }> {
  const [port, simPort] = [await freePort(), await freePort()];
  const config = path.join(dataDir, 'none.json');
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(config, '{}\n');
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(port),
      HOST: '127.0.0.1',
      FLINT_SIM_PORT: String(simPort),
      FLINT_CONFIG: config,
      FLINT_DATA_DIR: path.join(dataDir, 'data'),
      FLINT_NPM_REGISTRY: registry,
      DATABASE_URL: '',
      REDIS_URL: '',
      FLINT_SANDBOX_ORIGIN: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Flint did not start within 300 s')), 300_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
      if (chunk.toString().includes('[flint] ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`Flint exited with ${code}`)));
  });
  return { url, child };
}

async function stopFlint(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/** Joins session `id` as the bench's person and creates `files` in it (as another tab of the same person would). */
async function addFiles(url: string, id: string, files: Record<string, string>): Promise<void> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: BENCH_COOKIE } });
  type Ack = { ok: true } | { ok: false; error: { message: string } };
  const call = async (event: string, payload: unknown) => {
    const r = (await socket.timeout(10_000).emitWithAck(event, payload)) as Ack;
    if (!r.ok) throw new Error(`${event}: ${r.error.message}`);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await call('session:hello', { protocolVersion: PROTOCOL_VERSION });
    await call('session:join', { sessionId: id });
    for (const [p, content] of Object.entries(files)) await call('file:create', { path: p, content });
  } finally {
    socket.disconnect();
  }
}

interface Timed {
  ms: number;
  passed: number;
  failed: number;
  /** The run inside the sandbox, as the panel reports it. */
  sandboxMs: number;
  /** Click → every package item out of `resolving` (0 when they already were; null without packages). */
  packagesReadyMs: number | null;
  /** Package bundles the page fetched during the run: [start, end] ms after the click. */
  bundleFetches: Array<{ url: string; start: number; end: number }>;
}

/**
 * Clicks run-tests and resolves, in the page, when the run ends. Source text: tsx would wrap
 * named functions in a helper the page does not have.
 */
const TIMED_RUN = `new Promise((resolve) => {
  const panel = document.querySelector('[data-testid="test-results"]');
  const button = document.querySelector('[data-testid="run-tests"]');
  performance.setResourceTimingBufferSize(100000);
  performance.clearResourceTimings();
  let sawRunning = false;
  let readyAt = null;
  const t0 = performance.now();
  const num = (id) => Number(document.querySelector('[data-testid="' + id + '"]')?.textContent ?? NaN);
  const packagesReady = () => {
    const items = [...document.querySelectorAll('[data-testid="package-item"]')];
    return items.length > 0 && items.every((i) => i.getAttribute('data-status') !== 'resolving');
  };
  const check = () => {
    if (readyAt === null && packagesReady()) readyAt = Math.max(0, performance.now() - t0);
    const status = panel.getAttribute('data-status');
    if (status === 'running') sawRunning = true;
    else if (sawRunning) {
      const ms = performance.now() - t0;
      observer.disconnect();
      const m = /· (\\d+) ms/.exec(document.querySelector('[data-testid="test-run-status"]')?.textContent ?? '');
      const bundleFetches = performance.getEntriesByType('resource').filter((e) => e.name.includes('/_flint/pkg/')).map((e) => ({ url: e.name.replace(/^.*\\/_flint\\/pkg\\//, '').replace(/~[0-9a-f]+/, ''), start: Math.round(e.startTime - t0), end: Math.round(e.responseEnd - t0) }));
      resolve({ ms, passed: num('test-pass-count'), failed: num('test-fail-count'), sandboxMs: m ? Number(m[1]) : NaN, packagesReadyMs: readyAt === null ? null : Math.round(readyAt), bundleFetches });
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(panel, { attributes: true, attributeFilter: ['data-status'], subtree: true, childList: true });
  button.click();
  check();
})`;

async function timedRun(page: Page, label: string): Promise<Timed> {
  const t = (await page.evaluate(TIMED_RUN)) as Timed;
  if (t.passed !== 3 || t.failed !== 0) {
    const text = await page.getByTestId('test-results').innerText();
    throw new Error(`${label}: expected 3 passing tests, got ${t.passed} passed, ${t.failed} failed\n${text.slice(0, 2000)}`);
  }
  t.ms = r0(t.ms);
  return t;
}

interface TabResult {
  first: Timed;
  same: Timed[];
  edited: Timed[];
}

/** One new tab on a new session: its first run, runs again unchanged, runs after an edit of the test file. */
async function measureTab(browser: Browser, url: string, withPackages: boolean): Promise<TabResult> {
  const testPath = withPackages ? 'src/app.test.tsx' : 'src/app.test.ts';
  const id = await createBenchSession(url, async (call) => {
    await call('file:delete', { path: 'src/cart.test.ts' }); // only the suite under measurement
    await call('file:create', { path: 'flint.test.json', content: TEST_CONFIG });
    await call('file:create', { path: testPath, content: withPackages ? PKG_TEST : BASE_TEST });
  });
  const context = await browser.newContext();
  try {
    await useBenchIdentity(context, url);
    const page = await context.newPage();
    page.setDefaultTimeout(300_000);
    await page.goto(`${url}/s/${id}`);
    await page.getByTestId('connection-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
    await page.locator(`[data-testid="file-item"][data-path="${testPath}"]`).click();
    await page.locator('[data-testid="editor"][data-ready="true"] .view-line').first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(IDLE_MS);
    if (withPackages) {
      // Dependencies arrive after the page is open (as when a person adds them), so the first
      // run waits for the whole install rather than one the join already started.
      await addFiles(url, id, { 'package.json': JSON.stringify({ name: 'bench', dependencies: DEPS }, null, 2) });
      await page.locator('[data-testid="file-item"][data-path="package.json"]').waitFor();
    }
    const first = await timedRun(page, 'first run');
    const same: Timed[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      await page.waitForTimeout(IDLE_MS);
      same.push(await timedRun(page, 'unchanged run'));
    }
    const edited: Timed[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      await page.locator('[data-testid="editor"] .view-lines').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type(`\n// edit ${i}\n`);
      await page.waitForTimeout(IDLE_MS);
      edited.push(await timedRun(page, 'run after an edit'));
    }
    return { first, same, edited };
  } finally {
    await context.close();
  }
}

interface RepResult {
  base: TabResult;
  cold: TabResult;
  cachedTab: TabResult;
  loadavg: number[];
}

async function browserRep(browser: Browser, registry: string, rep: number): Promise<RepResult> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-bench-pkweb-'));
  const { url, child } = await startFlint(dataDir, registry);
  try {
    // Alternate which tab goes first, so the server's own warm-up is not always on one side.
    let base: TabResult | undefined;
    if (rep % 2 === 0) base = await measureTab(browser, url, false);
    const cold = await measureTab(browser, url, true);
    if (rep % 2 === 1) base = await measureTab(browser, url, false);
    const cachedTab = await measureTab(browser, url, true);
    return { base: base!, cold, cachedTab, loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10) };
  } finally {
    await stopFlint(child);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

// ───────────────────────────── main ─────────────────────────────

async function main() {
  const loadStart = os.loadavg();
  if (BROWSER) await exec(process.execPath, ['scripts/build.mjs', '--if-stale'], { maxBuffer: 256 * 1024 * 1024 });
  const registry = await startRegistry();
  for (const name of PUBLISHED) await registry.publishInstalled(name);

  const nodeCold: Array<Awaited<ReturnType<typeof flintRun>>> = [];
  const nodeWarm: number[] = [];
  const peer: Array<Awaited<ReturnType<typeof npmRun>>> = [];
  const reps: RepResult[] = [];
  let browser: Browser | null = null;
  try {
    if (BROWSER) {
      browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
        args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      });
    }
    for (let i = 0; i < REPS; i++) {
      if (browser) {
        const r = await browserRep(browser, registry.url, i);
        reps.push(r);
        console.error(`rep ${i + 1}: no packages ${r.base.first.ms} ms, cold ${r.cold.first.ms} ms, new tab ${r.cachedTab.first.ms} ms; load ${r.loadavg.join(' ')}`);
      }
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-bench-pk-'));
      const c = await flintRun(dataDir, registry.url);
      nodeCold.push(c);
      // Warm: the same process (bundles in memory), the lock from the session.
      const w = await flintRun(dataDir, registry.url, c.lock, c.packages);
      nodeWarm.push(w.totalMs);
      await fs.rm(dataDir, { recursive: true, force: true });
      peer.push(await npmRun(registry.url));
    }
  } finally {
    await browser?.close();
    await registry.close();
  }
  const loadEnd = os.loadavg();

  const med = (f: (r: RepResult) => number) => r0(median(reps.map(f)));
  const medOf = (xs: Timed[]) => median(xs.map((t) => t.ms));
  const lastFetchEnd = (t: Timed) => (t.bundleFetches.length ? Math.max(...t.bundleFetches.map((b) => b.end)) : 0);
  const firstFetchStart = (t: Timed) => (t.bundleFetches.length ? Math.min(...t.bundleFetches.map((b) => b.start)) : 0);
  const peerMs = median(peer.map((p) => p.totalMs));
  const browserSummary = reps.length
    ? {
        noPackages: { firstMs: med((r) => r.base.first.ms), sameMs: med((r) => medOf(r.base.same)), editedMs: med((r) => medOf(r.base.edited)) },
        cold: {
          firstMs: med((r) => r.cold.first.ms),
          packagesReadyMs: med((r) => r.cold.first.packagesReadyMs ?? NaN),
          firstBundleRequestMs: med((r) => firstFetchStart(r.cold.first)),
          lastBundleFetchedMs: med((r) => lastFetchEnd(r.cold.first)),
          sandboxMs: med((r) => r.cold.first.sandboxMs),
          sameMs: med((r) => medOf(r.cold.same)),
          editedMs: med((r) => medOf(r.cold.edited)),
        },
        cachedTab: {
          firstMs: med((r) => r.cachedTab.first.ms),
          packagesReadyMs: med((r) => r.cachedTab.first.packagesReadyMs ?? NaN),
          lastBundleFetchedMs: med((r) => lastFetchEnd(r.cachedTab.first)),
          sandboxMs: med((r) => r.cachedTab.first.sandboxMs),
          sameMs: med((r) => medOf(r.cachedTab.same)),
          editedMs: med((r) => medOf(r.cachedTab.edited)),
        },
        added: {
          coldFirstMs: med((r) => r.cold.first.ms - r.base.first.ms),
          cachedTabFirstMs: med((r) => r.cachedTab.first.ms - r.base.first.ms),
          sameMs: med((r) => medOf(r.cold.same) - medOf(r.base.same)),
          editedMs: med((r) => medOf(r.cold.edited) - medOf(r.base.edited)),
        },
        coldOverPeer: Math.round((median(reps.map((r) => r.cold.first.ms)) / peerMs) * 100) / 100,
      }
    : null;
  const report = {
    when: new Date().toISOString(),
    command: `npm run bench:packages${REPS !== 3 ? ` (BENCH_REPS=${REPS})` : ''}`,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30) },
    loadavg: { start: loadStart.map((l) => Math.round(l * 100) / 100), end: loadEnd.map((l) => Math.round(l * 100) / 100) },
    note: 'Medians over reps. Browser: click on run-tests → panel done, in the page; "added" = packages tab − no-packages tab of the same rep. Node: the server share on Node only. Peer: npm install (fresh cache) + esbuild. Nothing is asserted.',
    deps: DEPS,
    reps: REPS,
    warmRuns: WARM_RUNS,
    idleMs: IDLE_MS,
    browser: browserSummary,
    browserReps: reps,
    node: {
      coldMs: r0(median(nodeCold.map((c) => c.totalMs))),
      resolveMs: r0(median(nodeCold.map((c) => c.resolveMs))),
      fetchExtractMs: r0(median(nodeCold.map((c) => c.fetchExtractMs))),
      fetches: nodeCold[0]?.fetches,
      installMs: r0(median(nodeCold.map((c) => c.installMs))),
      bundlesAndTestBundleMs: r0(median(nodeCold.map((c) => c.bundleMs))),
      perBundleMs: nodeCold.map((c) => c.perBundleMs),
      testBundleBytes: nodeCold[0]?.testBundleBytes,
      runnerBundleBytes: nodeCold[0]?.runnerBundleBytes,
      runnerFirstMs: r0(median(nodeCold.map((c) => c.runnerFirstMs))),
      runnerEditedMs: r0(median(nodeCold.map((c) => c.runnerEditedMs))),
      warmMs: r0(median(nodeWarm)),
    },
    peer: { totalMs: r0(peerMs), npmInstallMs: r0(median(peer.map((p) => p.installMs))), esbuildMs: r0(median(peer.map((p) => p.bundleMs))) },
  };

  console.log(`\npackages bench (${REPS} reps, median) — react, react-dom, lodash, zod from a local Verdaccio; load ${report.loadavg.start.join(' ')} → ${report.loadavg.end.join(' ')}`);
  if (browserSummary) {
    const b = browserSummary;
    console.log('In Chromium, click → results (3 tests):                first run   unchanged   after an edit');
    console.log(`  no packages                                        ${String(b.noPackages.firstMs).padStart(9)}   ${String(b.noPackages.sameMs).padStart(9)}   ${String(b.noPackages.editedMs).padStart(13)}`);
    console.log(`  packages, cold (fresh data dir, deps just added)   ${String(b.cold.firstMs).padStart(9)}   ${String(b.cold.sameMs).padStart(9)}   ${String(b.cold.editedMs).padStart(13)}`);
    console.log(`  packages, new tab, server cached                   ${String(b.cachedTab.firstMs).padStart(9)}   ${String(b.cachedTab.sameMs).padStart(9)}   ${String(b.cachedTab.editedMs).padStart(13)}`);
    console.log(`  added by packages: cold first run ${b.added.coldFirstMs} ms, new-tab first run ${b.added.cachedTabFirstMs} ms, unchanged ${b.added.sameMs} ms, after an edit ${b.added.editedMs} ms`);
    console.log(`  cold first run: packages ready ${b.cold.packagesReadyMs} ms, first bundle request ${b.cold.firstBundleRequestMs} ms, last bundle fetched ${b.cold.lastBundleFetchedMs} ms after the click; in the sandbox ${b.cold.sandboxMs} ms`);
    console.log(`  cold first run / peer: ${b.coldOverPeer}×`);
  }
  const n = report.node;
  console.log(`Node (server share): cold ${fmt(n.coldMs)} = install ${fmt(n.installMs)} (resolve ${fmt(n.resolveMs)}, fetch+extract ${fmt(n.fetchExtractMs)} for ${n.fetches} tarballs) + package bundles and test bundle ${fmt(n.bundlesAndTestBundleMs)}; warm ${fmt(n.warmMs)}`);
  console.log(`  test bundle: inlined ${n.testBundleBytes} B; the runner's (BundleCache) ${n.runnerBundleBytes} B, first ${fmt(n.runnerFirstMs)}, after an edit ${fmt(n.runnerEditedMs)} (Node's esbuild, bundles in memory)`);
  console.log(`  per bundle (first rep): ${Object.entries(n.perBundleMs[0] ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`Peer: npm install + esbuild ${fmt(report.peer.totalMs)} (npm install ${fmt(report.peer.npmInstallMs)}, esbuild ${fmt(report.peer.esbuildMs)})`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/packages-latest.json', JSON.stringify(report, null, 2) + '\n');
  console.log('\nwritten to bench/results/packages-latest.json');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
