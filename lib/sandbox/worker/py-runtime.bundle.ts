/**
 * The Python test worker: one worker runs one `test_*.py` / `*_test.py` file under Pyodide.
 * The sandbox has no network (CSP `connect-src 'none'`), so Pyodide's files arrive in the start
 * message (the IDE fetched them from Flint) and this worker answers Pyodide's own `fetch` calls
 * for them from memory; its WebAssembly is compiled here (`'wasm-unsafe-eval'`).
 */
import { loadPyodide } from 'pyodide';
import { WorkerStart, clipError, TestResult, SerializedError, CollectedTest, type WorkerEvent } from '../protocol';
import { captureConsole } from './capture';
import { PY_HARNESS, PY_ROOT } from './py-harness';

declare const self: { postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null };

const post = (event: WorkerEvent) => self.postMessage(event);
const INDEX_URL = 'https://pyodide.sandbox.invalid/';

let started = false;
self.onmessage = (message) => {
  if (started) return;
  const parsed = WorkerStart.safeParse(message.data);
  if (!parsed.success || !parsed.data.pyodide || !parsed.data.pyFiles) {
    post({ type: 'done', errors: [{ message: 'The Python worker got a malformed start message.' }], consoleDropped: 0 });
    return;
  }
  started = true;
  void run(parsed.data).catch((err) => {
    post({ type: 'done', errors: [clipError({ name: 'PyodideError', message: `Python could not start: ${String(err)}` })], consoleDropped: 0 });
  });
};

async function run(start: WorkerStart) {
  const assets = start.pyodide!;
  const served: Record<string, { body: ArrayBuffer; type: string }> = {
    [`${INDEX_URL}pyodide.asm.wasm`]: { body: assets['pyodide.asm.wasm'], type: 'application/wasm' },
    [`${INDEX_URL}python_stdlib.zip`]: { body: assets['python_stdlib.zip'], type: 'application/zip' },
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const file = served[url];
    if (file) return new Response(file.body, { headers: { 'content-type': file.type } });
    return realFetch(input, init);
  }) as typeof fetch;

  let current: string | undefined;
  const errors: SerializedError[] = [];
  const capture = captureConsole(console, start.consoleMaxChars, (args) => args.map(String).join(' '), (entry) => post({ type: 'console', entry }), () => current);

  const asmUrl = URL.createObjectURL(new Blob([assets['pyodide.asm.mjs']], { type: 'text/javascript' }));
  const createPyodideModule = (await import(/* webpackIgnore: true */ asmUrl)).default;
  const pyodide = await loadPyodide({
    indexURL: INDEX_URL,
    createPyodideModule,
    lockFileContents: new TextDecoder().decode(assets['pyodide-lock.json']),
    packageBaseUrl: INDEX_URL,
    stdout: (text: string) => console.log(text),
    stderr: (text: string) => console.error(text),
  } as Parameters<typeof loadPyodide>[0] & { createPyodideModule: unknown });

  for (const [path, source] of Object.entries(start.pyFiles!)) {
    const full = `${PY_ROOT}/${path}`;
    pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf('/')));
    pyodide.FS.writeFile(full, source);
  }
  const parse = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, json: string): T | null => {
    try {
      const r = schema.safeParse(JSON.parse(json));
      return r.success ? r.data : null;
    } catch {
      return null;
    }
  };
  pyodide.registerJsModule('flint_bridge', {
    collected: (json: string) => {
      const tests = parse({ safeParse: (v: unknown) => CollectedTest.array().safeParse(v) }, json);
      post({ type: 'collected', tests: tests ?? [] });
    },
    test_start: (id: string) => {
      current = id;
      post({ type: 'test-start', id });
    },
    test_end: (json: string) => {
      current = undefined;
      const raw = JSON.parse(json) as { error?: SerializedError };
      if (raw.error) raw.error = clipError(raw.error);
      const result = TestResult.safeParse(raw);
      if (result.success) post({ type: 'test', result: result.data });
    },
    file_error: (json: string) => {
      const e = parse(SerializedError, json);
      if (e && errors.length < 50) errors.push(clipError(e));
    },
  });
  pyodide.runPython(PY_HARNESS, { filename: '<flint-harness>' } as never);
  const runFn = pyodide.globals.get('run') as (path: string, skip: unknown, wanted: string | undefined) => void;
  const skip = pyodide.toPy(start.skipIds);
  try {
    runFn(start.file, skip, start.filter);
  } finally {
    skip.destroy();
  }
  post({ type: 'done', errors, consoleDropped: capture.dropped() });
}
