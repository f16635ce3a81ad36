import type { TemplateName } from '@/lib/protocol';

/**
 * The starter projects (`project:template`). Each has tests the in-browser runner (lib/sandbox)
 * runs as they are: describe/it/expect for TypeScript, pytest-style `test_*` functions for Python.
 * Keep the names in sync with `TemplateName` (lib/protocol/values.ts) and the landing page.
 */
export const TEMPLATES: Record<TemplateName, { name: string; files: Record<string, string> }> = {
  'ts-library': {
    name: 'TypeScript library',
    files: {
      'package.json': `${JSON.stringify({ name: 'ts-library', version: '0.1.0', type: 'module', main: 'src/index.ts', scripts: { test: 'vitest run' } }, null, 2)}\n`,
      'tsconfig.json': `${JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', strict: true, moduleResolution: 'Bundler' }, include: ['src'] }, null, 2)}\n`,
      'src/index.ts': `/** Turns a title into a URL slug: "Hello, World!" → "hello-world". */
export function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\\u0300-\\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Splits \`items\` into chunks of \`size\`. */
export function chunk<T>(items: T[], size: number): T[][] {
  if (size < 1) throw new RangeError('size must be at least 1');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
`,
      'src/index.test.ts': `import { chunk, slugify } from './index';

describe('slugify', () => {
  it('lowercases and joins words with dashes', () => {
    expect(slugify('Hello, World!')).toBe('hello-world');
  });
  it('drops accents', () => {
    expect(slugify('Crème brûlée')).toBe('creme-brulee');
  });
});

describe('chunk', () => {
  it('splits into equal chunks and a remainder', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
  it('refuses a size below 1', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});
`,
      'README.md': '# TypeScript library\n\nA small library with tests. Run them from the test panel.\n',
      '.gitignore': 'node_modules/\ndist/\n',
    },
  },
  'react-app': {
    name: 'React app',
    files: {
      'package.json': `${JSON.stringify({ name: 'react-app', version: '0.1.0', type: 'module', dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' } }, null, 2)}\n`,
      'index.html': '<!doctype html>\n<html>\n  <body>\n    <div id="root"></div>\n    <script type="module" src="/src/main.tsx"></script>\n  </body>\n</html>\n',
      'src/main.tsx': `import { createRoot } from 'react-dom/client';
import { App } from './App';

createRoot(document.getElementById('root')!).render(<App />);
`,
      'src/App.tsx': `import { useState } from 'react';
import { nextCount } from './counter';

export function App() {
  const [count, setCount] = useState(0);
  return (
    <main>
      <h1>Counter</h1>
      <button onClick={() => setCount((c) => nextCount(c, 1))}>Clicked {count} times</button>
    </main>
  );
}
`,
      'src/counter.ts': `/** The counter's next value, never below zero. */
export function nextCount(current: number, step: number): number {
  return Math.max(0, current + step);
}
`,
      'src/counter.test.ts': `import { nextCount } from './counter';

describe('nextCount', () => {
  it('adds the step', () => {
    expect(nextCount(1, 2)).toBe(3);
  });
  it('never goes below zero', () => {
    expect(nextCount(0, -5)).toBe(0);
  });
});
`,
      'README.md': '# React app\n\nA counter app. Its logic is tested in `src/counter.test.ts`.\n',
      '.gitignore': 'node_modules/\ndist/\n',
    },
  },
  'python-package': {
    name: 'Python package',
    files: {
      'pyproject.toml': '[project]\nname = "stats"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
      'stats/__init__.py': 'from .core import mean, median\n\n__all__ = ["mean", "median"]\n',
      'stats/core.py': `def mean(values):
    """The arithmetic mean of a non-empty sequence."""
    if not values:
        raise ValueError("mean of an empty sequence")
    return sum(values) / len(values)


def median(values):
    """The middle value (the mean of the two middle values for an even count)."""
    if not values:
        raise ValueError("median of an empty sequence")
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
`,
      'tests/test_core.py': `from stats import mean, median


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_median_odd_and_even():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_empty_is_an_error():
    try:
        mean([])
    except ValueError:
        return
    raise AssertionError("mean([]) did not raise ValueError")
`,
      'README.md': '# stats\n\nA tiny Python package with pytest-style tests.\n',
      '.gitignore': '__pycache__/\n.venv/\n',
    },
  },
};
