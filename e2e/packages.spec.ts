import type { Locator, Page } from '@playwright/test';
import { expect, sessionWith, test, Workspace } from './fixtures';
import { SANDBOX_URL } from './env';

/**
 * npm packages (issue #21) end to end: a session's package.json resolved by the server against
 * the run's own Verdaccio (no uplink; FLINT_NPM_REGISTRY in playwright.config.ts), bundled per
 * package and served from the sandbox origin, imported by a test that runs in the sandbox.
 */


const item = (page: Page, name: string): Locator => page.locator(`[data-testid="package-item"][data-name="${name}"]`);
const caseRow = (page: Page, name: string): Locator => page.locator(`[data-testid="test-case"][data-name="${name}"]`);

const PACKAGE_JSON = JSON.stringify({ name: 'demo', dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0', zod: '^4.0.0' }, devDependencies: { lodash: '^4.17.0', 'no-such-package-flint': '^1.0.0' } }, null, 2);

const APP_TEST = `import { z } from 'zod';
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

test.describe('npm packages', () => {
  // esbuild-wasm in the page parses the package bundles (≈1.5 MB for react-dom + zod): seconds on a busy 2-core machine.
  test.setTimeout(240_000);
  test('a test importing zod, lodash/chunk, react and react-dom/server runs green; a missing package is named', async ({ page }) => {
    const id = await sessionWith(page, {
      'package.json': PACKAGE_JSON,
      // Loading ≈1.5 MB of react-dom + zod in a fresh worker takes seconds on a loaded 2-core machine (default limit 5 s).
      'flint.test.json': JSON.stringify({ testTimeoutMs: 60_000, runTimeoutMs: 180_000 }),
      'src/app.test.tsx': APP_TEST,
      'src/missing.test.ts': `import x from 'no-such-package-flint';\nit('uses it', () => { void x; });\n`,
    });
    const ws = new Workspace(page);
    const bundles: Array<{ url: string; cache: string | null }> = [];
    page.on('response', (r) => {
      if (r.url().includes('/_flint/pkg/')) bundles.push({ url: r.url(), cache: r.headers()['cache-control'] ?? null });
    });
    await ws.open(id);

    await expect(page.getByTestId('packages-status')).toBeVisible({ timeout: 60_000 });
    for (const [name, version] of [['react', '19.3.1'], ['react-dom', '19.3.1'], ['zod', '4.6.7'], ['lodash', '4.18.1']]) {
      await expect(item(page, name)).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
      await expect(item(page, name)).toHaveAttribute('data-version', version);
    }
    await expect(item(page, 'no-such-package-flint')).toHaveAttribute('data-status', 'error');
    await expect(item(page, 'no-such-package-flint')).toContainText('no-such-package-flint');

    await page.getByTestId('run-tests').click();
    await expect(page.getByTestId('test-results')).toHaveAttribute('data-status', /^(done|error)$/, { timeout: 180_000 });
    for (const name of ['packages > zod parses', 'packages > lodash/chunk splits', 'packages > react-dom/server renders a component with a hook']) {
      await expect(caseRow(page, name)).toHaveAttribute('data-status', 'passed');
    }
    // The file importing the unknown package fails with a message naming it; the others pass.
    await expect(page.locator('[data-testid="test-file"][data-path="src/missing.test.ts"]')).toContainText('no-such-package-flint');

    // Bundles come from the sandbox origin, immutable.
    expect(bundles.length).toBeGreaterThan(0);
    for (const b of bundles) {
      expect(b.url.startsWith(`${SANDBOX_URL}/_flint/pkg/`)).toBe(true);
      expect(b.cache).toBe('public, max-age=31536000, immutable');
    }
    // The lock was written into the session.
    await expect(page.locator('[data-testid="file-item"][data-path=".flint/packages-lock.json"]')).toBeVisible();
  });

  test('the editor gets the packages’ types: a wrong type against zod and @types/react is marked', async ({ page }) => {
    const id = await sessionWith(page, {
      'package.json': JSON.stringify({ dependencies: { react: '^19.0.0', zod: '^4.0.0' } }),
      // Without the packages' types both lines would say "Cannot find module"; with them, only these type errors remain.
      'src/types.ts': `import { z } from 'zod';\nimport { useState } from 'react';\nexport const n: number = z.string().parse('x');\nexport function useFlag(): string {\n  const [v] = useState(1);\n  return v;\n}\n`,
    });
    const ws = new Workspace(page);
    await ws.open(id);
    await expect(item(page, 'zod')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    await expect(item(page, 'react')).toHaveAttribute('data-status', 'ready');
    await ws.fileItem('src/types.ts').click();
    await expect(ws.editor).toHaveAttribute('data-path', 'src/types.ts');
    await expect(ws.editor.locator('.squiggly-error').first()).toBeAttached({ timeout: 120_000 });
    const problems = page.locator('.marker-widget');
    await expect(async () => {
      await page.keyboard.press('Escape');
      await ws.editor.locator('.view-lines').click();
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('F8');
      await expect(problems.first()).toContainText(/Type 'string' is not assignable to type 'number'|Type 'number' is not assignable to type 'string'/, { timeout: 2_000 });
    }).toPass({ timeout: 120_000 });
    await expect(problems.first()).not.toContainText('Cannot find module');
  });
});
