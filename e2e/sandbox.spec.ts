import { scriptedResponse } from '../lib/seed/scripted-edits';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { expect, sessionWith, sim, test, uniqueMarker, Workspace } from './fixtures';
import { APP_URL, SANDBOX_URL, SIM_URL } from './env';

/**
 * The in-browser test runner (issue #5): test files run in a Worker inside an opaque-origin,
 * CSP-locked iframe. Sessions are prepared over the real wire protocol (`file:create` with
 * content), then driven through the UI by data-testid only.
 */

/** Creates a session holding the seed project plus `files`, over the protocol, and returns its id. */
/** A session owned by `page`'s person (its identity cookie), with `files` added. */

class Tests {
  constructor(readonly page: Page) {}
  get panel(): Locator {
    return this.page.getByTestId('test-results');
  }
  get runAll(): Locator {
    return this.page.getByTestId('run-tests');
  }
  get status(): Locator {
    return this.page.getByTestId('test-run-status');
  }
  get passCount(): Locator {
    return this.page.getByTestId('test-pass-count');
  }
  get failCount(): Locator {
    return this.page.getByTestId('test-fail-count');
  }
  file(path: string): Locator {
    return this.page.locator(`[data-testid="test-file"][data-path="${path}"]`);
  }
  case(name: string): Locator {
    return this.page.locator(`[data-testid="test-case"][data-name="${name}"]`);
  }
  get cases(): Locator {
    return this.page.getByTestId('test-case');
  }
  /** Clicks run-tests and waits for the run to finish. */
  async run(timeout = 60_000): Promise<void> {
    await this.runAll.click();
    await this.waitDone(timeout);
  }
  async waitDone(timeout = 60_000): Promise<void> {
    await expect(this.panel).toHaveAttribute('data-status', /^(done|timedout|cancelled|error)$/, { timeout });
  }
}

async function open(page: Page, files: Record<string, string>): Promise<{ ws: Workspace; tests: Tests; id: string }> {
  const id = await sessionWith(page, files);
  const ws = new Workspace(page);
  await ws.open(id);
  return { ws, tests: new Tests(page), id };
}

/** Statuses by full test name, in report order. */
async function statuses(tests: Tests, file?: string): Promise<Record<string, string>> {
  const scope = file ? tests.file(file).getByTestId('test-case') : tests.cases;
  const rows = await scope.evaluateAll((els) => els.map((e) => [e.getAttribute('data-name') ?? '', e.getAttribute('data-status') ?? '']));
  return Object.fromEntries(rows);
}

test.describe('in-browser tests', () => {
  test('run-tests runs the seed project\'s tests in the sandbox', async ({ page }) => {
    const { tests } = await open(page, {});
    await expect(tests.panel).toBeVisible();
    await tests.run();
    await expect(tests.passCount).toHaveText('3');
    await expect(tests.failCount).toHaveText('0');
    expect(await statuses(tests)).toEqual({
      'Cart > adds up prices times quantities': 'passed',
      'Cart > merges the same sku': 'passed',
      'Cart > removes an item': 'passed',
    });
    await expect(tests.case('Cart > merges the same sku').getByTestId('test-duration')).toHaveText(/^(<1|\d+) ms$/);
    // The sandbox is an opaque-origin iframe: no allow-same-origin. It is loaded from the other
    // loopback name than the IDE's (another site: its own browser process).
    await expect(page.getByTestId('test-sandbox')).toHaveAttribute('sandbox', 'allow-scripts');
    await expect(page.getByTestId('test-sandbox')).toHaveAttribute('src', `${SANDBOX_URL}/sandbox?ide=${encodeURIComponent(APP_URL)}`);
    await expect(page.getByTestId('sandbox-shared-site')).toHaveCount(0);
  });

  test('pass, fail, skip, each, async and hooks', async ({ page }) => {
    const { tests } = await open(page, {
      'src/math.ts': 'export const add = (a: number, b: number): number => a + b;\nexport const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));\n',
      'src/features.test.ts': `import { add, wait } from './math';
const log: string[] = [];
beforeAll(() => { log.push('beforeAll'); });
afterAll(() => { log.push('afterAll'); });
describe('hooks', () => {
  beforeEach(() => { log.push('beforeEach'); });
  afterEach(() => { log.push('afterEach'); });
  it('first', () => { expect(log).toEqual(['beforeAll', 'beforeEach']); });
  it('second sees the first afterEach', () => { expect(log).toEqual(['beforeAll', 'beforeEach', 'afterEach', 'beforeEach']); });
});
it('passes', () => { expect(add(1, 2)).toBe(3); });
it('fails', () => { expect(add(1, 2)).toBe(4); });
it.skip('is skipped', () => { throw new Error('must not run'); });
it.each([[1, 1, 2], [2, 3, 5]])('add(%i, %i) = %i', (a, b, sum) => { expect(add(a, b)).toBe(sum); });
it('awaits async work', async () => { await wait(20); expect(await Promise.resolve(add(2, 2))).toBe(4); });
it('fails asynchronously', async () => { await wait(5); throw new Error('late failure'); });
it('matches objects', () => { expect({ a: 1, b: [1, 2] }).toEqual({ a: 1, b: [1, 2] }); expect([1, 2, 3]).toContain(2); });
`,
      'src/only.test.ts': `it('not focused', () => { throw new Error('must not run'); });
it.only('focused', () => { expect(1).toBe(1); });
describe.only('focused suite', () => { it('runs', () => {}); });
`,
    });
    await tests.run();
    expect(await statuses(tests, 'src/features.test.ts')).toEqual({
      'hooks > first': 'passed',
      'hooks > second sees the first afterEach': 'passed',
      passes: 'passed',
      fails: 'failed',
      'is skipped': 'skipped',
      'add(1, 1) = 2': 'passed',
      'add(2, 3) = 5': 'passed',
      'awaits async work': 'passed',
      'fails asynchronously': 'failed',
      'matches objects': 'passed',
    });
    expect(await statuses(tests, 'src/only.test.ts')).toEqual({ 'not focused': 'skipped', focused: 'passed', 'focused suite > runs': 'passed' });
    await expect(tests.case('fails asynchronously').getByTestId('test-message')).toContainText('late failure');
    await expect(tests.passCount).toHaveText(String(3 + 7 + 2));
    await expect(tests.failCount).toHaveText('2');
  });

  test('mocks, expect.assertions and a per-test time limit', async ({ page }) => {
    const { tests } = await open(page, {
      'src/extras.test.ts': `it('vi.fn records calls', () => {
  const f = vi.fn((x: number) => x * 2);
  expect(f(2)).toBe(4);
  expect(f).toHaveBeenCalledWith(2);
  expect(f).toHaveBeenCalledTimes(1);
});
it('jest.spyOn wraps a method', () => {
  const o = { hi: () => 'hi' };
  const spy = jest.spyOn(o, 'hi');
  o.hi();
  expect(spy).toHaveBeenCalled();
});
it('expect.assertions counts', () => {
  expect.assertions(2);
  expect(1).toBe(1);
});
it('an own, shorter limit stops a loop sooner', () => { while (true) {} }, 300);
it('after', () => {});
`,
    });
    await tests.run();
    expect(await statuses(tests, 'src/extras.test.ts')).toEqual({
      'vi.fn records calls': 'passed',
      'jest.spyOn wraps a method': 'passed',
      'expect.assertions counts': 'failed',
      'an own, shorter limit stops a loop sooner': 'timedout',
      after: 'passed',
    });
    await expect(tests.case('expect.assertions counts').getByTestId('test-message')).toContainText('expected number of assertions to be 2, but got 1');
    await expect(tests.case('an own, shorter limit stops a loop sooner').getByTestId('test-message')).toContainText('Stopped after 300 ms');
  });

  test('a failure shows expected and received, points at the line, opens it, and marks it in the editor', async ({ page }) => {
    const { ws, tests } = await open(page, {
      'src/total.test.ts': `import { Cart } from './cart';

describe('totals', () => {
  it('is wrong on purpose', () => {
    const cart = new Cart();
    cart.add({ sku: 'a', price: 2, quantity: 3 });
    expect(cart.total()).toBe(7);
  });
  it('compares objects', () => {
    expect({ sku: 'a', qty: 1 }).toEqual({ sku: 'a', qty: 2 });
  });
});
`,
    });
    await ws.fileItem('src/cart.ts').click();
    await tests.run();
    const failed = tests.case('totals > is wrong on purpose');
    await expect(failed).toHaveAttribute('data-status', 'failed');
    await expect(failed.getByTestId('test-message')).toContainText('expected 6 to be 7');
    await expect(failed.getByTestId('test-diff')).toContainText('7');
    await expect(failed.getByTestId('test-diff')).toContainText('6');
    // The source map brings the failure back to the person's line (7) in the test file.
    const location = failed.getByTestId('test-location');
    await expect(location).toHaveAttribute('data-path', 'src/total.test.ts');
    await expect(location).toHaveAttribute('data-line', '7');
    const objects = tests.case('totals > compares objects');
    await expect(objects.getByTestId('test-diff')).toContainText('qty');
    await expect(objects.getByTestId('test-location')).toHaveAttribute('data-line', '10');

    await location.click();
    await expect(ws.editor).toHaveAttribute('data-path', 'src/total.test.ts');
    // The cursor is on line 7: Monaco highlights the active line number.
    await expect(ws.editor.locator('.line-numbers.active-line-number')).toHaveText('7');
    // The failure is an editor marker as well: Monaco's hover at the cursor (Ctrl+K Ctrl+I) shows it.
    await expect(ws.editor.locator('.squiggly-error').first()).toBeAttached();
    await page.keyboard.press('Control+k');
    await page.keyboard.press('Control+i');
    await expect(page.locator('.monaco-hover').filter({ hasText: 'expected 6 to be 7' }).first()).toBeVisible();
  });

  test('a syntax error and a missing import fail their file with a location; other files still run', async ({ page }) => {
    const { tests } = await open(page, {
      'src/broken.test.ts': `it('never collected', () => {\n  expect(1).toBe(1);\n});\nconst x = ;\n`,
      'src/missing.test.ts': `import { nothing } from './does-not-exist';\nit('uses it', () => expect(nothing).toBe(1));\n`,
    });
    await tests.run();
    const broken = tests.file('src/broken.test.ts').getByTestId('test-file-error');
    await expect(broken.getByTestId('test-message')).toContainText('src/broken.test.ts:4');
    await expect(broken.getByTestId('test-location')).toHaveAttribute('data-line', '4');
    const missing = tests.file('src/missing.test.ts').getByTestId('test-file-error');
    await expect(missing.getByTestId('test-message')).toContainText('./does-not-exist');
    await expect(missing.getByTestId('test-location')).toHaveAttribute('data-line', '1');
    // The seed file's tests ran regardless.
    await expect(tests.passCount).toHaveText('3');
    await expect(tests.failCount).toHaveText('2');
  });

  test('the per-run limit from flint.test.json ends a long run and reports what it cut off as timed out @reliability', async ({ page }) => {
    const slow = Array.from({ length: 12 }, (_, i) => `it('slow ${i}', async () => { await new Promise((r) => setTimeout(r, 400)); });`).join('\n');
    const { tests } = await open(page, { 'flint.test.json': '{"runTimeoutMs": 3000}', 'src/slow.test.ts': `${slow}\n` });
    await tests.run();
    await expect(tests.panel).toHaveAttribute('data-status', 'timedout');
    await expect(tests.case('slow 0')).toHaveAttribute('data-status', 'passed');
    await expect(tests.case('slow 11')).toHaveAttribute('data-status', 'timedout');
  });

  test('a bad flint.test.json is explained and nothing runs', async ({ page }) => {
    const { tests } = await open(page, { 'flint.test.json': '{"timeout": 10}' });
    await tests.run();
    await expect(page.getByTestId('test-problem')).toContainText('flint.test.json');
    await expect(page.getByTestId('test-problem')).toContainText('timeout');
    await expect(tests.cases).toHaveCount(0);
  });

  test('an infinite loop is killed and reported timed out; later tests run @reliability', async ({ page }) => {
    const { tests } = await open(page, {
      'src/loop.test.ts': `it('before the loop', () => { expect(1).toBe(1); });
it('spins forever', () => { while (true) {} });
it('after the loop', () => { expect(2).toBe(2); });
`,
    });
    await tests.run();
    expect(await statuses(tests, 'src/loop.test.ts')).toEqual({
      'before the loop': 'passed',
      'spins forever': 'timedout',
      'after the loop': 'passed',
    });
    await expect(tests.case('spins forever').getByTestId('test-message')).toContainText('Stopped after 5000 ms: the test did not finish in time');
  });

  test('the IDE stays responsive while a test spins in the sandbox', async ({ page }) => {
    // Its own 10-minute limit keeps it spinning for as long as this test needs; Stop ends it.
    const { ws, tests } = await open(page, {
      'src/spin.test.ts': `it('spins', () => { while (true) {} }, 600000);\n`,
    });
    await tests.runAll.click();
    await expect(tests.panel).toHaveAttribute('data-status', 'running');
    // Typing, switching files and rendering all still happen while the worker spins.
    const typed = `// typed during the run ${uniqueMarker('busy')}`;
    await ws.focusEditorAtStart();
    await page.keyboard.type(typed);
    await expect.poll(async () => (await ws.visibleLines())[0]).toBe(`${typed}export interface Item {`);
    await ws.fileItem('README.md').click();
    await expect(ws.editor).toHaveAttribute('data-path', 'README.md');
    await expect.poll(async () => (await ws.visibleLines())[0]).toBe('# Example project');
    await expect(tests.panel).toHaveAttribute('data-status', 'running');
    await page.getByTestId('test-cancel').click();
    await expect(tests.panel).toHaveAttribute('data-status', 'cancelled');
  });

  test('Stop while the run is still being prepared cancels it before it reaches the sandbox', async ({ page }) => {
    // A fresh page: the first run starts esbuild-wasm and the sandbox, so Stop lands before the
    // run is sent. That cancel used to be dropped and the spinning test ran on.
    const { tests } = await open(page, {
      'src/spin.test.ts': `it('spins', () => { while (true) {} }, 600000);\n`,
    });
    await tests.runAll.click();
    await page.getByTestId('test-cancel').click();
    // Cancelled once the starting sandbox answers: seconds on a loaded machine.
    await expect(tests.panel).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });
    // The sandbox still works afterwards.
    await tests.runAll.click();
    await expect(tests.panel).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
    await page.getByTestId('test-cancel').click();
    await expect(tests.panel).toHaveAttribute('data-status', 'cancelled');
  });

  test('Stop ends a run at once and reports what it interrupted as skipped', async ({ page }) => {
    const { tests } = await open(page, {
      'src/stuck.test.ts': `it('done first', () => {});\nit('stuck', () => { while (true) {} }, 600000);\nit('never reached', () => {});\n`,
    });
    await tests.runAll.click();
    await expect(tests.panel).toHaveAttribute('data-status', 'running');
    // The page's first run loads esbuild-wasm and starts the sandbox: seconds on a loaded machine.
    await expect(tests.case('done first')).toHaveAttribute('data-status', 'passed', { timeout: 60_000 });
    await page.getByTestId('test-cancel').click();
    await expect(tests.panel).toHaveAttribute('data-status', 'cancelled');
    expect(await statuses(tests, 'src/stuck.test.ts')).toEqual({ 'done first': 'passed', stuck: 'skipped', 'never reached': 'skipped' });
    // The sandbox takes the next run straight away.
    await tests.runAll.click();
    await expect(tests.panel).toHaveAttribute('data-status', 'running');
    await expect(tests.case('done first')).toHaveAttribute('data-status', 'passed');
    await page.getByTestId('test-cancel').click();
    await expect(tests.panel).toHaveAttribute('data-status', 'cancelled');
    await expect(tests.passCount).toHaveText('4');
  });

  test('runaway recursion fails the test, not the page @reliability', async ({ page }) => {
    const { tests } = await open(page, {
      'src/recursion.test.ts': `function down(n: number): number { return down(n + 1) + 1; }
it('recurses forever', () => { down(0); });
it('still runs', () => { expect(true).toBe(true); });
`,
    });
    await tests.run();
    await expect(tests.case('recurses forever')).toHaveAttribute('data-status', 'failed');
    await expect(tests.case('recurses forever').getByTestId('test-message')).toContainText(/call stack/i);
    await expect(tests.case('still runs')).toHaveAttribute('data-status', 'passed');
  });

  test('a console flood is captured up to a cap @reliability', async ({ page }) => {
    const { tests } = await open(page, {
      'src/noisy.test.ts': `it('logs a lot', () => { for (let i = 0; i < 100000; i++) console.log('line', i, 'x'.repeat(50)); });
it('logs a little', () => { console.warn('just this'); });
`,
    });
    await tests.run();
    await expect(tests.case('logs a lot')).toHaveAttribute('data-status', 'passed');
    const consoleBox = tests.file('src/noisy.test.ts').getByTestId('test-console');
    await expect(consoleBox.getByTestId('test-console-line').first()).toContainText('line 0 xxxxx');
    const shown = await consoleBox.getByTestId('test-console-line').count();
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(200);
    await expect(consoleBox.getByTestId('test-console-dropped')).toBeVisible();
    const dropped = Number(await consoleBox.getAttribute('data-dropped'));
    expect(dropped).toBeGreaterThan(90_000);
  });

  test('escape attempts fail inside the sandbox, and its limits hold @reliability', async ({ page, context }) => {
    const marker = uniqueMarker('escape');
    // A blocked request may still be announced by the browser; what must never happen is an answer.
    const reached: string[] = [];
    context.on('response', (r) => {
      if (r.url().includes(marker)) reached.push(r.url());
    });
    const target = `${APP_URL}/${marker}`;
    // The sandbox document's own origin (another site than the IDE's): just as closed.
    const ownTarget = `${SANDBOX_URL}/${marker}-own`;
    const wsTarget = `${APP_URL.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&${marker}`;
    // Another origin that would answer: the simulator (its /_sim/clock allows any origin; it
    // speaks WebSocket on /v1/responses).
    const remote = `${SIM_URL}/_sim/clock?${marker}`;
    const wsRemote = `${SIM_URL.replace('http', 'ws')}/v1/responses?${marker}`;
    const wsBefore = (await sim.stats()).wsConnections;
    await page.goto(APP_URL);
    await page.evaluate(() => {
      document.cookie = 'flint_secret=cookie-value; path=/';
      localStorage.setItem('flint_secret', 'storage-value');
    });
    const { ws, tests } = await open(page, {
      'src/escape.test.ts': `
const blocked = (p: Promise<unknown>) => p.then(() => 'reached', () => 'blocked');
describe('escape', () => {
  it('document.cookie', () => { expect(() => (globalThis as any).document.cookie).toThrow(); });
  it('localStorage', () => { expect(() => (globalThis as any).localStorage.getItem('flint_secret')).toThrow(); });
  it('parent.document', () => { expect(() => (globalThis as any).parent.document.body).toThrow(); });
  it('fetch', async () => { expect(await blocked(fetch(${JSON.stringify(target)}))).toBe('blocked'); });
  it('fetch to the sandbox origin', async () => { expect(await blocked(fetch(${JSON.stringify(ownTarget)}))).toBe('blocked'); });
  it('XMLHttpRequest', async () => {
    const r = await new Promise<string>((resolve) => {
      try {
        const x = new XMLHttpRequest();
        x.onload = () => resolve('reached');
        x.onerror = () => resolve('blocked');
        x.open('GET', ${JSON.stringify(target + '-xhr')});
        x.send();
      } catch { resolve('blocked'); }
    });
    expect(r).toBe('blocked');
  });
  it('WebSocket', async () => {
    const r = await new Promise<string>((resolve) => {
      try {
        const s = new WebSocket(${JSON.stringify(wsTarget)});
        s.onopen = () => resolve('reached');
        s.onerror = () => resolve('blocked');
      } catch { resolve('blocked'); }
    });
    expect(r).toBe('blocked');
  });
  it('EventSource', async () => {
    const r = await new Promise<string>((resolve) => {
      try {
        const es = new EventSource(${JSON.stringify(target + '-sse')});
        es.onopen = () => resolve('reached');
        es.onerror = () => { es.close(); resolve('blocked'); };
      } catch { resolve('blocked'); }
    });
    expect(r).toBe('blocked');
  });
  it('importScripts from Flint', () => { expect(() => (globalThis as any).importScripts(${JSON.stringify(target + '.js')})).toThrow(); });
  it('importScripts of a remote URL', () => { expect(() => (globalThis as any).importScripts(${JSON.stringify(remote + '&js')})).toThrow(); });
  it('fetch to another origin', async () => { expect(await blocked(fetch(${JSON.stringify(remote)}))).toBe('blocked'); });
  it('WebSocket to another origin', async () => {
    const r = await new Promise<string>((resolve) => {
      try {
        const s = new WebSocket(${JSON.stringify(wsRemote)});
        s.onopen = () => resolve('reached');
        s.onerror = () => resolve('blocked');
      } catch { resolve('blocked'); }
    });
    expect(r).toBe('blocked');
  });
  it('sessionStorage', () => { expect(() => (globalThis as any).sessionStorage.getItem('flint_secret')).toThrow(); });
  it('indexedDB', async () => {
    const r = await new Promise<string>((resolve) => {
      try {
        const req = indexedDB.open('flint_secret');
        req.onsuccess = () => resolve('reached');
        req.onerror = () => resolve('blocked');
      } catch { resolve('blocked'); }
    });
    expect(r).toBe('blocked');
  });
  it('top.document', () => { expect(() => (globalThis as any).top.document.body).toThrow(); });
  it('top navigation', () => { expect(() => { (globalThis as any).top.location.href = ${JSON.stringify(target + '-nav')}; }).toThrow(); });
  it('window.open', () => { expect(() => (globalThis as any).window.open(${JSON.stringify(target + '-popup')})).toThrow(); });
});
// Limits: each ends its own test (killed, or failed), never the page; the next test still runs.
describe('limits', () => {
  it('infinite loop', () => { while (true) {} });
  // The memory bomb has its own test below: Playwright takes any crashed frame for a crashed page.
  it('runaway recursion', () => { const down = (n: number): number => down(n + 1) + 1; down(0); });
  it('still runs after them', () => { expect(1).toBe(1); });
});
`,
    });
    const url = page.url();
    await tests.run();
    const results = await statuses(tests, 'src/escape.test.ts');
    const limits = ['limits > infinite loop', 'limits > runaway recursion'];
    expect(Object.keys(results)).toHaveLength(17 + limits.length + 1);
    for (const [name, status] of Object.entries(results)) if (!limits.includes(name)) expect(status, name).toBe('passed');
    expect(results['limits > infinite loop']).toBe('timedout');
    expect(results['limits > runaway recursion']).toBe('failed');

    // One level up, the sandbox document itself (the iframe) is just as shut in.
    const frame = page.frames().find((f) => f.url().startsWith(`${SANDBOX_URL}/sandbox?`));
    expect(frame).toBeTruthy();
    const probes = await frame!.evaluate(async ([t, r]) => {
      const attempt = async (f: () => unknown) => {
        try {
          const v = await f();
          return v === null || v === undefined ? 'blocked' : `reached: ${String(v)}`;
        } catch {
          return 'blocked';
        }
      };
      return {
        origin: self.origin,
        cookie: await attempt(() => document.cookie),
        localStorage: await attempt(() => localStorage.getItem('flint_secret')),
        parentDocument: await attempt(() => window.parent.document.body),
        fetch: await attempt(() => fetch(`${t}-frame`).then(() => 'response')),
        popup: await attempt(() => window.open(`${t}-frame-popup`)),
        sessionStorage: await attempt(() => sessionStorage.getItem('flint_secret')),
        indexedDB: await attempt(
          () =>
            new Promise((resolve, reject) => {
              const req = indexedDB.open('flint_secret');
              req.onsuccess = () => resolve('opened');
              req.onerror = () => reject(req.error);
            }),
        ),
        topDocument: await attempt(() => window.top!.document.body),
        remoteFetch: await attempt(() => fetch(`${r}&frame`).then(() => 'response')),
        remoteScript: await attempt(
          () =>
            new Promise((resolve) => {
              const s = document.createElement('script');
              s.src = `${r}&frame-script`;
              s.onload = () => resolve('loaded');
              s.onerror = () => resolve(null);
              document.head.append(s);
            }),
        ),
        topNavigation: await attempt(() => {
          window.top!.location.href = `${t}-frame-nav`;
          return 'navigated';
        }),
      };
    }, [target, remote] as const);
    expect(probes).toEqual({
      origin: 'null',
      cookie: 'blocked',
      localStorage: 'blocked',
      parentDocument: 'blocked',
      fetch: 'blocked',
      popup: 'blocked',
      sessionStorage: 'blocked',
      indexedDB: 'blocked',
      topDocument: 'blocked',
      remoteFetch: 'blocked',
      remoteScript: 'blocked',
      topNavigation: 'blocked',
    });
    // Nothing reached Flint's server, no page opened, and the IDE did not navigate.
    expect(reached).toEqual([]);
    expect(context.pages()).toHaveLength(1);
    expect(page.url()).toBe(url);
    expect((await sim.stats()).wsConnections).toBe(wsBefore);
    // The IDE is alive and well after the limits: it still opens a file.
    await ws.fileItem('README.md').click();
    await expect(ws.editor).toHaveAttribute('data-path', 'README.md');
  });

  test('a test that allocates without end kills only the sandbox: the IDE notices, keeps the editor, and runs again @reliability', async ({}, testInfo) => {
    // Its own Chromium, for two reasons. (1) IsolateSandboxedIframes off: Chromium 156 already
    // gives a same-site sandboxed frame its own process, other browsers and configurations do
    // not; with it off only the sandbox being on another site (lib/sandbox/origin.ts) keeps the
    // bomb out of the IDE's process. (2) A DevTools port: Playwright 1.65 takes any crashed
    // out-of-process frame for a crashed page (its frame session forwards Inspector.targetCrashed
    // to the page) and refuses to drive that page again, so the browser's own record of which
    // target crashed is read over CDP, and the page is driven afterwards from a new connection.
    test.setTimeout(180_000);
    const launch = testInfo.project.use.launchOptions ?? {};
    const dir = mkdtempSync(join(tmpdir(), 'flint-e2e-oom-'));
    let owner: BrowserContext | undefined;
    const connections: Browser[] = [];
    try {
      owner = await chromium.launchPersistentContext(dir, {
        executablePath: launch.executablePath,
        args: [...(launch.args ?? []), '--disable-features=IsolateSandboxedIframes', '--remote-debugging-port=0'],
        baseURL: APP_URL,
      });
      const port = readFileSync(join(dir, 'DevToolsActivePort'), 'utf8').split('\n')[0];
      const connect = async () => {
        const b = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
        connections.push(b);
        return b;
      };
      const watcher = await (await connect()).newBrowserCDPSession();
      const targets = new Map<string, { type: string; url: string }>();
      const crashed: Array<{ type: string; url: string }> = [];
      watcher.on('Target.targetCreated', (e) => targets.set(e.targetInfo.targetId, e.targetInfo));
      watcher.on('Target.targetInfoChanged', (e) => targets.set(e.targetInfo.targetId, e.targetInfo));
      watcher.on('Target.targetCrashed', (e) => crashed.push(targets.get(e.targetId) ?? { type: 'unknown', url: '' }));
      await watcher.send('Target.setDiscoverTargets', { discover: true });

      const first = owner.pages()[0] ?? (await owner.newPage());
      const { ws, tests } = await open(first, {
        'src/alloc.test.ts': `it('before', () => { expect(1).toBe(1); });
it('allocates without end', () => { const a: number[][] = []; while (true) a.push(new Array(1e6).fill(1)); }, 600000);
it('never reached', () => {});
`,
        'src/fine.test.ts': `it('passes', () => { expect(2 + 2).toBe(4); });\n`,
      });
      // The bomb has a 10-minute limit of its own: on a busy machine the host's 5 s watchdog
      // could otherwise stop it before the browser runs out of memory (reported timedout, which is
      // fine for a person but not what this test is about).
      // Text typed before the run, not yet in any test: it must survive.
      const typed = `// typed before the bomb ${uniqueMarker('oom')}`;
      await ws.focusEditorAtStart();
      await first.keyboard.type(typed);
      await expect.poll(async () => (await ws.visibleLines())[0]).toBe(`${typed}export interface Item {`);
      await first.evaluate(() => ((window as unknown as { flintSameDocument: boolean }).flintSameDocument = true));
      await tests.runAll.click();

      // The browser kills the sandbox's process (out of memory); only that frame, never the page.
      await expect.poll(() => crashed.length, { timeout: 60_000 }).toBeGreaterThan(0);
      expect(crashed.map((t) => t.type), 'crashed targets').not.toContain('page');
      expect(crashed).toEqual([expect.objectContaining({ type: 'iframe', url: expect.stringContaining('/sandbox?ide=') })]);

      // The same page, driven from a new connection: the same document (not reloaded), with the
      // run failed in words, the interrupted tests marked, the editor intact and typing.
      const page = (await connect()).contexts()[0].pages().find((p) => p.url() === first.url());
      expect(page, 'the IDE page is still there').toBeTruthy();
      const again = new Tests(page!);
      const ws2 = new Workspace(page!);
      expect(await page!.evaluate(() => (window as unknown as { flintSameDocument?: boolean }).flintSameDocument)).toBe(true);
      await expect(again.panel).toHaveAttribute('data-status', 'error', { timeout: 60_000 });
      await expect(page!.getByTestId('test-problem')).toContainText('The test sandbox stopped during the run (most likely a test used too much memory) and was restarted');
      expect(await statuses(again, 'src/alloc.test.ts')).toEqual({ before: 'passed', 'allocates without end': 'failed', 'never reached': 'skipped' });
      await expect(again.case('allocates without end').getByTestId('test-message')).toContainText('The test sandbox stopped');
      await expect.poll(async () => (await ws2.visibleLines())[0]).toBe(`${typed}export interface Item {`);
      await ws2.focusEditorAtStart();
      await page!.keyboard.press('End');
      await page!.keyboard.type(' // and after');
      await expect.poll(async () => (await ws2.visibleLines())[0]).toBe(`${typed}export interface Item { // and after`);

      // A fresh sandbox takes the next run.
      await ws2.fileItem('src/fine.test.ts').click();
      await expect(ws2.editor).toHaveAttribute('data-path', 'src/fine.test.ts');
      await page!.getByTestId('run-file').click();
      await again.waitDone();
      await expect(again.panel).toHaveAttribute('data-status', 'done');
      expect(await statuses(again)).toEqual({ passes: 'passed' });
      await expect(page!.getByTestId('test-problem')).toHaveCount(0);
      expect(crashed.map((t) => t.type)).not.toContain('page');
    } finally {
      for (const b of connections) await b.close().catch(() => {});
      await owner?.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('run one file, and one test', async ({ page }) => {
    const { ws, tests } = await open(page, {
      'src/other.test.ts': `it('alpha', () => {});\nit('beta', () => { expect(1).toBe(2); });\n`,
    });
    await ws.fileItem('src/other.test.ts').click();
    await expect(ws.editor).toHaveAttribute('data-path', 'src/other.test.ts');
    await page.getByTestId('run-file').click();
    await tests.waitDone();
    expect(await statuses(tests)).toEqual({ alpha: 'passed', beta: 'failed' });
    await expect(tests.file('src/cart.test.ts')).toHaveCount(0);

    await tests.case('alpha').getByTestId('test-run-one').click();
    await expect(tests.cases).toHaveCount(1);
    await tests.waitDone();
    expect(await statuses(tests)).toEqual({ alpha: 'passed' });
    await expect(tests.failCount).toHaveText('0');
  });

  test('the keyboard shortcut runs the tests, from the editor too', async ({ page }) => {
    const { ws, tests } = await open(page, {});
    await ws.focusEditorAtStart();
    await page.keyboard.press('Control+;');
    await tests.waitDone();
    await expect(tests.passCount).toHaveText('3');
  });

  test('everyone in the session sees the same run', async ({ page, browser }) => {
    const { tests, ws } = await open(page, { 'src/shared.test.ts': `it('shared pass', () => {});\nit('shared fail', () => { expect('a').toBe('b'); });\n` });
    const otherContext = await browser.newContext();
    try {
      const otherPage = await otherContext.newPage();
      const other = new Workspace(otherPage);
      await other.openLink(await ws.shareLink('edit'));
      const theirs = new Tests(otherPage);
      await tests.run();
      await expect(theirs.passCount).toHaveText('4');
      await expect(theirs.failCount).toHaveText('1');
      await expect(theirs.status).toContainText('collaborator');
      await expect(theirs.case('shared fail')).toHaveAttribute('data-status', 'failed');
      await expect(theirs.case('shared fail').getByTestId('test-location')).toHaveAttribute('data-line', '2');
    } finally {
      await otherContext.close();
    }
  });

  test('fix-with-ai sends the failures and the code under test to the model', async ({ page }) => {
    const marker = uniqueMarker('fixme');
    const { ws, tests } = await open(page, {
      'src/fix.test.ts': `import { Cart } from './cart';\nit('${marker} totals', () => { const c = new Cart(); c.add({ sku: 'x', price: 1, quantity: 2 }); expect(c.total()).toBe(3); });\n`,
    });
    const fix = { path: 'src/cart.ts', search: '  total(): number {\n', replace: `  // fixed by the model ${marker}\n  total(): number {\n` };
    await sim.rule({ match: marker, text: scriptedResponse([fix]), times: 1 });
    const before = (await sim.stats()).requests;
    await tests.run();
    await expect(tests.failCount).toHaveText('1');
    await page.getByTestId('fix-with-ai').click();
    // The prompt names the failing test; the model edits the code under test.
    await expect(ws.editor).toHaveAttribute('data-path', 'src/cart.ts');
    await ws.waitForStatus('done');
    expect((await sim.stats()).requests).toBeGreaterThan(before);
    // It comes back as a hunk to review, shown in the editor as a proposed change.
    await expect(page.getByTestId('hunk')).toHaveCount(1);
    await expect(page.getByTestId('hunk')).toContainText(`fixed by the model ${marker}`);
    await expect(ws.addedZones('pending')).toContainText(`fixed by the model ${marker}`);
  });
});

test.describe('in-browser Python tests', () => {
  test('pytest-style functions and unittest classes: pass, fail, error, a loop and a syntax error', async ({ page }) => {
    test.setTimeout(180_000);
    const { tests } = await open(page, {
      'py/calc.py': 'def add(a, b):\n    return a + b\n\ndef divide(a, b):\n    return a / b\n',
      'py/test_calc.py': `from calc import add, divide
import unittest

def test_add():
    assert add(2, 3) == 5

def test_add_wrong():
    expected = 6
    got = add(2, 3)
    assert got == expected

def test_error():
    divide(1, 0)

def test_prints():
    print("hello from python")

class CalcTest(unittest.TestCase):
    def test_ok(self):
        self.assertEqual(add(1, 1), 2)

    def test_fails(self):
        self.assertEqual(add(1, 1), 3)

    @unittest.skip("not today")
    def test_skipped(self):
        pass

class TestPlain:
    def setup_method(self, method):
        self.items = [1, 2]

    def test_setup_ran(self):
        assert self.items == [1, 2]
`,
      'py/loop_test.py': 'def test_spins():\n    while True:\n        pass\n\ndef test_after():\n    assert 1 + 1 == 2\n',
      'py/test_broken.py': 'def test_never(:\n    pass\n',
    });
    await tests.run(150_000);
    expect(await statuses(tests, 'py/test_calc.py')).toEqual({
      test_add: 'passed',
      test_add_wrong: 'failed',
      test_error: 'failed',
      test_prints: 'passed',
      'CalcTest > test_ok': 'passed',
      'CalcTest > test_fails': 'failed',
      'CalcTest > test_skipped': 'skipped',
      'TestPlain > test_setup_ran': 'passed',
    });
    const wrong = tests.case('test_add_wrong');
    await expect(wrong.getByTestId('test-message')).toContainText('assert got == expected');
    await expect(wrong.getByTestId('test-diff')).toContainText('Expected: 6');
    await expect(wrong.getByTestId('test-diff')).toContainText('Received: 5');
    await expect(wrong.getByTestId('test-location')).toHaveAttribute('data-line', '10');
    await expect(tests.case('test_error').getByTestId('test-message')).toContainText('ZeroDivisionError');
    await expect(tests.case('test_error').getByTestId('test-location')).toHaveAttribute('data-path', 'py/calc.py');
    await expect(tests.case('CalcTest > test_fails').getByTestId('test-message')).toContainText('2 != 3');
    await expect(tests.file('py/test_calc.py').getByTestId('test-console')).toContainText('hello from python');
    // A Python loop is stopped like a JavaScript one, and the file goes on in a new interpreter.
    expect(await statuses(tests, 'py/loop_test.py')).toEqual({ test_spins: 'timedout', test_after: 'passed' });
    const broken = tests.file('py/test_broken.py').getByTestId('test-file-error');
    await expect(broken.getByTestId('test-message')).toContainText('SyntaxError');
    await expect(broken.getByTestId('test-location')).toHaveAttribute('data-line', '1');
  });
});
