/**
 * The Python test worker. It boots Pyodide once (on `boot`, or on its first `start`), then runs
 * one `test_*.py` / `*_test.py` file per `start`, in the same interpreter, forgetting the
 * session's modules between files. The sandbox has no network (CSP `connect-src 'none'`), so
 * Pyodide's files arrive by message (the IDE fetched them from Flint) and this worker answers
 * Pyodide's own `fetch` calls for them from memory; its WebAssembly is compiled here
 * (`'wasm-unsafe-eval'`).
 */
import { loadPyodide, type PyodideAPI } from 'pyodide';
import { HostToWorker, clipError, TestResult, SerializedError, CollectedTest, type PyodideAssets, type WorkerEvent, type WorkerStart } from '../protocol';
import { captureConsole } from './capture';
import { PY_HARNESS, PY_ROOT } from './py-harness';

declare const self: { postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null };

const post = (event: WorkerEvent) => self.postMessage(event);
const INDEX_URL = 'https://pyodide.sandbox.invalid/';

/** Where the bridge's calls go for the file being run. */
const sink: {
  current: string | undefined;
  errors: SerializedError[];
} = { current: undefined, errors: [] };

let booting: Promise<PyodideAPI> | null = null;
let queue: Promise<void> = Promise.resolve();

self.onmessage = (message) => {
  const parsed = HostToWorker.safeParse(message.data);
  if (!parsed.success) {
    post({ type: 'done', errors: [{ message: 'The Python worker got a malformed message.' }], consoleDropped: 0 });
    return;
  }
  const msg = parsed.data;
  if (msg.type === 'boot') {
    boot(msg.pyodide).catch(() => {}); // reported by the `start` that awaits it
    return;
  }
  // Files run one after another, never interleaved.
  queue = queue.then(() =>
    runFile(msg).catch((err) => {
      post({ type: 'done', errors: [clipError({ name: 'PyodideError', message: `Python could not run the file: ${String(err)}` })], consoleDropped: 0 });
    }),
  );
};

function boot(assets: PyodideAssets | undefined): Promise<PyodideAPI> {
  if (booting) return booting;
  if (!assets) return Promise.reject(new Error('Pyodide was not sent to the sandbox.'));
  booting = (async () => {
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
    const parse = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, json: string): T | null => {
      try {
        const r = schema.safeParse(JSON.parse(json));
        return r.success ? r.data : null;
      } catch {
        return null;
      }
    };
    pyodide.registerJsModule('flint_bridge', {
      collected: (json: string) => post({ type: 'collected', tests: parse(CollectedTest.array(), json) ?? [] }),
      test_start: (id: string) => {
        sink.current = id;
        post({ type: 'test-start', id });
      },
      test_end: (json: string) => {
        sink.current = undefined;
        const raw = JSON.parse(json) as { error?: SerializedError };
        if (raw.error) raw.error = clipError(raw.error);
        const result = TestResult.safeParse(raw);
        if (result.success) post({ type: 'test', result: result.data });
      },
      file_error: (json: string) => {
        const e = parse(SerializedError, json);
        if (e && sink.errors.length < 50) sink.errors.push(clipError(e));
      },
    });
    pyodide.runPython(PY_HARNESS);
    return pyodide;
  })();
  return booting;
}

async function runFile(start: WorkerStart) {
  sink.current = undefined;
  sink.errors = [];
  const capture = captureConsole(console, start.consoleMaxChars, (args) => args.map(String).join(' '), (entry) => post({ type: 'console', entry }), () => sink.current);
  const pyodide = await boot(start.pyodide);
  for (const [path, source] of Object.entries(start.pyFiles ?? {})) {
    const full = `${PY_ROOT}/${path}`;
    pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf('/')));
    pyodide.FS.writeFile(full, source);
  }
  const runFn = pyodide.globals.get('run') as ((path: string, skip: unknown, wanted: string | undefined) => void) & { destroy(): void };
  const skip = pyodide.toPy(start.skipIds);
  try {
    runFn(start.file, skip, start.filter);
  } finally {
    skip.destroy();
    runFn.destroy();
  }
  post({ type: 'done', errors: sink.errors, consoleDropped: capture.dropped() });
}
