'use client';
import { loader } from '@monaco-editor/react';
import { defineMonacoThemes } from './themes';

export type Monaco = typeof import('monaco-editor');

/** Globals the in-browser test runner provides, so test files type-check in the editor. */
const TEST_GLOBALS = `
declare function describe(name: string, fn: () => void): void;
declare function it(name: string, fn: () => unknown | Promise<unknown>): void;
declare function test(name: string, fn: () => unknown | Promise<unknown>): void;
declare function beforeEach(fn: () => unknown | Promise<unknown>): void;
declare function afterEach(fn: () => unknown | Promise<unknown>): void;
declare function expect(actual: unknown): any;
`;

let loading: Promise<Monaco> | null = null;

/**
 * Loads Monaco from the local package (never a CDN) with its workers bundled by Next, and
 * hands it to @monaco-editor/react. Safe to call many times; loads once.
 */
export function loadMonaco(): Promise<Monaco> {
  loading ??= (async () => {
    self.MonacoEnvironment = {
      getWorker(_id: string, label: string) {
        if (label === 'typescript' || label === 'javascript') {
          return new Worker(new URL('monaco-editor/language/typescript/ts.worker', import.meta.url), { type: 'module' });
        }
        if (label === 'json') {
          return new Worker(new URL('monaco-editor/language/json/json.worker', import.meta.url), { type: 'module' });
        }
        return new Worker(new URL('monaco-editor/editor/editor.worker', import.meta.url), { type: 'module' });
      },
    };
    const monaco = await import('monaco-editor');
    const ts = monaco.typescript;
    ts.typescriptDefaults.setCompilerOptions({
      target: ts.ScriptTarget.ES2020,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.NodeJs,
      strict: true,
      allowNonTsExtensions: true,
      jsx: ts.JsxEmit.ReactJSX,
    });
    ts.typescriptDefaults.setEagerModelSync(true);
    ts.typescriptDefaults.addExtraLib(TEST_GLOBALS, 'file:///flint-test-globals.d.ts');
    defineMonacoThemes(monaco);
    loader.config({ monaco });
    return monaco;
  })();
  return loading;
}

export function languageOf(path: string): string {
  if (/\.tsx?$/.test(path)) return 'typescript';
  if (/\.[cm]?jsx?$/.test(path)) return 'javascript';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.md')) return 'markdown';
  if (path.endsWith('.py')) return 'python';
  if (path.endsWith('.css')) return 'css';
  if (path.endsWith('.html')) return 'html';
  return 'plaintext';
}

export function uriOf(monaco: Monaco, path: string) {
  return monaco.Uri.parse(`file:///${path}`);
}
