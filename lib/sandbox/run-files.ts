'use client';
import type { TestsResultPayload } from '@/lib/protocol';
import { applyEvent, createProgress, emptyReport, markInterrupted, toFailure, trackProgress } from './aggregate';
import { bundleTestFile } from './bundler';
import { jsRuntimeSource } from './bundles';
import { StackMapper, locatePython } from './locate';
import { readTestConfig, testEnvironmentOf } from './project-config';
import { DEFAULT_LIMITS, RunRequest, type Limits, type RunUnit } from './protocol';
import { testKindOf } from './resolve';
import { SandboxStoppedError, type SandboxClient } from './sandbox-client';
import { PY_ROOT } from './worker/py-harness';

/**
 * Every test of `files` — a file map that is not the workspace, e.g. a background agent's copy —
 * run once in `sandbox`, folded into one report. Nothing is shown or relayed: the caller decides
 * (lib/client/agents.ts answers `agent:result` with it). Same bundling, limits and locations as
 * the panel's runs (test-runner.ts).
 * Python test files are reported as a file error for now (Pyodide is loaded by the panel's runs).
 */
export async function runTestsOn(sandbox: SandboxClient, files: ReadonlyMap<string, string>, runId: string): Promise<TestsResultPayload> {
  const report = emptyReport(runId, { kind: 'all' });
  const progress = createProgress();
  try {
    const config = readTestConfig(files);
    if (!config.ok) throw new Error(config.error);
    const { environment: _, ...overrides } = config.config;
    const limits: Limits = { ...DEFAULT_LIMITS, ...overrides };
    const paths = [...files.keys()].filter((p) => testKindOf(p) !== null).sort();
    const mappers = new Map<string, StackMapper>();
    const units: RunUnit[] = [];
    for (const path of paths) {
      if (testKindOf(path) === 'py') {
        applyEvent(report, { type: 'file-start', file: path });
        report.files.find((f) => f.path === path)?.errors.push({ message: 'Python tests are not run for background agents yet.' });
        continue;
      }
      const environment = testEnvironmentOf(files.get(path) ?? '', config.config);
      if (!environment.ok) {
        applyEvent(report, { type: 'file-start', file: path });
        report.files.find((f) => f.path === path)?.errors.push({ message: environment.error });
        continue;
      }
      const bundled = await bundleTestFile(files as Map<string, string>, path);
      if (bundled.ok) {
        mappers.set(path, new StackMapper(bundled.map));
        units.push({ kind: 'js', file: path, code: bundled.code, environment: environment.environment });
      } else {
        applyEvent(report, { type: 'file-start', file: path });
        report.files.find((f) => f.path === path)?.errors.push(...bundled.errors.slice(0, 20).map((e) => toFailure(e, e.location)));
      }
    }
    const request = {
      type: 'run' as const,
      runId,
      units,
      limits,
      ...(!sandbox.sent.js && units.length ? { jsRuntime: await jsRuntimeSource() } : {}),
    };
    const valid = RunRequest.safeParse(request);
    if (!valid.success) throw new Error(`The tests cannot be sent to the sandbox: ${valid.error.issues[0]?.message ?? ''}`);
    if (units.length) {
      await sandbox.run(
        request,
        (event) => {
          trackProgress(progress, event);
          applyEvent(report, event, {
            locate: (file, e) => (testKindOf(file) === 'py' ? (locatePython(e.stack, PY_ROOT) ?? undefined) : (mappers.get(file)?.locate(e.stack) ?? undefined)),
            rewriteStack: (file, stack) => mappers.get(file)?.rewrite(stack) ?? stack,
          });
        },
        limits.runTimeoutMs + 30_000,
      );
    }
  } catch (err) {
    if (err instanceof SandboxStoppedError) markInterrupted(report, progress, err.message);
    report.status = 'error';
    if (!(err instanceof SandboxStoppedError)) {
      // Not a test's failure (the config, the sandbox): reported as a file error, so the agent reads it.
      report.files.push({ path: 'flint-sandbox', tests: [], errors: [{ message: err instanceof Error ? err.message : String(err) }], console: [], consoleDropped: 0 });
    }
  }
  if (report.status === 'running') report.status = 'done';
  return report;
}
