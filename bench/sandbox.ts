/**
 * Benchmark (a report, never a pass/fail test): how long the in-browser test runner takes for a
 * 200-test suite, JavaScript and Python, cold (the first run after the page loads: esbuild-wasm
 * start, runtimes sent to the sandbox, Pyodide fetched and started) and warm (later runs).
 *
 *   npm run bench:sandbox                 # builds if needed, starts Flint on a free port
 *   FLINT_URL=http://127.0.0.1:3000 npm run bench:sandbox   # against a running Flint
 *
 * Warm runs start after BENCH_IDLE_MS (default 3000) of idle time, like a person reading the
 * last results; set it to 0 to measure back-to-back runs.
 * Timing is taken inside the page: from the click on `run-tests` to the panel's `data-status`
 * leaving `running`, so Playwright's own polling is not in the figures. Results go to stdout
 * and to bench/results/sandbox-latest.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { chromium, type Page } from '@playwright/test';
import { createBenchSession, useBenchIdentity } from './lib/identity';

const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 3);
/**
 * Pause before each warm run, as a person reading results would: the sandbox prepares the next
 * run's workers (and boots a fresh Python interpreter) in that time. 0 measures back-to-back runs.
 */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000);

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

async function startFlint(): Promise<{ url: string; child?: ChildProcess }> {
  if (process.env.FLINT_URL) return { url: process.env.FLINT_URL };
  const [port, simPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', FLINT_SIM_PORT: String(simPort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Flint did not start within 300 s')), 300_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      if (chunk.toString().includes('[flint] ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`Flint exited with ${code}`)));
  });
  return { url, child };
}

function sessionWith(url: string, files: Record<string, string>): Promise<string> {
  return createBenchSession(url, async (call) => {
    await call('file:delete', { path: 'src/cart.test.ts' }); // only the suite under measurement
    for (const [path, content] of Object.entries(files)) await call('file:create', { path, content });
  });
}

/** 200 JavaScript tests in 4 files, with hooks, .each and a little real work each. */
function jsSuite(): Record<string, string> {
  const files: Record<string, string> = {
    'src/lib/stats.ts': `export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;\nexport const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);\n`,
  };
  for (let f = 0; f < 4; f++) {
    const tests = Array.from({ length: 45 }, (_, i) => `  it('mean ${f}-${i}', () => { const xs = Array.from({ length: ${10 + i} }, (_, k) => k); expect(mean(xs)).toBeCloseTo(${(9 + i) / 2}); expect(sorted([3, 1, 2])).toEqual([1, 2, 3]); });`).join('\n');
    files[`src/bench-${f}.test.ts`] = `import { mean, sorted } from './lib/stats';\ndescribe('bench ${f}', () => {\n  let n = 0;\n  beforeEach(() => { n++; });\n${tests}\n  it.each(Array.from({ length: 5 }, (_, i) => [i, i * 2]))('double %i is %i', (a, b) => { expect(a * 2).toBe(b); });\n});\n`;
  }
  return files;
}

/** 200 Python tests: 100 pytest-style functions, 100 unittest methods. */
function pySuite(): Record<string, string> {
  const fns = Array.from({ length: 100 }, (_, i) => `def test_mean_${i}():\n    xs = list(range(${10 + i}))\n    assert mean(xs) == ${(9 + i) / 2}\n`).join('\n');
  const methods = Array.from({ length: 100 }, (_, i) => `    def test_sorted_${i}(self):\n        self.assertEqual(sorted([3, ${i}, 1]), sorted([1, 3, ${i}]))\n`).join('\n');
  return {
    'py/stats.py': 'def mean(xs):\n    return sum(xs) / len(xs)\n',
    'py/test_bench_functions.py': `from stats import mean\n\n${fns}`,
    'py/test_bench_cases.py': `import unittest\n\nclass SortedTest(unittest.TestCase):\n${methods}`,
  };
}

/**
 * Clicks run-tests and resolves, in the page, when the run ends: the elapsed ms and the counts.
 * Passed as source text: tsx would wrap named functions in a helper the page does not have.
 */
const TIMED_RUN = `new Promise((resolve) => {
  const panel = document.querySelector('[data-testid="test-results"]');
  const button = document.querySelector('[data-testid="run-tests"]');
  let sawRunning = false;
  const t0 = performance.now();
  const num = (id) => Number(document.querySelector('[data-testid="' + id + '"]')?.textContent ?? NaN);
  const check = () => {
    const status = panel.getAttribute('data-status');
    if (status === 'running') sawRunning = true;
    else if (sawRunning) {
      observer.disconnect();
      const m = /· (\\d+) ms/.exec(document.querySelector('[data-testid="test-run-status"]')?.textContent ?? '');
      resolve({ ms: performance.now() - t0, passed: num('test-pass-count'), failed: num('test-fail-count'), sandboxMs: m ? Number(m[1]) : NaN });
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(panel, { attributes: true, attributeFilter: ['data-status'] });
  button.click();
  check();
})`;

async function timedRun(page: Page): Promise<{ ms: number; passed: number; failed: number; sandboxMs: number }> {
  return page.evaluate(TIMED_RUN) as Promise<{ ms: number; passed: number; failed: number; sandboxMs: number }>;
}

interface SuiteResult {
  suite: string;
  tests: number;
  coldMs: number;
  warmMs: number[];
  warmMedianMs: number;
  coldOverWarm: number;
  sandboxColdMs: number;
  sandboxWarmMs: number[];
}

async function measure(url: string, name: string, files: Record<string, string>, expected: number): Promise<SuiteResult> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const id = await sessionWith(url, files);
    const context = await browser.newContext();
    await useBenchIdentity(context, url);
    const page = await context.newPage();
    await page.goto(`${url}/s/${id}`);
    await page.getByTestId('connection-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor({ timeout: 60_000 });
    page.setDefaultTimeout(300_000);
    const cold = await timedRun(page);
    if (cold.passed !== expected || cold.failed !== 0) throw new Error(`${name}: expected ${expected} passing tests, got ${cold.passed} passed, ${cold.failed} failed`);
    const warm = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      await page.waitForTimeout(IDLE_MS);
      warm.push(await timedRun(page));
    }
    const warmMs = warm.map((w) => Math.round(w.ms));
    const median = [...warmMs].sort((a, b) => a - b)[Math.floor(warmMs.length / 2)];
    return {
      suite: name,
      tests: expected,
      coldMs: Math.round(cold.ms),
      warmMs,
      warmMedianMs: median,
      coldOverWarm: Math.round((cold.ms / median) * 10) / 10,
      sandboxColdMs: cold.sandboxMs,
      sandboxWarmMs: warm.map((w) => w.sandboxMs),
    };
  } finally {
    await browser.close();
  }
}

async function main() {
  const { url, child } = await startFlint();
  try {
    const results = [await measure(url, 'JavaScript/TypeScript (4 files)', jsSuite(), 200), await measure(url, 'Python/Pyodide (2 files)', pySuite(), 200)];
    const report = {
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30) },
      note: 'click → results in the page; sandbox = the run inside the sandbox (no bundling, no transfer). Figures vary with machine load; nothing is asserted.',
      idleBeforeWarmMs: IDLE_MS,
      results,
    };
    console.log(`\nIn-browser test runner, 200-test suites (warm runs after ${IDLE_MS} ms idle)`);
    console.log('suite                              cold ms   warm ms (median)   cold/warm   in sandbox: cold / warm ms');
    for (const r of results) {
      console.log(`${r.suite.padEnd(34)} ${String(r.coldMs).padStart(7)}   ${String(r.warmMedianMs).padStart(16)}   ${String(r.coldOverWarm).padStart(9)}   ${r.sandboxColdMs} / ${r.sandboxWarmMs.join(', ')}`);
    }
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/sandbox-latest.json', JSON.stringify(report, null, 2) + '\n');
    console.log('\nwritten to bench/results/sandbox-latest.json');
  } finally {
    child?.kill('SIGTERM');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
