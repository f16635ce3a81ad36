/**
 * `npm run bench:preview` — the live preview's edit → updated pixels (issue #22 item 2), Flint
 * beside Vite's dev server with React HMR, on the same React app, in one run (a report, never a
 * pass/fail test of timings; see bench/README.md).
 *
 * - Flint: its production server (the build `npm start` runs) with the session's packages from a
 *   local Verdaccio (no uplink), the workspace page in Debian's Chromium, src/App.tsx open in
 *   Monaco and the preview open. The edit is a real key typed into Monaco (`page.keyboard`);
 *   its time is taken in the IDE page by a capture-phase `keydown` listener on `window`.
 * - Vite: `createServer` from 'vite' with @vitejs/plugin-react (React Fast Refresh) on 127.0.0.1,
 *   root a temp folder with the same index.html, src/main.tsx and src/App.tsx, React from this
 *   repository's node_modules. The edit is the file written to disk (`fs.writeFile`, how an
 *   editor's save reaches Vite); its time is taken in Node just before the write.
 * - The end, in both: a MutationObserver in the app's document sees the new text in `#text`,
 *   then the next `requestAnimationFrame` callback (the frame that paints it) takes the time.
 *
 * Every clock is `performance.timeOrigin + performance.now()` (the IDE page, the preview frame —
 * its own renderer process, on another site — the Vite page, and Node); each page's clock is
 * lined up with Node's over 25 round trips (keeping the shortest; error ≤ half of it) at the
 * start and again at the end, and the offsets are reported.
 *
 * Both apps' counter is clicked three times before the first edit; after the last, it must
 * still read 3 with no reload of either document (state kept by a hot update), or the run fails.
 * Warm-up edits (BENCH_PREVIEW_WARMUP, 5 each) are not counted; then BENCH_PREVIEW_EDITS (40)
 * measured edits each, Flint and Vite alternating (A/B, then B/A), BENCH_PREVIEW_GAP_MS (250)
 * apart, as a person typing. Writes bench/results/preview-latest.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createServer as netServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Frame, type Page } from '@playwright/test';
import react from '@vitejs/plugin-react';
import { createServer as createViteServer, type ViteDevServer } from 'vite';
import { startRegistry, type Registry } from '../test/support/verdaccio';
import { mean, quantile } from '../test/support/stats';
import { createBenchSession, useBenchIdentity } from './lib/identity';

const EDITS = Number(process.env.BENCH_PREVIEW_EDITS ?? 40);
const WARMUP = Number(process.env.BENCH_PREVIEW_WARMUP ?? 5);
const GAP_MS = Number(process.env.BENCH_PREVIEW_GAP_MS ?? 250);
const SAMPLE_TIMEOUT_MS = 30_000;
const ROOT = path.resolve(import.meta.dirname, '..');
const log = (s: string) => console.log(`[bench:preview] ${s}`);

// ---- the app, the same in both -------------------------------------------------------------

const INDEX_HTML = '<!doctype html>\n<html>\n  <body>\n    <div id="root"></div>\n    <script type="module" src="/src/main.tsx"></script>\n  </body>\n</html>\n';
const MAIN_TSX = `import { createRoot } from 'react-dom/client';
import { App } from './App';

createRoot(document.getElementById('root')!).render(<App />);
`;
/** The component; `typed` is what the edits have typed so far, inside the text of `#text`. */
const appTsx = (typed: string) => `import { useState } from 'react';

export function App() {
  const [n, setN] = useState(0);
  return (
    <main>
      <button id="inc" onClick={() => setN(n + 1)}>Count: {n}</button>
      <p id="text">typed:${typed}</p>
    </main>
  );
}
`;
const TEXT_LINE = '<p id="text">typed:';
const PACKAGE_JSON = JSON.stringify({ name: 'app', private: true, dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' } }, null, 2) + '\n';
/** The key typed (Flint) or the character added to the file (Vite) by edit i. */
const charOf = (i: number) => String.fromCharCode(97 + (i % 26));

// ---- clocks and the watcher in the app's document --------------------------------------------

const NOW = 'performance.timeOrigin + performance.now()';
const nodeNow = () => performance.timeOrigin + performance.now();

interface Evaluator {
  evaluate(expression: string): Promise<unknown>;
}
/** The context's clock minus Node's (ms), from the shortest of 25 round trips. */
async function offsetOf(ctx: Evaluator): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Infinity };
  for (let i = 0; i < 25; i++) {
    const t0 = nodeNow();
    const v = Number(await ctx.evaluate(NOW));
    const t1 = nodeNow();
    if (t1 - t0 < best.rttMs) best = { offsetMs: v - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

/**
 * Arms a watcher in the app's document: resolves `window.__benchWatch` with the time the text of
 * `#text` became `want` (MutationObserver) and the time of the next animation frame after it.
 * Source text, not a function: tsx would wrap named functions in a helper the page lacks.
 */
const arm = (want: string) => `(() => {
  window.__benchWatch = new Promise((resolve) => {
    const want = ${JSON.stringify(want)};
    const mo = new MutationObserver(() => {
      const el = document.querySelector('#text');
      if (!el || el.textContent !== want) return;
      const dom = ${NOW};
      mo.disconnect();
      requestAnimationFrame(() => resolve({ dom, painted: ${NOW} }));
    });
    mo.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return document.querySelector('#text')?.textContent ?? null;
})()`;

async function awaitWatch(ctx: Evaluator, what: string): Promise<{ dom: number; painted: number }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: the new text was not painted within ${SAMPLE_TIMEOUT_MS / 1000} s`)), SAMPLE_TIMEOUT_MS)));
  try {
    return (await Promise.race([ctx.evaluate('window.__benchWatch'), timeout])) as { dom: number; painted: number };
  } finally {
    clearTimeout(timer);
  }
}

// ---- processes -------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function buildIfStale() {
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit', cwd: ROOT });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build exited with ${code}`))));
  });
}

/** Flint's production server, its own data dir, the embedded simulator, packages from `registry`. */
async function startFlint(registry: Registry, dir: string): Promise<{ url: string; child: ChildProcess }> {
  const [port, simPort] = [await freePort(), await freePort()];
  writeFileSync(path.join(dir, 'none.json'), '{}\n');
  // Nothing from the outer environment picks Flint's configuration: only the variables below.
  const outer = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLINT_')));
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/server/main.js'], {
    cwd: ROOT,
    env: {
      ...outer,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      HOST: '127.0.0.1',
      PORT: String(port),
      FLINT_CONFIG: path.join(dir, 'none.json'),
      FLINT_DATA_DIR: path.join(dir, 'data'),
      FLINT_CACHE_DIR: path.join(dir, 'cache'),
      FLINT_PROVIDER: 'sim',
      FLINT_SIM_PORT: String(simPort),
      FLINT_METRICS_PORT: 'off',
      FLINT_NPM_REGISTRY: registry.url,
      DATABASE_URL: '',
      REDIS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
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
    child.stderr!.on('data', (chunk: Buffer) => process.env.BENCH_VERBOSE && process.stderr.write(chunk));
    child.once('exit', (code) => reject(new Error(`Flint exited with ${code}`)));
  });
  return { url, child };
}

/** Vite's dev server with React Fast Refresh on the same app, in `dir/app`. */
async function startVite(dir: string): Promise<{ url: string; server: ViteDevServer; appFile: string }> {
  const root = path.join(dir, 'app');
  await fs.mkdir(path.join(root, 'src'), { recursive: true });
  await fs.writeFile(path.join(root, 'index.html'), INDEX_HTML);
  await fs.writeFile(path.join(root, 'package.json'), PACKAGE_JSON);
  await fs.writeFile(path.join(root, 'src/main.tsx'), MAIN_TSX);
  const appFile = path.join(root, 'src/App.tsx');
  await fs.writeFile(appFile, appTsx(''));
  // react and react-dom from this repository's node_modules, as an app's own would resolve.
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  const port = await freePort();
  const server = await createViteServer({
    configFile: false,
    root,
    cacheDir: path.join(dir, 'vite-cache'),
    logLevel: 'warn',
    clearScreen: false,
    plugins: [react()],
    // Pre-bundled before the page loads, so the first load is not followed by a re-optimization reload.
    optimizeDeps: { include: ['react', 'react-dom/client', 'react/jsx-dev-runtime'] },
    server: { host: '127.0.0.1', port, strictPort: true, fs: { allow: [root, ROOT] } },
  });
  await server.listen();
  return { url: `http://127.0.0.1:${port}/`, server, appFile };
}

// ---- the two harnesses -----------------------------------------------------------------------

/** A harness's raw times of one edit, each on the clock of the context that took it. */
type Raw = Record<string, unknown>;

interface Sample {
  /** edit → the new text's first animation frame (the figure). */
  ms: number;
  /** edit → the new text in the DOM. */
  domMs: number;
  /** Stages, per harness (see below). */
  stages: Record<string, number>;
}

interface Harness {
  name: 'flint' | 'vite';
  /** The document the app runs in. */
  app: Frame | Page;
  /** Where the edits go (Flint: the cursor in Monaco), after the clicks on the counter. */
  focus(): Promise<void>;
  offsets(): Promise<{ app: { offsetMs: number; rttMs: number }; editor?: { offsetMs: number; rttMs: number } }>;
  /** Edit number `i` of this harness: adds `charOf(i)` at the end of the text, which then reads `typed`. Raw times, each on its context's clock. */
  edit(i: number, typed: string): Promise<Raw>;
  /** The counter's text and whether the document is the one the bench marked at the start. */
  state(): Promise<{ count: string; sameDocument: boolean; extra: Record<string, string | number> }>;
}

const MARK = `(() => { window.__benchMark = 'kept'; return true; })()`;
const IS_MARKED = `window.__benchMark === 'kept'`;

async function flintHarness(page: Page, url: string): Promise<Harness> {
  const id = await createBenchSession(url, async (call) => {
    for (const [p, content] of Object.entries({ 'package.json': PACKAGE_JSON, 'index.html': INDEX_HTML, 'src/main.tsx': MAIN_TSX, 'src/App.tsx': appTsx('') })) {
      await call('file:create', { path: p, content });
    }
  });
  await page.goto(`${url}/s/${id}`);
  await page.getByTestId('connection-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="editor"][data-ready="true"]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="file-item"][data-path="src/App.tsx"]').click();
  const line = page.locator('[data-testid="editor"] .view-line', { hasText: 'typed:' });
  await line.waitFor({ timeout: 30_000 });
  await page.getByTestId('preview-toggle').click();
  // The first build waits for the session's packages (resolved, fetched and bundled by the server).
  const frameLocator = page.frameLocator('[data-testid="preview-frame"]');
  await frameLocator.locator('#inc').filter({ hasText: 'Count: 0' }).waitFor({ timeout: 180_000 });
  const frame = await (await page.locator('[data-testid="preview-frame"]').elementHandle())!.contentFrame();
  if (!frame) throw new Error('no preview frame');
  const status = page.getByTestId('preview-status');
  await page.evaluate(`(() => {
    window.__benchKeys = [];
    window.addEventListener('keydown', (e) => {
      const k = { at: ${NOW}, event: performance.timeOrigin + e.timeStamp, key: e.key, ideFrame: null };
      window.__benchKeys.push(k);
      requestAnimationFrame(() => (k.ideFrame = ${NOW}));
    }, true);
    return true;
  })()`);
  // When each update message reached the frame (capture phase: before the host handles it).
  await frame.evaluate(`(() => {
    window.__benchUpdates = [];
    window.addEventListener('message', (e) => { if (e.data && e.data.type === 'update') window.__benchUpdates.push(${NOW}); }, true);
    return true;
  })()`);
  return {
    name: 'flint',
    app: frame,
    async offsets() {
      return { app: await offsetOf(frame), editor: await offsetOf(page) };
    },
    async focus() {
      // The cursor just before `</p>` on the text line: typing there changes the rendered text.
      await line.click();
      await page.keyboard.press('End');
      for (let k = 0; k < '</p>'.length; k++) await page.keyboard.press('ArrowLeft');
    },
    async edit(i, typed) {
      const before = await frame.evaluate(arm(`typed:${typed}`));
      if (before !== `typed:${typed.slice(0, -1)}`) throw new Error(`flint: the preview shows ${JSON.stringify(before)} before edit ${i}`);
      const keys = Number(await page.evaluate('window.__benchKeys.length'));
      const updates = Number(await frame.evaluate('window.__benchUpdates.length'));
      await page.keyboard.type(charOf(i));
      const seen = await awaitWatch(frame, `flint edit ${i}`);
      // The IDE page's own next frame after the key (it may come after the preview's paint).
      await page.evaluate(`new Promise((resolve) => { const poll = () => (window.__benchKeys[${keys}]?.ideFrame != null ? resolve(true) : setTimeout(poll, 5)); poll(); })`);
      const key = (await page.evaluate(`window.__benchKeys[${keys}]`)) as { at: number; event: number; key: string; ideFrame: number } | undefined;
      if (!key || key.key !== charOf(i)) throw new Error(`flint edit ${i}: no keydown of ${charOf(i)} recorded`);
      const update = (await frame.evaluate(`window.__benchUpdates[${updates}] ?? null`)) as number | null;
      return { key: key.at, event: key.event, ideFrame: key.ideFrame, update, ...seen };
    },
    async state() {
      return {
        count: (await frame.locator('#inc').textContent()) ?? '',
        sameDocument: Boolean(await frame.evaluate(IS_MARKED)),
        extra: { loads: Number(await status.getAttribute('data-loads')), hot: Number(await status.getAttribute('data-hot')) },
      };
    },
  };
}

async function viteHarness(page: Page, url: string, appFile: string): Promise<Harness> {
  await page.goto(url);
  await page.locator('#inc').filter({ hasText: 'Count: 0' }).waitFor({ timeout: 120_000 });
  await page.evaluate('performance.setResourceTimingBufferSize(100000)');
  const viteUpdates: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('[vite]')) viteUpdates.push(m.text());
  });
  return {
    name: 'vite',
    app: page,
    async offsets() {
      return { app: await offsetOf(page) };
    },
    async focus() {},
    async edit(i, typed) {
      const before = await page.evaluate(arm(`typed:${typed}`));
      if (before !== `typed:${typed.slice(0, -1)}`) throw new Error(`vite: the page shows ${JSON.stringify(before)} before edit ${i}`);
      const source = appTsx(typed);
      const written = nodeNow();
      await fs.writeFile(appFile, source);
      const seen = await awaitWatch(page, `vite edit ${i}`);
      // The hot update's request for the new module (`/src/App.tsx?t=…`): its start and end.
      const fetched = (await page.evaluate(`(() => {
        const e = performance.getEntriesByType('resource').filter((x) => x.name.includes('/src/App.tsx?t=')).pop();
        return e ? { start: performance.timeOrigin + e.startTime, end: performance.timeOrigin + e.responseEnd } : null;
      })()`)) as { start: number; end: number } | null;
      return { written, fetched, ...seen };
    },
    async state() {
      return { count: (await page.locator('#inc').textContent()) ?? '', sameDocument: Boolean(await page.evaluate(IS_MARKED)), extra: { hmrLogLines: viteUpdates.length } };
    },
  };
}

// ---- the run ---------------------------------------------------------------------------------

type Offsets = Awaited<ReturnType<Harness['offsets']>>;

/** Puts a harness's raw times on Node's clock and into figures. */
function lineUp(name: Harness['name'], raw: Raw, off: Offsets): Sample {
  const app = (t: number) => t - off.app.offsetMs;
  const painted = app(raw.painted as number);
  const dom = app(raw.dom as number);
  if (name === 'flint') {
    const ed = (t: number) => t - off.editor!.offsetMs;
    const key = ed(raw.key as number);
    const update = raw.update === null ? NaN : app(raw.update as number);
    return {
      ms: painted - key,
      domMs: dom - key,
      stages: {
        // Chromium's timestamp of the key event (CDP dispatch) → the keydown listener.
        'key event → keydown listener': key - ed(raw.event as number),
        'keydown → update message in the frame': update - key,
        'message → new text in the DOM': dom - update,
        'DOM → animation frame': painted - dom,
        // Not a stage of the path: when the IDE page itself drew its next frame after the key.
        'keydown → the IDE page\'s next frame': ed(raw.ideFrame as number) - key,
      },
    };
  }
  const written = raw.written as number;
  const f = raw.fetched as { start: number; end: number } | null;
  return {
    ms: painted - written,
    domMs: dom - written,
    stages: {
      'write → module request': f ? app(f.start) - written : NaN,
      'module request → response': f ? f.end - f.start : NaN,
      'response → new text in the DOM': f ? dom - app(f.end) : NaN,
      'DOM → animation frame': painted - dom,
    },
  };
}

const p95 = (v: number[]) => quantile(v, 0.95);
const r1 = (n: number) => Math.round(n * 10) / 10;
const summary = (xs: number[]) => ({ p50: r1(quantile(xs, 0.5)), p95: r1(p95(xs)), max: r1(Math.max(...xs)), min: r1(Math.min(...xs)), mean: r1(mean(xs)), n: xs.length });

async function displayFrame(ctx: Evaluator): Promise<number> {
  return Number(
    await ctx.evaluate(`new Promise((resolve) => {
      const ts = [];
      const tick = (t) => { ts.push(t); if (ts.length < 31) requestAnimationFrame(tick); else { const d = ts.slice(1).map((x, i) => x - ts[i]).sort((a, b) => a - b); resolve(d[Math.floor(d.length / 2)]); } };
      requestAnimationFrame(tick);
    })`),
  );
}

async function main() {
  await buildIfStale();
  const loadBefore = os.loadavg();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-bench-preview-'));
  log(`working in ${dir}`);
  const registry = await startRegistry();
  for (const name of ['react', 'react-dom', 'scheduler']) await registry.publishInstalled(name);
  let flint: { url: string; child: ChildProcess } | undefined;
  let vite: Awaited<ReturnType<typeof startVite>> | undefined;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    [flint, vite] = await Promise.all([startFlint(registry, dir), startVite(dir)]);
    log(`Flint on ${flint.url}, Vite on ${vite.url}`);
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    await useBenchIdentity(context, flint.url);
    const flintPage = await context.newPage();
    const vitePage = await context.newPage();
    const harnesses = [await flintHarness(flintPage, flint.url), await viteHarness(vitePage, vite.url, vite.appFile)];
    log('both apps rendered');
    const frames = { flint: await displayFrame(harnesses[0].app), vite: await displayFrame(harnesses[1].app) };
    const visibility = { flint: String(await flintPage.evaluate('document.visibilityState')), vite: String(await vitePage.evaluate('document.visibilityState')) };
    // State to keep: three clicks on each counter, and a mark on each document.
    for (const h of harnesses) {
      for (let k = 0; k < 3; k++) await h.app.locator('#inc').click();
      await h.app.locator('#inc').filter({ hasText: 'Count: 3' }).waitFor({ timeout: 10_000 });
      await h.app.evaluate(MARK);
    }
    for (const h of harnesses) await h.focus();
    const startState = { flint: await harnesses[0].state(), vite: await harnesses[1].state() };
    const offsetsStart = { flint: await harnesses[0].offsets(), vite: await harnesses[1].offsets() };
    log(`clocks against Node's: ${JSON.stringify(offsetsStart)}`);

    // Both get the same edits: edit i adds charOf(i), so the text grows the same way in each.
    let typed = '';
    const samples: Record<Harness['name'], Sample[]> = { flint: [], vite: [] };
    const total = WARMUP + EDITS;
    // BENCH_PREVIEW_PROFILE=<file.cpuprofile>: a CPU profile of the IDE page over the measured edits.
    const profileTo = process.env.BENCH_PREVIEW_PROFILE;
    const cdp = profileTo ? await context.newCDPSession(flintPage) : null;
    for (let i = 0; i < total; i++) {
      if (cdp && i === WARMUP) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      typed += charOf(i);
      const order = i % 2 === 0 ? harnesses : [...harnesses].reverse();
      for (const h of order) {
        const raw = await h.edit(i, typed);
        if (i >= WARMUP) samples[h.name].push(lineUp(h.name, raw, offsetsStart[h.name]));
        await new Promise((r) => setTimeout(r, GAP_MS));
      }
      if (i % 10 === 9) log(`${i + 1}/${total} edits each`);
    }
    if (cdp && profileTo) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(profileTo, JSON.stringify(profile));
      log(`IDE page CPU profile written to ${profileTo}`);
    }
    const offsetsEnd = { flint: await harnesses[0].offsets(), vite: await harnesses[1].offsets() };
    const endState = { flint: await harnesses[0].state(), vite: await harnesses[1].state() };
    const kept = {
      flint: endState.flint.count === 'Count: 3' && endState.flint.sameDocument && endState.flint.extra.loads === startState.flint.extra.loads,
      vite: endState.vite.count === 'Count: 3' && endState.vite.sameDocument,
    };
    const loadAfter = os.loadavg();

    const fig = { flint: summary(samples.flint.map((s) => s.ms)), vite: summary(samples.vite.map((s) => s.ms)) };
    const dom = { flint: summary(samples.flint.map((s) => s.domMs)), vite: summary(samples.vite.map((s) => s.domMs)) };
    const stages = (name: Harness['name']) => Object.fromEntries(Object.keys(samples[name][0].stages).map((k) => [k, r1(quantile(samples[name].map((s) => s.stages[k]).filter(Number.isFinite), 0.5))]));
    const result = {
      when: new Date().toISOString(),
      command: 'npm run bench:preview',
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavgBefore: loadBefore.map(r1), loadavgAfter: loadAfter.map(r1) },
      versions: { vite: (await import('vite')).version, pluginReact: JSON.parse(await fs.readFile(path.join(ROOT, 'node_modules/@vitejs/plugin-react/package.json'), 'utf8')).version as string, chromium: browser.version() },
      config: { edits: EDITS, warmup: WARMUP, gapMs: GAP_MS },
      note: 'edit → first animation frame after the new text is in the app DOM. Flint: key typed into Monaco (keydown in the IDE page). Vite: fs.writeFile of src/App.tsx (Node). Clocks lined up with Node over 25 round trips. Nothing is asserted about timings.',
      goal: { flintP50Ms: 50, flintP95Ms: 100, flintNoSlowerThanVite: true },
      edit_to_paint_ms: fig,
      ratio: { p50: r1((fig.flint.p50 / fig.vite.p50) * 100) / 100, p95: r1((fig.flint.p95 / fig.vite.p95) * 100) / 100 },
      edit_to_dom_ms: dom,
      stagesP50Ms: { flint: stages('flint'), vite: stages('vite') },
      displayFrameMs: { flint: r1(frames.flint), vite: r1(frames.vite) },
      visibility,
      clockOffsetsMs: { start: offsetsStart, end: offsetsEnd },
      stateKept: { ...kept, start: startState, end: endState },
      samplesMs: { flint: samples.flint.map((s) => r1(s.ms)), vite: samples.vite.map((s) => r1(s.ms)) },
    };
    console.log(`\nLive preview: edit → updated pixels (${EDITS} edits each after ${WARMUP} warm-up, alternating; load average ${loadBefore.map(r1).join(' ')} → ${loadAfter.map(r1).join(' ')})`);
    console.log('harness   p50 ms   p95 ms   max ms   (edit → DOM p50)');
    for (const n of ['flint', 'vite'] as const) console.log(`${n.padEnd(8)} ${String(fig[n].p50).padStart(7)}  ${String(fig[n].p95).padStart(7)}  ${String(fig[n].max).padStart(7)}   (${dom[n].p50})`);
    console.log(`Flint/Vite: p50 ${result.ratio.p50}×, p95 ${result.ratio.p95}×`);
    console.log(`Flint by stage (p50): ${Object.entries(result.stagesP50Ms.flint).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
    console.log(`Vite by stage (p50): ${Object.entries(result.stagesP50Ms.vite).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
    console.log(`state kept by the hot updates: Flint ${kept.flint ? 'yes' : 'NO'} (${endState.flint.count}, loads ${endState.flint.extra.loads}, hot updates ${endState.flint.extra.hot}), Vite ${kept.vite ? 'yes' : 'NO'} (${endState.vite.count}, same document ${endState.vite.sameDocument})`);
    console.log(`display frame: Flint's preview ${r1(frames.flint)} ms, Vite's page ${r1(frames.vite)} ms; clock offsets against Node at the start ${JSON.stringify(offsetsStart)}, at the end ${JSON.stringify(offsetsEnd)}`);
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench/results/preview-latest.json'), JSON.stringify(result, null, 2) + '\n');
    log('written to bench/results/preview-latest.json');
    if (!kept.flint || !kept.vite) throw new Error(`a hot update lost the app's state (Flint kept: ${kept.flint}, Vite kept: ${kept.vite})`);
  } finally {
    await browser.close();
    await vite?.server.close();
    flint?.child.kill('SIGTERM');
    await registry.close();
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
