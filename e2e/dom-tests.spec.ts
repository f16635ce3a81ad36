import type { Locator, Page } from '@playwright/test';
import { expect, sessionWith, test, Workspace } from './fixtures';
import { APP_URL } from './env';

/**
 * DOM tests (issue #22 item 5): a project that asks for a DOM environment (`environment` in
 * flint.test.json, or a `@vitest-environment` comment atop a file, as Vitest reads them) gets its
 * test files run in a real document of the browser sandbox, with @testing-library/react from the
 * run's own Verdaccio (the npm packages of the session).
 */

const caseRow = (page: Page, name: string): Locator => page.locator(`[data-testid="test-case"][data-name="${name}"]`);
const fileRow = (page: Page, path: string): Locator => page.locator(`[data-testid="test-file"][data-path="${path}"]`);

const COUNTER = `import { useState } from 'react';

export function Counter({ label }: { label: string }) {
  const [n, setN] = useState(0);
  return (
    <section>
      <h1>{label}</h1>
      <button onClick={() => setN(n + 1)}>count is {n}</button>
    </section>
  );
}
`;

const COUNTER_TEST = `import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import { Counter } from './Counter';

describe('Counter', () => {
  it('renders and reacts to clicks', async () => {
    render(<Counter label="Apples" />);
    expect(screen.getByRole('heading').textContent).toBe('Apples');
    fireEvent.click(screen.getByRole('button', { name: 'count is 0' }));
    await waitFor(() => expect(screen.getByRole('button').textContent).toBe('count is 1'));
  });

  it('starts from a clean document (the last test was cleaned up)', () => {
    expect(document.querySelectorAll('section')).toHaveLength(0);
    render(<Counter label="Pears" />);
    expect(document.body.querySelector('h1')!.textContent).toBe('Pears');
    expect(document.body.getBoundingClientRect().width).toBeGreaterThan(0);
  });

  it('says what it could not find', () => {
    render(<Counter label="Plums" />);
    screen.getByText('no such text');
  });

  it('is held to the sandbox: no cookies of the IDE, no network', async () => {
    expect(() => document.cookie).toThrow();
    await expect(fetch(${JSON.stringify(APP_URL)})).rejects.toThrow();
  });
});
`;

test.describe('DOM tests', () => {
  // esbuild-wasm in the page parses react-dom and testing-library: seconds on a busy 2-core machine.
  test.setTimeout(240_000);

  test('@testing-library/react renders a component, clicks it and queries the DOM; node files stay in a worker', async ({ page }) => {
    const id = await sessionWith(page, {
      'package.json': JSON.stringify({
        dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' },
        devDependencies: { '@testing-library/react': '^16.0.0', '@testing-library/dom': '^10.0.0' },
      }),
      'flint.test.json': JSON.stringify({ environment: 'jsdom', testTimeoutMs: 60_000, runTimeoutMs: 180_000 }),
      'src/Counter.tsx': COUNTER,
      'src/Counter.test.tsx': COUNTER_TEST,
      'src/plain.test.ts': `// @vitest-environment node\nit('has no document', () => {\n  expect(typeof document).toBe('undefined');\n});\n`,
      'src/edge.test.ts': `// @vitest-environment edge-runtime\nit('never runs', () => {});\n`,
    });
    const ws = new Workspace(page);
    await ws.open(id);
    await expect(page.locator('[data-testid="package-item"][data-name="@testing-library/react"]')).toHaveAttribute('data-status', 'ready', { timeout: 90_000 });

    await page.getByTestId('run-tests').click();
    await expect(page.getByTestId('test-results')).toHaveAttribute('data-status', /^(done|error)$/, { timeout: 180_000 });
    await expect(caseRow(page, 'Counter > renders and reacts to clicks')).toHaveAttribute('data-status', 'passed');
    await expect(caseRow(page, 'Counter > starts from a clean document (the last test was cleaned up)')).toHaveAttribute('data-status', 'passed');
    await expect(caseRow(page, 'Counter > is held to the sandbox: no cookies of the IDE, no network')).toHaveAttribute('data-status', 'passed');
    // Testing Library's own message, with the DOM it searched.
    const missing = caseRow(page, 'Counter > says what it could not find');
    await expect(missing).toHaveAttribute('data-status', 'failed');
    await expect(missing).toContainText('Unable to find an element with the text: no such text');
    await expect(caseRow(page, 'has no document')).toHaveAttribute('data-status', 'passed');
    // An environment Flint does not know fails its file, naming it; the rest ran.
    await expect(fileRow(page, 'src/edge.test.ts')).toContainText('Unknown test environment "edge-runtime"');
  });
});
