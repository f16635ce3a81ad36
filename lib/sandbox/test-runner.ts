'use client';
import type * as Y from 'yjs';
import { filesOf } from '@/lib/collab/workspace-doc';
import type { Response, TestsResultPayload } from '@/lib/protocol';
import type { FlintSocket } from '@/lib/client/connection';
import { applyEvent, createProgress, createSnapshotter, emptyReport, markInterrupted, toFailure, trackProgress } from './aggregate';
import { bundleTestFile, loadEsbuild } from './bundler';
import type { PackageSources } from './packages';
import { jsRuntimeSource, pyRuntimeSource } from './bundles';
import { StackMapper, locatePython } from './locate';
import { readTestConfig, testEnvironmentOf } from './project-config';
import { DEFAULT_LIMITS, RunRequest, type Limits, type PyodideAssets, type RunUnit } from './protocol';
import { testKindOf } from './resolve';
import { SandboxStoppedError, type SandboxClient } from './sandbox-client';
import type { TestStoreApi } from './test-store';
import { PY_ROOT } from './worker/py-harness';

export type RunScope = TestsResultPayload['scope'];

/**
 * One session's test runs: picks the test files for a scope, bundles JS/TS ones with
 * esbuild-wasm, loads Pyodide's files only when a Python test is in the run, hands everything to
 * the sandbox, folds the events into the store (at most once per animation frame) and relays the
 * start and the result to the session (`tests:result`). Reports from peers replace the shown run.
 */
export class TestRunner {
  private runSeq = 0;
  private currentRunId: string | null = null;
  /** The ids of the last runs started here, to tell our own reports from a collaborator's. */
  private readonly ownRuns: string[] = [];
  private readonly off: Array<() => void> = [];

  constructor(
    private readonly deps: {
      doc: Y.Doc;
      socket: FlintSocket;
      sandbox: SandboxClient;
      store: TestStoreApi;
      limits?: Partial<Limits>;
      /** The session's npm packages (bare imports); without it a package import is a file error. */
      packages?: { sources(): Promise<PackageSources> };
      /** Called with each final report (markers in the editor). */
      onReport?: (report: TestsResultPayload) => void;
    },
  ) {
    const onRemote = (report: TestsResultPayload) => {
      if (this.currentRunId && deps.store.getState().busy) return; // our own run is on screen
      // A run of ours comes back this way after a reconnect (the server replays the last report).
      deps.store.getState().setReport(report, this.ownRuns.includes(report.runId) ? 'local' : 'remote');
      if (report.status !== 'running') deps.onReport?.(report);
    };
    deps.socket.on('tests:result', onRemote);
    this.off.push(() => deps.socket.off('tests:result', onRemote));
  }

  private files(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [path, text] of filesOf(this.deps.doc)) out.set(path, text.toString());
    return out;
  }

  /** Test files in the session, sorted. */
  testFiles(): string[] {
    return [...filesOf(this.deps.doc).keys()].filter((p) => testKindOf(p) !== null).sort();
  }

  cancel() {
    if (this.currentRunId) this.deps.sandbox.cancel(this.currentRunId);
  }

  async run(scope: RunScope): Promise<TestsResultPayload> {
    const { store, sandbox } = this.deps;
    let limits: Limits = { ...DEFAULT_LIMITS, ...this.deps.limits };
    const runId = `${Date.now().toString(36)}-${(++this.runSeq).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    if (this.currentRunId) sandbox.cancel(this.currentRunId);
    this.currentRunId = runId;
    this.ownRuns.push(runId);
    if (this.ownRuns.length > 16) this.ownRuns.shift();
    const report = emptyReport(runId, scope);
    const progress = createProgress();
    const snapshot = createSnapshotter();
    store.getState().setProblem(null);
    store.getState().setBusy(true);
    store.getState().setReport(snapshot(report), 'local');
    this.relay(report);

    try {
      const files = this.files();
      const config = readTestConfig(files);
      if (!config.ok) throw new Error(config.error);
      const { environment: _, ...overrides } = config.config;
      limits = { ...limits, ...overrides };
      const paths = scope.kind === 'all' ? this.testFiles() : files.has(scope.path) && testKindOf(scope.path) ? [scope.path] : [];
      const mappers = new Map<string, StackMapper>();
      const units: RunUnit[] = [];
      const hasJs = paths.some((p) => testKindOf(p) === 'js');
      // esbuild-wasm starts (≈1 s the first time) while the server resolves the packages.
      if (hasJs) void loadEsbuild().catch(() => undefined);
      const packages = hasJs ? await this.deps.packages?.sources() : undefined;
      for (const path of paths) {
        const kind = testKindOf(path)!;
        if (kind === 'py') {
          units.push({ kind: 'py', file: path });
          continue;
        }
        const environment = testEnvironmentOf(files.get(path) ?? '', config.config);
        if (!environment.ok) {
          applyEvent(report, { type: 'file-start', file: path });
          report.files.find((f) => f.path === path)?.errors.push({ message: environment.error });
          continue;
        }
        const bundled = await bundleTestFile(files, path, packages);
        if (bundled.ok) {
          mappers.set(path, new StackMapper(bundled.map));
          units.push({ kind: 'js', file: path, code: bundled.code, environment: environment.environment });
        } else {
          // Reported like any file error, at the location esbuild gave.
          applyEvent(report, { type: 'file-start', file: path });
          report.files.find((f) => f.path === path)?.errors.push(...bundled.errors.slice(0, 20).map((e) => toFailure(e, e.location)));
        }
      }
      if (this.currentRunId !== runId) return report;

      const needsPy = units.some((u) => u.kind === 'py');
      const request = {
        type: 'run' as const,
        runId,
        units,
        limits,
        ...(scope.kind === 'test' ? { filter: scope.name } : {}),
        ...(!sandbox.sent.js && units.some((u) => u.kind === 'js') ? { jsRuntime: await jsRuntimeSource() } : {}),
        ...(needsPy && !sandbox.sent.py ? { pyRuntime: await pyRuntimeSource() } : {}),
        ...(needsPy && !sandbox.sent.pyodide ? { pyodide: await loadPyodideAssets() } : {}),
        ...(needsPy ? { pyFiles: Object.fromEntries([...files].filter(([p]) => p.endsWith('.py'))) } : {}),
      };

      // The host drops what does not parse, so check here and say why.
      const valid = RunRequest.safeParse(request);
      if (!valid.success) {
        const issue = valid.error.issues[0];
        throw new Error(
          issue?.path[0] === 'units' && issue.code === 'too_big'
            ? 'Too many test files for one run (at most 500): run a single file instead.'
            : `The tests cannot be sent to the sandbox: ${issue?.path.join('.')} ${issue?.message ?? ''}`.trim(),
        );
      }

      const locate = (file: string, e: { stack?: string }) => {
        if (testKindOf(file) === 'py') return locatePython(e.stack, PY_ROOT) ?? undefined;
        return mappers.get(file)?.locate(e.stack) ?? undefined;
      };
      const rewriteStack = (file: string, stack: string) => mappers.get(file)?.rewrite(stack) ?? stack;
      let frame = 0;
      const publish = () => {
        frame = 0;
        if (this.currentRunId === runId) store.getState().setReport(snapshot(report), 'local');
      };
      const answerWithinMs = limits.runTimeoutMs + 30_000 + (needsPy ? 60_000 : 0);
      const end = await sandbox.run(
        request,
        (event) => {
          trackProgress(progress, event);
          applyEvent(report, event, { locate, rewriteStack });
          if (!frame) frame = requestAnimationFrame(publish);
        },
        answerWithinMs,
      );
      if (frame) cancelAnimationFrame(frame);
      void end;
    } catch (err) {
      // The sandbox's process died (or stopped answering): say which tests it interrupted.
      if (err instanceof SandboxStoppedError) markInterrupted(report, progress, err.message);
      report.status = 'error';
      store.getState().setProblem(err instanceof Error ? err.message : String(err));
    }
    if (report.status === 'running') report.status = 'done';
    if (this.currentRunId === runId) {
      this.currentRunId = null;
      store.getState().setReport(snapshot(report), 'local');
      store.getState().setBusy(false);
      this.deps.onReport?.(report);
      this.relay(report);
    }
    return report;
  }

  private relay(report: TestsResultPayload) {
    if (!this.deps.socket.connected) return;
    this.deps.socket.emit('tests:result', report, (r: Response<Record<string, never>>) => {
      if (!r.ok) console.warn('[flint] tests:result was refused:', r.error.message);
    });
  }

  dispose() {
    for (const off of this.off) off();
    this.cancel();
  }
}

let pyodideAssets: Promise<PyodideAssets> | null = null;

/**
 * Pyodide's runtime files, fetched from Flint (Next emits them as hashed, immutable static
 * assets) the first time a Python test runs. The sandbox cannot fetch, so they travel by message.
 */
function loadPyodideAssets(): Promise<PyodideAssets> {
  pyodideAssets ??= (async () => {
    const urls = {
      'pyodide.asm.mjs': new URL('pyodide/pyodide.asm.mjs', import.meta.url),
      'pyodide.asm.wasm': new URL('pyodide/pyodide.asm.wasm', import.meta.url),
      'python_stdlib.zip': new URL('pyodide/python_stdlib.zip', import.meta.url),
      'pyodide-lock.json': new URL('pyodide/pyodide-lock.json', import.meta.url),
    };
    const entries = await Promise.all(
      Object.entries(urls).map(async ([name, url]) => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`Could not load Pyodide (${name}: HTTP ${res.status}).`);
        return [name, await res.arrayBuffer()] as const;
      }),
    );
    return Object.fromEntries(entries) as PyodideAssets;
  })();
  pyodideAssets.catch(() => {
    pyodideAssets = null;
  });
  return pyodideAssets;
}
